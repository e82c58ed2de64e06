"""The same activities under two factor profiles, side by side.

A park in the Greater Bay Area may have to show the mainland method (``cn``: China guideline
combustion factors, CO2 only) next to an international one (``ipcc2006``: IPCC Tier 1 with CH4
and N2O), or a Hong Kong profile whose utility factors the user supplies. Profiles are data
(``factors/profiles.toml``): any profile the library lists can be compared, with no code.

Each table gives the figure under both profiles (columns named after them), ``difference``
(second minus first) and ``relative`` (difference over the first) [fraction]. Figures are
territorial (Scope 1 + 2, transfers netted), so the rows of a year add up to the park total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..accounting import account
from ..errors import ParameterError
from ..inventory import Inventory
from .territory import COUNTED_SCOPES, Territory

__all__ = ["ProfileComparison", "compare_inventories", "compare_profiles"]


@dataclass
class ProfileComparison:
    """Two inventories of the same activities, compared.

    Attributes
    ----------
    labels : tuple of str
        Column names of the two sides (the profile names, or profile/GWP when both profiles
        are the same).
    park : DataFrame
        Per year and indicator (``scope1``, ``scope2_location``, ``total``, ``total_market``
        [t CO2e], ``energy_tce`` [tce]).
    by_activity, by_facility, by_gas : DataFrame
        Per year and activity (with its scope; Scope 3 rows are not in the park total),
        facility, or gas [t CO2e].
    factors : DataFrame
        Per activity and parameter, the factor rows each side used (``factor_id``s).
    """

    labels: tuple[str, str]
    park: pd.DataFrame
    by_activity: pd.DataFrame
    by_facility: pd.DataFrame
    by_gas: pd.DataFrame
    factors: pd.DataFrame


def _labels(a: Inventory, b: Inventory) -> tuple[str, str]:
    if a.profile != b.profile:
        return a.profile, b.profile
    if a.gwp != b.gwp:
        return f"{a.profile}_{a.gwp}", f"{b.profile}_{b.gwp}"
    return f"{a.profile}_1", f"{b.profile}_2"


def _side_by_side(a: pd.Series, b: pd.Series, labels: tuple[str, str]) -> pd.DataFrame:
    out = pd.concat([a.rename(labels[0]), b.rename(labels[1])], axis=1)
    # A group one profile has and the other has not is a real difference of 0 vs x only when
    # the row exists on both sides; otherwise it stays missing.
    out["difference"] = out[labels[1]] - out[labels[0]]
    out["relative"] = out["difference"] / out[labels[0]].where(out[labels[0]] != 0)
    return out.reset_index()


def _park(territory: Territory) -> pd.DataFrame:
    facts, energy = territory.netted()
    counted = facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
    scope = counted.groupby(["year", "scope"])[["co2e", "co2e_market"]].sum()
    rows = {}
    for year in territory.years:
        s1 = float(scope["co2e"].get((year, 1), 0.0))
        s2 = float(scope["co2e"].get((year, 2), 0.0))
        s2m = float(scope["co2e_market"].get((year, 2), 0.0))
        tce = float(energy.loc[energy["year"] == year, "tce"].sum())
        rows[year] = {"scope1": s1, "scope2_location": s2, "total": s1 + s2,
                      "total_market": s1 + s2m, "energy_tce": tce}
    frame = pd.DataFrame(rows).T.rename_axis("year")
    return frame.stack().rename_axis(["year", "indicator"])


def _factor_ids(inventory: Inventory) -> pd.Series:
    used = inventory.factors_used()
    if used.empty:
        return pd.Series(dtype=object)
    return used.groupby(["activity", "parameter"])["factor_id"].agg(
        lambda ids: "; ".join(sorted(set(ids))))


def compare_inventories(first: Inventory, second: Inventory) -> ProfileComparison:
    """Compare two inventories of the same activities (e.g. two profiles or GWP sets)."""
    for name, value in (("first", first), ("second", second)):
        if not isinstance(value, Inventory):
            raise ParameterError(name, "compare_inventories", "a carbon.Inventory",
                                 type(value).__name__)
    labels = _labels(first, second)
    ta, tb = Territory(first), Territory(second)
    fa, fb = ta.netted()[0], tb.netted()[0]
    park = _side_by_side(_park(ta), _park(tb), labels)

    def grouped(facts: pd.DataFrame, keys: list[str], counted: bool = True) -> pd.Series:
        if counted:
            facts = facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
        return facts.groupby(keys)["co2e"].sum()

    by_activity = _side_by_side(grouped(fa, ["year", "scope", "activity"], counted=False),
                                grouped(fb, ["year", "scope", "activity"], counted=False),
                                labels)
    by_facility = _side_by_side(grouped(fa, ["year", "facility"]),
                                grouped(fb, ["year", "facility"]), labels)
    by_gas = _side_by_side(grouped(fa, ["year", "gas"]), grouped(fb, ["year", "gas"]), labels)
    # A gas one profile counts and the other does not: 0 t under the other, not missing.
    by_gas[list(labels)] = by_gas[list(labels)].fillna(0.0)
    by_gas["difference"] = by_gas[labels[1]] - by_gas[labels[0]]
    by_gas["relative"] = by_gas["difference"] / by_gas[labels[0]].where(by_gas[labels[0]] != 0)
    by_gas = by_gas.sort_values(["year", "gas"], ignore_index=True)
    factors = pd.concat([_factor_ids(first).rename(labels[0]),
                         _factor_ids(second).rename(labels[1])], axis=1).reset_index()
    factors["same"] = (factors[labels[0]] == factors[labels[1]]).to_numpy(dtype=bool)
    by_activity, by_facility = (_largest_first(t) for t in (by_activity, by_facility))
    return ProfileComparison(labels, park, by_activity, by_facility, by_gas, factors)


def _largest_first(table: pd.DataFrame) -> pd.DataFrame:
    """Per year, the largest differences (either sign) first."""
    return table.sort_values(["year", "difference"], ignore_index=True,
                             key=lambda s: s if s.name == "year" else -np.abs(s))


def compare_profiles(activities, profiles: tuple[str, str] = ("cn", "ipcc2006"), *,
                     facilities=None, transfers=None, factors=None, gwp: str = "AR5",
                     strict: bool = True) -> ProfileComparison:
    """Account ``activities`` under two profiles and compare them.

    Parameters
    ----------
    activities, facilities, transfers, factors, gwp, strict
        As for :func:`carbon.account`.
    profiles : pair of str
        Profile names of ``factors/profiles.toml`` (default: ``('cn', 'ipcc2006')``).
    """
    if isinstance(profiles, str) or len(tuple(profiles)) != 2:
        raise ParameterError("profiles", "compare_profiles", "a pair of profile names",
                             profiles)
    first, second = (account(activities, facilities=facilities, transfers=transfers,
                             factors=factors, profile=p, gwp=gwp, strict=strict)
                     for p in profiles)
    return compare_inventories(first, second)
