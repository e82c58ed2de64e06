"""Reading input tables from CSV, Excel and Parquet, and writing results.

Tables are read with text columns as text, so a bad cell reaches the validator exactly as the
user typed it and the error can quote it. Numeric columns are converted later, once per column.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .errors import InputError, Problem

__all__ = ["TABLE_NAMES", "Table", "read_table", "workbook_sheets", "write_json"]

TABLE_NAMES = ("activities", "facilities", "transfers", "factors")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


class Table:
    """A DataFrame with the label its errors name (``park.xlsx, sheet activities``)."""

    def __init__(self, frame: pd.DataFrame, label: str):
        self.frame, self.label = frame, label


def _read_csv(path: Path) -> pd.DataFrame:
    # utf-8-sig: Excel's "CSV UTF-8" export starts with a byte-order mark.
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def workbook_sheets(path: str | Path) -> list[str]:
    """Sheet names of an Excel workbook."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _read_excel(path: Path, name: str) -> tuple[pd.DataFrame, str]:
    sheets = workbook_sheets(path)
    sheet = name if name in sheets else sheets[0]
    frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False,
                          engine="openpyxl")
    return frame, f"{path.name}, sheet {sheet}"


def read_table(source: object, name: str = "activities") -> Table:
    """Read one input table from a DataFrame, a CSV, an Excel sheet or Parquet (file or folder).

    Parameters
    ----------
    source : DataFrame, str or Path
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
    path = Path(source)
    if not path.exists():
        raise InputError([Problem("file", f"no such file or folder: {path}", file=str(path))])
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == ".parquet":
        return Table(pd.read_parquet(path), path.name)
    if suffix == ".csv":
        return Table(_read_csv(path), path.name)
    if suffix in EXCEL_SUFFIXES:
        frame, label = _read_excel(path, name)
        return Table(frame, label)
    raise InputError([Problem("file", f"cannot read {path.name}", file=str(path),
                              accepted=".csv, .xlsx, .parquet or a folder of .parquet files")])


def write_json(obj: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
