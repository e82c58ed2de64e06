"""Units and gases: the pint registry, GWP100 conversions and the units of a Chinese park.

Sources: REFERENCES.md "GWP100" (read from the ``globalwarmingpotentials`` / openscm-units data;
AR6 methane by origin from AR6 WG1 Table 7.15), "GB/T 2589-2020 standard coal"
(1 kgce = 29 307.6 kJ) and DESIGN.md "Units and gases".

Tolerances: rel 1e-9 where the value is exact arithmetic on the published number (pint
multiplies and divides floats, so only the last bits can differ); rel 1e-3 where the reference
itself is rounded (R-410A, a 50/50 blend, is printed as whole numbers: 1924 for 1923.5).
"""

from __future__ import annotations

import globalwarmingpotentials
import pint
import pytest

from carbon.errors import CarbonError, ParameterError
from carbon.units import GWP_SETS, canonical, gwp, normalise_unit, registry

EXACT = 1e-9  # float arithmetic on an exact published value

#: REFERENCES.md "GWP100": gas -> (AR4, AR5, AR6), t CO2e per t of gas.
GWP100 = {
    "CH4": (25, 28, 27.9),
    "N2O": (298, 265, 273),
    "SF6": (22_800, 23_500, 25_200),
    "NF3": (17_200, 16_100, 17_400),
    "CF4": (7_390, 6_630, 7_380),
    "HFC-23": (14_800, 12_400, 14_600),
    "HFC-32": (675, 677, 771),
    "HFC-125": (3_500, 3_170, 3_740),
    "HFC-134a": (1_430, 1_300, 1_530),
}
SETS = ("AR4", "AR5", "AR6")
CASES = [pytest.param(gas, gwp_set, values[i], id=f"{gas}-{gwp_set}")
         for gas, values in GWP100.items() for i, gwp_set in enumerate(SETS)]

#: pint symbols of the gas names (openscm-units writes HFC-134a as HFC134a).
SYMBOL = {gas: gas.replace("-", "") for gas in GWP100}


@pytest.fixture(scope="module")
def ureg() -> pint.UnitRegistry:
    return registry()


@pytest.mark.parametrize(("gas", "gwp_set", "expected"), CASES)
def test_gwp100_gas_to_co2_matches_ipcc_table(ureg, gas, gwp_set, expected):
    """1 t of gas is GWP100 t CO2 inside the named context (REFERENCES.md "GWP100")."""
    co2 = ureg.Quantity(1, f"t {SYMBOL[gas]}").to("t CO2", f"{gwp_set}GWP100")
    assert co2.magnitude == pytest.approx(expected, rel=EXACT)


@pytest.mark.parametrize(("gas", "gwp_set", "expected"), CASES)
def test_gwp100_co2_to_gas_is_the_inverse(ureg, gas, gwp_set, expected):
    """1 t CO2 is 1/GWP100 t of gas: the context works both ways (REFERENCES.md "GWP100")."""
    gas_mass = ureg.Quantity(1, "t CO2").to(f"t {SYMBOL[gas]}", f"{gwp_set}GWP100")
    assert gas_mass.magnitude == pytest.approx(1 / expected, rel=EXACT)


@pytest.mark.parametrize(("gas", "gwp_set", "expected"), CASES)
def test_carbon_gwp_matches_ipcc_table(gas, gwp_set, expected):
    """``carbon.units.gwp`` takes gas names as people write them (REFERENCES.md "GWP100")."""
    assert gwp(gas, gwp_set) == pytest.approx(expected, rel=EXACT)


@pytest.mark.parametrize("gwp_set", SETS)
def test_gwp_equals_the_openscm_units_conversion_for_every_gas(ureg, gwp_set):
    """``gwp`` reads the globalwarmingpotentials table that openscm-units' contexts convert
    with, rather than building the contexts (3 s): every gas gives the same value both ways."""
    checked = 0
    for symbol in globalwarmingpotentials.data[GWP_SETS[gwp_set]]:
        if symbol not in ureg:
            continue
        converted = ureg.Quantity(1, f"t {symbol}").to("t CO2", GWP_SETS[gwp_set]).magnitude
        assert gwp(symbol, gwp_set) == pytest.approx(converted, rel=EXACT), symbol
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("gwp_set", SETS)
def test_gwp_of_co2_is_one(gwp_set):
    """CO2 is the reference gas of every GWP set (IPCC definition of GWP)."""
    assert gwp("CO2", gwp_set) == pytest.approx(1.0, rel=EXACT)


