"""Sums by sorting, and the three aggregation paths (a dense matrix of every possible cell,
the rows sorted by cell, or the compiled scatter), give the same figures whatever the table."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import carbon
from carbon import compiled, kernel
from carbon.testing import activities_frames

from .test_invariants import MAX_ROWS, assert_same_inventory


def sums_one_by_one(key, weights) -> dict[int, float]:
    sums: dict[int, float] = defaultdict(float)
    for k, w in zip(key.tolist(), weights.tolist(), strict=True):
        sums[k] += w
    return sums


@given(st.lists(st.tuples(st.integers(0, 2**31 - 1) | st.integers(0, 40),
                          st.floats(0, 1e9) | st.just(0.0)), max_size=300))
def test_sorted_sums_are_the_sums_key_by_key(pairs):
    key = np.array([k for k, _ in pairs], dtype=np.int64)
    weights = np.array([w for _, w in pairs], dtype=float)
    expected = sums_one_by_one(key, weights)
    got_keys, got_sums = kernel.sorted_sums(key, weights)
    assert got_keys.tolist() == sorted(expected)  # every key, zero sums included, ascending
    np.testing.assert_allclose(got_sums, [expected[k] for k in sorted(expected)], rtol=1e-12)


def test_sorted_sums_of_keys_too_wide_to_pack_with_the_row():
    key = np.array([2**62, 5, 2**62, 5, 7], dtype=np.int64)  # 62 + 3 row bits > 63
    got_keys, got_sums = kernel.sorted_sums(key, np.array([1.0, 2.0, 3.0, 4.0, 0.0]))
    assert got_keys.tolist() == [5, 7, 2**62]
    assert got_sums.tolist() == [6.0, 0.0, 4.0]


def test_sorted_sums_of_nothing():
    got_keys, got_sums = kernel.sorted_sums(np.array([], dtype=np.int32), np.array([]))
    assert len(got_keys) == len(got_sums) == 0


@given(activities_frames(max_rows=MAX_ROWS))
def test_dense_sorted_and_compiled_aggregation_give_one_inventory(frame):
    inventories = {}
    for path in ("dense", "sorted", "compiled"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernel, "DENSE_CELLS_PER_ROW", 10**9 if path == "dense" else 0)
            if path == "compiled":
                patch.setattr(compiled, "MIN_ROWS", 0)
                patch.setattr(compiled, "LOAD_ROWS", 0)
            inventories[path] = carbon.account(frame)
    assert_same_inventory(inventories["dense"], inventories["sorted"])
    assert_same_inventory(inventories["dense"], inventories["compiled"])


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 6),
                          st.floats(0, 1e9) | st.just(0.0), st.booleans()), max_size=300))
def test_compiled_cell_sums_are_the_sums_cell_by_cell(rows):
    """Every cell of a good row, zero sums included, ordered by facility then combination;
    bad rows left out (twice: the scratch arrays must come back zeroed)."""
    facility = np.array([f for f, _, _, _ in rows], dtype=np.int32)
    local = np.array([k for _, k, _, _ in rows], dtype=np.int16)
    quantity = np.array([q for _, _, q, _ in rows], dtype=float)
    good = np.array([g for _, _, _, g in rows], dtype=bool)
    expected = sums_one_by_one((facility.astype(np.int64) * 7 + local)[good], quantity[good])
    for _ in range(2):
        f, k, q = compiled.cell_sums(facility, local, quantity, good, 31, 7)
        assert (f.astype(np.int64) * 7 + k).tolist() == sorted(expected)
        assert f.dtype == np.int32 and k.dtype == np.int16
        np.testing.assert_allclose(q, [expected[c] for c in sorted(expected)], rtol=1e-12)


