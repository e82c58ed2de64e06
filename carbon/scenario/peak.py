"""The peak of an emission series, the C40 "has peaked" test, and targets.

A series has peaked within its years when its highest value comes before its last year and the
last value is below it. The peak year is the first year that reaches the highest value (values
within ``rtol`` of it count as reaching it: a plateau peaks where it starts).

The robust test (C40 practice, REFERENCES.md "Targets"): at least 3 years of data, the peak
more than 5 years before the latest point, and the latest value more than 10 % below the peak.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Peak", "RobustPeak", "find_peak", "robust_peak", "robust_since"]

MIN_YEARS, MIN_GAP, MIN_DECLINE = 3, 5, 0.10


@dataclass(frozen=True)
class Peak:
    """The peak of a series: ``year`` and ``value`` are None when it has not peaked."""

    year: int | None
    value: float | None
    peaked: bool
    highest_year: int | None
    highest_value: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def _clean(years, values):
    years = np.asarray(years, dtype=int)
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    return years[keep], values[keep]


def find_peak(years, values, rtol: float = 1e-9) -> Peak:
    """Peak year and value of a series.

    Parameters
    ----------
    years : array-like of int
    values : array-like of float
        Emissions [t CO2e]; NaN points are ignored.
    rtol : float
        Values within ``rtol`` of the highest count as the highest (rounding noise).

    Returns
    -------
    Peak

    Examples
    --------
    >>> find_peak([2023, 2024, 2025, 2026], [1.0, 3.0, 3.0, 2.0]).year   # a plateau: its start
    2024
    >>> find_peak([2023, 2024, 2025], [1.0, 2.0, 3.0]).year is None        # still rising
    True
    >>> find_peak([2023, 2024, 2025], [2.0, 2.0, 2.0]).peaked               # flat: not peaked
    False
    """
    years, values = _clean(years, values)
    if not len(values):
        return Peak(None, None, False, None, None)
    highest = values.max()
    at_top = values >= highest - rtol * abs(highest)
    first = int(np.argmax(at_top))
    peaked = bool(len(values) > 1 and not at_top[-1])
    return Peak(int(years[first]) if peaked else None, float(highest) if peaked else None,
                peaked, int(years[first]), float(highest))


@dataclass(frozen=True)
class RobustPeak:
    """The C40 test of a series, with each condition."""

    passed: bool
    years_of_data: int
    peak_year: int | None
    latest_year: int | None
    years_since_peak: int | None
    decline: float | None  # latest below peak, as a fraction of the peak
    enough_data: bool
    peak_old_enough: bool
    declined_enough: bool

    def to_dict(self) -> dict:
        return asdict(self)


def robust_peak(years, values, min_years: int = MIN_YEARS, min_gap: int = MIN_GAP,
                min_decline: float = MIN_DECLINE) -> RobustPeak:
    """The C40 "has robustly peaked" test on a series.

    Parameters
    ----------
    years, values : array-like
        The series [t CO2e]; NaN points are ignored.
    min_years : int
        At least this many years of data (3).
    min_gap : int
        The peak more than this many years before the latest point (5).
    min_decline : float
        The latest value more than this fraction below the peak (0.10).

    Examples
    --------
    >>> robust_peak(range(2020, 2031), [10, 12, 11, 11, 10, 10, 10, 10, 10, 10, 10.7]).passed
    True
    >>> robust_peak(range(2020, 2031), [10, 12, 11, 11, 10, 10, 10, 10, 10, 10, 10.9]).passed
    False
    """
    years, values = _clean(years, values)
    n = len(values)
    if n == 0:
        return RobustPeak(False, 0, None, None, None, None, False, False, False)
    top = int(np.argmax(values))
    peak_year, latest_year = int(years[top]), int(years[-1])
    gap = latest_year - peak_year
    peak_value = values[top]
    decline = float((peak_value - values[-1]) / peak_value) if peak_value > 0 else None
    enough = n >= min_years
    old = gap > min_gap
    declined = decline is not None and decline > min_decline
    return RobustPeak(bool(enough and old and declined), n, peak_year, latest_year, gap,
                      decline, enough, old, declined)


def robust_since(years, values, **kwargs) -> int | None:
    """The first year whose series up to then passes :func:`robust_peak` (None: never).

    >>> robust_since(range(2020, 2031), [10, 12, 11, 11, 10, 10, 10, 10, 10, 10, 10.7])
    2027
    """
    years, values = _clean(years, values)
    for end in range(1, len(values) + 1):
        if robust_peak(years[:end], values[:end], **kwargs).passed:
            return int(years[end - 1])
    return None
