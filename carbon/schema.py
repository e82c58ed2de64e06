"""The input contract of DESIGN.md, checked column by column.

Every check works on whole columns, and string work happens on each column's distinct values
(its dictionary), never per row. A check records the positions of the rows it fails, so strict
mode can name them and lenient mode can reject exactly them: ``input = accounted + rejected``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import errors as err
from .errors import Problem

__all__ = [
    "ACTIVITY_COLUMNS",
    "FACILITY_COLUMNS",
    "FACTOR_COLUMNS",
    "TRANSFER_COLUMNS",
    "Issues",
    "encode",
    "integers",
    "numbers",
    "raise_issues",
    "require_columns",
    "spreadsheet_row",
]

ACTIVITY_COLUMNS = ("facility", "year", "activity", "quantity", "unit")
ACTIVITY_OPTIONAL = ("month", "instrument", "uncertainty")
FACILITY_COLUMNS = ("facility",)
FACILITY_OPTIONAL = ("name", "sector", "region", "park", "value_added", "value_added_unit",
                     "output", "output_unit", "floor_area")
TRANSFER_COLUMNS = ("seller", "buyer", "year", "carrier", "quantity", "unit")
FACTOR_COLUMNS = ("activity", "parameter", "value", "unit")
FACTOR_OPTIONAL = ("region", "year", "scope", "category", "source", "uncertainty")

#: Error class raised in strict mode for each kind of problem.
ERROR_CLASSES: dict[str, type[err.InputError]] = {
    "missing_column": err.MissingColumnError,
    "unknown_activity": err.UnknownActivityError,
    "unknown_region": err.UnknownRegionError,
    "unit": err.UnitMismatchError,
    "quantity": err.InvalidQuantityError,
    "value": err.InvalidQuantityError,
    "duplicate": err.DuplicateRowError,
    "transfer": err.InvalidTransferError,
    "missing_factor": err.MissingFactorError,
    "ambiguous_factor": err.AmbiguousFactorError,
}
#: Problems listed in a strict-mode error; the count of the rest is given.
LISTED = 50


def spreadsheet_row(position: np.ndarray | int) -> np.ndarray | int:
    """Row number a spreadsheet shows for a 0-based record position (the header is row 1)."""
    return position + 2


def raise_issues(parts: list[Issues]) -> None:
    """Raise one error for the issues of a table, whole or in partitions (rows numbered in the
    whole table): the error class of the first problem by row, the first ones listed."""
    problems = sorted((p for part in parts for p in part.problems()),
                      key=lambda p: (p.row, p.column or ""))[:LISTED]
    total = sum(part.count() for part in parts)
    if total > len(problems):
        problems.append(Problem("more", f"{total - len(problems)} more problem(s) not listed",
                                file=parts[0].label))
    raise ERROR_CLASSES.get(problems[0].kind, err.InputError)(problems)


def require_columns(frame: pd.DataFrame, label: str, required: tuple[str, ...],
                    optional: tuple[str, ...] = ()) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        accepted = "columns " + ", ".join(required) + (
            f" (optional: {', '.join(optional)})" if optional else "")
        raise err.MissingColumnError([
            Problem("missing_column", f"missing column '{c}'", file=label, row=1, column=c,
                    accepted=accepted) for c in missing])


def encode(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary codes and distinct values of a column; -1 marks a missing value.

    A categorical (or Parquet dictionary) column gives its codes for free.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        categorical = column.array
        return categorical.codes, categorical.categories.to_numpy(dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _is_blank(values: np.ndarray) -> np.ndarray:
    return np.array([v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""
                     for v in values], dtype=bool)


def numbers(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats of a column, a mask of non-numeric cells and a mask of blank cells.

    A numeric column is used as it is (NaN is blank); a text column is parsed in one pass.
    """
    if column.dtype == np.float64:  # no copy
        values = column.to_numpy()
        return values, np.broadcast_to(False, values.shape), np.isnan(values)
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        return values, np.broadcast_to(False, values.shape), np.isnan(values)
    text = column.astype(object).where(column.notna(), "").astype(str).str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    blank = (text == "").to_numpy()
    return values, np.isnan(values) & ~blank, blank


