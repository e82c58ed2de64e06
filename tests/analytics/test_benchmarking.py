"""Benchmarking within sectors and green-factory candidates, by hand.

Sector s: F1..F4 buy i x 1000 MWh in 2022 (national grid 0.5366 t CO2/MWh, REFERENCES.md) and
each has 536.6 x 10^4 CNY of value added, so their carbon intensities are exactly 1, 2, 3, 4
t CO2e / 10^4 CNY. The 25th percentile (numpy linear interpolation) of 1, 2, 3, 4 is
1 + 0.75 x (2 - 1) = 1.75. F5 has no value added; sector t has one facility.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon
import carbon.analytics as ca
from carbon.errors import ParameterError


def electricity(facility, year, mwh):
    return {"facility": facility, "year": year, "activity": "electricity", "quantity": mwh,
            "unit": "MWh"}


ROWS = ([electricity(f"F{i}", 2022, i * 1000) for i in range(1, 5)]
        + [electricity("F1", 2021, 1000), electricity("F2", 2021, 1000),
           electricity("F5", 2022, 10), electricity("G1", 2022, 10)])
FACILITIES = ([{"facility": f"F{i}", "sector": "s", "value_added": 536.6,
                "value_added_unit": "10^4 CNY", "output": 10 * i,
                "output_unit": "vehicle" if i == 4 else "t"} for i in range(1, 5)]
              + [{"facility": "F5", "sector": "s"},
                 {"facility": "G1", "sector": "t", "value_added": 1,
                  "value_added_unit": "10^4 CNY"}])


@pytest.fixture(scope="module")
def park(h):
    inventory = h.account(ROWS, FACILITIES)
    territory = ca.Territory(inventory)
    return territory, ca.denominators(territory)


def test_ranks_percentiles_and_distance_to_best_quartile(park):
    table = ca.benchmark(*park, year=2022)
    carbon_rows = table[(table["metric"] == "co2e_per_value_added") & (table["sector"] == "s")]
    rows = carbon_rows.set_index("facility")
    for i in range(1, 5):
        assert rows.at[f"F{i}", "value"] == pytest.approx(i, rel=1e-12)
        assert rows.at[f"F{i}", "rank"] == i
        assert rows.at[f"F{i}", "percentile"] == pytest.approx(25 * i)
        assert rows.at[f"F{i}", "peers"] == 4
    assert rows.at["F1", "best_quartile"] == pytest.approx(1.75, rel=1e-12)
    assert rows.at["F1", "distance"] == 0.0
    assert rows.at["F4", "distance"] == pytest.approx(2.25, rel=1e-12)
    assert rows.at["F4", "cut"] == pytest.approx(2.25 / 4, rel=1e-12)


def test_missing_value_added_is_not_computable_never_zero(park):
    table = ca.benchmark(*park, year=2022)
    f5 = table[(table["facility"] == "F5") & (table["metric"] == "co2e_per_value_added")].iloc[0]
    assert math.isnan(f5["value"]) and pd.isna(f5["rank"]) and math.isnan(f5["percentile"])
    assert f5["status"] == "not computable: no value added"


def test_output_intensities_compare_only_the_same_unit(park):
    table = ca.benchmark(*park, year=2022)
    rows = table[table["metric"] == "co2e_per_output"].set_index("facility")
    assert rows.at["F1", "unit"] == "t CO2e / t" and rows.at["F4", "unit"] == "t CO2e / vehicle"
    assert rows.at["F1", "peers"] == 3 and rows.at["F4", "peers"] == 1
    assert rows.at["F1", "value"] == pytest.approx(0.5366 * 1000 / 10, rel=1e-12)


def test_green_factory_candidates(park):
    """F1: best quartile in both intensities, emissions 556.8 (2021, 0.5568) -> 536.6 t:
    a candidate. F2: intensity 2 > 1.75. F5: not computable. G1: one peer only."""
    table = ca.green_factories(*park, year=2022).set_index("facility")
    assert table.at["F1", "candidate"] is True
    assert table.at["F1", "co2e_change"] == pytest.approx(536.6 / 556.8 - 1, rel=1e-12)
    assert table.at["F2", "candidate"] is False
    assert "12.5% cut" in table.at["F2", "reason"]  # (2 - 1.75) / 2
    assert table.at["F5", "candidate"] is None
    assert table.at["G1", "candidate"] is None and "peer" in table.at["G1", "reason"]


def test_rule_is_configurable(park):
    """At the median (2.5) F2 qualifies on intensity but grew (556.8 -> 1073.2 t); allowing
    growth makes it a candidate."""
    rule = ca.GreenFactoryRule(quantile=0.5)
    assert ca.green_factories(*park, 2022, rule).set_index("facility").at["F2", "candidate"] \
        is False
    rule = ca.GreenFactoryRule(quantile=0.5, no_growth=False)
    table = ca.green_factories(*park, 2022, rule).set_index("facility")
    assert table.at["F2", "candidate"] is True and table.at["F3", "candidate"] is False


@pytest.mark.parametrize("options", [{"quantile": 0}, {"quantile": 1.5},
                                     {"metrics": ("intensity",)}, {"min_peers": 0}])
def test_bad_rule(options):
    with pytest.raises(ParameterError):
        ca.GreenFactoryRule(**options)


def test_bad_year(park):
    with pytest.raises(ParameterError, match="year"):
        ca.benchmark(*park, year=2030)


UNITS = {"10^4 CNY": 1.0, "CNY": 1e4, "10^8 CNY": 1e-4, "万元": 1.0, "亿元": 1e-4}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.floats(1.0, 1e6), min_size=3, max_size=3),
       st.lists(st.sampled_from(sorted(UNITS)), min_size=3, max_size=3))
def test_intensities_do_not_depend_on_the_unit_of_value_added(values, units):
    rows = [electricity(f, y, 100 * (i + 1) + y - 2021) for i, f in enumerate("ABC")
            for y in (2021, 2022)]
    base = pd.DataFrame({"facility": list("ABC"), "sector": "s", "value_added": values,
                         "value_added_unit": "10^4 CNY"})
    other = base.assign(value_added=[v * UNITS[u] for v, u in zip(values, units, strict=True)],
                        value_added_unit=units)
    results = []
    for facilities in (base, other):
        territory = ca.Territory(carbon.account(pd.DataFrame(rows), facilities=facilities))
        den = ca.denominators(territory)
        results.append((ca.benchmark(territory, den)["value"].to_numpy(),
                        ca.indicator_values(territory, den)[
                            ["co2e_per_value_added", "tce_per_value_added"]].to_numpy()))
    for a, b in zip(*results, strict=True):
        assert a == pytest.approx(b, rel=1e-9, nan_ok=True)
