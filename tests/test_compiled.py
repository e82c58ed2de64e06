"""The compiled loops (``carbon.compiled``): when a run uses them, that it does, and that they
compute what kernel.py's NumPy passes compute (the figures: ``properties/test_aggregation.py``;
whole runs: the ``loops`` tests of ``test_duplicates.py`` and ``test_partitioned.py``)."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

import carbon
from carbon import compiled, kernel
from carbon.io import Table

pytest.importorskip("numba")


@pytest.fixture
def fresh_process(monkeypatch):
    """A process that has accounted nothing and not loaded the loops."""
    monkeypatch.setattr(compiled, "_accounted", 0)
    monkeypatch.setattr(compiled, "_kernels", None)


def test_small_runs_keep_the_numpy_passes_until_their_rows_add_up(fresh_process, monkeypatch):
    monkeypatch.setattr(compiled, "LOAD_ROWS", 1000)
    assert not compiled.worth_loading(600)
    assert compiled.worth_loading(600)  # 1200 rows in all: the load is now repaid


def test_a_large_run_or_a_dask_dataframe_loads_them(fresh_process):
    assert compiled.worth_loading(compiled.LOAD_ROWS)
    assert compiled.worth_loading(None)  # a Dask DataFrame: its length is unknown


def test_once_loaded_every_large_table_uses_them(fresh_process):
    assert not compiled.worth_loading(10)
    assert compiled.load()
    assert compiled.worth_loading(10)
    assert compiled.in_use(compiled.MIN_ROWS, True) and not compiled.in_use(10, True)


def test_without_numba_the_numpy_passes_do_the_work(fresh_process, monkeypatch):
    monkeypatch.setattr(compiled, "_AVAILABLE", False)
    assert not compiled.load() and not compiled.worth_loading(None)


def park_rows(park_dir, spoil: bool) -> kernel.Rows:
    frame = pd.read_csv(park_dir / "activities.csv", dtype=str, keep_default_na=False)
    if spoil:
        frame.loc[[3, 40, 41], "quantity"] = "-1"
    setup = carbon.accounting.Setup.build(park_dir / "facilities.csv", None, "cn", "AR5", False)
    return kernel.encode_rows(Table(frame, "activities.csv"), setup.lib, setup.user_keys,
                              setup.regions)


@pytest.mark.parametrize("short", [False, True], ids=["64-bit", "32-bit"])
@pytest.mark.parametrize("spoil", [False, True], ids=["all good", "bad rows left out"])
def test_compiled_hashes_are_the_numpy_hashes(sample_park_dir, short, spoil):
    """Bit for bit: partitions hashed by either must find each other's copies."""
    rows = park_rows(sample_park_dir, spoil)
    bad = rows.issues.bad_mask(rows.n)
    assert bad.sum() == (3 if spoil else 0)
    hasher = kernel._RowHasher(rows)
    for threads in (1, 2):
        got = kernel._compiled_row_hashes(hasher, bad, short, threads)
        expected = kernel._good_row_hashes(hasher, bad, short, threads)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


@pytest.mark.parametrize("short", [False, True], ids=["64-bit", "32-bit"])
def test_compiled_lookup_finds_the_rows_numpy_finds(sample_park_dir, short, monkeypatch):
    """The rows whose hash is one of some values: a sample of the park's own hashes, and
    values no row has; the chunks shared out between two threads working at once."""
    monkeypatch.setattr(kernel, "CHUNK", 1000)  # several chunks a half
    monkeypatch.setattr(kernel, "CACHE_CHUNK", 100)  # 31 chunks for the shared lookup
    rows = park_rows(sample_park_dir, spoil=False)
    hasher = kernel._RowHasher(rows)
    hashed = kernel._good_row_hashes(hasher, np.zeros(rows.n, dtype=bool), short)
    rng = np.random.default_rng(3)
    values = np.unique(np.concatenate([rng.choice(hashed, 200, replace=False),
                                       rng.integers(0, 2**31, 50).astype(hashed.dtype)]))
    expected = kernel._rows_hashed_to(hasher, values, short, threads=2)
    assert len(expected) >= 200
    lookup = kernel._SharedLookup(hasher, values, short)
    helper = threading.Thread(target=lookup.work)
    helper.start()
    lookup.work()
    helper.join()
    assert len(lookup.chunks) == 31 and lookup.taken == 31
    assert lookup.positions().tolist() == expected.tolist()


