"""Accounting in partitions: a Parquet folder streamed by row group, or a Dask DataFrame.

Each partition goes through the same kernel as an in-memory table (:func:`account_rows`), with
row numbers offset so errors name the right row. What a partition leaves behind is small: its
cells (quantity per facility and resolved combination) under global codes, its rejected rows,
and one 64-bit hash per row. The hashes, sorted together at the end, find duplicates across
partitions; the partitions holding a candidate are read again and compared exactly. Memory is
the hashes (8 bytes a row) plus a bounded buffer of cells, whatever the number of rows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .accounting import Setup, _optional, _warn_year_fallbacks, account_rows
from .errors import DuplicateRowError, Problem
from .inventory import Inventory, RowLevel
from .io import Table
from .kernel import group_sum, stable_row_hash
from .tables import read_transfers

__all__ = ["account_dask", "account_parquet", "parquet_partitions"]

#: Buffered cells before they are summed together (bounds memory between partitions).
COMPRESS_AT = 4_000_000
_COMBO_STRIDE = 1 << 24  # key = facility x stride + combination


@dataclass
class Partial:
    """What one partition leaves behind. Picklable: Dask workers send it to the client."""

    index: int
    rows: int
    facility_ids: np.ndarray  # this partition's facility ids
    cells: pd.DataFrame  # facility_code (into facility_ids), combo (into combos), quantity
    combos: pd.DataFrame  # resolved combinations, with their attributes
    gases: pd.DataFrame  # combo, gas, location, market, factor_id, origin
    hashes: np.ndarray  # uint64 per good row, stable across partitions
    rejected: pd.DataFrame
    fallbacks: set = field(default_factory=set)


def account_partition(index: int, table: Table, setup: Setup) -> Partial:
    """Account one partition (runs on a Dask worker or in this process)."""
    accounted = account_rows(table, setup)
    rows = accounted.rows
    hashes = stable_row_hash(table.frame)[accounted.good]
    return Partial(index, rows.n, rows.facility_ids,
                   accounted.cells[["facility_code", "combo", "quantity"]],
                   accounted.combos.table, accounted.combos.gases, hashes,
                   rows.issues.rejected(), set(setup.resolver.fallbacks))


class _Merger:
    """Global facility and combination codes, and the cells summed under them."""

    KEY = ("activity", "unit", "region", "year", "instrument")

    def __init__(self, total_rows: int | None = None) -> None:
        self.facility_ids = pd.Index([], dtype=object)
        self.combo_keys: dict[tuple, int] = {}
        self.combos: list[dict] = []
        self.gases: list[pd.DataFrame] = []
        self.buffer: list[tuple[np.ndarray, np.ndarray]] = []  # (keys, quantities)
        self.buffered = 0
        self.keys = np.array([], dtype=np.int64)
        self.sums = np.array([])
        self.rows = 0
        self.rejected: list[pd.DataFrame] = []
        # One array for every good row's hash, filled in partition order and sorted in place at
        # the end: 8 bytes a row. Grown by doubling when the row count is not known ahead.
        self.hashes = np.empty(total_rows or 1 << 20, dtype=np.uint64)
        self.hashed = 0
        self.partitions = 0
        self.fallbacks: set = set()

    def add(self, part: Partial) -> None:
        self.rows += part.rows
        self.fallbacks |= part.fallbacks
        if len(part.rejected):
            self.rejected.append(part.rejected)
        self._keep_hashes(part.hashes)
        self.partitions += 1
        new = pd.Index(part.facility_ids).difference(self.facility_ids)
        if len(new):
            self.facility_ids = self.facility_ids.append(pd.Index(new, dtype=object))
        cells = part.cells
        self.add_cells(part.facility_ids[cells["facility_code"].to_numpy()],
                       self.combo_codes(part.combos, part.gases)[cells["combo"].to_numpy()],
                       cells["quantity"].to_numpy())

    def _keep_hashes(self, hashes: np.ndarray) -> None:
        end = self.hashed + len(hashes)
        if end > len(self.hashes):
            grown = np.empty(max(end, 2 * len(self.hashes)), dtype=np.uint64)
            grown[:self.hashed] = self.hashes[:self.hashed]
            self.hashes = grown
        self.hashes[self.hashed:end] = hashes
        self.hashed = end

    def add_cells(self, facility_ids: np.ndarray, combo: np.ndarray,
                  quantity: np.ndarray) -> None:
        """Add quantities (negative to take rows back out) under global codes."""
        key = self.facility_ids.get_indexer(facility_ids).astype(np.int64) * _COMBO_STRIDE
        key += combo
        self.buffer.append((key, quantity))
        self.buffered += len(key)
        if self.buffered >= COMPRESS_AT:
            self._compress()

    def combo_codes(self, combos: pd.DataFrame, gases: pd.DataFrame) -> np.ndarray:
        """Global code of each of a partition's combinations, registering new ones."""
        codes = np.empty(len(combos), dtype=np.int64)
        for i, record in enumerate(combos.to_dict("records")):
            key = tuple(record[k] for k in self.KEY)
            if key not in self.combo_keys:
                self.combo_keys[key] = len(self.combos)
                self.combos.append(record)
                self.gases.append(gases[gases["combo"] == i].assign(combo=self.combo_keys[key]))
            codes[i] = self.combo_keys[key]
        return codes

    def _compress(self) -> None:
        if not self.buffer:
            return
        keys = np.concatenate([self.keys, *(k for k, _ in self.buffer)])
        sums = np.concatenate([self.sums, *(q for _, q in self.buffer)])
        self.keys, self.sums = group_sum(keys, sums, np.iinfo(np.int64).max)
        self.buffer, self.buffered = [], 0

    def cells(self) -> pd.DataFrame:
        self._compress()
        facility, combo = np.divmod(self.keys, _COMBO_STRIDE)
        return pd.DataFrame({"facility_code": facility, "combo": combo, "quantity": self.sums})


