"""Tests of carbon.decompose: LMDI-I, zero values, chaining, multilevel, the park identity.

Expected values are computed by hand (the arithmetic is in each docstring) or checked against
an independent high-precision computation (mpmath), never against the code under test.
"""

from __future__ import annotations

import argparse
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

import carbon
from carbon.decompose import (
    Decomposition,
    DecompositionWarning,
    decompose_inventories,
    decompose_park,
    kaya_table,
    lmdi,
    logmean,
    multilevel,
    waterfall,
)
from carbon.decompose.core import contributions
from carbon.errors import (
    DuplicateRowError,
    InputError,
    MissingColumnError,
    ParameterError,
)
from carbon.resources import data_dir

FACTORS = ["activity", "structure", "intensity"]
SAMPLE = data_dir("examples") / "sample_park"
GROWTH = {"new_energy_vehicles": 0.15, "semiconductors": 0.10, "biomedicine": 0.06,
          "energy_storage": 0.20, "building_materials": -0.05, "energy": 0.0}


def two_sectors() -> pd.DataFrame:
    """The hand-computed example of :func:`test_two_sector_example`."""
    return pd.DataFrame({"sector": ["A", "B", "A", "B"], "year": [0, 0, 1, 1],
                         "activity": [100.0, 100.0, 120.0, 120.0],
                         "structure": [0.6, 0.4, 0.5, 0.5], "intensity": [2.0, 1.0, 2.0, 0.8]})


# -- the logarithmic mean -----------------------------------------------------------------------
def test_logmean_kinds_and_limits():
    assert logmean(2.0, 1.0) == pytest.approx(1 / math.log(2), rel=1e-15)
    assert logmean(3.0, 3.0) == 3.0
    assert logmean(3.0, 0.0) == 0.0 and logmean(0.0, 0.0) == 0.0
    arr = logmean(np.array([1.0, 4.0]), np.array([2.0, 4.0]))
    assert isinstance(arr, np.ndarray) and arr[1] == 4.0
    series = logmean(pd.Series([1.0, 2.0], index=["a", "b"]), 2.0)
    assert isinstance(series, pd.Series) and list(series.index) == ["a", "b"]
    assert logmean(1.0, 2.0) == logmean(2.0, 1.0)


def test_logmean_no_cancellation_near_equal_values():
    """L(a, a(1+ε)) = a(1 + ε/2 − ε²/12 + …); the naive formula loses ~half the digits."""
    a, eps = 1234.5, 1e-9
    expected = a * (1 + eps / 2 - eps**2 / 12)
    assert logmean(a, a * (1 + eps)) == pytest.approx(expected, rel=1e-14)


def test_logmean_rejects_negative():
    with pytest.raises(ParameterError, match="must be non-negative"):
        logmean(-1.0, 2.0)


# -- the hand-computed example -----------------------------------------------------------------
def test_two_sector_example():
    """V = Σ_i Q · S_i · I_i, two sectors, years 0 and 1.

    Year 0: Q = 100, S = (0.6, 0.4), I = (2, 1)   → V_A = 120, V_B = 40, V = 160.
    Year 1: Q = 120, S = (0.5, 0.5), I = (2, 0.8) → V_A = 120, V_B = 48, V = 168; ΔV = 8.
    Weights: L(V_A) = L(120, 120) = 120; L(V_B) = L(48, 40) = 8 / ln 1.2 = 43.8786.
    Activity:  (120 + 8/ln 1.2) · ln 1.2          = 120 ln 1.2 + 8       = 29.8786
    Structure: 120 ln(5/6) + (8/ln 1.2) · ln 1.25 = −21.8786 + 9.7912    = −12.0874
    Intensity: (8/ln 1.2) · ln 0.8                                       = −9.7912
    Sum: 29.8786 − 12.0874 − 9.7912 = 8.0000 = ΔV.
    Multiplicative: ln D_x = ΔV_x / L(168, 160), L(168, 160) = 8 / ln 1.05 = 163.9672;
    D_act = exp(29.8786 / 163.9672) = 1.19988, and D_act · D_str · D_int = 168/160 = 1.05.
    """
    ln12, ln125 = math.log(1.2), math.log(1.25)
    expected = {"activity": 120 * ln12 + 8, "structure": -120 * ln12 + 8 * ln125 / ln12,
                "intensity": -8 * ln125 / ln12}
    result = lmdi(two_sectors(), FACTORS)
    effects = result.effects.iloc[0]
    for name, value in expected.items():
        assert effects[name] == pytest.approx(value, rel=1e-13)
    assert effects.sum() == pytest.approx(8.0, rel=1e-14)
    assert result.change.iloc[0] == 8.0
    assert result.residual.abs().max() < 1e-12

    ratio = lmdi(two_sectors(), FACTORS, method="multiplicative").effects.iloc[0]
    mean = 8 / math.log(1.05)
    for name, value in expected.items():
        assert ratio[name] == pytest.approx(math.exp(value / mean), rel=1e-13)
    assert ratio["activity"] == pytest.approx(1.19988, abs=1e-5)
    assert ratio.prod() == pytest.approx(1.05, rel=1e-14)


