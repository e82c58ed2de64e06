"""The base year: a tidy table of emissions and energy per sector, facility group and carrier.

From an inventory (:func:`carbon.account` on the activity files) the table follows the park
accounting of DESIGN.md: intra-park electricity and heat sales are netted out of the buyers'
Scope 2 and energy use, so the base-year total of Scopes 1 and 2 equals ``Inventory.total()``
for that year. From ``[[base.sectors]]`` rows it is the rows themselves.

Columns of :attr:`BaseYear.table`: ``sector``, ``facility`` (a facility kept apart from its
sector because a measure or driver names it; ``""`` for the rest of the sector), ``carrier``,
``scope``, ``co2e`` [t CO2e], ``co2`` [t CO2e that is CO2: what CCUS can capture], ``tce`` [tce,
NaN where not given].
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import FactorFallbackWarning, InputError
from .conversions import tce_per_gj_heat, tce_per_mwh
from .reading import problem
from .spec import DIRECT_CARRIERS, ENERGY_CARRIERS, SCOPE_OF_CARRIER, Base

__all__ = ["BaseYear", "base_from_inventory", "base_from_rows"]

KEY = ["sector", "facility", "carrier", "scope"]
UNASSIGNED = "unassigned"
#: Below this [t CO2e or tce] a netted figure is rounding: a purchase netted out in full.
_RESIDUE = 1e-6


@dataclass
class BaseYear:
    """The base year of a scenario."""

    year: int
    table: pd.DataFrame
    source: str  # "inventory" or "file"
    profile: str | None = None
    gwp: str | None = None
    value_added: float | None = None
    value_added_unit: str | None = None
    fallbacks: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inventory_total: float | None = None
    years_available: list[int] = field(default_factory=list)


def _stamp(path: str | None):
    if path is None:
        return None
    p = Path(path)
    stat = p.stat() if p.is_file() else None
    return (str(p), stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


@lru_cache(maxsize=8)
def _account(activities, facilities, transfers, factors, profile, gwp):
    from ..accounting import account

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        inventory = account(activities[0], facilities=facilities and facilities[0],
                            transfers=transfers and transfers[0], factors=factors and factors[0],
                            profile=profile, gwp=gwp)
    messages = [str(w.message) for w in caught if issubclass(w.category, FactorFallbackWarning)]
    others = [w for w in caught if not issubclass(w.category, FactorFallbackWarning)]
    return inventory, messages, others


def account_base(spec: Base):
    """The inventory of ``spec``'s activity files (cached on paths and modification times).

    A :class:`~carbon.errors.FactorFallbackWarning` is not let out: the fallbacks are kept in
    the inventory and reported in the scenario result.
    """
    inventory, messages, others = _account(
        _stamp(spec.activities), _stamp(spec.facilities), _stamp(spec.transfers),
        _stamp(spec.factors), spec.profile, spec.gwp)
    for w in others:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return inventory, messages


def _carrier(frame: pd.DataFrame) -> pd.Series:
    """The carrier of the inventory's rows; non-energy rows by their category."""
    carrier = frame["carrier"].astype(object).where(frame["carrier"] != "", frame["category"])
    return carrier.where(carrier.isin(SCOPE_OF_CARRIER), "other")


def _keyed(frame: pd.DataFrame, split: set[str]) -> pd.DataFrame:
    frame = frame.copy()
    frame["sector"] = frame["sector"].astype(object).where(frame["sector"] != "", UNASSIGNED)
    frame["facility"] = frame["facility"].astype(object).where(frame["facility"].isin(split), "")
    frame["carrier"] = _carrier(frame)
    return frame


def base_from_inventory(inventory, spec: Base, file: str, split: dict[str, str],
                        fallback_messages=()) -> BaseYear:
    """The base year of an inventory.

    Parameters
    ----------
    inventory : Inventory
    spec : Base
        The ``[base]`` table (``year``: default the inventory's latest year).
    file : str
        The scenario file, for error messages.
    split : dict of str to str
        Facilities to keep apart from their sector, with the key that names each.
    """
    years = sorted(int(y) for y in inventory.facts["year"].unique())
    year = spec.year if spec.year is not None else (years[-1] if years else None)
    if year not in years:
        raise InputError([problem(file, "base.year", "no activity records in that year",
                                  spec.year, f"a year of the inventory: {years}")])
    known = set(inventory.facts["facility"]) | set(inventory.facilities.index)
    missing = [f for f in split if f not in known]
    if missing:
        raise InputError([problem(file, split[missing[0]], f"facility {missing[0]!r} is not "
                                  "in the inventory", missing[0],
                                  accepted=_closest(missing[0], known))])
    split = set(split)
    facilities = inventory.facilities
    sector_of = (facilities["sector"] if "sector" in facilities
                 else pd.Series(dtype=object)).astype(object)

    facts = _keyed(inventory.facts[inventory.facts["year"] == year], split)
    facts["co2"] = np.where(facts["gas"] == "CO2", facts["co2e"], 0.0)
    emissions = facts.groupby(KEY)[["co2e", "co2"]].sum()
    energy = _keyed(inventory.energy[inventory.energy["year"] == year], split)
    energy["scope"] = energy["carrier"].map(SCOPE_OF_CARRIER)
    tce = energy.groupby(KEY)["tce"].sum()

    transfers = inventory.transfers
    transfers = transfers[transfers["year"] == year] if len(transfers) else transfers
    if len(transfers):
        netted = pd.DataFrame({
            "sector": transfers["buyer"].map(sector_of).fillna(""),
            "facility": transfers["buyer"], "carrier": transfers["carrier"],
            "category": "", "co2e": transfers["co2e_location"], "tce": transfers["tce"]})
        netted = _keyed(netted, split)
        netted["scope"] = netted["carrier"].map(SCOPE_OF_CARRIER)
        netted = netted.groupby(KEY)[["co2e", "tce"]].sum()
        emissions = emissions.reindex(emissions.index.union(netted.index), fill_value=0.0)
        share = (1 - netted["co2e"] / emissions["co2e"].reindex(netted.index)).fillna(1.0)
        emissions.loc[netted.index, "co2"] *= share.clip(lower=0.0)
        emissions.loc[netted.index, "co2e"] -= netted["co2e"]
        tce = tce.sub(netted["tce"], fill_value=0.0)
    table = emissions.join(tce.rename("tce"), how="outer").reset_index()
    table[["co2e", "co2"]] = table[["co2e", "co2"]].fillna(0.0)
    table["tce"] = table["tce"].fillna(0.0)  # no energy rows: none used ("not occurring")
    for column in ("co2e", "co2", "tce"):  # rounding left by netting a whole purchase
        table.loc[table[column].abs() < _RESIDUE, column] = 0.0
    table = table[(table["co2e"].abs() > 0) | (table["tce"].abs() > 0)]

    value_added, unit, notes = _value_added(facilities, table)
    fallbacks = inventory.fallbacks
    fallbacks = fallbacks[fallbacks["year"] == year]
    notes += [f"inventory: {m}" for m in fallback_messages if str(year) in m]
    return BaseYear(
        year=year, table=_tidy(table), source="inventory", profile=inventory.profile,
        gwp=inventory.gwp, value_added=value_added, value_added_unit=unit,
        fallbacks=_records(fallbacks), notes=notes,
        inventory_total=_inventory_total(inventory, year), years_available=years)


