"""Every worked example of REFERENCES.md, through ``carbon.account`` on small tables.

Tolerances, each with its reason:

- ``EXACT`` (rel 1e-9): the expected value is exact arithmetic on the published parameters
  (e.g. 25.8 TJ x 94.6 t/TJ); only float rounding can differ.
- ``PRINTED`` (rel 1e-3): the reference prints a rounded figure (the China guideline EF column
  to 5 significant figures, R-410A's GWP to whole numbers).
- ``abs=0.05`` / ``abs=0.005``: a figure printed to 0.1 t or 0.01 t.

No test here gives a facilities table with a province lacking its year's factor, so none may
raise a FactorFallbackWarning (tests/conftest.py makes one an error).
"""

from __future__ import annotations

import pandas as pd
import pytest

import carbon

EXACT = 1e-9
PRINTED = 1e-3
C_TO_CO2 = 44 / 12


def rows(*records: dict) -> pd.DataFrame:
    """An activities table; each record needs activity, quantity and unit."""
    base = {"facility": "A", "year": 2022}
    return pd.DataFrame([{**base, **r} for r in records])


def one(activity: str, quantity: float, unit: str, **extra) -> pd.DataFrame:
    return rows({"activity": activity, "quantity": quantity, "unit": unit, **extra})


# -- China guideline combustion (GB/T 32150-2015 / NDRC 2015) ---------------------------------

def test_china_natural_gas_worked_example():
    """1 000 x 10^4 Nm3 of natural gas -> 21 621.9 t CO2 (REFERENCES.md, China guideline).

    abs 0.05 t: the reference prints the result to 0.1 t.
    """
    inventory = carbon.account(one("natural_gas", 1000, "10^4 Nm3"), profile="cn")
    assert inventory.total() == pytest.approx(21_621.9, abs=0.05)
    assert inventory.by_gas() == {"CO2": pytest.approx(21_621.9, abs=0.05)}


def test_china_natural_gas_is_ncv_times_cc_times_of_times_44_12():
    """389.31 GJ x 15.30 t C/TJ x 0.99 x 44/12 per 10^4 Nm3 (REFERENCES.md, derived): exact."""
    expected = 1000 * 389.31 * 15.30e-3 * 0.99 * C_TO_CO2
    inventory = carbon.account(one("natural_gas", 1000, "10^4 Nm3"))
    assert inventory.total() == pytest.approx(expected, rel=EXACT)


#: REFERENCES.md China guideline table: key, Chinese alias, unit, NCV [GJ/unit], CC [t C/TJ],
#: OF, EF as printed [t CO2/unit].
CHINA_FUELS = [
    ("raw_coal", "原煤", "t", 20.908, 26.37, 0.94, 1.9003),
    ("anthracite", "无烟煤", "t", 26.7, 27.4, 0.94, 2.5215),
    ("bituminous_coal", "烟煤", "t", 19.570, 26.1, 0.93, 1.7417),
    ("lignite", "褐煤", "t", 11.9, 28.0, 0.96, 1.1729),
    ("cleaned_coal", "洗精煤", "t", 26.334, 25.41, 0.90, 2.2082),
    ("briquettes", "型煤", "t", 17.460, 33.60, 0.90, 1.9360),
    ("coke", "焦炭", "t", 28.435, 29.50, 0.93, 2.8604),
    ("crude_oil", "原油", "t", 41.816, 20.10, 0.98, 3.0202),
    ("fuel_oil", "燃料油", "t", 41.816, 21.10, 0.98, 3.1705),
    ("gasoline", "汽油", "t", 43.070, 18.90, 0.98, 2.9251),
    ("diesel", "柴油", "t", 42.652, 20.20, 0.98, 3.0959),
    ("kerosene", "煤油", "t", 43.070, 19.60, 0.98, 3.0334),
    ("lpg", "液化石油气", "t", 50.179, 17.20, 0.98, 3.1013),
    ("lng", "液化天然气", "t", 51.498, 15.3, 0.98, 2.8313),
    ("natural_gas", "天然气", "10^4 Nm3", 389.31, 15.30, 0.99, 21.622),
    ("coke_oven_gas", "焦炉煤气", "10^4 Nm3", 179.81, 13.58, 0.99, 8.8638),
    ("blast_furnace_gas", "高炉煤气", "10^4 Nm3", 33.000, 70.80, 0.99, 8.4811),
    ("converter_gas", "转炉煤气", "10^4 Nm3", 84.000, 49.60, 0.99, 15.124),
    ("refinery_gas", "炼厂干气", "t", 45.998, 18.20, 0.99, 3.0389),
]
FUEL_NAMES = [pytest.param(name, unit, ef, id=name)
              for key, alias, unit, *_, ef in CHINA_FUELS for name in (key, alias)]


