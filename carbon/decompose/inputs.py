"""Reading and checking the factor table of a decomposition (wide or long form).

Missing is not zero: every sub-category needs a row in every year compared, with a factor that
is absent written as 0; blank, negative, non-numeric and duplicated values are errors that name
the row, column and value.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from ..errors import DuplicateRowError, InputError, ParameterError, Problem
from ..io import read_table
from ..schema import integers, numbers, require_columns, spreadsheet_row

__all__ = ["cell", "prepare"]

_SHOWN = 20  # problems listed per error


def prepare(table, factors, key, year: str, years, function: str):
    """Validated factor array (sub-category, year, factor) of a wide or long table.

    Returns the key table (one row per sub-category), the years compared, the array, the
    factor names and the table's label.
    """
    if isinstance(factors, str):
        factors = [factors]
    src = read_table(table, "decomposition")
    frame, label = src.frame.reset_index(drop=True), src.label
    if year not in frame.columns:
        require_columns(frame, label, (year,))
    long = factors is None or ({"factor", "value"} <= set(frame.columns)
                               and not set(factors) <= set(frame.columns))
    if long and not {"factor", "value"} <= set(frame.columns):
        raise ParameterError("factors", function, "a list of factor columns (or the table "
                             "long, with 'factor' and 'value' columns)", factors)
    reserved = {year, "factor", "value"} if long else {year, *factors}
    keys = _key_columns(frame, key, reserved, function)
    if long:
        frame, factors = _widen(frame, label, keys, year, factors, function)
    factors = list(factors)
    if not factors or len(set(factors)) != len(factors):
        raise ParameterError("factors", function, "a non-empty list of distinct names", factors)
    require_columns(frame, label, (year, *factors, *keys))

    problems: list[Problem] = []
    year_values, bad, blank = integers(frame[year])
    problems += _problems(frame, label, year, bad | blank, "not a whole year")
    values = np.empty((len(frame), len(factors)))
    for j, name in enumerate(factors):
        values[:, j], found = _numbers(frame, label, name)
        problems += found
    if problems:
        raise InputError(problems[:_SHOWN])

    key_frame = frame[keys].copy() if keys else pd.DataFrame({"_": np.zeros(len(frame))})
    key_frame = key_frame.astype(object).where(key_frame.notna(), "")
    ids = key_frame.groupby(list(key_frame.columns), sort=False).ngroup().to_numpy()
    stamp = pd.DataFrame({"id": ids, "year": year_values})
    twice = stamp.duplicated(keep="first").to_numpy()
    if twice.any():
        raise DuplicateRowError(_problems(frame, label, year, twice, "a second row for the same "
                                          "sub-category and year", accepted="one row per "
                                          "sub-category and year")[:_SHOWN])

    available = sorted(int(y) for y in np.unique(year_values))
    year_list = _years(years, available, function)
    n_keys = int(ids.max()) + 1 if len(ids) else 0
    cube = np.full((n_keys, len(year_list), len(factors)), np.nan)
    position = pd.Index(year_list).get_indexer(year_values)  # -1: a year not compared
    used = position >= 0
    cube[ids[used], position[used]] = values[used]
    first = np.unique(ids, return_index=True)[1]
    unique_keys = key_frame.iloc[first].reset_index(drop=True)
    _check_complete(cube, unique_keys, year_list, label)
    if not keys:
        unique_keys = unique_keys.iloc[:, :0]
    return unique_keys, year_list, cube, factors, label


def _key_columns(frame, key, reserved, function) -> list[str]:
    if key is None:
        return [c for c in frame.columns if c not in reserved]
    keys = [key] if isinstance(key, str) else list(key)
    clash = [k for k in keys if k in reserved]
    if clash:
        raise ParameterError("key", function, "columns other than the year and the factors",
                             keys)
    return keys


def _widen(frame, label, keys, year, factors, function):
    require_columns(frame, label, (year, "factor", "value", *keys))
    names = frame["factor"].astype(str).str.strip()
    order = list(dict.fromkeys(names))
    if factors is not None:
        unknown = [f for f in factors if f not in order]
        if unknown:
            raise ParameterError("factors", function, f"names of the 'factor' column {order}",
                                 unknown)
        order = list(factors)
    chosen = names.isin(order).to_numpy()
    value, problems = _numbers(frame[chosen].reset_index(drop=True), label, "value")
    if problems:  # rows as in the long table
        index = np.flatnonzero(chosen)
        raise InputError([Problem(p.kind, p.reason, file=p.file, row=int(spreadsheet_row(
            index[p.row - 2])), column=p.column, value=p.value, accepted=p.accepted)
            for p in problems])
    frame = frame[chosen].assign(factor=names[chosen], value=value)
    twice = frame.duplicated([*keys, year, "factor"], keep="first").to_numpy()
    if twice.any():
        raise DuplicateRowError(_problems(frame, label, "factor", twice, "a second value for "
                                          "the same sub-category, year and factor")[:_SHOWN])
    index = [*keys, year] if keys else [year]
    wide = frame.pivot(index=index, columns="factor", values="value").reset_index()
    wide.columns.name = None
    missing = wide[order].isna().to_numpy()
    if missing.any():
        rows, cols = (a[:_SHOWN] for a in np.nonzero(missing))
        problems = [Problem("value", f"no value of factor {order[c]!r} for "
                            f"{_name(wide.iloc[r], keys)} in {wide[year].iloc[r]}", file=label,
                            column="value", accepted="one row per sub-category, year and "
                            "factor (0 where the factor is zero)") for r, c in zip(rows, cols,
                                                                                   strict=True)]
        raise InputError(problems)
    return wide, order


def _numbers(frame, label, column) -> tuple[np.ndarray, list[Problem]]:
    """Floats of a factor column and the problems of its bad cells."""
    v, not_number, missing = numbers(frame[column])
    problems = _problems(frame, label, column, not_number, "not a number")
    problems += _problems(frame, label, column, missing, "missing value (missing is not zero: "
                          "write 0 where the factor is zero)")
    problems += _problems(frame, label, column, np.isinf(v), "not finite")
    problems += _problems(frame, label, column, v < 0, "negative: LMDI needs values >= 0",
                          accepted="a value >= 0")
    return v, problems


def _problems(frame, label, column, mask, reason, accepted: str = "") -> list[Problem]:
    positions = np.flatnonzero(mask)[:_SHOWN]
    return [Problem("value", reason, file=label, row=int(spreadsheet_row(p)), column=column,
                    value=cell(frame, column, p), accepted=accepted) for p in positions]


def cell(frame: pd.DataFrame, column: str, position: int) -> object:
    """A cell as the user wrote it (a Python scalar, not a numpy one)."""
    value = frame[column].iloc[position]
    return value.item() if hasattr(value, "item") else value


def _years(years, available: list[int], function: str) -> list[int]:
    if years is None:
        chosen = available
    else:
        try:
            chosen = [int(y) for y in years]
        except (TypeError, ValueError):
            raise ParameterError("years", function, "a list of years", years) from None
        unknown = [y for y in chosen if y not in available]
        if unknown:
            raise ParameterError("years", function, f"years of the table {available}", years)
    if len(chosen) < 2 or any(a == b for a, b in pairwise(chosen)):
        raise ParameterError("years", function, "at least two years, consecutive ones "
                             "distinct", chosen)
    return chosen


def _check_complete(cube, keys: pd.DataFrame, years: list[int], label: str) -> None:
    missing = np.isnan(cube).any(axis=-1)
    if not missing.any():
        return
    rows, cols = (a[:_SHOWN] for a in np.nonzero(missing))
    problems = [Problem("missing_row", f"no row for {_name(keys.iloc[r], keys.columns)} in "
                        f"{years[c]}", file=label, accepted="a row for every sub-category in "
                        "every year compared; write an absent factor as 0 (a sector's share is "
                        "0 before it appears)") for r, c in zip(rows, cols, strict=True)]
    raise InputError(problems)


def _name(row: pd.Series, keys) -> str:
    keys = [k for k in keys if k != "_"]
    return "(" + ", ".join(f"{k}={row[k]!r}" for k in keys) + ")" if keys else "the table"
