"""The accounting core: activity records in, an :class:`~carbon.inventory.Inventory` out.

How it stays fast: every text column becomes dictionary codes once; checks, alias lookups and
unit parsing run on the distinct values (:mod:`carbon.kernel`); quantities aggregate into a
facility x (activity, unit, year, instrument) matrix; and each distinct (region, activity, unit,
year, instrument) is resolved to coefficients once. No Python loop runs over rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import compiled
from .errors import FactorFallbackWarning, InputError, ParameterError
from .factors import Factor, Library, Profile, library
from .inventory import CELL_CHUNK, Inventory, RowLevel
from .io import EXCEL_SUFFIXES, Table, read_table, workbook_sheets
from .kernel import FacilityRegions, Rows, aggregate, encode_rows, native, start_duplicate_check
from .resolve import Coefficients, Resolver
from .tables import read_facilities, read_transfers, read_user_factors, user_activity_keys
from .units import check_gwp_set

__all__ = ["account"]


def account(activities, facilities=None, transfers=None, factors=None, profile: str = "cn",
            gwp: str = "AR5", strict: bool = True) -> Inventory:
    """Account a park's activity records into an inventory.

    Parameters
    ----------
    activities : DataFrame, pyarrow.Table, dask DataFrame or path
        Activity records (DESIGN.md "Input tables"): ``facility``, ``year``, ``activity``,
        ``quantity`` [any unit whose dimension fits the activity], ``unit``; optional
        ``month``, ``instrument``, ``uncertainty`` [%]. A CSV, an ``.xlsx`` workbook (sheet
        ``activities``; its ``facilities``, ``transfers`` and ``factors`` sheets are read too
        when the matching argument is None) or Parquet (a file or a folder, read into memory;
        :func:`carbon.partitioned.account_parquet` streams it instead). An Arrow table's
        dictionary-encoded columns are used as dictionary codes, with no text per row. A Dask
        DataFrame is accounted partition by partition
        (:func:`carbon.partitioned.account_dask`, which also reads a Parquet folder on the
        workers): same numbers, no per-row ledger.
    facilities, transfers, factors : DataFrame or path, optional
        Facility attributes (``region`` selects regional factors), intra-park energy sales,
        and user factor rows that win over the library.
    profile : {'cn', 'ipcc2006'}
        Which factor tables to use (``factors/profiles.toml``).
    gwp : {'AR4', 'AR5', 'AR6'}
        GWP100 set for CO2e; recorded in every output.
    strict : bool
        True (default): any bad row raises an :class:`~carbon.errors.InputError` naming file,
        row, column and value, before any result exists. False: bad rows are returned in
        ``Inventory.rejected`` with their reasons and every good row is accounted.

    Returns
    -------
    Inventory

    Examples
    --------
    >>> import pandas as pd, carbon
    >>> rows = pd.DataFrame({"facility": ["A"], "year": [2022], "activity": ["天然气"],
    ...                      "quantity": [1000], "unit": ["10^4 Nm3"]})
    >>> round(carbon.account(rows).total(), 1)   # 389.31 GJ x 15.3 t C/TJ x 0.99 x 44/12
    21621.9
    """
    if _is_dask(activities):
        from .partitioned import account_dask

        return account_dask(activities, facilities=facilities, transfers=transfers,
                            factors=factors, profile=profile, gwp=gwp, strict=strict)
    facilities, transfers, factors = _workbook_companions(activities, facilities, transfers,
                                                          factors)
    setup = Setup.build(facilities, factors, profile, gwp, strict)
    act = read_table(activities, "activities")
    setup.expect_rows(len(act.frame))
    accounted = account_rows(act, setup)
    _warn_year_fallbacks(setup.resolver)
    rows = accounted.rows
    transfer_table = read_transfers(_optional(transfers, "transfers"), setup.lib,
                                    set(rows.facility_ids))
    return Inventory(
        cells=accounted.cells, facility_ids=rows.facility_ids, combos=accounted.combos.table,
        gases=accounted.combos.gases, facilities=setup.facilities, transfers=transfer_table,
        fallbacks=setup.resolver.fallbacks, profile=setup.profile.name, gwp=gwp,
        library=setup.lib, rows_input=rows.n, rejected=rows.issues.rejected(),
        row_level=RowLevel(rows, accounted.good, accounted.combos.lookup, act),
        user_factors=setup.user_rows)


@dataclass
class Setup:
    """Everything an accounting run needs besides the activity rows: checked once."""

    lib: Library
    profile: Profile
    resolver: Resolver
    facilities: pd.DataFrame
    regions: FacilityRegions
    user_keys: set[str]
    gwp: str
    strict: bool
    user_rows: list[Factor]
    use_compiled: bool = False  # whether the run uses carbon.compiled's loops (expect_rows)

    def expect_rows(self, rows: int | None) -> None:
        """Tell the run's row count (None: unknown), which decides :attr:`use_compiled`."""
        self.use_compiled = compiled.worth_loading(rows)

    @classmethod
    def build(cls, facilities, factors, profile: str, gwp: str, strict: bool) -> Setup:
        check_gwp_set(gwp)
        if not isinstance(strict, bool):
            raise ParameterError("strict", "account", "a bool", strict)
        lib = library()
        chosen = lib.profile(profile)
        user_rows = read_user_factors(_optional(factors, "factors"), lib)
        facility_table = read_facilities(_optional(facilities, "facilities"), lib)
        return cls(lib, chosen, Resolver(lib, chosen, user_rows), facility_table,
                   FacilityRegions(facility_table), user_activity_keys(user_rows), gwp, strict,
                   user_rows)


