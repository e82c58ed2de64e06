"""Monte Carlo over a scenario's uncertain drivers and measure parameters.

The ``[uncertainty]`` table of a scenario file gives distributions (see
:class:`carbon.scenario.spec.Uncertainty`):

=================  ======================================================================
``base``           multiplier of the base-year activity of the selected columns (nominal 1)
``growth``,        shift ``delta`` of the yearly rate (nominal 0): the activity path is
``intensity``      multiplied by ``(1 + delta)^(t - t0)``
``factors``        scale ``m`` of a factor path's change from the base year (nominal 1):
                   ``f(t) = f(t0) + m (f_path(t) - f(t0))``
``measures``       a measure parameter (prefab saving, PV yield, capture rate...), drawn
                   around its value in the file
``economy``        shift of the growth of value added, as for growth
=================  ======================================================================

Vectorised across draws: the engine's state matrices (years x columns) are stacked draw by
draw into ((draws x years) x columns), each measure's ramp is tiled and its drawn parameters
repeated per year, and the measures of :mod:`carbon.scenario.measures` run once on the stack,
unchanged. Draws are processed in chunks to a memory budget; all parameters are drawn first
from one seeded generator, so the result does not depend on the chunk size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import InputError
from ..progress import progress_bar
from ..scenario.engine import State
from ..scenario.measures import prefab_saving
from ..scenario.peak import find_peak
from ..scenario.reading import problem
from ..scenario.select import closest
from ..scenario.select import mask as select
from .sources import Z95

__all__ = ["ScenarioMonteCarlo", "monte_carlo", "sample"]

#: Parameters of each measure type: (key in the compiled measure, how a draw applies, bounds).
#: "set" replaces the value; "scale" multiplies the compiled value by draw / nominal.
PARAMETERS = {
    "prefab": {"saving": ("saving", "set", (0.0, 1.0)), "share": ("share", "set", (0.0, 1.0)),
               "baseline_share": ("baseline_share", "set", (0.0, 1.0))},
    "rooftop_pv": {"mwh": ("mwh", "scale", (0.0, None)), "hours": ("mwh", "scale", (0.0, None)),
                   "capacity_mw": ("mwh", "scale", (0.0, None))},
    "efficiency": {"cut": ("cut", "set", (0.0, 1.0))},
    "fuel_switch": {"share": ("share", "set", (0.0, 1.0)), "ratio": ("ratio", "set",
                                                                     (1e-9, None))},
    "electrification": {"share": ("share", "set", (0.0, 1.0)), "ratio": ("ratio", "set",
                                                                         (1e-9, None))},
    "green_power": {"share": ("share", "set", (0.0, 1.0)), "mwh": ("mwh", "set", (0.0, None))},
    "ccus": {"capture": ("capture", "set", (0.0, 1.0))},
}
DEFAULT_MEMORY = 256 * 2 ** 20


def sample(dist, nominal: float, n: int, rng: np.random.Generator, file: str = "<scenario>",
           key: str = "uncertainty") -> np.ndarray:
    """``n`` draws of a :class:`~carbon.scenario.spec.Distribution` around ``nominal``.

    Normal: ``nominal + sd z`` (``sd = u/100 |nominal| / 1.96`` when ``u`` is given);
    uniform and triangular: between ``low`` and ``high`` (mode: ``mode`` or the nominal value);
    lognormal: ``nominal exp(sigma z)``, ``sigma = ln(factor) / 1.96`` (or ``ln(1 + u/100)``).

    >>> from carbon.scenario.spec import Distribution
    >>> draws = sample(Distribution(sd=0.0), 0.1, 3, np.random.default_rng(0))
    >>> draws.tolist()
    [0.1, 0.1, 0.1]
    """
    kind = dist.distribution
    if kind in ("normal", "lognormal") and dist.u is not None and nominal == 0:
        raise InputError([problem(file, f"{key}.u", "u is a percentage of the nominal value, "
                                  "which is 0 here", dist.u, "sd (normal) or low/high")])
    if kind == "normal":
        sd = dist.sd if dist.sd is not None else dist.u / 100.0 * abs(nominal) / Z95
        return nominal + sd * rng.standard_normal(n)
    if kind == "uniform":
        return rng.uniform(dist.low, dist.high, n)
    if kind == "triangular":
        mode = dist.mode if dist.mode is not None else nominal
        if not dist.low <= mode <= dist.high:
            raise InputError([problem(file, f"{key}.mode", "the nominal value (the mode) is "
                                      "outside low-high", mode, f"a mode between {dist.low} "
                                      f"and {dist.high}")])
        if dist.low == dist.high:
            return np.full(n, float(dist.low))
        return rng.triangular(dist.low, mode, dist.high, n)
    if nominal <= 0:
        raise InputError([problem(file, key, "a lognormal distribution needs a positive "
                                  "nominal value", nominal, "normal, uniform or triangular")])
    sigma = math.log(dist.factor if dist.factor is not None else 1 + dist.u / 100.0) / Z95
    return nominal * np.exp(sigma * rng.standard_normal(n))


@dataclass
class _Draws:
    """Every uncertain input of a scenario, drawn."""

    base: list = field(default_factory=list)  # (mask, multiplier per draw)
    rates: list = field(default_factory=list)  # (mask, delta per draw)
    paths: list = field(default_factory=list)  # (mask, scale per draw)
    measures: dict = field(default_factory=dict)  # op index -> {param: (how, values)}
    economy: np.ndarray | None = None
    inputs: list = field(default_factory=list)
    clipped: list = field(default_factory=list)


def _describe(key: str, dist, nominal: float, draws: np.ndarray) -> dict:
    given = {k: v for k, v in dist.model_dump(exclude_none=True).items()
             if k in ("distribution", "sd", "u", "low", "high", "mode", "factor")}
    low, high = np.percentile(draws, [2.5, 97.5])
    return {"key": key, **given, "nominal": float(nominal), "p2.5": float(low),
            "p97.5": float(high)}


def _draw_inputs(scenario, n: int, seed: int) -> _Draws:
    spec, file = scenario.spec, scenario.file
    unc = spec.uncertainty
    columns = scenario.engine.columns
    movable = (columns["carrier"] != "embodied").to_numpy()
    rng = np.random.default_rng(seed)
    out = _Draws()
    for i, entry in enumerate(unc.base):
        key = f"uncertainty.base[{i + 1}]"
        mask = select(columns, entry, file, key)
        values = np.maximum(sample(entry, 1.0, n, rng, file, key), 0.0)
        out.base.append((mask, values))
        out.inputs.append(_describe(key, entry, 1.0, values))
    for name in ("growth", "intensity"):
        for i, entry in enumerate(getattr(unc, name)):
            key = f"uncertainty.{name}[{i + 1}]"
            mask = select(columns, entry, file, key) & movable
            values = np.maximum(sample(entry, 0.0, n, rng, file, key), -0.99)
            out.rates.append((mask, values))
            out.inputs.append(_describe(key, entry, 0.0, values))
    for i, entry in enumerate(unc.factors):
        key = f"uncertainty.factors[{i + 1}]"
        mask = select(columns, entry, file, key)
        if not mask.any():
            raise InputError([problem(file, key, f"no {entry.carrier} emissions match",
                                      entry.carrier, "a carrier (and sector) of the scenario: "
                                      + ", ".join(sorted(set(columns["carrier"]))))])
        values = sample(entry, 1.0, n, rng, file, key)
        out.paths.append((mask, values))
        out.inputs.append(_describe(key, entry, 1.0, values))
    names = [op.name for op in scenario.ops]
    measures = [m for m in spec.measures if m.enabled]
    for i, entry in enumerate(unc.measures):
        key = f"uncertainty.measures[{i + 1}]"
        if entry.measure not in names:
            near = closest(entry.measure, names)
            raise InputError([problem(file, f"{key}.measure", "no enabled measure of that name"
                                      + (f"; closest: {near}" if near else ""), entry.measure,
                                      "the name of a measure: " + ", ".join(names))])
        k = names.index(entry.measure)
        op, measure = scenario.ops[k], measures[k]
        allowed = PARAMETERS[op.kind]
        if entry.parameter not in allowed:
            raise InputError([problem(file, f"{key}.parameter", f"not a parameter of a "
                                      f"{op.kind} measure", entry.parameter,
                                      ", ".join(allowed))])
        target, how, bounds = allowed[entry.parameter]
        nominal = _nominal(measure, entry.parameter, op)
        if nominal is None:
            raise InputError([problem(file, f"{key}.parameter", f"measure {op.name!r} does not "
                                      f"give {entry.parameter}", entry.parameter,
                                      "a parameter written in the measure")])
        if entry.range == "preset":
            if op.kind != "prefab" or entry.parameter != "saving":
                raise InputError([problem(file, f"{key}.range", "range = 'preset' is for the "
                                          "saving of a prefab measure", entry.range)])
            detail = prefab_saving(measure.saving)
            if detail["low"] is None:
                raise InputError([problem(file, f"{key}.range", "the saving is a number, not "
                                          "a preset with a range", measure.saving,
                                          "distribution = 'triangular' with low and high")])
            entry = entry.model_copy(update={"distribution": "triangular",
                                             "low": detail["low"], "high": detail["high"],
                                             "mode": detail["value"], "sd": None, "u": None})
        values = sample(entry, nominal, n, rng, file, key)
        low, high = bounds
        clipped = np.clip(values, low, high)
        if (clipped != values).any():
            out.clipped.append(f"{key}: {np.mean(clipped != values):.1%} of the draws of "
                               f"{entry.parameter} fell outside [{low}, {high or 'inf'}] and "
                               "were clipped")
        chosen = out.measures.setdefault(k, {})
        if how == "scale":  # hours and capacity_mw both scale the generation: they compose
            clipped = clipped / nominal * chosen.get(target, op.params[target])
        chosen[target] = clipped
        out.inputs.append(_describe(key, entry, nominal, values))
    if unc.economy is not None:
        if scenario.value_added is None:
            raise InputError([problem(file, "uncertainty.economy", "the scenario has no value "
                                      "added", accepted="[economy] value_added, or drop "
                                      "uncertainty.economy")])
        values = np.maximum(sample(unc.economy, 0.0, n, rng, file, "uncertainty.economy"),
                            -0.99)
        out.economy = values
        out.inputs.append(_describe("uncertainty.economy", unc.economy, 0.0, values))
    return out


def _nominal(measure, parameter: str, op) -> float | None:
    if op.kind == "rooftop_pv" and parameter == "mwh":
        return float(measure.generation)
    if op.kind == "prefab" and parameter == "saving":
        return float(op.params["saving"])
    value = getattr(measure, parameter, None)
    return None if value is None else float(value)


def _run(scenario, drawn: _Draws, start: int, stop: int) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray | None]:
    """Counted emissions and energy per draw and year of draws ``start`` to ``stop``."""
    engine = scenario.engine
    years = scenario.years
    d, n_years = stop - start, len(years)
    base = engine.baseline
    activity = np.repeat(base.activity[None], d, axis=0)
    factor = np.repeat(base.factor[None], d, axis=0)
    elapsed = (years - years[0]).astype(float)
    for mask, values in drawn.base:
        activity[:, :, mask] *= values[start:stop, None, None]
    for mask, delta in drawn.rates:
        activity[:, :, mask] *= ((1.0 + delta[start:stop, None]) ** elapsed[None, :])[:, :, None]
    for mask, scale in drawn.paths:
        first = factor[:, :1, mask]
        factor[:, 1:, mask] = first + scale[start:stop, None, None] * (factor[:, 1:, mask]
                                                                       - first)
    shape = (d * n_years, activity.shape[2])
    state = State(activity.reshape(shape), factor.reshape(shape), np.zeros(shape),
                  np.zeros(shape))
    for k, op in enumerate(scenario.ops):
        params = dict(op.params)
        for key, values in drawn.measures.get(k, {}).items():
            per_row = np.repeat(values[start:stop], n_years)
            params[key] = per_row[:, None] if key == "ratio" else per_row
        tiled = replace(op, ramp=np.tile(op.ramp, d), params=params)
        state, _ = op.apply(state, tiled, engine)
    co2e = engine.emissions(state)[:, engine.counted].sum(axis=1).reshape(d, n_years)
    tce = engine.energy(state).sum(axis=1).reshape(d, n_years)
    value_added = scenario.value_added
    if value_added is not None and drawn.economy is not None:
        growth = (1.0 + drawn.economy[start:stop, None]) ** elapsed[None, :]
        value_added = value_added[None, :] * growth
    return co2e, tce, value_added


def peaks(years: np.ndarray, totals: np.ndarray, rtol: float = 1e-9) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Peak year of each row of ``totals`` (-1: not peaked) and its highest value, as
    :func:`carbon.scenario.find_peak` finds them.

    >>> peaks(np.array([2023, 2024, 2025]), np.array([[1.0, 3.0, 2.0], [1.0, 2.0, 3.0]]))[0]
    array([2024,   -1])
    """
    highest = totals.max(axis=1)
    at_top = totals >= (highest - rtol * np.abs(highest))[:, None]
    first = at_top.argmax(axis=1)
    peaked = ~at_top[:, -1] & (totals.shape[1] > 1)
    return np.where(peaked, years[first], -1), highest


