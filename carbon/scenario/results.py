"""The result of a scenario run: tidy tables, the JSON object, and what the charts draw.

Units: emissions and wedges [t CO2e], captured CO2 [t CO2], energy [tce, equivalent value],
value added [the scenario's value added unit, 10^4 CNY by default], intensities per that unit.
Totals, peak and targets count the scenario's ``scopes``; the long tables hold every scope with
a ``scope`` column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .engine import Op
from .peak import Peak, RobustPeak, find_peak, robust_peak, robust_since
from .targets import check_targets
from .wedges import shapley

__all__ = ["ScenarioResult", "compute"]

_KEY = ["sector", "facility", "carrier", "scope"]


@dataclass
class ScenarioResult:
    """What :meth:`Scenario.run` returns.

    Attributes
    ----------
    name, title : str
    years : ndarray of int
        Base year first.
    baseline, scenario : ndarray
        Counted emissions per year [t CO2e].
    steps : ndarray, shape (measures + 1, years)
        Counted emissions after each measure in order (row 0: baseline) [t CO2e].
    ordered, shapley : ndarray, shape (measures, years)
        Each measure's wedge [t CO2e]: in the order written, and the Shapley split.
    peak, baseline_peak : Peak
    robust : RobustPeak
        The C40 test on the scenario series.
    targets : dict
        Each target with its value and ``met``.
    """

    name: str
    title: str
    file: str
    years: np.ndarray
    columns: pd.DataFrame
    measures: list[Op]
    detail: list[np.ndarray]  # emissions per year and column after each step
    energy_detail: tuple[np.ndarray, np.ndarray]  # baseline, scenario [tce]
    captured_detail: np.ndarray
    counted: np.ndarray
    steps: np.ndarray
    shapley: np.ndarray
    shapley_method: str
    peak: Peak
    baseline_peak: Peak
    robust: RobustPeak
    robust_year: int | None
    targets: dict
    value_added: np.ndarray | None
    value_added_unit: str | None
    meta: dict
    notes: list[str] = field(default_factory=list)
    fallbacks: list[dict] = field(default_factory=list)
    #: Set by ``parkcarbon scenario --monte-carlo`` / ``--optimize`` (carbon.uncertainty /
    #: carbon.optimize results); their ``to_dict()`` joins the JSON object when set.
    monte_carlo: object | None = None
    optimization: object | None = None

    # -- series ------------------------------------------------------------------------------
    @property
    def baseline(self) -> np.ndarray:
        return self.steps[0]

    @property
    def scenario(self) -> np.ndarray:
        return self.steps[-1]

    @property
    def ordered(self) -> np.ndarray:
        return self.steps[:-1] - self.steps[1:]

    @property
    def measure_names(self) -> list[str]:
        return [op.name for op in self.measures]

    @property
    def peak_year(self) -> int | None:
        return self.peak.year

    @property
    def peak_value(self) -> float | None:
        return self.peak.value

    def energy(self, case: str = "scenario") -> np.ndarray:
        """Energy use per year [tce]; NaN when some energy use is not known."""
        detail = self.energy_detail[0 if case == "baseline" else 1]
        return detail.sum(axis=1)

    def intensity(self, kind: str = "carbon", case: str = "scenario") -> np.ndarray:
        """Carbon [t CO2e] or energy [tce] per unit of value added; NaN where unknown."""
        if self.value_added is None:
            return np.full(len(self.years), np.nan)
        top = (self.baseline if case == "baseline" else self.scenario) if kind == "carbon" \
            else self.energy(case)
        return top / self.value_added

    def by(self, dimension: str = "sector", case: str = "scenario") -> pd.DataFrame:
        """Counted emissions per year and ``dimension`` (sector, carrier, scope, facility)."""
        detail = self.detail[0 if case == "baseline" else -1][:, self.counted]
        labels = self.columns.loc[self.counted, dimension].to_numpy()
        frame = pd.DataFrame(detail, index=pd.Index(self.years, name="year"), columns=labels)
        return frame.T.groupby(level=0).sum().T

    # -- tables ------------------------------------------------------------------------------
    def _long(self, values: np.ndarray, name: str) -> pd.DataFrame:
        """A (years x columns) array as a long table: year, sector, facility, carrier, scope."""
        n_years, n_columns = values.shape
        keys = self.columns[_KEY].iloc[np.tile(np.arange(n_columns), n_years)]
        frame = keys.reset_index(drop=True)
        frame.insert(0, "year", np.repeat(self.years, n_columns))
        frame[name] = values.ravel()
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result as tidy DataFrames.

        ``totals`` (one row per year), ``emissions`` (case, year, sector, facility, carrier,
        scope, co2e, tce, captured_co2), ``wedges`` (year, measure, order, ordered, shapley),
        ``wedges_by_sector`` (the ordered wedge of each measure per column), ``targets``,
        ``measures``.
        """
        return {"totals": self.totals(), "emissions": self._emissions(),
                "wedges": self._wedges(), "wedges_by_sector": self._wedges_detail(),
                "targets": self._targets(), "measures": self._measures()}

    def totals(self) -> pd.DataFrame:
        """One row per year: counted emissions, energy, captured CO2 and intensities."""
        frame = pd.DataFrame({
            "baseline_co2e": self.baseline, "scenario_co2e": self.scenario,
            "abatement": self.baseline - self.scenario,
            "baseline_tce": self.energy("baseline"), "scenario_tce": self.energy("scenario"),
            "captured_co2": self.captured_detail.sum(axis=1),
            "value_added": (self.value_added if self.value_added is not None
                            else np.full(len(self.years), np.nan)),
            "carbon_intensity": self.intensity("carbon"),
            "energy_intensity": self.intensity("energy"),
            "baseline_carbon_intensity": self.intensity("carbon", "baseline"),
            "baseline_energy_intensity": self.intensity("energy", "baseline"),
        }, index=pd.Index(self.years, name="year"))
        return frame.reset_index()

    def _emissions(self) -> pd.DataFrame:
        parts = []
        for case, detail, energy in (("baseline", self.detail[0], self.energy_detail[0]),
                                     ("scenario", self.detail[-1], self.energy_detail[1])):
            frame = self._long(detail, "co2e")
            frame["tce"] = energy.ravel()
            frame["captured_co2"] = (self.captured_detail.ravel() if case == "scenario"
                                     else 0.0)
            frame.insert(0, "case", case)
            parts.append(frame)
        out = pd.concat(parts, ignore_index=True)
        keep = (out["co2e"] != 0) | (out["tce"] != 0) | out["tce"].isna()
        return out[keep].reset_index(drop=True)

    def _wedges(self) -> pd.DataFrame:
        rows = []
        for k, name in enumerate(self.measure_names):
            rows.append(pd.DataFrame({"year": self.years, "measure": name, "order": k + 1,
                                      "ordered": self.ordered[k], "shapley": self.shapley[k]}))
        columns = ["year", "measure", "order", "ordered", "shapley"]
        return (pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns))

    def _wedges_detail(self) -> pd.DataFrame:
        parts = []
        for k, name in enumerate(self.measure_names):
            frame = self._long(self.detail[k] - self.detail[k + 1], "co2e")
            frame.insert(1, "measure", name)
            parts.append(frame[frame["co2e"] != 0])
        columns = ["year", "measure", *_KEY, "co2e"]
        return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns))

    def _targets(self) -> pd.DataFrame:
        rows = []
        if self.targets["peak"]:
            p = self.targets["peak"]
            rows.append({"target": "peak", "year": p["by"], "limit": p["by"],
                         "value": p["peak_year"], "met": p["met"]})
        for c in self.targets["caps"]:
            rows.append({"target": f"cap_{c['kind']}", "year": c["year"], "limit": c["cap"],
                         "value": c["value"], "met": c["met"]})
        for t in self.targets["intensity"]:
            rows.append({"target": f"{t['kind']}_intensity", "year": t["year"],
                         "limit": t["reference"] * (1 - t["reduction"]), "value": t["value"],
                         "met": t["met"]})
        return pd.DataFrame(rows, columns=["target", "year", "limit", "value", "met"])

    def _measures(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "order": k + 1, "measure": op.name, "type": op.kind, **self.meta["timing"][k],
            "cumulative_ordered": float(self.ordered[k].sum()),
            "cumulative_shapley": float(self.shapley[k].sum()),
            "may_raise": op.may_raise} for k, op in enumerate(self.measures)],
            columns=["order", "measure", "type", "start", "full", "ramp", "cumulative_ordered",
                     "cumulative_shapley", "may_raise"])

    # -- JSON --------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """A JSON-ready dict: ``peak_year`` (None when not peaked), ``peak_value`` [t CO2e],
        the baseline and scenario series, wedges, Shapley split and targets."""
        years = [int(y) for y in self.years]
        out = {
            "name": self.name, "title": self.title, "file": self.file,
            "unit": "t CO2e", "energy_unit": "tce",
            "base_year": years[0], "end": years[-1], "years": years,
            "scopes": self.meta["scopes"], "base": self.meta["base"],
            "peak_year": self.peak.year, "peak_value": _num(self.peak.value),
            "peaked": self.peak.peaked,
            "highest": {"year": self.peak.highest_year, "value": _num(self.peak.highest_value)},
            "robust_peak": {**_clean(self.robust.to_dict()), "since": self.robust_year},
            "baseline": {"co2e": _list(self.baseline), "tce": _list(self.energy("baseline")),
                         "peak_year": self.baseline_peak.year,
                         "peak_value": _num(self.baseline_peak.value),
                         "by_sector": _frame(self.by("sector", "baseline"))},
            "scenario": {"co2e": _list(self.scenario), "tce": _list(self.energy()),
                         "captured_co2": _list(self.captured_detail.sum(axis=1)),
                         "by_sector": _frame(self.by("sector")),
                         "by_carrier": _frame(self.by("carrier")),
                         "by_scope": {str(k): v for k, v in _frame(self.by("scope")).items()}},
            "dual_control": {
                "value_added_unit": self.value_added_unit,
                "value_added": _list(self.value_added) if self.value_added is not None else None,
                "carbon_intensity": _list(self.intensity("carbon")),
                "energy_intensity": _list(self.intensity("energy")),
                "carbon_intensity_unit": f"t CO2e / {self.value_added_unit}",
                "energy_intensity_unit": f"tce / {self.value_added_unit}"},
            "measures": _clean_records(self._measures().to_dict("records")),
            "wedges": {n: _list(self.ordered[k]) for k, n in enumerate(self.measure_names)},
            "shapley": {n: _list(self.shapley[k]) for k, n in enumerate(self.measure_names)},
            "shapley_method": self.shapley_method,
            "abatement": _list(self.baseline - self.scenario),
            "targets": _clean(self.targets),
            "notes": list(self.notes), "fallbacks": _clean(self.fallbacks),
        }
        if self.monte_carlo is not None:
            out["monte_carlo"] = _clean(self.monte_carlo.to_dict())
        if self.optimization is not None:
            out["optimization"] = _clean(self.optimization.to_dict())
        return out

    def __repr__(self) -> str:
        peak = f"peak {self.peak.year}" if self.peak.peaked else "not peaked"
        return (f"<ScenarioResult {self.name!r} {self.years[0]}-{self.years[-1]}: {peak}, "
                f"{len(self.measures)} measure(s)>")


def _num(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _list(values) -> list:
    return [_num(v) for v in np.asarray(values, dtype=float)]


def _frame(frame: pd.DataFrame) -> dict:
    return {str(c): _list(frame[c]) for c in frame.columns}


def _clean(obj):
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return _num(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


def _clean_records(records: list[dict]) -> list[dict]:
    return [_clean(r) for r in records]


# -- computing --------------------------------------------------------------------------------
def compute(scenario) -> ScenarioResult:
    """Run a :class:`~carbon.scenario.model.Scenario`."""
    engine, ops, years = scenario.engine, scenario.ops, scenario.years
    states, infos = engine.run(ops)
    detail = [engine.emissions(s) for s in states]
    steps = np.array([d[:, engine.counted].sum(axis=1) for d in detail])
    settings = scenario.spec.shapley

    def evaluate(mask: int) -> np.ndarray:
        return engine.final_total([op for i, op in enumerate(ops) if (mask >> i) & 1])

    values, method = shapley(evaluate, len(ops), settings.exact_max, settings.permutations,
                             settings.seed)
    peak = find_peak(years, steps[-1])
    notes = list(scenario.notes) + _measure_notes(ops, infos, steps, years)
    if peak.peaked and peak.year == years[0]:
        notes.append(f"the highest value is in the base year {years[0]}: earlier years are not "
                     "modelled, so the park may have peaked before")
    value_added = scenario.value_added
    targets = check_targets(scenario.spec.targets, years, steps[-1],
                            engine.energy(states[-1]).sum(axis=1), value_added, peak)
    base = scenario.base
    meta = {
        "scopes": list(scenario.spec.scopes),
        "base": {"year": base.year, "source": base.source, "profile": base.profile,
                 "gwp": base.gwp, "inventory_total": base.inventory_total,
                 "total": float(steps[0][0])},
        "timing": [_timing(m) for m in scenario.spec.measures if m.enabled],
    }
    return ScenarioResult(
        name=scenario.name, title=scenario.title, file=scenario.file, years=years,
        columns=engine.columns, measures=list(ops), detail=detail,
        energy_detail=(engine.energy(states[0]), engine.energy(states[-1])),
        captured_detail=engine.captured(states[-1]), counted=engine.counted, steps=steps,
        shapley=values, shapley_method=method, peak=peak,
        baseline_peak=find_peak(years, steps[0]), robust=robust_peak(years, steps[-1]),
        robust_year=robust_since(years, steps[-1]), targets=targets, value_added=value_added,
        value_added_unit=scenario.value_added_unit, meta=meta, notes=notes,
        fallbacks=base.fallbacks)


def _timing(measure) -> dict:
    if isinstance(measure.ramp, dict):
        years = sorted(measure.ramp)
        return {"start": years[0], "full": years[-1], "ramp": "table"}
    return {"start": measure.start, "full": measure.full or measure.start, "ramp": measure.ramp}


def _measure_notes(ops, infos, steps, years) -> list[str]:
    notes = []
    for k, (op, info) in enumerate(zip(ops, infos, strict=True)):
        wedge = steps[k] - steps[k + 1]
        if op.may_raise and (wedge < -1e-9 * np.abs(steps[k]).max()).any():
            raised = years[wedge < 0]
            notes.append(f"{op.name} raises emissions in {raised[0]}-{raised[-1]} (the carrier "
                         "switched to has a higher factor there)")
        unused = info.get("unused_mwh")
        if unused is not None and (unused > 1e-6).any():
            first = years[unused > 1e-6][0]
            notes.append(f"{op.name}: {unused.max():,.0f} MWh/yr at most could not be used "
                         f"(from {first}): more than the electricity it targets")
    return notes