def test_additive_multiplicative_link():
    """LMDI-I: ln D_x / ln D_total = ΔV_x / ΔV_total (Ang 2005)."""
    additive = lmdi(two_sectors(), FACTORS)
    multiplicative = lmdi(two_sectors(), FACTORS, method="multiplicative")
    lhs = np.log(multiplicative.effects.iloc[0]) / np.log(multiplicative.change.iloc[0])
    rhs = additive.effects.iloc[0] / additive.change.iloc[0]
    np.testing.assert_allclose(lhs.to_numpy(), rhs.to_numpy(), rtol=1e-12)
    # The same object offers both forms.
    pd.testing.assert_frame_equal(additive.multiplicative, multiplicative.effects)


def test_long_form_equals_wide_form():
    wide = two_sectors()
    long = wide.melt(id_vars=["sector", "year"], var_name="factor", value_name="value")
    pd.testing.assert_frame_equal(lmdi(long).effects, lmdi(wide, FACTORS).effects)
    chosen = lmdi(long, ["intensity", "activity", "structure"])
    assert list(chosen.effects.columns) == ["intensity", "activity", "structure"]


def test_single_sub_category_and_detail():
    """V = x · y with no key: ΔV_x = L(V) ln(x ratio). 2·3 = 6 → 4·3 = 12: all to x."""
    result = lmdi(pd.DataFrame({"year": [1, 2], "x": [2.0, 4.0], "y": [3.0, 3.0]}), ["x", "y"])
    assert result.effects.iloc[0].tolist() == pytest.approx([6.0, 0.0])
    detail = two_sectors().pipe(lmdi, FACTORS).detail
    assert set(detail.columns) == {"year_from", "year_to", "sector", "factor", "effect"}
    by_sector = lmdi(two_sectors(), FACTORS).by("sector")
    assert by_sector.loc["A", "intensity"] == 0.0
    assert by_sector.loc["B"].sum() == pytest.approx(8.0)


# -- zero values (Ang and Liu 2007) ------------------------------------------------------------
def with_new_sector() -> pd.DataFrame:
    """Sector C appears in year 1: its share is 0 in year 0 (its intensity there is any
    positive number; it does not matter). V_C^1 = 120 · 0.1 · 3 = 36."""
    extra = pd.DataFrame({"sector": ["C", "C"], "year": [0, 1], "activity": [100.0, 120.0],
                          "structure": [0.0, 0.1], "intensity": [3.0, 3.0]})
    return pd.concat([two_sectors(), extra], ignore_index=True)


def test_sub_category_appearing_goes_to_the_zero_factor():
    """L(36, δ)·ln(0.1/δ) → 36 as δ → 0, while L(36, δ)·ln(1.2) → 0: all of V_C^1 is
    structure, and the total still adds up."""
    result = lmdi(with_new_sector(), FACTORS)
    c = result.detail[result.detail["sector"] == "C"].set_index("factor")["effect"]
    assert c.to_dict() == {"activity": 0.0, "structure": 36.0, "intensity": 0.0}
    assert result.change.iloc[0] == pytest.approx(44.0)
    assert abs(result.residual.iloc[0]) < 1e-12
    # A and B are untouched by C.
    base = lmdi(two_sectors(), FACTORS).effects
    others = result.detail[result.detail["sector"] != "C"].groupby("factor")["effect"].sum()
    np.testing.assert_allclose(others[FACTORS].to_numpy(), base.iloc[0].to_numpy())


def test_sub_category_disappearing():
    """Reversed years: C disappears, −36 to structure (time reversal of LMDI-I)."""
    result = lmdi(with_new_sector(), FACTORS, years=[1, 0])
    c = result.detail[result.detail["sector"] == "C"].set_index("factor")["effect"]
    assert c.to_dict() == {"activity": 0.0, "structure": -36.0, "intensity": 0.0}
    np.testing.assert_allclose(result.effects.to_numpy(),
                               -lmdi(with_new_sector(), FACTORS).effects.to_numpy(), rtol=1e-13)


