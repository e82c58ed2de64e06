"""The bundled sample park (examples/sample_park): 44 facilities, 2021-2023, monthly records.

It must account in strict mode. Its Guangdong facilities have no 2023 provincial grid factor
(REFERENCES.md: "2023 provincial values were not found"), so 2023 falls back to Guangdong's 2022
factor and the engine warns (DESIGN.md: the fallback is recorded).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

#: REFERENCES.md China guideline: 389.31 GJ x 15.30 t C/TJ x 0.99 x 44/12 per 10^4 Nm3,
#: printed to 6 significant figures.
NATURAL_GAS_T_CO2_PER_1E4_NM3 = 21.6219
SF6_GWP_AR5 = 23_500  # REFERENCES.md "GWP100"


@pytest.fixture(scope="module")
def activities(sample_park_dir) -> pd.DataFrame:
    return pd.read_csv(sample_park_dir / "activities.csv", dtype=str, keep_default_na=False)


def test_sample_park_accounts_every_row(sample_park, activities):
    """Strict mode accounts all rows of activities.csv and rejects none (DESIGN.md)."""
    assert sample_park.rows == {"input": len(activities), "accounted": len(activities),
                              "rejected": 0}
    assert sample_park.rejected.empty
    assert sample_park.ledger["row"].nunique() == len(activities)


def test_sample_park_fallback_is_recorded(sample_park):
    """The Guangdong 2023 fallback is in Inventory.fallbacks with its reason (DESIGN.md)."""
    fallbacks = sample_park.fallbacks
    guangdong = fallbacks[(fallbacks["region"] == "CN-GD") & (fallbacks["year"] == 2023)]
    assert (guangdong["used_year"] == 2022).any()
    assert guangdong["reason"].str.contains("no 2023 factor, 2022 used").any()


def test_sample_park_total_nets_the_chp_sales(sample_park):
    """The park total is below the sum of the enterprise totals by exactly what the CHP sold
    inside the park (DESIGN.md "Outputs"; REFERENCES.md "Park double counting")."""
    summary = sample_park.summary()
    facility_sum = sample_park.by_facility()["total"].sum()
    assert summary["total"] < facility_sum
    assert sample_park.netted["scope2_location"] > 0
    assert facility_sum - summary["total"] == pytest.approx(
        sample_park.netted["scope2_location"], rel=1e-9)


def test_sample_park_summary_has_every_design_key(sample_park):
    """summary() carries every key DESIGN.md "Outputs" lists, with the documented shapes."""
    summary = sample_park.summary()
    assert {"unit", "gwp", "profile", "total", "total_market", "scope1", "scope2_location",
            "scope2_market", "scope3", "by_gas", "by_facility", "energy_tce",
            "rows"} <= set(summary)
    assert (summary["unit"], summary["gwp"], summary["profile"]) == ("t CO2e", "AR5", "cn")
    assert set(summary["rows"]) == {"input", "accounted", "rejected"}
    assert len(summary["by_facility"]) == 44
    for figures in summary["by_facility"].values():
        assert {"scope1", "scope2_location", "scope2_market", "scope3", "total"} <= set(figures)


def test_sample_park_totals_are_sums_of_scopes(sample_park):
    """total = scope1 + scope2_location and total_market = scope1 + scope2_market (DESIGN.md)."""
    s = sample_park.summary()
    assert s["total"] == pytest.approx(s["scope1"] + s["scope2_location"], rel=1e-12)
    assert s["total_market"] == pytest.approx(s["scope1"] + s["scope2_market"], rel=1e-12)


def test_sample_park_summary_is_json(sample_park):
    """summary() is what ``--format json`` prints: plain JSON types only (DESIGN.md)."""
    assert json.loads(json.dumps(sample_park.summary())) == sample_park.summary()


def test_chp_scope1_by_hand(sample_park, activities):
    """CHP-01's Scope 1 recomputed from its rows: natural gas at 21.6219 t CO2 per 10^4 Nm3
    (REFERENCES.md China guideline) plus SF6 top-ups at AR5 23 500 (REFERENCES.md "GWP100").

    rel 1e-5: 21.6219 is the guideline EF rounded to 6 significant figures (error < 2.3e-6).
    """
    chp = activities[activities["facility"] == "CHP-01"]
    gas = chp[chp["activity"] == "natural_gas"]
    assert set(gas["unit"]) == {"10^4 Nm3"}  # the hand-check assumes one unit
    gas_co2 = gas["quantity"].astype(float).sum() * NATURAL_GAS_T_CO2_PER_1E4_NM3
    sf6 = chp[chp["activity"] == "SF6"]
    assert set(sf6["unit"]) == {"kg"}
    sf6_co2e = sf6["quantity"].astype(float).sum() / 1000 * SF6_GWP_AR5
    by_activity = sample_park.by("facility", "activity").loc["CHP-01"]
    assert by_activity["natural_gas"] == pytest.approx(gas_co2, rel=1e-5)
    assert sample_park.by_facility().loc["CHP-01", "scope1"] == pytest.approx(
        gas_co2 + sf6_co2e, rel=1e-5)


def test_transfers_never_exceed_what_buyers_hold(sample_park):
    """Each transfer takes a share in [0, 1] of the buyer's purchase (park.py)."""
    shares = sample_park.transfers.groupby(["buyer", "year", "carrier"])["share"].sum()
    assert ((shares >= 0) & (shares <= 1 + 1e-9)).all()
    assert len(sample_park.transfers) == 39
