"""The row kernel: activity rows as integer codes, checked and aggregated in a few passes.

Each row is reduced to a facility code and a *local combination* code: (activity, unit, year,
instrument), taken from the columns' dictionaries. Region belongs to the facility, so the
quantities aggregate into a small facility x local-combination matrix (``np.add.at``), and
every distinct (region, local combination) is resolved to coefficients once, upstream of any
row. Checks are vectorised masks; the duplicate check sorts row hashes (64-bit, or their high
32 bits above 4 million rows) in a worker thread while the main thread aggregates: NumPy's
sort releases the GIL. Passes over every row that release it too run in two halves at once.
In runs of millions of rows, the cell sums and the row hashes are :mod:`carbon.compiled`'s
loops instead (numba, when installed); both ways give the same results.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import pint
import pyarrow as pa
import pyarrow.compute as pc

from . import compiled
from .factors import Library
from .io import Table, _is_text
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

__all__ = ["YEARS", "DuplicateCheck", "FacilityRegions", "PendingCheck", "Rows", "aggregate",
           "encode_rows", "group_sum", "in_halves", "native", "nonzero", "row_hashes",
           "sorted_sums", "start_duplicate_check", "two_threads"]

YEARS = (1990, 2100)
T = TypeVar("T")
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
    facility_hashes: np.ndarray  # 64-bit hash of each facility id (the duplicate check's)
    region_names: np.ndarray  # the run's regions: codes mean the same in every partition
    year: np.ndarray
    month: np.ndarray
    quantity: np.ndarray
    local: np.ndarray  # code into the local-combination table (-1 where a code is missing)
    locals: pd.DataFrame  # activity, unit, dimension, to_canonical, year, instrument per code


class FacilityRegions:
    """Facility ids and their regions for one run, shared by all its partitions.

    Built once per run from the facility table. Ids are looked up in Arrow's hash table of
    it (``pyarrow.compute.index_in``: no GIL held, where a dict of 50 000 ids took 6 ms to
    build and 4-6 ms to search, holding it). It also remembers the last facility dictionary
    it was given, since the partitions of one Parquet file usually share theirs.
    """

    def __init__(self, facilities: pd.DataFrame):
        # the few distinct regions found by hashing, then sorted (np.unique sorted every row)
        codes, distinct = pd.factorize(facilities["region"].fillna(""))
        distinct = [str(name) for name in distinct]
        self.names = np.array(sorted({*distinct, ""}), dtype=object)
        rank = {name: i for i, name in enumerate(self.names)}
        region_code = np.array([rank[name] for name in distinct], dtype=np.int64)
        # one per facility, then the code of "" for unknown ids (-1)
        self.codes = np.append(region_code[codes], rank[""])
        self.ids = facilities.index.to_numpy(dtype=object)
        known = _arrow_text(facilities.index)  # no copy when pandas keeps the ids in Arrow
        self._known = pa.array(self.ids, type=pa.large_string()) if known is None else known
        self._last: tuple | None = None  # (a dictionary, what dictionary() made of it)
        self._last_positions: tuple | None = None  # (ids, their positions)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:  # travels to Dask workers without its lock
        return {**self.__dict__, "_lock": None, "_last": None, "_last_positions": None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock())

    def positions(self, facility_ids: np.ndarray, text: pa.Array | None = None) -> np.ndarray:
        """Position of each id in the facility table, -1 where it is not there (a partition's
        ids come again to the merge: the same array, looked up once). ``text``: the ids as
        Arrow text, when the caller has them."""
        last = self._last_positions
        if last is not None and last[0] is facility_ids:
            return last[1].copy()
        if text is None:
            text = pa.array(facility_ids, type=pa.large_string())
        found = pc.fill_null(pc.index_in(text, value_set=self._known), -1)
        found = found.to_numpy(zero_copy_only=False).astype(np.int64)
        self._last_positions = (facility_ids, found.copy())
        return found

    def of(self, facility_ids: np.ndarray, text: pa.Array | None = None) -> np.ndarray:
        """Region code of each id; facilities not in the table have no region ("")."""
        return self.codes[self.positions(facility_ids, text)]

    def dictionary(self, raw: np.ndarray | pd.Index) -> tuple[np.ndarray, ...]:
        """(ids, remap, region codes, hashes) of a facility column's dictionary (an array, or
        a categorical's categories): see :func:`_facility_dictionary`; region codes and
        hashes are those of the ids."""
        raw = pd.Index(raw, dtype=object) if isinstance(raw, np.ndarray) else raw
        with self._lock:  # partitions starting together wait for one another's dictionary
            last = self._last
            # Index.equals compares Arrow strings without making Python objects (0.1 ms
            # against 6 ms for 50 000 ids, every partition)
            if last is not None and (last[0] is raw or last[0].equals(raw)):
                return last[1]
            text = _arrow_text(raw)
            if text is not None and _as_written(text):  # checked by Arrow, without the GIL
                ids, remap = np.append(raw.to_numpy(dtype=object), ""), None
                text = pa.concat_arrays([text.cast(pa.large_string()), _BLANK])
            else:
                ids, remap = _facility_dictionary(raw.to_numpy(dtype=object))
                text = None
            made = (ids, remap, self.of(ids, text), _text_hashes(ids))
            self._last = (raw, made)
            return made


#: What ``str.strip`` takes off (``str.isspace``), as a class of Arrow's regular expressions.
_SPACE = (r"[\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
          r"\x{202f}\x{205f}\x{3000}]")
_BLANK = pa.array([""], pa.large_string())


def _arrow_text(values: pd.Index) -> pa.Array | None:
    """``values`` as one Arrow text array (no copy when pandas keeps them in Arrow), or None
    unless every value is text."""
    try:
        text = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return text if _is_text(text.type) else None


def _as_written(text: pa.Array) -> bool:
    """Whether the distinct ids of a dictionary are facility ids as they are: none missing or
    blank, none with space to strip at either end."""
    if text.null_count:
        return False
    odd = pc.or_(pc.equal(pc.utf8_length(text), 0),
                 pc.match_substring_regex(text, f"^{_SPACE}|{_SPACE}$"))
    return not pc.any(odd).as_py()


def _facility_dictionary(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The distinct facility ids of a dictionary, stripped, with "" last (missing cells).

    ``remap`` maps each dictionary code (and -1, last) to its id, or is None when the
    dictionary's own codes already are the ids' (no id repeats once stripped, none is blank).
    """
    stripped = [f.strip() if type(f) is str else str(f).strip() for f in raw]
    distinct = set(stripped)
    if len(distinct) == len(stripped) and "" not in distinct:
        return np.array([*stripped, ""], dtype=object), None
    # " A" and "A" are one facility; blank and missing cells map to the last id, ""
    names, merged = np.unique(np.array([*stripped, ""], dtype=str), return_inverse=True)
    order = np.r_[np.flatnonzero(names != ""), np.flatnonzero(names == "")]
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    return names[order].astype(object), position[merged]


