"""IPCC Approach 1 (error propagation): the worked examples, shared factors, sources of spreads.

References: REFERENCES.md "Uncertainty" (IPCC 2006 Vol. 1 Ch. 3): U is half the 95 % interval
in % of the mean; products sqrt(sum U^2) (Eq. 3.1); sums sqrt(sum (U x)^2) / |sum x| (Eq. 3.2);
+-5 % x +-7 % -> +-8.60 %; 100 t +-10 % + 50 t +-20 % -> +-9.43 % of 150 t. The examples are
printed to two decimals, so they are compared at 5e-3 (rounding of the source).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import carbon
from carbon.errors import InputError, ParameterError
from carbon.uncertainty import assess, build_sources, product_uncertainty, sum_uncertainty
from carbon.uncertainty.sources import from_bounds, lognormal_factor, normal

ROUNDED = 5e-3  # the worked examples are printed to two decimals


def _electricity_factor(u: float | str = "") -> pd.DataFrame:
    """A user grid factor of exactly 1 t CO2/MWh with its own uncertainty column."""
    return pd.DataFrame([{"activity": "electricity", "parameter": "CO2", "value": 1.0,
                          "unit": "t CO2 / MWh", "uncertainty": u}])


# -- the worked examples ------------------------------------------------------------------------
@pytest.mark.parametrize("u1, u2", [(5.0, 7.0), (np.array([5.0, 5.0]), np.array([7.0, 7.0])),
                                    (pd.Series([5.0]), pd.Series([7.0]))])
def test_product_rule_worked_example(u1, u2):
    """REFERENCES.md: +-5 % x +-7 % gives +-8.60 % (IPCC 2006 Vol. 1 Ch. 3 Eq. 3.1)."""
    assert np.allclose(product_uncertainty(u1, u2), 8.60, atol=ROUNDED)


def test_sum_rule_worked_example():
    """REFERENCES.md: 100 t +-10 % plus 50 t +-20 % is 150 t +-9.43 % (Eq. 3.2)."""
    assert sum_uncertainty([100.0, 50.0], [10.0, 20.0]) == pytest.approx(9.43, abs=ROUNDED)
    assert math.isnan(sum_uncertainty([1.0, -1.0], [5.0, 5.0]))  # a zero sum has no U


def test_product_example_through_the_engine(h):
    """One row: activity +-5 % (its uncertainty column) x a user factor +-7 % -> +-8.60 %."""
    inventory = h.account([h.row("A", "electricity", 100, "MWh", uncertainty=5)],
                          factors=_electricity_factor(7))
    result = assess(inventory, factors=_electricity_factor(7))
    total = h.park(result)
    assert total["estimate"] == pytest.approx(100.0, rel=1e-12)  # 100 MWh x 1 t/MWh
    assert total["u_percent"] == pytest.approx(8.60, abs=ROUNDED)
    assert total["lower"] == pytest.approx(100 - 8.6023, abs=1e-3)  # Approach 1: symmetric


def test_sum_example_through_the_engine(h):
    """Two facilities, 100 t +-10 % and 50 t +-20 % (exact factor): park +-9.43 % of 150 t."""
    rows = [h.row("A", "electricity", 100, "MWh", uncertainty=10),
            h.row("B", "electricity", 50, "MWh", uncertainty=20)]
    inventory = h.account(rows, factors=_electricity_factor(0))
    result = assess(inventory, factors=_electricity_factor(0))
    assert h.park(result)["estimate"] == pytest.approx(150.0, rel=1e-12)
    assert h.park(result)["u_percent"] == pytest.approx(9.43, abs=ROUNDED)
    facilities = result.table.set_index(["facility", "quantity"])["u_percent"]
    assert facilities[("A", "total")] == pytest.approx(10.0, rel=1e-12)
    assert facilities[("B", "scope2_location")] == pytest.approx(20.0, rel=1e-12)


def test_monthly_rows_of_one_cell_add_as_independent_errors(h):
    """Twelve monthly rows +-10 % of 10 MWh each: sqrt(12) x 1 / 120 = +-2.89 % (Eq. 3.2)."""
    rows = [h.row("A", "electricity", 10, "MWh", month=m, uncertainty=10) for m in range(1, 13)]
    result = assess(h.account(rows, factors=_electricity_factor(0)),
                    factors=_electricity_factor(0))
    assert len(result.sources.cells) == 1  # summed into one cell before any draw
    assert h.park(result)["u_percent"] == pytest.approx(10 / math.sqrt(12), rel=1e-12)


# -- shared factor rows -------------------------------------------------------------------------
def test_a_shared_factor_is_one_error(h):
    """Two tenants on one grid factor +-10 %, exact activity: the park is +-10 % (the errors are
    one error), not the +-7.45 % of treating the tenants' factors as independent."""
    rows = [h.row("A", "electricity", 100, "MWh", uncertainty=0),
            h.row("B", "electricity", 50, "MWh", uncertainty=0)]
    factors = _electricity_factor(10)
    inventory = h.account(rows, factors=factors)
    shared = assess(inventory, factors=factors)
    independent = assess(inventory, factors=factors, correlated=False)
    assert h.park(shared)["u_percent"] == pytest.approx(10.0, rel=1e-12)
    assert h.park(independent)["u_percent"] == pytest.approx(
        sum_uncertainty([100, 50], [10, 10]), rel=1e-12)
    assert h.park(independent)["u_percent"] == pytest.approx(7.4536, abs=1e-4)
    assert shared.contributions.iloc[0]["share"] == pytest.approx(1.0)


