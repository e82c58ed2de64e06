"""The park report: every analytics table of one inventory, as DataFrames and as JSON.

>>> import pandas as pd, carbon, carbon.analytics
>>> rows = pd.DataFrame({"facility": ["A"], "year": [2022], "activity": ["electricity"],
...                      "quantity": [1000], "unit": ["MWh"]})
>>> facilities = pd.DataFrame({"facility": ["A"], "value_added": [536.6],
...                            "value_added_unit": ["万元"]})
>>> park = carbon.analytics.report(carbon.account(rows, facilities=facilities))
>>> table = park.dual_control.set_index(["indicator", "year"])
>>> float(round(table.at[("co2e_per_value_added", 2022), "value"], 9))  # 1000 x 0.5366 / 536.6
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..inventory import Inventory
from . import views
from .base_year import DEFAULT_THRESHOLD, BaseYear, track_base_year
from .benchmarking import GreenFactoryRule, benchmark, green_factories
from .compare import ProfileComparison, compare_inventories
from .dual_control import INDICATORS, dual_control_table, grid_shares, indicator_values
from .targets import TargetSet, check_targets, read_targets
from .territory import SUPPLY_COAL_RATE, Territory
from .value_added import VALUE_ADDED_UNIT, denominators

__all__ = ["ParkReport", "report"]


@dataclass
class ParkReport:
    """Dual control, targets, views, benchmarks, base year and profile comparison of a park.

    Every table is a pandas DataFrame (see :meth:`tables` for the list); ``None`` where the
    input that table needs was not given (no targets, no base year, no second profile).
    :meth:`to_dict` gives the JSON object ``parkcarbon report --format json`` prints.
    """

    meta: dict
    dual_control: pd.DataFrame
    by_sector: pd.DataFrame
    by_facility: pd.DataFrame
    by_carrier: pd.DataFrame
    by_scope: pd.DataFrame
    by_gas: pd.DataFrame
    by_month: pd.DataFrame
    flow: pd.DataFrame
    top_emitters: pd.DataFrame
    benchmark: pd.DataFrame
    green_factories: pd.DataFrame
    targets: pd.DataFrame | None = None
    target_set: TargetSet | None = None
    base_year: BaseYear | None = None
    comparison: ProfileComparison | None = None
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in reading order (the sheets of the Excel output)."""
        out = {"dual_control": self.dual_control}
        if self.targets is not None:
            out["targets"] = self.targets
        if self.base_year is not None:
            out["base_year"] = self.base_year.tracking
            out["boundary_changes"] = self.base_year.changes
        out.update({"by_sector": self.by_sector, "by_facility": self.by_facility,
                    "by_carrier": self.by_carrier, "by_scope": self.by_scope,
                    "by_gas": self.by_gas, "by_month": self.by_month, "flow": self.flow,
                    "top_emitters": self.top_emitters, "benchmark": self.benchmark,
                    "green_factories": self.green_factories})
        if self.comparison is not None:
            c = self.comparison
            out.update({"compare_park": c.park, "compare_by_activity": c.by_activity,
                        "compare_by_facility": c.by_facility, "compare_by_gas": c.by_gas,
                        "compare_factors": c.factors})
        return out

    def headline(self) -> dict:
        """The latest year's dual-control figures and the top emitters' share."""
        if not self.meta["years"]:
            return {}
        year = self.meta["years"][-1]
        rows = self.dual_control[self.dual_control["year"] == year].set_index("indicator")
        out = {"year": year}
        for name in INDICATORS:
            if name in rows.index:
                out[name] = _plain(rows.at[name, "value"])
        out["top_emitters_share"] = (_plain(self.top_emitters["share"].sum())
                                     if len(self.top_emitters) else None)
        out["green_factory_candidates"] = sorted(
            self.green_factories.loc[self.green_factories["candidate"].eq(True), "facility"])
        return out

    def to_dict(self) -> dict:
        """A JSON-ready dict: plain types only, NaN as None."""
        out = {"meta": self.meta, "headline": self.headline(), "notes": list(self.notes)}
        if self.target_set is not None:
            out["target_set"] = {"name": self.target_set.name, "source": self.target_set.source}
        out["tables"] = {name: records(table) for name, table in self.tables().items()}
        return out


