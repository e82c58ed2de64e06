"""The park's Kaya identity, built from inventories and decomposed by LMDI-I.

C = Σ_i Σ_k Q · (Q_i/Q) · (E_i/Q_i) · (E_ik/E_i) · (C_ik/E_ik) + C_ne

with Q value added, E energy use [tce], C emissions [t CO2e, Scope 1 + 2], i a sector (or a
facility within its sector), k an energy carrier, and C_ne the emissions not tied to energy
(process, fugitive: carrier ''). Intra-park transfers are netted out of the buyer's Scope 2
and energy, as :meth:`Inventory.total` does, so for each year the identity sums to the park
total and the effects add up to its change.
"""

from __future__ import annotations

import difflib
import warnings

import numpy as np
import pandas as pd

from ..errors import (
    DecompositionWarning,
    DuplicateRowError,
    InputError,
    MissingColumnError,
    ParameterError,
    Problem,
)
from ..io import read_table
from ..schema import integers, numbers, require_columns, spreadsheet_row
from .core import Decomposition, check_method, finish, long_detail, make_totals, pairs
from .inputs import cell
from .levels import APPROACHES, multilevel

__all__ = ["LABELS", "DecompositionWarning", "decompose_inventories", "decompose_park",
           "kaya_table"]

ENERGY_FACTORS = ("energy_intensity", "energy_mix", "emission_factor")
LABELS = {
    "activity": "Activity (value added)",
    "structure": "Structure (sector shares of value added)",
    "structure_sector": "Structure between sectors",
    "structure_facility": "Structure within sectors (facility shares)",
    "energy_intensity": "Energy intensity (tce per value added)",
    "energy_mix": "Energy mix (carrier shares)",
    "emission_factor": "Emission factors (t CO2e per tce)",
    "non_energy": "Non-energy emissions (process, fugitive)",
}
BASES = {"location": ("co2e", "co2e_location"), "market": ("co2e_market", "co2e_market")}
_NETTING_NOISE = 1e-9  # relative to the gross value
WITHIN = {None: ["sector"], "sector": ["sector"], "facility": ["sector", "facility"]}


def decompose_park(inventory, year_from: int, year_to: int, *, value_added=None,
                   method: str = "additive", chain: bool = False, within: str | None = None,
                   approach: str = "parallel", basis: str = "location") -> Decomposition:
    """Decompose the change of park emissions between two years of one inventory.

    Parameters
    ----------
    inventory : Inventory
        Covering ``year_from`` and ``year_to`` (and the years between, for ``chain``).
    year_from, year_to : int
        First and last year, ``year_from < year_to``.
    value_added : DataFrame or path, optional
        Value added by year: ``sector`` or ``facility``, ``year``, ``value_added`` [e.g.
        10^4 CNY at constant prices], optional ``value_added_unit``. Default: the facilities
        table's ``value_added``, which has no year and is held constant (a
        :class:`DecompositionWarning` says so: activity and structure effects are then 0).
    method : {'additive', 'multiplicative'}
    chain : bool
        Decompose year on year over every inventory year from ``year_from`` to ``year_to``
        (:meth:`Decomposition.cumulative` sums them) instead of directly.
    within : {None, 'facility'}
        'facility' splits the structure effect into between-sector and within-sector
        (facility shares) effects; needs value added per facility.
    approach : {'parallel', 'hierarchical'}
        Multilevel formulation (:func:`~carbon.decompose.multilevel`); with one level
        'parallel' is the standard single-level LMDI-I.
    basis : {'location', 'market'}
        Scope 2 basis of the emissions.

    Returns
    -------
    Decomposition
        Effects ``activity``, ``structure`` (or ``structure_sector`` and
        ``structure_facility``), ``energy_intensity``, ``energy_mix``, ``emission_factor``
        and ``non_energy`` [t CO2e]; ``table`` holds the factor table.

    References
    ----------
    B.W. Ang (2005), "The LMDI approach to decomposition analysis: a practical guide",
    Energy Policy 33, 867–871 (the LMDI-I formulae and the Kaya-type factorisation).
    """
    check_method(method, "decompose_park")
    available = _years_of(inventory)
    for name, value in (("year_from", year_from), ("year_to", year_to)):
        if value not in available:
            raise ParameterError(name, "decompose_park", f"a year of the inventory {available}",
                                 value)
    if not year_from < year_to:
        raise ParameterError("year_to", "decompose_park", f"after year_from ({year_from})",
                             year_to)
    if not isinstance(chain, bool):
        raise ParameterError("chain", "decompose_park", "a bool", chain)
    years = ([y for y in available if year_from <= y <= year_to] if chain
             else [year_from, year_to])
    return _decompose([(inventory, years)], value_added, within, approach, basis, method,
                      "decompose_park")


