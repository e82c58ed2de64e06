"""Checking a scenario against its targets: peak year, caps and intensity cuts.

Intensity is per unit of value added ("dual control"): carbon intensity [t CO2e per value
added unit] and energy intensity [tce per value added unit]. A target that cannot be checked
(no value added, a year outside the projection) is reported with ``met = None``, never as met.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .peak import Peak
from .reading import problem

__all__ = ["check_targets", "validate_targets"]


def validate_targets(targets, years: np.ndarray, file: str, has_value_added: bool) -> None:
    """Errors for targets that the projection cannot check."""
    first, last = int(years[0]), int(years[-1])
    for i, cap in enumerate(targets.caps):
        if not first <= cap.year <= last:
            raise InputError([problem(file, f"targets.caps[{i + 1}].year", "outside the "
                                      "projection", cap.year, f"{first} to {last}")])
    for i, target in enumerate(targets.intensity):
        key = f"targets.intensity[{i + 1}]"
        if not has_value_added:
            raise InputError([problem(file, key, "an intensity target needs value added",
                                      accepted="[economy] value_added (and its growth), or "
                                      "value_added in the facilities table")])
        if not first < target.year <= last:
            raise InputError([problem(file, f"{key}.year", "outside the projection",
                                      target.year, f"{first + 1} to {last}")])
        reference = target.reference_year if target.reference_year is not None else first
        if target.reference_value is None and not first <= reference < target.year:
            raise InputError([problem(file, f"{key}.reference_year", "before the base year: "
                                      "give reference_value too", reference,
                                      f"a year from {first} to {target.year - 1}, or "
                                      "reference_value")])


def _at(years: np.ndarray, series: np.ndarray, year: int) -> float:
    return float(series[int(np.searchsorted(years, year))])


def _met(value: float, limit: float) -> bool | None:
    if math.isnan(value):
        return None
    return bool(value <= limit * (1 + 1e-12))


def check_targets(targets, years: np.ndarray, co2e: np.ndarray, tce: np.ndarray,
                  value_added: np.ndarray | None, peak: Peak) -> dict:
    """Each target with the scenario's value and whether it is met.

    Parameters
    ----------
    targets : Targets
    years : ndarray of int
    co2e, tce : ndarray
        Counted emissions [t CO2e] and energy use [tce] per year.
    value_added : ndarray or None
        Value added per year [value added unit], NaN where unknown.
    peak : Peak
        Peak of ``co2e``.
    """
    out: dict = {"peak": None, "caps": [], "intensity": []}
    if targets.peak_by is not None:
        met = peak.peaked and peak.year <= targets.peak_by
        out["peak"] = {"by": targets.peak_by, "peak_year": peak.year, "met": bool(met)}
    for cap in targets.caps:
        kind, limit = ("co2e", cap.co2e) if cap.co2e is not None else ("tce", cap.tce)
        series = co2e if kind == "co2e" else tce
        value = _at(years, series, cap.year)
        out["caps"].append({"year": cap.year, "kind": kind, "cap": limit, "value": value,
                            "met": _met(value, limit)})
    for target in targets.intensity:
        series = (co2e if target.kind == "carbon" else tce) / value_added
        reference_year = target.reference_year if target.reference_year is not None else int(
            years[0])
        reference = (target.reference_value if target.reference_value is not None
                     else _at(years, series, reference_year))
        value = _at(years, series, target.year)
        limit = reference * (1 - target.reduction)
        achieved = 1 - value / reference if reference else math.nan
        out["intensity"].append({
            "kind": target.kind, "year": target.year, "reference_year": reference_year,
            "reference": reference, "reduction": target.reduction, "value": value,
            "achieved_reduction": achieved, "met": _met(value, limit)})
    checks = ([out["peak"]["met"]] if out["peak"] else []) + [
        c["met"] for c in out["caps"] + out["intensity"]]
    out["all_met"] = None if any(m is None for m in checks) else all(checks)
    return out
