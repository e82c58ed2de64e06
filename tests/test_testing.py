"""carbon.testing: the public strategies must only build tables the engine accepts.

The strategies promise (carbon/testing.py) that every (activity, unit) of ``ACTIVITY_UNITS``
accounts in strict mode under both profiles, every GWP set and each year 2021-2023 with national
factors and no fallback warning; these tests hold them to it, row by row.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

import carbon
from carbon.testing import ACTIVITY_UNITS, CORRUPTIONS, YEARS, activity_names, has_duplicates


def every_pair() -> pd.DataFrame:
    """One row per activity name (key and aliases), unit and year, quantity 1."""
    records = [{"facility": "F", "year": year, "activity": name, "quantity": 1.0, "unit": unit}
               for activity, units in ACTIVITY_UNITS.items()
               for name, unit, year in itertools.product(activity_names(activity), units, YEARS)]
    return pd.DataFrame(records)


@pytest.mark.parametrize("profile", ["cn", "ipcc2006"])
@pytest.mark.parametrize("gwp", ["AR4", "AR5", "AR6"])
def test_every_activity_unit_pair_accounts(profile, gwp):
    """Every pair accounts in strict mode, without a fallback warning (conftest makes one an
    error), and gives a positive CO2e in the scope factors/activities.csv assigns."""
    frame = every_pair()
    inventory = carbon.account(frame, profile=profile, gwp=gwp)
    assert inventory.rows["accounted"] == len(frame)
    ledger = inventory.ledger
    per_row = ledger.groupby("row")["co2e"].sum()
    assert (per_row > 0).all(), per_row[per_row <= 0]
    scopes = carbon.library().activities["scope"].astype(int)
    assert (ledger["scope"] == ledger["activity"].map(scopes)).all()


def test_activity_units_are_library_keys():
    """The strategies draw only activity keys the library defines (factors/activities.csv)."""
    assert set(ACTIVITY_UNITS) <= set(carbon.library().activity_keys())


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_is_rejected(name):
    """Each corruption of CORRUPTIONS makes exactly the spoilt row fail (DESIGN.md "Bad input")."""
    good = {"facility": "F", "year": 2022, "month": 5, "activity": "natural_gas",
            "quantity": 3.0, "unit": "10^4 Nm3"}
    column, replacement = CORRUPTIONS[name]
    bad = {**good, column: replacement(good) if callable(replacement) else replacement}
    frame = pd.DataFrame([good | {"quantity": 1.0}, bad]).astype(object)
    inventory = carbon.account(frame, strict=False)
    assert list(inventory.rejected["row"]) == [3]


def test_has_duplicates():
    """has_duplicates follows DESIGN.md's duplicate key: a change of month is a new record."""
    row = {"facility": "F", "year": 2022, "month": 1, "activity": "diesel", "quantity": 1.0,
           "unit": "t"}
    assert has_duplicates(pd.DataFrame([row, row]))
    assert not has_duplicates(pd.DataFrame([row, {**row, "month": 2}]))