def decompose_inventories(before, after, *, value_added=None, method: str = "additive",
                          within: str | None = None, approach: str = "parallel",
                          basis: str = "location") -> Decomposition:
    """Decompose the change of park emissions from one single-year inventory to another.

    Each inventory's facilities table gives the value added of its own year unless
    ``value_added`` (by year) is given. Other parameters as for :func:`decompose_park`.
    """
    check_method(method, "decompose_inventories")
    years = []
    for name, inventory in (("before", before), ("after", after)):
        found = _years_of(inventory)
        if len(found) != 1:
            raise ParameterError(name, "decompose_inventories", "an inventory of one year "
                                 "(decompose_park compares years of one inventory)", found)
        years.append(found[0])
    if not years[0] < years[1]:
        raise ParameterError("after", "decompose_inventories", f"an inventory of a year after "
                             f"{years[0]}", years[1])
    for attribute in ("gwp", "profile"):
        if getattr(before, attribute) != getattr(after, attribute):
            raise ParameterError("after", "decompose_inventories", f"accounted with the same "
                                 f"{attribute} as before ({getattr(before, attribute)!r})",
                                 getattr(after, attribute))
    return _decompose([(before, years[:1]), (after, years[1:])], value_added, within, approach,
                      basis, method, "decompose_inventories")


def kaya_table(inventory, value_added=None, *, years=None, within: str | None = None,
               basis: str = "location") -> pd.DataFrame:
    """The park's factor table: one row per sector (facility), carrier and year.

    Columns: the unit columns, ``carrier``, ``year``, ``value_added`` [unit of value added],
    ``energy_tce`` [tce], ``co2e`` [t CO2e], and the factors ``energy_intensity`` [tce per unit
    of value added], ``energy_mix`` [-], ``emission_factor`` [t CO2e/tce] (NaN where a ratio
    is 0/0, i.e. the row is absent that year). Rows with carrier '' hold the non-energy
    emissions. Parameters as for :func:`decompose_park`.
    """
    levels = _levels(within, "kaya_table")
    _basis(basis, "kaya_table")
    years = _years_of(inventory) if years is None else [int(y) for y in years]
    rows, va, _ = _park_data([(inventory, years)], value_added, levels, basis, stacklevel=3)
    table = _factor_table(rows, va, levels)
    non_energy = rows[rows["carrier"] == ""].assign(value_added=np.nan)
    return pd.concat([table, non_energy], ignore_index=True).sort_values(
        [*levels, "carrier", "year"], ignore_index=True)


# -- building ----------------------------------------------------------------------------------
def _years_of(inventory) -> list[int]:
    return sorted(int(y) for y in inventory.facts["year"].unique())


def _levels(within, function) -> list[str]:
    if within not in WITHIN:
        raise ParameterError("within", function, "one of {None, 'facility'}", within)
    return WITHIN[within]


def _basis(basis, function) -> tuple[str, str]:
    if basis not in BASES:
        raise ParameterError("basis", function, "one of {'location', 'market'}", basis)
    return BASES[basis]


def _decompose(parts, value_added, within, approach, basis, method, function) -> Decomposition:
    levels = _levels(within, function)
    _basis(basis, function)
    if approach not in APPROACHES:
        raise ParameterError("approach", function, "one of {'parallel', 'hierarchical'}",
                             approach)
    rows, va, meta = _park_data(parts, value_added, levels, basis, stacklevel=4)
    years = [y for _, ys in parts for y in ys]
    table = _factor_table(rows, va, levels)
    energy = multilevel(table, levels, "value_added", list(ENERGY_FACTORS),
                        key=[*levels, "carrier"], years=years, approach=approach)
    keep = (energy.detail["carrier"] != "").to_numpy()  # placeholders of idle units: all 0
    ne_keys, ne_values = _non_energy(rows, levels, years)
    i0, it = pairs(years)
    ne_detail = long_detail(ne_keys, years, (ne_values[:, it] - ne_values[:, i0])[..., None],
                            ["non_energy"])
    totals = energy.totals + make_totals(years, ne_values[:, i0].sum(axis=0),
                                         ne_values[:, it].sum(axis=0)).to_numpy()
    first = parts[0][0]
    meta = {"gwp": first.gwp, "profile": first.profile, "scope": "1+2", "basis": basis,
            "transfers": "netted", "structure_levels": levels, "approach": approach, **meta}
    factors = (*energy.factors, "non_energy")
    return finish(method, factors, pd.concat([energy.detail[keep], ne_detail],
                                             ignore_index=True),
                  totals, unit="t CO2e", labels={f: LABELS.get(f, f) for f in factors},
                  meta=meta, table=table)


