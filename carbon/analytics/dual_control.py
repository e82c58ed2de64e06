"""Dual control of energy and carbon: totals and intensities per year, and their changes.

China's parks report the "dual control" (双控) of energy use and, increasingly, of carbon
emissions: the totals and the intensities per unit of value added, year on year and against a
base year. For each year of an inventory this module gives:

- ``energy_tce``: energy use [tce], equivalent value (当量值, GB/T 2589-2020; electricity at
  0.1229 kgce/kWh), intra-park transfers netted as :meth:`Inventory.energy_tce` does;
- ``energy_tce_equal_value``: the same with electricity at the thermal supply coal rate
  (等价值, default 0.30 kgce/kWh, REFERENCES.md);
- ``non_fossil_share`` and ``non_fossil_share_equal_value`` [fraction]: green-certificate and
  green-power electricity (plus, if given, the grid's non-fossil share of other electricity)
  over energy use. China counts non-fossil primary energy by the coal-equivalent method, which
  is the equal-value column;
- ``co2e`` and ``co2e_market`` [t CO2e]: Scope 1 + 2, transfers netted (Inventory.total);
- ``value_added`` [10⁴ CNY] and the intensities ``co2e_per_value_added`` [t CO2e / 10⁴ CNY],
  ``tce_per_value_added`` and ``tce_equal_value_per_value_added`` [tce / 10⁴ CNY];
- ``output`` and ``co2e_per_output``, ``tce_per_output`` where the park's outputs can be
  added (one unit); otherwise "not computable" with the reason.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .territory import COUNTED_SCOPES, Territory
from .value_added import FROM_TABLE, Denominators

__all__ = ["INDICATORS", "dual_control_table", "grid_shares", "indicator_values", "wide"]

#: Indicator name -> (unit, True when lower is better).
INDICATORS: dict[str, tuple[str, bool]] = {
    "energy_tce": ("tce", True),
    "energy_tce_equal_value": ("tce", True),
    "non_fossil_share": ("fraction", False),
    "non_fossil_share_equal_value": ("fraction", False),
    "co2e": ("t CO2e", True),
    "co2e_market": ("t CO2e", True),
    "value_added": ("10^4 CNY", False),
    "co2e_per_value_added": ("t CO2e / 10^4 CNY", True),
    "tce_per_value_added": ("tce / 10^4 CNY", True),
    "tce_equal_value_per_value_added": ("tce / 10^4 CNY", True),
    "output": ("", False),
    "co2e_per_output": ("t CO2e / output unit", True),
    "tce_per_output": ("tce / output unit", True),
}

_INTENSITY_BY_VA = ("co2e_per_value_added", "tce_per_value_added",
                    "tce_equal_value_per_value_added")


def grid_shares(grid_non_fossil, years: Collection[int]) -> dict[int, float]:
    """The grid's non-fossil share per year [fraction], from a number or a {year: share} map."""
    if grid_non_fossil is None:
        return {}
    if isinstance(grid_non_fossil, Mapping):
        shares = {int(y): v for y, v in grid_non_fossil.items()}
    else:
        shares = {int(y): grid_non_fossil for y in years}
    for value in shares.values():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ParameterError("grid_non_fossil", "dual_control", "a fraction in [0, 1] or a "
                                 "{year: fraction} mapping", grid_non_fossil)
    return {y: float(v) for y, v in shares.items()}


def indicator_values(territory: Territory, den: Denominators,
                     members: Collection[str] | None = None,
                     grid: Mapping[int, float] | None = None) -> pd.DataFrame:
    """Every indicator per year for the park or the boundary ``members`` (index: year).

    Intensities are NaN ("not computable") where value added or output is not known; a year
    in which no member has records is absent.
    """
    facts, energy = territory.netted(members)
    counted = facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
    emissions = counted.groupby("year")[["co2e", "co2e_market"]].sum(min_count=1)
    energy_sums = energy.groupby("year")[
        ["tce", "tce_equal_value", "non_fossil_tce", "non_fossil_tce_equal_value"]].sum(
        min_count=1)
    years = sorted(set(facts["year"]) | set(energy["year"]))
    out = pd.DataFrame(index=pd.Index([int(y) for y in years], name="year"))
    # A year with records but no energy rows uses no energy: 0, not missing.
    out["energy_tce"] = energy_sums["tce"].reindex(out.index).fillna(0.0)
    out["energy_tce_equal_value"] = energy_sums["tce_equal_value"].reindex(out.index).fillna(0.0)
    green = energy_sums[["non_fossil_tce", "non_fossil_tce_equal_value"]].reindex(
        out.index).fillna(0.0)
    if grid:
        electricity = energy[energy["carrier"] == "electricity"].groupby("year")[
            ["tce", "tce_equal_value", "non_fossil_tce", "non_fossil_tce_equal_value"]].sum()
        electricity = electricity.reindex(out.index).fillna(0.0)
        share = pd.Series(grid, dtype=float).reindex(out.index).fillna(0.0).to_numpy()
        green["non_fossil_tce"] += share * (electricity["tce"] - electricity["non_fossil_tce"])
        green["non_fossil_tce_equal_value"] += share * (
            electricity["tce_equal_value"] - electricity["non_fossil_tce_equal_value"])
    out["non_fossil_share"] = _ratio(green["non_fossil_tce"], out["energy_tce"])
    out["non_fossil_share_equal_value"] = _ratio(green["non_fossil_tce_equal_value"],
                                                 out["energy_tce_equal_value"])
    out["co2e"] = emissions["co2e"].reindex(out.index).fillna(0.0)
    out["co2e_market"] = emissions["co2e_market"].reindex(out.index).fillna(0.0)
    out["value_added"] = [den.value_added(y, members) for y in out.index]
    va = out["value_added"].where(out["value_added"] > 0)
    out["co2e_per_value_added"] = out["co2e"] / va
    out["tce_per_value_added"] = out["energy_tce"] / va
    out["tce_equal_value_per_value_added"] = out["energy_tce_equal_value"] / va
    outputs = [den.output(y, members) for y in out.index]
    out["output"] = [o[0] for o in outputs]
    out["output_unit"] = [o[1] for o in outputs]
    out["output_note"] = [o[2] for o in outputs]
    per_output = out["output"].where(out["output"] > 0)
    out["co2e_per_output"] = out["co2e"] / per_output
    out["tce_per_output"] = out["energy_tce"] / per_output
    return out


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.where(denominator > 0)


