"""Accounting in partitions: a Parquet folder streamed by row group, or a Dask DataFrame.

Each partition goes through the same kernel as an in-memory table (:func:`account_rows`). What
a partition leaves behind: its cells under its own dictionary codes (quantity per facility and
local combination when summing shrinks them, else its good rows themselves), the combinations
it resolved, its rejected rows, and its rows' 64-bit hashes, sorted. The merge maps the codes
to the run's (facility ids through Arrow's lookup in the facility table, combinations through
a dict) and adds the cells into one facility x combination matrix. The hashes, compared range
of values by range of values, find rows met in more than one partition; only then are the
partitions holding one read again and compared exactly.
Streaming keeps the hashes (8 bytes a row) and the matrix, whatever the number of rows; on
Dask each range of hashes is a task of its own, so no worker holds them all.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import itertools
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import compiled
from .accounting import Setup, _optional, _warn_year_fallbacks, account_rows, combo_tables
from .errors import DuplicateRowError, InputError, OptionalDependencyError, Problem
from .inventory import Inventory
from .io import Table, arrow_frame
from .kernel import group_sum, native, nonzero, row_hashes
from .progress import progress_bar, shown
from .schema import raise_issues
from .tables import read_transfers

__all__ = ["account_dask", "account_parquet", "parquet_partitions"]

_LOCAL_KEY = ["activity", "unit", "year", "instrument"]
_LOCAL_COLUMNS = [*_LOCAL_KEY, "dimension", "to_canonical"]


@dataclass
class Partial:
    """What one partition leaves behind, for the merge (within the partition's task on Dask)."""

    index: int
    rows: int
    facility_ids: np.ndarray  # this partition's facility ids
    cells: pd.DataFrame  # facility_code (into facility_ids), local (into locals), quantity
    locals: pd.DataFrame  # activity, unit, year, instrument, dimension, to_canonical
    combo_region: np.ndarray  # each resolved (region, local combination): the run's region code,
    combo_local: np.ndarray  # its local combination (into locals)
    coefficients: list  # and its Coefficients
    hashes: np.ndarray  # uint64 per row checked for duplicates, sorted, stable across partitions
    rejected: pd.DataFrame
    fallbacks: set = field(default_factory=set)
    failed: bool = False  # strict mode and bad rows: accounted again to name them


_CELL_COLUMNS = ("facility_code", "local", "quantity")  # what a partition hands over (views)


def account_partition(index: int, table: Table, setup: Setup, background: bool = True
                      ) -> Partial:
    """Account one partition (runs on a Dask worker or in this process).

    In strict mode a partition with bad rows does not raise here: the caller accounts every
    such partition again and raises one error naming the rows of the whole table.
    ``background`` runs the duplicate check in a second thread.
    """
    try:
        accounted = account_rows(table, setup, keep_hashes=True, background=background,
                                 merging=True)
    except InputError:
        if not setup.strict:
            raise  # a bad table (a missing column), not bad rows
        none = np.empty(0, dtype=np.int64)
        return Partial(index, len(table.frame), np.array([], dtype=object), pd.DataFrame(),
                       pd.DataFrame(), none, none, [], np.empty(0, dtype=np.uint64),
                       pd.DataFrame(), failed=True)
    rows, cells, combos = accounted.rows, accounted.cells, accounted.combos
    return Partial(index, rows.n, rows.facility_ids,
                   pd.DataFrame({c: cells[c].to_numpy() for c in _CELL_COLUMNS}, copy=False),
                   rows.locals[_LOCAL_COLUMNS], combos.region, combos.local, combos.coefficients,
                   accounted.hashes, rows.issues.rejected(), set(setup.resolver.fallbacks))


class _CellSums:
    """Quantity per (facility, local combination) under the run's codes.

    A dense matrix (facilities x combinations) while it holds at most ``DENSE`` cells: each
    partition adds in with one ``np.add.at`` (or the compiled loop). Summed cells come ordered
    by facility, so the additions walk the matrix forward (three times faster than in any
    order); rows are added as they come. Beyond
    ``DENSE`` (a million facilities, say), sorted keys merged every ``COMPRESS_AT`` buffered
    cells.
    """

    DENSE = 1 << 25  # 256 MiB of float64
    COMPRESS_AT = 4_000_000

    def __init__(self, facilities: int, use_compiled: bool = False) -> None:
        self.use_compiled = use_compiled  # add with carbon.compiled's loop (no GIL held)
        self.matrix: np.ndarray | None = np.zeros((max(facilities, 1), 0))
        self.zero: list[tuple[np.ndarray, np.ndarray]] = []  # cells of rows of quantity 0
        self.keys = np.array([], dtype=np.int64)  # sparse: facility x 2^24 + local
        self.sums = np.array([])
        self.buffer: list[tuple[np.ndarray, np.ndarray]] = []
        self.buffered = 0

    def add(self, facility_map: np.ndarray, facility: np.ndarray, local_map: np.ndarray,
            local: np.ndarray, quantity: np.ndarray) -> None:
        """Add quantities (negative to take rows back out) of cells under a partition's
        codes, which ``facility_map`` and ``local_map`` turn into the run's."""
        if not len(facility):
            return
        if self.matrix is not None:
            self._fit(int(facility_map.max()) + 1, int(local_map.max()) + 1)
        if self.matrix is None:
            key = facility_map[facility].astype(np.int64) << 24
            key += local_map[local]
            self.buffer.append((key, quantity))
            self.buffered += len(key)
            if self.buffered >= self.COMPRESS_AT:
                self._compress()
            return
        if self.use_compiled and len(facility) >= compiled.MIN_ROWS:
            # Partitions' arrays may have come from another worker: native byte order
            compiled.add_cells(self.matrix, native(facility_map), native(facility),
                               native(local_map), native(local), native(quantity))
        else:
            key = facility_map[facility] * self.matrix.shape[1]
            key += local_map[local]
            # native: or add.at is 15x slower
            np.add.at(native(self.matrix.reshape(-1)), key, native(quantity))
        zero = quantity == 0
        if zero.any():
            self.zero.append((facility_map[facility[zero]], local_map[local[zero]]))

    def add_sums(self, other: _CellSums, facility_map: np.ndarray, local_map: np.ndarray
                 ) -> None:
        """Add ``other``'s sums, whose codes ``facility_map`` and ``local_map`` turn into
        these. Two dense matrices add block to block, a block for each run of codes that
        map to consecutive codes (the facility table's ids map to themselves): 6 ms for
        50 000 facilities, where a scatter of every cell took 80 and one fancy-indexed
        add 25."""
        if len(facility_map) and len(local_map) and self.matrix is not None:
            self._fit(int(facility_map.max()) + 1, int(local_map.max()) + 1)
        if self.matrix is None or other.matrix is None:
            facility, local, quantity = other.cells()
            self.add(facility_map, facility, local_map, local, quantity)
            return
        height, width = other.matrix.shape  # codes past them have no cells yet
        for rows, to_rows in _runs(facility_map[:height]):
            for columns, to_columns in _runs(local_map[:width]):
                self.matrix[to_rows, to_columns] += other.matrix[rows, columns]
        self.zero += [(facility_map[f], local_map[k]) for f, k in other.zero]

    def _fit(self, facilities_needed: int, locals_needed: int) -> None:
        """Grow the matrix to hold the codes given, by doubling (each growth is a copy)."""
        facilities, locals_ = self.matrix.shape
        if facilities_needed <= facilities and locals_needed <= locals_:
            return
        if facilities_needed > facilities:
            facilities = max(2 * facilities, facilities_needed)
        if locals_needed > locals_:
            locals_ = max(2 * locals_, locals_needed)
        if facilities * locals_ > self.DENSE:  # from here on, sorted keys
            facility, local, quantity = self._dense_cells()
            self.matrix = None
            self.keys = (facility.astype(np.int64) << 24) + local
            self.sums = quantity
            return
        grown = np.zeros((facilities, locals_))
        grown[:self.matrix.shape[0], :self.matrix.shape[1]] = self.matrix
        self.matrix = grown

    def marked(self) -> np.ndarray:
        """One flag a cell of the (dense) matrix: the cells with a row of quantity 0."""
        marked = np.zeros(self.matrix.size, dtype=bool)
        for facility, local in self.zero:
            marked[facility.astype(np.int64) * self.matrix.shape[1] + local] = True
        return marked

    def _dense_cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        flat = self.matrix.reshape(-1)
        width = self.matrix.shape[1]
        if self.use_compiled:
            return compiled.matrix_cells(native(self.matrix), self.marked())
        # int32 positions while they fit: dividing them is several times faster than int64
        index_type = np.int32 if len(flat) < 2**31 else np.int64
        present = nonzero(flat, index_type)
        width = index_type(width)
        if self.zero:
            zero = np.concatenate([facility.astype(index_type) * width + local
                                   for facility, local in self.zero])
            present = np.union1d(present, zero)
        facility = present // width
        local = present - facility * width
        return facility, local, flat[present]

    def _compress(self) -> None:
        if self.buffer:
            keys = np.concatenate([self.keys, *(k for k, _ in self.buffer)])
            sums = np.concatenate([self.sums, *(q for _, q in self.buffer)])
            self.keys, self.sums = group_sum(keys, sums, np.iinfo(np.int64).max)
            self.buffer, self.buffered = [], 0

    def cells(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(facility, local, quantity) of every cell."""
        if self.matrix is not None:
            return self._dense_cells()
        self._compress()
        return self.keys >> 24, self.keys & ((1 << 24) - 1), self.sums


class _Merger:
    """The run's facility and combination codes, and the cells summed under them.

    Partitions are added in order (:meth:`add`), on the client or, for Dask, as a chain of
    tasks on the workers; :meth:`close` then finds the row hashes met in more than one
    partition and lets the hashes go, so what travels back is small.
    """

    def __init__(self, setup: Setup, total_rows: int | None = None) -> None:
        regions = self.regions = setup.regions
        self.lib = setup.lib
        self.known = len(regions.ids)  # ids of the facility table: codes 0 .. known - 1
        self.extra: dict[str, int] = {}  # ids not in the facility table: codes known, ...
        self.used = np.zeros(self.known, dtype=bool)
        self._last_ids: tuple | None = None  # (a partition's ids, their codes)
        self.local_keys: dict[tuple, int] = {}
        self.locals: list[dict] = []
        self.combo_keys: dict[tuple, int] = {}  # (region, local code) -> combination
        self.combos: list[dict] = []
        self.gases: list[pd.DataFrame] = []
        self.sums = _CellSums(self.known + 1, setup.use_compiled)
        self.sizes: dict[int, int] = {}  # rows of each partition added
        self.rejected: dict[int, list[pd.DataFrame]] = {}  # by partition
        self.runs: list[np.ndarray] = []  # each partition's sorted row hashes: 8 bytes a row
        # With the row count known ahead, the runs are views of one array: no heap left in
        # pieces between partitions' passing allocations.
        self._store = np.empty(total_rows, dtype=np.uint64) if total_rows else None
        self._stored = 0
        self.repeated = np.empty(0, dtype=np.uint64)  # hashes of more than one partition
        self.failed: list[int] = []
        self.fallbacks: set = set()
        self.lock: threading.Lock | None = None  # each merge's, when lanes share the merger
        self.waiting: collections.deque[Partial] = collections.deque()  # for the lock's holder

    def __getstate__(self) -> dict:
        # A merger that travels leaves the run's setup behind (its receiver has it: see
        # attach; the facility ids alone took a third of the time it took to gather two
        # lanes' mergers), and is no longer shared (its lock).
        return {**self.__dict__, "lock": None, "regions": None, "lib": None, "_last_ids": None}

    def __sizeof__(self) -> int:
        """With its arrays' bytes: Dask weighs a task's result by ``sys.getsizeof``, which
        took a lane's 15 MB merger for a few dozen bytes, and a cluster's scheduler sent it to
        another worker (40-50 ms) whenever that one was free first."""
        sums = self.sums
        arrays = [sums.matrix, sums.keys, sums.sums, self.used, self.repeated,
                  *(array for pair in (*sums.buffer, *sums.zero) for array in pair),
                  *([self._store] if self._store is not None else self.runs)]
        return object.__sizeof__(self) + sum(a.nbytes for a in arrays if a is not None)

    def attach(self, setup: Setup) -> _Merger:
        """This merger, with the setup's tables it left behind if it travelled."""
        if self.regions is None:
            self.regions, self.lib = setup.regions, setup.lib
        return self

    @property
    def rows(self) -> int:
        return sum(self.sizes.values())

    @property
    def partitions(self) -> int:
        return len(self.sizes)

    def add(self, part: Partial) -> _Merger:
        self.sizes[part.index] = part.rows
        if part.failed:
            self.failed.append(part.index)
            return self
        self.fallbacks |= part.fallbacks
        self.rejected[part.index] = [part.rejected]
        self._keep(part.hashes)
        local = self.local_codes(part.locals)
        self._add_combos(part, local)
        cells = part.cells
        self.sums.add(self.facility_codes(part.facility_ids), cells["facility_code"].to_numpy(),
                      local, cells["local"].to_numpy(), cells["quantity"].to_numpy())
        return self

    def absorb(self, other: _Merger) -> _Merger:
        """This merger with ``other``'s partitions added (another lane's, of the same run)."""
        self.sizes.update(other.sizes)
        self.failed += other.failed
        self.fallbacks |= other.fallbacks
        self.rejected.update(other.rejected)
        self.runs += other.runs
        self.used |= other.used
        for i in other.extra:
            self.extra.setdefault(i, self.known + len(self.extra))
        facility_map = np.array([*range(self.known), *(self.extra[i] for i in other.extra)],
                                dtype=np.int64)
        local_map = self.local_codes(pd.DataFrame.from_records(other.locals,
                                                               columns=_LOCAL_COLUMNS))
        combo_map = np.full(len(other.combos), -1, dtype=np.int64)  # other's new to this one
        for (region, local), combo in other.combo_keys.items():
            key = (region, int(local_map[local]))
            if key not in self.combo_keys:
                combo_map[combo] = self.combo_keys[key] = len(self.combos)
                self.combos.append(other.combos[combo])
        if other.gases:
            gases = pd.concat(other.gases, ignore_index=True)
            combo = combo_map[gases["combo"].to_numpy()]
            self.gases.append(gases[combo >= 0].assign(combo=combo[combo >= 0]))
        self.sums.add_sums(other.sums, facility_map, local_map)
        return self

    def _keep(self, hashes: np.ndarray) -> None:
        end = self._stored + len(hashes)
        if self._store is None or end > len(self._store):
            self.runs.append(hashes)
            return
        self._store[self._stored:end] = hashes
        self.runs.append(self._store[self._stored:end])
        self._stored = end

    def close(self) -> _Merger:
        """Find the hashes met in more than one partition; the hashes themselves go."""
        stored = self._store is not None and self._stored == sum(len(run) for run in self.runs)
        self.repeated = _repeated_across(self.runs, self.sums.use_compiled,
                                         joined=self._store[:self._stored] if stored else None)
        self.runs, self._store = [], None
        return self

    def all_rejected(self) -> pd.DataFrame:
        """Rejected rows, partition by partition, each in row order."""
        parts = [pd.concat(frames, ignore_index=True).sort_values("row", kind="stable")
                 for _, frames in sorted(self.rejected.items())
                 if any(len(frame) for frame in frames)]
        # with none rejected, a partition's empty table keeps the columns
        found = parts or [frames[0] for _, frames in sorted(self.rejected.items())][:1]
        if not found:
            return pd.DataFrame({"row": pd.Series(dtype=np.int64),
                                 "reason": pd.Series(dtype=object)})
        return pd.concat(found, ignore_index=True)

    def facility_codes(self, ids: np.ndarray) -> np.ndarray:
        """The run's code of each facility id (one Arrow lookup per distinct id, and none
        when a partition has the dictionary of the one before)."""
        last = self._last_ids
        if last is not None and (last[0] is ids or (len(last[0]) == len(ids)
                                 and (last[0] == ids).all())):
            return last[1]
        codes = self.regions.positions(ids)
        for i in np.flatnonzero(codes < 0):  # ids the facility table does not have (few)
            codes[i] = self.extra.setdefault(ids[i], self.known + len(self.extra))
        self.used[codes[codes < self.known]] = True
        self._last_ids = (ids, codes)
        return codes

    def local_codes(self, locals_: pd.DataFrame) -> np.ndarray:
        """The run's code of each (activity, unit, year, instrument), registering new ones."""
        keys = zip(*(locals_[k].to_numpy(dtype=object) for k in _LOCAL_KEY), strict=True)
        codes = np.fromiter((self.local_keys.get(key, -1) for key in keys), dtype=np.int64,
                            count=len(locals_))
        for i in np.flatnonzero(codes < 0):
            record = locals_.iloc[i].to_dict()
            key = tuple(record[k] for k in _LOCAL_KEY)
            codes[i] = self.local_keys.setdefault(key, len(self.locals))
            if codes[i] == len(self.locals):
                self.locals.append(record)
        return codes

    def _add_combos(self, part: Partial, local: np.ndarray) -> None:
        """Register the partition's resolved combinations the run has not met yet (``local``:
        the run's code of each of its local combinations); only those get table rows."""
        names = self.regions.names
        new = []  # one per new key: two local combinations may be one as the run codes them
        for i, key in enumerate(zip(names[part.combo_region].tolist(),
                                    local[part.combo_local].tolist(), strict=True)):
            if key not in self.combo_keys:
                self.combo_keys[key] = len(self.combo_keys)
                new.append(i)
        if not new:
            return
        table, gases = combo_tables(part.locals, names, part.combo_region[new],
                                    part.combo_local[new],
                                    [part.coefficients[i] for i in new], self.lib)
        self.gases.append(gases.assign(combo=gases["combo"].to_numpy() + len(self.combos)))
        self.combos.extend(table.to_dict("records"))

    def cells(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The cells (facility_code, combo, quantity) and the facility ids they code."""
        region_code = {name: code for code, name in enumerate(self.regions.names)}
        lookup = np.full((len(self.regions.names), max(len(self.locals), 1)), -1, np.int32)
        for (region, local_code), combo in self.combo_keys.items():
            lookup[region_code[region], local_code] = combo
        # Facilities not in the table have no region: the code of "" (the table's last).
        facility_region = np.append(self.regions.codes[:-1],
                                    np.full(len(self.extra), self.regions.codes[-1]))
        # Keep the ids the partitions met, in the facility table's order then first meeting.
        used = np.append(self.used, np.ones(len(self.extra), dtype=bool))
        new_code = (np.cumsum(used) - 1).astype(np.int32)
        ids = np.append(self.regions.ids[self.used],
                        np.array(list(self.extra), dtype=object))
        if self.sums.use_compiled and self.sums.matrix is not None:
            facility, combo, quantity = compiled.coded_cells(
                native(self.sums.matrix), self.sums.marked(), new_code, facility_region, lookup)
        else:
            facility, local, quantity = self.sums.cells()
            # flat pairs in the cells' own int32: no int64 temporaries
            pair = facility_region.astype(facility.dtype)[facility] * lookup.shape[1]
            pair += local
            combo = lookup.reshape(-1)[pair]
            facility = new_code[facility]
        if (combo < 0).any():
            raise AssertionError("a cell of a combination no partition resolved")
        # copy=False: pandas would otherwise copy the two int32 columns into one block
        return pd.DataFrame({"facility_code": facility, "combo": combo, "quantity": quantity},
                            copy=False), ids


def _runs(codes: np.ndarray) -> list[tuple[slice, slice]]:
    """(positions, their codes) of each run of consecutive codes, as slices."""
    if not len(codes):
        return []
    starts = np.flatnonzero(np.diff(codes) != 1) + 1
    return [(slice(a, b), slice(codes[a], codes[a] + b - a))
            for a, b in itertools.pairwise([0, *starts.tolist(), len(codes)])]


def _repeated_across(runs: list[np.ndarray], run_compiled: bool, shift: int = 0,
                     joined: np.ndarray | None = None) -> np.ndarray:
    """Hashes found in more than one of the sorted ``runs``, sorted and distinct.

    In a run that uses :mod:`carbon.compiled`, one pass through a small table
    (:func:`carbon.compiled.repeated_across`; the runs share their top ``shift`` bits, and
    ``joined``, when given, is the runs one after another). Otherwise one range of values at
    a time (about 2^18 hashes), so no array as long as all the runs together is made and
    every sort stays in the CPU's cache.
    """
    runs = [run for run in runs if len(run)]
    if len(runs) < 2:
        return np.empty(0, dtype=np.uint64)
    rows = sum(len(run) for run in runs)
    if compiled.in_use(rows, run_compiled):
        bounds = np.cumsum([0, *(len(run) for run in runs)])
        found = compiled.repeated_across(np.concatenate(runs) if joined is None else joined,
                                         bounds, shift)
        if found is not None:
            return found
    bits = (rows >> 18).bit_length()
    cuts = [_range_cuts(run, bits) for run in runs]
    found = []
    for k in range(1 << bits):
        pieces = [run[cut[k]:cut[k + 1]] for run, cut in zip(runs, cuts, strict=True)]
        pieces = [p[np.r_[True, p[1:] != p[:-1]]] for p in pieces if len(p)]  # once per run
        if len(pieces) < 2:
            continue
        together = np.concatenate(pieces)
        together.sort()
        found.append(together[1:][together[1:] == together[:-1]])
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.uint64)


def _range_cuts(hashes: np.ndarray, bits: int) -> np.ndarray:
    """Where sorted hashes cross into each of 2^bits ranges of their top bits, and the end."""
    edges = np.arange(1, 1 << bits, dtype=np.uint64) << np.uint64(64 - bits) if bits else \
        np.empty(0, dtype=np.uint64)
    return np.concatenate([[0], np.searchsorted(hashes, edges), [len(hashes)]]).astype(np.int64)


def _cross_partition_duplicates(merger: _Merger, reload: Callable[[int], Table],
                                setup: Setup) -> None:
    """Find rows equal to a row of another partition; raise (strict) or reject (lenient)."""
    repeated = merger.repeated
    if not repeated.size:
        return  # clean data stop here; what follows reads partitions again
    lenient = dataclasses.replace(setup, strict=False)
    records = []
    for i in range(merger.partitions):
        table = reload(i)
        accounted = account_rows(table, lenient, duplicates=False)
        rows = accounted.rows
        hit = np.flatnonzero(np.isin(row_hashes(rows), repeated) & accounted.good)
        if not hit.size:
            continue
        # The keys the in-memory check compares, as text: equal rows of different partitions
        # compare equal (the stripped facility id; activity, unit and instrument as written).
        keys = rows.locals.iloc[rows.local[hit]][["as_written"]].reset_index(drop=True)
        keys["facility"] = rows.facility_ids[rows.facility[hit]]
        keys["month"] = rows.month[hit]
        keys["quantity"] = rows.quantity[hit]
        keys["row"] = table.row_number(hit)
        keys["label"] = table.label
        keys["partition"] = i
        records.append(keys)
    found = pd.concat(records, ignore_index=True)
    columns = ["facility", "month", "as_written", "quantity"]
    groups = found.groupby(columns, sort=False)
    if groups["partition"].nunique().max() < 2:
        return
    found = found.sort_values(["partition", "row"], kind="stable")
    groups = found.groupby(columns, sort=False)
    first_row = groups["row"].transform("first")
    first_label = groups["label"].transform("first")
    first_partition = groups["partition"].transform("first")
    later = found[found["partition"] > first_partition]
    if later.empty:
        return
    # Worded as in memory; the first copy's file is named when it is another file.
    reasons = [f"duplicate of row {int(r)}" + (f" of {label}" if label != own else "")
               for r, label, own in zip(first_row[later.index], first_label[later.index],
                                        later["label"], strict=True)]
    if setup.strict:
        raise DuplicateRowError([
            Problem("duplicate", why, file=r.label, row=int(r.row), column="quantity",
                    value=r.quantity, accepted="rows differing in facility, year, month, "
                    "activity, unit, instrument or quantity")
            for r, why in zip(later.itertuples(), reasons, strict=True)])
    later = later.assign(reason=reasons)
    for i, copies in later.groupby("partition"):
        _take_back(merger, reload(int(i)), copies, setup)


def _take_back(merger: _Merger, table: Table, copies: pd.DataFrame, setup: Setup) -> None:
    """Lenient mode: reject later copies found across partitions, and take them out."""
    rows = account_rows(table, setup, duplicates=False).rows
    positions = np.searchsorted(table.row_number(np.arange(rows.n)), copies["row"].to_numpy())
    merger.sums.add(merger.facility_codes(rows.facility_ids), rows.facility[positions],
                    merger.local_codes(rows.locals[_LOCAL_COLUMNS]), rows.local[positions],
                    -rows.quantity[positions])
    rejected = table.frame.iloc[positions].copy()
    rejected.insert(0, "row", copies["row"].to_numpy())
    rejected["reason"] = "quantity: " + copies["reason"].to_numpy()
    merger.rejected[int(copies["partition"].iloc[0])].append(rejected.reset_index(drop=True))


def _raise_failed(merger: _Merger, reload: Callable[[int], Table], setup: Setup) -> None:
    """Strict mode: one error for the bad rows of every failed partition, as on pandas."""
    lenient = dataclasses.replace(setup, strict=False)
    raise_issues([account_rows(reload(i), lenient).rows.issues for i in sorted(merger.failed)])


def account_partitions(partials: Iterator[Partial], reload: Callable[[int], Table],
                       setup: Setup, transfers, total_rows: int | None = None) -> Inventory:
    """Merge partition results, in order, into one inventory (``total_rows``, when known,
    sizes the array of row hashes)."""
    merger = _Merger(setup, total_rows)
    for part in partials:
        merger.add(part)
    return inventory_of(merger.close(), reload, setup, transfers)


def inventory_of(merger: _Merger, reload: Callable[[int], Table], setup: Setup,
                 transfers) -> Inventory:
    """The inventory of a closed merger: bad rows raised (strict) and duplicates across
    partitions found; ``reload(i)`` reads partition ``i`` again, its rows numbered in the
    whole input, when a partition must be looked at again."""
    if merger.failed:
        _raise_failed(merger, reload, setup)
    _cross_partition_duplicates(merger, reload, setup)
    setup.resolver.fallbacks |= merger.fallbacks
    _warn_year_fallbacks(setup.resolver)
    combos = pd.DataFrame.from_records(merger.combos)
    gases = (pd.concat(merger.gases, ignore_index=True) if merger.gases
             else pd.DataFrame(columns=["combo", "gas", "location", "market", "factor_id",
                                        "origin"]))
    if combos.empty:
        combos = pd.DataFrame(columns=["activity", "unit", "dimension", "to_canonical", "region",
                                       "year", "instrument", "scope", "category", "carrier", "tce",
                                       "tce_factor_id"])
    combos = combos.astype({"to_canonical": float, "year": np.int64, "scope": np.int64,
                            "tce": float})
    gases = gases.astype({"combo": np.int64, "location": float, "market": float})
    cells, facility_ids = merger.cells()
    transfer_table = read_transfers(_optional(transfers, "transfers"), setup.lib,
                                    set(facility_ids))
    return Inventory(
        cells=cells, facility_ids=facility_ids, combos=combos, gases=gases,
        facilities=setup.facilities, transfers=transfer_table, fallbacks=setup.resolver.fallbacks,
        profile=setup.profile.name, gwp=setup.gwp, library=setup.lib, rows_input=merger.rows,
        rejected=merger.all_rejected(), user_factors=setup.user_rows)


# -- Parquet on one machine ----------------------------------------------------------------------
def parquet_partitions(path: str | Path) -> list[tuple[Path, int]]:
    """(file, row group) of a Parquet file or folder, in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    accepted = "a .parquet file or a folder of .parquet files"
    if not path.exists():
        raise InputError([Problem("file", f"no such file or folder: {path}", file=str(path),
                                  accepted=accepted)])
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files:
        raise InputError([Problem("file", f"no .parquet files in {path}", file=str(path),
                                  accepted=accepted)])
    parts = []
    for file in files:
        try:
            groups = pq.ParquetFile(file).num_row_groups
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError([Problem("file", f"cannot read {file.name} as Parquet ({exc})",
                                      file=str(file), accepted=accepted)]) from None
        parts.extend((file, g) for g in range(groups))
    return parts


def _row_group_rows(parts: list[tuple[Path, int]]) -> Iterator[int]:
    import pyarrow.parquet as pq

    for file, group in parts:
        yield pq.ParquetFile(file).metadata.row_group(group).num_rows


def _read_row_group(file: Path, group: int, use_threads: bool = True) -> Table:
    """Row group ``group`` of ``file``, its rows numbered in the file (``use_threads``: its
    columns decoded by Arrow's threads)."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(file)
    offset = sum(parquet.metadata.row_group(g).num_rows for g in range(group))
    frame = arrow_frame(parquet.read_row_group(group, use_threads=use_threads))
    return Table(frame, file.name, np.arange(len(frame)) + offset + 2)


def account_parquet(path, facilities=None, transfers=None, factors=None, profile: str = "cn",
                    gwp: str = "AR5", strict: bool = True, progress: bool | None = None
                    ) -> Inventory:
    """Account a Parquet file or folder row group by row group, in bounded memory.

    Same numbers as :func:`carbon.account` on the whole table; the result has no per-row
    ledger. Row numbers in errors count records within each file (the first record is row 2,
    as in a spreadsheet). A progress bar shows on a terminal (``progress=None``).
    """
    setup = Setup.build(facilities, factors, profile, gwp, strict)
    parts = parquet_partitions(path)
    total = sum(_row_group_rows(parts))
    setup.expect_rows(total)

    def reload(i: int) -> Table:
        return _read_row_group(*parts[i])

    def partials() -> Iterator[Partial]:
        with progress_bar(len(parts), "accounting", progress, unit="row group") as bar:
            for i in range(len(parts)):
                yield account_partition(i, reload(i), setup)
                bar.update(1)

    return account_partitions(partials(), reload, setup, transfers, total)


# -- Dask ----------------------------------------------------------------------------------------
def account_dask(source, facilities=None, transfers=None, factors=None, profile: str = "cn",
                 gwp: str = "AR5", strict: bool = True, progress: bool | None = None
                 ) -> Inventory:
    """Account on Dask: a ``dask.dataframe.DataFrame``, or a Parquet file or folder.

    The factor library and the checked facility and factor tables travel to the workers once.
    Each partition is accounted independently by the same kernel. Partitions are merged in
    lanes, one per task the scheduler runs at once: a partition waits for its lane's last
    merge, so a lane holds one partition's result at a time, and on a cluster its cells stay
    on the worker (see :class:`_RunGraph`). Its sorted row hashes are cut into ranges of
    values, and one task per range finds the hashes met in more than one partition, so no
    worker ever holds every hash.

    A DataFrame's partitions have their rows numbered from 2; row counts come back with the
    merge, so nothing is read twice for them: a partition with bad rows (rare) is accounted
    again here, numbered in the whole table, and errors and rejected rows name the rows they
    would on pandas. A Parquet path is read by the workers themselves, a row group a task,
    straight from Arrow (no ``dask.dataframe`` conversion), and errors name each file and row
    as :func:`account_parquet` does; the workers must see the path.

    A progress bar shows on a terminal (``progress=None``): partitions done on Dask's local
    schedulers, and the graph's tasks on a ``dask.distributed`` cluster (its own bar).
    """
    dask = import_dask("accounting on Dask")
    facilities, factors = _computed(facilities), _computed(factors)
    from_path = isinstance(source, (str, Path))
    parts = parquet_partitions(source) if from_path else []
    rows = sum(_row_group_rows(parts)) if from_path else None
    graph = _RunGraph(functools.partial(_built_setup, facilities, factors, profile, gwp, strict,
                                        rows))  # a partial: a process pool pickles it
    if from_path:
        for file, group in parts:
            graph.add(_RowGroup(file, group))
    else:
        graph.add_frame_partitions(source.to_delayed())
    merger, setup = graph.compute(dask, progress)
    if from_path:
        def reload(i: int) -> Table:
            return _read_row_group(*parts[i])

        return inventory_of(merger, reload, setup, _computed(transfers))
    offsets = np.cumsum([0, *(merger.sizes[i] for i in sorted(merger.sizes))][:-1])

    def reload(i: int) -> Table:
        part = source.get_partition(i).compute().reset_index(drop=True)
        return Table(part, _LABEL, np.arange(len(part)) + int(offsets[i]) + 2)

    lenient = dataclasses.replace(setup, strict=False)
    for i, frames in merger.rejected.items():
        if len(frames[0]) and offsets[i]:  # rows numbered from 2 there: number them again
            frames[0] = account_rows(reload(i), lenient).rows.issues.rejected()
    return inventory_of(merger, reload, setup, _computed(transfers))


def _built_setup(facilities, factors, profile: str, gwp: str, strict: bool, rows: int | None
                 ) -> Setup:
    """The run's setup, told its row count (None: unknown)."""
    setup = Setup.build(facilities, factors, profile, gwp, strict)
    setup.expect_rows(rows)
    return setup


def _distributed_client():
    """The ``dask.distributed`` client ``dask.compute`` will use, or None."""
    from dask.base import get_scheduler

    client = getattr(get_scheduler(), "__self__", None)
    return client if type(client).__module__.startswith("distributed") else None


def _tasks_at_once() -> int:
    """How many tasks the scheduler ``dask.compute`` will use runs at once."""
    import dask.local
    import dask.system
    from dask.base import get_scheduler
    from dask.delayed import Delayed

    scheduler = get_scheduler() or Delayed.__dask_scheduler__
    if scheduler is dask.local.get_sync:
        return 1
    client = getattr(scheduler, "__self__", None)
    if type(client).__module__.startswith("distributed"):
        return max(sum(client.nthreads().values()), 1)
    pool = dask.config.get("pool", None)  # a thread pool of the user's own
    return (getattr(pool, "_max_workers", None) or dask.config.get("num_workers", None)
            or dask.system.CPU_COUNT)


def _in_this_process() -> bool:
    """Whether the scheduler ``dask.compute`` will use runs every task in this process: Dask's
    threads (a thread pool of the user's own too), or one task at a time."""
    from concurrent.futures import ThreadPoolExecutor
    from multiprocessing.pool import ThreadPool

    import dask.local
    import dask.threaded
    from dask.base import get_scheduler

    scheduler = get_scheduler() or dask.threaded.get
    pool = dask.config.get("pool", None)
    return scheduler is dask.local.get_sync or (
        scheduler is dask.threaded.get
        and (pool is None or isinstance(pool, (ThreadPoolExecutor, ThreadPool))))


class _RunGraph:
    """One run's Dask graph, written as a dict of tasks (``dask.delayed`` took 20 ms to build
    it for ten partitions, while nothing else ran).

    Partitions are merged in ``lanes``, as many as the tasks the scheduler runs at once: one
    task accounts partition ``i``, adds it into the merger of lane ``i % lanes`` (the lane's
    last task hands it over) and cuts its hashes. So a lane holds one partition's cells at a
    time, however many partitions there are (left to itself, Dask's ordering ran every
    partition of a graph of 100 before the first merge), a partition's cells never leave its
    task, and on a cluster the task runs beside the lane's merger (Dask knows its size): only
    the lanes' mergers travel, once, to be combined by the client. On a cluster the setup is
    on every worker before the first task. On Dask's local schedulers the setup is the graph's
    first task and each lane's first partition is read while it is built; on its threads the
    lanes share one merger.
    """

    def __init__(self, build: Callable[[], Setup]) -> None:
        # Keys named, not tokenised: hashing the tables would cost more than a partition.
        self.run = uuid.uuid4().hex
        self.lanes = _tasks_at_once()
        self.build = build
        self.tasks: dict = {}
        self.partitions: list = []  # what each partition task reads (see add), in order
        client = _distributed_client()
        self.setup: Setup | None = None  # built here, or by the graph's first task
        if client is None:  # a task: the first partitions are read while it runs
            self.setup_ref = self.key("setup")
            self.tasks[self.setup_ref] = (build,)
        else:  # on every worker first, else the scheduler keeps every task beside the one
            self.setup = build()
            self.setup_ref = client.scatter(self.setup, broadcast=True, hash=False)

    def key(self, name: str, *index: int):
        # the kind of task leads the key: the scheduler learns each kind's duration by it
        name = f"parkcarbon-{name}-{self.run}"
        return (name, *index) if index else name

    def add(self, part, made_here: bool = True) -> None:
        """The next partition: ``part``, what :func:`_table` takes, or the key of a DataFrame
        partition when not ``made_here``. A lane's first partition, made here, is read by a
        task of its own while the setup is built."""
        i = len(self.partitions)
        if made_here and self.setup is None and i < self.lanes:
            self.tasks[self.key("read", i)] = (_table, part)
            part = self.key("read", i)
        self.partitions.append(part)

    def add_frame_partitions(self, parts: list) -> None:
        """A DataFrame's partitions (``to_delayed``). One made by a task of its own that needs
        no other (a Parquet row group ``dd.read_parquet`` reads, say) is made inside the
        partition's task, in its lane: on a cluster, otherwise, it would be made on any
        worker and travel to the lane's."""
        from dask.highlevelgraph import HighLevelGraph

        graphs = []  # of the partitions that stay keys of the graph
        for part in parts:
            node = _standalone_task(part.dask, part.key)
            if node is not None:
                self.add(_Made(_converted_by_arrow_frame(node)))
            else:
                graphs.append(part.dask)
                self.add(part.key, made_here=False)
        if graphs:
            self.tasks.update(HighLevelGraph.merge(*graphs))

    def compute(self, dask, progress: bool | None) -> tuple[_Merger, Setup]:
        """The merger of every partition, with the hashes met in more than one found range
        of values by range (about sqrt(partitions) ranges), and the run's setup."""
        from operator import getitem

        from dask.delayed import Delayed

        if not self.partitions:  # a Parquet file without row groups
            setup = self.setup or self.build()
            return _Merger(setup), setup
        tasks, key, count = self.tasks, self.key, len(self.partitions)
        bits = (count - 1).bit_length() // 2
        # On Dask's threads the lanes share one merger, a merge at a time: one matrix stays
        # in the CPU's cache, and none is left to combine (paired 0.97). Elsewhere each
        # lane's merger stays in its process (on a cluster, on its worker).
        shared = key("shared") if _in_this_process() else None
        if shared:
            tasks[shared] = (_shared_merger, self.setup_ref)
        for i, part in enumerate(self.partitions):
            # Accounted, merged and cut in one task: one trip through the scheduler a
            # partition, where four (a task each) left a cluster's lane idle 20-28 ms.
            merger = (getitem, key("partition", i - self.lanes), 0) if i >= self.lanes \
                else shared
            tasks[key("partition", i)] = (_partition_task, i, part, self.setup_ref, merger, bits)
            for r in range(1 << bits):  # tasks of their own: a range fetches only its piece
                tasks[key("piece", i, r)] = (getitem, (getitem, key("partition", i), 1), r)
        lanes = [key("merger", i) for i in range(max(count - self.lanes, 0), count)]
        for lane in lanes:
            tasks[lane] = (getitem, key("partition", lane[1]), 0)
        ranges = [key("repeated", r) for r in range(1 << bits)]
        for r, range_key in enumerate(ranges):
            tasks[range_key] = (_range_repeats, [key("piece", i, r) for i in range(count)],
                                self.setup_ref, bits)
        wanted = [*lanes, *ranges, *([] if self.setup else [self.setup_ref])]
        found = _compute(dask, [Delayed(k, tasks) for k in wanted],
                         {key("partition", i) for i in range(count)}, progress)
        # The lanes' mergers are combined here: on a cluster each comes straight from its
        # worker, where combining them on one worker first sent one to the other.
        setup = self.setup or found[-1]
        merger = _combined(found[:len(lanes)], setup)
        # ranges in order: sorted, distinct
        merger.repeated = np.concatenate(found[len(lanes):len(lanes) + len(ranges)])
        return merger, setup


def _compute(dask, wanted: list, partition_keys: set, progress: bool | None) -> list:
    """``dask.compute(*wanted)``, with a progress bar on stderr when asked (None: on a
    terminal): partitions done on Dask's local schedulers; on a distributed cluster, the
    bar ``dask.distributed.progress`` draws of the graph's tasks."""
    if not shown(progress):
        return list(dask.compute(*wanted))
    from dask.base import get_scheduler

    client = getattr(get_scheduler(), "__self__", None)
    if type(client).__module__.startswith("distributed"):
        from dask.distributed import progress as distributed_progress

        futures = client.compute(wanted)
        with contextlib.redirect_stdout(sys.stderr):  # stdout carries the results
            distributed_progress(futures, notebook=False, multi=False)
        return client.gather(futures)
    from dask.callbacks import Callback

    with progress_bar(len(partition_keys), "accounting", True, unit="partition") as bar:

        class PartitionsDone(Callback):
            def _posttask(self, key, result, dsk, state, worker_id) -> None:
                if key in partition_keys:
                    bar.update(1)

        with PartitionsDone():
            return list(dask.compute(*wanted))


def import_dask(feature: str, distributed: bool = False):
    """The ``dask`` module (with ``dask.dataframe``, and ``dask.distributed`` when asked), or
    an error saying how to install the extra."""
    import importlib

    try:
        for name in ("dask", "dask.dataframe", *(("dask.distributed",) if distributed else ())):
            importlib.import_module(name)
    except ImportError:
        raise OptionalDependencyError("Dask", feature, "dask") from None
    return importlib.import_module("dask")


def local_cluster(workers: int):
    """A ``LocalCluster`` of ``workers`` single-threaded processes, for one accounting run.

    Dask's nannies give workers ``MALLOC_TRIM_THRESHOLD_``, to hand freed memory back to the
    system at once: right for long-lived workers, but setting it also turns off glibc's
    adaptive mmap threshold, so every array a partition makes is fresh memory and pays its
    page faults (the partitions of a 10^7-row run took 1.5 times as long). A run's own
    cluster lives for the run only, so its workers keep glibc's default; the other settings
    (one BLAS thread per worker) stay.
    """
    dask = import_dask("a local Dask cluster", distributed=True)
    from dask.distributed import LocalCluster

    environ = {name: value for name, value in
               dask.config.get("distributed.nanny.pre-spawn-environ", {}).items()
               if name != "MALLOC_TRIM_THRESHOLD_"}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)


def _merge(merger: _Merger | None, part: Partial, setup: Setup) -> _Merger:
    """The merger with ``part`` added (a lane's first partition makes it, unless the lanes
    share one)."""
    merger = _Merger(setup) if merger is None else merger.attach(setup)
    if merger.lock is None:
        return merger.add(part)
    # Lanes sharing the merger never wait for each other's merge: whoever holds the lock
    # adds every part waiting, and looks again once it lets go (a part put there while it
    # was letting go is then its to add; every part is added before the last task ends).
    merger.waiting.append(part)
    while merger.waiting and merger.lock.acquire(blocking=False):
        try:
            while merger.waiting:
                merger.add(merger.waiting.popleft())
        finally:
            merger.lock.release()
    return merger


def _shared_merger(setup: Setup) -> _Merger:
    """One merger for the lanes of one process: one merge at a time, under its lock, and no
    lane waits for it (see :func:`_merge`)."""
    merger = _Merger(setup)
    merger.lock = threading.Lock()
    return merger


def _combined(mergers: list[_Merger], setup: Setup) -> _Merger:
    """The lanes' mergers made one (lanes sharing one merger give it as often as they are)."""
    first, *others = {id(merger): merger for merger in mergers}.values()
    first.attach(setup)
    for other in others:
        first.absorb(other)
    return first


def _cut(hashes: np.ndarray, bits: int) -> list[np.ndarray]:
    """Sorted hashes cut into 2^bits ranges by their top bits. Views: a range task
    concatenates its pieces anyway, and ``dask.distributed`` sends only a view's own bytes."""
    return [hashes[a:b] for a, b in itertools.pairwise(_range_cuts(hashes, bits))]


_LABEL = "<activities table>"


def _standalone_task(graph, key):
    """The task that makes ``key`` when it needs no other key, else None."""
    try:
        from dask._task_spec import Task
    except ImportError:  # a Dask before its task spec (2024.12): partitions stay keys
        return None
    node = graph[key]
    return node if isinstance(node, Task) and not node.dependencies else None


def _converted_by_arrow_frame(node):
    """``node``, with ``dd.read_parquet``'s conversion replaced by ours where Dask's reader is
    the one :mod:`carbon.dask_parquet` knows."""
    try:
        from .dask_parquet import converted_by_arrow_frame
    except ImportError:  # a Dask whose Parquet reader moved: its own conversion stays
        return node
    return converted_by_arrow_frame(node)


@dataclass(frozen=True)
class _Made:
    """A DataFrame partition made by the task that needs it (see
    :meth:`_RunGraph.add_frame_partitions`): Dask would run ``node`` itself if it were a key
    of the graph."""

    node: object  # a dask Task that needs no other key

    def table(self) -> Table:
        return _table(self.node({}))


@dataclass(frozen=True)
class _RowGroup:
    """A Parquet row group, read by the task that needs it: on a worker, for Dask."""

    file: Path
    group: int

    def table(self) -> Table:
        # Dask's tasks already keep every core busy: Arrow's threads on top only contended
        # (a 2-worker LocalCluster, 10^7 rows: paired 0.957; Dask's threads 0.974)
        return _read_row_group(self.file, self.group, use_threads=False)


def _table(part: pd.DataFrame | Table | _Made | _RowGroup) -> Table:
    """The table of one partition: a DataFrame's rows are numbered from 2."""
    if isinstance(part, (_Made, _RowGroup)):
        return part.table()
    return part if isinstance(part, Table) else Table(part.reset_index(drop=True), _LABEL)


def _partition_task(index: int, part, setup: Setup, merger: _Merger | None, bits: int
                    ) -> tuple[_Merger, list[np.ndarray]]:
    """Partition ``index`` (``part``: what :func:`_table` takes) added into its lane's
    ``merger`` (None: a lane's first makes one), and its sorted row hashes cut into 2^bits
    ranges of values (see :class:`_RunGraph`)."""
    # No warnings here: fallbacks travel back in the merger and the client warns once
    # (warnings.catch_warnings is process-global, so it must not be used in worker threads).
    # The duplicate check runs in this thread: Dask's other threads keep the cores busy.
    partial, hashes = _split_hashes(account_partition(index, _table(part), setup,
                                                      background=False))
    return _merge(merger, partial, setup), _cut(hashes, bits)


def _range_repeats(pieces: list[np.ndarray], setup: Setup, bits: int) -> np.ndarray:
    """One range of values: the hashes met in more than one partition's piece of it."""
    return _repeated_across(pieces, setup.use_compiled, bits)


def _split_hashes(partial: Partial) -> tuple[Partial, np.ndarray]:
    hashes, partial.hashes = partial.hashes, np.empty(0, dtype=np.uint64)
    return partial, hashes


def _computed(table):
    """A Dask DataFrame given for a small table is computed; anything else passes through."""
    return table.compute() if hasattr(table, "npartitions") else table
