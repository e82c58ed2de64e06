"""Reading input tables from CSV, Excel and Parquet, and writing results.

Tables are read with text columns as text, so a bad cell reaches the validator exactly as the
user typed it and the error can quote it. Numeric columns are converted later, once per column.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, Problem

__all__ = ["TABLE_NAMES", "Table", "arrow_frame", "read_table", "workbook_sheets", "write_json"]

TABLE_NAMES = ("activities", "facilities", "transfers", "factors")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class Table:
    """A DataFrame with the label its errors name (``park.xlsx, sheet activities``).

    ``row_numbers`` are the rows a spreadsheet shows for each record when they are not simply
    position + 2 (a CSV with blank lines, which are not records).
    """

    def __init__(self, frame: pd.DataFrame, label: str, row_numbers: np.ndarray | None = None):
        self.frame, self.label, self.row_numbers = frame, label, row_numbers

    def row_number(self, positions):
        """Spreadsheet row of each 0-based record position (the header is row 1)."""
        if self.row_numbers is None:
            return np.asarray(positions) + 2
        return self.row_numbers[positions]


def _without_blank_records(frame: pd.DataFrame, label: str) -> Table:
    """Drop records whose every cell is empty (blank lines), keeping each record's row number."""
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:
        blank &= (frame[column].fillna("").astype(str).str.strip() == "").to_numpy()
    if not blank.any():
        return Table(frame, label)
    return Table(frame[~blank].reset_index(drop=True), label, np.flatnonzero(~blank) + 2)


def _read_csv(path: Path) -> Table:
    # utf-8-sig: Excel's "CSV UTF-8" export starts with a byte-order mark. Blank lines are read
    # and then dropped, so every record keeps the row number a spreadsheet shows for it.
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                        skip_blank_lines=False)
    return _without_blank_records(frame, path.name)


def workbook_sheets(path: str | Path) -> list[str]:
    """Sheet names of an Excel workbook."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _read_excel(path: Path, name: str) -> Table:
    sheets = workbook_sheets(path)
    sheet = name if name in sheets else sheets[0]
    frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False,
                          engine="openpyxl")
    return _without_blank_records(frame, f"{path.name}, sheet {sheet}")


def arrow_frame(table) -> pd.DataFrame:
    """The pandas frame of a ``pyarrow.Table``: what ``table.to_pandas()`` gives, made faster.

    A dictionary-encoded text column (Parquet's own encoding of a repetitive column) becomes a
    categorical straight from its dictionary indices: pyarrow's own conversion checks every
    code against the dictionary, a quarter of the time a row group takes to account. Every
    other column is converted by pyarrow, a block each, so a number column without missing
    values stays Arrow's own memory. The frame is made in one go, not column by column:
    ``DataFrame.insert`` copies what it inserts (three quarters of the conversion's time).
    """
    import pyarrow as pa

    dictionaries = [name for name, kind in zip(table.column_names, table.schema.types,
                                               strict=True)
                    if pa.types.is_dictionary(kind) and _is_text(kind.value_type)]
    stored_index = [name for name in (table.schema.pandas_metadata or {}).get("index_columns", [])
                    if isinstance(name, str)]  # an index kept as columns: pyarrow rebuilds it
    if (not dictionaries or stored_index
            or len(set(table.column_names)) < len(table.column_names)):
        return table.to_pandas()
    rest = table.drop_columns(dictionaries).to_pandas(split_blocks=True)
    columns = {name: _categorical(table.column(name)) if name in dictionaries else rest[name]
               for name in table.column_names}
    return pd.DataFrame(columns, index=rest.index, copy=False)


def _is_text(kind) -> bool:
    import pyarrow as pa

    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _categorical(column) -> pd.Categorical:
    """A categorical of a dictionary-encoded text column (chunks' dictionaries unified)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    dtype = _categories(array.dictionary)
    if dtype is None:
        return column.to_pandas().array  # rare shapes Arrow allows: pyarrow's own conversion
    indices = array.indices
    if pa.types.is_unsigned_integer(indices.type):
        indices = indices.cast(pa.int64())
    if indices.null_count:
        indices = pc.fill_null(indices, -1)  # pandas' code of a missing value
    return pd.Categorical.from_codes(indices.to_numpy(zero_copy_only=False), dtype=dtype,
                                     validate=False)


#: Recent dictionaries and the categorical dtypes made of them: the row groups of a file
#: usually share a column's dictionary, and comparing it (in Arrow, 0.05 ms for 50 000 ids)
#: costs a fraction of making the dtype again. The same dtype object also lets the facility
#: dictionary be recognised by identity downstream.
_RECENT: list = []
_RECENT_SIZE = 8


def _categories(dictionary) -> pd.CategoricalDtype | None:
    """The categorical dtype of an Arrow dictionary; None for shapes pandas' categories cannot
    take (missing or repeated values) or give the way pyarrow does (none at all)."""
    for known, dtype in list(_RECENT):  # a copy: other threads may change the list
        if known.equals(dictionary):
            return dtype
    categories = pd.Index(dictionary.to_pandas())
    if not len(categories) or dictionary.null_count or not categories.is_unique:
        return None
    dtype = pd.CategoricalDtype(categories)
    _RECENT[:] = [(dictionary, dtype), *_RECENT[:_RECENT_SIZE - 1]]
    return dtype


def read_table(source: object, name: str = "activities") -> Table:
    """Read one input table from a DataFrame, a CSV, an Excel sheet or Parquet (file or folder).

    Parameters
    ----------
    source : DataFrame, pyarrow.Table or RecordBatch, str or Path
        The table, or a file: ``.csv``, ``.xlsx`` (the sheet named ``name``, else the first),
        ``.parquet`` or a folder of Parquet files.
    name : str
        Which table this is (``activities``, ``facilities``, ``transfers`` or ``factors``);
        used to pick the Excel sheet and in error messages.
    """
    if isinstance(source, Table):
        return source
    if isinstance(source, pd.DataFrame):
        return Table(source, f"<{name} table>")
    if type(source).__module__.startswith("pyarrow"):
        import pyarrow as pa

        if isinstance(source, pa.RecordBatch):
            source = pa.Table.from_batches([source])
        if isinstance(source, pa.Table):
            return Table(arrow_frame(source), f"<{name} table>")
    path = Path(source)
    if not path.exists():
        raise InputError([Problem("file", f"no such file or folder: {path}", file=str(path))])
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        import pyarrow.parquet as pq

        return Table(arrow_frame(pq.read_table(path)), path.name)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, name)
    raise InputError([Problem("file", f"cannot read {path.name}", file=str(path),
                              accepted=".csv, .xlsx, .parquet or a folder of .parquet files")])


def write_json(obj: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
