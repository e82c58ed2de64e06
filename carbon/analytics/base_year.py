"""A fixed base year, recalculated when facilities join or leave the park.

The rule is the GHG Protocol's (Corporate Standard, revised edition 2004, chapter 5 "Tracking
emissions over time"): base-year emissions are recalculated for structural changes (a facility
acquired or divested, here: joining or leaving the park) whose cumulative effect on the base
year is significant; a facility that did not exist in the base year (organic growth, a new
plant) does not change the base year. The significance threshold is a parameter (default 5 %
of base-year emissions, a common choice; the Protocol leaves it to the reporter).

For each reporting year the boundary is the park of that year. The base year recalculated for
it is the base-year inventory of those of its facilities that have base-year records, with
only the intra-park transfers between them netted: exactly what a fresh inventory of the new
boundary's base-year records would give. If it differs from the base year as reported by at
least the threshold, it is used; the decision, taken on Scope 1 + 2 emissions, applies to
every indicator (energy, intensities) alike.

Membership comes from the records (a facility is in the park in the years it has records) or
from a table with ``facility``, ``joined`` (first year in the park) and ``left`` (first year no
longer in it), which also tells apart a facility that joined with its base-year records (an
acquisition: its base-year emissions are added) from one that had none (new: not added).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd

from ..errors import MissingColumnError, ParameterError, Problem
from ..io import read_table
from ..schema import Issues, integers
from .dual_control import indicator_values
from .territory import Territory
from .value_added import Denominators

__all__ = ["BaseYear", "read_membership", "track_base_year"]

DEFAULT_THRESHOLD = 0.05


@dataclass
class BaseYear:
    """Base-year tracking: what the base year is for each reporting year, and why.

    Attributes
    ----------
    year : int
    threshold : float
        Significance threshold [fraction of base-year Scope 1 + 2].
    tracking : DataFrame
        Per reporting year: ``facilities`` in the boundary, ``base_co2e_reported``,
        ``base_co2e_recalculated``, ``structural_change`` [fraction], ``recalculated``
        (bool), ``base_co2e`` (the one used), ``co2e``, ``change_vs_base`` [fraction], and
        the same for energy (``base_tce``, ``energy_tce``, ``tce_change_vs_base``), ``reason``.
    changes : DataFrame
        Each facility that joined or left after the base year: ``facility``, ``change``
        ('joined' or 'left'), ``year``, ``base_year_co2e`` and ``base_year_tce`` (its effect
        on the base year: what adding or removing it changes), ``treatment``.
    values : DataFrame
        Base-year value of every indicator used for each reporting year (index: year), for
        :func:`~carbon.analytics.dual_control.dual_control_table`'s ``base_values``.
    notes : list of str
    """

    year: int
    threshold: float
    tracking: pd.DataFrame
    changes: pd.DataFrame
    values: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def read_membership(source, known: Collection[str]) -> pd.DataFrame:
    """Read a park-membership table: ``facility``, ``joined`` and/or ``left`` (years).

    Returns a DataFrame indexed by facility with ``joined`` and ``left`` (Int64, missing when
    open); raises :class:`~carbon.errors.InputError` naming row, column and value.
    """
    table = read_table(source, "membership")
    frame, label = table.frame.reset_index(drop=True), table.label
    if "facility" not in frame.columns or not {"joined", "left"} & set(frame.columns):
        missing = "facility" if "facility" not in frame.columns else "joined"
        raise MissingColumnError([Problem("missing_column", f"missing column '{missing}'",
                                          file=label, row=1, column=missing,
                                          accepted="facility, joined (first year in the park),"
                                          " left (first year out of it)")])
    issues = Issues(label, frame)
    ids = frame["facility"].astype(object).where(frame["facility"].notna(), "").astype(str)
    ids = ids.str.strip()
    known = sorted(known)
    for position in np.flatnonzero(~ids.isin(known).to_numpy()):
        close = difflib.get_close_matches(ids[position], known, 3, cutoff=0.4) or known[:3]
        issues.add("value", "facility", np.array([position]), "not a facility of the "
                   f"inventory; closest: {', '.join(close)}", accepted="a facility with records")
    issues.add("duplicate", "facility",
               np.flatnonzero((ids.duplicated() & (ids != "")).to_numpy()),
               "facility given twice", accepted="one row per facility")
    out = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="facility"))
    for column in ("joined", "left"):
        if column not in frame.columns:
            out[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
            continue
        years, bad, blank = integers(frame[column])
        issues.add("value", column, np.flatnonzero(bad), "not a whole year",
                   accepted="a year, or empty")
        out[column] = pd.array(np.where(blank, None, years).tolist(), dtype="Int64")
    both = out["joined"].notna() & out["left"].notna()
    wrong = both & (out["left"].fillna(0) <= out["joined"].fillna(0))
    issues.add("value", "left", np.flatnonzero(wrong.to_numpy()), "not after joined",
               accepted="a year after joined")
    if issues:
        issues.raise_error()
    return out


def _members(territory: Territory, membership: pd.DataFrame | None, year: int) -> frozenset:
    present = territory.members(year)
    if membership is None:
        return frozenset(present)
    listed = set(membership.index)
    joined, left = membership["joined"], membership["left"]
    inside = (joined.isna() | (joined.fillna(0) <= year)) & (left.isna() |
                                                              (left.fillna(9999) > year))
    return frozenset((present - listed) | set(membership.index[inside.to_numpy()]))


def track_base_year(territory: Territory, den: Denominators, year: int,
              threshold: float = DEFAULT_THRESHOLD, membership=None,
              grid: Mapping[int, float] | None = None) -> BaseYear:
    """Track the park against a fixed base year, recalculated for boundary changes.

    Parameters
    ----------
    territory : Territory
    den : Denominators
    year : int
        The base year: a year of the inventory.
    threshold : float
        Significance threshold [fraction], default 0.05.
    membership : DataFrame or path, optional
        Park membership (:func:`read_membership`); default: from the records.
    grid : mapping, optional
        Grid non-fossil share by year [fraction]
        (see :func:`~carbon.analytics.dual_control.dual_control_table`).
    """
    if year not in territory.years:
        raise ParameterError("base_year", "base_year", f"a year of the inventory "
                             f"{list(territory.years)}", year)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or \
            not 0 <= threshold < 1:
        raise ParameterError("threshold", "base_year", "a fraction in [0, 1) (0.05 for 5 %)",
                             threshold)
    if membership is not None:
        membership = read_membership(membership, set(territory.presence["facility"]))
    present = territory.members(year)
    computed: dict[frozenset, pd.Series] = {}

    def at_base(members: frozenset) -> pd.Series:
        if members not in computed:
            values = indicator_values(territory, den, members=members, grid=grid)
            computed[members] = (values.loc[year] if year in values.index
                                 else values.iloc[0:0].reindex([year]).iloc[0])
        return computed[members]

    reported_boundary = frozenset(_members(territory, membership, year) & present)
    reported = at_base(reported_boundary)
    notes = []
    absent = _members(territory, membership, year) - present
    if absent:
        notes.append(f"In the park in {year} but without records that year: "
                     + ", ".join(sorted(absent)) + " (their base-year emissions are missing).")
    current: dict[frozenset, pd.DataFrame] = {}
    rows, used = [], {}
    for t in territory.years:
        boundary = _members(territory, membership, t)
        members = frozenset(boundary & territory.members(t))
        if members not in current:
            current[members] = indicator_values(territory, den, members=members, grid=grid)
        recalc_set = frozenset(boundary & present)
        recalc = at_base(recalc_set)
        change = _relative(recalc["co2e"], reported["co2e"])
        significant = recalc_set != reported_boundary and (
            abs(change) >= threshold if np.isfinite(change) else recalc["co2e"] != 0)
        base = recalc if significant else reported
        used[t] = base
        out = sorted(reported_boundary - boundary)
        added = sorted(recalc_set - reported_boundary)
        new = sorted(boundary - present)
        reason = _reason(year, t, change, threshold, significant, out, added, new,
                         recalc_set != reported_boundary)
        value = current[members].loc[t] if t in current[members].index else None
        co2e = float(value["co2e"]) if value is not None else np.nan
        tce = float(value["energy_tce"]) if value is not None else np.nan
        rows.append({"year": t, "facilities": len(boundary),
                     "base_co2e_reported": reported["co2e"],
                     "base_co2e_recalculated": recalc["co2e"], "structural_change": change,
                     "recalculated": bool(significant), "base_co2e": base["co2e"],
                     "co2e": co2e, "change_vs_base": _relative(co2e, base["co2e"]),
                     "base_tce": base["energy_tce"], "energy_tce": tce,
                     "tce_change_vs_base": _relative(tce, base["energy_tce"]),
                     "reason": reason})
    outside = sorted(f"{f} {t}" for t in territory.years
                     for f in territory.members(t) - _members(territory, membership, t))
    if outside:
        notes.append("Records outside the park membership (" + ", ".join(outside[:8])
                     + (" ..." if len(outside) > 8 else "") + "): left out of base-year "
                     "tracking, but counted in the totals of every other table.")
    tracking = pd.DataFrame(rows)
    values = pd.DataFrame(used).T.rename_axis("year")
    changes = _changes(territory, membership, year, present, reported_boundary, at_base)
    return BaseYear(int(year), float(threshold), tracking, changes, values, notes)


def _relative(value: float, reference: float) -> float:
    if reference == 0 or np.isnan(reference) or np.isnan(value):
        return float("nan")
    return float(value / reference - 1.0)


def _reason(base: int, year: int, change: float, threshold: float, significant: bool,
            out: list[str], added: list[str], new: list[str], changed: bool) -> str:
    if year == base:
        return "the base year"
    parts = []
    if out:
        parts.append(f"left the park since {base}: " + ", ".join(out))
    if added:
        parts.append(f"joined with {base} records: " + ", ".join(added))
    if new:
        parts.append(f"new since {base} (no {base} records: organic growth, never added): "
                     + ", ".join(new))
    if not changed:
        verdict = f"no facility with {base} records joined or left: base year as reported"
    elif significant:
        verdict = (f"structural change {change:+.2%} of the base year, at least the "
                   f"{threshold:.0%} threshold: base year recalculated")
    else:
        verdict = (f"structural change {change:+.2%} of the base year, below the "
                   f"{threshold:.0%} threshold: base year as reported")
    return "; ".join([*parts, verdict])


def _changes(territory: Territory, membership, base: int, present: set, reported: frozenset,
             at_base) -> pd.DataFrame:
    rows = []
    years = territory.years
    for before, after in pairwise(years):
        if after <= base:
            continue
        was = _members(territory, membership, before)
        now = _members(territory, membership, after)
        for facility in sorted(now - was):
            rows.append(_change_row(facility, "joined", after, present, reported, at_base))
        for facility in sorted(was - now):
            rows.append(_change_row(facility, "left", after, present, reported, at_base))
    columns = ["facility", "change", "year", "base_year_co2e", "base_year_tce", "treatment"]
    return pd.DataFrame(rows, columns=columns)


def _change_row(facility: str, change: str, year: int, present: set, reported: frozenset,
                at_base) -> dict:
    if facility not in present:
        treatment = ("new: no records in the base year, organic growth (base year unchanged)"
                     if change == "joined" else
                     "joined after the base year: no base-year emissions to remove")
        return {"facility": facility, "change": change, "year": year, "base_year_co2e": 0.0,
                "base_year_tce": 0.0, "treatment": treatment}
    with_it = reported | {facility}
    without = reported - {facility}
    more, less = at_base(frozenset(with_it)), at_base(frozenset(without))
    treatment = ("joined with base-year records: its base-year emissions are added"
                 if change == "joined" else "left: its base-year emissions are removed")
    return {"facility": facility, "change": change, "year": year,
            "base_year_co2e": float(more["co2e"]) - float(less["co2e"]),
            "base_year_tce": float(more["energy_tce"]) - float(less["energy_tce"]),
            "treatment": treatment}
