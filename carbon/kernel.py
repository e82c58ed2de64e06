"""The row kernel: activity rows as integer codes, checked and aggregated in a few passes.

Each row is reduced to a facility code and a *local combination* code: (activity, unit, year,
instrument), taken from the columns' dictionaries. Region belongs to the facility, so the
quantities aggregate into a small facility x local-combination matrix with one ``np.bincount``,
and every distinct (region, local combination) is resolved to coefficients once, upstream of
any row. Checks are vectorised masks; the duplicate check sorts a 32-bit row hash in a
background thread (NumPy's sort releases the GIL) while the main thread aggregates.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pint

from .factors import Library
from .io import Table
from .resolve import GREEN_INSTRUMENTS
from .schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_OPTIONAL,
    Issues,
    encode,
    integers,
    numbers,
    require_columns,
)
from .units import canonical

__all__ = ["YEARS", "Rows", "aggregate", "encode_rows", "group_sum", "stable_row_hash",
           "start_duplicate_check"]

YEARS = (1990, 2100)
_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio: a multiplicative hash constant
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's second multiplier


@dataclass
class Rows:
    """Activity rows as codes. Per-row arrays are views or one small integer array each."""

    n: int
    issues: Issues
    facility: np.ndarray  # code into facility_ids
    facility_ids: np.ndarray
    facility_region: np.ndarray  # region code of each facility id
    region_names: np.ndarray
    year: np.ndarray
    month: np.ndarray
    quantity: np.ndarray
    local: np.ndarray  # code into the local-combination table (-1 where a code is missing)
    locals: pd.DataFrame  # activity, unit, dimension, to_canonical, year, instrument per code


def encode_rows(table: Table, lib: Library, user_keys: set[str],
                facilities: pd.DataFrame) -> Rows:
    """Encode and check the activity rows; every failed check is recorded in ``issues``."""
    frame = table.frame
    require_columns(frame, table.label, ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL)
    issues = Issues(table.label, frame, table.row_numbers)
    n = len(frame)

    facility, facility_ids = _facilities(issues, frame["facility"])
    year = _years(issues, frame["year"])
    month = _months(issues, frame) if "month" in frame.columns else np.zeros(n, np.int8)
    quantity = _quantities(issues, frame["quantity"])
    if "uncertainty" in frame.columns:
        spread, not_number, _ = numbers(frame["uncertainty"])
        issues.add("value", "uncertainty", np.flatnonzero(not_number | (spread < 0)),
                   "not a percentage >= 0", accepted="a half-width in % (5 for ±5 %), or empty")

    activity, activity_keys = _activities(issues, frame["activity"], lib, user_keys)
    unit, unit_names, unit_dims, unit_factors = _units(issues, frame["unit"])
    if "instrument" in frame.columns:
        instrument, instrument_names = _instruments(issues, frame["instrument"], lib)
    else:
        instrument, instrument_names = np.zeros(n, np.int8), np.array([""], dtype=object)

    local, locals_ = _local_combinations(
        issues, (activity, activity_keys), (unit, unit_names, unit_dims, unit_factors), year,
        (instrument, instrument_names))
    region_names, facility_region = _facility_regions(facility_ids, facilities)
    return Rows(n, issues, facility, facility_ids, facility_region, region_names, year, month,
                quantity, local, locals_)


# -- column checks -------------------------------------------------------------------------------
def _facilities(issues: Issues, column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Facility code per row and the ids; the last id is "" (missing or blank cells)."""
    codes, raw = encode(column)
    stripped = [str(f).strip() for f in raw]
    distinct = set(stripped)
    if len(distinct) == len(stripped) and "" not in distinct:
        # The dictionary's own codes, no per-row copy unless a cell is missing (code -1).
        ids = np.array([*stripped, ""], dtype=object)
        facility = np.where(codes < 0, len(stripped), codes) if (codes < 0).any() else codes
    else:  # " A" and "A" are one facility; blank and missing cells map to the last id, ""
        names, merged = np.unique(np.array([*stripped, ""], dtype=str), return_inverse=True)
        order = np.r_[np.flatnonzero(names != ""), np.flatnonzero(names == "")]
        ids = names[order].astype(object)
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order))
        facility = position[merged][codes]  # code -1 takes the appended "", now last
    blank = np.flatnonzero(facility == len(ids) - 1)
    issues.add("value", "facility", blank, "missing facility id",
               accepted="a facility id (any text)")
    return facility, ids


