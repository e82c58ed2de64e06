"""What intensities divide by: value added and output per facility and year.

The facilities table has one ``value_added`` per facility (DESIGN.md "Input tables"), with no
year. An optional value-added-by-year table (``facility`` or ``sector``, ``year``,
``value_added``, ``value_added_unit``) gives it per year; a facility-year the table does not
cover takes the facilities table's value, and every such use is flagged in ``source`` and in
the notes, never silently. A blank cell of the by-year table means "not estimated": it stays
missing and the intensities it feeds are "not computable", never zero.

Value added is converted to 10⁴ CNY (:mod:`carbon.analytics.money`). Output keeps each
facility's own unit; units of one dimension known to the registry (t and 万t, m3, MWh, m2) are
converted to the canonical unit so that they can be summed, and any other unit (``vehicle``,
``wafer``) is only ever summed with the very same unit.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pint

from ..errors import InputError, MissingColumnError, Problem
from ..io import read_table
from ..schema import Issues, integers, numbers, spreadsheet_row
from ..units import CANONICAL_UNITS, canonical
from .money import ACCEPTED, VALUE_ADDED_UNIT, to_value_added_unit
from .territory import Territory

__all__ = ["FROM_FACILITIES", "FROM_SECTOR", "FROM_TABLE", "NO_SECTOR", "VALUE_ADDED_UNIT",
           "Denominators", "denominators", "read_value_added"]

FROM_TABLE = "by-year table"
FROM_FACILITIES = "facilities table (same value every year)"
FROM_SECTOR = "sector by-year table, split over its facilities by their value added"
NO_SECTOR = "(no sector)"


@dataclass
class Denominators:
    """Value added [10⁴ CNY] and output per facility and year, with where each came from.

    Attributes
    ----------
    facility : DataFrame
        One row per facility-year with records: ``facility``, ``year``, ``sector``,
        ``value_added`` [10⁴ CNY] (NaN: not known), ``value_added_source``, ``output``
        [``output_unit``], ``output_unit`` (canonical where the registry knows it),
        ``output_group`` (dimension, or the unit itself).
    sector : DataFrame
        ``sector``, ``year``, ``value_added`` [10⁴ CNY], ``value_added_source``.
    by_year : bool
        Whether a value-added-by-year table was given.
    notes : list of str
        What the reader should know: facilities taken as constant, missing values.
    """

    facility: pd.DataFrame
    sector: pd.DataFrame
    by_year: bool
    notes: list[str] = field(default_factory=list)

    def value_added(self, year: int, members: Collection[str] | None = None) -> float:
        """Value added of the park (or of ``members``) in ``year`` [10⁴ CNY]; NaN when any
        part of it is not known (a partial sum would understate it)."""
        if members is None:
            rows = self.sector[self.sector["year"] == year]["value_added"]
        else:
            mask = (self.facility["year"] == year) & self.facility["facility"].isin(members)
            rows = self.facility.loc[mask, "value_added"]
        return float(rows.sum(skipna=False)) if len(rows) else float("nan")

    def output(self, year: int, members: Collection[str] | None = None
               ) -> tuple[float, str, str]:
        """Output of the park (or ``members``) in ``year``, its unit, and why it is NaN."""
        rows = self.facility[self.facility["year"] == year]
        if members is not None:
            rows = rows[rows["facility"].isin(members)]
        if rows.empty:
            return float("nan"), "", "no facility has records this year"
        groups = sorted(set(rows["output_group"]))
        if rows["output"].isna().any() or "" in groups:
            missing = sorted(rows.loc[rows["output"].isna(), "facility"])
            return float("nan"), "", ("not computable: no output for " + _listed(missing))
        if len(groups) > 1:
            units = sorted(set(rows["output_unit"]))
            return float("nan"), "", ("not computable: output in units that cannot be added ("
                                      + ", ".join(units) + ")")
        return float(rows["output"].sum()), str(rows["output_unit"].iloc[0]), ""


def _listed(items: list[str], n: int = 5) -> str:
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    values = frame[column].astype(object)
    return values.where(values.notna(), "").astype(str).str.strip()


def read_value_added(source, facilities: Collection[str], sectors: Collection[str]
                     ) -> tuple[pd.DataFrame, str, str]:
    """Read and check a value-added-by-year table.

    Parameters
    ----------
    source : DataFrame or path
        Columns ``facility`` or ``sector``, ``year``, ``value_added`` [``value_added_unit``],
        ``value_added_unit`` (an amount of yuan: ``10^4 CNY``, ``万元``, ``10^8 CNY``...).
    facilities, sectors : collection of str
        Known facility ids and sectors (an unknown one is an error that names the closest).

    Returns
    -------
    table : DataFrame
        ``key``, ``year``, ``value_added`` [10⁴ CNY] (NaN where the cell is blank).
    level : {'facility', 'sector'}
    label : str
        The table's name in messages.
    """
    table = read_table(source, "value_added")
    frame, label = table.frame.reset_index(drop=True), table.label
    level = "facility" if "facility" in frame.columns else "sector"
    required = (level, "year", "value_added", "value_added_unit")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise MissingColumnError([Problem(
            "missing_column", f"missing column '{c}'", file=label, row=1, column=c,
            accepted="columns facility (or sector), year, value_added, value_added_unit")
            for c in missing])
    issues = Issues(label, frame)
    keys = _text(frame, level)
    issues.add("value", level, np.flatnonzero((keys == "").to_numpy()), f"missing {level}")
    known = sorted(str(k) for k in (facilities if level == "facility" else sectors))
    codes, uniques = pd.factorize(keys)
    for code, key in enumerate(uniques):
        if key and key not in known:
            close = difflib.get_close_matches(key, known, 3, cutoff=0.4) or known[:3]
            issues.add("value", level, np.flatnonzero(codes == code),
                       f"{level} {key!r} has no records in the inventory; closest: "
                       f"{', '.join(close)}", accepted=f"a {level} of the inventory")
    year, bad_year, blank_year = integers(frame["year"])
    issues.add("value", "year", np.flatnonzero(bad_year | blank_year), "not a whole year")
    value, bad_value, _blank = numbers(frame["value_added"])
    issues.add("value", "value_added", np.flatnonzero(bad_value), "not a number",
               accepted="a number >= 0, or empty when not known")
    issues.add("value", "value_added", np.flatnonzero(value < 0), "negative value added",
               accepted="a number >= 0, or empty when not known")
    factor = np.full(len(frame), np.nan)
    units = _text(frame, "value_added_unit")
    codes, uniques = pd.factorize(units)
    for code, unit in enumerate(uniques):
        rows = np.flatnonzero(codes == code)
        try:
            factor[rows] = to_value_added_unit(unit)
        except ValueError as exc:
            issues.add("unit", "value_added_unit", rows, str(exc), accepted=ACCEPTED)
    out = pd.DataFrame({"key": keys.to_numpy(), "year": year, "value_added": value * factor})
    twice = out.duplicated(["key", "year"]).to_numpy() & (keys != "").to_numpy()
    issues.add("duplicate", level, np.flatnonzero(twice),
               f"a second value added for this {level} and year",
               accepted=f"one row per {level} and year")
    if issues:
        issues.raise_error()
    return out, level, label


def _facilities_value_added(facilities: pd.DataFrame) -> pd.Series:
    """The facilities table's value added [10⁴ CNY] by facility; raises on a bad unit."""
    if "value_added" not in facilities.columns:
        return pd.Series(np.nan, index=facilities.index, dtype=float)
    values = facilities["value_added"].astype(float)
    units = _text(facilities, "value_added_unit")
    factor = np.full(len(values), np.nan)
    problems = []
    for position, (unit, value) in enumerate(zip(units, values, strict=True)):
        if np.isnan(value):
            continue
        try:
            factor[position] = to_value_added_unit(unit)
        except ValueError as exc:
            problems.append(Problem("unit", str(exc), file="facilities table",
                                    row=int(spreadsheet_row(position)),
                                    column="value_added_unit", value=unit, accepted=ACCEPTED))
    if problems:
        raise InputError(problems)
    return pd.Series(values.to_numpy() * factor, index=facilities.index)


