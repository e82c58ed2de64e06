"""Marginal abatement cost curve (MACC) of a scenario's measures.

Each measure's abatement is its wedge from the scenario engine *after the measures before it*
(the ordered wedges of :mod:`carbon.scenario.wedges`), so two measures acting on the same
emissions (efficiency, then PV, then green power on what is left of the grid electricity) are
never credited with the same tonne, and the widths add up to the scenario's total abatement.
``order='written'`` uses the order of the file; ``order='cost'`` builds the curve greedily,
cheapest first: each step adds the measure with the lowest levelised cost given the ones
already chosen (applied in that order by the engine).

Heights are levelised costs of abatement [CNY / t CO2e] (:mod:`.costs`); widths are the
abatement over the horizon [t CO2e], or in ``year`` [t CO2e/yr].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError, one_of
from ..scenario.reading import problem
from .costs import horizon_mask, levelised_cost, measure_costs

__all__ = ["MACC", "abatement", "macc"]

ORDERS = ("written", "cost")


def abatement(scenario, sequence, levels=None) -> np.ndarray:
    """Wedges of the measures applied in ``sequence`` [t CO2e/yr], shape (measures, years).

    Parameters
    ----------
    scenario : Scenario
    sequence : list of int
        Indices into ``scenario.ops``, in the order they are applied (others: not applied).
    levels : array-like, optional
        Level of each measure [0-1]: its ramp is scaled by it (default 1).
    """
    engine = scenario.engine
    state = engine.baseline
    before = engine.total(state)
    out = np.zeros((len(scenario.ops), len(scenario.years)))
    for k in sequence:
        op = scenario.ops[k]
        if levels is not None and levels[k] != 1:
            from dataclasses import replace

            op = replace(op, ramp=op.ramp * float(levels[k]))
        state, _ = op.apply(state.copy(), op, engine)
        after = engine.total(state)
        out[k] = before - after
        before = after
    return out


@dataclass
class MACC:
    """A marginal abatement cost curve: ``table`` sorted by cost per tonne (NaN last)."""

    name: str
    title: str
    table: pd.DataFrame
    order: str
    basis: str
    width_unit: str
    currency: str
    horizon: tuple[int, int]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        def clean(v):
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            if isinstance(v, np.integer):
                return int(v)
            if isinstance(v, np.bool_):
                return bool(v)
            return v

        return {"name": self.name, "title": self.title, "currency": self.currency,
                "cost_unit": f"{self.currency} / t CO2e", "order": self.order,
                "basis": self.basis, "width_unit": self.width_unit,
                "horizon": list(self.horizon),
                "measures": [{k: clean(v) for k, v in row.items()}
                             for row in self.table.to_dict("records")],
                "total_abatement": clean(float(self.table["abatement"].clip(lower=0).sum())),
                "notes": list(self.notes)}

    def text(self) -> str:
        from ..uncertainty.report import number

        lines = [f"Marginal abatement cost curve: {self.title}",
                 f"Costs levelised over {self.horizon[0]}-{self.horizon[1]} "
                 f"({self.currency} / t CO2e); abatement: {self.basis}; measures "
                 + ("in the order written" if self.order == "written" else "cheapest first"),
                 "", f"{'':>3} {'measure':<34}{'cost/t':>10}{'abatement':>14}"
                 f"{'cumulative':>14}{'annual cost':>16}"]
        for r in self.table.itertuples():
            cost = "-" if not math.isfinite(r.cost_per_t) else number(r.cost_per_t, 0)
            lines.append(f"{r.rank:>3} {r.measure:<34}{cost:>10}{number(r.abatement, 0):>14}"
                         f"{number(r.x_end, 0):>14}{number(r.annual_cost, 0):>16}")
        lines.append(f"    abatement unit: {self.width_unit}; annual cost at full size = "
                     "capex x CRF + opex - savings")
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def macc(scenario, year: int | None = None, order: str | None = None) -> MACC:
    """The marginal abatement cost curve of a scenario's measures.

    Parameters
    ----------
    scenario : Scenario
        Every enabled measure must carry cost data (capex with lifetime, opex, savings).
    year : int, optional
        Widths are the abatement of this year [t CO2e/yr]; default ``[costs] macc_year``, else
        the cumulative abatement over the horizon [t CO2e].
    order : {'written', 'cost'}, optional
        Default ``[costs] macc_order`` ('written').

    Returns
    -------
    MACC
    """
    spec = scenario.spec
    order = order or spec.costs.macc_order
    if order not in ORDERS:
        raise ParameterError("order", "macc", one_of(ORDERS), order)
    costs = measure_costs(scenario)
    if not costs:
        raise InputError([problem(scenario.file, "measures", "the scenario has no enabled "
                                  "measure", accepted="[[measures]] with cost data")])
    years = scenario.years
    base_year = int(years[0])
    counted = horizon_mask(scenario)
    year = year if year is not None else spec.costs.macc_year
    if year is not None and not base_year < year <= years[-1]:
        raise InputError([problem(scenario.file, "costs.macc_year", "outside the projection",
                                  year, f"a year from {base_year + 1} to {years[-1]}")])
    n = len(costs)

    def evaluate(k: int, wedge: np.ndarray) -> tuple[float, float, float]:
        c = costs[k]
        stream = c.stream(scenario.ops[k].ramp)
        return levelised_cost(stream[counted], wedge[counted], years[counted], base_year,
                              c.rate)

    if order == "written":
        sequence = list(range(n))
        wedges = abatement(scenario, sequence)
    else:
        sequence, wedges = _cheapest_first(scenario, evaluate)
    rows = []
    for k in range(n):
        c = costs[k]
        money, tonnes, ratio = evaluate(k, wedges[k])
        width = (float(wedges[k][int(np.searchsorted(years, year))]) if year is not None
                 else float(wedges[k][counted].sum()))
        rows.append({"measure": c.name, "type": c.kind, "order": k + 1,
                     "applied": sequence.index(k) + 1, "capex": c.capex, "opex": c.opex,
                     "savings": c.savings, "lifetime": c.lifetime, "discount_rate": c.rate,
                     "crf": c.crf, "annual_cost": c.annual, "discounted_cost": money,
                     "discounted_abatement": tonnes, "cost_per_t": ratio, "abatement": width})
    table = pd.DataFrame(rows)
    table["_nan"] = table["cost_per_t"].isna()
    table = table.sort_values(["_nan", "cost_per_t", "order"], kind="stable").drop(
        columns="_nan").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, n + 1))
    positive = table["abatement"].clip(lower=0.0)
    table["x_end"] = positive.cumsum()
    table["x_start"] = table["x_end"] - positive
    notes = []
    for r in table[table["cost_per_t"].isna()].itertuples():
        notes.append(f"{r.measure} abates nothing over the horizon (or raises emissions): no "
                     "cost per tonne; drawn at the end with no width")
    horizon = (int(years[counted][0]), int(years[counted][-1]))
    basis = (f"abatement in {year}" if year is not None
             else f"cumulative abatement {horizon[0]}-{horizon[1]}")
    unit = "t CO2e/yr" if year is not None else "t CO2e"
    notes.append("costs included: capex annualised with the capital recovery factor (renewed "
                 "at the end of its lifetime), opex, and the savings the file gives; not "
                 "included: energy prices the file does not give, carbon prices, taxes, "
                 "subsidies")
    return MACC(name=scenario.name, title=scenario.title, table=table, order=order,
                basis=basis, width_unit=unit, currency=spec.costs.currency, horizon=horizon,
                notes=notes)


def _cheapest_first(scenario, evaluate) -> tuple[list[int], np.ndarray]:
    """Greedy order: each step adds the measure with the lowest levelised cost given the
    measures already added (applied before it)."""
    n = len(scenario.ops)
    chosen: list[int] = []
    wedges = np.zeros((n, len(scenario.years)))
    while len(chosen) < n:
        best, best_cost, best_wedge = None, math.inf, None
        for k in range(n):
            if k in chosen:
                continue
            wedge = abatement(scenario, [*chosen, k])[k]
            ratio = evaluate(k, wedge)[2]
            key = ratio if math.isfinite(ratio) else math.inf
            if best is None or key < best_cost:
                best, best_cost, best_wedge = k, key, wedge
        chosen.append(best)
        wedges[best] = best_wedge
    return chosen, wedges
