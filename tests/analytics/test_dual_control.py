"""Dual-control indicators computed by hand.

Factors (REFERENCES.md): natural gas 389.31 GJ/10^4 Nm3 x 15.30 t C/TJ x 0.99 x 44/12 (China
guideline); grid 0.5366 (2022) and 0.5306 (2023) t CO2/MWh national average, 0.5856 (2022)
excluding market-traded non-fossil power; GB/T 2589-2020: natural gas 1.2143 kgce/Nm3
(12.143 tce per 10^4 Nm3), electricity 0.1229 kgce/kWh (0.1229 tce/MWh, equivalent value),
equal value 0.30 kgce/kWh (0.30 tce/MWh). Tolerance rel 1e-9: exact arithmetic on those values.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import carbon.analytics as ca
from carbon.errors import ParameterError

GAS = 389.31 * 15.30e-3 * 0.99 * 44 / 12  # t CO2 per 10^4 Nm3
GAS_TCE = 12.143  # tce per 10^4 Nm3
EQUIV, EQUAL = 0.1229, 0.30  # tce per MWh
REL = 1e-9

ROWS = [
    {"facility": "A", "year": 2022, "activity": "natural_gas", "quantity": 100,
     "unit": "10^4 Nm3", "instrument": ""},
    {"facility": "A", "year": 2022, "activity": "electricity", "quantity": 1000, "unit": "MWh",
     "instrument": ""},
    {"facility": "B", "year": 2022, "activity": "electricity", "quantity": 500, "unit": "MWh",
     "instrument": "green_certificate"},
    {"facility": "A", "year": 2023, "activity": "natural_gas", "quantity": 110,
     "unit": "10^4 Nm3", "instrument": ""},
    {"facility": "A", "year": 2023, "activity": "electricity", "quantity": 1100, "unit": "MWh",
     "instrument": ""},
    {"facility": "B", "year": 2023, "activity": "electricity", "quantity": 600, "unit": "MWh",
     "instrument": "green_certificate"},
]
FACILITIES = [
    {"facility": "A", "sector": "paint", "value_added": 2000, "value_added_unit": "10^4 CNY",
     "output": 10, "output_unit": "t"},
    {"facility": "B", "sector": "chips", "value_added": 0.1, "value_added_unit": "10^8 CNY",
     "output": 0.0005, "output_unit": "万t"},
]
CO2E = {2022: 100 * GAS + 1500 * 0.5366, 2023: 110 * GAS + 1700 * 0.5306}
TCE = {2022: 100 * GAS_TCE + 1500 * EQUIV, 2023: 110 * GAS_TCE + 1700 * EQUIV}


@pytest.fixture(scope="module")
def park(h):
    return h.account(ROWS, FACILITIES)


def table(inventory, **options) -> pd.DataFrame:
    options.setdefault("top", 2)
    return ca.report(inventory, **options).dual_control.set_index(["indicator", "year"])


def test_totals_and_energy_by_hand(park):
    t = table(park)
    for year in (2022, 2023):
        assert t.at[("co2e", year), "value"] == pytest.approx(CO2E[year], rel=REL)
        assert t.at[("energy_tce", year), "value"] == pytest.approx(TCE[year], rel=REL)
    # equal value: electricity at 0.30 kgce/kWh instead of 0.1229
    assert t.at[("energy_tce_equal_value", 2022), "value"] == pytest.approx(
        100 * GAS_TCE + 1500 * EQUAL, rel=REL)
    # market-based: A's grid power at 0.5856, B's green certificates at 0
    assert t.at[("co2e_market", 2022), "value"] == pytest.approx(100 * GAS + 1000 * 0.5856,
                                                                 rel=REL)


def test_non_fossil_share_by_hand(park):
    """Only B's green-certificate power is non-fossil: 500 MWh of the park's energy."""
    t = table(park)
    assert t.at[("non_fossil_share", 2022), "value"] == pytest.approx(
        500 * EQUIV / TCE[2022], rel=REL)
    assert t.at[("non_fossil_share_equal_value", 2022), "value"] == pytest.approx(
        500 * EQUAL / (100 * GAS_TCE + 1500 * EQUAL), rel=REL)
    # plus 30 % of the other (grid) electricity when the grid's share is given
    with_grid = table(park, grid_non_fossil=0.3)
    assert with_grid.at[("non_fossil_share", 2022), "value"] == pytest.approx(
        (500 + 0.3 * 1000) * EQUIV / TCE[2022], rel=REL)


def test_supply_coal_rate_is_a_parameter(park):
    t = table(park, supply_coal_rate=0.25)
    assert t.at[("energy_tce_equal_value", 2023), "value"] == pytest.approx(
        110 * GAS_TCE + 1700 * 0.25, rel=REL)


def test_intensities_with_constant_value_added_are_flagged(park):
    """A: 2000 x 10^4 CNY; B: 0.1 x 10^8 CNY = 1000 x 10^4 CNY; no by-year table."""
    report = ca.report(park, top=2)
    t = report.dual_control.set_index(["indicator", "year"])
    assert t.at[("value_added", 2022), "value"] == pytest.approx(3000, rel=REL)
    assert t.at[("co2e_per_value_added", 2022), "value"] == pytest.approx(CO2E[2022] / 3000,
                                                                          rel=REL)
    assert t.at[("tce_per_value_added", 2023), "value"] == pytest.approx(TCE[2023] / 3000,
                                                                         rel=REL)
    assert "same value every year" in t.at[("co2e_per_value_added", 2023), "note"]
    assert report.meta["value_added_by_year"] is False
    assert any("No value-added-by-year table" in n for n in report.notes)


def test_value_added_by_year_and_changes(park):
    """2023: A 2200 x 10^4 CNY, B 11 000 000 CNY = 1100 x 10^4 CNY; changes on 2022."""
    va = pd.DataFrame({"facility": ["A", "B", "A", "B"], "year": [2022, 2022, 2023, 2023],
                       "value_added": [2000, 10_000_000, 2200, 11_000_000],
                       "value_added_unit": ["10^4 CNY", "CNY", "万元", "CNY"]})
    report = ca.report(park, value_added=va, base_year=2022, top=2)
    t = report.dual_control.set_index(["indicator", "year"])
    intensity = {2022: CO2E[2022] / 3000, 2023: CO2E[2023] / 3300}
    assert t.at[("co2e_per_value_added", 2023), "value"] == pytest.approx(intensity[2023],
                                                                          rel=REL)
    assert t.at[("co2e_per_value_added", 2023), "change_yoy"] == pytest.approx(
        intensity[2023] / intensity[2022] - 1, rel=1e-9)
    assert t.at[("co2e", 2023), "change_vs_base"] == pytest.approx(CO2E[2023] / CO2E[2022] - 1,
                                                                   rel=1e-9)
    assert math.isnan(t.at[("co2e", 2022), "change_yoy"])  # no 2021: not computable
    assert t.at[("co2e_per_value_added", 2023), "note"] == ""
    assert report.meta["value_added_by_year"] is True


def test_output_intensity_in_canonical_units(park):
    """A: 10 t; B: 0.0005 万t = 5 t; the park's output is 15 t."""
    t = table(park)
    assert t.at[("output", 2022), "value"] == pytest.approx(15, rel=REL)
    assert t.at[("output", 2022), "unit"] == "t"
    assert t.at[("co2e_per_output", 2022), "value"] == pytest.approx(CO2E[2022] / 15, rel=REL)
    assert t.at[("co2e_per_output", 2022), "unit"] == "t CO2e / t"


