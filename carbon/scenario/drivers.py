"""Time paths over the projection years: growth indices, interpolated series and ramps.

Plain functions over a vector of years (``numpy`` int array); each returns a float array of the
same length. The scenario engine multiplies them into activity and factor matrices.

Glossary: ``years`` the projection years, base year first [year]; ``rate`` a yearly change as
a fraction (0.05 = +5 %/yr); ``index`` a path relative to the base year (1 in the base year);
``ramp`` the fraction of a measure's full effect reached in a year (0 to 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["growth_index", "interpolate", "linear_ramp", "ramp", "rate_path", "s_curve_ramp",
           "table_ramp"]


def _points(series: Mapping[int, float]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array(sorted(int(k) for k in series), dtype=float)
    values = np.array([float(series[k]) for k in sorted(series, key=int)], dtype=float)
    return keys, values


def interpolate(series: Mapping[int, float], years) -> np.ndarray:
    """A series given at some years, on every year: linear between points, flat outside.

    Parameters
    ----------
    series : mapping of int to float
        Values at given years (any unit); at least one point.
    years : array-like of int
        Years wanted.

    Returns
    -------
    ndarray
        Values at ``years``, in the unit of ``series``.

    Examples
    --------
    >>> interpolate({2023: 0.5, 2030: 0.36}, [2022, 2023, 2024, 2030, 2031]).round(3).tolist()
    [0.5, 0.5, 0.48, 0.36, 0.36]
    """
    keys, values = _points(series)
    return np.interp(np.asarray(years, dtype=float), keys, values)


def rate_path(years, rate: float | None = None, rates: Mapping[int, float] | None = None
              ) -> np.ndarray:
    """The yearly rate in force in each year.

    ``rate`` is one rate for every year; ``rates`` maps the first year of each period to the
    rate from that year on (a step function; before the first period the first rate applies).

    >>> rate_path([2023, 2024, 2030, 2031], rates={2024: 0.06, 2031: 0.03}).tolist()
    [0.06, 0.06, 0.06, 0.03]
    """
    years = np.asarray(years)
    if rates is None:
        return np.full(len(years), float(rate or 0.0))
    keys, values = _points(rates)
    position = np.searchsorted(keys, years, side="right") - 1
    return values[np.clip(position, 0, len(values) - 1)]


def growth_index(years, rate: float | None = None, rates: Mapping[int, float] | None = None,
                 series: Mapping[int, float] | None = None) -> np.ndarray:
    """A driver as an index relative to the first year of ``years`` (the base year).

    Parameters
    ----------
    years : array-like of int
        Projection years, base year first, consecutive.
    rate : float, optional
        Constant yearly change [fraction/yr].
    rates : mapping of int to float, optional
        Rate per period [fraction/yr], keyed by the first year of each period.
    series : mapping of int to float, optional
        Explicit values (an index or any quantity: it is divided by its base-year value, which
        must be given); linear between given years, flat after the last one.

    Returns
    -------
    ndarray
        Index [1 in the base year].

    Notes
    -----
    With rates, ``index[t] = prod_{s=1..t} (1 + r[s])``: the rate of year ``s`` is the change
    from year ``s - 1`` to year ``s``.

    Examples
    --------
    >>> growth_index([2023, 2024, 2025], rate=0.05).round(4).tolist()   # 1.05**2 = 1.1025
    [1.0, 1.05, 1.1025]
    >>> growth_index([2023, 2024, 2025], series={2023: 200, 2025: 300}).tolist()
    [1.0, 1.25, 1.5]
    """
    years = np.asarray(years)
    if series is not None:
        values = interpolate(series, years)
        return values / values[0]
    steps = 1.0 + rate_path(years, rate, rates)
    steps[0] = 1.0
    return np.cumprod(steps)


def linear_ramp(years, start: int, full: int) -> np.ndarray:
    """0 before ``start``, rising in equal steps to 1 in ``full``, 1 after.

    The start year already has the first step: ``(year - start + 1) / (full - start + 1)``.

    >>> linear_ramp([2024, 2025, 2026, 2027, 2028, 2029], 2025, 2028).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    """
    years = np.asarray(years, dtype=float)
    return np.clip((years - start + 1) / (full - start + 1), 0.0, 1.0)


def s_curve_ramp(years, start: int, full: int) -> np.ndarray:
    """A logistic S-curve: 0 before ``start``, 1 from ``full`` on, steepest half-way.

    The logistic ``1 / (1 + exp(-k (year - mid)))`` with ``mid`` half-way between
    ``start - 1`` and ``full`` and ``k = 8 / (full - start + 1)``, rescaled so that it is exactly
    0 in ``start - 1`` and 1 in ``full``.

    >>> s_curve_ramp([2024, 2025, 2027, 2028, 2030], 2025, 2030).round(3).tolist()
    [0.0, 0.049, 0.5, 0.802, 1.0]
    """
    years = np.asarray(years, dtype=float)
    span = full - start + 1
    mid, k = (start - 1 + full) / 2.0, 8.0 / span

    def logistic(x):
        return 1.0 / (1.0 + np.exp(-k * (x - mid)))

    low, high = logistic(start - 1.0), logistic(float(full))
    return np.clip((logistic(years) - low) / (high - low), 0.0, 1.0)


def table_ramp(years, table: Mapping[int, float]) -> np.ndarray:
    """A ramp given as a table of years and fractions: 0 before its first year, linear between
    given years, flat after the last.

    >>> table_ramp([2024, 2025, 2027, 2030, 2040], {2025: 0.2, 2030: 0.8}).round(2).tolist()
    [0.0, 0.2, 0.44, 0.8, 0.8]
    """
    keys, _ = _points(table)
    years = np.asarray(years)
    return np.where(years < keys[0], 0.0, interpolate(table, years))


def ramp(years, kind: str | Mapping[int, float], start: int | None = None,
         full: int | None = None) -> np.ndarray:
    """Fraction of a measure's full effect in each year [0 to 1].

    Parameters
    ----------
    years : array-like of int
    kind : {'linear', 's-curve', 'step'} or mapping of int to float
        The shape, or a table of years and fractions.
    start, full : int
        First year with an effect, and the year the full effect is reached (``full`` defaults
        to ``start``: a step).

    >>> ramp([2024, 2025, 2026], "step", 2025).tolist()
    [0.0, 1.0, 1.0]
    """
    if isinstance(kind, Mapping):
        return table_ramp(years, kind)
    full = start if full is None else full
    if kind == "step" or full == start:
        return (np.asarray(years) >= start).astype(float)
    if kind == "linear":
        return linear_ramp(years, start, full)
    if kind == "s-curve":
        return s_curve_ramp(years, start, full)
    raise ValueError(f"unknown ramp {kind!r}")