@pytest.mark.parametrize(("origin", "expected"), [("fossil", 29.8), ("non-fossil", 27.0)])
def test_ar6_methane_by_origin(origin, expected):
    """AR6 separates fossil (29.8) and non-fossil (27.0) methane (AR6 WG1 Table 7.15)."""
    assert gwp("CH4", "AR6", origin) == pytest.approx(expected, rel=EXACT)


def test_ar6_methane_without_origin_is_the_table_value():
    """Without an origin AR6 methane is 27.9 (REFERENCES.md "GWP100")."""
    assert gwp("CH4", "AR6") == pytest.approx(27.9, rel=EXACT)


@pytest.mark.parametrize(("gwp_set", "expected"), [("AR4", 25), ("AR5", 28)])
def test_methane_origin_is_ignored_before_ar6(gwp_set, expected):
    """AR4 and AR5 have one methane value; an origin does not change it (REFERENCES.md)."""
    assert gwp("CH4", gwp_set, "fossil") == pytest.approx(expected, rel=EXACT)


@pytest.mark.parametrize(("gwp_set", "expected"), [("AR4", 2_088), ("AR5", 1_924),
                                                    ("AR6", 2_255.5)])
def test_r410a_blend_gwp(gwp_set, expected):
    """R-410A = 50 % HFC-32 + 50 % HFC-125 by mass (REFERENCES.md "GWP100", derived).

    rel 1e-3: the reference rounds AR4 2087.5 and AR5 1923.5 to whole numbers.
    """
    blend = 0.5 * gwp("HFC-32", gwp_set) + 0.5 * gwp("HFC-125", gwp_set)
    assert blend == pytest.approx(expected, rel=1e-3)


def test_gwp_sets_are_the_three_ipcc_gwp100_sets():
    """DESIGN.md "Units and gases": CO2e exists only through AR4, AR5 or AR6 (GWP100)."""
    assert set(GWP_SETS) == {"AR4", "AR5", "AR6"}


def test_unknown_gwp_set_is_a_parameter_error():
    """A GWP set outside AR4/AR5/AR6 is refused with the house wording (STYLE.md)."""
    with pytest.raises(ParameterError, match=r"The 'gwp' parameter of gwp must be one of"):
        gwp("CH4", "SAR")


def test_unknown_gas_is_a_carbon_error():
    """A gas openscm-units does not know is an error, never a GWP of zero (STYLE.md)."""
    with pytest.raises(CarbonError):
        gwp("HFC-999", "AR5")


def test_methane_never_silently_becomes_co2(ureg):
    """Each gas is its own dimension: CH4 -> CO2 without a GWP context fails (DESIGN.md)."""
    with pytest.raises(pint.DimensionalityError):
        ureg.Quantity(1, "t CH4").to("t CO2")


@pytest.mark.parametrize("context", [None, "AR5GWP100"])
def test_co2e_is_not_an_alias_of_co2(ureg, context):
    """CO2e is a dimension of its own: t CO2e never converts to t CO2 (STYLE.md anti-patterns)."""
    contexts = () if context is None else (context,)
    with pytest.raises(pint.DimensionalityError):
        ureg.Quantity(1, "t CO2e").to("t CO2", *contexts)


def test_co2e_converts_within_itself(ureg):
    """CO2e is a real unit: 1 t CO2e = 1000 kg CO2e (factors/units.txt)."""
    assert ureg.Quantity(1, "t CO2e").to("kg CO2e").magnitude == pytest.approx(1000, rel=EXACT)


# -- the units of a Chinese park (DESIGN.md "Units and gases", factors/units.txt) --------------

