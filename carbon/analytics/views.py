"""Breakdowns of the park: by sector, facility, carrier, scope, gas and month; the energy ->
emissions flow; the top emitters.

Every view is a long ("tidy") table of the territorial inventory
(:class:`~carbon.analytics.territory.Territory`), so the rows of a year add up to the park
total of that year (Scope 1 + 2, transfers netted) and ``netted`` shows what intra-park
purchases took out. Missing is not zero: a facility (or sector, month...) with no record in a
year has no row that year, and a sum over nothing is missing; inside a group that has records,
a scope or carrier without rows is "not occurring", 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .territory import COUNTED_SCOPES, Territory
from .value_added import NO_SECTOR

__all__ = ["by_carrier", "by_facility", "by_gas", "by_month", "by_scope", "by_sector", "flow",
           "top_emitters"]

_SCOPE_COLUMNS = {1: "scope1", 2: "scope2_location", 3: "scope3"}


def _sectors(frame: pd.DataFrame) -> pd.DataFrame:
    if "sector" in frame.columns:
        frame = frame.assign(sector=frame["sector"].astype(object).replace("", NO_SECTOR))
    return frame


def _scoped(territory: Territory, keys: list[str]) -> pd.DataFrame:
    """Emissions by ``keys`` and scope, with energy, for the groups that have records."""
    facts, energy = territory.netted()
    facts, energy = _sectors(facts), _sectors(energy)
    sums = facts.groupby([*keys, "scope"])[["co2e", "co2e_market", "co2e_netted"]].sum()
    location = sums["co2e"].unstack("scope")
    market = sums["co2e_market"].unstack("scope")
    out = pd.DataFrame(index=location.index)
    for scope, column in _SCOPE_COLUMNS.items():
        out[column] = location[scope] if scope in location else np.nan
    out["scope2_market"] = market[2] if 2 in market else np.nan
    counted = sums["co2e_netted"].unstack("scope").reindex(columns=list(COUNTED_SCOPES))
    out["netted"] = counted.sum(axis=1, min_count=1)
    energy_sums = energy.groupby(keys)[["tce", "tce_equal_value", "tce_netted"]].sum()
    out = out.join(energy_sums.rename(columns={"tce": "energy_tce",
                                               "tce_equal_value": "energy_tce_equal_value",
                                               "tce_netted": "energy_tce_netted"}), how="outer")
    # The group has records: a scope or carrier it has no rows of does not occur there.
    out = out.fillna(0.0)
    out["total"] = out["scope1"] + out["scope2_location"]
    out["total_market"] = out["scope1"] + out["scope2_market"]
    return out.reset_index()


def _share(frame: pd.DataFrame, column: str = "total") -> pd.Series:
    park = frame.groupby("year")[column].transform(lambda s: s.sum(min_count=1))
    return frame[column] / park.where(park != 0)


_ORDER = ["scope1", "scope2_location", "scope2_market", "scope3", "total", "total_market",
          "netted", "energy_tce", "energy_tce_equal_value", "energy_tce_netted", "share"]


def by_sector(territory: Territory) -> pd.DataFrame:
    """Per sector and year [t CO2e, tce]: scopes, totals (territorial), netted, energy, share.

    ``share`` is the sector's part of the park total of the year [fraction].
    """
    out = _scoped(territory, ["sector", "year"])
    out["share"] = _share(out)
    return out[["sector", "year", *_ORDER]].sort_values(["year", "total"],
                                                        ascending=[True, False],
                                                        ignore_index=True)


def by_facility(territory: Territory) -> pd.DataFrame:
    """Per facility and year [t CO2e, tce]; ``total`` is the facility's contribution to the park
    total (its enterprise total minus what it bought inside the park), ``enterprise_total``
    its own Scope 1 + 2 as enterprise accounting reports it."""
    out = _scoped(territory, ["facility", "sector", "year"])
    out["enterprise_total"] = out["total"] + out["netted"]
    out["share"] = _share(out)
    out["rank"] = out.groupby("year")["total"].rank(ascending=False, method="min").astype(int)
    return out[["facility", "sector", "year", "rank", *_ORDER, "enterprise_total"]].sort_values(
        ["year", "rank", "facility"], ignore_index=True)


def _label_sources(frame: pd.DataFrame) -> pd.Series:
    """The carrier of energy rows; 'non-energy: <category>' for process and fugitive rows."""
    carrier = frame["carrier"].astype(object)
    return carrier.where(carrier != "", "non-energy: " + frame["category"].astype(object))


def by_carrier(territory: Territory) -> pd.DataFrame:
    """Per energy carrier and year: ``tce``, ``tce_equal_value``, ``tce_netted`` [tce] and
    Scope 1 + 2 ``co2e``, ``co2e_market``, ``co2e_netted`` [t CO2e]; process and fugitive
    emissions appear as 'non-energy: <category>' rows."""
    facts, energy = territory.netted()
    facts = facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
    facts = facts.assign(carrier=_label_sources(facts))
    emissions = facts.groupby(["year", "carrier"])[["co2e", "co2e_market", "co2e_netted"]].sum()
    energy_sums = energy.groupby(["year", "carrier"])[
        ["tce", "tce_equal_value", "tce_netted"]].sum()
    out = energy_sums.join(emissions, how="outer").fillna(0.0).reset_index()
    out["share"] = _share(out, "co2e")
    return out.sort_values(["year", "co2e"], ascending=[True, False], ignore_index=True)


def by_scope(territory: Territory) -> pd.DataFrame:
    """Per scope and year [t CO2e], location and market based, transfers netted; ``in_total``
    says whether the scope counts in the park total (Scope 3 is reported apart)."""
    facts, _ = territory.netted()
    out = facts.groupby(["year", "scope"])[["co2e", "co2e_market", "co2e_netted"]].sum()
    out = out.reset_index()
    out["in_total"] = out["scope"].isin(COUNTED_SCOPES)
    out["share"] = out["co2e"] / out.groupby("year")["co2e"].transform(
        lambda s: s[out.loc[s.index, "in_total"]].sum(min_count=1))
    out.loc[~out["in_total"], "share"] = np.nan
    return out


def by_gas(territory: Territory) -> pd.DataFrame:
    """Per gas and year, Scope 1 + 2 netted: ``emissions`` [t of the gas], ``co2e`` [t CO2e]."""
    facts, _ = territory.netted()
    facts = facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
    out = facts.groupby(["year", "gas"])[["emissions", "co2e"]].sum().reset_index()
    out["share"] = _share(out, "co2e")
    return out.sort_values(["year", "co2e"], ascending=[True, False], ignore_index=True)


def by_month(territory: Territory) -> pd.DataFrame:
    """Per year and month: Scope 1 + 2 ``co2e``, ``co2e_market`` [t CO2e] and ``energy_tce``
    [tce], netted. Month 0 holds records given for a whole year (no month)."""
    facts, energy = territory.netted()
    facts = facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
    emissions = facts.groupby(["year", "month"])[["co2e", "co2e_market"]].sum()
    tce = energy.groupby(["year", "month"])[["tce"]].sum().rename(columns={"tce": "energy_tce"})
    return emissions.join(tce, how="outer").fillna(0.0).reset_index()


def flow(territory: Territory) -> pd.DataFrame:
    """The energy -> emissions flow: per year, carrier and sector, ``tce``,
    ``tce_equal_value`` [tce] and Scope 1 + 2 ``co2e`` [t CO2e], netted (a Sankey's links)."""
    facts, energy = territory.netted()
    facts = _sectors(facts[facts["scope"].isin(COUNTED_SCOPES).to_numpy()])
    facts = facts.assign(carrier=_label_sources(facts))
    energy = _sectors(energy)
    keys = ["year", "carrier", "sector"]
    emissions = facts.groupby(keys)[["co2e"]].sum()
    energy_sums = energy.groupby(keys)[["tce", "tce_equal_value"]].sum()
    out = energy_sums.join(emissions, how="outer").fillna(0.0).reset_index()
    return out.sort_values(keys, ignore_index=True)


def top_emitters(territory: Territory, n: int = 10, year: int | None = None) -> pd.DataFrame:
    """The ``n`` largest contributors to the park total in ``year`` (default: the latest),
    with their ``share`` and ``cumulative_share`` of the park [fraction]."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError("n", "top_emitters", "a whole number >= 1", n)
    table = by_facility(territory)
    if year is None:
        year = max(territory.years) if territory.years else None
    if year not in territory.years:
        raise ParameterError("year", "top_emitters", f"a year of the inventory "
                             f"{list(territory.years)}", year)
    table = table[table["year"] == year].sort_values("total", ascending=False).head(n)
    table = table[["rank", "facility", "sector", "year", "total", "enterprise_total", "share"]]
    table = table.assign(cumulative_share=table["share"].cumsum())
    return table.reset_index(drop=True)
