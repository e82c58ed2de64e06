"""Resolve each distinct (activity, unit dimension, region, year, instrument) to coefficients.

The accounting core calls :meth:`Resolver.coefficients` once per distinct combination, never per
row. A coefficient is in t of gas (and tce) per canonical activity unit; when a factor is per
energy and the activity is in mass or volume (or the reverse), the activity's ``ncv`` makes the
chain, and the dimensions decide which ``ncv`` fits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .errors import (
    AmbiguousFactorError,
    InputError,
    MissingFactorError,
    Problem,
    UnitMismatchError,
)
from .factors import NON_GAS_PARAMETERS, USER_SET, Factor, Library, Profile, build_index
from .units import CANONICAL_UNITS, registry

__all__ = ["GREEN_INSTRUMENTS", "SCOPE2_CATEGORIES", "Coefficients", "GasCoefficient", "Resolver"]

#: Contractual instruments that make market-based Scope 2 zero (DESIGN.md, input tables).
GREEN_INSTRUMENTS = ("green_certificate", "green_power")
SCOPE2_CATEGORIES = ("purchased_electricity", "purchased_heat")
EXAMPLE_UNITS = {"mass": "t, kg, 万t", "volume": "10^4 Nm3, 万Nm3, Nm3, m3",
                 "energy": "GJ, MWh, 万kWh, tce", "freight": "t*km", "area": "m2"}


@dataclass(frozen=True)
class GasCoefficient:
    gas: str
    location: float  # t gas per canonical activity unit, location-based
    market: float  # the same, market-based (equal to location outside Scope 2)
    factor_id: str  # factor rows used, joined by " x "; market ones after " | market: "


@dataclass(frozen=True)
class Coefficients:
    scope: int
    category: str
    carrier: str  # energy carrier ('' for process, fugitive and embodied activities)
    gases: tuple[GasCoefficient, ...]
    tce: float  # t of standard coal per canonical activity unit (0 for non-energy activities)
    tce_factor_id: str


@dataclass(frozen=True)
class Fallback:
    activity: str
    parameter: str
    region: str
    year: int
    used_region: str
    used_year: int | None
    factor_id: str

    @property
    def reason(self) -> str:
        parts = []
        if self.used_region != self.region:
            parts.append("no region given, national factor used" if not self.region
                         else f"no {self.region} factor, {self.used_region} used")
        if self.used_year is not None and self.used_year != self.year:
            parts.append(f"no {self.year} factor, {self.used_year} used")
        return "; ".join(parts)


class _NoChain(Exception):
    """A factor found, but no ncv links its unit to the activity's (internal)."""

    def __init__(self, factor: Factor):
        super().__init__(factor.factor_id)
        self.factor = factor