@dataclass
class Accounted:
    """One table of activity rows, checked, aggregated and resolved."""

    rows: Rows
    good: np.ndarray
    cells: pd.DataFrame  # facility_code, local, quantity, combo
    combos: _Combos
    hashes: np.ndarray | None = None  # sorted row hashes, when asked for


def account_rows(table: Table, setup: Setup, duplicates: bool = True,
                 keep_hashes: bool = False, background: bool = True,
                 merging: bool = False) -> Accounted:
    """Check, aggregate and resolve one table; raise in strict mode if any row is bad.

    ``duplicates=False`` skips the duplicate check (a partition read again to take rows back
    out was checked the first time); ``keep_hashes`` keeps the sorted row hashes it made;
    ``background=False`` runs the check in this thread (a Dask worker thread, say, whose
    neighbours already keep the cores busy). ``merging=True`` makes cells for a run's merge
    to add up (a partition's): without combination codes, and summed only when that shrinks
    them (:func:`_cells`).
    """
    rows = encode_rows(table, setup.lib, setup.user_keys, setup.regions,
                       threads=2 if background else 1)
    bad = rows.issues.bad_mask(rows.n)
    good = ~bad if rows.issues else np.broadcast_to(True, (rows.n,))  # no memory when all good
    pending = (start_duplicate_check(rows, bad, keep_hashes, background, setup.use_compiled)
               if duplicates else None)
    cells = _cells(rows, good, setup.use_compiled, merging)
    combos = _resolve(rows, cells, setup.resolver, setup.use_compiled, tables=not merging)
    if not merging:
        cells["combo"] = combos.cell_combo(rows, cells)
    hashes = None
    if pending is not None:
        check = pending.result()
        hashes = check.hashes
        if check.found is not None:
            rows.issues.add(*check.found)
    if rows.issues:
        if setup.strict:
            rows.issues.raise_error()
        now_good = ~rows.issues.bad_mask(rows.n)
        if (now_good != good).any():  # rows of unresolvable combinations or duplicates left
            good, cells = now_good, _cells(rows, now_good, setup.use_compiled, merging)
            if not merging:
                cells["combo"] = combos.cell_combo(rows, cells)
    return Accounted(rows, good, cells, combos, hashes)