@pytest.mark.parametrize(("activity", "unit", "ef"), FUEL_NAMES)
def test_china_guideline_fuel_ef(activity, unit, ef):
    """1 unit of each fuel (key or Chinese name) -> the guideline EF (REFERENCES.md table).

    rel 1e-3: the table prints the EF to 5 significant figures.
    """
    inventory = carbon.account(one(activity, 1, unit), profile="cn")
    assert inventory.total() == pytest.approx(ef, rel=PRINTED)
    assert inventory.summary()["scope1"] == pytest.approx(ef, rel=PRINTED)


@pytest.mark.parametrize(("activity", "unit", "ncv", "cc", "of"),
                         [pytest.param(k, u, n, c, o, id=k)
                          for k, _, u, n, c, o, _ in CHINA_FUELS])
def test_china_guideline_fuel_ef_is_the_formula(activity, unit, ncv, cc, of):
    """EF = NCV x CC x OF x 44/12 on the table's own parameters (REFERENCES.md): exact."""
    inventory = carbon.account(one(activity, 1, unit), profile="cn")
    assert inventory.total() == pytest.approx(ncv * cc * 1e-3 * of * C_TO_CO2, rel=EXACT)


def test_cn_profile_counts_only_co2_for_combustion():
    """Profile cn is CO2-only for combustion, as the China guidelines are (DESIGN.md)."""
    inventory = carbon.account(one("diesel", 10, "t"), profile="cn")
    assert set(inventory.ledger["gas"]) == {"CO2"}


# -- IPCC 2006 Tier 1 --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ipcc_coal() -> carbon.Inventory:
    """1 000 t of other bituminous coal, profile ipcc2006, AR5."""
    return carbon.account(one("bituminous_coal", 1000, "t"), profile="ipcc2006", gwp="AR5")


def test_ipcc_coal_co2(ipcc_coal):
    """25.8 TJ x 94.6 t CO2/TJ = 2 440.68 t CO2 (IPCC 2006 Vol. 2 Tables 1.2, 1.4): exact."""
    assert ipcc_coal.by_gas()["CO2"] == pytest.approx(2_440.68, rel=EXACT)


def test_ipcc_coal_ch4_and_n2o(ipcc_coal):
    """25.8 TJ x 10 kg CH4 and 1.5 kg N2O per TJ (IPCC 2006 Vol. 2 Table 2.3): exact."""
    by_gas = ipcc_coal.by_gas()
    assert by_gas["CH4"] == pytest.approx(0.258, rel=EXACT)
    assert by_gas["N2O"] == pytest.approx(0.0387, rel=EXACT)
    assert set(by_gas) == {"CO2", "CH4", "N2O"}


def test_ipcc_coal_total_co2e_at_ar5(ipcc_coal):
    """2 440.68 + 0.258 x 28 + 0.0387 x 265 = 2 458.16 t CO2e (REFERENCES.md, derived).

    abs 0.005 t: the reference prints the total to 0.01 t (exactly 2 458.1595).
    """
    assert ipcc_coal.total() == pytest.approx(2_458.16, abs=0.005)
    assert ipcc_coal.total() == pytest.approx(2_440.68 + 0.258 * 28 + 0.0387 * 265, rel=EXACT)


def test_ipcc_coal_at_ar6_uses_fossil_methane():
    """AR6 coal methane is fossil: 0.258 t x 29.8 (AR6 WG1 Table 7.15), N2O x 273: exact."""
    inventory = carbon.account(one("bituminous_coal", 1000, "t"), profile="ipcc2006", gwp="AR6")
    assert inventory.total() == pytest.approx(2_440.68 + 0.258 * 29.8 + 0.0387 * 273, rel=EXACT)


def test_profile_and_gwp_are_recorded_in_the_summary(ipcc_coal):
    """The GWP set and the profile are recorded in every output (DESIGN.md "Units and gases")."""
    summary = ipcc_coal.summary()
    assert (summary["unit"], summary["gwp"], summary["profile"]) == ("t CO2e", "AR5", "ipcc2006")


# -- electricity (MEE/NBS) --------------------------------------------------------------------

GRID = {2021: (0.5568, 0.5942), 2022: (0.5366, 0.5856), 2023: (0.5306, 0.6096)}


