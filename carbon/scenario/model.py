"""A scenario: its file read, its base year built, its baseline projected and its measures
compiled, ready to :meth:`~Scenario.run`.

Everything that can be wrong with a scenario file is found when it is loaded, before any
result exists: an unknown sector, a series without the base year, a measure that matches no
emissions. Each error names the file and the key.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .base import BaseYear, account_base, base_from_inventory, base_from_rows
from .conversions import accepted_units, factor_per_activity, normalised_unit
from .drivers import growth_index, interpolate
from .engine import Engine, State
from .measures import compile_measure, prefab_saving
from .reading import problem, read_spec, spec_from_dict
from .select import mask as select
from .select import specificity
from .spec import DIRECT_CARRIERS, ENERGY_CARRIERS, SCOPE_OF_CARRIER, Spec

__all__ = ["Scenario", "from_dict", "load"]


def load(path: str | Path) -> Scenario:
    """Read, validate and prepare a scenario file.

    Parameters
    ----------
    path : str or Path
        A TOML scenario file. Paths inside it are relative to it.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        Naming the file and key of every problem found.
    """
    spec, _ = read_spec(path)
    return Scenario(spec, str(path))


def from_dict(data: dict, file: str = "<scenario>", folder: str | Path | None = None
              ) -> Scenario:
    """A scenario from a dict with the TOML file's structure (for tool builders and tests).

    Relative paths in ``base`` are taken relative to ``folder`` (default: the working
    directory).
    """
    from .reading import _resolve_paths

    data = _resolve_paths(_deep_copy(data), Path(folder or ".").resolve())
    return Scenario(spec_from_dict(data, file), file)


def _deep_copy(data):
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


class Scenario:
    """A validated scenario ready to run.

    Attributes
    ----------
    spec : Spec
        The file's content.
    base : BaseYear
        The base year.
    years : ndarray of int
        Base year to ``end``.
    engine : Engine
        Columns and the baseline state.
    ops : list of Op
        The enabled measures in order.
    """

    def __init__(self, spec: Spec, file: str = "<scenario>"):
        self.spec, self.file = spec, file
        self.name = spec.name or Path(file).stem
        self.title = spec.title or self.name
        self.notes: list[str] = []
        self.base = self._base()
        self.notes += self.base.notes
        if spec.end <= self.base.year:
            raise InputError([problem(file, "end", "the projection must end after the base "
                                      "year", spec.end, f"a year after {self.base.year}")])
        self.years = np.arange(self.base.year, spec.end + 1)
        columns, activity0, factor0 = self._columns()
        baseline = self._baseline(columns, activity0, factor0)
        self.engine = Engine(self.years, columns, baseline, spec.scopes)
        self.ops = self._ops(columns)
        self.value_added = self._value_added()
        from .targets import validate_targets

        validate_targets(spec.targets, self.years, file, self.value_added is not None)

    def __repr__(self) -> str:
        return (f"<Scenario {self.name!r}: base {self.base.year} to {self.spec.end}, "
                f"{len(self.ops)} measure(s)>")

    # -- base year ---------------------------------------------------------------------------
    def _split(self) -> dict[str, str]:
        """Facilities named by a driver, factor path or measure, with the first key naming
        each: their emissions are kept apart from the rest of their sector."""
        spec = self.spec
        named = [*((f"growth[{i + 1}]", s) for i, s in enumerate(spec.growth)),
                 *((f"intensity[{i + 1}]", s) for i, s in enumerate(spec.intensity)),
                 *((f"factors[{i + 1}]", s) for i, s in enumerate(spec.factors)),
                 *((f"measures[{i + 1}].target", m.target) for i, m in enumerate(spec.measures)
                   if m.target is not None)]
        if spec.uncertainty is not None:  # --monte-carlo draws for these facilities alone
            for key in ("base", "growth", "intensity", "factors"):
                named += [(f"uncertainty.{key}[{i + 1}]", s)
                          for i, s in enumerate(getattr(spec.uncertainty, key))]
        out: dict[str, str] = {}
        for key, selector in named:
            for facility in selector.facilities or ():
                out.setdefault(facility, f"{key}.facilities")
        return out

    def _base(self) -> BaseYear:
        base = self.spec.base
        if base.sectors is not None:
            built = base_from_rows(base, self.file)
            facilities = set(built.table["facility"]) - {""}
            missing = {f: k for f, k in self._split().items() if f not in facilities}
            if missing:
                name, key = next(iter(missing.items()))
                raise InputError([problem(self.file, key, f"facility {name!r} is not in "
                                          "[[base.sectors]]", name, "facilities given a row "
                                          "of their own with facility = ...")])
            return built
        for key in ("activities", "facilities", "transfers", "factors"):
            path = getattr(base, key)
            if path is not None and not Path(path).exists():
                raise InputError([problem(self.file, f"base.{key}", "file not found", path,
                                          "a path relative to the scenario file")])
        inventory, messages = account_base(base)
        return base_from_inventory(inventory, base, self.file, self._split(), messages)

    # -- columns -----------------------------------------------------------------------------
    def _columns(self):
        table = self.base.table
        energy = table["carrier"].isin(ENERGY_CARRIERS).to_numpy()
        co2e, tce = table["co2e"].to_numpy(float), table["tce"].to_numpy(float)
        bad = energy & (co2e > 0) & ~(tce > 0)
        if bad.any():
            row = table[bad].iloc[0]
            raise InputError([problem(self.file, "base.sectors", f"{row['sector']} "
                                      f"{row['carrier']}: emissions without energy use",
                                      accepted="tce > 0 for an energy carrier with co2e > 0")])
        has_co2e = co2e > 0
        activity = np.where(energy, tce, np.where(has_co2e, co2e, np.nan_to_num(tce)))
        factor = np.divide(co2e, activity, out=np.zeros_like(co2e), where=activity > 0)
        per_unit = np.where(energy, 1.0, np.where(has_co2e, tce / np.where(has_co2e, co2e, 1),
                                                  1.0))
        columns = pd.DataFrame({
            "sector": table["sector"], "facility": table["facility"],
            "carrier": table["carrier"], "scope": table["scope"].astype(int),
            "co2_share": np.divide(table["co2"].to_numpy(float), co2e,
                                   out=np.zeros_like(co2e), where=co2e > 0),
            "tce_per_unit": per_unit})
        extra = self._switch_targets(columns, activity, factor)
        if extra:
            add = pd.DataFrame(extra)
            activity = np.concatenate([activity, np.zeros(len(add))])
            factor = np.concatenate([factor, add.pop("factor").to_numpy(float)])
            columns = pd.concat([columns, add], ignore_index=True)
        construction = self.spec.construction
        if construction is not None:
            columns = pd.concat([columns, pd.DataFrame([{
                "sector": construction.sector, "facility": "", "carrier": "embodied",
                "scope": 3, "co2_share": 0.0, "tce_per_unit": 0.0}])], ignore_index=True)
            activity, factor = np.append(activity, np.nan), np.append(factor, np.nan)
        return columns.reset_index(drop=True), activity, factor

    def _switch_targets(self, columns, activity, factor) -> list[dict]:
        """Zero-activity columns for carriers that fuel switches move energy to."""
        wanted = {}
        for i, m in enumerate(self.spec.measures):
            if m.enabled and m.type in ("fuel_switch", "electrification"):
                sources = [m.from_] if m.type == "fuel_switch" else list(m.from_)
                to = m.to if m.type == "fuel_switch" else "electricity"
                wanted.setdefault(to, (i, sources))
        existing = set(zip(columns["sector"], columns["facility"], columns["carrier"],
                           strict=True))
        groups = sorted(set(zip(columns["sector"], columns["facility"], strict=True)))
        extra = []
        for to, (i, _) in wanted.items():
            default = self._default_factor(to, columns, activity, factor, i)
            same = (columns["carrier"] == to).to_numpy()
            co2 = (float(np.average(columns["co2_share"][same], weights=activity[same]))
                   if same.any() and activity[same].sum() > 0
                   else (1.0 if to in DIRECT_CARRIERS else 0.0))
            for sector, facility in groups:
                if (sector, facility, to) not in existing:
                    extra.append({"sector": sector, "facility": facility, "carrier": to,
                                  "scope": SCOPE_OF_CARRIER[to], "co2_share": co2,
                                  "tce_per_unit": 1.0, "factor": default})
        return extra

    def _default_factor(self, carrier, columns, activity, factor, index) -> float:
        """A carrier's factor for a group that had none: the park's base-year average, or the
        base-year value of an absolute factor path."""
        same = (columns["carrier"] == carrier).to_numpy() & (activity > 0)
        if same.any():
            return float((activity[same] * factor[same]).sum() / activity[same].sum())
        for path in self.spec.factors:
            if path.carrier == carrier and path.values is not None and path.sector is None \
                    and path.facilities is None:
                value = interpolate(path.values, [self.base.year])[0]
                return float(factor_per_activity(value, path.unit, carrier))
        raise InputError([problem(
            self.file, f"measures[{index + 1}].to", f"no emission factor for {carrier}: the "
            "base year has none", carrier, f"a [[factors]] path with carrier = \"{carrier}\", "
            "values = {year = factor, ...} and unit = \"t CO2/tce\" (0 for green hydrogen)")])

    # -- baseline ----------------------------------------------------------------------------
    def _driver_index(self, drivers, key: str, columns: pd.DataFrame) -> np.ndarray:
        """Index (years x columns) of the most specific driver of each column."""
        years = self.years
        out = np.ones((len(years), len(columns)))
        chosen = np.full(len(columns), -1)
        rank = np.full(len(columns), -1)
        movable = (columns["carrier"] != "embodied").to_numpy()
        for i, driver in enumerate(drivers):
            where = f"{key}[{i + 1}]"
            hit = select(columns, driver, self.file, where) & movable
            score = specificity(driver)
            tie = hit & (rank == score)
            if tie.any():
                j = int(np.flatnonzero(tie)[0])
                raise InputError([problem(
                    self.file, where, f"{key}[{chosen[j] + 1}] and {where} both set "
                    f"{columns['sector'].iat[j]} {columns['carrier'].iat[j]}",
                    accepted="one driver per sector and carrier, or a more specific one "
                    "(facilities > sector > carrier) to override a general one")])
            take = hit & (score > rank)
            chosen[take], rank[take] = i, score
            if take.any():
                out[:, take] = self._index(driver, where)[:, None]
        return out

    def _index(self, driver, where: str) -> np.ndarray:
        base_year = self.base.year
        if driver.series is not None and base_year not in driver.series:
            raise InputError([problem(self.file, f"{where}.series", f"a series must give the "
                                      f"base year {base_year}", sorted(driver.series),
                                      f"{{{base_year} = ..., later years = ...}}")])
        if driver.rates is not None and min(driver.rates) > base_year + 1:
            raise InputError([problem(self.file, f"{where}.rates", f"the first period starts "
                                      f"after {base_year + 1}", min(driver.rates),
                                      f"a first key of {base_year + 1} or earlier")])
        if driver.series is not None and max(driver.series) < self.years[-1]:
            self.notes.append(f"{where}: series ends in {max(driver.series)}, held flat to "
                              f"{self.years[-1]}")
        return growth_index(self.years, driver.rate, driver.rates, driver.series)

    def _baseline(self, columns, activity0, factor0) -> State:
        spec, years = self.spec, self.years
        growth = self._driver_index(spec.growth, "growth", columns)
        intensity = self._driver_index(spec.intensity, "intensity", columns)
        activity = activity0[None, :] * growth * intensity
        factor = np.repeat(factor0[None, :], len(years), axis=0)
        if spec.construction is not None:
            area, embodied = spec.construction.floor_area, spec.construction.embodied
            activity[:, -1] = (interpolate(area, years) if isinstance(area, dict)
                               else np.full(len(years), float(area)))
            factor[:, -1] = (interpolate(embodied, years) if isinstance(embodied, dict)
                             else np.full(len(years), float(embodied))) / 1000.0
        self._factor_paths(columns, activity, factor)
        zeros = np.zeros_like(activity)
        return State(activity, factor, zeros, zeros.copy())

    def _factor_paths(self, columns, activity, factor) -> None:
        rank = np.full(len(columns), -1)
        owner = np.full(len(columns), -1)
        for i, path in enumerate(self.spec.factors):
            where = f"factors[{i + 1}]"
            hit = select(columns, path, self.file, where)
            if not hit.any():
                raise InputError([problem(self.file, where, f"no {path.carrier} emissions "
                                          "match this factor path", path.carrier,
                                          "a carrier (and sector) of the scenario: "
                                          + ", ".join(sorted(set(columns["carrier"]))))])
            score = specificity(path.model_copy(update={"carrier": None}))
            tie = hit & (rank == score)
            if tie.any():
                j = int(np.flatnonzero(tie)[0])
                raise InputError([problem(self.file, where, f"factors[{owner[j] + 1}] and "
                                          f"{where} both set {columns['sector'].iat[j]} "
                                          f"{path.carrier}", accepted="one path per carrier "
                                          "and sector")])
            take = hit & (score > rank)
            rank[take], owner[take] = score, i
            if take.any():
                factor[:, take] = self._path(path, where, factor[0, take], activity[0, take])

    def _path(self, path, where: str, base_factor: np.ndarray, base_activity: np.ndarray):
        years, base_year = self.years, self.base.year
        if path.index is not None:
            if base_year not in path.index:
                raise InputError([problem(self.file, f"{where}.index", f"an index must give "
                                          f"the base year {base_year}", sorted(path.index),
                                          f"{{{base_year} = ..., later years = ...}}")])
            index = growth_index(years, series=path.index)
            return base_factor[None, :] * index[:, None]
        accepted = accepted_units(path.carrier)
        if normalised_unit(path.unit) not in {normalised_unit(u) for u in accepted}:
            raise InputError([problem(self.file, f"{where}.unit", f"not a factor unit for "
                                      f"{path.carrier}", path.unit,
                                      ", ".join(accepted) if accepted
                                      else "none: use index = {year = value} for this carrier")])
        values = factor_per_activity(interpolate(path.values, years), path.unit, path.carrier)
        out = np.repeat(values[:, None], len(base_factor), axis=1)
        out[0] = base_factor  # the base year keeps its inventory factor
        weight = base_activity.sum()
        if weight > 0 and path.carrier != "embodied":
            implied = float((base_factor * base_activity).sum() / weight)  # [t CO2e/tce]
            written = float(interpolate(path.values, [base_year])[0])      # [path.unit]
            if implied > 0 and values[0] > 0 and abs(values[0] / implied - 1) > 0.05:
                own = written * implied / values[0]
                self.notes.append(
                    f"{where}: the path gives {written:.4g} {path.unit} for {base_year}, the "
                    f"base year's own factor is {own:.4g} {path.unit}; the path applies from "
                    f"{base_year + 1}, so the step shows there")
        return out

    # -- measures and economy ----------------------------------------------------------------
    def _ops(self, columns):
        ops, seen = [], {}
        construction = self.spec.construction.sector if self.spec.construction else None
        for i, measure in enumerate(self.spec.measures):
            if not measure.enabled:
                self.notes.append(f"measures[{i + 1}] ({measure.label}) is disabled")
                continue
            name = measure.label
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                name = f"{name} ({seen[name]})"
            ops.append(compile_measure(measure, i, name, self.years, columns, self.file,
                                       construction))
            if measure.type == "prefab":
                detail = prefab_saving(measure.saving)
                low = detail["low"] if detail["low"] is not None else detail["value"]
                high = detail["high"] if detail["high"] is not None else detail["value"]
                self.notes.append(f"{name}: prefab saving {detail['value']:.0%} "
                                  f"(range {low:.0%}-{high:.0%}, {detail['confidence']}; "
                                  f"preset {detail['preset']})")
        return ops

    def _value_added(self) -> np.ndarray | None:
        economy = self.spec.economy
        value = economy.value_added if economy and economy.value_added else self.base.value_added
        if value is None:
            return None
        if economy is None or not economy._given():
            self.notes.append("no [economy] growth: value added (and so intensities) unknown "
                              "after the base year")
            out = np.full(len(self.years), np.nan)
            out[0] = value
            return out
        return value * self._index(economy, "economy")

    @property
    def value_added_unit(self) -> str | None:
        economy = self.spec.economy
        if economy is not None and economy.value_added:
            return economy.unit
        return self.base.value_added_unit or (economy.unit if economy else None)

    # -- running -----------------------------------------------------------------------------
    def run(self):
        """Project, apply the measures, split the wedges and check the targets.

        Returns
        -------
        ScenarioResult
        """
        from .results import compute

        return compute(self)
