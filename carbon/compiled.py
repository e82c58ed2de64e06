"""Compiled loops over every row (numba) for the passes NumPy cannot fuse, run without the GIL.

The passes: adding each row's quantity into its (facility, local combination) cell, and
finding the cells; the duplicate check's row hashes (made, and made again to find the rows of
repeated ones); the (region, combination) pairs the cells use; and for partitions, the merge's
additions, its cells under the run's codes, and the hashes met in more than one partition.
NumPy does each in several passes with full-size temporaries, or holds the GIL throughout
(``np.add.at``); compiled, each is one loop that the engine's second thread, or Dask's other
threads, run alongside.

numba is optional (``pip install "parkcarbon[fast]"``). Loading the loops costs about 0.6 s
per process (numba's import and start-up; the first time on a machine, compiling adds about
a second, and the machine code is cached). So a process starts with kernel.py's NumPy passes,
which do the same work, and loads the loops for a run of at least :data:`LOAD_ROWS` rows, once
its runs add up to that many (an analyst's session), or for a Dask DataFrame, whose length is
unknown: their savings then repay the load. Once loaded, every table of at least
:data:`MIN_ROWS` rows uses them. Tests check that both give the same results.
"""

from __future__ import annotations

import importlib.util
import threading
from types import SimpleNamespace

import numpy as np

__all__ = ["LOAD_ROWS", "MIN_ROWS", "add_cells", "cell_sums", "coded_cells", "codes", "hash_rows",
           "in_use", "load", "matrix_cells", "pairs_used", "repeated_across", "rows_hashed_to",
           "worth_loading"]

#: Tables of fewer rows use the NumPy passes (tests set 0 to run these on small tables).
MIN_ROWS = 1 << 17
#: Rows after which a process loads the compiled loops (counting the run about to start):
#: about 3 x 10^7 rows save the 0.6 s the load costs (10^6 rows save about 18 ms of work).
#: A Dask worker loads them when the run that sent it partitions does.
LOAD_ROWS = 1 << 25

_AVAILABLE = importlib.util.find_spec("numba") is not None
_MIX = np.uint64(0x9E3779B97F4A7C15)  # the constants of kernel._RowHasher
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)


_accounted = 0  # rows of the runs this process started


def worth_loading(run_rows: int | None) -> bool:
    """Whether a run of ``run_rows`` rows (None: unknown, a Dask DataFrame's) about to start
    uses the compiled loops (see the module's description); counts its rows."""
    global _accounted
    _accounted += run_rows or 0
    return _AVAILABLE and (_kernels is not None or run_rows is None
                           or _accounted >= LOAD_ROWS)


def load() -> bool:
    """Load the loops now, so every later run of this process uses them (an analyst's session
    that will run millions of rows, a benchmark); False if numba is not installed."""
    if _AVAILABLE:
        _compiled()
    return _AVAILABLE


def in_use(rows: int, run_compiled: bool) -> bool:
    """Whether a table of ``rows`` rows runs compiled, in a run that uses the loops or not
    (``run_compiled``: :func:`worth_loading` said so at its start)."""
    return run_compiled and rows >= MIN_ROWS


_kernels = None
_kernels_lock = threading.Lock()


def _compiled():
    """The compiled functions, built (or loaded from numba's cache) on first use."""
    global _kernels
    with _kernels_lock:
        if _kernels is None:
            _kernels = _build()
    return _kernels