def _park_data(parts, value_added, levels, basis, stacklevel):
    """Emissions [t CO2e] and energy [tce] per unit, carrier and year (transfers netted), and
    value added per unit and year."""
    emission, transferred = _basis(basis, "decompose_park")
    group = [*levels, "carrier", "year"]
    frames, values, unit, source = [], [], set(), ""
    for inventory, years in parts:
        facts = inventory.facts[inventory.facts["scope"].isin((1, 2))
                                & inventory.facts["year"].isin(years)]
        energy = inventory.energy[inventory.energy["scope"].isin((1, 2))
                                  & inventory.energy["year"].isin(years)]
        co2e = facts.groupby(group)[emission].sum()
        tce = energy.groupby(group)["tce"].sum()
        transfers = inventory.transfers
        if len(transfers):
            transfers = transfers[transfers["year"].isin(years)].assign(
                facility=transfers["buyer"], sector=transfers["buyer"].map(
                    _sectors(inventory)).fillna(""))
        gross = pd.concat({"energy_tce": tce, "co2e": co2e}, axis=1).fillna(0.0)
        if len(transfers):
            co2e = co2e.sub(transfers.groupby(group)[transferred].sum(), fill_value=0.0)
            tce = tce.sub(transfers.groupby(group)["tce"].sum(), fill_value=0.0)
        frame = pd.concat({"energy_tce": tce, "co2e": co2e}, axis=1).fillna(0.0)
        # A purchase bought wholly from a neighbour nets to rounding noise: that is zero.
        frame = frame.where(frame > _NETTING_NOISE * gross.reindex(frame.index).fillna(0.0), 0.0)
        frames.append(frame.reset_index())
        va, va_unit, source = _value_added(inventory, value_added, years, levels, facts)
        values.append(va)
        unit |= va_unit
    if len(unit) > 1:
        raise InputError([Problem("value", f"value added in several units: {sorted(unit)}",
                                  column="value_added_unit", accepted="one unit")])
    rows = pd.concat(frames, ignore_index=True)
    va = pd.concat(values, ignore_index=True)
    years = sorted(set(va["year"]))
    if value_added is None and len(years) > 1 and _constant(va, levels):
        source = "facilities (value added held constant)"
        warnings.warn(DecompositionWarning(
            f"the facilities table gives value added without a year: the same value is used "
            f"for {', '.join(map(str, years))}, so the activity and structure effects are 0 "
            "and economic growth shows as energy intensity. Give value added by year "
            "(value_added=..., --value-added)."), stacklevel=stacklevel)
    return rows, va, {"value_added_unit": next(iter(unit), ""), "value_added_source": source}


def _constant(va: pd.DataFrame, levels: list[str]) -> bool:
    """Whether every unit has the same value added in every year."""
    wide = va.pivot_table(index=levels, columns="year", values="value_added", aggfunc="sum")
    return bool(wide.nunique(axis=1, dropna=False).le(1).all())


def _sectors(inventory) -> pd.Series:
    facilities = inventory.facilities
    return facilities["sector"] if "sector" in facilities else pd.Series(dtype=object)