@pytest.mark.parametrize("year", sorted(GRID))
def test_national_grid_factor_by_year(year):
    """1 MWh with no region -> the national average of the record's year (REFERENCES.md).

    Also checks that 2021 and 2022 are not swapped, as some public code does.
    """
    summary = carbon.account(one("electricity", 1, "MWh", year=year)).summary()
    assert summary["scope2_location"] == pytest.approx(GRID[year][0], rel=EXACT)
    assert summary["total"] == pytest.approx(GRID[year][0], rel=EXACT)


@pytest.mark.parametrize("year", sorted(GRID))
def test_market_based_grid_factor_by_year(year):
    """Market-based Scope 2 uses the national factor excluding market-traded non-fossil power."""
    summary = carbon.account(one("electricity", 1, "MWh", year=year)).summary()
    assert summary["scope2_market"] == pytest.approx(GRID[year][1], rel=EXACT)
    assert summary["total_market"] == pytest.approx(GRID[year][1], rel=EXACT)


@pytest.mark.parametrize(("region", "expected"), [
    pytest.param("CN-SOUTH", 0.3869, id="South-China-grid"),
    pytest.param("CN-HE", 0.7252, id="Hebei-province"),
    pytest.param("CN-EAST", 0.5617, id="East-China-grid"),
    pytest.param("CN-YN", 0.1073, id="Yunnan-province"),
])
def test_regional_grid_factor_2022(region, expected):
    """A facility's region selects the grid or provincial factor of 2022 (REFERENCES.md)."""
    facilities = pd.DataFrame({"facility": ["A"], "region": [region]})
    inventory = carbon.account(one("electricity", 1, "MWh"), facilities=facilities)
    assert inventory.summary()["scope2_location"] == pytest.approx(expected, rel=EXACT)


def test_province_without_own_factor_uses_its_grid_region():
    """Hainan has no 2022 provincial factor: its grid, South China, gives 0.3869 (DESIGN.md)."""
    facilities = pd.DataFrame({"facility": ["A"], "region": ["CN-HI"]})
    inventory = carbon.account(one("electricity", 1, "MWh"), facilities=facilities)
    assert inventory.total() == pytest.approx(0.3869, rel=EXACT)
    assert "CN-SOUTH" in set(inventory.fallbacks["used_region"])


@pytest.mark.parametrize("instrument", ["green_certificate", "green_power", "绿证", "绿电"])
def test_green_instrument_zeroes_market_scope2_only(instrument):
    """A green certificate or green-power row: market-based Scope 2 is 0, location-based is
    unchanged (DESIGN.md "Input tables", instrument)."""
    summary = carbon.account(one("electricity", 1, "MWh", instrument=instrument)).summary()
    assert summary["scope2_market"] == 0
    assert summary["scope2_location"] == pytest.approx(0.5366, rel=EXACT)


# -- heat, process, fugitive, embodied ---------------------------------------------------------

@pytest.mark.parametrize(("quantity", "unit", "expected"), [
    (1000, "GJ", 110.0), (1, "TJ", 110.0), (100, "MWh", 39.6)])
def test_purchased_heat(quantity, unit, expected):
    """Purchased heat 0.11 t CO2/GJ (NDRC guidelines; REFERENCES.md); 1 MWh = 3.6 GJ: exact."""
    summary = carbon.account(one("heat", quantity, unit)).summary()
    assert summary["scope2_location"] == pytest.approx(expected, rel=EXACT)


@pytest.mark.parametrize(("activity", "quantity", "expected"), [
    pytest.param("clinker", 1000, 520.0, id="clinker"),
    pytest.param("limestone", 1, 0.43971, id="limestone"),
    pytest.param("dolomite", 1, 0.47732, id="dolomite"),
    pytest.param("lime", 1, 0.75, id="lime"),
])
def test_process_co2(activity, quantity, expected):
    """IPCC 2006 Vol. 3 process defaults in Scope 1 (REFERENCES.md): clinker 0.52, limestone
    0.43971, dolomite 0.47732, high-calcium lime 0.75 t CO2/t; exact."""
    summary = carbon.account(one(activity, quantity, "t")).summary()
    assert summary["scope1"] == pytest.approx(expected, rel=EXACT)
    assert summary["by_gas"] == {"CO2": pytest.approx(expected, rel=EXACT)}


def test_clinker_default_is_the_tier1_formula():
    """(0.65 / 0.5603) x 0.43971 x 1.02 = 0.5203 t CO2/t clinker, rounded to 0.52 (REFERENCES.md).

    rel 1e-3: the library keeps IPCC's rounded 0.52.
    """
    per_tonne = carbon.account(one("clinker", 1, "t")).total()
    assert per_tonne == pytest.approx(0.65 / 0.5603 * 0.43971 * 1.02, rel=PRINTED)