def test_park_estimate_is_the_inventory_total_of_the_year(sample_park):
    """Scope 1 + Scope 2 with the intra-park transfers netted (DESIGN.md) for 2023."""
    sources = build_sources(sample_park, 2023)
    facts = sample_park.facts
    gross = facts.loc[(facts["year"] == 2023) & facts["scope"].isin((1, 2)), "co2e"].sum()
    transfers = sample_park.transfers
    netted = transfers.loc[transfers["year"] == 2023, "co2e_location"].sum()
    assert netted > 0
    assert sources.estimate["total"] == pytest.approx(gross - netted, rel=1e-9)
    by_facility = sources.cells.groupby("facility")["co2e"].sum()
    enterprise = facts[facts["year"] == 2023].groupby("facility")["co2e"].sum()
    pd.testing.assert_series_equal(by_facility.sort_index(), enterprise.sort_index(),
                                   check_names=False, rtol=1e-9)


def test_sample_park_both_forms(sample_park):
    """The sample park's park total: the shared Guangdong grid factor dominates (+-10 %
    parkcarbon default on ~70 % of the total), so the correlated U is several times the
    textbook one."""
    shared = assess(sample_park, year=2023)
    textbook = assess(sample_park, year=2023, correlated=False)
    u_shared = shared.park()["total"]["u_percent"]
    u_textbook = textbook.park()["total"]["u_percent"]
    assert 6.0 < u_shared < 8.0
    assert u_textbook < u_shared / 2
    top = shared.contributions.iloc[0]
    assert top["source"].startswith("cn-grid-mee-average-2021-2023/electricity/CO2/CN-GD")
    assert shared.table["facility"].replace("", np.nan).dropna().nunique() == 44


# -- where spreads come from -------------------------------------------------------------------
def test_spreads_and_their_sources(h):
    """Activity column > category default; user factor column > library range > default."""
    rows = [h.row("A", "natural_gas", 10, "10^4 Nm3", uncertainty=3),
            h.row("A", "electricity", 100, "MWh"),
            h.row("B", "HFC-134a", 10, "kg")]
    result = assess(h.account(rows))
    activity = result.sources.activity.set_index("activity")
    assert activity.loc["natural_gas", "u"] == 3.0
    assert activity.loc["natural_gas", "source"] == "activities table, column uncertainty"
    assert activity.loc["electricity", "u"] == 2.0  # parkcarbon default, assumed
    assert "assumed" in activity.loc["electricity", "source"]
    assert activity.loc["HFC-134a", "u"] == 30.0
    factors = result.sources.factors.set_index("kind")
    assert factors.loc["grid", "u"] == 10.0 and factors.loc["grid", "confidence"] == "assumed"
    assert factors.loc["fugitive", "u"] == 0.0  # the mass released is the emission
    assert factors.loc["ncv_gas", "u"] == 5.0