#: For a merge, a table's rows are summed into cells only when it has this many rows per
#: possible cell or more: the sum then surely shrinks what the merge adds (and what travels
#: to it), in one pass over a small array. Otherwise its good rows are the cells: a
#: partition of a national dataset (10^6 rows, 50 000 facilities, 690 000 distinct cells)
#: would pay a third of its time to sum them for little.
ROWS_PER_CELL_TO_SUM = 4


def _cells(rows: Rows, good: np.ndarray, run_compiled: bool, merging: bool) -> pd.DataFrame:
    """The good rows' quantity per (facility, local combination); for a merge, when summing
    would not surely shrink them, the good rows themselves (views when every row is good)."""
    possible = len(rows.facility_ids) * (len(rows.locals) + 1)
    if not merging or possible * ROWS_PER_CELL_TO_SUM <= rows.n:
        return aggregate(rows, good, run_compiled)
    keep = slice(None) if good.all() else good
    return pd.DataFrame({"facility_code": rows.facility[keep], "local": rows.local[keep],
                         "quantity": native(rows.quantity)[keep]}, copy=False)


def _is_dask(obj) -> bool:
    return type(obj).__module__.startswith("dask.") and hasattr(obj, "npartitions")


def _optional(source, name: str) -> Table | None:
    return None if source is None else read_table(source, name)


def _workbook_companions(activities, facilities, transfers, factors):
    """For one workbook holding every table, read the other sheets it has."""
    if not isinstance(activities, (str, Path)) or Path(activities).suffix.lower() not in (
            EXCEL_SUFFIXES):
        return facilities, transfers, factors
    sheets = workbook_sheets(activities)

    def sheet(current, name):
        return current if current is not None or name not in sheets else read_table(
            activities, name)

    return sheet(facilities, "facilities"), sheet(transfers, "transfers"), sheet(factors, "factors")


@dataclass
class _Combos:
    table: pd.DataFrame | None  # one row per resolved (region, local combination)
    gases: pd.DataFrame | None  # one row per combination and gas
    lookup: np.ndarray  # (region code x n_local + local) -> combination, -1 if unresolved
    region: np.ndarray  # each combination's region code
    local: np.ndarray  # and local combination code
    coefficients: list[Coefficients]  # and coefficients (shared by the resolver's memo)

    def cell_combo(self, rows: Rows, cells: pd.DataFrame) -> np.ndarray:
        out = np.empty(len(cells), dtype=np.int32)
        for part, pair in _cell_pairs(rows, cells):
            out[part] = self.lookup[pair]
        return out


def _cell_pairs(rows: Rows, cells: pd.DataFrame):
    """(slice of cells, their region x n_local + local codes), a chunk of cells at a time: the
    int64 temporaries stay small however many cells there are."""
    facility = cells["facility_code"].to_numpy()
    local = cells["local"].to_numpy()
    for start in range(0, len(facility), CELL_CHUNK):
        part = slice(start, start + CELL_CHUNK)
        pair = rows.facility_region[facility[part]] * len(rows.locals)
        pair += local[part]
        yield part, pair


def _pairs_used(rows: Rows, cells: pd.DataFrame, run_compiled: bool) -> np.ndarray:
    """The distinct (region code x n_local + local) pairs of the cells, ascending."""
    n_local = max(len(rows.locals), 1)
    if compiled.in_use(len(cells), run_compiled):
        return compiled.pairs_used(rows.facility_region, cells["facility_code"].to_numpy(),
                                   cells["local"].to_numpy(), len(rows.region_names), n_local)
    seen = np.zeros(len(rows.region_names) * n_local, dtype=bool)
    for _, pair in _cell_pairs(rows, cells):
        seen[pair] = True
    return np.flatnonzero(seen)