@pytest.mark.parametrize("intensity", [[0.0, 0.0], [0.0, 5.0]])
def test_factor_zero_in_both_periods_contributes_nothing(intensity):
    """C with zero intensity in both years, or a zero share in year 1 and a zero intensity in
    year 0 (a different factor zero in each period): V_C = 0 throughout, every effect 0."""
    table = with_new_sector()
    table.loc[table["sector"] == "C", "intensity"] = intensity
    if intensity[1] > 0:
        table.loc[(table["sector"] == "C") & (table["year"] == 1), "structure"] = 0.0
    result = lmdi(table, FACTORS)
    assert (result.detail.loc[result.detail["sector"] == "C", "effect"] == 0).all()
    pd.testing.assert_frame_equal(result.effects, lmdi(two_sectors(), FACTORS).effects)


def test_two_zero_factors_split_equally():
    """Same δ for both zeros: V^0 = c·δ², each zero factor gets (−ln δ)/(−2 ln δ) = 1/2."""
    x0, xt = np.array([[0.0, 0.0, 2.0]]), np.array([[3.0, 4.0, 2.0]])
    assert contributions(x0, xt).tolist() == [[12.0, 12.0, 0.0]]


def test_zero_limit_matches_small_delta_in_high_precision():
    """Ang and Liu (2007) replace a zero by δ and let δ → 0; with mpmath at 60 digits the
    δ-results approach the analytical limits like 1/ln δ (Wood and Lenzen 2006)."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60
    x0, xt = [mp.mpf(100), None, mp.mpf(3)], [mp.mpf(120), mp.mpf("0.1"), mp.mpf(3)]
    limit = contributions(np.array([[100.0, 0.0, 3.0]]), np.array([[120.0, 0.1, 3.0]]))[0]
    errors = []
    for exponent in (100, 1000, 10000):
        x0[1] = mp.mpf(10) ** -exponent
        v0, vt = x0[0] * x0[1] * x0[2], xt[0] * xt[1] * xt[2]
        weight = (vt - v0) / (mp.log(vt) - mp.log(v0))
        delta = [float(weight * mp.log(b / a)) for a, b in zip(x0, xt, strict=True)]
        errors.append(np.abs(np.array(delta) - limit).max())
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-3 * 36


# -- chaining ---------------------------------------------------------------------------------
def three_years() -> pd.DataFrame:
    third = two_sectors()[two_sectors()["year"] == 1].assign(
        year=2, activity=150.0, structure=[0.3, 0.7], intensity=[1.5, 0.9])
    return pd.concat([two_sectors(), third], ignore_index=True)


def test_chaining_telescopes_to_the_total_change():
    """V: 160 → 168 → 150·(0.3·1.5 + 0.7·0.9) = 162. Sum over the two pairs = +2."""
    chained = lmdi(three_years(), FACTORS)
    assert list(chained.totals.index) == [(0, 1), (1, 2)]
    assert chained.additive.to_numpy().sum() == pytest.approx(2.0, rel=1e-13)
    cumulative = chained.cumulative()
    assert list(cumulative.index) == [(0, 1), (0, 2)]
    assert cumulative.iloc[-1].sum() == pytest.approx(2.0, rel=1e-13)
    pd.testing.assert_series_equal(cumulative.iloc[-1], chained.additive.sum(), check_names=False)
    product = lmdi(three_years(), FACTORS, method="multiplicative").cumulative().iloc[-1].prod()
    assert product == pytest.approx(162 / 160, rel=1e-13)
    summary = chained.to_dict()["total"]
    assert (summary["from"], summary["to"], summary["change"]) == (0, 2, pytest.approx(2.0))
    # The direct decomposition adds up too, but factor by factor it differs from the chain.
    direct = lmdi(three_years(), FACTORS, years=[0, 2])
    assert direct.effects.iloc[0].sum() == pytest.approx(2.0, rel=1e-13)
    assert not np.allclose(direct.effects.iloc[0], cumulative.iloc[-1])


# -- multilevel ---------------------------------------------------------------------------------
def two_levels() -> pd.DataFrame:
    """Two sectors × two subsectors, three years; activity per subsector, one more factor."""
    rng = np.random.default_rng(7)
    index = pd.MultiIndex.from_product([["S1", "S2"], ["a", "b"], [2020, 2021, 2022]],
                                       names=["sector", "sub", "year"])
    table = index.to_frame(index=False)
    table["sub"] = table["sector"] + table["sub"]
    table["q"] = rng.uniform(5, 50, len(table))
    table["intensity"] = rng.uniform(0.5, 3, len(table))
    return table


def single_level(table: pd.DataFrame) -> Decomposition:
    """The same identity with one share per subsector: V = Σ Q · (Q_j/Q) · I_j."""
    q = table.groupby("year")["q"].transform("sum")
    flat = table.assign(activity=q, share=table["q"] / q)
    return lmdi(flat, ["activity", "share", "intensity"], key=["sector", "sub"])


def test_parallel_structure_effects_add_up_to_the_single_level_one():
    table = two_levels()
    multi = multilevel(table, ["sector", "sub"], "q", ["intensity"])
    single = single_level(table)
    assert list(multi.factors) == ["activity", "structure_sector", "structure_sub", "intensity"]
    e, s = multi.effects, single.effects
    np.testing.assert_allclose(e["structure_sector"] + e["structure_sub"], s["share"],
                               rtol=1e-12)
    np.testing.assert_allclose(e["activity"], s["activity"], rtol=1e-12)
    np.testing.assert_allclose(e["intensity"], s["intensity"], rtol=1e-12)
    assert multi.residual.abs().max() < 1e-10


def test_hierarchical_levels_nest():
    """Top level = single-level decomposition of V = Σ_i Q · S_i · I_i over sectors; within a
    sector, within-sector structure + subsector intensity = that sector's intensity effect."""
    table = two_levels()
    multi = multilevel(table, ["sector", "sub"], "q", ["intensity"], approach="hierarchical")
    assert multi.residual.abs().max() < 1e-10
    sectors = table.assign(v=table["q"] * table["intensity"]).groupby(
        ["sector", "year"], as_index=False)[["q", "v"]].sum()
    q = sectors.groupby("year")["q"].transform("sum")
    top = lmdi(sectors.assign(activity=q, share=sectors["q"] / q,
                              sector_intensity=sectors["v"] / sectors["q"]),
               ["activity", "share", "sector_intensity"], key="sector")
    np.testing.assert_allclose(multi.effects["activity"], top.effects["activity"], rtol=1e-12)
    np.testing.assert_allclose(multi.effects["structure_sector"], top.effects["share"],
                               rtol=1e-12)
    lower = multi.detail[multi.detail["factor"].isin(["structure_sub", "intensity"])]
    within = lower.groupby(["year_from", "year_to", "sector"])["effect"].sum()
    expected = top.detail[top.detail["factor"] == "sector_intensity"].set_index(
        ["year_from", "year_to", "sector"])["effect"]
    np.testing.assert_allclose(within.sort_index(), expected.sort_index(), rtol=1e-11)


