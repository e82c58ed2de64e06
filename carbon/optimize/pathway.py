"""Least-cost pathway: the measure levels that meet a scenario's targets at the least
discounted cost (``scipy.optimize.milp``, HiGHS).

Decision variables: the level ``x_i`` of each measure, a fraction of its size as written
(``min_level <= x_i <= max_level``; a ``binary`` measure is adopted at ``max_level`` or not at
all). Objective: ``sum_i x_i C_i``, ``C_i`` the measure's discounted cost at full size over the
horizon (:mod:`.costs`, each measure at its own discount rate).

Linearisation. Emissions and energy are taken as linear in the levels::

    E(t) = E_0(t) - sum_i a_i(t) x_i           (t CO2e)
    G(t) = G_0(t) - sum_i b_i(t) x_i           (tce)

with ``a_i`` the secant of the scenario engine for measure ``i`` (emissions with it at level 0
minus at level 1, the other measures held at reference levels, first their highest allowed
level), and ``E_0`` chosen so that the model is exact at the reference. That is exact at the
reference, along each measure alone, and everywhere when the measures act on different
emissions; where they act on the same ones abatement is not additive (a fuel switched to
electricity leaves more electricity for green power to cover; less efficiency leaves more for
CCUS to capture). So the levels found are checked by re-running the engine, and the problem is
linearised again around them and solved again until the engine finds the targets met
(``[optimize] max_iterations``); a target still missed at unchanged levels is tightened by the
miss.

Targets (``[targets]``, those named in ``[optimize] targets``):

* a cap in year ``Y``: ``E(Y) <= cap`` (or ``G(Y) <= cap``);
* an intensity cut: ``E(Y)/VA(Y) <= (1 - r) E(R)/VA(R)``, linear in ``x`` and written in
  t CO2e (tce) of year ``Y``;
* peak by ``P``: some year ``s <= P`` is above every later year, ``E(t) <= E(s) - eps`` for all
  ``t > P``: one binary ``z_s`` per candidate year, ``sum z_s = 1``, big-M rows;
* ``[optimize] budget``: ``sum_i capex_i x_i <= budget``.

Which constraints bind: slacks from the solution, and duals (HiGHS marginals) from the linear
program with the binary choices fixed at the optimum: the ``shadow_price`` of a target is the
extra least cost of tightening it by one unit [CNY per t CO2e, per tce or per CNY of budget].
An infeasible problem is solved again with an elastic slack on every target, minimising the
total shortfall: the report says how many t CO2e (tce) each target lacks and in which year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from ..errors import InputError
from ..scenario.peak import find_peak
from ..scenario.reading import problem
from ..scenario.targets import check_targets
from .costs import discount_factors, horizon_mask, measure_costs

__all__ = ["Pathway", "least_cost"]

_TOL = 1e-6


@dataclass
class _Row:
    """One linear constraint ``coef . x + zcoef . z <= rhs``."""

    name: str
    kind: str  # cap, intensity, peak, budget
    year: int | None
    unit: str
    coef: np.ndarray
    rhs: float
    group: str  # elastic slack group ('' for none)
    zcoef: np.ndarray | None = None
    candidate: int | None = None  # peak rows: the candidate peak year


@dataclass
class Pathway:
    """What :func:`least_cost` returns."""

    name: str
    title: str
    status: str  # optimal, infeasible
    levels: pd.DataFrame
    constraints: pd.DataFrame
    cost: float | None
    capex: float | None
    budget: float | None
    currency: str
    emissions: np.ndarray | None
    check: dict
    iterations: int
    shortfall: list
    budget_needed: float | None
    horizon: tuple[int, int]
    notes: list[str] = field(default_factory=list)
    cap_points: list = field(default_factory=list)

    def to_dict(self) -> dict:
        def clean(v):
            if isinstance(v, dict):
                return {str(k): clean(x) for k, x in v.items()}
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            if isinstance(v, bool | np.bool_):
                return bool(v)
            if isinstance(v, int | np.integer):
                return int(v)
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            return v

        return clean({
            "status": self.status, "currency": self.currency,
            "objective": f"least discounted cost of the measures over {self.horizon[0]}-"
                         f"{self.horizon[1]} ({self.currency}; each measure at its own "
                         "discount rate)",
            "cost": self.cost, "capex": self.capex, "budget": self.budget,
            "levels": self.levels.to_dict("records"),
            "constraints": self.constraints.to_dict("records"),
            "binding": [r["name"] for r in self.constraints.to_dict("records")
                        if r["binding"]],
            "check": self.check, "iterations": self.iterations,
            "shortfall": self.shortfall, "budget_needed": self.budget_needed,
            "emissions": None if self.emissions is None else list(self.emissions),
            "notes": list(self.notes)})

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"optimum": self.levels, "constraints": self.constraints}

    def text(self) -> str:
        from ..uncertainty.report import number

        lines = [f"Least-cost pathway: {self.status}"]
        if self.cost is not None:
            lines.append(f"Discounted cost {number(self.cost, 0)} {self.currency} "
                         f"({self.horizon[0]}-{self.horizon[1]}); capex {number(self.capex, 0)}"
                         + (f" of a budget of {number(self.budget, 0)}"
                            if self.budget is not None else ""))
        lines += ["", f"  {'measure':<34}{'level':>8}{'capex':>16}{'discounted cost':>18}"]
        for r in self.levels.itertuples():
            lines.append(f"  {r.measure:<34}{r.level:>8.2f}{number(r.capex_used, 0):>16}"
                         f"{number(r.discounted_cost, 0):>18}"
                         + ("  (all or nothing)" if r.binary else ""))
        binding = self.constraints[self.constraints["binding"]]
        if len(binding):
            lines += ["", "Binding constraints (shadow price: extra least cost per unit "
                      "tightened):"]
            for r in binding.itertuples():
                price = ("-" if r.shadow_price is None or not math.isfinite(r.shadow_price)
                         else f"{number(r.shadow_price, 1)} {self.currency}/{r.unit}")
                lines.append(f"  {r.name:<46}{price:>28}")
        if self.check:
            met = self.check.get("all_met")
            lines += ["", f"Engine check at these levels: peak {self.check.get('peak_year')}, "
                      f"targets {'met' if met else 'NOT all met' if met is False else '-'} "
                      f"(after {self.iterations} solve(s))"]
        for s in self.shortfall:
            lines.append(f"  short: {s['text']}")
        if self.budget_needed is not None:
            lines.append(f"  a capex budget of at least {number(self.budget_needed, 0)} "
                         f"{self.currency} would meet the targets")
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


class _Linear:
    """The linear model of a scenario around reference levels: emissions and energy at the
    reference, each measure's secant abatement, costs and capex per measure."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.years = scenario.years
        self.costs = measure_costs(scenario)
        counted = horizon_mask(scenario)
        self.horizon = (int(self.years[counted][0]), int(self.years[counted][-1]))
        base_year = int(self.years[0])
        self.c = np.array([float(np.sum(c.stream(op.ramp)[counted] * discount_factors(
            self.years[counted], base_year, c.rate))) for c, op in zip(self.costs, scenario.ops,
                                                                        strict=True)])
        self.capex = np.array([c.capex for c in self.costs])
        # A binary measure's variable is adoption y: level = y x max_level.
        self.scale = np.array([c.max_level if c.binary else 1.0 for c in self.costs])
        self.value_added = scenario.value_added
        self.linearise(np.array([c.max_level for c in self.costs]))

    def linearise(self, reference: np.ndarray) -> None:
        """Secants at ``reference`` levels: ``a_i`` = emissions with measure ``i`` at level 0
        minus at level 1, the others at the reference [t CO2e per unit level]; ``e0`` the
        emissions the model gives with every level 0, so that ``e0 - a . x`` is exact at the
        reference and along each measure alone (same for energy: ``g0``, ``b``)."""
        n = len(self.costs)
        self.reference = np.asarray(reference, dtype=float)
        e_ref, g_ref = self.run(self.reference)
        self.a = np.zeros((n, len(self.years)))
        self.b = np.zeros((n, len(self.years)))
        for i in range(n):
            low, high = self.reference.copy(), self.reference.copy()
            low[i], high[i] = 0.0, 1.0
            (e_low, g_low), (e_high, g_high) = self.run(low), self.run(high)
            self.a[i], self.b[i] = e_low - e_high, g_low - g_high
        self.e0 = e_ref + self.reference @ self.a
        self.g0 = g_ref + self.reference @ self.b

    def at(self, year: int) -> int:
        return int(np.searchsorted(self.years, year))

    def levels(self, x: np.ndarray) -> np.ndarray:
        return x * self.scale

    def run(self, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Engine emissions [t CO2e] and energy [tce] per year with measures at ``levels``."""
        engine = self.scenario.engine
        state = engine.baseline
        for op, level in zip(self.scenario.ops, levels, strict=True):
            if level <= 0:
                continue
            scaled = replace(op, ramp=op.ramp * float(level)) if level != 1 else op
            state, _ = scaled.apply(state.copy(), scaled, engine)
        return engine.total(state), engine.energy(state).sum(axis=1)


def _targets(scenario):
    """The scenario's targets, restricted to ``[optimize] targets``."""
    spec = scenario.spec
    chosen = set(spec.optimize.targets)
    t = spec.targets
    return t.model_copy(update={
        "peak_by": t.peak_by if "peak" in chosen else None,
        "caps": list(t.caps) if "caps" in chosen else [],
        "intensity": list(t.intensity) if "intensity" in chosen else []})


def _rows(model: _Linear, targets, tighten: dict, notes: list[str]) -> list[_Row]:
    years, n = model.years, len(model.costs)
    s = model.scale
    rows: list[_Row] = []
    for cap in targets.caps:
        i = model.at(cap.year)
        if cap.co2e is not None:
            name = f"cap {cap.year}: at most {cap.co2e:,.0f} t CO2e".replace(",", " ")
            rows.append(_Row(name, "cap", cap.year, "t CO2e", -model.a[:, i] * s,
                             cap.co2e - model.e0[i] - tighten.get(name, 0.0), name))
        else:
            name = f"cap {cap.year}: at most {cap.tce:,.0f} tce".replace(",", " ")
            if not np.isfinite(model.g0[i]) or not np.isfinite(model.b[:, i]).all():
                notes.append(f"{name}: energy use is not known (sector totals without tce): "
                             "left out")
                continue
            rows.append(_Row(name, "cap", cap.year, "tce", -model.b[:, i] * s,
                             cap.tce - model.g0[i] - tighten.get(name, 0.0), name))
    va = model.value_added
    for t in targets.intensity:
        name = f"{t.kind} intensity {t.year}: -{t.reduction:.1%}"
        base, wedge, unit = ((model.e0, model.a, "t CO2e") if t.kind == "carbon"
                             else (model.g0, model.b, "tce"))
        y = model.at(t.year)
        if va is None or not np.isfinite(va[y]) or not np.isfinite(base[y]):
            notes.append(f"{name}: not checkable (value added or energy unknown): left out")
            continue
        keep = 1.0 - t.reduction
        if t.reference_value is not None:
            coef = -wedge[:, y]
            rhs = keep * t.reference_value * va[y] - base[y]
        else:
            r = model.at(t.reference_year if t.reference_year is not None else int(years[0]))
            ratio = va[y] / va[r]
            coef = -wedge[:, y] + keep * ratio * wedge[:, r]
            rhs = keep * ratio * base[r] - base[y]
        rows.append(_Row(name, "intensity", t.year, unit, coef * s, rhs - tighten.get(name, 0.0),
                         name))
    if targets.peak_by is not None:
        rows += _peak_rows(model, targets.peak_by, tighten.get("peak", 0.0))
    budget = model.scenario.spec.optimize.budget
    if budget is not None:
        rows.append(_Row("capex budget", "budget", None, model.scenario.spec.costs.currency,
                         model.capex * s, float(budget), ""))
    del n
    return rows


def _peak_rows(model: _Linear, by: int, margin: float) -> list[_Row]:
    years = model.years
    if by < years[0]:
        raise InputError([problem(model.scenario.file, "targets.peak_by", "before the base "
                                  "year", by, f"a year from {years[0]}")])
    if by >= years[-1]:
        tail = [len(years) - 1]
        candidates = list(range(len(years) - 1))
    else:
        tail = [i for i, y in enumerate(years) if y > by]
        candidates = [i for i, y in enumerate(years) if y <= by]
    s = model.scale
    reach = np.abs(model.a).sum(axis=0)
    big = float((model.e0 + reach).max() - (model.e0 - reach).min()) * 1.01 + 1.0
    eps = _TOL * float(np.abs(model.e0).max()) + margin
    rows = []
    for j, c in enumerate(candidates):
        for t in tail:
            z = np.zeros(len(candidates))
            z[j] = big
            name = f"peak by {by}: {years[t]} below {years[c]}"
            rows.append(_Row(name, "peak", int(years[t]), "t CO2e",
                             (-model.a[:, t] + model.a[:, c]) * s,
                             big - eps - model.e0[t] + model.e0[c], f"peak {years[t]}", z,
                             int(years[c])))
    return rows


def _spaced(value: float) -> str:
    """``12 345``: thousands separated by spaces."""
    return f"{value:,.0f}".replace(",", " ")


def _matrices(rows: list[_Row], n: int, m: int, slack_groups: list[str] | None = None):
    k = len(slack_groups) if slack_groups else 0
    a = np.zeros((len(rows), n + m + k))
    rhs = np.array([r.rhs for r in rows])
    for i, r in enumerate(rows):
        a[i, :n] = r.coef
        if r.zcoef is not None:
            a[i, n:n + m] = r.zcoef
        if slack_groups and r.group in slack_groups:
            a[i, n + m + slack_groups.index(r.group)] = -1.0
    return a, rhs


def _bounds(model: _Linear) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    low, high, integral = [], [], []
    for c in model.costs:
        if c.binary:
            low.append(1.0 if c.min_level > 0 else 0.0)
            high.append(1.0 if c.max_level > 0 else 0.0)
            integral.append(1)
        else:
            low.append(c.min_level)
            high.append(c.max_level)
            integral.append(0)
    return np.array(low), np.array(high), np.array(integral)


def _solve(model: _Linear, rows: list[_Row], objective: np.ndarray | None = None,
           elastic: bool = False, drop_budget: bool = False):
    """Solve the MILP; returns (scipy result, m candidates, slack groups, rows used)."""
    if drop_budget:
        rows = [r for r in rows if r.kind != "budget"]
    n = len(model.costs)
    m = max((len(r.zcoef) for r in rows if r.zcoef is not None), default=0)
    groups = sorted({r.group for r in rows if r.group}) if elastic else []
    a, rhs = _matrices(rows, n, m, groups)
    low, high, integral = _bounds(model)
    lower = np.concatenate([low, np.zeros(m), np.zeros(len(groups))])
    upper = np.concatenate([high, np.ones(m), np.full(len(groups), np.inf)])
    kinds = np.concatenate([integral, np.ones(m), np.zeros(len(groups))])
    if objective is None:
        objective = model.c * model.scale
    cost = np.concatenate([objective, np.zeros(m), np.zeros(len(groups))])
    if elastic:
        cost = np.concatenate([np.zeros(n + m), np.ones(len(groups))])
    constraints = []
    if len(rows):
        constraints.append(LinearConstraint(a, -np.inf, rhs))
    if m:
        eq = np.zeros((1, n + m + len(groups)))
        eq[0, n:n + m] = 1.0
        constraints.append(LinearConstraint(eq, 1.0, 1.0))
    result = milp(cost, constraints=constraints, integrality=kinds,
                  bounds=Bounds(lower, upper), options={"mip_rel_gap": 1e-9})
    return result, m, groups, rows


def _duals(model: _Linear, rows: list[_Row], solution: np.ndarray, m: int) -> np.ndarray:
    """Marginals of the rows in the linear program with the integer choices fixed."""
    n = len(model.costs)
    low, high, integral = _bounds(model)
    fixed = np.concatenate([integral, np.ones(m)]).astype(bool)
    value = np.round(solution[:n + m])
    lower = np.concatenate([low, np.zeros(m)])
    upper = np.concatenate([high, np.ones(m)])
    lower[fixed], upper[fixed] = value[fixed], value[fixed]
    a, rhs = _matrices(rows, n, m)
    result = linprog(np.concatenate([model.c * model.scale, np.zeros(m)]), A_ub=a, b_ub=rhs,
                     bounds=list(zip(lower, upper, strict=True)), method="highs")
    if result.status != 0:
        return np.full(len(rows), np.nan)
    return np.asarray(result.ineqlin.marginals)


def _constraint_table(rows, a_x: np.ndarray, duals: np.ndarray, solution: np.ndarray,
                      n: int, m: int) -> pd.DataFrame:
    records = []
    chosen = None
    if m:
        chosen = int(np.argmax(solution[n:n + m]))
    for i, r in enumerate(rows):
        if r.kind == "peak" and r.zcoef is not None and chosen is not None \
                and r.zcoef[chosen] == 0:
            continue  # a candidate peak year not chosen: its rows are switched off
        lhs = float(a_x[i])
        rhs = r.rhs
        if r.kind == "peak":  # report as E(t) - E(s) <= -eps with the big M taken out
            big = float(r.zcoef[chosen])
            lhs, rhs = lhs - big, rhs - big
        slack = rhs - lhs
        scale = max(1.0, abs(rhs))
        binding = bool(slack <= 1e-6 * scale + 1e-6)
        records.append({"name": r.name, "kind": r.kind, "year": r.year, "unit": r.unit,
                        "limit": rhs, "value": lhs, "slack": slack, "binding": binding,
                        "shadow_price": float(-duals[i]) if np.isfinite(duals[i]) else None})
    return pd.DataFrame(records, columns=["name", "kind", "year", "unit", "limit", "value",
                                          "slack", "binding", "shadow_price"])


def _violations(model: _Linear, targets, emissions, energy) -> tuple[dict, dict]:
    """The engine check at some levels, and by how much each missed target was missed."""
    years = model.years
    peak = find_peak(years, emissions)
    checked = check_targets(targets, years, emissions, energy, model.value_added, peak)
    miss: dict[str, float] = {}
    for cap, c in zip(targets.caps, checked["caps"], strict=True):
        if c["met"] is False:
            unit = "t CO2e" if c["kind"] == "co2e" else "tce"
            limit = f"{c['cap']:,.0f}".replace(",", " ")
            miss[f"cap {cap.year}: at most {limit} {unit}"] = c["value"] - c["cap"]
    va = model.value_added
    for t, c in zip(targets.intensity, checked["intensity"], strict=True):
        if c["met"] is False:
            limit = c["reference"] * (1 - c["reduction"])
            miss[f"{t.kind} intensity {t.year}: -{t.reduction:.1%}"] = (
                (c["value"] - limit) * va[model.at(t.year)])
    if checked["peak"] is not None and not checked["peak"]["met"]:
        by = targets.peak_by
        after = emissions[years > by] if by < years[-1] else emissions[-1:]
        before = emissions[years <= by] if by < years[-1] else emissions[:-1]
        miss["peak"] = float(after.max() - before.max()) + _TOL * float(np.abs(emissions).max())
    return checked, miss


def least_cost(scenario) -> Pathway:
    """The least-cost levels of a scenario's measures that meet its targets.

    Parameters
    ----------
    scenario : Scenario
        Every enabled measure carries cost data; ``[targets]`` gives at least one target
        (``[optimize] targets`` chooses which); ``[optimize] budget`` limits capex.

    Returns
    -------
    Pathway
    """
    model = _Linear(scenario)
    targets = _targets(scenario)
    if targets.peak_by is None and not targets.caps and not targets.intensity:
        raise InputError([problem(scenario.file, "targets", "no target to meet",
                                  accepted="[targets] peak_by, [[targets.caps]] or "
                                  "[[targets.intensity]], named in [optimize] targets")])
    n = len(model.costs)
    spec = scenario.spec
    currency = spec.costs.currency
    notes = ["abatement is linearised: each measure's abatement is linear in its level (the "
             "engine's secant between its level 0 and 1, the others held at a reference: first "
             "every measure at its highest level, then the levels found). Measures acting on "
             "the same emissions interact (abatement is not additive), so the levels found are "
             "checked by re-running the engine, and the problem is solved again around them "
             "until the engine finds the targets met"]
    tighten: dict[str, float] = {}
    iterations = 0
    result = rows = None
    m = 0
    checked: dict = {}
    emissions = energy = None
    last = None  # the last solve that had a solution: (result, m, rows, checked, emissions)
    for iterations in range(1, spec.optimize.max_iterations + 1):
        row_notes: list[str] = []
        rows = _rows(model, targets, tighten, row_notes)
        result, m, _, rows = _solve(model, rows)
        if result.status != 0 or result.x is None:
            if last is not None:
                notes.append(f"solve {iterations}, around the levels of solve "
                             f"{iterations - 1}, has no solution: the levels of solve "
                             f"{iterations - 1} are shown")
            break
        levels = model.levels(result.x[:n])
        emissions, energy = model.run(levels)
        checked, miss = _violations(model, targets, emissions, energy)
        last = (result, m, rows, checked, emissions)
        if not miss:
            break
        # Solve again around these levels (the model is exact there); if the levels do not
        # move, the miss comes from the interactions left: tighten the targets missed by it.
        previous = model.reference
        model.linearise(levels)
        if np.allclose(previous, levels, atol=1e-9):
            for key, amount in miss.items():
                tighten[key] = tighten.get(key, 0.0) + max(amount, 0.0) * 1.0001 + 1e-6
    if last is not None:
        result, m, rows, checked, emissions = last
    notes += row_notes
    horizon = model.horizon
    budget = spec.optimize.budget
    if last is None:
        return _infeasible(scenario, model, targets, rows, tighten, notes, iterations,
                           currency, budget)
    x = result.x
    levels = model.levels(x[:n])
    a_x = _matrices(rows, n, m)[0] @ x[:n + m]
    duals = _duals(model, rows, x, m)
    constraints = _constraint_table(rows, a_x, duals, x, n, m)
    levels_table = _levels_table(model, levels)
    if checked.get("all_met") is False:
        notes.append(f"after {iterations} solve(s) the engine still finds a target missed: "
                     "raise [optimize] max_iterations, or check the interactions of the "
                     "measures")
    peak = find_peak(model.years, emissions)
    return Pathway(
        name=scenario.name, title=scenario.title, status="optimal", levels=levels_table,
        constraints=constraints, cost=float(model.c @ levels),
        capex=float(model.capex @ levels), budget=budget, currency=currency,
        emissions=emissions, check={"peak_year": peak.year, "targets": checked,
                                    "all_met": checked.get("all_met")},
        iterations=iterations, shortfall=[], budget_needed=None, horizon=horizon, notes=notes,
        cap_points=[(c.year, c.co2e) for c in targets.caps if c.co2e is not None])


def _levels_table(model: _Linear, levels: np.ndarray | None) -> pd.DataFrame:
    levels = np.zeros(len(model.costs)) if levels is None else levels
    return pd.DataFrame([{
        "measure": c.name, "type": c.kind, "level": float(level), "adopted": bool(level > _TOL),
        "binary": c.binary, "min_level": c.min_level, "max_level": c.max_level,
        "capex_used": c.capex * float(level), "discounted_cost": float(model.c[k] * level),
        "discounted_cost_full": float(model.c[k])}
        for k, (c, level) in enumerate(zip(model.costs, levels, strict=True))])


def _infeasible(scenario, model: _Linear, targets, rows, tighten, notes, iterations, currency,
                budget) -> Pathway:
    """Minimise the total shortfall of the targets (elastic slacks) and say what is lacking."""
    n = len(model.costs)
    result, m, groups, rows = _solve(model, rows, elastic=True)
    shortfall = []
    levels = None
    emissions = None
    if result.x is not None:
        x = result.x
        slack = x[n + m:]
        levels = model.levels(x[:n])
        emissions, _ = model.run(levels)
        for group, amount in zip(groups, slack, strict=True):
            if amount <= 1e-6 * max(1.0, float(np.abs(model.e0).max())):
                continue
            unit = next(r.unit for r in rows if r.group == group)
            year = next(r.year for r in rows if r.group == group)
            shortfall.append({"target": group, "year": year, "shortfall": float(amount),
                              "unit": unit, "text": f"{group}: {_spaced(amount)} {unit} more "
                              f"abatement needed in {year}"})
        peak = [s for s in shortfall if s["target"].startswith("peak ")]
        if peak:
            worst = max(peak, key=lambda s: s["shortfall"])
            shortfall = [s for s in shortfall if not s["target"].startswith("peak ")]
            shortfall.append({**worst, "target": f"peak by {targets.peak_by}",
                              "text": f"peak by {targets.peak_by}: emissions after it stay "
                              f"above the peak; the binding year is {worst['year']}, which "
                              f"needs {_spaced(worst['shortfall'])} t CO2e more abatement"})
    needed = None
    if budget is not None:
        free, _, _, _ = _solve(model, rows, objective=model.capex * model.scale,
                               drop_budget=True)
        if free.status == 0 and free.x is not None:
            needed = float(model.capex @ model.levels(free.x[:n]))
    notes.append("no levels meet every target within the limits: the levels shown minimise "
                 "the total shortfall (in t CO2e, or tce for energy targets)")
    return Pathway(
        name=scenario.name, title=scenario.title, status="infeasible",
        levels=_levels_table(model, levels), constraints=pd.DataFrame(
            columns=["name", "kind", "year", "unit", "limit", "value", "slack", "binding",
                     "shadow_price"]),
        cost=None if levels is None else float(model.c @ levels),
        capex=None if levels is None else float(model.capex @ levels), budget=budget,
        currency=currency, emissions=emissions, check={}, iterations=iterations,
        shortfall=shortfall, budget_needed=needed, horizon=model.horizon, notes=notes,
        cap_points=[(c.year, c.co2e) for c in targets.caps if c.co2e is not None])