def encode_rows(table: Table, lib: Library, user_keys: set[str],
                regions: FacilityRegions, threads: int = 1) -> Rows:
    """Encode and check the activity rows; every failed check is recorded in ``issues``.

    With two ``threads`` the facility dictionary (text work, holding the GIL) is built in the
    worker thread while this one checks the numeric columns, and the passes over every row
    run in two halves at once.
    """
    frame = table.frame
    require_columns(frame, table.label, ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL)
    issues = Issues(table.label, frame, table.row_numbers)
    n = len(frame)

    facility_issues = Issues(table.label, frame, table.row_numbers)
    facilities = (_EXECUTOR.submit(_facilities, facility_issues, frame["facility"], regions)
                  if two_threads(threads) else None)
    if facilities is None:
        found = _facilities(facility_issues, frame["facility"], regions)
    year = _years(issues, frame["year"])
    month = _months(issues, frame) if "month" in frame.columns else np.zeros(n, np.int8)
    quantity = _quantities(issues, frame["quantity"])
    if "uncertainty" in frame.columns:
        spread, not_number, _ = numbers(frame["uncertainty"])
        issues.add("value", "uncertainty", np.flatnonzero(not_number | (spread < 0)),
                   "not a percentage >= 0", accepted="a half-width in % (5 for ±5 %), or empty")

    activity = _activities(issues, frame["activity"], lib, user_keys)
    unit, unit_names, unit_dims, unit_factors = _units(issues, frame["unit"])
    if "instrument" in frame.columns:
        instrument = _instruments(issues, frame["instrument"], lib)
    else:
        none = np.array([""], dtype=object)
        instrument = np.zeros(n, np.int8), none, none

    if facilities is not None:
        found = facilities.result()
    facility, facility_ids, facility_region, facility_hashes = found
    issues.entries[:0] = facility_issues.entries  # the facility column's issues come first
    local, locals_ = _local_combinations(
        issues, activity, (unit, unit_names, unit_dims, unit_factors), year, instrument, threads)
    return Rows(n, issues, facility, facility_ids, facility_region, facility_hashes,
                regions.names, year, month, quantity, local, locals_)