def _value_added(inventory, source, years, levels, facts):
    """Value added per unit and year, its unit(s) and where it came from."""
    sectors = _sectors(inventory)
    if source is None:
        facilities = inventory.facilities
        if "value_added" not in facilities.columns:
            raise MissingColumnError([Problem(
                "missing_column", "the facilities table has no value_added column",
                file="facilities", column="value_added", accepted="value_added per facility, "
                "or value added by year (value_added=..., --value-added)")])
        blank = facilities["value_added"].isna().to_numpy()
        if blank.any():
            raise InputError([Problem("value", "missing value added (missing is not zero)",
                                      file="facilities", row=int(spreadsheet_row(p)),
                                      column="value_added", value=facilities.index[p])
                              for p in np.flatnonzero(blank)[:20]])
        per = pd.DataFrame({"facility": facilities.index.to_numpy(),
                            "sector": sectors.reindex(facilities.index).fillna("").to_numpy(),
                            "value_added": facilities["value_added"].to_numpy()})
        va = per.merge(pd.DataFrame({"year": years}), how="cross")
        units = (facilities["value_added_unit"] if "value_added_unit" in facilities
                 else pd.Series(dtype=object))
        label = "facilities"
    else:
        va, units, label = _value_added_table(source, sectors, levels)
        va = va[va["year"].isin(years)]
        if "facility" in va.columns:
            _check_facilities_covered(va, facts, label)
    out = va.groupby([*levels, "year"], as_index=False)["value_added"].sum()
    return out, {u for u in units.astype(str).str.strip() if u}, label


def _value_added_table(source, sectors, levels):
    table = read_table(source, "value_added")
    frame, label = table.frame.reset_index(drop=True), table.label
    require_columns(frame, label, ("year", "value_added"), ("sector", "facility",
                                                            "value_added_unit"))
    by = "facility" if "facility" in frame.columns else "sector"
    if by not in frame.columns or ("facility" in levels and by != "facility"):
        need = "facility" if "facility" in levels else "sector' or 'facility"
        raise MissingColumnError([Problem("missing_column", f"missing column '{need}'",
                                          file=label, row=1, column=need.split("'")[0],
                                          accepted="sector or facility, year, value_added "
                                          "(optional: value_added_unit)")])
    problems = []
    year, bad_year, blank_year = integers(frame["year"])
    value, bad, blank = numbers(frame["value_added"])
    ids = frame[by].astype(object).where(frame[by].notna(), "").astype(str).str.strip()
    out = pd.DataFrame({by: ids.to_numpy(), "year": year, "value_added": value})
    checks = [("year", bad_year | blank_year, "not a whole year", None),
              ("value_added", bad, "not a number", None),
              ("value_added", blank, "missing value added (missing is not zero)", None),
              ("value_added", value < 0, "negative value added", "a value >= 0"),
              (by, (ids == "").to_numpy(), f"missing {by}", None)]
    if by == "facility":
        given = (frame["sector"].astype(str).str.strip() if "sector" in frame.columns
                 else ids.map(sectors))
        unknown = given.isna().to_numpy()
        known = sorted(sectors.index.astype(str))
        problems += [Problem("value", f"facility not in the facilities table; closest: "
                             f"{_closest(ids[p], known)}",
                             file=label, row=int(spreadsheet_row(p)), column="facility",
                             value=ids[p], accepted="a facility of the facilities table, or "
                             "a sector column") for p in np.flatnonzero(unknown)[:20]]
        out["sector"] = given.fillna("").to_numpy()
    for column, mask, reason, accepted in checks:
        problems += [Problem("value", reason, file=label, row=int(spreadsheet_row(p)),
                             column=column, value=cell(frame, column, p), accepted=accepted or "")
                     for p in np.flatnonzero(mask)[:20]]
    if problems:
        raise InputError(problems)
    twice = out.duplicated([by, "year"]).to_numpy()
    if twice.any():
        raise DuplicateRowError([Problem("duplicate", f"a second value added for this {by} and "
                                         "year", file=label, row=int(spreadsheet_row(p)),
                                         column=by, value=ids[p])
                                 for p in np.flatnonzero(twice)[:20]])
    units = (frame["value_added_unit"] if "value_added_unit" in frame.columns
             else pd.Series(dtype=object))
    return out, units, label


def _closest(name: str, known: list[str]) -> str:
    return ", ".join(difflib.get_close_matches(name, known, 3, cutoff=0.4) or known[:3])


