"""Base-year recalculation (GHG Protocol Corporate Standard, chapter 5), by hand and as a
property: the recalculated base year equals a fresh inventory of the new boundary.

Hand case: national grid 0.5568 t CO2/MWh in 2021, 0.5366 in 2022 (REFERENCES.md). A, B and
C buy 1000, 2000 and 500 MWh every year; C has no 2023 record (it left), D appears in 2022
(new). Base 2021 as reported: 3500 MWh x 0.5568 = 1948.8 t. For 2023 the boundary is A, B, D:
recalculated base 3000 x 0.5568 = 1670.4 t, a structural change of -500/3500 = -14.29 %.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import carbon
import carbon.analytics as ca
from carbon.errors import InputError, MissingColumnError, ParameterError
from carbon.testing import FACILITIES, activities_frames, transfers_frames


def electricity(facility, year, mwh):
    return {"facility": facility, "year": year, "activity": "electricity", "quantity": mwh,
            "unit": "MWh"}


ROWS = ([electricity(f, y, q) for f, q in (("A", 1000), ("B", 2000)) for y in (2021, 2022, 2023)]
        + [electricity("C", y, 500) for y in (2021, 2022)]
        + [electricity("D", y, 400) for y in (2022, 2023)])


@pytest.fixture(scope="module")
def park(h):
    territory = ca.Territory(h.account(ROWS))
    return territory, ca.denominators(territory)


def test_leaving_facility_recalculates_the_base_year(park):
    tracked = ca.track_base_year(*park, 2021)
    rows = tracked.tracking.set_index("year")
    assert rows.at[2021, "base_co2e"] == pytest.approx(3500 * 0.5568, rel=1e-12)
    assert not rows.at[2022, "recalculated"]  # D is new: organic growth, no recalculation
    assert rows.at[2022, "base_co2e"] == pytest.approx(3500 * 0.5568, rel=1e-12)
    assert rows.at[2023, "recalculated"]
    assert rows.at[2023, "base_co2e"] == pytest.approx(3000 * 0.5568, rel=1e-12)
    assert rows.at[2023, "structural_change"] == pytest.approx(-500 / 3500, rel=1e-12)
    assert "left the park since 2021: C" in rows.at[2023, "reason"]
    assert "new since 2021" in rows.at[2023, "reason"] and "D" in rows.at[2023, "reason"]
    assert "at least the 5% threshold" in rows.at[2023, "reason"]
    # 2023 emissions (A, B, D: 3400 MWh x 0.5306) against the recalculated base
    assert rows.at[2023, "change_vs_base"] == pytest.approx(
        3400 * 0.5306 / (3000 * 0.5568) - 1, rel=1e-12)
    changes = tracked.changes.set_index("facility")
    assert changes.at["C", "change"] == "left" and changes.at["C", "year"] == 2023
    assert changes.at["C", "base_year_co2e"] == pytest.approx(500 * 0.5568, rel=1e-12)
    assert changes.at["D", "change"] == "joined" and changes.at["D", "base_year_co2e"] == 0


def test_below_the_threshold_the_base_year_stays(park):
    rows = ca.track_base_year(*park, 2021, threshold=0.2).tracking.set_index("year")
    assert not rows.at[2023, "recalculated"]
    assert rows.at[2023, "base_co2e"] == pytest.approx(3500 * 0.5568, rel=1e-12)
    assert "below the 20% threshold" in rows.at[2023, "reason"]


def test_membership_table_adds_an_acquired_facility(h):
    """D joined in 2022 with its 2021 records (400 MWh): an acquisition, so the 2022 base is
    (3500 + 400) x 0.5568, a +11.43 % change."""
    rows = [*ROWS, electricity("D", 2021, 400)]
    territory = ca.Territory(h.account(rows))
    den = ca.denominators(territory)
    membership = pd.DataFrame({"facility": ["D", "C"], "joined": [2022, None],
                               "left": [None, 2023]})
    tracked = ca.track_base_year(territory, den, 2021, membership=membership)
    table = tracked.tracking.set_index("year")
    assert table.at[2021, "base_co2e"] == pytest.approx(3500 * 0.5568, rel=1e-12)
    assert table.at[2021, "co2e"] == pytest.approx(3500 * 0.5568, rel=1e-12)
    assert table.at[2022, "recalculated"]
    assert table.at[2022, "base_co2e"] == pytest.approx(3900 * 0.5568, rel=1e-12)
    assert "joined with 2021 records: D" in table.at[2022, "reason"]
    assert any("D 2021" in n for n in tracked.notes)
    assert tracked.changes.set_index("facility").at["D", "base_year_co2e"] == pytest.approx(
        400 * 0.5568, rel=1e-12)


def test_recalculated_base_feeds_change_vs_base(h):
    report = ca.report(h.account(ROWS), base_year=2021, top=1)
    t = report.dual_control.set_index(["indicator", "year"])
    assert t.at[("co2e", 2023), "base_value"] == pytest.approx(3000 * 0.5568, rel=1e-12)
    assert t.at[("co2e", 2022), "base_value"] == pytest.approx(3500 * 0.5568, rel=1e-12)
    assert any("recalculated" in n for n in report.notes)


@pytest.mark.parametrize(("options", "match"), [
    ({"year": 2020}, "base_year"), ({"year": 2021, "threshold": 1.5}, "threshold"),
    ({"year": 2021, "threshold": "5%"}, "threshold")])
def test_bad_arguments(park, options, match):
    with pytest.raises(ParameterError, match=match):
        ca.track_base_year(*park, **options)


@pytest.mark.parametrize(("table", "column", "reason"), [
    ({"facility": ["Z"], "left": [2023]}, "facility", "closest"),
    ({"facility": ["C"], "joined": [2023], "left": [2022]}, "left", "not after joined"),
    ({"facility": ["C"], "left": ["soon"]}, "left", "not a whole year"),
])
def test_bad_membership_table(park, table, column, reason):
    with pytest.raises(InputError) as caught:
        ca.track_base_year(*park, 2021, membership=pd.DataFrame(table))
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (2, column) and reason in problem.reason


def test_membership_needs_columns(park):
    with pytest.raises(MissingColumnError):
        ca.track_base_year(*park, 2021, membership=pd.DataFrame({"facility": ["C"]}))


@st.composite
def changing_parks(draw):
    """A park over 2021-2023 where some facilities have no 2023 records (they left)."""
    frame = draw(activities_frames(min_rows=2, max_rows=12))
    transfers = draw(transfers_frames(frame))
    leavers = draw(st.sets(st.sampled_from(list(FACILITIES))))
    gone = (frame["year"] == 2023) & frame["facility"].isin(leavers)
    frame = frame[~gone].reset_index(drop=True)
    if len(transfers):
        involved = transfers["seller"].isin(leavers) | transfers["buyer"].isin(leavers)
        left = set(frame["facility"])  # a leaver with 2023 records only is gone altogether
        known = transfers["seller"].isin(left) & transfers["buyer"].isin(left)
        transfers = transfers[~((transfers["year"] == 2023) & involved) & known]
    return frame, transfers.reset_index(drop=True)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(changing_parks())
def test_recalculated_base_equals_a_fresh_inventory_of_the_new_boundary(park):
    frame, transfers = park
    years = set(frame["year"])
    assume({2021, 2023} <= years)
    members = set(frame.loc[frame["year"] == 2023, "facility"])
    boundary = members & set(frame.loc[frame["year"] == 2021, "facility"])
    assume(boundary)
    inventory = carbon.account(frame, transfers=transfers)
    territory = ca.Territory(inventory)
    tracked = ca.track_base_year(territory, ca.denominators(territory), 2021, threshold=0.0)
    recalculated = tracked.tracking.set_index("year").at[2023, "base_co2e"]

    base_rows = frame[(frame["year"] == 2021) & frame["facility"].isin(boundary)]
    inside = (transfers["year"] == 2021) & transfers["seller"].isin(boundary) & \
        transfers["buyer"].isin(boundary) if len(transfers) else []
    fresh = carbon.account(base_rows.reset_index(drop=True),
                           transfers=transfers[inside] if len(transfers) else None)
    scale = float(inventory.facts["co2e"].abs().sum())
    assert math.isclose(recalculated, fresh.total(), rel_tol=1e-9, abs_tol=1e-9 * max(scale, 1))
    assert math.isclose(tracked.tracking.set_index("year").at[2023, "base_tce"],
                        fresh.energy_tce(), rel_tol=1e-9, abs_tol=1e-9 * max(scale, 1))