class Resolver:
    """Factor resolution for one profile, with the user's rows on top."""

    def __init__(self, lib: Library, profile: Profile, user_rows: list[Factor] = ()):
        self.lib, self.profile = lib, profile
        self.index = {**lib.index, **build_index(list(user_rows))}
        self.parameters: dict[tuple[str, str], set[str]] = defaultdict(set)
        for set_name, activity, parameter in self.index:
            self.parameters[(set_name, activity)].add(parameter)
        self.user_meta = {f.activity: f for f in user_rows if f.scope is not None}
        # Plain dicts: looked up once per combination and gas, never through DataFrame.loc.
        self._meta = lib.activities[["scope", "category", "carrier"]].to_dict("index")
        self.fallbacks: set[Fallback] = set()
        # Each distinct combination is resolved once per run, whatever the number of
        # partitions that meet it: the coefficients, or the InputError to raise again.
        self._resolved: dict[tuple, Coefficients | InputError] = {}
        self._gj_per_tce = float(registry().Quantity(1, "tce").to("GJ").magnitude)

    # -- finding one factor ------------------------------------------------------------------
    def find(self, activity: str, parameter: str, region: str | None, year: int,
             sets: tuple[str, ...], denominators: set[str] | None = None) -> Factor | None:
        """The factor row DESIGN.md's resolution rule picks, or None."""
        chain = self.lib.region_chain(region)
        for set_name in sets:
            candidates = self.index.get((set_name, activity, parameter), ())
            if denominators is not None:
                candidates = [f for f in candidates if f.denominator in denominators]
            for place in chain:
                here = [f for f in candidates if f.region == place]
                if not here:
                    continue
                dated = [f for f in here if f.year is not None and f.year <= year]
                if dated:
                    latest = max(f.year for f in dated)
                    picked = [f for f in dated if f.year == latest]
                else:
                    picked = [f for f in here if f.year is None]
                if not picked:
                    continue  # only later years here: a wider region may have this year
                if len(picked) > 1:
                    raise AmbiguousFactorError([Problem(
                        "ambiguous_factor", f"two equally specific {parameter} factors for "
                        f"{activity} ({place or 'no region'}, {year}): "
                        + ", ".join(f.factor_id for f in picked), column="activity",
                        value=activity,
                        accepted="one row per activity, parameter, region and year")])
                chosen = picked[0]
                if (chosen.region != (region or "") and chosen.region) or (
                        chosen.year is not None and chosen.year != year):
                    self.fallbacks.add(Fallback(activity, parameter, region or "", year,
                                                chosen.region, chosen.year, chosen.factor_id))
                return chosen
        return None

    def _sets(self, market: bool) -> tuple[str, ...]:
        return (USER_SET, *(self.profile.market_sets if market else ()), *self.profile.sets)

    # -- metadata ----------------------------------------------------------------------------
    def scope_category(self, activity: str) -> tuple[int, str]:
        if activity in self.user_meta:
            row = self.user_meta[activity]
            return int(row.scope), row.category or "other"
        meta = self._meta[activity]
        return int(meta["scope"]), meta["category"]

    def carrier(self, activity: str) -> str:
        return self._meta[activity]["carrier"] if activity in self._meta else ""

    def gases(self, activity: str, category: str) -> list[str]:
        """Gases counted for an activity: the profile's, plus any the user gives."""
        counted = list(self.profile.gases.get(category, ("*",)))
        if "*" in counted:
            counted = []
            for set_name in self._sets(market=False)[1:]:
                found = sorted(p for p in self.parameters.get((set_name, activity), ())
                               if p not in NON_GAS_PARAMETERS)
                if found:
                    counted = found
                    break
        user = sorted(p for p in self.parameters.get((USER_SET, activity), ())
                      if p not in NON_GAS_PARAMETERS)
        return counted + [g for g in user if g not in counted]

    # -- coefficients ------------------------------------------------------------------------
    def coefficients(self, activity: str, dimension: str, region: str | None, year: int,
                     instrument: str = "") -> Coefficients:
        """Coefficients per canonical unit of ``dimension``; raises an InputError subclass."""
        key = (activity, dimension, region, year, instrument)
        found = self._resolved.get(key)
        if found is None:
            try:
                found = self._coefficients(*key)
            except InputError as exc:
                found = exc
            self._resolved[key] = found
        if isinstance(found, InputError):
            raise found.with_traceback(None)
        return found

    def _coefficients(self, activity: str, dimension: str, region: str | None, year: int,
                      instrument: str) -> Coefficients:
        scope, category = self.scope_category(activity)
        gases = self.gases(activity, category)
        if not gases:
            raise self._missing(activity, "any gas", region, year)
        scope2 = category in SCOPE2_CATEGORIES
        out = []
        for gas in gases:
            try:
                location, ids = self._gas(activity, gas, dimension, region, year, market=False)
                if scope2 and instrument in GREEN_INSTRUMENTS:
                    market, market_ids = 0.0, f"instrument:{instrument}"
                elif scope2:
                    market, market_ids = self._gas(activity, gas, dimension, region, year,
                                                   market=True)
                else:
                    market, market_ids = location, ""
            except _NoChain as missing_link:
                raise self._mismatch(activity, dimension, missing_link.factor, region,
                                     year) from None
            factor_ids = ids + (f" | market: {market_ids}" if market_ids and market_ids != ids
                                else "")
            out.append(GasCoefficient(gas, location, market, factor_ids))
        tce, tce_id = self._tce(activity, dimension, region, year)
        return Coefficients(scope, category, self.carrier(activity), tuple(out), tce, tce_id)

    def _gas(self, activity: str, gas: str, dimension: str, region: str | None, year: int,
             market: bool) -> tuple[float, str]:
        sets = self._sets(market)
        factor = self.find(activity, gas, region, year, sets)
        if factor is None:
            raise self._missing(activity, gas, region, year)
        if factor.denominator == dimension:
            return factor.canonical, factor.factor_id
        plain = self._sets(market=False)
        if factor.denominator == "energy":
            ncv = self.find(activity, "ncv", region, year, plain, {dimension})
            if ncv is not None:
                return factor.canonical * ncv.canonical, f"{factor.factor_id} x {ncv.factor_id}"
        elif dimension == "energy":
            ncv = self.find(activity, "ncv", region, year, plain, {factor.denominator})
            if ncv is not None:
                return factor.canonical / ncv.canonical, f"{factor.factor_id} / {ncv.factor_id}"
        raise _NoChain(factor)

    def _tce(self, activity: str, dimension: str, region: str | None, year: int
             ) -> tuple[float, str]:
        if not self.carrier(activity):
            return 0.0, ""  # not an energy carrier: zero energy is "not occurring", not missing
        plain = self._sets(market=False)
        for parameter in ("tce", "ncv"):
            found = self.find(activity, parameter, region, year, plain, {dimension})
            if found is not None:
                return found.canonical / self._gj_per_tce, found.factor_id
        if dimension == "energy":
            return 1.0 / self._gj_per_tce, "unit:energy"
        raise self._missing(activity, "tce or ncv", region, year)

    # -- errors ------------------------------------------------------------------------------
    def accepted_dimensions(self, activity: str, gas: str, region: str | None, year: int
                            ) -> list[str]:
        accepted = []
        for dimension in CANONICAL_UNITS:
            try:
                self._gas(activity, gas, dimension, region, year, market=False)
            except (_NoChain, MissingFactorError):
                continue
            accepted.append(dimension)
        return accepted

    def _mismatch(self, activity, dimension, factor, region, year) -> UnitMismatchError:
        accepted = self.accepted_dimensions(activity, factor.parameter, region, year)
        return UnitMismatchError([Problem(
            "unit", f"a unit of {dimension} does not fit activity {activity!r} (its "
            f"{factor.parameter} factor {factor.factor_id} is per {factor.denominator})",
            column="unit", accepted="; ".join(f"{d} ({EXAMPLE_UNITS[d]})" for d in accepted)
            or "none: add an ncv for this activity")])

    def _missing(self, activity, parameter, region, year) -> MissingFactorError:
        chain = " > ".join(r or "no region" for r in self.lib.region_chain(region))
        known = sorted({a for (_, a, p) in self.index if p == parameter} or
                       {a for (_, a, _) in self.index})
        return MissingFactorError([Problem(
            "missing_factor", f"no {parameter} factor for activity {activity!r} in profile "
            f"{self.profile.name!r} for year {year} or earlier (regions tried: {chain})",
            column="activity", value=activity,
            accepted=f"activities with this factor near it: {self.lib.suggest(activity, known)}; "
            "or add a row to a user factor table")])