def _probability(met: np.ndarray) -> float | None:
    """Share of draws where a target is met; draws where it cannot be checked (NaN) left
    out; None when it can be checked in none."""
    known = ~np.isnan(met)
    return float(met[known].mean()) if known.any() else None


def _targets(scenario, years, co2e, tce, value_added, peak_year) -> tuple[dict, np.ndarray]:
    targets = scenario.spec.targets
    out: dict = {"peak": None, "caps": [], "intensity": []}
    checks = []

    def at(series, year):
        return series[:, int(np.searchsorted(years, year))]

    if targets.peak_by is not None:
        met = ((peak_year >= 0) & (peak_year <= targets.peak_by)).astype(float)
        checks.append(met)
        out["peak"] = {"by": targets.peak_by, "probability": _probability(met)}
    for cap in targets.caps:
        kind, limit = ("co2e", cap.co2e) if cap.co2e is not None else ("tce", cap.tce)
        value = at(co2e if kind == "co2e" else tce, cap.year)
        met = np.where(np.isnan(value), np.nan, value <= limit * (1 + 1e-12))
        checks.append(met)
        out["caps"].append({"year": cap.year, "kind": kind, "cap": limit,
                            "probability": _probability(met), "value": _percentiles(value)})
    for target in targets.intensity:
        va = value_added if value_added is not None else np.full(len(years), np.nan)
        series = (co2e if target.kind == "carbon" else tce) / va
        reference_year = (target.reference_year if target.reference_year is not None
                          else int(years[0]))
        reference = (np.full(len(series), target.reference_value)
                     if target.reference_value is not None else at(series, reference_year))
        value = at(series, target.year)
        limit = reference * (1 - target.reduction)
        met = np.where(np.isnan(value) | np.isnan(limit), np.nan, value <= limit * (1 + 1e-12))
        checks.append(met)
        out["intensity"].append({"kind": target.kind, "year": target.year,
                                 "reduction": target.reduction,
                                 "probability": _probability(met),
                                 "achieved_reduction": _percentiles(1 - value / reference)})
    if checks:
        stack = np.array(checks)
        unknown = np.isnan(stack).any(axis=0)
        all_met = np.where(unknown, np.nan, np.nan_to_num(stack).all(axis=0))
        out["all_met"] = _probability(all_met)
    else:
        out["all_met"] = None
    return out, np.array(checks)


