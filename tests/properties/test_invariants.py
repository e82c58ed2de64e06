"""Invariants of the accounting core, over random valid (and spoilt) activity tables.

The tables come from the public strategies of :mod:`carbon.testing`: national factors, years
2021-2023, no duplicates, so strict mode accepts them with no fallback warning. Each property is
a promise of DESIGN.md:

- units are carried per column and converted exactly ("Units and gases");
- emissions are linear in the quantity, so splitting a record or reordering rows changes nothing;
- facility figures follow enterprise accounting and add up to the park when nothing is
  transferred; transfers only take the in-park energy out of the park total ("Outputs");
- nothing is dropped silently: input = accounted + rejected ("Bad input").

Tolerance: rel 1e-9 (abs 1e-9 t near zero) everywhere. Totals are sums of products of floats,
and a different row order, unit or split changes only the rounding of those sums.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

import carbon
from carbon.testing import (
    ACTIVITY_UNITS,
    activities_frames,
    frames_with_bad_rows,
    has_duplicates,
    quantities,
    transfers_frames,
)
from carbon.units import canonical

REL, ABS = 1e-9, 1e-9
MAX_ROWS = 12

gwp_sets = st.sampled_from(["AR4", "AR5", "AR6"])
profiles = st.sampled_from(["cn", "ipcc2006"])
SCALARS = ("total", "total_market", "scope1", "scope2_location", "scope2_market", "scope3",
           "energy_tce")


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)


def assert_same_inventory(a: carbon.Inventory, b: carbon.Inventory) -> None:
    """Same park figures, gases and facility table, up to float rounding."""
    sa, sb = a.summary(), b.summary()
    for key in SCALARS:
        assert close(sa[key], sb[key]), (key, sa[key], sb[key])
    assert sa["by_gas"].keys() == sb["by_gas"].keys()
    for gas in sa["by_gas"]:
        assert close(sa["by_gas"][gas], sb["by_gas"][gas]), gas
    pd.testing.assert_frame_equal(a.by_facility(), b.by_facility(), check_like=True,
                                  check_exact=False, rtol=REL, atol=ABS)


# -- units (DESIGN.md "Units and gases") -----------------------------------------------------

MASS_ACTIVITIES = sorted(a for a, units in ACTIVITY_UNITS.items() if "t" in units)


@given(st.sampled_from(MASS_ACTIVITIES), quantities(1e4), profiles, gwp_sets)
def test_same_mass_in_t_kg_or_wan_t_gives_the_same_co2e(activity, tonnes, profile, gwp):
    """x t = 1000 x kg = x / 10^4 万t: the same CO2e, gases and energy (DESIGN.md units)."""
    def account(quantity: float, unit: str) -> carbon.Inventory:
        frame = pd.DataFrame([{"facility": "F", "year": 2022, "activity": activity,
                               "quantity": quantity, "unit": unit}])
        return carbon.account(frame, profile=profile, gwp=gwp)

    in_t = account(tonnes, "t")
    assert_same_inventory(in_t, account(tonnes * 1000, "kg"))
    assert_same_inventory(in_t, account(tonnes / 10_000, "万t"))


@given(activities_frames(max_rows=MAX_ROWS), st.data(), gwp_sets)
def test_reexpressing_rows_in_another_unit_changes_nothing(frame, data, gwp):
    """Each row rewritten in another unit of the same dimension (MWh -> 万kWh, 10^4 Nm3 -> m3,
    t -> kg...) gives the same inventory: conversions are exact (DESIGN.md units)."""
    from carbon.factors import library

    lib = library()
    rewritten = frame.copy()
    for i, row in frame.iterrows():
        key = lib.canonical_activity(row["activity"])
        dimension, factor = canonical(row["unit"])
        same_dimension = [u for u in ACTIVITY_UNITS[key] if canonical(u)[0] == dimension]
        unit = data.draw(st.sampled_from(same_dimension))
        rewritten.loc[i, "unit"] = unit
        rewritten.loc[i, "quantity"] = row["quantity"] * factor / canonical(unit)[1]
    assume(not has_duplicates(rewritten))
    assert_same_inventory(carbon.account(frame, gwp=gwp), carbon.account(rewritten, gwp=gwp))


# -- linearity ---------------------------------------------------------------------------------

@given(activities_frames(max_rows=MAX_ROWS), st.data(), st.floats(0.01, 0.99), profiles)
def test_splitting_a_row_into_two_parts_changes_nothing(frame, data, share, profile):
    """A record split into two unequal parts (not duplicates of each other) gives the same
    inventory: emissions are linear in the quantity (DESIGN.md "Outputs")."""
    i = data.draw(st.integers(0, len(frame) - 1))
    row = frame.iloc[i]
    first = row["quantity"] * share
    second = row["quantity"] - first
    assume(row["quantity"] > 0 and first != second)
    parts = pd.DataFrame([row, row]).reset_index(drop=True)
    parts["quantity"] = [first, second]
    split = pd.concat([frame.drop(index=frame.index[i]), parts], ignore_index=True)
    assume(not has_duplicates(split))
    whole = carbon.account(frame, profile=profile)
    halves = carbon.account(split, profile=profile)
    assert halves.rows["accounted"] == len(frame) + 1
    assert_same_inventory(whole, halves)


@given(activities_frames(max_rows=MAX_ROWS), st.floats(0.001, 1000), gwp_sets)
def test_scaling_every_quantity_scales_every_figure(frame, factor, gwp):
    """Multiplying every quantity by k multiplies every total and gas by k (linearity)."""
    scaled = frame.assign(quantity=frame["quantity"] * factor)
    assume(not has_duplicates(scaled))
    base, big = carbon.account(frame, gwp=gwp).summary(), carbon.account(scaled, gwp=gwp).summary()
    for key in SCALARS:
        assert math.isclose(big[key], base[key] * factor, rel_tol=1e-9, abs_tol=1e-9), key


@given(activities_frames(max_rows=MAX_ROWS), st.randoms(use_true_random=False), profiles)
def test_row_order_changes_nothing(frame, random, profile):
    """The same rows in any order give the same inventory (DESIGN.md: vectorised core)."""
    order = list(range(len(frame)))
    random.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    assert_same_inventory(carbon.account(frame, profile=profile),
                          carbon.account(shuffled, profile=profile))


CO2_ONLY_IN_CN = sorted(a for a in ACTIVITY_UNITS
                        if carbon.library().activities.at[a, "category"] in
                        ("stationary_combustion", "purchased_electricity", "purchased_heat",
                         "process"))


@given(activities_frames(max_rows=MAX_ROWS, activities=CO2_ONLY_IN_CN))
def test_gwp_set_does_not_touch_co2(frame):
    """Profile cn counts only CO2 for combustion, power, heat and process, and CO2's GWP is 1
    in every set: the total is the same under AR4, AR5 and AR6 (DESIGN.md profiles)."""
    totals = [carbon.account(frame, profile="cn", gwp=g).total() for g in ("AR4", "AR5", "AR6")]
    assert close(totals[0], totals[1]) and close(totals[1], totals[2])


# -- the park (DESIGN.md "Outputs") ----------------------------------------------------------------

@given(activities_frames(max_rows=MAX_ROWS, instruments=True), profiles, gwp_sets)
def test_facility_totals_add_up_to_the_park_without_transfers(frame, profile, gwp):
    """With no transfers, every park figure is the sum of the facility figures."""
    inventory = carbon.account(frame, profile=profile, gwp=gwp)
    summary, facilities = inventory.summary(), inventory.by_facility()
    for key in ("scope1", "scope2_location", "scope2_market", "scope3", "total", "energy_tce"):
        assert close(facilities[key].sum(), summary[key]), key
    by_scope = inventory.by("scope")
    assert close(by_scope.get(1, 0.0) + by_scope.get(2, 0.0), summary["total"])
    assert close(by_scope.get(3, 0.0), summary["scope3"])


ENERGY_PARK = ["electricity", "heat", "natural_gas", "diesel"]
#: A CHP plant and two tenants: few facilities, so most tables hold energy to transfer.
PARK_FACILITIES = ("CHP-01", "T1", "坪山制药")


@given(activities_frames(min_rows=2, max_rows=MAX_ROWS, activities=ENERGY_PARK,
                         facilities=PARK_FACILITIES, instruments=True)
       .flatmap(lambda frame: st.tuples(st.just(frame), transfers_frames(frame))))
def test_transfers_change_no_facility_figure(frame_and_transfers):
    """Transfers never change a facility's own figures (enterprise view), in particular its
    Scope 1; the park total drops by exactly what is netted, never below Scope 1."""
    frame, transfers = frame_and_transfers
    event(f"{len(transfers)} transfer(s)")
    alone = carbon.account(frame)
    netted = carbon.account(frame, transfers=transfers)
    pd.testing.assert_frame_equal(alone.by_facility(), netted.by_facility())
    before, after = alone.summary(), netted.summary()
    assert after["scope1"] == before["scope1"]
    assert after["scope3"] == before["scope3"]
    taken = netted.netted["scope2_location"]
    assert -ABS <= taken <= before["scope2_location"] * (1 + REL) + ABS
    assert close(after["total"], before["total"] - taken)
    assert after["total"] >= after["scope1"] - ABS
    assert after["scope2_market"] >= -ABS
    assert after["energy_tce"] <= before["energy_tce"] * (1 + REL) + ABS


# -- nothing is dropped (DESIGN.md "Bad input") ------------------------------------------------

@given(frames_with_bad_rows(max_rows=MAX_ROWS))
def test_lenient_mode_rejects_exactly_the_bad_rows(frame_and_bad):
    """In lenient mode input = accounted + rejected, the rejected rows are exactly the spoilt
    ones (by spreadsheet row), and the rest accounts as strict mode would alone."""
    frame, bad = frame_and_bad
    inventory = carbon.account(frame, strict=False)
    assert inventory.rows == {"input": len(frame), "accounted": len(frame) - len(bad),
                              "rejected": len(bad)}
    assert set(inventory.rejected["row"]) == {p + 2 for p in bad}
    assert inventory.rejected["reason"].str.len().gt(0).all()
    good = frame.drop(index=sorted(bad))
    assert set(inventory.ledger["row"]) == {p + 2 for p in good.index}
    alone = carbon.account(good.reset_index(drop=True))
    assert_same_inventory(inventory, alone)


@given(frames_with_bad_rows(max_rows=MAX_ROWS, min_bad=1))
def test_strict_mode_names_the_first_bad_row(frame_and_bad):
    """In strict mode any spoilt row raises an InputError that names the first one
    (DESIGN.md "Bad input": strict mode stops before any result)."""
    frame, bad = frame_and_bad
    with pytest.raises(carbon.InputError) as caught:
        carbon.account(frame)
    assert f"row {min(bad) + 2}," in str(caught.value)