def _plain(value):
    """A JSON-safe scalar: numpy types as Python, NaN and infinities as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(table: pd.DataFrame) -> list[dict]:
    """Rows of ``table`` as dicts of JSON-safe values (index dropped)."""
    frame = table.reset_index(drop=True)
    return [{str(k): _plain(v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")]


def report(inventory: Inventory, *, value_added=None, base_year: int | None = None,
           targets=None, compare: Inventory | None = None,
           supply_coal_rate: float = SUPPLY_COAL_RATE, grid_non_fossil=None,
           significance: float = DEFAULT_THRESHOLD, membership=None, top: int = 10,
           year: int | None = None, green_rule: GreenFactoryRule | None = None) -> ParkReport:
    """Analyse a park inventory: dual control, targets, views, benchmarks, base year.

    Parameters
    ----------
    inventory : Inventory
        From :func:`carbon.account`, with a facilities table for sectors and value added.
    value_added : DataFrame or path, optional
        Value added by year: ``facility`` or ``sector``, ``year``, ``value_added``,
        ``value_added_unit`` (any amount of yuan). Default: the facilities table's value for
        every year, which the notes and each intensity row say.
    base_year : int, optional
        Fixed base year (a year of the inventory), recalculated for facilities joining or
        leaving the park (GHG Protocol, ``significance``).
    targets : path, TOML dict or TargetSet, optional
        Targets file (:mod:`carbon.analytics.targets`).
    compare : Inventory, optional
        The same activities accounted under another profile (or GWP set).
    supply_coal_rate : float
        Supply coal rate of the equal-value method [kgce/kWh], default 0.30.
    grid_non_fossil : float or {year: float}, optional
        Non-fossil share of grid electricity [fraction]; default: not counted.
    significance : float
        Base-year recalculation threshold [fraction of base-year Scope 1 + 2], default 0.05.
    membership : DataFrame or path, optional
        Park membership (``facility``, ``joined``, ``left``); default: from the records.
    top : int
        How many top emitters to list.
    year : int, optional
        Year of the benchmark and green-factory list (default: the latest).
    green_rule : GreenFactoryRule, optional
        Rule for green-factory candidates (default: best quartile in carbon and energy
        intensity, no growth in emissions, at least four peers).

    Returns
    -------
    ParkReport
    """
    if compare is not None and not isinstance(compare, Inventory):
        raise ParameterError("compare", "report", "a carbon.Inventory of the same activities",
                             type(compare).__name__)
    territory = Territory(inventory, supply_coal_rate)
    if not territory.years:
        raise ParameterError("inventory", "report", "an inventory with accounted rows",
                             repr(inventory))
    if base_year is not None and base_year not in territory.years:
        raise ParameterError("base_year", "report", f"a year of the inventory "
                             f"{list(territory.years)}", base_year)
    den = denominators(territory, value_added)
    grid = grid_shares(grid_non_fossil, territory.years)
    notes = list(den.notes)
    tracked = None
    if base_year is not None:
        tracked = track_base_year(territory, den, base_year, significance, membership, grid)
        notes += tracked.notes
        recalculated = tracked.tracking[tracked.tracking["recalculated"]]
        if len(recalculated):
            notes.append(f"Base year {base_year} recalculated for boundary changes in "
                         + ", ".join(str(y) for y in recalculated["year"])
                         + ": see the base_year table; change_vs_base uses it.")
    table = dual_control_table(territory, den, base_year=base_year,
                         base_values=tracked.values if tracked is not None else None,
                         grid_non_fossil=grid_non_fossil)
    output_notes = table.loc[(table["indicator"] == "co2e_per_output")
                             & table["note"].str.startswith("not computable"), "note"]
    if len(output_notes):
        notes.append("Park intensities per unit of output: " + output_notes.iloc[-1]
                     + "; see the benchmark table for per-output intensities within sectors.")
    target_set = checks = None
    if targets is not None:
        target_set = read_targets(targets)
        checks = check_targets(target_set, indicator_values(territory, den, grid=grid))
    bench = benchmark(territory, den, year,
                      quantile=green_rule.quantile if green_rule else 0.25)
    comparison = compare_inventories(inventory, compare) if compare is not None else None
    meta = {
        "unit": "t CO2e", "energy_unit": "tce", "value_added_unit": VALUE_ADDED_UNIT,
        "gwp": inventory.gwp, "profile": inventory.profile,
        "years": list(territory.years), "facilities": int(territory.presence["facility"]
                                                         .nunique()),
        "base_year": base_year, "significance": significance if base_year is not None
        else None, "supply_coal_rate_kgce_per_kwh": supply_coal_rate,
        "value_added_by_year": den.by_year,
        "benchmark_year": int(bench["year"].iloc[0]) if len(bench) else None,
        "compared_with": ({"profile": compare.profile, "gwp": compare.gwp}
                          if compare is not None else None),
        "rows": dict(inventory.rows),
    }
    return ParkReport(
        meta=meta, dual_control=table,
        by_sector=views.by_sector(territory), by_facility=views.by_facility(territory),
        by_carrier=views.by_carrier(territory), by_scope=views.by_scope(territory),
        by_gas=views.by_gas(territory), by_month=views.by_month(territory),
        flow=views.flow(territory), top_emitters=views.top_emitters(territory, top),
        benchmark=bench,
        green_factories=green_factories(territory, den, year, green_rule, table=bench),
        targets=checks, target_set=target_set, base_year=tracked, comparison=comparison,
        notes=notes)