def test_output_in_units_that_cannot_be_added_is_not_computable(h):
    facilities = [dict(FACILITIES[0]), dict(FACILITIES[1], output=3, output_unit="vehicle")]
    t = table(h.account(ROWS, facilities))
    assert math.isnan(t.at[("co2e_per_output", 2022), "value"])
    assert "cannot be added" in t.at[("co2e_per_output", 2022), "note"]


def test_missing_value_added_is_not_computable_never_zero(h):
    facilities = [FACILITIES[0], {"facility": "B", "sector": "chips"}]
    report = ca.report(h.account(ROWS, facilities), top=2)
    t = report.dual_control.set_index(["indicator", "year"])
    assert math.isnan(t.at[("value_added", 2022), "value"])
    assert math.isnan(t.at[("co2e_per_value_added", 2022), "value"])
    assert t.at[("co2e", 2022), "value"] == pytest.approx(CO2E[2022], rel=REL)
    assert t.at[("co2e_per_value_added", 2022), "note"].startswith("not computable")
    assert any("Value added not known for B" in n for n in report.notes)


def test_transfers_netted_as_the_park_total(h):
    """REFERENCES.md "Park double counting": a gas CHP (1000 x 10^4 Nm3) sells 40 000 MWh and
    200 000 GJ to a tenant that buys 100 000 MWh and 200 000 GJ in all. Park total
    21 621.9 + 60 000 x 0.5366 = 53 817.9 t; energy 12 143 + 60 000 x 0.1229 = 19 517 tce;
    equal value 12 143 + 60 000 x 0.30 = 30 143 tce (heat bought inside the park is netted)."""
    rows = [{"facility": "CHP", "year": 2022, "activity": "natural_gas", "quantity": 1000,
             "unit": "10^4 Nm3"},
            {"facility": "T", "year": 2022, "activity": "electricity", "quantity": 100_000,
             "unit": "MWh"},
            {"facility": "T", "year": 2022, "activity": "heat", "quantity": 200_000,
             "unit": "GJ"}]
    transfers = [{"seller": "CHP", "buyer": "T", "year": 2022, "carrier": "electricity",
                  "quantity": 40_000, "unit": "MWh"},
                 {"seller": "CHP", "buyer": "T", "year": 2022, "carrier": "heat",
                  "quantity": 200_000, "unit": "GJ"}]
    inventory = h.account(rows, transfers=transfers)
    t = table(inventory)
    assert t.at[("co2e", 2022), "value"] == pytest.approx(1000 * GAS + 60_000 * 0.5366, rel=REL)
    assert t.at[("co2e", 2022), "value"] == pytest.approx(inventory.total(), rel=1e-12)
    assert t.at[("energy_tce", 2022), "value"] == pytest.approx(19_517, rel=REL)
    assert t.at[("energy_tce", 2022), "value"] == pytest.approx(inventory.energy_tce(),
                                                                rel=1e-12)
    assert t.at[("energy_tce_equal_value", 2022), "value"] == pytest.approx(30_143, rel=REL)


def test_sample_park_years_add_up_to_the_inventory(sample_park, sample_report):
    t = sample_report.dual_control.set_index(["indicator", "year"])
    years = sample_report.meta["years"]
    assert sum(t.at[("co2e", y), "value"] for y in years) == pytest.approx(sample_park.total(),
                                                                           rel=1e-12)
    assert sum(t.at[("energy_tce", y), "value"] for y in years) == pytest.approx(
        sample_park.energy_tce(), rel=1e-12)


@pytest.mark.parametrize(("option", "value"), [
    ("supply_coal_rate", -0.3), ("supply_coal_rate", "0.3"), ("grid_non_fossil", 1.5),
    ("base_year", 2019), ("top", 0)])
def test_bad_arguments_raise_parameter_error(park, option, value):
    with pytest.raises(ParameterError, match=option if option != "top" else "'n'"):
        ca.report(park, **{option: value})


def test_report_needs_an_inventory():
    with pytest.raises(ParameterError, match="inventory"):
        ca.report("activities.csv")