@pytest.mark.parametrize("approach", ["parallel", "hierarchical"])
def test_multilevel_new_units(approach):
    """A sector new in 2021 (all its subsectors) is between-sector structure, its whole value.
    A subsector new in 2021 inside an existing sector: in the parallel formulation its whole
    value is within-sector structure; in the hierarchical one its sector's change is first
    split at the top level (activity, between-sector structure, sector intensity), and of the
    sector intensity effect the new subsector's part is all within-sector structure."""
    table = two_levels()
    table.loc[(table["sub"] == "S1a") & (table["year"] == 2020), "q"] = 0.0
    table.loc[(table["sector"] == "S2") & (table["year"] == 2020), "q"] = 0.0
    result = multilevel(table, ["sector", "sub"], "q", ["intensity"], approach=approach,
                        years=[2020, 2021])
    v = table[table["year"] == 2021].assign(v=lambda t: t["q"] * t["intensity"])
    d = result.detail
    new_sector = d[(d["sector"] == "S2")].groupby("factor")["effect"].sum()
    assert new_sector["structure_sector"] == pytest.approx(
        v.loc[v["sector"] == "S2", "v"].sum())
    assert new_sector.drop("structure_sector").abs().max() < 1e-12
    new_sub = d[(d["sub"] == "S1a")].groupby("factor")["effect"].sum()
    if approach == "parallel":
        assert new_sub["structure_sub"] == pytest.approx(v.loc[v["sub"] == "S1a", "v"].sum())
    else:
        assert new_sub["structure_sub"] > 0
    assert new_sub["intensity"] == 0.0
    assert abs(result.residual.iloc[0]) < 1e-10