def _percentiles(values: np.ndarray) -> dict | None:
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    low, mid, high = np.percentile(values, [2.5, 50, 97.5])
    return {"p2.5": float(low), "p50": float(mid), "p97.5": float(high)}


@dataclass
class ScenarioMonteCarlo:
    """What :func:`monte_carlo` returns.

    Attributes
    ----------
    years : ndarray of int
    totals : ndarray, shape (draws, years)
        Counted emissions of every draw [t CO2e].
    fan : dict of float to ndarray
        Percentile [%] -> emissions per year [t CO2e].
    nominal : ndarray
        The scenario as written [t CO2e].
    peak_years : ndarray of int
        Peak year of each draw, -1 where it has not peaked.
    targets : dict
        Probability that each target is met (``peak``, ``caps``, ``intensity``,
        ``all_met``).
    """

    name: str
    title: str
    years: np.ndarray
    draws: int
    seed: int
    totals: np.ndarray
    fan: dict
    mean: np.ndarray
    nominal: np.ndarray
    peak_years: np.ndarray
    peak_values: np.ndarray
    targets: dict
    inputs: list
    notes: list

    def peak_distribution(self) -> dict:
        """Share of draws per peak year ('not peaked' for the rest)."""
        years, counts = np.unique(self.peak_years, return_counts=True)
        out = {("not peaked" if y < 0 else str(int(y))): float(c / self.draws)
               for y, c in zip(years, counts, strict=True)}
        return dict(sorted(out.items(), key=lambda kv: (kv[0] == "not peaked", kv[0])))

    def to_dict(self) -> dict:
        peaked = self.peak_years >= 0
        by = self.targets["peak"]["by"] if self.targets["peak"] else None
        return {
            "draws": self.draws, "seed": self.seed, "unit": "t CO2e",
            "years": [int(y) for y in self.years],
            "percentiles": [float(p) for p in self.fan],
            "fan": {f"{p:g}": [float(v) for v in values] for p, values in self.fan.items()},
            "mean": [float(v) for v in self.mean],
            "nominal": [float(v) for v in self.nominal],
            "peak": {"probability_peaked": float(peaked.mean()),
                     "by": by,
                     "probability_by": (self.targets["peak"]["probability"]
                                        if self.targets["peak"] else None),
                     "year_distribution": self.peak_distribution(),
                     "year_median": (int(np.median(self.peak_years[peaked])) if peaked.any()
                                     else None),
                     "value": _percentiles(self.peak_values[peaked])},
            "targets": self.targets,
            "inputs": self.inputs, "notes": list(self.notes),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        fan = pd.DataFrame({"year": self.years, "nominal": self.nominal, "mean": self.mean,
                            **{f"p{p:g}": v for p, v in self.fan.items()}})
        peaks_table = pd.DataFrame([{"peak_year": k, "share": v}
                                    for k, v in self.peak_distribution().items()])
        return {"fan": fan, "peak_years": peaks_table}

    def text(self) -> str:
        from .report import number

        shown = [i for i, y in enumerate(self.years) if y == self.years[0] or y % 10 == 0
                 or y == self.years[-1]]
        lines = [f"Monte Carlo: {self.draws} draws (seed {self.seed}); t CO2e",
                 f"{'year':<26}" + "".join(f"{int(self.years[i]):>12}" for i in shown),
                 f"{'as written':<26}" + "".join(f"{number(self.nominal[i], 0):>12}"
                                                  for i in shown)]
        for p, values in self.fan.items():
            lines.append(f"{f'{p:g} %':<26}" + "".join(f"{number(values[i], 0):>12}"
                                                       for i in shown))
        d = self.to_dict()
        peak = d["peak"]
        lines.append("")
        lines.append(f"Peaked within the projection: {peak['probability_peaked']:.1%} of the "
                     "draws" + (f"; median peak year {peak['year_median']}"
                                if peak["year_median"] else ""))
        targets = self.targets
        if targets["peak"]:
            lines.append(f"P(peak by {targets['peak']['by']}) = "
                         f"{targets['peak']['probability']:.1%}")
        for c in targets["caps"]:
            p = c["probability"]
            lines.append(f"P({c['year']} cap {number(c['cap'], 0)} "
                         f"{'t CO2e' if c['kind'] == 'co2e' else 'tce'} met) = "
                         + ("not checkable" if p is None else f"{p:.1%}"))
        for t in targets["intensity"]:
            p = t["probability"]
            lines.append(f"P({t['kind']} intensity {t['year']} -{t['reduction']:.1%}) = "
                         + ("not checkable" if p is None else f"{p:.1%}"))
        if targets.get("all_met") is not None:
            lines.append(f"P(all targets met) = {targets['all_met']:.1%}")
        if self.notes:
            lines += ["Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def monte_carlo(scenario, draws: int | None = None, seed: int | None = None,
                memory: int = DEFAULT_MEMORY, chunk_draws: int | None = None,
                progress: bool | None = None) -> ScenarioMonteCarlo:
    """Draw a scenario's ``[uncertainty]`` distributions and run the engine for each draw.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario whose file has an ``[uncertainty]`` table.
    draws : int, optional
        Default: ``[uncertainty] draws`` (1000).
    seed : int, optional
        Default: ``[uncertainty] seed`` (0); None there: a fresh seed, reported.
    memory : int
        Budget for the stacked state matrices [bytes].
    chunk_draws : int, optional
        Draws per chunk (default: what ``memory`` allows).
    progress : bool, optional
        Progress bar on stderr (None: when stderr is a terminal).

    Returns
    -------
    ScenarioMonteCarlo
    """
    unc = scenario.spec.uncertainty
    if unc is None:
        raise InputError([problem(scenario.file, "uncertainty", "the scenario has no "
                                  "[uncertainty] table: nothing to draw",
                                  accepted="[[uncertainty.growth]] sector = ..., sd = 0.01; "
                                  "[[uncertainty.factors]] carrier = \"electricity\", ...; "
                                  "see parkcarbon scenario --schema")])
    n = int(draws if draws is not None else unc.draws)
    if n < 2:
        raise InputError([problem(scenario.file, "--monte-carlo", "at least 2 draws", n)])
    if seed is None:
        seed = unc.seed if unc.seed is not None else int(
            np.random.SeedSequence().entropy % 2 ** 63)
    drawn = _draw_inputs(scenario, n, int(seed))
    years = scenario.years
    per_draw = 8 * len(years) * len(scenario.engine.columns) * 8  # ~8 matrices alive
    size = chunk_draws or max(1, int(memory // per_draw))
    co2e = np.empty((n, len(years)))
    tce = np.empty((n, len(years)))
    value_added = None
    with progress_bar(n, "Monte Carlo", progress, unit="draw") as bar:
        for start in range(0, n, size):
            stop = min(n, start + size)
            c, t, va = _run(scenario, drawn, start, stop)
            co2e[start:stop], tce[start:stop] = c, t
            if va is not None and va.ndim == 2:
                value_added = np.empty((n, len(years))) if value_added is None else value_added
                value_added[start:stop] = va
            bar.update(stop - start)
    if value_added is None:
        value_added = scenario.value_added
    peak_year, highest = peaks(years, co2e)
    targets, _ = _targets(scenario, years, co2e, tce, value_added, peak_year)
    nominal = scenario.engine.final_total(scenario.ops)
    fan = {float(p): np.percentile(co2e, p, axis=0) for p in unc.percentiles}
    notes = list(drawn.clipped)
    if find_peak(years, nominal).year is not None and not (peak_year >= 0).any():
        notes.append("no draw peaks although the scenario as written does: check the spreads")
    return ScenarioMonteCarlo(
        name=scenario.name, title=scenario.title, years=years, draws=n, seed=int(seed),
        totals=co2e, fan=fan, mean=co2e.mean(axis=0), nominal=nominal, peak_years=peak_year,
        peak_values=highest, targets=targets, inputs=drawn.inputs, notes=notes)