def integers(column: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole numbers of a column with few distinct values (years, months), via its dictionary.

    Returns the values (0 where bad), a mask of bad cells, and a mask of blank cells.
    """
    if pd.api.types.is_integer_dtype(column.dtype) and not isinstance(
            column.dtype, pd.CategoricalDtype):
        if column.hasnans:  # a nullable integer column with missing cells
            blank = column.isna().to_numpy()
            return column.to_numpy(dtype=np.int64, na_value=0), np.zeros(len(blank), bool), blank
        no = np.broadcast_to(False, (len(column),))  # read-only, no memory
        return column.to_numpy(), no, no
    if pd.api.types.is_float_dtype(column.dtype):
        floats = column.to_numpy(dtype=float, na_value=np.nan)
        blank = np.isnan(floats)
        bad = ~blank & (np.mod(np.nan_to_num(floats), 1) != 0)
        return np.where(bad | blank, 0, np.nan_to_num(floats)).astype(np.int64), bad, blank
    codes, uniques = encode(column)
    as_float = pd.to_numeric(pd.Series(uniques, dtype=object).astype(str).str.strip(),
                             errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    whole = ~np.isnan(as_float) & (np.mod(np.nan_to_num(as_float), 1) == 0)
    blank_unique = _is_blank(uniques)
    ints = np.where(whole, np.nan_to_num(as_float), 0).astype(np.int64)
    missing = codes < 0
    safe = np.where(missing, 0, codes)
    if len(uniques) == 0:
        n = len(codes)
        return np.zeros(n, np.int64), np.zeros(n, bool), missing
    blank = missing | blank_unique[safe]
    bad = ~blank & ~whole[safe]
    return np.where(bad | blank, 0, ints[safe]), bad, blank


@dataclass
class Issues:
    """Failed checks of one table: which rows, which column, what value, why."""

    label: str
    frame: pd.DataFrame
    row_numbers: np.ndarray | None = None  # spreadsheet rows when not position + 2
    entries: list[tuple[str, str, np.ndarray, object, str]] = field(default_factory=list)

    def row_number(self, positions):
        if self.row_numbers is None:
            return spreadsheet_row(positions)
        return self.row_numbers[positions]

    def add(self, kind: str, column: str, positions: np.ndarray, reason: object,
            accepted: str = "") -> None:
        """Record ``positions`` (0-based rows) failing a check; ``reason`` is a str or an array."""
        positions = np.asarray(positions, dtype=np.int64)
        if positions.size:
            self.entries.append((kind, column, positions, reason, accepted))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def bad_mask(self, n: int) -> np.ndarray:
        """Rows failing a check; a read-only array of no memory when none does."""
        if not self.entries:
            return np.broadcast_to(False, (n,))
        mask = np.zeros(n, dtype=bool)
        for _, _, positions, _, _ in self.entries:
            mask[positions] = True
        return mask

    def problems(self, limit: int = LISTED) -> list[Problem]:
        """The first ``limit`` problems in row order (each check contributes its first rows)."""
        found = []
        for kind, column, positions, reason, accepted in self.entries:
            order = np.argsort(positions, kind="stable")[:limit]
            for i in order:
                pos = int(positions[i])
                why = reason if isinstance(reason, str) else str(reason[i])
                value = self._value(pos, column)
                found.append(Problem(kind, why, file=self.label, row=int(self.row_number(pos)),
                                     column=column, value=value, accepted=accepted))
        found.sort(key=lambda p: (p.row, p.column or ""))
        return found[:limit]

    def _value(self, position: int, column: str) -> object:
        if column not in self.frame.columns:
            return None
        value = self.frame[column].iloc[position]
        return value.item() if hasattr(value, "item") else value

    def count(self) -> int:
        return sum(len(p) for _, _, p, _, _ in self.entries)

    def raise_error(self) -> None:
        """Raise the error class of the first problem (by row), listing the first ones."""
        raise_issues([self])

    def rejected(self) -> pd.DataFrame:
        """The rejected rows, as read, with ``row`` (spreadsheet row) and every ``reason``."""
        if not self.entries:
            out = self.frame.iloc[0:0].copy()
            out.insert(0, "row", pd.Series(dtype=np.int64))
            out["reason"] = pd.Series(dtype=object)
            return out
        parts = []
        for _, column, positions, reason, _ in self.entries:
            why = np.broadcast_to(np.asarray(reason, dtype=object), positions.shape)
            parts.append(pd.DataFrame({"position": positions,
                                       "reason": [f"{column}: {r}" for r in why]}))
        reasons = pd.concat(parts).groupby("position", sort=True)["reason"].agg("; ".join)
        out = self.frame.iloc[reasons.index.to_numpy()].copy()
        out.insert(0, "row", self.row_number(reasons.index.to_numpy()))
        out["reason"] = reasons.to_numpy()
        return out.reset_index(drop=True)