def _cross_partition_duplicates(merger: _Merger, reload: Callable[[int], Table],
                                setup: Setup) -> None:
    """Find rows equal to a row of another partition; raise (strict) or reject (lenient)."""
    if merger.partitions < 2:
        return
    everything = merger.hashes[:merger.hashed]
    everything.sort()  # in place: no second copy of the hashes
    repeated = np.unique(everything[1:][everything[1:] == everything[:-1]])
    merger.hashes, merger.hashed = np.empty(0, dtype=np.uint64), 0
    if not repeated.size:
        return  # clean data stop here; what follows reads partitions again
    records = []
    for i in range(merger.partitions):
        table = reload(i)
        frame = table.frame
        hit = np.flatnonzero(np.isin(stable_row_hash(frame), repeated))
        if not hit.size:
            continue
        keys = frame.iloc[hit][["facility", "year", "activity", "quantity", "unit"]].astype(str)
        for optional in ("month", "instrument"):
            keys[optional] = frame[optional].iloc[hit].astype(str) if optional in frame else ""
        keys["row"] = table.row_number(hit)
        keys["label"] = table.label
        keys["partition"] = i
        records.append(keys)
    found = pd.concat(records, ignore_index=True)
    columns = ["facility", "year", "month", "activity", "unit", "instrument", "quantity"]
    groups = found.groupby(columns, sort=False)
    if groups["partition"].nunique().max() < 2:
        return
    found = found.sort_values(["partition", "row"], kind="stable")
    first_row = groups["row"].transform("first")
    first_label = groups["label"].transform("first")
    first_partition = groups["partition"].transform("first")
    later = found[found["partition"] > first_partition]
    if later.empty:
        return
    reasons = [f"duplicate of row {int(r)} of {label}" for r, label in
               zip(first_row[later.index], first_label[later.index], strict=True)]
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
    accounted = account_rows(table, setup, duplicates=False)
    rows = accounted.rows
    level = RowLevel(rows, accounted.good, accounted.combos.lookup, table)
    positions = np.searchsorted(table.row_number(np.arange(rows.n)), copies["row"].to_numpy())
    combo = level.combo()[positions]
    global_combo = merger.combo_codes(accounted.combos.table, accounted.combos.gases)[combo]
    merger.add_cells(rows.facility_ids[rows.facility[positions]], global_combo,
                     -rows.quantity[positions])
    rejected = table.frame.iloc[positions].copy()
    rejected.insert(0, "row", copies["row"].to_numpy())
    rejected["reason"] = "quantity: " + copies["reason"].to_numpy()
    merger.rejected.append(rejected.reset_index(drop=True))