def test_multilevel_errors():
    table = two_levels()
    with pytest.raises(ParameterError, match="'approach' parameter of multilevel"):
        multilevel(table, ["sector", "sub"], "q", ["intensity"], approach="nested")
    with pytest.raises(ParameterError, match="names other than 'activity'"):
        multilevel(table.rename(columns={"intensity": "activity"}), ["sector", "sub"], "q",
                   ["activity"])
    uneven = pd.concat([table.assign(carrier="x"), table.assign(carrier="y", q=table["q"] + 1)])
    with pytest.raises(InputError, match="different q"):
        multilevel(uneven, ["sector", "sub"], "q", ["intensity"])
    with pytest.raises(MissingColumnError):
        multilevel(table, ["sector", "branch"], "q", ["intensity"], key=["sector", "sub"])


# -- errors of the generic engine ----------------------------------------------------------------
def test_bad_arguments():
    with pytest.raises(ParameterError, match=r"'method' parameter of lmdi must be one of "
                       r"\{'additive', 'multiplicative'\}. Got 'ratio' instead"):
        lmdi(two_sectors(), FACTORS, method="ratio")
    with pytest.raises(ParameterError, match="years of the table"):
        lmdi(two_sectors(), FACTORS, years=[0, 5])
    with pytest.raises(ParameterError, match="at least two years"):
        lmdi(two_sectors()[two_sectors()["year"] == 0], FACTORS)
    with pytest.raises(ParameterError, match="'factors' parameter"):
        lmdi(two_sectors())
    with pytest.raises(MissingColumnError, match="missing column 'output'"):
        lmdi(two_sectors(), ["activity", "output"], key="sector")


@pytest.mark.parametrize(("value", "match"), [(-1.0, "negative"), (np.nan, "missing value"),
                                              ("n/a", "not a number"), (np.inf, "not finite")])
def test_bad_values_name_row_and_column(value, match):
    table = two_sectors().astype({"intensity": object})
    table.loc[1, "intensity"] = value
    with pytest.raises(InputError, match=match) as info:
        lmdi(table, FACTORS)
    problem = info.value.problems[0]
    assert (problem.row, problem.column) == (3, "intensity")


def test_long_form_errors_name_the_long_row():
    long = two_sectors().melt(id_vars=["sector", "year"], var_name="factor", value_name="value")
    long.loc[6, "value"] = -1.0
    with pytest.raises(InputError, match="negative") as info:
        lmdi(long)
    assert (info.value.problems[0].row, info.value.problems[0].value) == (8, -1.0)
    with pytest.raises(InputError, match=r"no value of factor 'structure' for \(sector='A'\)"):
        lmdi(long.drop(index=6))


def test_bad_rows():
    with pytest.raises(DuplicateRowError, match="a second row"):
        lmdi(pd.concat([two_sectors(), two_sectors().iloc[[0]]]), FACTORS)
    with pytest.raises(InputError, match=r"no row for \(sector='B'\) in 1"):
        lmdi(two_sectors().drop(index=3), FACTORS)
    with pytest.raises(ParameterError, match="'additive' when a compared total is zero"):
        lmdi(two_sectors().assign(structure=[0.6, 0.4, 0.0, 0.0]), FACTORS,
             method="multiplicative")


# -- the park -----------------------------------------------------------------------------------
def small_park(extra=()) -> tuple[carbon.Inventory, pd.DataFrame]:
    """Two facilities, fuels with factors that do not change with the year, a refrigerant."""
    rows = [("F1", y, "natural_gas", 100, "10^4 Nm3") for y in (2022, 2023)]
    rows += [("F1", y, "diesel", 20, "t") for y in (2022, 2023)]
    rows += [("F2", y, "natural_gas", 50, "10^4 Nm3") for y in (2022, 2023)]
    rows += [("F2", 2022, "HFC-134a", 0.01, "t"), ("F2", 2023, "HFC-134a", 0.02, "t"), *extra]
    activities = pd.DataFrame(rows, columns=["facility", "year", "activity", "quantity", "unit"])
    facilities = pd.DataFrame({"facility": ["F1", "F2", "F3"],
                               "sector": ["steel", "pharma", "logistics"],
                               "value_added": [1000.0, 500.0, 100.0]})
    return carbon.account(activities, facilities=facilities), facilities


