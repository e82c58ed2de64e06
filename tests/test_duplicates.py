"""The duplicate-row check (DESIGN.md "Bad input") at every size.

Up to 2^22 rows it sorts 64-bit row hashes; above, the high 32 bits only (4 bytes a row), so
hashes repeat by chance and every candidate is compared exactly. Both paths are run here on
small tables by lowering the threshold, and hash collisions are forced by keeping a few bits;
each with the rows hashed by NumPy and by the compiled loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import carbon
from carbon import kernel
from carbon.errors import DuplicateRowError


def table(rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "facility": rng.choice(["F1", "F2", " F2", "坪山制药"], rows),
        "year": rng.choice([2021, 2022], rows), "month": rng.integers(1, 13, rows),
        "activity": rng.choice(["diesel", "柴油", "fuel_oil"], rows),
        "quantity": rng.integers(0, 3, rows) * 1.5, "unit": "t",
    })


def exact_copies(frame: pd.DataFrame) -> list[int]:
    """Spreadsheet rows of later copies, found the slow, obvious way (ids stripped)."""
    keys = frame.assign(facility=frame["facility"].str.strip())
    return [p + 2 for p in np.flatnonzero(keys.duplicated(keep="first"))]


@pytest.fixture(params=["64-bit", "32-bit", "32-bit, 4 bits left"])
def hashing(request, monkeypatch, loops):
    if request.param != "64-bit":
        monkeypatch.setattr(kernel, "SHORT_HASH_ROWS", 0)
    if request.param.endswith("4 bits left"):  # nearly every row collides with many others
        monkeypatch.setattr(kernel, "SHORT_SHIFT", 60)
    return request.param


def test_lenient_mode_rejects_exactly_the_later_copies(hashing):
    frame = table()
    expected = exact_copies(frame)
    assert 10 < len(expected) < 200  # the table has copies, and distinct rows too
    inventory = carbon.account(frame, strict=False)
    assert sorted(inventory.rejected["row"]) == expected
    assert inventory.rejected["reason"].str.startswith("quantity: duplicate of row ").all()


def test_strict_mode_names_the_first_copy(hashing):
    frame = table()
    first = exact_copies(frame)[0]
    with pytest.raises(DuplicateRowError) as caught:
        carbon.account(frame)
    problem = caught.value.problems[0]
    assert problem.row == first and problem.column == "quantity"


def test_no_copies_no_error(hashing):
    frame = table().drop_duplicates().assign(facility=lambda f: f["facility"].str.strip())
    frame = frame.drop_duplicates(ignore_index=True)
    assert carbon.account(frame).rows["rejected"] == 0


def test_the_reason_names_the_spreadsheet_row_after_blank_lines(tmp_path):
    """Blank lines are not records, but they are rows of the sheet: the first copy of a
    duplicate is named by the row a spreadsheet shows (header row 1, then a blank row 2)."""
    path = tmp_path / "activities.csv"
    path.write_text("facility,year,activity,quantity,unit\n\nF1,2022,diesel,5,t\n"
                    "F1,2022,diesel,6,t\n\nF1,2022,diesel,5,t\n", encoding="utf-8")
    inventory = carbon.account(path, strict=False)
    assert list(inventory.rejected["row"]) == [6]
    assert inventory.rejected["reason"].iloc[0] == "quantity: duplicate of row 3"