def test_ipcc_ranges_and_the_factor_of_three(h):
    """Profile ipcc2006: the NCV's 95 % range from IPCC 2006 Vol. 2 Table 1.2 (19.9-30.5 around
    25.8 GJ/t for other bituminous coal: asymmetric, so lognormal, Approach 1 the larger
    difference); CH4 and N2O a factor of 3 (lognormal, U = 200 %)."""
    inventory = h.account([h.row("A", "bituminous_coal", 1000, "t")], profile="ipcc2006")
    result = assess(inventory)
    factors = result.sources.factors.set_index("factor_id")
    ncv = factors.loc["ipcc2006-v2-ch1-fuels/bituminous_coal/ncv"]
    assert ncv["distribution"] == "lognormal"
    assert ncv["u"] == pytest.approx((25.8 - 19.9) / 25.8 * 100)
    assert ncv["low"] == pytest.approx(19.9 / 25.8) and ncv["high"] == pytest.approx(30.5 / 25.8)
    assert "Table 1.2" in ncv["source"]
    ch4 = factors.loc["ipcc2006-v2-ch2-manufacturing/bituminous_coal/CH4"]
    assert ch4["distribution"] == "lognormal" and ch4["u"] == pytest.approx(200.0)
    assert ch4["low"] == pytest.approx(1 / 3) and ch4["high"] == pytest.approx(3.0)
    # CH4 and N2O are ~0.7 % of the CO2e: Approach 1's note is only for material shares.
    assert h.park(result)["u_percent"] == pytest.approx(
        product_uncertainty(5.0, 5.0, ncv["u"]), rel=2e-2)


def test_approach1_warns_when_large_spreads_matter(h):
    """A user factor of +-150 % on most of the total: the result says to prefer Monte Carlo."""
    factors = _electricity_factor(150)
    result = assess(h.account([h.row("A", "electricity", 100, "MWh")], factors=factors),
                    factors=factors)
    assert any("prefer method='monte-carlo'" in n for n in result.notes)


@pytest.mark.parametrize("spread, expected", [
    (normal(5.0), ("normal", 5.0, 0.95, 1.05)),
    (normal(0.0), ("none", 0.0, 1.0, 1.0)),
    (normal(60.0), ("lognormal", 60.0, 1 / 1.6, 1.6)),
    (lognormal_factor(3.0), ("lognormal", 200.0, 1 / 3, 3.0)),
    (from_bounds(48.0, 46.5, 49.5), ("normal", 3.125, 1 - 0.03125, 1.03125)),
])
def test_spread_constructors(spread, expected):
    assert (spread.distribution, spread.u, spread.low, spread.high) == pytest.approx(expected)


# -- errors -------------------------------------------------------------------------------------
def test_bad_arguments(h):
    inventory = h.account([h.row("A", "electricity", 100, "MWh")])
    with pytest.raises(ParameterError, match=r"'method' parameter of carbon\.uncertainty\.assess "
                       r"must be one of"):
        assess(inventory, method="bootstrap")
    with pytest.raises(ParameterError, match=r"a year of the inventory \[2022\]"):
        assess(inventory, year=2030)
    with pytest.raises(ParameterError, match="'correlated'"):
        assess(inventory, correlated="yes")


def test_a_negative_factor_uncertainty_is_an_input_error(h):
    factors = _electricity_factor(-5)
    inventory = h.account([h.row("A", "electricity", 100, "MWh")], factors=factors)
    with pytest.raises(InputError, match="not a percentage >= 0"):
        assess(inventory, factors=factors)


def test_a_negative_activity_uncertainty_is_rejected_by_accounting(h):
    with pytest.raises(carbon.InputError, match="uncertainty"):
        h.account([h.row("A", "electricity", 100, "MWh", uncertainty=-1)])
