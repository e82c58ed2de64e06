"""The row kernel's building blocks: the dense and sorted aggregation paths, work split in two
halves, and the facility dictionary shared by partitions (properties: ``properties/
test_aggregation.py``).
"""

from __future__ import annotations

import pickle
import threading

import numpy as np
import pandas as pd
import pytest

import carbon
from carbon import inventory, kernel


@pytest.fixture(params=["dense", "sorted", "compiled"])
def aggregation(request, monkeypatch):
    """Force the facility x combination matrix, the rows sorted by cell, or the compiled
    scatter."""
    monkeypatch.setattr(kernel, "DENSE_CELLS_PER_ROW", 10**9 if request.param == "dense" else 0)
    if request.param == "compiled":
        request.getfixturevalue("compiled_loops")
    return request.param


def test_rows_of_quantity_zero_keep_their_cell(aggregation):
    frame = pd.DataFrame({"facility": ["A", "A", "B"], "year": 2022, "month": [1, 2, 1],
                          "activity": "diesel", "quantity": [0.0, 0.0, 2.0], "unit": "t"})
    table = carbon.account(frame).by_facility()
    assert table.index.tolist() == ["A", "B"]  # A has rows, all of zero
    assert table.loc["A", "total"] == 0 < table.loc["B", "total"]


def test_halves_are_the_same_on_one_thread_or_two(monkeypatch):
    monkeypatch.setattr(kernel, "CACHE_CHUNK", 4)
    ran = []

    def work(start, stop):
        ran.append(threading.current_thread().name)
        return start, stop

    assert kernel.in_halves(101, 2, work) == ((0, 50), (50, 101))
    assert any(name.startswith("parkcarbon-worker") for name in ran)
    ran.clear()
    monkeypatch.setenv("PARKCARBON_THREADS", "1")
    assert kernel.in_halves(101, 2, work) == ((0, 50), (50, 101))
    assert ran == [threading.current_thread().name] * 2


def test_facility_sums_do_not_depend_on_the_thread_count(monkeypatch):
    monkeypatch.setattr(kernel, "CACHE_CHUNK", 8)  # so that 60 cells go to two threads
    monkeypatch.setattr(inventory, "CELL_CHUNK", 7)
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"facility": [f"F{i}" for i in range(60)], "year": 2022,
                          "activity": "diesel", "quantity": rng.random(60) * 1e3, "unit": "t"})
    on_two = carbon.account(frame).by_facility()
    monkeypatch.setenv("PARKCARBON_THREADS", "1")
    on_one = carbon.account(frame).by_facility()
    pd.testing.assert_frame_equal(on_two, on_one, check_exact=True)


def test_facility_regions_travel_to_workers_without_their_lock():
    facilities = pd.DataFrame({"region": ["CN-GD", None]}, index=pd.Index(["A", "B"]))
    regions = kernel.FacilityRegions(facilities)
    regions.dictionary(np.array(["A", " B", "C"], dtype=object))
    copy = pickle.loads(pickle.dumps(regions))
    ids, _, region_codes, hashes = copy.dictionary(np.array(["A", "C"], dtype=object))
    assert ids.tolist() == ["A", "C", ""]
    assert copy.names[region_codes].tolist() == ["CN-GD", "", ""]
    assert (hashes == kernel._text_hashes(ids)).all()


def test_a_dictionary_met_again_is_made_once():
    """Partitions of one Parquet file share their facility dictionary: it is compared (Arrow
    strings, without making Python objects), not made again."""
    regions = kernel.FacilityRegions(pd.DataFrame({"region": ["CN-GD"]}, index=pd.Index(["A"])))
    first = regions.dictionary(pd.Index(["A", " B"]))
    assert regions.dictionary(pd.Index(["A", " B"])) is first
    assert regions.dictionary(np.array(["A", " B"], dtype=object)) is first
    other = regions.dictionary(pd.Index([" B", "A"]))
    assert other is not first
    assert other[0].tolist() == ["B", "A", ""]


def test_native_gives_numpys_own_dtype_without_a_copy():
    """Arrays a Dask worker unpickles carry a copy of their dtype (np.add.at then leaves its
    fast loop); ``native`` views them under NumPy's own, values and memory unchanged."""
    received = pickle.loads(pickle.dumps(np.array([1.5, 2.5])))
    assert received.dtype is not np.dtype(np.float64)
    view = kernel.native(received)
    assert view.dtype is np.dtype(np.float64) and np.shares_memory(view, received)
    assert view.tolist() == [1.5, 2.5]
    big_endian = np.array([1.5], dtype=">f8")
    assert kernel.native(big_endian) is big_endian  # not reinterpreted