def _years(issues: Issues, column: pd.Series) -> np.ndarray:
    year, bad, blank = integers(column)
    accepted = f"a whole year from {YEARS[0]} to {YEARS[1]}"
    issues.add("value", "year", np.flatnonzero(blank), "missing year", accepted)
    issues.add("value", "year", np.flatnonzero(bad), "not a whole year", accepted)
    out = ~bad & ~blank & ((year < YEARS[0]) | (year > YEARS[1]))
    issues.add("value", "year", np.flatnonzero(out), "year out of range",
               accepted=f"{YEARS[0]} to {YEARS[1]}")
    invalid = bad | blank | out
    return np.where(invalid, YEARS[0], year) if invalid.any() else year


def _months(issues: Issues, frame: pd.DataFrame) -> np.ndarray:
    month, bad, blank = integers(frame["month"])
    bad = bad | (~blank & ((month < 1) | (month > 12)))
    if bad.any():
        issues.add("value", "month", np.flatnonzero(bad), "not a month",
                   accepted="1 to 12, or empty")
        month = np.where(bad, 0, month)
    return month.astype(np.int8, copy=False)


def _quantities(issues: Issues, column: pd.Series) -> np.ndarray:
    quantity, not_number, blank = numbers(column)
    accepted = "a number >= 0 (a decimal point, no thousands separators or units)"
    issues.add("quantity", "quantity", np.flatnonzero(blank), "missing quantity", accepted)
    issues.add("quantity", "quantity", np.flatnonzero(not_number), "not a number", accepted)
    issues.add("quantity", "quantity", np.flatnonzero(quantity < 0), "negative quantity",
               accepted)
    issues.add("quantity", "quantity", np.flatnonzero(np.isinf(quantity)), "not finite",
               accepted)
    return quantity


def _activity_key(name: object, lib: Library, user_keys: set[str]) -> str:
    text = str(name).strip()
    return text if text in user_keys else (lib.canonical_activity(text) or "")


def _activities(issues: Issues, column: pd.Series, lib: Library, user_keys: set[str]):
    codes, names = encode(column)
    keys = np.array([_activity_key(name, lib, user_keys) for name in names], dtype=object)
    choices = sorted(set(lib.activity_keys()) | set(user_keys))
    issues.add("unknown_activity", "activity", np.flatnonzero(codes < 0), "missing activity",
               accepted="a key of `parkcarbon factors --activities` or its Chinese name")
    for code in np.flatnonzero(keys == ""):
        name = names[code]
        issues.add("unknown_activity", "activity", np.flatnonzero(codes == code),
                   f"unknown activity {name!r}; closest: {lib.suggest(name, choices)}",
                   accepted="a key of `parkcarbon factors --activities` or its Chinese name")
    return codes, keys


def _units(issues: Issues, column: pd.Series):
    """Dimension and factor to the canonical unit of each distinct unit: one pint call each."""
    codes, names = encode(column)
    dims = np.full(len(names), "", dtype=object)
    factors = np.full(len(names), np.nan)
    issues.add("unit", "unit", np.flatnonzero(codes < 0), "missing unit",
               accepted="a unit such as t, 10^4 Nm3, 万kWh, MWh, GJ")
    for code, name in enumerate(names):
        try:
            dims[code], factors[code] = canonical(name)
        except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError) as e:
            issues.add("unit", "unit", np.flatnonzero(codes == code),
                       f"{name!r} is not a unit parkcarbon can use ({e})",
                       accepted="t, kg, 万t, 10^4 Nm3, 万Nm3, Nm3, m3, kWh, MWh, 万kWh, GJ, TJ, "
                       "tce, t*km, m2 (or their Chinese names)")
    return codes, names, dims, factors


def _instruments(issues: Issues, column: pd.Series, lib: Library):
    codes, names = encode(column)
    aliases = lib.aliases.get("instrument", {})
    canonical_names = []
    for code, name in enumerate(names):
        text = str(name).strip()
        text = aliases.get(text, text)
        if text not in ("", *GREEN_INSTRUMENTS):
            issues.add("value", "instrument", np.flatnonzero(codes == code),
                       f"unknown instrument {name!r}",
                       accepted="green_certificate, green_power (绿证, 绿电) or empty")
            text = ""
        canonical_names.append(text)
    canonical_names.append("")  # the code of missing cells
    if (codes < 0).any():  # only then a copy; the dictionary's own small codes otherwise
        codes = np.where(codes < 0, len(names), codes)
    return codes, np.array(canonical_names, dtype=object)