def _inventory_total(inventory, year: int) -> float:
    """Scope 1 + 2 of ``year``, transfers netted: the park total of that year."""
    facts = inventory.facts
    gross = facts.loc[(facts["year"] == year) & facts["scope"].isin((1, 2)), "co2e"].sum()
    transfers = inventory.transfers
    netted = transfers.loc[transfers["year"] == year, "co2e_location"].sum() if len(
        transfers) else 0.0
    return float(gross - netted)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if isinstance(v, float) and np.isnan(v) else
                        (int(v) if isinstance(v, np.integer) else v)) for k, v in row.items()})
    return out


def _value_added(facilities: pd.DataFrame, table: pd.DataFrame):
    if "value_added" not in facilities or facilities["value_added"].isna().all():
        return None, None, ["no value added in the facilities table: intensities need "
                            "[economy] value_added"]
    known = facilities["value_added"].dropna()
    units = (set(facilities.loc[known.index, "value_added_unit"].fillna(""))
             if "value_added_unit" in facilities else {""})
    if len(units) > 1:
        return None, None, [f"value added in several units {sorted(units)}: give [economy] "
                            "value_added"]
    notes = []
    if known.size < len(facilities):
        notes.append(f"value added missing for {len(facilities) - known.size} facilities; the "
                     "park's value added is the sum of the others")
    return float(known.sum()), (units.pop() or "10^4 CNY"), notes


def _closest(name: str, choices) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(map(str, choices)), n=3, cutoff=0.5)
    return "facility ids of the inventory" + (f"; closest: {', '.join(close)}" if close else "")


def base_from_rows(spec: Base, file: str) -> BaseYear:
    """The base year given as ``[[base.sectors]]`` rows."""
    rows = []
    for i, row in enumerate(spec.sectors):
        carrier = row.carrier
        scope = SCOPE_OF_CARRIER.get(carrier, row.scope or 1)
        if row.tce is not None:
            tce = row.tce
        elif row.mwh is not None:
            tce = row.mwh * tce_per_mwh()
        elif row.gj is not None:
            tce = row.gj * tce_per_gj_heat()
        else:
            tce = 0.0 if carrier in ("process", "fugitive") else np.nan
        share = row.co2_share if row.co2_share is not None else (
            1.0 if carrier in DIRECT_CARRIERS and scope == 1 else 0.0)
        rows.append({"sector": row.sector, "facility": row.facility or "", "carrier": carrier,
                     "scope": scope, "co2e": row.co2e, "co2": row.co2e * share, "tce": tce,
                     "row": i})
    table = pd.DataFrame(rows)
    duplicated = table.duplicated(KEY, keep="first")
    if duplicated.any():
        i = int(table.loc[duplicated, "row"].iloc[0])
        first = int(table.loc[table.duplicated(KEY, keep=False), "row"].iloc[0])
        raise InputError([problem(file, f"base.sectors[{i + 1}]", f"same sector, facility and "
                                  f"carrier as base.sectors[{first + 1}]",
                                  accepted="one row per sector, facility and carrier")])
    notes = []
    if table["tce"].isna().any():
        notes.append("energy use not given for some [[base.sectors]] rows: energy totals and "
                     "intensities are not computable (NaN)")
    return BaseYear(year=spec.year, table=_tidy(table.drop(columns="row")), source="file",
                    notes=notes)


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    table = table[[*KEY, "co2e", "co2", "tce"]].copy()
    for column in ("sector", "facility", "carrier"):
        table[column] = table[column].astype(str)
    table["scope"] = table["scope"].astype(int)
    table["energy"] = table["carrier"].isin(ENERGY_CARRIERS)
    return table.sort_values(KEY, ignore_index=True)