@pytest.mark.parametrize(("expression", "target", "expected"), [
    pytest.param("万kWh", "MWh", 10, id="wan-kWh"),
    pytest.param("10^4 Nm3", "m**3", 10_000, id="1e4-Nm3"),
    pytest.param("万Nm3", "m**3", 10_000, id="wan-Nm3"),
    pytest.param("Nm3", "m**3", 1, id="Nm3"),
    pytest.param("万t", "t", 10_000, id="wan-t"),
    pytest.param("tce", "GJ", 29.3076, id="tce"),
    pytest.param("kgce", "MJ", 29.3076, id="kgce"),
    pytest.param("toe", "GJ", 41.868, id="toe"),
    pytest.param("t*km", "kg*km", 1_000, id="t-km"),
    pytest.param("MWh", "GJ", 3.6, id="MWh"),
    pytest.param("TJ", "GJ", 1_000, id="TJ"),
])
def test_park_units(ureg, expression, target, expected):
    """Park units: 万 = 10^4; tce = 29.3076 GJ (GB/T 2589-2020); toe = 41.868 GJ (IEA/IPCC)."""
    assert ureg.parse_expression(expression).to(target).magnitude == pytest.approx(
        expected, rel=EXACT)


@pytest.mark.parametrize(("unit", "dimension", "factor"), [
    pytest.param("万kWh", "energy", 36.0, id="wan-kWh-is-36-GJ"),
    pytest.param("10^4 Nm3", "volume", 10_000, id="1e4-Nm3"),
    pytest.param("万Nm3", "volume", 10_000, id="wan-Nm3"),
    pytest.param("tce", "energy", 29.3076, id="tce"),
    pytest.param("kgce", "energy", 0.0293076, id="kgce"),
    pytest.param("toe", "energy", 41.868, id="toe"),
    pytest.param("kg", "mass", 0.001, id="kg"),
    pytest.param("万t", "mass", 10_000, id="wan-t"),
    pytest.param("t*km", "freight", 1.0, id="t-km"),
    pytest.param("m2", "area", 1.0, id="m2"),
])
def test_canonical_dimension_and_factor(unit, dimension, factor):
    """``canonical`` gives the dimension and the factor to t, m3, GJ, t*km or m2 (units.py)."""
    got_dimension, got_factor = canonical(unit)
    assert got_dimension == dimension
    assert got_factor == pytest.approx(factor, rel=EXACT)


@pytest.mark.parametrize(("alias", "unit", "dimension", "factor"), [
    pytest.param("吨", "t", "mass", 1.0, id="dun"),
    pytest.param("万吨", "万t", "mass", 10_000, id="wan-dun"),
    pytest.param("万千瓦时", "万kWh", "energy", 36.0, id="wan-qianwashi"),
    pytest.param("万标方", "万Nm3", "volume", 10_000, id="wan-biaofang"),
    pytest.param("吉焦", "GJ", "energy", 1.0, id="jijiao"),
    pytest.param("吨标准煤", "tce", "energy", 29.3076, id="dun-biaozhunmei"),
    pytest.param("吨公里", "t*km", "freight", 1.0, id="dun-gongli"),
])
def test_chinese_unit_aliases(alias, unit, dimension, factor):
    """Chinese unit names map to registry units (factors/aliases.csv; DESIGN.md users)."""
    assert normalise_unit(alias) == unit
    assert canonical(alias) == (dimension, pytest.approx(factor, rel=EXACT))


def test_wan_kwh_alias_is_ten_mwh(ureg):
    """万千瓦时 (10^4 kWh) = 10 MWh, through the alias and the registry (DESIGN.md)."""
    assert ureg.parse_expression(normalise_unit("万千瓦时")).to("MWh").magnitude == (
        pytest.approx(10, rel=EXACT))


@pytest.mark.parametrize(("written", "normalised"), [
    ("10⁴ Nm³", "10^4 Nm3"),
    ("10**4 Nm3", "10^4 Nm3"),
    ("kg HFC-134a", "kg HFC134a"),
    ("GJ／t", "GJ/t"),
])
def test_normalise_unit(written, normalised):
    """Superscripts, full-width signs and dashed gas names are folded (units.normalise_unit)."""
    assert normalise_unit(written) == normalised


def test_superscript_and_ascii_forms_are_the_same_volume():
    """"10⁴ Nm³" and "万Nm3" are both 10 000 m3 (DESIGN.md "Units and gases")."""
    assert canonical("10⁴ Nm³") == canonical("万Nm3") == ("volume", 10_000.0)


@pytest.mark.parametrize("unit", ["furlong", "kg CH4", "1000", "not a unit"])
def test_units_outside_the_accounting_dimensions_are_refused(unit):
    """A length, a gas mass, a bare number or garbage is not an activity unit (units.canonical)."""
    with pytest.raises((pint.PintError, ValueError)):
        canonical(unit)