def _build():
    import numba

    jit = numba.njit(nogil=True, cache=True)
    # Codes known to be >= 0 index as unsigned (``at``): numba then leaves out its handling
    # of negative indices, which made a scatter through two lookups three times as slow.
    at = np.uint64

    @jit
    def scatter(total, marked, facility, local, quantity, good, n_local):
        """Add each good row's quantity to its cell. A cell is found later by a sum other
        than 0, so a row that could leave it at 0 (a quantity not > 0) marks it."""
        check = len(good) == len(facility)  # an empty ``good``: every row is
        for i in range(len(facility)):
            if check and not good[i]:
                continue
            cell = at(facility[i] * n_local + local[i])
            total[cell] += quantity[i]
            if not quantity[i] > 0:  # rare: a branch the CPU predicts
                marked[cell] = True

    @jit
    def count(total, marked):
        found = 0
        for cell in range(len(total)):
            found += (total[cell] != 0) | marked[cell]
        return found

    @jit
    def collect(total, marked, n_local, facility_out, local_out, sums_out, clear):
        """Each cell found, ascending, into the outputs (one slot longer than the cells);
        zeroes ``total`` and ``marked`` when ``clear``. Written without branches, which a
        scan of cells about a quarter of them found would mispredict: twice as fast."""
        found, cell = 0, 0
        for facility in range(len(total) // n_local):
            for local in range(n_local):
                value = total[at(cell)]
                facility_out[at(found)] = facility
                local_out[at(found)] = local
                sums_out[at(found)] = value
                found += (value != 0) | marked[at(cell)]
                if clear:
                    total[at(cell)] = 0.0
                    marked[at(cell)] = False
                cell += 1

    @jit
    def collect_coded(total, marked, width, rows, columns, facility_code, facility_group,
                      lookup, facility_out, combo_out, sums_out):
        """As ``collect`` (never clearing) over the first ``rows`` rows and ``columns``
        columns of a matrix ``width`` wide, each cell found given its row's code
        ``facility_code[f]`` and the code ``lookup[facility_group[f], local]``."""
        found = 0
        for facility in range(rows):
            code, row, cell = facility_code[facility], facility_group[facility], facility * width
            for local in range(columns):
                value = total[at(cell + local)]
                facility_out[at(found)] = code
                combo_out[at(found)] = lookup[at(row), at(local)]
                sums_out[at(found)] = value
                found += (value != 0) | marked[at(cell + local)]
        return found

    @jit
    def row_hash(i, facility_hash, local_hash, facility, local, month, bits):
        """Row ``i``'s hash, as ``kernel._RowHasher`` makes it (local -1 takes the last, 0)."""
        h = facility_hash[at(facility[i])] ^ local_hash[local[i]]  # local may be -1
        h *= _MIX
        h ^= np.uint64(month[i])
        h *= _MIX2
        return h ^ bits[i]

    @jit
    def hashes(out, at, facility_hash, local_hash, facility, local, month, bits, bad,
               start, stop, shift):
        """Hash rows ``start:stop`` not ``bad`` (an empty ``bad``: none is) into ``out`` from
        position ``at``, shifted right by ``shift`` bits; the position after the last."""
        check = len(bad) == len(facility)
        for i in range(start, stop):
            if check and bad[i]:
                continue
            out[at] = row_hash(i, facility_hash, local_hash, facility, local, month,
                               bits) >> shift
            at += 1
        return at

    @jit
    def hashed_to(found, flags, low, values, facility_hash, local_hash, facility, local, month,
                  bits, start, stop, shift):
        """Rows ``start:stop`` whose hash, shifted, is one of ``values`` (sorted): their
        positions into ``found``; how many. ``flags`` on the hashes' ``low`` bits let through
        the few rows worth a binary search."""
        n = 0
        for i in range(start, stop):
            h = row_hash(i, facility_hash, local_hash, facility, local, month, bits) >> shift
            if flags[h & low]:
                j = np.searchsorted(values, h)
                if j < len(values) and values[j] == h:
                    found[n] = i
                    n += 1
        return n

    @jit
    def positions(out, width, facility_map, facility, local_map, local):
        """Each cell's position in a facility x combination matrix (flat) ``width`` wide, its
        codes mapped to the matrix's."""
        for i in range(len(facility)):
            out[i] = facility_map[at(facility[i])] * width + local_map[at(local[i])]

    @jit
    def add_at(total, position, quantity):
        """``total[position] += quantity``, one by one."""
        for i in range(len(position)):
            total[at(position[i])] += quantity[i]

    @jit
    def mark_pairs(seen, facility_region, facility, local, n_local):
        """Flag each cell's (region x n_local + local) pair in ``seen``."""
        for i in range(len(facility)):
            seen[at(facility_region[at(facility[i])] * n_local + local[i])] = True

    @jit
    def repeated_in(values, bounds, shift, sub_bits, slot_bits, table, used, owner, found):
        """Values met in more than one of the sorted runs ``values[bounds[j]:bounds[j + 1]]``
        into ``found`` (each once); how many, or -1 if a table overflowed.

        Every value shares its top ``shift`` bits. The next ``sub_bits`` cut the values into
        ranges, taken in turn from every run (one cursor a run); the ``slot_bits`` after
        those are a value's slot in an open-addressing table small enough for the core's
        cache, which each run, sorted, fills front to back."""
        runs = len(bounds) - 1
        cursor = bounds[:-1].copy()
        limit = len(table)
        top = np.uint64(64) - sub_bits
        slot_shift = np.uint64(64) - slot_bits
        n = 0
        for sub in range(1 << sub_bits):
            for run in range(runs):
                i, end = cursor[run], bounds[run + 1]
                while i < end:
                    h = values[i]
                    rest = h << shift
                    if np.int64(rest >> top) != sub:
                        break
                    slot = np.int64((rest << sub_bits) >> slot_shift)
                    while slot < limit and used[at(slot)] and table[at(slot)] != h:
                        slot += 1
                    if slot == limit:
                        return -1
                    if not used[at(slot)]:
                        used[at(slot)] = True
                        table[at(slot)] = h
                        owner[at(slot)] = run
                    elif owner[at(slot)] != run and owner[at(slot)] >= 0:  # another run's
                        found[at(n)] = h
                        n += 1
                        owner[at(slot)] = -1  # found once
                    i += 1
                cursor[run] = i
            used[:] = False
        return n

    return SimpleNamespace(scatter=scatter, count=count, collect=collect,
                           collect_coded=collect_coded, hashes=hashes,
                           hashed_to=hashed_to, positions=positions, add_at=add_at,
                           mark_pairs=mark_pairs,
                           repeated_in=repeated_in)


class _Scratch:
    """Zeroed (sums, marks) arrays lent to one :func:`cell_sums` call at a time.

    Returned zeroed, so the next call neither allocates nor page-faults (which cost as much
    as the scatter itself for a partition's 3 x 10^6 cells); at most :data:`KEEP` are kept.
    """

    KEEP = 2  # one per core
    KEEP_CELLS = 1 << 22  # larger arrays (36 MiB) are freed: a one-off table's, not a partition's

    def __init__(self) -> None:
        self.free: list[tuple[np.ndarray, np.ndarray]] = []
        self.lock = threading.Lock()

    def take(self, size: int) -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            for i, (total, _) in enumerate(self.free):
                if len(total) >= size:
                    return self.free.pop(i)
        return np.zeros(size), np.zeros(size, dtype=bool)

    def give_back(self, arrays: tuple[np.ndarray, np.ndarray]) -> None:
        if len(arrays[0]) > self.KEEP_CELLS:
            return
        with self.lock:
            self.free.append(arrays)
            self.free.sort(key=lambda pair: -len(pair[0]))
            del self.free[self.KEEP:]


_SCRATCH = _Scratch()


def cell_sums(facility: np.ndarray, local: np.ndarray, quantity: np.ndarray,
              good: np.ndarray | None, n_facilities: int, n_local: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facility code (int32), local code (``local``'s type) and summed quantity of each cell
    (facility, local combination) of the ``good`` rows (None: every row), ordered by facility
    then local code. A cell's rows are added in row order."""
    facility = codes(facility)
    size = n_facilities * n_local
    scratch = _SCRATCH.take(size)
    total, marked = scratch[0][:size], scratch[1][:size]
    try:
        good = np.empty(0, dtype=bool) if good is None else good
        _compiled().scatter(total, marked, facility, local, quantity, good, n_local)
        out = _collected(total, marked, n_local, local.dtype, clear=True)
    except BaseException:
        total[:], marked[:] = 0, False  # an interrupted call must not leave sums behind
        raise
    finally:
        _SCRATCH.give_back(scratch)
    return out


def matrix_cells(matrix: np.ndarray, marked: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facility (row), local combination (column) and value of the cells of ``matrix`` that
    are not 0 or are ``marked`` (flat, one flag a cell), in order: ``np.flatnonzero`` and a
    division, in one pass."""
    return _collected(matrix.reshape(-1), marked, matrix.shape[1], np.int32, clear=False)


def coded_cells(matrix: np.ndarray, marked: np.ndarray, facility_code: np.ndarray,
                facility_group: np.ndarray, lookup: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of ``matrix`` that are not 0 or are ``marked`` (as :func:`matrix_cells`),
    in order, as (``facility_code[row]``, ``lookup[facility_group[row], column]``, value):
    the merge's cells under the run's facility and combination codes, in one pass. Rows past
    ``facility_code``'s and columns past ``lookup``'s must be 0 and unmarked."""
    total = matrix.reshape(-1)
    cells = _compiled().count(total, marked) if len(total) else 0
    out = (np.empty(cells + 1, dtype=np.int32), np.empty(cells + 1, dtype=lookup.dtype),
           np.empty(cells + 1))
    if cells:
        found = _compiled().collect_coded(
            total, marked, matrix.shape[1], min(matrix.shape[0], len(facility_code)),
            min(matrix.shape[1], lookup.shape[1]), facility_code.astype(np.int32),
            facility_group.astype(np.int64), lookup, *out)
        if found != cells:
            raise AssertionError("cells outside the codes given")
    return out[0][:cells], out[1][:cells], out[2][:cells]


def _collected(total: np.ndarray, marked: np.ndarray, n_local: int, local_type, clear: bool
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not len(total):  # no cell at all (every row rejected)
        return np.empty(0, np.int32), np.empty(0, local_type), np.empty(0)
    cells = _compiled().count(total, marked)
    out = (np.empty(cells + 1, dtype=np.int32), np.empty(cells + 1, dtype=local_type),
           np.empty(cells + 1))
    _compiled().collect(total, marked, n_local, *out, clear)
    return out[0][:cells], out[1][:cells], out[2][:cells]


def hash_rows(out: np.ndarray, at: int, facility_hash: np.ndarray, local_hash: np.ndarray,
              facility: np.ndarray, local: np.ndarray, month: np.ndarray, bits: np.ndarray,
              bad: np.ndarray | None, start: int, stop: int, shift: int) -> int:
    """The row hashes of ``kernel._RowHasher`` for rows ``start:stop`` not ``bad`` (None: no
    row is; ``facility`` made by :func:`codes`), written to ``out`` from position ``at``
    after a right shift by ``shift`` bits (32 for the short hashes); returns the position
    after the last written."""
    bad = np.empty(0, dtype=bool) if bad is None else bad
    return _compiled().hashes(out, at, facility_hash, local_hash, facility, local, month, bits,
                              bad, start, stop, np.uint64(shift))


def rows_hashed_to(found: np.ndarray, flags: np.ndarray, low: int, values: np.ndarray,
                   facility_hash: np.ndarray, local_hash: np.ndarray, facility: np.ndarray,
                   local: np.ndarray, month: np.ndarray, bits: np.ndarray, start: int,
                   stop: int, shift: int) -> int:
    """Positions (into ``found``, at least ``stop - start`` long) of the rows ``start:stop``
    whose hash, shifted right by ``shift`` bits, is one of ``values`` (sorted, uint64),
    through ``flags`` on their ``low`` bits; returns how many."""
    return _compiled().hashed_to(found, flags, np.uint64(low), values, facility_hash,
                                 local_hash, facility, local, month, bits, start, stop,
                                 np.uint64(shift))


#: Cells per step of :func:`add_cells`: their positions (512 KiB) stay in the core's cache.
ADD_CHUNK = 1 << 16


def add_cells(matrix: np.ndarray, facility_map: np.ndarray, facility: np.ndarray,
              local_map: np.ndarray, local: np.ndarray, quantity: np.ndarray) -> None:
    """``matrix[facility_map[facility], local_map[local]] += quantity``, cell by cell
    (``np.add.at``, without the GIL or full-length temporaries).

    A chunk's positions first, then the additions: with the two lookups in the same loop as
    the addition, the CPU kept fewer of the matrix's cache misses in flight, and the loop
    took 1.5 to 2 times as long. (The two loops fused into one compiled function were as
    slow again: hence one call each per chunk.)"""
    kernels = _compiled()
    flat, width = matrix.reshape(-1), matrix.shape[1]
    facility_map, local_map = facility_map.astype(np.int64), local_map.astype(np.int64)
    facility = codes(facility)
    out = np.empty(min(len(facility), ADD_CHUNK), dtype=np.int64)
    for start in range(0, len(facility), ADD_CHUNK):
        stop = min(start + ADD_CHUNK, len(facility))
        position = out[:stop - start]
        kernels.positions(position, width, facility_map, facility[start:stop], local_map,
                          local[start:stop])
        kernels.add_at(flat, position, quantity[start:stop])


def pairs_used(facility_region: np.ndarray, facility: np.ndarray, local: np.ndarray,
               n_regions: int, n_local: int) -> np.ndarray:
    """The distinct ``facility_region[facility] * n_local + local`` of the cells, ascending."""
    seen = np.zeros(n_regions * n_local, dtype=bool)
    _compiled().mark_pairs(seen, facility_region.astype(np.int64), codes(facility), local,
                           n_local)
    return np.flatnonzero(seen)


#: Values per range that :func:`repeated_across` puts through its table at a time, and the
#: table's slots: a quarter full, and (13 bytes a slot) within a core's cache; slots past
#: the power of two that a run of taken slots may spill into.
_RANGE_VALUES, _SLOT_BITS, _SPILL = 1 << 14, 16, 1 << 12


def repeated_across(values: np.ndarray, bounds: np.ndarray, shift: int) -> np.ndarray | None:
    """The values met in more than one of the sorted runs ``values[bounds[j]:bounds[j + 1]]``,
    which all share their top ``shift`` bits: each once, in order. One pass through a small
    table, where sorting every run together costs twice as much or more. None in the
    (unlikely) event that values crowd past a table's end: the caller sorts instead."""
    sub_bits = max(1, (len(values) // _RANGE_VALUES).bit_length())
    size = (1 << _SLOT_BITS) + _SPILL
    found = np.empty(len(values), dtype=np.uint64)
    n = _compiled().repeated_in(values, bounds.astype(np.int64), np.uint64(shift),
                                np.uint64(sub_bits), np.uint64(_SLOT_BITS),
                                np.empty(size, dtype=np.uint64), np.zeros(size, dtype=bool),
                                np.empty(size, dtype=np.int32), found)
    return None if n < 0 else np.sort(found[:n])


def codes(facility: np.ndarray) -> np.ndarray:
    """Facility codes as int32 (or int64): a categorical's int8 and int16 codes would each
    need their own compiled copy of every loop."""
    return facility.astype(np.int32) if facility.dtype.itemsize < 4 else facility