def _output(facilities: pd.DataFrame) -> pd.DataFrame:
    """Output per facility in a canonical unit where the registry knows the unit."""
    out = pd.DataFrame(index=facilities.index)
    values = (facilities["output"].astype(float) if "output" in facilities.columns
              else pd.Series(np.nan, index=facilities.index))
    units = _text(facilities, "output_unit")
    factor, unit_out, group = [], [], []
    for unit in units:
        try:
            dimension, to_canonical = canonical(unit) if unit else ("", np.nan)
        except (pint.errors.PintError, ValueError, TypeError, AttributeError, SyntaxError):
            dimension, to_canonical = "", np.nan
        if dimension:
            factor.append(to_canonical)
            unit_out.append(CANONICAL_UNITS[dimension].replace("**", ""))
            group.append(dimension)
        else:  # a count unit of its own (vehicle, wafer): summed only with itself
            factor.append(1.0)
            unit_out.append(unit)
            group.append(f"unit:{unit}" if unit else "")
    out["output"] = values.to_numpy() * np.asarray(factor, dtype=float)
    out["output_unit"] = unit_out
    out["output_group"] = group
    return out


def denominators(territory: Territory, value_added=None) -> Denominators:
    """Value added and output per facility-year of an inventory (see the module notes).

    Parameters
    ----------
    territory : Territory
    value_added : DataFrame or path, optional
        Value added by year (:func:`read_value_added`).
    """
    inventory = territory.inventory
    facilities = inventory.facilities
    presence = territory.presence.copy()
    presence["sector"] = presence["sector"].astype(object).replace("", NO_SECTOR)
    constant = _facilities_value_added(facilities).reindex(presence["facility"]).to_numpy()
    frame = presence.assign(value_added=constant, value_added_source=FROM_FACILITIES)
    notes: list[str] = []
    sector_rows = None
    if value_added is not None:
        table, level, label = read_value_added(
            value_added, set(presence["facility"]), set(presence["sector"]))
        if level == "facility":
            frame = _apply_facility_table(frame, table)
        else:
            frame, sector_rows = _apply_sector_table(frame, table)
        notes += _coverage_notes(frame, label)
    elif territory.years and len(territory.years) > 1:
        notes.append("No value-added-by-year table: each facility's value added from the "
                     "facilities table is used for every year, so intensity changes reflect "
                     "emissions and energy only (give value added by year with value_added= / "
                     "--value-added).")
    missing = sorted(set(frame.loc[frame["value_added"].isna(), "facility"]))
    if missing:
        notes.append("Value added not known for " + _listed(missing) + ": their intensities "
                     "and any total including them are not computable.")
    output = _output(facilities).reindex(frame["facility"])
    for column in ("output", "output_unit", "output_group"):
        frame[column] = output[column].to_numpy()
    for column in ("output_unit", "output_group"):
        text = frame[column].astype(object)
        frame[column] = text.where(text.notna(), "")
    sector = (frame.groupby(["sector", "year"], as_index=False)
              .agg(value_added=("value_added", lambda s: s.sum(skipna=False)),
                   value_added_source=("value_added_source", _one_source)))
    if sector_rows is not None:
        sector = _overlay(sector, sector_rows)
    return Denominators(frame.reset_index(drop=True), sector, value_added is not None, notes)