def test_park_value_added_doubling_is_activity_against_intensity():
    """Same energy in both years, value added of every sector doubled: for each row
    L(C, C) = C, so activity = C_energy · ln 2 and intensity = −C_energy · ln 2; structure,
    mix and emission factors 0; non-energy = 26 − 13 t CO2e (HFC-134a, GWP 1300, AR5)."""
    inventory, _ = small_park()
    va = pd.DataFrame({"sector": ["steel", "pharma", "steel", "pharma"],
                       "year": [2022, 2022, 2023, 2023], "value_added": [10, 5, 20, 10]})
    result = decompose_park(inventory, 2022, 2023, value_added=va)
    energy = inventory.facts.query("year == 2022 and carrier != ''")["co2e"].sum()
    effects = result.effects.iloc[0]
    assert effects["activity"] == pytest.approx(energy * math.log(2), rel=1e-12)
    assert effects["energy_intensity"] == pytest.approx(-energy * math.log(2), rel=1e-12)
    assert effects[["structure", "energy_mix", "emission_factor"]].abs().max() < 1e-9
    assert effects["non_energy"] == pytest.approx(13.0, rel=1e-12)
    assert abs(result.residual.iloc[0]) < 1e-9
    assert result.meta["value_added_source"] == "<value_added table>"


def test_park_new_carrier_and_new_sector():
    """F2 starts buying electricity in 2023 (its energy mix share was 0): all of it is mix.
    F3 (logistics) starts in 2023 with value added and diesel: all of it is structure."""
    inventory, _ = small_park([("F2", 2023, "electricity", 1000, "MWh"),
                               ("F3", 2023, "diesel", 5, "t")])
    va = pd.DataFrame({"sector": ["steel", "pharma", "steel", "pharma", "logistics"],
                       "year": [2022, 2022, 2023, 2023, 2023],
                       "value_added": [10, 5, 10, 5, 2]})
    result = decompose_park(inventory, 2022, 2023, value_added=va)
    d = result.detail.set_index(["sector", "carrier", "factor"])["effect"]
    power = inventory.facts.query("activity == 'electricity'")["co2e"].sum()
    assert d[("pharma", "electricity", "energy_mix")] == pytest.approx(power, rel=1e-12)
    truck = inventory.facts.query("facility == 'F3'")["co2e"].sum()
    assert d[("logistics", "liquid", "structure")] == pytest.approx(truck, rel=1e-12)
    assert d.loc["logistics"].drop(("liquid", "structure")).abs().max() < 1e-12
    assert abs(result.residual.iloc[0]) < 1e-9


def test_park_errors():
    inventory, _ = small_park()
    va = pd.DataFrame({"sector": ["steel", "pharma", "steel"], "year": [2022, 2022, 2023],
                       "value_added": [10, 5, 20]})
    with pytest.raises(InputError, match=r"pharma uses .* tce in 2023 but has no value added"):
        decompose_park(inventory, 2022, 2023, value_added=va)
    with pytest.raises(DuplicateRowError):
        decompose_park(inventory, 2022, 2023, value_added=pd.concat([va, va.iloc[[0]]]))
    by_facility = pd.DataFrame({"facility": ["F1", "F11"], "year": [2022, 2022],
                                "value_added": [1, 2]})
    with pytest.raises(InputError, match="facility not in the facilities table; closest: F1"):
        decompose_park(inventory, 2022, 2023, value_added=by_facility)
    with pytest.raises(MissingColumnError, match="'sector' or 'facility'"):
        decompose_park(inventory, 2022, 2023, value_added=va.drop(columns="sector"))
    units = va.assign(value_added_unit=["10^4 CNY", "10^8 CNY", "10^4 CNY"])
    with pytest.raises(InputError, match="several units"):
        decompose_park(inventory, 2022, 2023, value_added=units.iloc[:2])
    with pytest.raises(ParameterError, match="a year of the inventory"):
        decompose_park(inventory, 2020, 2023, value_added=va)
    with pytest.raises(ParameterError, match="after year_from"):
        decompose_park(inventory, 2023, 2022, value_added=va)
    for name, value in (("within", "branch"), ("basis", "spot"), ("approach", "nested")):
        with pytest.raises(ParameterError, match=f"'{name}' parameter"):
            decompose_park(inventory, 2022, 2023, value_added=va, **{name: value})
    with pytest.raises(ParameterError, match="an inventory of one year"):
        decompose_inventories(inventory, inventory)


