"""Capital recovery factor, discounting and levelised cost of abatement."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carbon.errors import InputError
from carbon.optimize import crf, levelised_cost, macc, measure_costs
from carbon.optimize.costs import discount_factors


@pytest.mark.parametrize("rate, lifetime, expected", [
    (0.05, 10, 0.12950457496545662),   # 0.05 x 1.05^10 / (1.05^10 - 1)
    (0.08, 20, 0.10185220882315059),
    (0.0, 20, 0.05),                    # no discounting: straight line
])
def test_capital_recovery_factor(rate, lifetime, expected):
    assert crf(rate, lifetime) == pytest.approx(expected, rel=1e-12)
    # an annuity of crf for `lifetime` years is worth 1 today
    annuity = crf(rate, lifetime) * discount_factors(np.arange(1, lifetime + 1), 0, rate).sum()
    assert annuity == pytest.approx(1.0, rel=1e-12)


def test_levelised_cost_is_discounted_cost_over_discounted_abatement():
    years = np.arange(2024, 2031)
    cost = np.linspace(1000.0, 2000.0, len(years))
    abatement = np.linspace(10.0, 5.0, len(years))
    money, tonnes, ratio = levelised_cost(cost, abatement, years, 2023, 0.07)
    d = 1.07 ** -(years - 2023.0)
    assert money == pytest.approx((cost * d).sum())
    assert tonnes == pytest.approx((abatement * d).sum())
    assert ratio == pytest.approx(money / tonnes)
    assert math.isnan(levelised_cost(cost, -abatement, years, 2023, 0.07)[2])


def test_measure_cost_with_a_ramp(h):
    """A linear ramp scales cost and abatement alike: the cost per tonne is the annual cost at
    full size over the abatement at full size, (1e6 x CRF(5 %, 10) + 2 000) / 500 t."""
    measure = h.step("eff b", "efficiency", "b", cut=0.25, capex=1e6, lifetime=10,
                     discount_rate=0.05, opex=2000.0)
    measure.update(ramp="linear", start=2024, full=2027)
    curve = macc(h.load(h.make([measure])))
    row = curve.table.iloc[0]
    assert row["annual_cost"] == pytest.approx(1e6 * crf(0.05, 10) + 2000.0, rel=1e-12)
    assert row["cost_per_t"] == pytest.approx((129504.57496545662 + 2000.0) / 500.0, rel=1e-9)


def test_default_discount_rate_and_savings(h):
    measure = h.step("eff a", "efficiency", "a", cut=0.5, capex=1e5, lifetime=5, opex=1e3,
                     savings=3e4)
    costs = measure_costs(h.load(h.make([measure], costs={"discount_rate": 0.1})))
    assert costs[0].rate == 0.1
    assert costs[0].annual == pytest.approx(1e5 * crf(0.1, 5) + 1e3 - 3e4)


def test_cost_fields_are_validated(h):
    with pytest.raises(InputError, match="capex needs lifetime"):
        h.load(h.make([h.step("x", "efficiency", "a", cut=0.1, capex=1e5)]))
    with pytest.raises(InputError, match=r"min_level .* is above max_level"):
        h.load(h.make([h.step("x", "efficiency", "a", cut=0.1, opex=1.0, min_level=0.8,
                              max_level=0.5)]))
    with pytest.raises(InputError, match="discount_rate"):
        h.load(h.make([h.step("x", "efficiency", "a", cut=0.1, opex=1.0,
                              discount_rate=1.5)]))
