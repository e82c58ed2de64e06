"""Arrow tables, as Parquet hands them over: dictionary-encoded text columns, chunks with
dictionaries of their own, missing cells. ``carbon.io.arrow_frame`` must give exactly the frame
``pyarrow.Table.to_pandas()`` gives, and accounting an Arrow table must equal accounting the
DataFrame it came from (DESIGN.md "Input tables": Parquet is accepted with the same columns)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

import carbon
from carbon.io import arrow_frame
from carbon.testing import activities_frames, frames_with_bad_rows

from .test_invariants import MAX_ROWS, assert_same_inventory

TEXT = ("facility", "activity", "unit", "instrument")


def arrow_table(frame: pd.DataFrame, chunks: int, dictionary: bool) -> pa.Table:
    """``frame`` as Arrow, cut into ``chunks`` record batches each with its own dictionaries
    (text columns dictionary-encoded when ``dictionary``, as Parquet reads categoricals)."""
    frame = frame.copy()
    text = [column for column in TEXT if dictionary and column in frame.columns]
    for column in text:
        frame[column] = frame[column].astype("category")
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    size = -(-len(frame) // chunks)
    batches = []
    for start in range(0, len(frame), size):
        piece = frame.iloc[start:start + size].copy()
        for column in text:
            piece[column] = piece[column].cat.remove_unused_categories()
        batches.append(pa.Table.from_pandas(piece, schema=schema, preserve_index=False))
    return pa.concat_tables(batches)


def assert_same_frame(table: pa.Table) -> None:
    got, expected = arrow_frame(table), table.to_pandas()
    pd.testing.assert_frame_equal(got, expected)
    for column in got.columns:  # codes in pandas' own smallest type, as to_pandas makes them
        if isinstance(got[column].dtype, pd.CategoricalDtype):
            assert got[column].cat.codes.dtype == expected[column].cat.codes.dtype


text_cells = st.lists(st.none() | st.sampled_from(["A", "B", " A", "天然气", ""]), max_size=30)


@given(text_cells, st.integers(1, 4), st.sampled_from([pa.int8(), pa.uint16(), pa.int32()]))
def test_arrow_frame_is_what_to_pandas_gives(cells, chunks, index_type):
    """Missing cells, blank text, several chunks with dictionaries of their own, unsigned
    indices: the same frame, categories, codes and dtypes as pyarrow's own conversion."""
    size = -(-len(cells) // chunks) or 1
    pieces = [pa.array(cells[i:i + size], pa.string()).dictionary_encode()
              for i in range(0, len(cells), size)] or [pa.array([], pa.string())
                                                        .dictionary_encode()]
    pieces = [pa.DictionaryArray.from_arrays(p.indices.cast(index_type), p.dictionary)
              for p in pieces]
    column = pa.chunked_array(pieces)
    quantity = pa.array([float(i) for i in range(len(column))])
    assert_same_frame(pa.table({"facility": column, "quantity": quantity}))


def test_arrow_frame_keeps_pandas_index_and_plain_columns():
    frame = pd.DataFrame({"facility": pd.Categorical(["A", "B", None]), "year": [2020, None, 1],
                          "note": ["x", None, "z"]}, index=pd.Index([7, 8, 9], name="id"))
    assert_same_frame(pa.Table.from_pandas(frame))


def test_arrow_frame_keeps_column_order_range_index_and_number_types():
    """Number columns between text ones keep their place, dtype and missing cells; a range
    index stored as metadata comes back."""
    frame = pd.DataFrame({"year": pd.array([2022, 2023, 2022], dtype="int16"),
                          "facility": pd.Categorical(["A", "B", "A"]),
                          "quantity": [1.5, None, 3.0], "month": pd.array([1, 2, 3], "int8"),
                          "unit": pd.Categorical(["t", "t", "kg"])}, index=pd.RangeIndex(5, 8))
    assert_same_frame(pa.Table.from_pandas(frame))


@given(activities_frames(max_rows=MAX_ROWS), st.integers(1, 3), st.booleans())
def test_an_arrow_table_is_accounted_as_its_dataframe(frame, chunks, dictionary):
    table = arrow_table(frame, chunks, dictionary)
    assert_same_inventory(carbon.account(table), carbon.account(frame))


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (missing ones kept): a spoilt cell ("abc" among numbers) fits no
    Arrow type but text, as in a CSV read into Arrow."""
    return frame.apply(lambda column: column.map(lambda v: None if pd.isna(v) else str(v)))


def test_a_record_batch_is_accounted_as_its_table():
    frame = pd.DataFrame({"facility": ["A", "B"], "year": [2022, 2022],
                          "activity": ["天然气", "diesel"], "quantity": [1000.0, 5.0],
                          "unit": ["10^4 Nm3", "t"]})
    table = arrow_table(frame, 1, dictionary=True)
    batch = table.to_batches()[0]
    assert carbon.account(batch).total() == carbon.account(table).total() == \
        carbon.account(frame).total()


@given(frames_with_bad_rows(max_rows=MAX_ROWS), st.integers(1, 3))
def test_an_arrow_table_rejects_the_rows_its_dataframe_rejects(frame_and_bad, chunks):
    frame = as_text(frame_and_bad[0])
    got = carbon.account(arrow_table(frame, chunks, dictionary=True), strict=False)
    expected = carbon.account(frame, strict=False)
    assert got.rows == expected.rows
    assert list(got.rejected["row"]) == list(expected.rejected["row"])
    assert list(got.rejected["reason"]) == list(expected.rejected["reason"])


@given(frames_with_bad_rows(max_rows=MAX_ROWS, min_bad=1))
def test_an_arrow_table_raises_the_error_its_dataframe_raises(frame_and_bad):
    frame = as_text(frame_and_bad[0])
    with pytest.raises(carbon.InputError) as expected:
        carbon.account(frame)
    with pytest.raises(carbon.InputError) as got:
        carbon.account(arrow_table(frame, 2, dictionary=True))
    assert str(got.value) == str(expected.value)