def _local_combinations(issues, activity, unit, year, instrument):
    """Code each row's (activity, unit, year, instrument) through a dense lookup table."""
    act, act_keys = activity
    unit_code, unit_names, unit_dims, unit_factors = unit
    inst, inst_names = instrument
    first_year = int(year.min()) if len(year) else YEARS[0]
    sizes = (max(len(act_keys), 1), max(len(unit_names), 1),
             int(year.max()) - first_year + 1 if len(year) else 1, len(inst_names))
    space = int(np.prod(sizes))
    code_type = np.int32 if space < 2**31 else np.int64
    # Packed codes per chunk into one small array, then replaced in place by local codes:
    # 4 bytes a row, and temporaries bounded by the chunk size.
    local = np.empty(len(year), dtype=code_type)
    seen = np.zeros(space, dtype=bool)
    for chunk in _chunks(len(year)):
        packed = local[chunk]
        # Missing activity or unit codes (-1) are already issues; coded 0 the key stays valid.
        np.maximum(act[chunk], 0, out=packed, casting="unsafe")
        packed *= sizes[1]
        packed += np.maximum(unit_code[chunk], 0)
        packed *= sizes[2]
        packed += year[chunk]
        packed -= first_year
        packed *= sizes[3]
        packed += inst[chunk]
        seen[packed] = True
    present = np.flatnonzero(seen)
    lookup = np.full(space, -1, dtype=code_type)
    lookup[present] = np.arange(len(present), dtype=code_type)
    for chunk in _chunks(len(year)):
        local[chunk] = lookup[local[chunk]]
    a, u, y, i = np.unravel_index(present, sizes)
    table = pd.DataFrame({
        "activity": act_keys[a] if len(act_keys) else np.array([], object),
        "unit": unit_names[u] if len(unit_names) else np.array([], object),
        "dimension": unit_dims[u] if len(unit_names) else np.array([], object),
        "to_canonical": unit_factors[u] if len(unit_names) else np.array([]),
        "year": y + first_year, "instrument": inst_names[i],
    })
    misplaced = (table["instrument"] != "") & (table["activity"] != "electricity")
    for code in np.flatnonzero(misplaced.to_numpy()):
        issues.add("value", "instrument", np.flatnonzero(local == code),
                   "an instrument applies to electricity only", accepted="empty")
    return local, table


#: Rows per chunk in the per-row passes: bounds their temporaries (8 MB for an int64 chunk).
CHUNK = 1 << 20


def _chunks(n: int, size: int = CHUNK):
    return (slice(start, min(start + size, n)) for start in range(0, n, size))


def _facility_regions(facility_ids: np.ndarray, facilities: pd.DataFrame):
    by_id = facilities["region"] if len(facilities) else pd.Series(dtype=object)
    regions = by_id.reindex(facility_ids).fillna("").to_numpy(dtype=object).astype(str)
    names, codes = np.unique(np.append(regions, ""), return_inverse=True)
    return names.astype(object), codes[:-1]


# -- duplicates ----------------------------------------------------------------------------------
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parkcarbon-duplicates")


def _row_hash(rows: Rows) -> np.ndarray:
    """64-bit hash of (facility, local combination, month, quantity) per row.

    The local combination carries activity, unit, year and instrument. Packing the codes into
    one word first keeps this to a handful of in-place passes.
    """
    out = np.empty(rows.n, dtype=np.uint64)
    bits = np.ascontiguousarray(rows.quantity).view(np.uint64)
    with np.errstate(over="ignore"):
        for chunk in _chunks(rows.n):
            h = out[chunk]
            h[:] = rows.facility[chunk]
            h <<= np.uint64(32)
            h |= rows.local[chunk].astype(np.uint64) << np.uint64(8)
            h |= rows.month[chunk].astype(np.uint64)
            h *= _MIX
            h ^= bits[chunk]
            h ^= h >> np.uint64(31)
            h *= _MIX2
            h ^= h >> np.uint64(29)
    return out


def start_duplicate_check(rows: Rows, bad: np.ndarray) -> Future:
    """Start the duplicate-row check; ``.result()`` is None or the arguments of ``Issues.add``.

    A duplicate equals an earlier row in facility, year, month, activity, unit, instrument and
    quantity (DESIGN.md). The rows' 64-bit hashes are sorted in place in a worker thread; only
    when two hashes are equal are the rows found again and compared exactly, so a hash
    collision is never reported as a duplicate. Rows already ``bad`` are left out: a row
    with an invalid cell is not the record a later good row could repeat.

    The environment variable ``PARKCARBON_THREADS=1`` runs the check in the calling thread.
    """

    def find() -> tuple | None:
        hashed = _row_hash(rows)
        hashed.sort()
        repeated = hashed[1:][hashed[1:] == hashed[:-1]]
        del hashed
        if not repeated.size:
            return None
        candidates = np.flatnonzero(np.isin(_row_hash(rows), repeated) & ~bad)
        return _exact_duplicates(rows, candidates)

    if os.environ.get("PARKCARBON_THREADS") == "1":  # one thread: run it here and now
        done: Future = Future()
        done.set_result(find())
        return done
    return _EXECUTOR.submit(find)


