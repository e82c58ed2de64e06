"""Levelised cost of abatement: annualised capital, operation and savings per t CO2e.

What a measure costs in year ``t`` at its ramp ``r(t)`` (the fraction of its full size
deployed) is::

    cost(t) = (capex x CRF(i, n) + opex - savings) x r(t)        [CNY/yr]

with the capital recovery factor ``CRF(i, n) = i (1 + i)^n / ((1 + i)^n - 1)`` (``1/n`` at
``i = 0``): capex is charged as an annuity for as long as the measure is deployed, which is the
same as re-investing at the end of its lifetime. Included: capex, fixed opex, and ``savings``
when the file gives them (energy not bought, avoided fees). Not included: energy price changes
the file does not give, carbon prices, taxes and subsidies, salvage value beyond the horizon.

The levelised cost of abatement of a measure is the ratio of discounted costs to discounted
abatement over the horizon (base year + 1 to the horizon)::

    LCOA = sum_t cost(t) / (1 + i)^(t - t0)  /  sum_t a(t) / (1 + i)^(t - t0)   [CNY / t CO2e]

with ``a(t)`` its wedge [t CO2e/yr] from the scenario engine. With a constant wedge and a
step ramp it is simply ``(capex CRF + opex - savings) / a``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..scenario.reading import problem

__all__ = ["MeasureCost", "crf", "discount_factors", "levelised_cost", "measure_costs"]


def crf(rate: float, lifetime: float) -> float:
    """Capital recovery factor [1/yr]: the annuity that repays 1 over ``lifetime`` years.

    Parameters
    ----------
    rate : float
        Discount rate [fraction/yr].
    lifetime : float
        Economic lifetime [yr].

    Examples
    --------
    >>> round(crf(0.05, 10), 6)   # 1 000 000 CNY over 10 years at 5 %: 129 504.57 CNY/yr
    0.129505
    >>> crf(0.0, 20)
    0.05
    """
    if rate == 0:
        return 1.0 / lifetime
    growth = (1.0 + rate) ** lifetime
    return rate * growth / (growth - 1.0)


def discount_factors(years, base_year: int, rate: float) -> np.ndarray:
    """``(1 + rate)^-(year - base_year)`` [1].

    >>> discount_factors([2023, 2024], 2023, 0.1).round(4).tolist()
    [1.0, 0.9091]
    """
    return (1.0 + rate) ** -(np.asarray(years, dtype=float) - base_year)


@dataclass(frozen=True)
class MeasureCost:
    """The cost data of one measure, as written, with its annual cost at full size.

    ``annual`` = capex x CRF + opex - savings [CNY/yr].
    """

    name: str
    kind: str
    capex: float
    opex: float
    savings: float
    lifetime: float | None
    rate: float
    binary: bool
    min_level: float
    max_level: float

    @property
    def crf(self) -> float:
        return crf(self.rate, self.lifetime) if self.capex and self.lifetime else 0.0

    @property
    def annual(self) -> float:
        return self.capex * self.crf + self.opex - self.savings

    def stream(self, ramp: np.ndarray) -> np.ndarray:
        """Cost per year at the measure's ramp [CNY/yr]."""
        return self.annual * np.asarray(ramp, dtype=float)


def measure_costs(scenario, required: bool = True) -> list[MeasureCost]:
    """Cost data of the scenario's enabled measures, in the order written.

    Raises
    ------
    InputError
        Naming every enabled measure without cost data (when ``required``).
    """
    spec = scenario.spec
    default_rate = spec.costs.discount_rate
    enabled = [(i, m) for i, m in enumerate(spec.measures) if m.enabled]
    missing = [(i, m) for i, m in enabled if not m.has_costs]
    if required and missing:
        raise InputError([problem(scenario.file, f"measures[{i + 1}]", f"measure "
                                  f"{m.label!r} has no cost data",
                                  accepted="capex [CNY] with lifetime [yr], opex [CNY/yr], "
                                  "savings [CNY/yr], discount_rate") for i, m in missing])
    out = []
    for (_, m), op in zip(enabled, scenario.ops, strict=True):
        out.append(MeasureCost(
            name=op.name, kind=op.kind, capex=float(m.capex or 0.0), opex=float(m.opex or 0.0),
            savings=float(m.savings or 0.0), lifetime=m.lifetime,
            rate=float(m.discount_rate if m.discount_rate is not None else default_rate),
            binary=bool(m.binary), min_level=float(m.min_level),
            max_level=float(m.max_level)))
    return out


def horizon_mask(scenario) -> np.ndarray:
    """Years counted in discounted sums: after the base year, up to ``[costs] horizon``."""
    years = scenario.years
    last = scenario.spec.costs.horizon or int(years[-1])
    if not years[0] < last <= years[-1]:
        raise InputError([problem(scenario.file, "costs.horizon", "outside the projection",
                                  last, f"a year from {years[0] + 1} to {years[-1]}")])
    return (years > years[0]) & (years <= last)


def levelised_cost(cost: np.ndarray, abatement: np.ndarray, years, base_year: int,
                   rate: float) -> tuple[float, float, float]:
    """Discounted cost [CNY], discounted abatement [t CO2e] and their ratio [CNY/t CO2e].

    The ratio is NaN when the discounted abatement is not positive (a measure that abates
    nothing, or raises emissions, has no cost per tonne abated).

    >>> money, tonnes, ratio = levelised_cost(np.full(3, 1e3), np.full(3, 10.0),
    ...                                       [2024, 2025, 2026], 2023, 0.05)
    >>> round(ratio, 9)   # a constant cost over a constant abatement: 1000 / 10
    100.0
    """
    factors = discount_factors(years, base_year, rate)
    money = float(np.sum(cost * factors))
    tonnes = float(np.sum(abatement * factors))
    ratio = money / tonnes if tonnes > 1e-9 else float("nan")
    return money, tonnes, ratio
