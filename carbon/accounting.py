"""The vectorised accounting core: activity rows in, an :class:`~carbon.inventory.Inventory` out.

How it stays fast: every text column is turned into dictionary codes once; checks, alias
lookups and unit parsing run on the distinct values; each distinct (activity, unit, region,
year, instrument) combination is resolved to coefficients once; the rows themselves only see
integer gathers and ``np.bincount``. No Python loop runs over rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pint

from .errors import FactorFallbackWarning, InputError, ParameterError
from .factors import Library, library
from .inventory import Inventory
from .io import EXCEL_SUFFIXES, Table, read_table, workbook_sheets
from .resolve import GREEN_INSTRUMENTS, Coefficients, Resolver
from .schema import (
    ACTIVITY_COLUMNS,
    ACTIVITY_OPTIONAL,
    Issues,
    encode,
    integers,
    numbers,
    require_columns,
)
from .tables import read_facilities, read_transfers, read_user_factors, user_activity_keys
from .units import canonical, check_gwp_set

__all__ = ["account"]

YEARS = (1990, 2100)


def account(activities, facilities=None, transfers=None, factors=None, profile: str = "cn",
            gwp: str = "AR5", strict: bool = True) -> Inventory:
    """Account a park's activity records into an inventory.

    Parameters
    ----------
    activities : DataFrame or path
        Activity records (DESIGN.md "Input tables"): ``facility``, ``year``, ``activity``,
        ``quantity`` [any unit whose dimension fits the activity], ``unit``; optional
        ``month``, ``instrument``, ``uncertainty`` [%]. A CSV, an ``.xlsx`` workbook (sheet
        ``activities``; its ``facilities``, ``transfers`` and ``factors`` sheets are read too
        when the matching argument is None) or Parquet (a file or a folder).
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
    check_gwp_set(gwp)
    if not isinstance(strict, bool):
        raise ParameterError("strict", "account", "a bool", strict)
    lib = library()
    chosen = lib.profile(profile)
    act = read_table(activities, "activities")
    facilities, transfers, factors = _workbook_companions(activities, facilities, transfers,
                                                          factors)
    user_rows = read_user_factors(_optional(factors, "factors"), lib)
    facility_table = read_facilities(_optional(facilities, "facilities"), lib)
    resolver = Resolver(lib, chosen, user_rows)

    rows = _encode_rows(act, lib, user_activity_keys(user_rows), facility_table)
    combos = _resolve_combos(rows, resolver)
    if rows.issues and strict:
        rows.issues.raise_error()
    _warn_year_fallbacks(resolver)

    good = ~rows.issues.bad_mask(rows.n)
    row_combo = np.where(good, rows.combo, -1).astype(np.int32)
    cube = _cube(rows, row_combo, good, combos)
    ids = set(rows.facility_ids[np.unique(rows.facility[good])]) if good.any() else set()
    transfer_table = read_transfers(_optional(transfers, "transfers"), lib,
                                    ids | set(rows.facility_ids))
    return Inventory(
        cube=cube, facility_ids=rows.facility_ids, combos=combos.table, gases=combos.gases,
        facilities=facility_table,
        transfers=transfer_table,
        rejected=rows.issues.rejected(), rows_input=rows.n, fallbacks=resolver.fallbacks,
        profile=chosen.name, gwp=gwp, source=act, row_combo=row_combo,
        library=lib, resolver_sets=(*chosen.market_sets, *chosen.sets),
    )


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
class _Rows:
    """Activity rows as codes; ``issues`` holds every failed check."""

    n: int
    issues: Issues
    facility: np.ndarray
    facility_ids: np.ndarray
    year: np.ndarray
    month: np.ndarray
    activity: np.ndarray  # code into activity_keys
    activity_keys: np.ndarray
    unit: np.ndarray  # code into unit_dims / unit_factors
    unit_names: np.ndarray
    unit_dims: np.ndarray  # dimension name per distinct unit ('' where unknown)
    unit_factors: np.ndarray
    instrument: np.ndarray  # code into instrument_names
    instrument_names: np.ndarray
    region: np.ndarray  # code into region_names
    region_names: np.ndarray
    quantity: np.ndarray
    combo: np.ndarray | None = None