def test_a_run_that_uses_them_goes_through_them(sample_park_dir, compiled_loops, monkeypatch):
    calls = []
    for name in ("cell_sums", "hash_rows", "rows_hashed_to"):
        real = getattr(compiled, name)
        monkeypatch.setattr(compiled, name,
                            lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    frame = pd.read_csv(sample_park_dir / "activities.csv", dtype=str, keep_default_na=False)
    copied = pd.concat([frame, frame.iloc[[5]]], ignore_index=True)  # the lookup runs too
    with pytest.warns(carbon.FactorFallbackWarning):
        inventory = carbon.account(copied, facilities=sample_park_dir / "facilities.csv",
                                   strict=False)
    assert inventory.rejected["row"].tolist() == [len(copied) + 1]
    assert {"cell_sums", "hash_rows", "rows_hashed_to"} <= set(calls)


@pytest.mark.parametrize("chunk", [1 << 16, 64], ids=["one chunk", "eight chunks"])
def test_compiled_merge_adds_as_add_at_does(monkeypatch, chunk):
    """The merge's ``matrix[facility_map[facility], local_map[local]] += quantity``, repeated
    cells included, a partition's codes mapped to the run's; in one chunk, and in chunks of
    positions then additions, the last one short."""
    monkeypatch.setattr(compiled, "ADD_CHUNK", chunk)
    rng = np.random.default_rng(5)
    facility = rng.integers(0, 30, 500).astype(np.int16)  # widened to int32 on the way in
    local = rng.integers(0, 7, 500).astype(np.int8)
    quantity = rng.random(500)
    facility_map, local_map = rng.permutation(40)[:30], rng.permutation(9)[:7]
    expected = np.zeros((40, 9))
    np.add.at(expected, (facility_map[facility], local_map[local]), quantity)
    got = np.zeros((40, 9))
    compiled.add_cells(got, facility_map, facility, local_map, local, quantity)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_coded_cells_are_the_matrix_cells_under_the_run_codes():
    """The merge's cells in one pass: each found cell's row coded, its (group, column) looked
    up; the matrix may have grown past the codes (rows) and the lookup past the matrix."""
    matrix = np.zeros((8, 4))  # rows 6 and 7: grown, never added to
    matrix[0, 1], matrix[2, 3], matrix[5, 0] = 1.5, -2.0, 4.0
    marked = np.zeros(matrix.size, dtype=bool)
    marked[3 * 4 + 2] = True  # a cell whose rows were all 0
    facility_code = np.array([0, 9, 1, 2, 9, 3])  # 9: rows never kept
    facility_group = np.array([1, 0, 0, 1, 0, 1])
    lookup = np.arange(10, dtype=np.int32).reshape(2, 5)  # a fifth column past the matrix
    facility, combo, value = compiled.coded_cells(matrix, marked, facility_code,
                                                  facility_group, lookup)
    assert list(zip(facility.tolist(), combo.tolist(), value.tolist(), strict=True)) == [
        (0, 6, 1.5), (1, 3, -2.0), (2, 7, 0.0), (3, 5, 4.0)]


def test_pairs_used_are_the_distinct_region_and_local_pairs():
    rng = np.random.default_rng(8)
    facility_region = rng.integers(0, 5, 60).astype(np.int16)
    facility = rng.integers(0, 60, 1000).astype(np.int32)
    local = rng.integers(0, 7, 1000).astype(np.int8)
    expected = np.unique(facility_region[facility].astype(np.int64) * 7 + local)
    np.testing.assert_array_equal(compiled.pairs_used(facility_region, facility, local, 5, 7),
                                  expected)


def test_matrix_cells_are_flatnonzero_with_the_marked_zero_cells():
    matrix = np.zeros((6, 4))
    matrix[1, 2], matrix[4, 0], matrix[5, 3] = 1.5, 2.0, -1.0
    marked = np.zeros(24, dtype=bool)
    marked[3 * 4 + 1] = True  # a cell whose rows were all 0
    facility, local, value = compiled.matrix_cells(matrix, marked)
    assert list(zip(facility.tolist(), local.tolist(), value.tolist(), strict=True)) == [
        (1, 2, 1.5), (3, 1, 0.0), (4, 0, 2.0), (5, 3, -1.0)]
    assert matrix.sum() == 2.5  # left as it was


def sorted_runs(rng, runs: int, size: int, shift: int) -> list[np.ndarray]:
    """Sorted runs of hashes sharing their top ``shift`` bits (a Dask range task's pieces),
    with values repeated across runs and within one."""
    top = np.uint64(0x5A5A5A5A5A5A5A5A) >> np.uint64(64 - shift) << np.uint64(64 - shift) \
        if shift else np.uint64(0)
    made = [rng.integers(0, 2**(64 - shift), size, dtype=np.uint64) | top
            for _ in range(runs)]
    for j in range(1, runs):
        made[j][: size // 50] = made[j - 1][-(size // 50):]  # across runs
        made[j][-3:] = made[j][-4]  # within a run: not a repeat across runs on its own
    return [np.sort(run) for run in made]


@pytest.mark.parametrize("shift", [0, 3])
def test_repeats_across_runs_through_the_table_are_the_sorted_ones(shift):
    """The compiled table finds exactly the hashes that sorting every run together finds."""
    from carbon.partitioned import _repeated_across

    runs = sorted_runs(np.random.default_rng(shift), 7, 40_000, shift)
    expected = _repeated_across(runs, run_compiled=False)
    assert len(expected) > 6 * 790  # about 800 planted between each two runs
    bounds = np.cumsum([0, *(len(run) for run in runs)])
    got = compiled.repeated_across(np.concatenate(runs), bounds, shift)
    np.testing.assert_array_equal(got, expected)


def test_a_crowded_table_gives_way_to_sorting(monkeypatch, compiled_loops):
    """Values crowding past a table's end (none do in practice): the sorted way answers."""
    from carbon.partitioned import _repeated_across

    runs = sorted_runs(np.random.default_rng(1), 4, 5_000, 0)
    expected = _repeated_across(runs, run_compiled=False)
    monkeypatch.setattr(compiled, "_SLOT_BITS", 4)
    monkeypatch.setattr(compiled, "_SPILL", 8)
    bounds = np.cumsum([0, *(len(run) for run in runs)])
    assert compiled.repeated_across(np.concatenate(runs), bounds, 0) is None
    np.testing.assert_array_equal(_repeated_across(runs, run_compiled=True), expected)
