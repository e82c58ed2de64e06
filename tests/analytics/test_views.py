"""Views: every breakdown adds up to the park total (property), missing is not zero, top
emitters' shares."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon
import carbon.analytics as ca
from carbon.analytics import views
from carbon.testing import FACILITIES, activities_frames, transfers_frames

SECTORS = pd.DataFrame({"facility": list(FACILITIES),
                        "sector": ["chips", "energy", "chips", ""]})
FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def parks(draw):
    frame = draw(activities_frames(max_rows=12, instruments=True))
    transfers = draw(transfers_frames(frame))
    return frame, transfers


def close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(scale, 1.0))


@FAST
@given(parks())
def test_breakdowns_add_up_to_the_park(park):
    """Sectors, facilities, carriers, months and the flow of each year add up to the park's
    Scope 1 + 2 (transfers netted), and energy to Inventory.energy_tce()."""
    frame, transfers = park
    inventory = carbon.account(frame, facilities=SECTORS, transfers=transfers)
    territory = ca.Territory(inventory)
    gross = float(inventory.facts["co2e"].abs().sum()) + float(inventory.energy["tce"].sum())
    total, energy = inventory.total(), inventory.energy_tce()
    sectors = views.by_sector(territory)
    assert close(sectors["total"].sum(), total, gross)
    assert close(sectors["energy_tce"].sum(), energy, gross)
    assert close(views.by_facility(territory)["total"].sum(), total, gross)
    assert close(views.by_carrier(territory)["co2e"].sum(), total, gross)
    assert close(views.by_carrier(territory)["tce"].sum(), energy, gross)
    assert close(views.by_month(territory)["co2e"].sum(), total, gross)
    assert close(views.flow(territory)["co2e"].sum(), total, gross)
    assert close(views.flow(territory)["tce"].sum(), energy, gross)
    scopes = views.by_scope(territory)
    assert close(scopes.loc[scopes["in_total"], "co2e"].sum(), total, gross)
    # per year too: sector totals equal the dual-control total of the year
    per_year = ca.indicator_values(territory, ca.denominators(territory))["co2e"]
    for year, value in sectors.groupby("year")["total"].sum().items():
        assert close(value, per_year[year], gross)
    # enterprise view minus what was bought inside the park is the territorial view
    facilities = views.by_facility(territory)
    assert close(facilities["enterprise_total"].sum(),
                 float(inventory.by_facility()["total"].sum()), gross)


@pytest.fixture(scope="module")
def two_year_park(h):
    rows = [{"facility": "A", "year": 2022, "activity": "electricity", "quantity": 100,
             "unit": "MWh"},
            {"facility": "A", "year": 2023, "activity": "electricity", "quantity": 0,
             "unit": "MWh"},
            {"facility": "B", "year": 2022, "activity": "diesel", "quantity": 1,
             "unit": "t"}]
    return ca.Territory(h.account(rows, [{"facility": "A", "sector": "x"},
                                         {"facility": "B", "sector": "y"}]))


def test_no_records_is_missing_and_zero_records_are_zero(two_year_park):
    """B has no 2023 record: no row (missing), not a zero row. A reported 0 MWh in 2023: a
    row of 0 ("not occurring" is zero). Inside a row, a scope without rows is 0."""
    facilities = views.by_facility(two_year_park).set_index(["facility", "year"])
    assert ("B", 2023) not in facilities.index
    assert facilities.at[("A", 2023), "total"] == 0.0
    assert facilities.at[("A", 2022), "scope1"] == 0.0
    wide = facilities["total"].unstack("year")
    assert math.isnan(wide.at["B", 2023])
    assert wide[2023].sum(min_count=1) == 0.0  # A's zero, not B's missing
    sectors = views.by_sector(two_year_park)
    assert set(sectors.loc[sectors["year"] == 2023, "sector"]) == {"x"}


def test_no_sector_is_labelled(h):
    territory = ca.Territory(h.account([{"facility": "A", "year": 2022,
                                         "activity": "diesel", "quantity": 1, "unit": "t"}]))
    assert list(views.by_sector(territory)["sector"]) == ["(no sector)"]


def test_top_emitters_on_the_sample_park(sample_report, sample_park):
    top = sample_report.top_emitters
    assert len(top) == 5 and list(top["rank"]) == [1, 2, 3, 4, 5]
    assert top["total"].is_monotonic_decreasing
    assert top["cumulative_share"].iloc[-1] == pytest.approx(top["share"].sum(), rel=1e-12)
    latest = sample_report.by_facility[sample_report.by_facility["year"] == 2023]
    assert top["share"].iloc[0] == pytest.approx(latest["total"].max() / latest["total"].sum(),
                                                 rel=1e-12)
    assert latest["share"].sum() == pytest.approx(1.0, rel=1e-12)


def test_sample_park_gases_and_scopes(sample_report, sample_park):
    gases = sample_report.by_gas
    assert gases["co2e"].sum() == pytest.approx(sample_park.total(), rel=1e-12)
    by_gas = gases.groupby("gas")["emissions"].sum()
    for gas, tonnes in sample_park.by_gas().items():  # Inventory.by_gas nets transfers per gas
        assert by_gas[gas] == pytest.approx(tonnes, rel=1e-9)
    carriers = sample_report.by_carrier
    assert {"electricity", "heat", "gas", "liquid", "solid"} <= set(carriers["carrier"])
    # what the carriers' rows lost to netting is what the inventory nets
    assert carriers["co2e_netted"].sum() == pytest.approx(sample_park.netted["scope2_location"],
                                                          rel=1e-9)
    assert carriers["tce_netted"].sum() == pytest.approx(sample_park.netted["energy_tce"], rel=1e-9)