def test_r410a_is_split_into_its_gases():
    """1 kg R-410A -> 0.5 kg HFC-32 + 0.5 kg HFC-125 (REFERENCES.md "GWP100"): exact."""
    inventory = carbon.account(one("R-410A", 1, "kg"), gwp="AR5")
    assert inventory.by_gas() == {"HFC-32": pytest.approx(0.0005, rel=EXACT),
                                  "HFC-125": pytest.approx(0.0005, rel=EXACT)}


def test_r410a_co2e_at_ar5():
    """1 kg R-410A = 0.5 x 677 + 0.5 x 3 170 = 1 923.5 kg CO2e = 1.9235 t CO2e at AR5 (exact);
    the reference's rounded GWP 1 924 agrees to rel 1e-3."""
    inventory = carbon.account(one("R-410A", 1, "kg"), gwp="AR5")
    assert inventory.total() == pytest.approx(1.9235, rel=EXACT)
    assert inventory.total() * 1000 == pytest.approx(1_924, rel=PRINTED)


@pytest.mark.parametrize(("gas", "gwp_set", "expected"), [
    ("SF6", "AR5", 23.5), ("HFC-134a", "AR4", 1.43), ("CH4", "AR6", 0.0279)])
def test_fugitive_release_is_mass_times_gwp(gas, gwp_set, expected):
    """1 kg of a released gas is GWP100 kg CO2e (REFERENCES.md "GWP100"); fugitive CH4 has no
    origin, so AR6 uses 27.9: exact."""
    assert carbon.account(one(gas, 1, "kg"), gwp=gwp_set).total() == pytest.approx(
        expected, rel=EXACT)


@pytest.mark.parametrize(("activity", "quantity", "unit", "expected"), [
    pytest.param("cement", 1, "t", 0.735, id="cement-735-kg-per-t"),
    pytest.param("concrete_c30", 1, "m3", 0.295, id="C30-295-kg-per-m3"),
    pytest.param("concrete_c50", 1, "m3", 0.385, id="C50-385-kg-per-m3"),
    pytest.param("rebar", 1, "t", 2.340, id="rebar"),
    pytest.param("road_freight", 1000, "t*km", 0.078, id="road-freight-0.078-kg-per-t-km"),
    pytest.param("水泥", 1, "吨", 0.735, id="cement-in-Chinese"),
])
def test_gbt51366_embodied_in_scope3(activity, quantity, unit, expected):
    """GB/T 51366-2019 factors land in Scope 3 and stay out of the park total (DESIGN.md)."""
    summary = carbon.account(one(activity, quantity, unit)).summary()
    assert summary["scope3"] == pytest.approx(expected, rel=EXACT)
    assert summary["total"] == 0
    assert summary["scope1"] == 0


# -- energy in tce (GB/T 2589-2020) ------------------------------------------------------------

@pytest.mark.parametrize(("activity", "quantity", "unit", "tce"), [
    pytest.param("raw_coal", 1000, "t", 714.3, id="raw-coal-0.7143"),
    pytest.param("electricity", 1, "万kWh", 1.229, id="electricity-0.1229-per-kWh"),
    pytest.param("heat", 1000, "GJ", 34.12, id="heat-0.03412-per-MJ"),
    pytest.param("natural_gas", 1, "10^4 Nm3", 12.143, id="natural-gas-1.2143-per-m3"),
    pytest.param("diesel", 1, "t", 1.4571, id="diesel"),
    pytest.param("natural_gas", 29.3076, "GJ", 1.0, id="energy-unit-is-its-own-tce"),
])
def test_energy_in_tce(activity, quantity, unit, tce):
    """Standard-coal coefficients of GB/T 2589-2020 (REFERENCES.md): exact products."""
    inventory = carbon.account(one(activity, quantity, unit))
    assert inventory.energy_tce() == pytest.approx(tce, rel=EXACT)
    assert inventory.summary()["energy_tce"] == pytest.approx(tce, rel=EXACT)


def test_non_energy_activities_use_no_energy():
    """Process, fugitive and embodied rows are not energy use: 0 tce, "not occurring"."""
    inventory = carbon.account(rows({"activity": "clinker", "quantity": 10, "unit": "t"},
                                    {"activity": "SF6", "quantity": 1, "unit": "kg"},
                                    {"activity": "cement", "quantity": 5, "unit": "t"}))
    assert inventory.energy_tce() == 0