def _encode_rows(table: Table, lib: Library, user_keys: set[str],
                 facilities: pd.DataFrame) -> _Rows:
    frame = table.frame
    require_columns(frame, table.label, ACTIVITY_COLUMNS, ACTIVITY_OPTIONAL)
    issues = Issues(table.label, frame)
    n = len(frame)

    facility, raw_ids = encode(frame["facility"])
    # " A" and "A" are one facility: merge ids that differ only in surrounding space.
    facility_ids, merged = np.unique(np.array([str(f).strip() for f in raw_ids] + [""],
                                              dtype=object).astype(str), return_inverse=True)
    facility = merged[facility]  # code -1 (missing) maps to the appended ""
    facility_ids = facility_ids.astype(object)
    blank_facility = facility_ids[facility] == ""
    issues.add("value", "facility", np.flatnonzero(blank_facility), "missing facility id")

    year, bad_year, blank_year = integers(frame["year"])
    issues.add("value", "year", np.flatnonzero(blank_year), "missing year")
    issues.add("value", "year", np.flatnonzero(bad_year), "not a whole year")
    out_of_range = ~bad_year & ~blank_year & ((year < YEARS[0]) | (year > YEARS[1]))
    issues.add("value", "year", np.flatnonzero(out_of_range), "year out of range",
               accepted=f"{YEARS[0]} to {YEARS[1]}")

    month = np.zeros(n, dtype=np.int64)
    if "month" in frame.columns:
        month, bad_month, _ = integers(frame["month"])
        bad_month |= (month < 0) | (month > 12)
        issues.add("value", "month", np.flatnonzero(bad_month), "not a month",
                   accepted="1 to 12, or empty")
        month = np.where(bad_month, 0, month)

    activity, activity_names = encode(frame["activity"])
    activity_keys = np.array([_activity_key(name, lib, user_keys) for name in activity_names],
                             dtype=object)
    _flag_unknown_activities(issues, activity, activity_names, activity_keys, lib, user_keys)

    unit, unit_names = encode(frame["unit"])
    unit_dims, unit_factors = _unit_table(issues, unit, unit_names)

    instrument = np.full(n, 0, dtype=np.int64)
    instrument_names = np.array([""], dtype=object)
    if "instrument" in frame.columns:
        instrument, instrument_names = _instruments(issues, frame["instrument"], lib)
        electricity = activity_keys[np.maximum(activity, 0)] == "electricity"
        misplaced = (instrument_names[instrument] != "") & ~electricity & (activity >= 0)
        issues.add("value", "instrument", np.flatnonzero(misplaced),
                   "an instrument applies to electricity only", accepted="empty")

    quantity, not_number, blank_quantity = numbers(frame["quantity"])
    issues.add("quantity", "quantity", np.flatnonzero(blank_quantity), "missing quantity")
    issues.add("quantity", "quantity", np.flatnonzero(not_number), "not a number")
    issues.add("quantity", "quantity", np.flatnonzero(quantity < 0), "negative quantity",
               accepted="a quantity >= 0")
    issues.add("quantity", "quantity", np.flatnonzero(np.isinf(quantity)), "not finite")

    if "uncertainty" in frame.columns:
        spread, not_number, _ = numbers(frame["uncertainty"])
        bad_spread = not_number | (spread < 0)
        issues.add("value", "uncertainty", np.flatnonzero(bad_spread), "not a percentage >= 0")

    region, region_names = _regions(facility, facility_ids, facilities)
    rows = _Rows(n, issues, facility, facility_ids, year, month, activity, activity_keys, unit,
                 unit_names, unit_dims, unit_factors, instrument, instrument_names, region,
                 region_names, quantity)
    _flag_duplicates(rows, frame)
    return rows


def _activity_key(name: object, lib: Library, user_keys: set[str]) -> str:
    text = str(name).strip()
    return text if text in user_keys else (lib.canonical_activity(text) or "")


def _flag_unknown_activities(issues, codes, names, keys, lib, user_keys) -> None:
    choices = sorted(set(lib.activity_keys()) | set(user_keys))
    issues.add("unknown_activity", "activity", np.flatnonzero(codes < 0), "missing activity")
    for code in np.flatnonzero(keys == ""):
        name = names[code]
        issues.add("unknown_activity", "activity", np.flatnonzero(codes == code),
                   f"unknown activity {name!r}; closest: {lib.suggest(name, choices)}",
                   accepted="a key of `parkcarbon factors --activities` or its Chinese name")


def _unit_table(issues: Issues, codes: np.ndarray, names: np.ndarray):
    """Dimension and factor to the canonical unit of each distinct unit: one pint call each."""
    dims = np.full(len(names), "", dtype=object)
    factors = np.full(len(names), np.nan)
    issues.add("unit", "unit", np.flatnonzero(codes < 0), "missing unit")
    for code, name in enumerate(names):
        try:
            dims[code], factors[code] = canonical(name)
        except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError) as e:
            issues.add("unit", "unit", np.flatnonzero(codes == code),
                       f"{name!r} is not a unit parkcarbon can use ({e})",
                       accepted="t, kg, 万t, 10^4 Nm3, 万Nm3, Nm3, m3, kWh, MWh, 万kWh, GJ, TJ, "
                       "tce, t*km, m2 (or their Chinese names)")
    return dims, factors


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
    names_out = np.array([*canonical_names, ""], dtype=object)  # last entry: missing cells
    return np.where(codes < 0, len(names_out) - 1, codes), names_out


def _regions(facility: np.ndarray, facility_ids: np.ndarray, facilities: pd.DataFrame):
    """Region code of each row, through its facility ('' where the facility has none)."""
    by_id = facilities["region"] if len(facilities) else pd.Series(dtype=object)
    per_facility = np.array([by_id.get(f, "") for f in facility_ids] + [""], dtype=object)
    region_names, per_facility_code = np.unique(per_facility.astype(str), return_inverse=True)
    return per_facility_code[facility], region_names.astype(object)


