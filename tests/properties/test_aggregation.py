"""Sums by sorting, and the two aggregation paths (a dense matrix of every possible cell, or
the rows sorted by cell), give the same figures whatever the table."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import carbon
from carbon import kernel
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
def test_dense_and_sorted_aggregation_give_one_inventory(frame):
    inventories = {}
    for path in ("dense", "sorted"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kernel, "DENSE_CELLS_PER_ROW", 10**9 if path == "dense" else 0)
            inventories[path] = carbon.account(frame)
    assert_same_inventory(inventories["dense"], inventories["sorted"])