# -- the park: double counting (REFERENCES.md "Park double counting") --------------------------

@pytest.fixture(scope="module")
def park() -> carbon.Inventory:
    """The worked example: a gas CHP plant selling electricity and heat to two tenants, 2022."""
    activities = pd.DataFrame([
        {"facility": "CHP", "activity": "natural_gas", "quantity": 1000, "unit": "10^4 Nm3"},
        {"facility": "T1", "activity": "electricity", "quantity": 70_000, "unit": "MWh"},
        {"facility": "T1", "activity": "heat", "quantity": 150_000, "unit": "GJ"},
        {"facility": "T2", "activity": "electricity", "quantity": 30_000, "unit": "MWh"},
        {"facility": "T2", "activity": "heat", "quantity": 50_000, "unit": "GJ"},
    ]).assign(year=2022)
    transfers = pd.DataFrame([
        {"seller": "CHP", "buyer": "T1", "carrier": "electricity", "quantity": 30_000,
         "unit": "MWh"},
        {"seller": "CHP", "buyer": "T2", "carrier": "electricity", "quantity": 10_000,
         "unit": "MWh"},
        {"seller": "CHP", "buyer": "T1", "carrier": "heat", "quantity": 150_000, "unit": "GJ"},
        {"seller": "CHP", "buyer": "T2", "carrier": "heat", "quantity": 50_000, "unit": "GJ"},
    ]).assign(year=2022)
    return carbon.account(activities, transfers=transfers)


def test_park_territorial_total(park):
    """Park total = 21 621.9 + 60 000 MWh x 0.5366 = 53 817.9 t (REFERENCES.md, derived).

    rel 1e-6 against the derivation on the exact CHP figure; abs 0.05 against the printed one.
    """
    chp = 1000 * 389.31 * 15.30e-3 * 0.99 * C_TO_CO2
    assert park.summary()["total"] == pytest.approx(chp + 60_000 * 0.5366, rel=1e-6)
    assert park.summary()["total"] == pytest.approx(53_817.9, abs=0.05)


def test_park_sum_of_enterprise_reports(park):
    """Summing the enterprise reports counts the CHP energy twice: 97 281.9 t (REFERENCES.md).

    abs 0.05 t: printed to 0.1 t.
    """
    by_facility = park.by_facility()
    assert by_facility["total"].sum() == pytest.approx(97_281.9, abs=0.05)
    assert by_facility.loc["T1", "scope2_location"] == pytest.approx(
        70_000 * 0.5366 + 150_000 * 0.11, rel=EXACT)


def test_park_netted_is_the_in_park_energy(park):
    """What is netted is 40 000 MWh x 0.5366 + 200 000 GJ x 0.11 t CO2 (DESIGN.md "Outputs")."""
    assert park.netted["scope2_location"] == pytest.approx(40_000 * 0.5366 + 200_000 * 0.11,
                                                           rel=EXACT)
    assert park.summary()["by_gas"]["CO2"] == pytest.approx(park.total(), rel=EXACT)


def test_park_scope1_is_only_the_chp(park):
    """The CHP's fuel is counted once, in its own Scope 1 (DESIGN.md "Outputs")."""
    assert park.summary()["scope1"] == pytest.approx(park.by_facility().loc["CHP", "scope1"],
                                                     rel=EXACT)
    assert park.by_facility().loc["CHP", "scope2_location"] == 0


# -- the same quantity in any unit -------------------------------------------------------------

@pytest.mark.parametrize(("quantity", "unit"), [(10_000, "t"), (10_000_000, "kg"), (1, "万t"),
                                                (10_000, "吨"), (1, "万吨")])
def test_same_mass_in_any_unit_gives_the_same_co2e(quantity, unit):
    """10 000 t of diesel written in t, kg or 万t: the same 30 959 t CO2 (DESIGN.md units)."""
    total = carbon.account(one("diesel", quantity, unit)).total()
    assert total == pytest.approx(10_000 * 42.652 * 20.20e-3 * 0.98 * C_TO_CO2, rel=EXACT)


@pytest.mark.parametrize(("quantity", "unit"), [(1000, "MWh"), (100, "万kWh"),
                                                (1_000_000, "kWh"), (3600, "GJ")])
def test_same_electricity_in_any_unit_gives_the_same_co2e(quantity, unit):
    """1 000 MWh = 100 万kWh = 10^6 kWh = 3 600 GJ -> 536.6 t CO2 in 2022 (MEE/NBS): exact."""
    assert carbon.account(one("electricity", quantity, unit)).total() == pytest.approx(
        536.6, rel=EXACT)
