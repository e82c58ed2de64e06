"""Accounting in partitions equals accounting in memory, over random (and spoilt) tables.

DESIGN.md "Scale-out": a Dask DataFrame is accounted partition by partition with the same kernel
and merged; whatever the cut, the figures, the rejected rows (and their row numbers) and the
strict-mode error are the ones the whole table gives. Dask runs on one to three threads, so
partitions are merged in as many lanes, and the lanes' mergers then combined.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import carbon
from carbon.testing import activities_frames, frames_with_bad_rows

from .test_invariants import MAX_ROWS, assert_same_inventory

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")


def partitioned(frame: pd.DataFrame, parts: int):
    """``frame`` as a Dask DataFrame of up to ``parts`` partitions, cells kept as they are."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=min(parts, len(frame)), sort=False)


def account_in_parts(frame: pd.DataFrame, parts: tuple[int, int], **options
                     ) -> carbon.Inventory:
    """``frame`` accounted in ``parts``: (partitions, lanes)."""
    partitions, lanes = parts
    with dask.config.set(scheduler="threads", num_workers=lanes):
        return carbon.account(partitioned(frame, partitions), **options)


cuts = st.tuples(st.integers(1, 5), st.integers(1, 3))


@given(activities_frames(max_rows=MAX_ROWS), cuts)
def test_partitions_give_the_in_memory_inventory(frame, parts):
    assert_same_inventory(account_in_parts(frame, parts), carbon.account(frame))


# A lane whose partitions were all rejected has met combinations and added no cells.
@example((pd.DataFrame({"facility": "F1", "year": 2021, "month": None, "activity": "CF4",
                        "quantity": [-1.0, -2.0, 2.0], "unit": "kg"}), frozenset({0, 1})),
         (3, 3))
@given(frames_with_bad_rows(max_rows=MAX_ROWS), cuts)
def test_partitions_reject_the_rows_memory_rejects(frame_and_bad, parts):
    """input = accounted + rejected, with the same rows (numbered in the whole table) and the
    same reasons as in memory, and the same figures for what is left."""
    frame, _ = frame_and_bad
    whole = carbon.account(frame, strict=False)
    cut = account_in_parts(frame, parts, strict=False)
    assert cut.rows == whole.rows
    columns = ["row", "reason"]
    pd.testing.assert_frame_equal(cut.rejected[columns].sort_values("row", ignore_index=True),
                                  whole.rejected[columns].sort_values("row", ignore_index=True),
                                  check_dtype=False)
    assert_same_inventory(cut, whole)


@given(frames_with_bad_rows(max_rows=MAX_ROWS, min_bad=1), cuts)
def test_partitions_raise_the_in_memory_error(frame_and_bad, parts):
    """Strict mode: one error for the bad rows of every partition, worded as in memory."""
    frame, _ = frame_and_bad
    with pytest.raises(carbon.InputError) as whole:
        carbon.account(frame)
    with pytest.raises(carbon.InputError) as cut:
        account_in_parts(frame, parts)
    assert type(cut.value) is type(whole.value)
    assert str(cut.value) == str(whole.value)


@given(activities_frames(min_rows=2, max_rows=MAX_ROWS), st.data())
def test_a_copied_row_is_rejected_wherever_it_lands(frame, data):
    """A row copied to another place is the same duplicate in memory and in partitions."""
    source = data.draw(st.integers(0, len(frame) - 1), label="copied row")
    place = data.draw(st.integers(0, len(frame)), label="copy inserted before")
    parts = data.draw(cuts, label="(partitions, lanes)")
    copied = pd.concat([frame.iloc[:place], frame.iloc[[source]], frame.iloc[place:]],
                       ignore_index=True)
    whole = carbon.account(copied, strict=False)
    cut = account_in_parts(copied, parts, strict=False)
    assert whole.rows["rejected"] == cut.rows["rejected"] == 1
    columns = ["row", "reason"]
    pd.testing.assert_frame_equal(cut.rejected[columns], whole.rejected[columns],
                                  check_dtype=False)
    assert_same_inventory(cut, whole)
