"""Hypothesis strategies for activity tables the engine accounts without error.

For tool builders who embed parkcarbon and want to test their own code against it, and for
parkcarbon's own property tests (``tests/properties/``). Needs ``hypothesis`` (a test
dependency, not a runtime one), so it is not imported by ``import carbon``.

Every table these strategies build follows DESIGN.md "Input tables" and accounts in strict mode
under both profiles (``cn``, ``ipcc2006``) and every GWP set, with no facilities table (national
factors) and years 2021-2023, so no factor falls back to an earlier year and no
:class:`~carbon.errors.FactorFallbackWarning` is raised. No two rows are duplicates in the sense
of DESIGN.md "Bad input". :func:`frames_with_bad_rows` then spoils chosen rows on purpose.

>>> import math
>>> import pandas as pd
>>> from hypothesis import given, settings
>>> import carbon
>>> from carbon.testing import FACILITIES, activities_frames
>>> facilities = pd.DataFrame({"facility": list(FACILITIES)})
>>> @settings(max_examples=10, deadline=None)
... @given(activities_frames(max_rows=5))
... def test_facilities_add_up_to_the_park(frame):
...     inventory = carbon.account(frame, facilities=facilities)
...     by_facility = inventory.by_facility()["total"].sum()
...     assert math.isclose(by_facility, inventory.total(), rel_tol=1e-9, abs_tol=1e-9)
>>> test_facilities_add_up_to_the_park()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from .factors import library
from .units import canonical

__all__ = [
    "ACTIVITY_UNITS",
    "CORRUPTIONS",
    "FACILITIES",
    "YEARS",
    "activities_frames",
    "activity_names",
    "activity_rows",
    "duplicate_key",
    "frames_with_bad_rows",
    "has_duplicates",
    "quantities",
    "transfers_frames",
]

_MASS = ("t", "kg", "万t", "吨")
_VOLUME = ("10^4 Nm3", "万Nm3", "Nm3", "m3", "万标方")
_ENERGY = ("GJ", "MWh", "万kWh", "kWh", "TJ", "tce", "吉焦")
_FREIGHT = ("t*km", "吨公里")

#: Activity keys and the units each accounts in under both profiles, national factors,
#: 2021-2023 (checked row by row in ``tests/test_testing.py``). ``petroleum_coke`` is left out:
#: the ``cn`` profile has no factor for it. Gases burnt by volume (natural gas, coke oven gas,
#: blast furnace and converter gas) take volume or energy units: their China NCVs are per volume.
ACTIVITY_UNITS: dict[str, tuple[str, ...]] = {
    **{fuel: _MASS + _ENERGY for fuel in (
        "raw_coal", "anthracite", "bituminous_coal", "lignite", "cleaned_coal", "briquettes",
        "coke", "crude_oil", "fuel_oil", "gasoline", "diesel", "kerosene", "lpg", "lng",
        "refinery_gas")},
    **{gas: _VOLUME + _ENERGY for gas in (
        "natural_gas", "coke_oven_gas", "blast_furnace_gas", "converter_gas")},
    "electricity": ("MWh", "万kWh", "kWh", "GJ", "万千瓦时"),
    "heat": ("GJ", "MWh", "TJ", "吉焦"),
    **{process: _MASS for process in (
        "clinker", "lime", "lime_dolomitic", "lime_hydraulic", "limestone", "dolomite")},
    **{gas: ("kg", "t") for gas in (
        "CO2", "CH4", "N2O", "SF6", "NF3", "HFC-32", "HFC-125", "HFC-134a", "HFC-23", "CF4",
        "R-410A")},
    **{material: _MASS for material in (
        "cement", "rebar", "steel", "flat_glass", "aluminium")},
    "concrete_c30": ("m3", "万m3"),
    "concrete_c50": ("m3", "万m3"),
    "road_freight": _FREIGHT,
    "road_freight_medium": _FREIGHT,
}

#: Reporting years with a national grid factor of their own (MEE/NBS 2021-2023).
YEARS: tuple[int, ...] = (2021, 2022, 2023)

#: Default facility ids: plain, Pingshan-style and Chinese.
FACILITIES: tuple[str, ...] = ("F1", "CHP-01", "NEV-01", "坪山制药")

_GREEN = ("green_certificate", "green_power", "绿证", "绿电")


def duplicate_key(row: dict) -> tuple:
    """The columns whose equality makes two rows duplicates (DESIGN.md "Bad input")."""
    return (row["facility"], row["year"], row.get("month"), row["activity"], row["unit"],
            row.get("instrument", ""), row["quantity"])


def quantities(max_value: float = 1e7) -> st.SearchStrategy[float]:
    """Activity quantities [activity unit]: 0, or a finite float in [1e-6, ``max_value``].

    Positive values below 1e-6 become 0, so that relative comparisons of totals stay
    meaningful after unit conversion (no subnormal underflow); 0 ("not occurring") stays
    possible without being drawn half of the time.
    """
    return st.floats(0.0, max_value, allow_nan=False, allow_infinity=False).map(
        lambda x: 0.0 if x < 1e-6 else x)


def activity_names(activity: str, aliases: bool = True) -> list[str]:
    """The key of an activity and, if ``aliases``, every alias the library maps to it.

    >>> activity_names("natural_gas")
    ['natural_gas', '天然气', '管道天然气']
    """
    names = [activity]
    if aliases:
        names += sorted(a for a, key in library().aliases.get("activity", {}).items()
                        if key == activity)
    return names


def _check_activities(activities: Iterable[str] | None) -> list[str]:
    chosen = sorted(ACTIVITY_UNITS) if activities is None else list(activities)
    unknown = [a for a in chosen if a not in ACTIVITY_UNITS]
    if unknown or not chosen:
        raise ValueError(f"activities must be keys of carbon.testing.ACTIVITY_UNITS; got "
                         f"{unknown or chosen!r}")
    return chosen


def activity_rows(activities: Iterable[str] | None = None, *,
                  years: Sequence[int] = YEARS,
                  facilities: Sequence[str] = FACILITIES,
                  months: bool = True,
                  aliases: bool = True,
                  instruments: bool = False,
                  max_quantity: float = 1e7) -> st.SearchStrategy[dict[str, Any]]:
    """One valid activity row as a dict: facility, year, month, activity, quantity, unit.

    Parameters
    ----------
    activities : iterable of str, optional
        Keys of :data:`ACTIVITY_UNITS` to draw from (default: all of them).
    years : sequence of int
        Reporting years to draw from; keep them within 2021-2023 for national factors with
        no fallback.
    facilities : sequence of str
        Facility ids to draw from.
    months : bool
        Add a ``month`` (1-12, or None for a yearly record).
    aliases : bool
        Write the activity either as its key or as one of its aliases (``天然气``...).
    instruments : bool
        Add an ``instrument``: electricity rows draw "", a green certificate or green power,
        other rows "".
    max_quantity : float
        Largest quantity [activity unit].
    """
    chosen = _check_activities(activities)

    @st.composite
    def build(draw: Callable) -> dict[str, Any]:
        activity = draw(st.sampled_from(chosen))
        row: dict[str, Any] = {
            "facility": draw(st.sampled_from(list(facilities))),
            "year": draw(st.sampled_from(list(years))),
        }
        if months:
            row["month"] = draw(st.one_of(st.none(), st.integers(1, 12)))
        row["activity"] = draw(st.sampled_from(activity_names(activity, aliases)))
        row["quantity"] = draw(quantities(max_quantity))
        row["unit"] = draw(st.sampled_from(ACTIVITY_UNITS[activity]))
        if instruments:
            row["instrument"] = (draw(st.sampled_from(("", *_GREEN)))
                                 if activity == "electricity" else "")
        return row

    return build()


def activities_frames(min_rows: int = 1, max_rows: int = 20, *,
                      unique_quantities: bool = False,
                      **row_options: Any) -> st.SearchStrategy[pd.DataFrame]:
    """A valid activities table (DataFrame) of ``min_rows`` to ``max_rows`` rows.

    No two rows are duplicates (DESIGN.md "Bad input"), so strict mode accepts every table.
    ``unique_quantities=True`` also makes every quantity distinct, so no two rows can become
    duplicates whatever other cell is later changed. ``row_options`` go to
    :func:`activity_rows`.
    """
    keys: tuple[Callable, ...] = (duplicate_key,)
    if unique_quantities:
        keys += (lambda row: row["quantity"],)
    rows = st.lists(activity_rows(**row_options), min_size=min_rows, max_size=max_rows,
                    unique_by=keys)
    return rows.map(_frame)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows)
    if "month" in frame.columns:  # yearly records stay empty, not NaN floats
        frame["month"] = frame["month"].astype("Int64")
    return frame


def _held_gj(activities: pd.DataFrame) -> dict[tuple[str, int, str], float]:
    """Electricity and heat each (facility, year) holds in its rows [GJ]."""
    lib = library()
    held: dict[tuple[str, int, str], float] = {}
    for row in activities.itertuples(index=False):
        carrier = lib.canonical_activity(str(row.activity))
        if carrier not in ("electricity", "heat"):
            continue
        key = (str(row.facility), int(row.year), carrier)
        held[key] = held.get(key, 0.0) + float(row.quantity) * canonical(str(row.unit))[1]
    return held


def transfers_frames(activities: pd.DataFrame, *,
                     units: Sequence[str] = ("GJ", "MWh")) -> st.SearchStrategy[pd.DataFrame]:
    """Valid intra-park energy sales for a valid ``activities`` table.

    For some of the (buyer, year, carrier) groups that hold electricity or heat (at least one,
    when there is one and another facility to sell), one other facility of the table sells the
    buyer a share (0 to 100 %) of what its rows hold, in one of ``units``. The result has the
    columns of DESIGN.md "transfers" and may have no rows.
    """
    facilities = sorted({str(f) for f in activities["facility"]})
    held = [(group, gj) for group, gj in sorted(_held_gj(activities).items())
            if gj > 0 and len(facilities) > 1]
    columns = ["seller", "buyer", "year", "carrier", "quantity", "unit"]

    @st.composite
    def build(draw: Callable) -> pd.DataFrame:
        records = []
        chosen = draw(st.sets(st.sampled_from(range(len(held))), min_size=1)) if held else ()
        for (buyer, year, carrier), gj in (held[i] for i in sorted(chosen)):
            sellers = [f for f in facilities if f != buyer]
            share = draw(st.floats(0.0, 1.0))
            unit = draw(st.sampled_from(list(units)))
            records.append({"seller": draw(st.sampled_from(sellers)), "buyer": buyer,
                            "year": year, "carrier": carrier,
                            "quantity": share * gj / canonical(unit)[1], "unit": unit})
        return pd.DataFrame.from_records(records, columns=columns)

    return build()


#: Ways to spoil one row, each a (column, replacement) pair; the replacement is a value or a
#: function of the row. Each makes the row fail exactly one check of DESIGN.md "Bad input".
CORRUPTIONS: dict[str, tuple[str, Any]] = {
    "negative quantity": ("quantity", lambda row: -(row["quantity"] + 1.0)),
    "text quantity": ("quantity", "abc"),
    "blank quantity": ("quantity", ""),
    "unknown activity": ("activity", "natual_gas"),
    "unknown unit": ("unit", "furlong"),
    "gas as a unit": ("unit", "kg CH4"),
    "text year": ("year", "20x2"),
    "year out of range": ("year", 1800),
    "month 13": ("month", 13),
    "blank facility": ("facility", ""),
}


def frames_with_bad_rows(min_rows: int = 1, max_rows: int = 20, *,
                         corruptions: Sequence[str] | None = None,
                         min_bad: int = 0,
                         **row_options: Any
                         ) -> st.SearchStrategy[tuple[pd.DataFrame, frozenset[int]]]:
    """A table in which some rows are spoilt, and the 0-based positions of those rows.

    Starts from :func:`activities_frames` with distinct quantities (so a spoilt row can never
    make a good row look like its duplicate) and replaces one cell of each chosen row by one of
    :data:`CORRUPTIONS` (all of them by default); at least ``min_bad`` rows (or every row, if
    fewer) are spoilt. In lenient mode the engine should reject exactly these rows and account
    every other one.
    """
    names = list(CORRUPTIONS) if corruptions is None else list(corruptions)
    if not row_options.get("months", True):
        names = [n for n in names if CORRUPTIONS[n][0] != "month"]
    if not names:
        raise ValueError("no corruption left to apply")

    tables = st.lists(activity_rows(**row_options), min_size=min_rows, max_size=max_rows,
                      unique_by=(duplicate_key, lambda row: row["quantity"]))

    @st.composite
    def build(draw: Callable) -> tuple[pd.DataFrame, frozenset[int]]:
        rows = [dict(row) for row in draw(tables)]
        bad = draw(st.sets(st.integers(0, len(rows) - 1), min_size=min(min_bad, len(rows)),
                           max_size=len(rows)))
        for position in sorted(bad):
            column, replacement = CORRUPTIONS[draw(st.sampled_from(names))]
            row = rows[position]
            row[column] = replacement(row) if callable(replacement) else replacement
        frame = pd.DataFrame.from_records(rows).astype(object)
        frame = frame.where(frame.notna(), None)
        return frame, frozenset(bad)

    return build()


def has_duplicates(frame: pd.DataFrame) -> bool:
    """True when a row of ``frame`` duplicates an earlier one (DESIGN.md "Bad input").

    Use it to ``assume`` away duplicates after changing a drawn table (splitting rows,
    changing units), since strict mode rightly rejects them.
    """
    columns = [c for c in ("facility", "year", "month", "activity", "unit", "instrument",
                           "quantity") if c in frame.columns]
    return bool(frame[columns].astype(object).where(frame[columns].notna(), np.nan)
                .duplicated().any())