def _resolve(rows: Rows, cells: pd.DataFrame, resolver: Resolver, run_compiled: bool,
             tables: bool = True) -> _Combos:
    """Resolve every distinct (region, local combination) that good rows use, once each.

    A combination that cannot be resolved (no factor, a unit that does not fit) becomes a
    problem on each of its rows. ``tables=False`` leaves out the combination and gas tables
    (:func:`combo_tables`): a merge makes them for the combinations it has not met yet.
    """
    n_local = max(len(rows.locals), 1)
    size = len(rows.region_names) * n_local
    pairs = _pairs_used(rows, cells, run_compiled)
    region_of, local_of = np.divmod(pairs, n_local)
    activity, dimension, year, instrument = (rows.locals[c].to_numpy() for c in (
        "activity", "dimension", "year", "instrument"))
    regions = [name or None for name in rows.region_names.tolist()]
    found: list[Coefficients] = []
    resolved = np.ones(len(pairs), dtype=bool)
    row_region = None
    for i, (r, k) in enumerate(zip(region_of.tolist(), local_of.tolist(), strict=True)):
        try:
            found.append(resolver.coefficients(activity[k], dimension[k], regions[r],
                                               int(year[k]), instrument[k]))
        except InputError as exc:
            resolved[i] = False
            if row_region is None:
                row_region = rows.facility_region[rows.facility]
            template = exc.problems[0]
            failing = np.flatnonzero((rows.local == k) & (row_region == r))
            rows.issues.add(template.kind, template.column or "activity", failing,
                            template.reason, template.accepted)
    pairs, region_of, local_of = pairs[resolved], region_of[resolved], local_of[resolved]
    lookup = np.full(size, -1, dtype=np.int32)
    lookup[pairs] = np.arange(len(pairs), dtype=np.int32)
    made = (combo_tables(rows.locals, rows.region_names, region_of, local_of, found,
                         resolver.lib) if tables else (None, None))
    return _Combos(*made, lookup, region_of, local_of, found)


def combo_tables(locals_: pd.DataFrame, region_names: np.ndarray, region_of: np.ndarray,
                 local_of: np.ndarray, found: list[Coefficients], lib: Library
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The combination table (one row per resolved (region, local combination) pair, whose
    codes index ``region_names`` and ``locals_``) and its gases. Built a column at a time: a
    partition has a few hundred combinations, and per-record dicts cost more than resolving
    them."""
    def local(column: str) -> list:
        return locals_[column].to_numpy()[local_of].tolist()

    to_canonical = locals_["to_canonical"].to_numpy(dtype=float)[local_of]
    activities = local("activity")
    table = pd.DataFrame({
        "activity": activities, "unit": local("unit"), "dimension": local("dimension"),
        "to_canonical": to_canonical, "region": region_names[region_of].tolist(),
        "year": locals_["year"].to_numpy()[local_of].astype(np.int64),
        "instrument": local("instrument"),
        "scope": np.array([f.scope for f in found], dtype=np.int64),
        "category": [f.category for f in found], "carrier": [f.carrier for f in found],
        "tce": np.array([f.tce for f in found], dtype=float) * to_canonical,
        "tce_factor_id": [f.tce_factor_id for f in found],
    })
    per_combo = [len(f.gases) for f in found]
    gas = [g for f in found for g in f.gases]
    factor = np.repeat(to_canonical, per_combo)
    origins = lib.ch4_origins
    gases = pd.DataFrame({
        "combo": np.repeat(np.arange(len(found), dtype=np.int64), per_combo),
        "gas": [g.gas for g in gas],
        "location": np.array([g.location for g in gas], dtype=float) * factor,
        "market": np.array([g.market for g in gas], dtype=float) * factor,
        "factor_id": [g.factor_id for g in gas],
        "origin": np.repeat([origins.get(a, "") for a in activities], per_combo).tolist(),
    })
    return table, gases


def _warn_year_fallbacks(resolver: Resolver) -> None:
    older = sorted({(f.activity, f.parameter, f.region or "national", f.year, f.used_year)
                    for f in resolver.fallbacks
                    if f.used_year is not None and f.used_year != f.year})
    if older:
        listed = "; ".join(f"{a} {p} ({r}): {y} -> {u}" for a, p, r, y, u in older[:8])
        more = f" and {len(older) - 8} more" if len(older) > 8 else ""
        warnings.warn(FactorFallbackWarning(
            f"factors of an earlier year were used (record year -> factor year): {listed}{more}. "
            "See Inventory.fallbacks."), stacklevel=3)