def _flag_duplicates(rows: _Rows, frame: pd.DataFrame) -> None:
    keys = pd.DataFrame({
        "facility": rows.facility, "year": rows.year, "month": rows.month,
        "activity": rows.activity, "unit": rows.unit, "instrument": rows.instrument,
        "quantity": rows.quantity,
    })
    later = keys.duplicated(keep="first").to_numpy()
    if not later.any():
        return
    positions = np.flatnonzero(later)
    involved = keys[keys.duplicated(keep=False)]
    first = involved.reset_index().groupby(list(keys.columns), sort=False)["index"].transform("min")
    first_of = pd.Series(first.to_numpy(), index=involved.index)
    reasons = [f"duplicate of row {first_of[p] + 2}" for p in positions]
    rows.issues.add("duplicate", "quantity", positions, np.array(reasons, dtype=object),
                    accepted="rows differing in facility, year, month, activity, unit, "
                    "instrument or quantity")


@dataclass
class _Combos:
    table: pd.DataFrame  # one row per combination
    gases: pd.DataFrame  # one row per combination and gas


def _resolve_combos(rows: _Rows, resolver: Resolver) -> _Combos:
    """Resolve every distinct (activity, unit, region, year, instrument) of the good rows."""
    ok = ~rows.issues.bad_mask(rows.n)
    parts = (rows.activity, rows.unit, rows.region, rows.year - YEARS[0], rows.instrument)
    sizes = (len(rows.activity_keys), len(rows.unit_names), len(rows.region_names),
             YEARS[1] - YEARS[0] + 1, len(rows.instrument_names))
    packed = np.ravel_multi_index(tuple(np.where(ok, p, 0) for p in parts), sizes)
    present, combo = np.unique(packed[ok], return_inverse=True)
    rows.combo = np.full(rows.n, -1, dtype=np.int64)
    rows.combo[ok] = combo

    records, gas_records = [], []
    for index, (a, u, r, y, i) in enumerate(zip(*np.unravel_index(present, sizes), strict=True)):
        activity, year = rows.activity_keys[a], int(y) + YEARS[0]
        region, instrument = rows.region_names[r] or None, rows.instrument_names[i]
        try:
            found = resolver.coefficients(activity, rows.unit_dims[u], region, year, instrument)
        except InputError as exc:
            template = exc.problems[0]
            rows.issues.add(template.kind, template.column or "activity",
                            np.flatnonzero(rows.combo == index), template.reason,
                            template.accepted)
            found = None
        records.append(_combo_record(index, activity, rows, u, region, year, instrument, found))
        for g in found.gases if found else ():
            factor = rows.unit_factors[u]
            gas_records.append({"combo": index, "gas": g.gas, "location": g.location * factor,
                                "market": g.market * factor, "factor_id": g.factor_id})
    table = pd.DataFrame.from_records(records, columns=_COMBO_COLUMNS).set_index("combo")
    gases = pd.DataFrame.from_records(gas_records, columns=["combo", "gas", "location", "market",
                                                            "factor_id"])
    origin = table["activity"].map(resolver.lib.activities["ch4_origin"]).fillna("")
    gases["origin"] = gases["combo"].map(origin).to_numpy() if len(gases) else []
    return _Combos(table, gases)


_COMBO_COLUMNS = ["combo", "activity", "unit", "dimension", "to_canonical", "region", "year",
                  "instrument", "scope", "category", "carrier", "tce", "tce_factor_id", "resolved"]


def _combo_record(index, activity, rows, u, region, year, instrument,
                  found: Coefficients | None) -> dict:
    factor = rows.unit_factors[u]
    return {
        "combo": index, "activity": activity, "unit": rows.unit_names[u],
        "dimension": rows.unit_dims[u], "to_canonical": factor, "region": region or "",
        "year": year, "instrument": instrument,
        "scope": found.scope if found else 0, "category": found.category if found else "",
        "carrier": found.carrier if found else "",
        "tce": found.tce * factor if found else np.nan,
        "tce_factor_id": found.tce_factor_id if found else "", "resolved": found is not None,
    }


def _cube(rows: _Rows, row_combo: np.ndarray, good: np.ndarray, combos: _Combos) -> pd.DataFrame:
    """Quantity summed per (facility, month, combination): everything else derives from it."""
    n_combo = max(len(combos.table), 1)
    key = (rows.facility[good].astype(np.int64) * 13 + rows.month[good]) * n_combo + row_combo[good]
    present, group = np.unique(key, return_inverse=True)
    quantity = np.bincount(group, weights=rows.quantity[good], minlength=len(present))
    count = np.bincount(group, minlength=len(present))
    fac_month, combo = np.divmod(present, n_combo)
    facility, month = np.divmod(fac_month, 13)
    return pd.DataFrame({"facility_code": facility, "month": month,
                         "combo": combo, "quantity": quantity, "rows": count})


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