def _change(values: pd.Series, reference: pd.Series) -> pd.Series:
    return values / reference.where(reference != 0) - 1.0


def dual_control_table(territory: Territory, den: Denominators, *, base_year: int | None = None,
                 base_values: pd.DataFrame | None = None, grid_non_fossil=None
                 ) -> pd.DataFrame:
    """The dual-control table: one row per indicator and year.

    Parameters
    ----------
    territory : Territory
    den : Denominators
    base_year : int, optional
        Year the ``change_vs_base`` column compares with; a year of the inventory.
    base_values : DataFrame, optional
        Base-year value of each indicator for each reporting year (index year, columns
        indicators), e.g. recalculated for boundary changes by
        :func:`carbon.analytics.base_year.track_base_year`; default: the base year as reported.
    grid_non_fossil : float or mapping, optional
        Non-fossil share of grid electricity [fraction], or {year: share}; default: not
        counted (only green certificates and green power are non-fossil).

    Returns
    -------
    DataFrame
        ``indicator``, ``unit``, ``year``, ``value``, ``change_yoy`` (relative to the year
        before; NaN when that year has no data), ``base_value``, ``change_vs_base`` (relative),
        ``note``.
    """
    if base_year is not None and int(base_year) not in territory.years:
        raise ParameterError("base_year", "dual_control",
                             f"a year of the inventory {list(territory.years)}", base_year)
    grid = grid_shares(grid_non_fossil, territory.years)
    values = indicator_values(territory, den, grid=grid)
    notes = _notes(den, values, grid)
    rows = []
    for name, (unit, _) in INDICATORS.items():
        series = values[name].astype(float)
        previous = series.reindex(series.index - 1).set_axis(series.index)
        if base_values is not None and name in base_values:
            base = base_values[name].reindex(series.index).astype(float)
        elif base_year is not None:
            base = pd.Series(series.get(int(base_year), np.nan), index=series.index)
        else:
            base = pd.Series(np.nan, index=series.index)
        frame = pd.DataFrame({
            "indicator": name,
            "unit": _unit(name, unit, values),
            "year": series.index.to_numpy(),
            "value": series.to_numpy(),
            "change_yoy": _change(series, previous).to_numpy(),
            "base_value": base.to_numpy(),
            "change_vs_base": _change(series, base).to_numpy(),
            "note": [notes.get((name, int(y)), notes.get(name, "")) for y in series.index],
        })
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


def _unit(name: str, unit: str, values: pd.DataFrame) -> list[str]:
    if not name.endswith("output"):
        return [unit] * len(values)
    per = values["output_unit"].replace("", "output unit")
    if name == "output":
        return list(values["output_unit"])
    return [unit.replace("output unit", u) for u in per]


def _notes(den: Denominators, values: pd.DataFrame, grid: Mapping[int, float]
           ) -> dict[object, str]:
    notes: dict[object, str] = {}
    sources = den.sector.groupby("year")["value_added_source"].agg(lambda s: sorted(set(s)))
    for year in values.index:
        used = sources.get(year, [])
        if used and used != [FROM_TABLE]:
            text = "value added: " + "; ".join(used)
            for name in ("value_added", *_INTENSITY_BY_VA):
                notes[(name, int(year))] = text
        if np.isnan(values.at[year, "value_added"]):
            for name in ("value_added", *_INTENSITY_BY_VA):
                notes[(name, int(year))] = "not computable: value added not known for every " \
                    "facility with records"
        reason = values.at[year, "output_note"]
        if reason:
            for name in ("output", "co2e_per_output", "tce_per_output"):
                notes[(name, int(year))] = reason
        else:
            for name in ("output", "co2e_per_output", "tce_per_output"):
                notes[(name, int(year))] = "output: facilities table (same value every year)"
    share = ("green certificates and green power" + (
        " + the grid's non-fossil share of other electricity" if grid else
        "; the grid's own non-fossil share is not counted"))
    notes["non_fossil_share"] = share + "; electricity at its equivalent value"
    notes["non_fossil_share_equal_value"] = share + "; electricity at the supply coal rate"
    notes["energy_tce"] = "equivalent value (GB/T 2589-2020), transfers netted"
    notes["energy_tce_equal_value"] = "electricity at the supply coal rate, transfers netted"
    notes["co2e"] = "Scope 1 + Scope 2 location-based, transfers netted"
    notes["co2e_market"] = "Scope 1 + Scope 2 market-based, transfers netted"
    return notes


def wide(table: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """The dual-control table as indicators × years (for reading)."""
    out = table.pivot(index="indicator", columns="year", values=column)
    return out.reindex([i for i in INDICATORS if i in out.index])