def _mix(h: np.ndarray, values: np.ndarray) -> None:
    with np.errstate(over="ignore"):
        h ^= values.astype(np.uint64, copy=False)
        h *= _MIX
        h ^= h >> np.uint64(31)


def _text_hash(column: pd.Series) -> np.ndarray:
    codes, uniques = encode(column)
    text = np.array([str(u).strip() for u in uniques], dtype=object)
    hashed = np.append(pd.util.hash_array(text) if len(text) else np.array([], np.uint64),
                       np.uint64(0))  # the last entry: missing cells
    return hashed[codes]


def stable_row_hash(frame: pd.DataFrame) -> np.ndarray:
    """64-bit hash of each row's identifying cells, the same in every partition.

    Built from the text as written (not from dictionary codes, which differ between
    partitions): facility, year, month, activity, unit, instrument and quantity.
    """
    h = np.full(len(frame), np.uint64(0x243F6A8885A308D3))
    for column in ("facility", "activity", "unit", "instrument"):
        if column in frame.columns:
            _mix(h, _text_hash(frame[column]))
    for column in ("year", "month"):
        if column in frame.columns:
            _mix(h, integers(frame[column])[0])
    _mix(h, np.ascontiguousarray(numbers(frame["quantity"])[0]).view(np.uint64))
    return h


def _exact_duplicates(rows: Rows, candidates: np.ndarray) -> tuple | None:
    """The arguments of ``Issues.add`` for the later copies among ``candidates``, or None."""
    keys = pd.DataFrame({"facility": rows.facility[candidates], "month": rows.month[candidates],
                         "local": rows.local[candidates],
                         "quantity": rows.quantity[candidates]}, index=candidates)
    keys = keys[keys["local"] >= 0]
    later = keys.duplicated(keep="first")
    if not later.any():
        return None
    first = keys.reset_index().groupby(list(keys.columns), sort=False)["index"].transform("min")
    first_of = pd.Series(first.to_numpy(), index=keys.index)
    positions = keys.index[later.to_numpy()].to_numpy()
    reasons = np.array([f"duplicate of row {first_of[p] + 2}" for p in positions], dtype=object)
    return ("duplicate", "quantity", positions, reasons,
            "rows differing in facility, year, month, activity, unit, instrument or quantity")


# -- aggregation ---------------------------------------------------------------------------------
def group_sum(key: np.ndarray, weights: np.ndarray, size: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Keys (< ``size``) present in ``key`` with the sum of their weights.

    Dense ``np.bincount`` when the key space is no bigger than a few times the rows, else a
    sort (NumPy's hash-based ``unique`` is far slower than a sort on large int arrays). In the
    dense path a key is found by a non-zero sum; keys whose weights are all zero are added
    from the zero-weight rows alone, which are few.
    """
    if size <= max(4 * len(key), 1 << 20):
        total = np.bincount(key, weights=weights, minlength=size)
        present = np.flatnonzero(total)
        zero = np.flatnonzero(weights == 0)
        if zero.size:  # rare: keys whose weights are all zero are present too
            present = np.union1d(present, key[zero]).astype(np.int64)
        return present, total[present]
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    if not len(key):
        return sorted_key, np.array([])
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    return sorted_key[starts], np.add.reduceat(weights[order], starts)


def aggregate(rows: Rows, good: np.ndarray) -> pd.DataFrame:
    """Quantity per (facility, local combination) over the good rows: one ``bincount``."""
    n_local = len(rows.locals) + 1  # the extra column takes the rejected rows
    cells = len(rows.facility_ids) * n_local
    all_good = good.all()

    def keys(chunk: slice) -> np.ndarray:
        key = rows.facility[chunk].astype(np.intp)  # bincount wants intp: no hidden copy
        key *= n_local
        key += rows.local[chunk] if all_good else np.where(good[chunk], rows.local[chunk],
                                                          n_local - 1)
        return key

    if cells <= max(4 * rows.n, 1 << 20):
        # Dense: one bincount per chunk of 2^22 rows, so no key array as long as the rows.
        total = np.zeros(cells)
        zero_keys = []
        for chunk in _chunks(rows.n, 1 << 22):
            key, weights = keys(chunk), rows.quantity[chunk]
            total += np.bincount(key, weights=weights, minlength=cells)
            zero = weights == 0
            if zero.any():  # a cell whose rows are all zero still exists
                zero_keys.append(key[zero])
        present = np.flatnonzero(total)
        if zero_keys:
            present = np.union1d(present, np.concatenate(zero_keys)).astype(np.int64)
        quantity = total[present]
    else:
        present, quantity = group_sum(keys(slice(None)), rows.quantity, cells)
    facility, local = np.divmod(present, n_local)
    keep = local < n_local - 1
    return pd.DataFrame({"facility_code": facility[keep], "local": local[keep],
                         "quantity": quantity[keep]})