# -- column checks -------------------------------------------------------------------------------
def _facilities(issues: Issues, column: pd.Series, regions: FacilityRegions):
    """Facility code per row, the ids (the last is "", for missing or blank cells) and their
    region codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):  # its categories, not yet converted
        codes, raw = column.array.codes, column.array.categories
    else:
        codes, raw = encode(column)
    ids, remap, region, hashes = regions.dictionary(raw)
    if remap is not None:
        facility = remap[codes]  # code -1 takes the last entry: ""
    else:  # the dictionary's own codes: no per-row copy unless a cell is missing (code -1)
        facility = np.where(codes < 0, len(ids) - 1, codes) if (codes < 0).any() else codes
    blank = np.flatnonzero(facility == len(ids) - 1)
    issues.add("value", "facility", blank, "missing facility id",
               accepted="a facility id (any text)")
    return facility, ids, region, hashes


def _all_false(mask: np.ndarray) -> bool:
    """True when no cell is flagged; free for the no-memory masks of clean numeric columns."""
    return not mask[:1].any() if mask.strides == (0,) else not mask.any()


def _within(values: np.ndarray, low: int, high: int) -> bool:
    return not len(values) or (low <= values.min() and values.max() <= high)


def _years(issues: Issues, column: pd.Series) -> np.ndarray:
    year, bad, blank = integers(column)
    if _all_false(bad) and _all_false(blank) and _within(year, *YEARS):
        return year  # the common case: two reductions, no mask
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
    if _all_false(bad) and (_all_false(blank) and _within(month, 1, 12)):
        return month.astype(np.int8, copy=False)
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
    return codes, keys, names


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
    return codes, np.array(canonical_names, dtype=object), np.append(names, "")


def _local_combinations(issues, activity, unit, year, instrument, threads: int = 1):
    """Code each row's (activity, unit, year, instrument), as written, through a dense lookup
    table. The table has each combination's canonical activity and instrument, and the
    combination as written (``as_written``: what makes two rows the same record)."""
    act, act_keys, act_names = activity
    unit_code, unit_names, unit_dims, unit_factors = unit
    inst, inst_names, inst_written = instrument
    first_year = int(year.min()) if len(year) else YEARS[0]
    sizes = (max(len(act_keys), 1), max(len(unit_names), 1),
             int(year.max()) - first_year + 1 if len(year) else 1, len(inst_names))
    space = int(np.prod(sizes))
    pack_type = np.int32 if space < 2**31 else np.int64

    def packed(chunk: slice) -> np.ndarray:
        # Missing activity or unit codes (-1) are already issues; coded 0 the key stays valid.
        key = np.maximum(act[chunk], 0).astype(pack_type)
        key *= sizes[1]
        key += np.maximum(unit_code[chunk], 0)
        key *= sizes[2]
        key += year[chunk]
        key -= first_year
        key *= sizes[3]
        key += inst[chunk]
        return key

    # Packed keys for every row (4 bytes a row, for the time of encoding), marking which
    # combinations occur; then each row's code in the smallest integer type that holds them
    # (2 bytes a row for up to 32 767 combinations).
    keys = np.empty(len(year), dtype=pack_type)

    def mark(start: int, stop: int) -> np.ndarray:
        # A table of flags of each half's own: one both wrote would bounce between the cores'
        # caches at every row (the two halves took 1.4 times as long as one thread)
        seen = np.zeros(space, dtype=bool)
        for chunk in _chunks(stop, CACHE_CHUNK, start):
            keys[chunk] = packed(chunk)
            seen[keys[chunk]] = True
        return seen

    first, second = in_halves(len(year), threads, mark)
    present = np.flatnonzero(first | second)
    code_type = np.int16 if len(present) < 2**15 - 1 else np.int32
    lookup = np.full(space, -1, dtype=code_type)
    lookup[present] = np.arange(len(present), dtype=code_type)
    local = np.empty(len(year), dtype=code_type)

    def code(start: int, stop: int) -> None:
        for chunk in _chunks(stop, CACHE_CHUNK, start):
            local[chunk] = lookup[keys[chunk]]

    in_halves(len(year), threads, code)
    a, u, y, i = np.unravel_index(present, sizes)
    activity_of = act_keys[a] if len(act_keys) else np.array([], object)
    table = pd.DataFrame({
        "activity": activity_of,
        "unit": unit_names[u] if len(unit_names) else np.array([], object),
        "dimension": unit_dims[u] if len(unit_names) else np.array([], object),
        "to_canonical": unit_factors[u] if len(unit_names) else np.array([]),
        "year": y + first_year, "instrument": inst_names[i],
        "as_written": [f"{act_names[k]}\x1f{unit_names[m]}\x1f{year_}\x1f{inst_written[j]}"
                       for k, m, year_, j in zip(a, u, y + first_year, i, strict=True)]
        if len(act_keys) and len(unit_names) else np.array([], object),
    })
    misplaced = (inst_names[i] != "") & (activity_of != "electricity")
    for code in np.flatnonzero(misplaced):
        issues.add("value", "instrument", np.flatnonzero(local == code),
                   "an instrument applies to electricity only", accepted="empty")
    return local, table


#: Rows per chunk in the per-row passes: bounds their temporaries (8 MB for an int64 chunk).
CHUNK = 1 << 20
#: Rows per chunk in passes of many small steps (hashing, packing codes): each step's
#: temporaries stay in the CPU's cache, and a worker thread still takes the GIL rarely.
CACHE_CHUNK = 1 << 18


def _chunks(n: int, size: int = CHUNK, start: int = 0):
    """Slices of at most ``size`` rows covering rows ``start`` to ``n``."""
    return (slice(first, min(first + size, n)) for first in range(start, n, size))


#: The one worker thread: the second half of per-row passes, and the duplicate check's sort.
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parkcarbon-worker")


def two_threads(threads: int = 2) -> bool:
    """Whether a second thread may be used: asked for, and not ``PARKCARBON_THREADS=1``."""
    return threads > 1 and os.environ.get("PARKCARBON_THREADS") != "1"


def in_halves(n: int, threads: int, work: Callable[[int, int], T]) -> tuple[T, T]:
    """``work(0, n // 2)`` and ``work(n // 2, n)``; with two ``threads`` and enough rows, the
    first half in the worker thread while this one does the second (every heavy step of
    ``work`` must release the GIL). The halves are the same either way, so sums made of them
    do not depend on the thread count."""
    middle = n // 2
    if not two_threads(threads) or n < 2 * CACHE_CHUNK:
        return work(0, middle), work(middle, n)
    first = _EXECUTOR.submit(work, 0, middle)
    second = work(middle, n)
    return first.result(), second


# -- duplicates ----------------------------------------------------------------------------------
#: Up to this many rows the duplicate check sorts the full 64-bit hashes (8 bytes a row). Above
#: it, their high 32 bits (4 bytes a row, the memory goal), and a second pass finds the rows of
#: repeated values: about n^2 / 2^33 of them are collisions, which the exact comparison drops.
SHORT_HASH_ROWS = 1 << 22


def _text_hashes(values) -> np.ndarray:
    """64-bit hash of each text; the same in every process (pandas' keyed SipHash)."""
    values = np.asarray(values, dtype=object)
    # categorize=False gives the same hashes: factorising first pays only when texts repeat,
    # and a dictionary's do not (it cost 10 times the hashing on 50 000 facility ids)
    return (pd.util.hash_array(values, categorize=False) if len(values)
            else np.empty(0, dtype=np.uint64))


class _RowHasher:
    """64-bit hash of each row's facility, activity, unit, year, instrument, month and quantity.

    Built from hashes of the dictionaries' texts (the stripped facility id; activity, unit and
    instrument as written), so it is the same for equal rows in different partitions.
    """

    def __init__(self, rows: Rows):
        self.rows = rows
        self.facility = rows.facility_hashes
        self.local = np.append(_text_hashes(rows.locals["as_written"]), np.uint64(0))
        self.bits = np.ascontiguousarray(rows.quantity).view(np.uint64)

    def chunk(self, chunk: slice) -> np.ndarray:
        rows = self.rows
        h = self.facility[rows.facility[chunk]]
        h ^= self.local[rows.local[chunk]]  # code -1 (a bad row) takes the appended 0
        # Multiplying carries every input bit into the high bits, which the 32-bit check keeps;
        # a collision only costs an exact comparison, so no finaliser pass is needed.
        h *= _MIX
        h ^= rows.month[chunk].astype(np.uint64)
        h *= _MIX2
        h ^= self.bits[chunk]
        return h


def row_hashes(rows: Rows) -> np.ndarray:
    """The stable 64-bit hash of every row (see :class:`_RowHasher`)."""
    hasher = _RowHasher(rows)
    return np.concatenate([hasher.chunk(c) for c in _chunks(rows.n, CACHE_CHUNK)]) if rows.n else \
        np.empty(0, dtype=np.uint64)


@dataclass
class DuplicateCheck:
    found: tuple | None  # the arguments of Issues.add for the later copies, or None
    hashes: np.ndarray | None  # the checked rows' hashes, sorted, when asked to keep them


class PendingCheck:
    """A duplicate check under way: :meth:`result` waits for it and finishes it."""

    def __init__(self, rows: Rows, bad: np.ndarray, keep_hashes: bool, threads: int,
                 run_compiled: bool):
        self.rows, self.bad, self.keep_hashes, self.threads = rows, bad, keep_hashes, threads
        self.hasher = _RowHasher(rows)
        self.short = not keep_hashes and rows.n > SHORT_HASH_ROWS
        self.compiled = compiled.in_use(rows.n, run_compiled)
        hashed = (_compiled_row_hashes(self.hasher, bad, self.short, threads) if self.compiled
                  else _good_row_hashes(self.hasher, bad, self.short, threads))
        self.lookup: _SharedLookup | None = None
        self.lookup_made = threading.Event()
        if threads == 1:
            self.sorted: Future = Future()
            self.sorted.set_result(self._sort(hashed))
        else:  # the sort releases the GIL: it runs while the caller aggregates
            self.sorted = _EXECUTOR.submit(self._sort, hashed)

    def _sort(self, hashed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The hashes sorted and their repeated values; with the compiled loops, then the
        lookup of the rows of those (candidates to compare), which holds no GIL: in the worker
        thread it overlaps the caller's aggregation, and the caller takes a share of it when
        it comes for the result. NumPy's lookup runs after it, in two halves."""
        try:
            hashed, repeated = _sorted_repeats(hashed)
            if self.compiled and repeated.size:
                self.lookup = _SharedLookup(self.hasher, repeated, self.short)
        finally:
            self.lookup_made.set()
        if self.lookup is not None:
            self.lookup.work()
        return hashed, repeated

    def result(self) -> DuplicateCheck:
        self.lookup_made.wait()
        if self.lookup is not None:
            self.lookup.work()  # the chunks the worker thread has not taken yet
        hashed, repeated = self.sorted.result()
        found = None
        if repeated.size:  # find the rows again (unless found already), and compare exactly
            candidates = (self.lookup.positions() if self.lookup is not None else
                          _rows_hashed_to(self.hasher, repeated, self.short, self.threads))
            found = _exact_duplicates(self.rows, candidates[~self.bad[candidates]])
        return DuplicateCheck(found, hashed if self.keep_hashes else None)


def start_duplicate_check(rows: Rows, bad: np.ndarray, keep_hashes: bool = False,
                          background: bool = True, run_compiled: bool = False
                          ) -> PendingCheck:
    """Start the duplicate-row check; ``.result()`` is a :class:`DuplicateCheck`.

    A duplicate equals an earlier row in facility, year, month, activity, unit, instrument and
    quantity (DESIGN.md). The rows' hashes are sorted; only when two hashes are equal are the
    rows found again and compared exactly, so a hash collision is never reported as a
    duplicate. Rows already ``bad`` are left out: a row with an invalid cell is not the record
    a later good row could repeat. ``keep_hashes`` returns the sorted hashes (a partition's,
    for the check across partitions).

    By default two threads hash half the rows each, and the sort runs in the worker thread
    while the caller aggregates. ``background=False``, or the environment variable
    ``PARKCARBON_THREADS=1``, runs everything in the calling thread. In a run that uses
    :mod:`carbon.compiled` (``run_compiled``), large tables are hashed by its loop.
    """
    threads = 2 if background and two_threads() else 1
    return PendingCheck(rows, bad, keep_hashes, threads, run_compiled)


def _sorted_repeats(hashed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hashes sorted in place, and the values found more than once (sorted, distinct)."""
    hashed.sort()
    return hashed, np.unique(hashed[1:][hashed[1:] == hashed[:-1]])


#: Short hashes are the bits from this one up: the high 32 bits, which the multiplications mix
#: best (tests raise it to force collisions).
SHORT_SHIFT = 32


def _short(h: np.ndarray) -> np.ndarray:
    """The short hashes of 64-bit hashes, in place."""
    h >>= np.uint64(SHORT_SHIFT)
    return h


def _good_row_hashes(hasher: _RowHasher, bad: np.ndarray, short: bool, threads: int = 1
                     ) -> np.ndarray:
    """Hashes of the rows not ``bad``: 64-bit, or their high 32 bits when ``short``.

    With two ``threads`` and no bad row, the worker thread hashes the first half of the rows
    while this one hashes the second: every step releases the GIL, so the halves overlap.
    """
    n = hasher.rows.n
    out = np.empty(n, dtype=np.uint32 if short else np.uint64)
    if bad.any():  # rows left out: one pass, packing the kept hashes
        end = 0
        for chunk in _chunks(n, CACHE_CHUNK):
            h = hasher.chunk(chunk)[~bad[chunk]]
            out[end:end + len(h)] = _short(h) if short else h
            end += len(h)
        return out[:end]

    def fill(start: int, stop: int) -> None:
        for chunk in _chunks(stop, CACHE_CHUNK, start):
            h = hasher.chunk(chunk)
            out[chunk] = _short(h) if short else h

    in_halves(n, threads, fill)
    return out


def _compiled_row_hashes(hasher: _RowHasher, bad: np.ndarray, short: bool, threads: int
                         ) -> np.ndarray:
    """:func:`_good_row_hashes` compiled: one loop, in two halves at once when no row is bad."""
    rows, shift = hasher.rows, SHORT_SHIFT if short else 0
    out = np.empty(rows.n, dtype=np.uint32 if short else np.uint64)
    facility = compiled.codes(rows.facility)

    def fill(start: int, stop: int, at: int, bad: np.ndarray | None) -> int:
        return compiled.hash_rows(out, at, hasher.facility, hasher.local, facility, rows.local,
                                  rows.month, hasher.bits, bad, start, stop, shift)

    if bad.any():
        return out[:fill(0, rows.n, 0, bad)]
    in_halves(rows.n, threads, lambda start, stop: fill(start, stop, start, None))
    return out


def _rows_hashed_to(hasher: _RowHasher, values: np.ndarray, short: bool, threads: int = 1
                    ) -> np.ndarray:
    """Positions of the rows whose hash (its high 32 bits when ``short``) is one of ``values``.

    Short hashes repeat by chance, so ``values`` can be many: a table of flags on their low
    bits (about 64 flags per value, small enough for the CPU's cache) lets through a few rows
    per chunk, and only those are looked up.
    """
    if short:
        low, flags = _flag_table(values)
    found: dict[int, np.ndarray] = {}

    def look(start: int, stop: int) -> None:
        for chunk in _chunks(stop, CACHE_CHUNK, start):
            h = hasher.chunk(chunk)
            if short:
                h = _short(h)
                maybe = np.flatnonzero(flags[h & low])
                found[chunk.start] = chunk.start + maybe[_among(h[maybe], values)]
            else:
                found[chunk.start] = chunk.start + np.flatnonzero(_among(h, values))

    in_halves(hasher.rows.n, threads, look)
    return _in_row_order(found)


def _flag_table(values: np.ndarray) -> tuple[np.uint64, np.ndarray]:
    """(mask of low bits, a flag per value of those bits set where a value has it)."""
    low = np.uint64(min(max(1 << (64 * len(values)).bit_length(), 1 << 16), 1 << 24) - 1)
    flags = np.zeros(int(low) + 1, dtype=bool)
    flags[values & low] = True
    return low, flags


class _SharedLookup:
    """The compiled lookup of the rows whose hash (its high 32 bits when ``short``) is one of
    ``values``: one loop hashes a chunk of rows and looks each up. The chunks go to whichever
    thread asks next (:meth:`work`, from either thread), and the positions come out in row
    order whoever found them."""

    def __init__(self, hasher: _RowHasher, values: np.ndarray, short: bool):
        self.hasher, self.shift = hasher, SHORT_SHIFT if short else 0
        self.values = values.astype(np.uint64)
        self.low, self.flags = _flag_table(self.values)
        self.facility = compiled.codes(hasher.rows.facility)
        self.chunks = list(_chunks(hasher.rows.n, CACHE_CHUNK))
        self.taken = 0
        self.lock = threading.Lock()
        self.found: dict[int, np.ndarray] = {}

    def work(self) -> None:
        """Look up chunks until none is left."""
        rows, hasher = self.hasher.rows, self.hasher
        buffer = np.empty(CACHE_CHUNK, dtype=np.int64)
        while True:
            with self.lock:
                if self.taken == len(self.chunks):
                    return
                chunk = self.chunks[self.taken]
                self.taken += 1
            n = compiled.rows_hashed_to(buffer, self.flags, self.low, self.values,
                                        hasher.facility, hasher.local, self.facility, rows.local,
                                        rows.month, hasher.bits, chunk.start, chunk.stop,
                                        self.shift)
            self.found[chunk.start] = buffer[:n].copy()

    def positions(self) -> np.ndarray:
        """The rows found, in order (once every chunk is done)."""
        return _in_row_order(self.found)


def _in_row_order(found: dict[int, np.ndarray]) -> np.ndarray:
    """The positions each chunk found (keyed by its first row), in row order."""
    return (np.concatenate([found[k] for k in sorted(found)]) if found
            else np.empty(0, dtype=np.int64))


def _among(h: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Mask of ``h`` found in ``values`` (sorted and distinct): a binary search each."""
    found = np.searchsorted(values, h)
    return values[np.minimum(found, len(values) - 1)] == h


def _exact_duplicates(rows: Rows, positions: np.ndarray) -> tuple | None:
    """The arguments of ``Issues.add`` for the later copies among the rows at ``positions``
    (ascending), or None."""
    keys = pd.DataFrame({"facility": rows.facility[positions], "month": rows.month[positions],
                         "local": rows.local[positions],
                         "quantity": rows.quantity[positions]}, index=positions)
    keys = keys[keys["local"] >= 0]
    later = keys.duplicated(keep="first")
    if not later.any():
        return None
    first = keys.reset_index().groupby(list(keys.columns), sort=False)["index"].transform("min")
    first_of = pd.Series(rows.issues.row_number(first.to_numpy()), index=keys.index)
    copies = keys.index[later.to_numpy()].to_numpy()
    reasons = np.array([f"duplicate of row {first_of[p]}" for p in copies], dtype=object)
    return ("duplicate", "quantity", copies, reasons,
            "rows differing in facility, year, month, activity, unit, instrument or quantity")


# -- aggregation ---------------------------------------------------------------------------------
def group_sum(key: np.ndarray, weights: np.ndarray, size: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Keys (< ``size``) present in ``key`` with the sum of their weights.

    Dense ``np.bincount`` when the key space is no bigger than a few times the rows, else
    :func:`sorted_sums`. In the dense path a key is found by a non-zero sum; keys whose weights
    are all zero are added from the zero-weight rows alone, which are few.
    """
    if size <= max(4 * len(key), 1 << 20):
        total = np.bincount(key, weights=weights, minlength=size)
        present = np.flatnonzero(total)
        zero = np.flatnonzero(weights == 0)
        if zero.size:  # rare: keys whose weights are all zero are present too
            present = np.union1d(present, key[zero]).astype(np.int64)
        return present, total[present]
    return sorted_sums(key, weights)


def native(array: np.ndarray) -> np.ndarray:
    """``array`` under NumPy's own dtype object (a view, no copy).

    An array unpickled (one a Dask worker received from another) carries a copy of its dtype,
    and ``np.add.at`` then leaves its fast loop: 15 times slower in NumPy 2.4 (numpy#6422 on
    why unpickled dtypes are copies).
    """
    return array.view(array.dtype.type) if array.dtype.isnative else array


def sorted_sums(key: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys (>= 0), ascending, and the sum of each one's weights, by sorting.

    Key and row position are packed into one 64-bit integer, so a plain sort (which releases
    the GIL, and is several times faster than a stable ``argsort``) orders the rows by key and
    keeps their order within a key. About 25 bytes a row for the time of the call: for
    partitions and sparse tables, where a dense array of every possible key would be larger.
    """
    n = len(key)
    if not n:
        return key.astype(np.int64), np.array([])
    row_bits = (n - 1).bit_length()
    if int(key.max()) >> (63 - row_bits):  # no room for the row: rare, and slower
        order = np.argsort(key, kind="stable")
        packed = key[order].astype(np.uint64)
    else:
        packed = key.astype(np.uint64)
        packed <<= np.uint64(row_bits)
        packed |= np.arange(n, dtype=np.uint64)
        packed.sort()
        order = (packed & np.uint64((1 << row_bits) - 1)).astype(np.intp)
        packed >>= np.uint64(row_bits)
    starts = np.flatnonzero(np.r_[True, packed[1:] != packed[:-1]])
    sums = np.add.reduceat(weights[order], starts)
    return packed[starts].astype(np.int64), sums


def nonzero(values: np.ndarray, index_type) -> np.ndarray:
    """``np.flatnonzero`` in ``index_type`` (int32: half the memory), a chunk at a time."""
    out = np.empty(np.count_nonzero(values), dtype=index_type)
    end = 0
    for chunk in _chunks(len(values)):
        found = np.flatnonzero(values[chunk])
        out[end:end + len(found)] = found + chunk.start
        end += len(found)
    return out


#: A dense matrix of every possible cell while it has at most this many cells per row; beyond,
#: the rows are sorted by cell (a partition: 10^6 rows, 3 x 10^6 possible cells).
DENSE_CELLS_PER_ROW = 1
#: Compiled, the cells are summed in place (9 bytes a possible cell, reused from call to call)
#: while there are at most this many possible cells per row: a partition's 3 per row.
COMPILED_CELLS_PER_ROW = 4


def aggregate(rows: Rows, good: np.ndarray, run_compiled: bool = False) -> pd.DataFrame:
    """Quantity per (facility, local combination) over the good rows.

    In a run that uses :mod:`carbon.compiled` (``run_compiled``), a large table's rows are
    added into every possible cell in one GIL-free loop while there are at most
    ``COMPILED_CELLS_PER_ROW`` possible cells a row. Otherwise, with fewer possible cells than
    rows, one ``np.add.at`` per chunk into a facility x combination matrix (NumPy 2's
    ``add.at`` scatters int32 keys without ``bincount``'s full-size result per call); else the
    rows sorted by cell (:func:`sorted_sums`), which releases the GIL for Dask's other
    threads. Codes are int32, so the cell table costs 16 bytes a cell.
    """
    n_local = len(rows.locals) + 1  # the extra column takes the rejected rows
    cells = len(rows.facility_ids) * n_local
    all_good = good.all()
    key_type = np.int32 if cells < 2**31 else np.int64

    def keys(chunk: slice) -> np.ndarray:
        key = rows.facility[chunk].astype(key_type)
        key *= n_local
        key += rows.local[chunk] if all_good else np.where(good[chunk], rows.local[chunk],
                                                          n_local - 1)
        return key

    if compiled.in_use(rows.n, run_compiled) and cells <= COMPILED_CELLS_PER_ROW * rows.n:
        facility, local, quantity = compiled.cell_sums(
            rows.facility, rows.local, native(rows.quantity), None if all_good else good,
            len(rows.facility_ids), len(rows.locals))  # bad rows skipped: no rejected column
        return pd.DataFrame({"facility_code": facility, "local": local, "quantity": quantity},
                            copy=False)
    if cells <= DENSE_CELLS_PER_ROW * rows.n:  # every possible cell's sum: less room than rows
        total = np.zeros(cells)
        zero_keys = []
        for chunk in _chunks(rows.n):
            key, weights = keys(chunk), native(rows.quantity[chunk])
            np.add.at(total, key, weights)
            zero = weights == 0
            if zero.any():  # a cell whose rows are all zero still exists
                zero_keys.append(key[zero])
        present = nonzero(total, key_type)
        if zero_keys:
            present = np.union1d(present, np.concatenate(zero_keys))
        quantity = total[present]
        del total
    else:  # a partition of a national dataset: 10^6 rows, 3 x 10^6 possible cells
        present, quantity = sorted_sums(keys(slice(None)), rows.quantity)
    present = present.astype(key_type, copy=False)
    facility, local = np.divmod(present, key_type(n_local))
    del present
    # Local codes in the rows' own small type: 2 bytes a cell, and a column pandas does not
    # consolidate (copy) with the int32 facility codes.
    local = local.astype(rows.local.dtype)
    keep = local < n_local - 1
    if keep.all():
        return pd.DataFrame({"facility_code": facility, "local": local, "quantity": quantity},
                            copy=False)
    return pd.DataFrame({"facility_code": facility[keep], "local": local[keep],
                         "quantity": quantity[keep]})