def account_partitions(partials: Iterator[Partial], reload: Callable[[int], Table],
                       setup: Setup, transfers, total_rows: int | None = None) -> Inventory:
    """Merge partition results into one inventory (``total_rows`` sizes the hash array)."""
    merger = _Merger(total_rows)
    for part in partials:
        merger.add(part)
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
    facility_ids = merger.facility_ids.to_numpy(dtype=object)
    rejected = (pd.concat(merger.rejected, ignore_index=True) if merger.rejected
                else pd.DataFrame(columns=["row", "reason"]))
    transfer_table = read_transfers(_optional(transfers, "transfers"), setup.lib,
                                    set(facility_ids))
    return Inventory(
        cells=merger.cells(), facility_ids=facility_ids, combos=combos, gases=gases,
        facilities=setup.facilities, transfers=transfer_table, fallbacks=setup.resolver.fallbacks,
        profile=setup.profile.name, gwp=setup.gwp, library=setup.lib, rows_input=merger.rows,
        rejected=rejected, user_factors=setup.user_rows)


# -- Parquet on one machine ----------------------------------------------------------------------
def parquet_partitions(path: str | Path) -> list[tuple[Path, int]]:
    """(file, row group) of a Parquet file or folder, in order."""
    import pyarrow.parquet as pq

    path = Path(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    return [(f, g) for f in files for g in range(pq.ParquetFile(f).num_row_groups)]


def _row_group_rows(file: Path, group: int) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(file).metadata.row_group(group).num_rows


def _read_row_group(file: Path, group: int) -> Table:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(file)
    offset = sum(parquet.metadata.row_group(g).num_rows for g in range(group))
    frame = parquet.read_row_group(group).to_pandas()
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

    def reload(i: int) -> Table:
        return _read_row_group(*parts[i])

    def partials() -> Iterator[Partial]:
        show = sys.stderr.isatty() if progress is None else progress
        steps = range(len(parts))
        if show:
            from tqdm import tqdm

            steps = tqdm(steps, desc="accounting", unit="row group", file=sys.stderr)
        for i in steps:
            yield account_partition(i, reload(i), setup)

    total = sum(_row_group_rows(*part) for part in parts)
    return account_partitions(partials(), reload, setup, transfers, total)


# -- Dask ----------------------------------------------------------------------------------------
def account_dask(frame, facilities=None, transfers=None, factors=None, profile: str = "cn",
                 gwp: str = "AR5", strict: bool = True) -> Inventory:
    """Account a ``dask.dataframe.DataFrame``: partitions in parallel, merged on the client.

    The factor library and the checked facility and factor tables travel to the workers once
    (as one delayed object); each partition is accounted independently by the same kernel;
    errors carry the rows they would have in the whole table.
    """
    import dask

    setup = Setup.build(_computed(facilities), _computed(factors), profile, gwp, strict)
    lengths = frame.map_partitions(len).compute()
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    shared = dask.delayed(setup, pure=True)
    label = "<activities table>"

    def table(part: pd.DataFrame, offset: int) -> Table:
        return Table(part.reset_index(drop=True), label, np.arange(len(part)) + offset + 2)

    tasks = [dask.delayed(_partition_task)(i, part, int(offset), label, shared)
             for i, (part, offset) in enumerate(zip(frame.to_delayed(), offsets, strict=True))]
    results = dask.compute(*tasks)

    def reload(i: int) -> Table:
        return table(frame.get_partition(i).compute(), int(offsets[i]))

    return account_partitions(iter(results), reload, setup, _computed(transfers),
                              int(np.sum(lengths)))


def _partition_task(index: int, part: pd.DataFrame, offset: int, label: str,
                    setup: Setup) -> Partial:
    # No warnings here: fallbacks travel back in the Partial and the client warns once
    # (warnings.catch_warnings is process-global, so it must not be used in worker threads).
    table = Table(part.reset_index(drop=True), label, np.arange(len(part)) + offset + 2)
    return account_partition(index, table, setup)


def _computed(table):
    """A Dask DataFrame given for a small table is computed; anything else passes through."""
    return table.compute() if hasattr(table, "npartitions") else table