def test_park_constant_value_added_warns():
    """The facilities table has no year: the same value added for both years, said aloud
    (and attributed to the caller's line)."""
    inventory, facilities = small_park()
    with pytest.warns(DecompositionWarning, match="without a year") as caught:
        result = decompose_park(inventory, 2022, 2023)
    assert caught[0].filename == __file__
    assert result.effects[["activity", "structure"]].abs().max().max() < 1e-9
    assert result.meta["value_added_source"] == "facilities (value added held constant)"
    with pytest.warns(DecompositionWarning) as caught:
        kaya_table(inventory)
    assert caught[0].filename == __file__
    activities = inventory.ledger[["facility", "year", "activity", "quantity", "unit"]]
    before, after = (carbon.account(activities[activities["year"] == y], facilities=facilities)
                     for y in (2022, 2023))
    with pytest.warns(DecompositionWarning):
        decompose_inventories(before, after)
    grown = facilities.assign(value_added=facilities["value_added"] * 2)
    after = carbon.account(activities[activities["year"] == 2023], facilities=grown)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DecompositionWarning)
        result = decompose_inventories(before, after)
    assert result.effects.iloc[0]["activity"] > 0


# -- the sample park ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample(sample_park):
    """The bundled sample park and value added by facility and year: the facilities table's
    value (2023) deflated by a growth rate per sector (invented for the test)."""
    facilities = pd.read_csv(SAMPLE / "facilities.csv")
    rate = facilities["sector"].map(GROWTH)
    va = pd.concat([pd.DataFrame({"facility": facilities["facility"], "year": year,
                                  "value_added": facilities["value_added"] / (1 + rate) ** (
                                      2023 - year), "value_added_unit": "10^4 CNY"})
                    for year in (2021, 2022, 2023)], ignore_index=True)
    return sample_park, va


def park_totals(inventory) -> pd.Series:
    """Scope 1 + 2 per year, transfers netted: what Inventory.total() sums over the years."""
    facts = inventory.facts[inventory.facts["scope"].isin((1, 2))]
    return facts.groupby("year")["co2e"].sum() - inventory.transfers.groupby("year")[
        "co2e_location"].sum()


def test_sample_park_adds_up_to_the_park_total(sample):
    inventory, va = sample
    result = decompose_park(inventory, 2021, 2023, value_added=va)
    totals = park_totals(inventory)
    assert park_totals(inventory).sum() == pytest.approx(inventory.total(), rel=1e-12)
    assert result.totals.iloc[0].tolist() == pytest.approx([totals[2021], totals[2023]],
                                                           rel=1e-12)
    assert abs(result.residual.iloc[0]) < 1e-9 * totals[2023]
    effects = result.effects.iloc[0]
    assert effects["activity"] > 0 and effects["structure"] != 0
    assert result.meta["value_added_unit"] == "10^4 CNY"
    by_sector = result.by("sector")
    np.testing.assert_allclose(by_sector.sum().to_numpy(), effects.to_numpy(), rtol=1e-10,
                               atol=1e-9)
    non_energy = inventory.facts.query("carrier == '' and scope in (1, 2)").groupby("year")[
        "co2e"].sum()
    assert effects["non_energy"] == pytest.approx(non_energy[2023] - non_energy[2021])
    table = kaya_table(inventory, va)
    assert table.groupby("year")["co2e"].sum().to_numpy() == pytest.approx(totals.to_numpy())


def test_sample_park_chained_and_multiplicative(sample):
    inventory, va = sample
    chained = decompose_park(inventory, 2021, 2023, value_added=va, chain=True)
    totals = park_totals(inventory)
    assert len(chained.totals) == 2
    assert chained.additive.to_numpy().sum() == pytest.approx(totals[2023] - totals[2021],
                                                              rel=1e-12)
    ratios = decompose_park(inventory, 2021, 2023, value_added=va, method="multiplicative")
    assert ratios.effects.iloc[0].prod() == pytest.approx(totals[2023] / totals[2021],
                                                          rel=1e-12)


@pytest.mark.parametrize("approach", ["parallel", "hierarchical"])
def test_sample_park_within_facility(sample, approach):
    inventory, va = sample
    result = decompose_park(inventory, 2021, 2023, value_added=va, within="facility",
                            approach=approach)
    assert "structure_facility" in result.factors
    assert abs(result.residual.iloc[0]) < 1e-9 * result.totals["value_to"].iloc[0]
    # Value added grows at one rate per sector: facility shares within a sector are constant.
    assert abs(result.effects.iloc[0]["structure_facility"]) < 1e-6