def _one_source(sources: pd.Series) -> str:
    distinct = sorted(set(sources))
    return distinct[0] if len(distinct) == 1 else "mixed: " + "; ".join(distinct)


def _apply_facility_table(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    given = table.set_index(["key", "year"])["value_added"]
    index = pd.MultiIndex.from_frame(frame[["facility", "year"]])
    found = index.isin(given.index)
    frame.loc[found, "value_added"] = given.reindex(index[found]).to_numpy()
    frame.loc[found, "value_added_source"] = FROM_TABLE
    return frame


def _apply_sector_table(frame: pd.DataFrame, table: pd.DataFrame
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sector values per year; facilities get the sector's value split by their own."""
    given = table.rename(columns={"key": "sector"}).set_index(["sector", "year"])["value_added"]
    index = pd.MultiIndex.from_frame(frame[["sector", "year"]])
    found = index.isin(given.index)
    weights = frame["value_added"].to_numpy(dtype=float)
    weight_sum = frame.assign(w=weights).groupby(["sector", "year"])["w"].transform(
        lambda s: s.sum(min_count=1)).to_numpy()
    sector_value = given.reindex(index).to_numpy()
    split = np.divide(weights * sector_value, weight_sum, out=np.full(len(frame), np.nan),
                      where=weight_sum > 0)
    frame.loc[found, "value_added"] = split[found]
    frame.loc[found, "value_added_source"] = FROM_SECTOR
    rows = given.reset_index().assign(value_added_source=FROM_TABLE)
    return frame, rows


def _overlay(sector: pd.DataFrame, given: pd.DataFrame) -> pd.DataFrame:
    keyed = sector.set_index(["sector", "year"])
    given = given.set_index(["sector", "year"])
    common = keyed.index.intersection(given.index)
    keyed.loc[common, ["value_added", "value_added_source"]] = given.loc[
        common, ["value_added", "value_added_source"]].to_numpy()
    return keyed.reset_index()


def _coverage_notes(frame: pd.DataFrame, label: str) -> list[str]:
    assumed = frame[frame["value_added_source"] == FROM_FACILITIES]
    if assumed.empty:
        return []
    pairs = [f"{f} {y}" for f, y in zip(assumed["facility"], assumed["year"], strict=True)]
    return [f"{label} has no value added for {len(pairs)} facility-year(s) with records ("
            + _listed(pairs) + "): the facilities table's value is used for them."]