def _check_facilities_covered(va, facts, label) -> None:
    """Every facility with Scope 1 + 2 emissions in a year needs its value added that year,
    or its sector's would be silently short."""
    active = facts[["facility", "year"]].drop_duplicates()
    found = active.merge(va[["facility", "year"]], how="left", indicator=True)
    missing = found[found["_merge"] == "left_only"]
    if len(missing):
        raise InputError([Problem("value", f"no value added for facility {m.facility!r} in "
                                  f"{m.year}, which has emissions", file=label,
                                  column="value_added", accepted="a row for every facility "
                                  "with emissions, in every year compared")
                          for m in missing.head(20).itertuples()])


def _factor_table(rows: pd.DataFrame, va: pd.DataFrame, levels: list[str]):
    """Factors of the energy rows on a full (unit, carrier) × year grid; units with value added
    but no energy get one placeholder row (carrier '', intensity 0) so that they count in Q."""
    energy = rows[rows["carrier"] != ""]
    combos = energy[[*levels, "carrier"]].drop_duplicates()
    idle = va[[*levels]].drop_duplicates().merge(combos[levels].drop_duplicates(), how="left",
                                                 indicator=True)
    idle = idle[idle["_merge"] == "left_only"].drop(columns="_merge").assign(carrier="")
    years = pd.DataFrame({"year": sorted(set(rows["year"]) | set(va["year"]))})
    grid = pd.concat([combos, idle], ignore_index=True).merge(years, how="cross")
    table = grid.merge(energy, how="left", on=[*levels, "carrier", "year"])
    table = table.merge(va, how="left", on=[*levels, "year"])
    table[["energy_tce", "co2e"]] = table[["energy_tce", "co2e"]].fillna(0.0)
    unit_energy = table.groupby([*levels, "year"])["energy_tce"].transform("sum")
    _check_value_added(table, unit_energy, levels)
    table["value_added"] = table["value_added"].fillna(0.0)  # absent that year, no energy
    with np.errstate(divide="ignore", invalid="ignore"):
        table["energy_intensity"] = unit_energy / table["value_added"]
        table["energy_mix"] = table["energy_tce"] / unit_energy
        table["emission_factor"] = table["co2e"] / table["energy_tce"]
    orphan = (table["co2e"] > 0) & (table["energy_tce"] <= 0)
    if orphan.any():
        raise InputError([Problem("value", f"{_unit(r, levels)} emits {r.co2e:.6g} t CO2e from "
                                  f"{r.carrier} in {r.year} without energy use", column="co2e",
                                  accepted="energy (tce) for every carrier that emits")
                          for r in table[orphan].head(20).itertuples()])
    factors = list(ENERGY_FACTORS)
    table = table.sort_values([*levels, "carrier", "year"], ignore_index=True)
    keys = [*levels, "carrier"]
    # 0/0 (absent that year): the nearest positive value of the row, else 1 (see
    # core.fill_undefined: never 0, which would count as a second zero factor).
    source = table[factors].where(table[factors] > 0).assign(**{k: table[k] for k in keys})
    filled = source.groupby(keys)[factors].ffill().assign(**{k: table[k] for k in keys})
    filled = filled.groupby(keys)[factors].bfill().fillna(1.0)
    table[factors] = table[factors].fillna(filled)
    return table


def _unit(row, levels) -> str:
    return " / ".join(str(getattr(row, c)) or "(no sector)" for c in levels)


def _check_value_added(table, unit_energy, levels) -> None:
    short = (unit_energy > 0) & ~(table["value_added"] > 0)
    if short.any():
        bad = table[short].assign(tce=unit_energy[short]).drop_duplicates([*levels, "year"])
        raise InputError([Problem("value", f"{_unit(r, levels)} uses {r.tce:.6g} tce in {r.year} "
                                  "but has no value added", column="value_added",
                                  accepted="value added > 0 for every unit that uses energy, in "
                                  "every year compared") for r in bad.head(20).itertuples()])


def _non_energy(rows, levels, years):
    """Non-energy emissions [t CO2e] per unit (rows) and year (columns)."""
    ne = rows[rows["carrier"] == ""]
    if ne.empty:
        return (pd.DataFrame({**{c: pd.Series(dtype=object) for c in levels}, "carrier": []}),
                np.zeros((0, len(years))))
    wide = ne.pivot_table(index=levels, columns="year", values="co2e", aggfunc="sum")
    wide = wide.reindex(columns=years).fillna(0.0)  # not occurring that year
    keys = wide.index.to_frame(index=False).assign(carrier="")
    return keys, wide.to_numpy().reshape(len(keys), len(years))