def test_sample_park_from_two_inventories(sample):
    """Accounting 2021 and 2023 separately gives the same decomposition."""
    inventory, va = sample
    activities = pd.read_csv(SAMPLE / "activities.csv", dtype=str, keep_default_na=False)
    transfers = pd.read_csv(SAMPLE / "transfers.csv", dtype=str, keep_default_na=False)
    one_year = {}
    for year in ("2021", "2023"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", carbon.FactorFallbackWarning)  # 2023 only
            one_year[year] = carbon.account(activities[activities["year"] == year],
                                            facilities=SAMPLE / "facilities.csv",
                                            transfers=transfers[transfers["year"] == year])
    pairwise_result = decompose_inventories(one_year["2021"], one_year["2023"], value_added=va)
    direct = decompose_park(inventory, 2021, 2023, value_added=va)
    np.testing.assert_allclose(pairwise_result.effects.to_numpy(), direct.effects.to_numpy(),
                               rtol=1e-10)


def test_waterfall_writes_a_png_and_leaves_matplotlib_alone(sample, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    before = dict(matplotlib.rcParams)
    inventory, va = sample
    result = decompose_park(inventory, 2021, 2023, value_added=va, chain=True)
    ax = waterfall(result, title="test")
    assert len(ax.patches) == len(result.factors) + 2
    path = tmp_path / "waterfall.png"
    ax.figure.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert dict(matplotlib.rcParams) == before


# -- command line -------------------------------------------------------------------------------
def cli(argv: list[str]) -> int:
    """Run the subcommand as the registered parkcarbon would (registration is not ours)."""
    from carbon.cli import decompose as command
    from carbon.cli._common import run_guarded

    parser = argparse.ArgumentParser(prog="parkcarbon decompose")
    command.add_arguments(parser)
    parser.set_defaults(run=command.run)
    return run_guarded(parser.parse_args(argv))


@pytest.fixture(scope="module")
def va_file(sample, tmp_path_factory):
    path = tmp_path_factory.mktemp("va") / "value_added.csv"
    sample[1].to_csv(path, index=False)
    return path


def sample_args(*more: str) -> list[str]:
    return [str(SAMPLE / "activities.csv"), "--facilities", str(SAMPLE / "facilities.csv"),
            "--transfers", str(SAMPLE / "transfers.csv"), *more]


def test_cli_json_is_one_object(capsys, va_file, tmp_path):
    code = cli(sample_args("--from", "2021", "--to", "2023", "--value-added", str(va_file),
                           "--chain", "--format", "json", "--output", str(tmp_path)))
    out = capsys.readouterr()
    assert code == 0
    summary = json.loads(out.out)
    assert summary["method"] == "additive" and len(summary["periods"]) == 2
    total = summary["total"]
    assert sum(total["effects"].values()) == pytest.approx(total["change"], rel=1e-10)
    assert "earlier year" in out.err  # the factor fallback, on stderr
    for name in ("effects.csv", "contributions.csv", "by_sector.csv", "cumulative.csv",
                 "factors.csv", "summary.json", "waterfall.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_cli_table_and_csv(capsys, va_file):
    assert cli(sample_args("--from", "2021", "--to", "2023", "--value-added", str(va_file),
                           "--within", "facility", "-q")) == 0
    out = capsys.readouterr()
    assert "Structure within sectors" in out.out and "By sector" in out.out and out.err == ""
    assert cli(sample_args("--from", "2021", "--to", "2023", "--format", "csv",
                           "--method", "multiplicative", "-q")) == 0
    frame = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert frame["change"].iloc[0] == pytest.approx(frame.iloc[0][list(
        ("activity", "structure", "energy_intensity", "energy_mix", "emission_factor",
         "non_energy"))].prod())


def test_cli_user_error_is_one_message(capsys):
    assert cli(sample_args("--from", "2023", "--to", "2021", "--format", "json")) == 1
    out = capsys.readouterr()
    assert json.loads(out.out)["error"]["type"] == "ParameterError"
    assert "Traceback" not in out.err and "after year_from" in out.err


def test_cli_reads_the_workbook_value_added_sheet(capsys, tmp_path):
    inventory, facilities = small_park()
    activities = inventory.ledger[["facility", "year", "activity", "quantity", "unit"]]
    va = pd.DataFrame({"sector": ["steel", "pharma"] * 2, "year": [2022, 2022, 2023, 2023],
                       "value_added": [10, 5, 20, 10], "value_added_unit": "10^4 CNY"})
    path = tmp_path / "park.xlsx"
    with pd.ExcelWriter(path) as book:
        activities.to_excel(book, sheet_name="activities", index=False)
        facilities.to_excel(book, sheet_name="facilities", index=False)
        va.to_excel(book, sheet_name="value_added", index=False)
    assert cli([str(path), "--from", "2022", "--to", "2023", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["value_added_source"] == "park.xlsx, sheet value_added"
    assert summary["total"]["effects"]["activity"] > 0
