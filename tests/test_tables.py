"""The facility table's text cells (DESIGN.md "Input tables"): stripped, blank when missing,
whether pandas holds them as its own text dtype (what CSV and Parquet give) or as objects."""

from __future__ import annotations

import pandas as pd
import pytest

from carbon.errors import InputError
from carbon.factors import library
from carbon.io import Table
from carbon.tables import read_facilities


@pytest.fixture(params=["str", object])
def text(request):
    return request.param


def test_facility_cells_are_stripped_and_blank_when_missing(text):
    frame = pd.DataFrame({"facility": [" A", "B ", "C"], "region": ["CN-GD ", None, ""],
                          "sector": ["chips", None, " glass "]}).astype(text)
    table = read_facilities(Table(frame, "facilities.csv"), library())
    assert table.index.tolist() == ["A", "B", "C"]
    assert table["region"].tolist() == ["CN-GD", "", ""]
    assert table["sector"].tolist() == ["chips", "", "glass"]


def test_an_id_given_twice_once_stripped_is_an_error(text):
    frame = pd.DataFrame({"facility": ["A", " A", None]}).astype(text)
    with pytest.raises(InputError) as caught:
        read_facilities(Table(frame, "facilities.csv"), library())
    reasons = [(p.row, p.reason) for p in caught.value.problems]
    assert reasons == [(3, "facility id given twice"), (4, "missing facility id")]
