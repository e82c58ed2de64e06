"""Benchmarking facilities within their sector, and green-factory candidates.

Facilities are compared on their own footprint, as enterprise accounting reports it: Scope 1
+ Scope 2 (location-based, including what they bought from neighbours) and energy use in tce,
per unit of value added [10⁴ CNY] and per unit of output. Per-output intensities are compared
only between facilities of one sector whose outputs have the same unit.

For each metric and facility: ``rank`` (1 = lowest intensity), ``percentile`` (the share of
its peers whose intensity is lower or equal [%], so the best of four is at 25 %), the
sector's ``best_quartile`` (the 25th percentile of its peers' intensities, linear
interpolation as ``numpy.quantile``), ``distance`` to it [intensity unit] and the ``cut``
[fraction] of the facility's intensity that would reach it. A facility without value added or
output is "not computable" for that metric: it is never ranked as if its intensity were zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .territory import COUNTED_SCOPES, Territory
from .value_added import NO_SECTOR, Denominators

__all__ = ["METRICS", "GreenFactoryRule", "benchmark", "green_factories"]

#: Metric -> (numerator column, denominator column, unit).
METRICS: dict[str, tuple[str, str, str]] = {
    "co2e_per_value_added": ("co2e", "value_added", "t CO2e / 10^4 CNY"),
    "tce_per_value_added": ("energy_tce", "value_added", "tce / 10^4 CNY"),
    "co2e_per_output": ("co2e", "output", "t CO2e / {unit}"),
    "tce_per_output": ("energy_tce", "output", "tce / {unit}"),
}


@dataclass(frozen=True)
class GreenFactoryRule:
    """Which facilities to propose for cultivation as green factories (绿色工厂).

    Parameters
    ----------
    quantile : float
        A facility qualifies on a metric when its intensity is at most this quantile of its
        sector's (0.25: the best quartile).
    metrics : tuple of str
        Metrics it must qualify on (keys of :data:`METRICS`).
    no_growth : bool
        Also require that its absolute emissions (enterprise Scope 1 + 2) did not grow on
        the year before.
    min_peers : int
        Fewest facilities with a computable intensity a sector needs for a quantile to mean
        anything (a quartile needs four).
    """

    quantile: float = 0.25
    metrics: tuple[str, ...] = ("co2e_per_value_added", "tce_per_value_added")
    no_growth: bool = True
    min_peers: int = 4

    def __post_init__(self):
        if isinstance(self.quantile, bool) or not isinstance(self.quantile, (int, float)) or \
                not 0 < self.quantile <= 1:
            raise ParameterError("quantile", "GreenFactoryRule", "a fraction in (0, 1]",
                                 self.quantile)
        metrics = tuple(self.metrics) if not isinstance(self.metrics, str) else (self.metrics,)
        if not metrics or any(m not in METRICS for m in metrics):
            raise ParameterError("metrics", "GreenFactoryRule", f"a tuple of {set(METRICS)}",
                                 self.metrics)
        object.__setattr__(self, "metrics", metrics)
        if isinstance(self.min_peers, bool) or not isinstance(self.min_peers, int) or \
                self.min_peers < 1:
            raise ParameterError("min_peers", "GreenFactoryRule", "a whole number >= 1",
                                 self.min_peers)


def _enterprise(territory: Territory) -> pd.DataFrame:
    """Enterprise Scope 1 + 2 [t CO2e] and energy [tce] per facility and year."""
    facts = territory.facts[territory.facts["scope"].isin(COUNTED_SCOPES).to_numpy()]
    co2e = facts.groupby(["facility", "year"])["co2e"].sum()
    tce = territory.energy.groupby(["facility", "year"])["tce"].sum().rename("energy_tce")
    return pd.concat([co2e, tce], axis=1).fillna(0.0)


def _year(territory: Territory, year: int | None, function: str) -> int:
    if year is None:
        if not territory.years:
            raise ParameterError("year", function, "a year of the inventory (it has none)", year)
        return territory.years[-1]
    if year not in territory.years:
        raise ParameterError("year", function, f"a year of the inventory "
                             f"{list(territory.years)}", year)
    return int(year)


def benchmark(territory: Territory, den: Denominators, year: int | None = None,
              quantile: float = 0.25) -> pd.DataFrame:
    """Facilities ranked within their sector on each metric in ``year`` (default: latest).

    Returns
    -------
    DataFrame
        One row per facility and metric: ``facility``, ``sector``, ``year``, ``metric``,
        ``unit``, ``co2e`` [t CO2e], ``energy_tce`` [tce], ``denominator`` (value added [10⁴
        CNY] or output [unit]), ``value`` [unit], ``peers``, ``rank``, ``percentile`` [%],
        ``best_quartile`` [unit], ``distance`` [unit], ``cut`` [fraction], ``status``.
    """
    year = _year(territory, year, "benchmark")
    enterprise = _enterprise(territory)
    facilities = den.facility[den.facility["year"] == year].set_index("facility")
    facilities = facilities.join(enterprise.xs(year, level="year"), how="left").fillna(
        {"co2e": 0.0, "energy_tce": 0.0})
    parts = []
    for metric, (numerator, denominator, unit) in METRICS.items():
        frame = pd.DataFrame({
            "facility": facilities.index, "sector": facilities["sector"].to_numpy(),
            "year": year, "metric": metric,
            "co2e": facilities["co2e"].to_numpy(),
            "energy_tce": facilities["energy_tce"].to_numpy(),
            "denominator": facilities[denominator].to_numpy(dtype=float)})
        per_output = denominator == "output"
        units = facilities["output_unit"].replace("", "output unit").to_numpy()
        frame["unit"] = [unit.format(unit=u) for u in units] if per_output else unit
        frame["group"] = (frame["sector"] + "|" + facilities["output_group"].to_numpy()
                          if per_output else frame["sector"])
        positive = frame["denominator"].where(frame["denominator"] > 0)
        frame["value"] = facilities[numerator].to_numpy() / positive.to_numpy()
        missing = "no output" if per_output else "no value added"
        frame["status"] = np.where(frame["value"].notna(), "computable",
                                   f"not computable: {missing}")
        parts.append(_rank(frame, quantile))
    out = pd.concat(parts, ignore_index=True).drop(columns="group")
    out["sector"] = out["sector"].replace("", NO_SECTOR)
    order = out["metric"].map({m: i for i, m in enumerate(METRICS)})
    out = out.assign(_order=order).sort_values(["_order", "sector", "rank", "facility"],
                                               na_position="last")
    return out[["facility", "sector", "year", "metric", "unit", "co2e", "energy_tce",
                "denominator", "value", "peers", "rank", "percentile", "best_quartile",
                "distance", "cut", "status"]].reset_index(drop=True)


def _rank(frame: pd.DataFrame, quantile: float) -> pd.DataFrame:
    groups = frame.groupby("group")["value"]
    frame["peers"] = groups.transform("count").astype(int)
    frame["rank"] = groups.rank(method="min").astype("Int64")
    frame["percentile"] = groups.rank(method="max", pct=True) * 100.0
    frame["best_quartile"] = groups.transform(
        lambda s: np.quantile(s.dropna(), quantile) if s.notna().any() else np.nan)
    frame["distance"] = (frame["value"] - frame["best_quartile"]).clip(lower=0.0)
    frame["cut"] = frame["distance"] / frame["value"].where(frame["value"] > 0)
    frame.loc[frame["value"] == 0, "cut"] = 0.0
    return frame


def green_factories(territory: Territory, den: Denominators, year: int | None = None,
                    rule: GreenFactoryRule | None = None,
                    table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Green-factory candidates under ``rule`` in ``year`` (default: latest).

    Returns
    -------
    DataFrame
        One row per facility: ``facility``, ``sector``, ``year``, each metric of the rule and
        its percentile, ``co2e`` [t CO2e], ``co2e_change`` on the year before [fraction],
        ``candidate`` (True, False, or None when a condition cannot be checked and none
        failed) and ``reason``.
    """
    rule = rule or GreenFactoryRule()
    year = _year(territory, year, "green_factories")
    if table is None or rule.quantile != 0.25:
        table = benchmark(territory, den, year, quantile=rule.quantile)
    enterprise = _enterprise(territory)["co2e"]
    rows = []
    for facility, group in table.groupby("facility", sort=True):
        by_metric = group.set_index("metric")
        sector = str(group["sector"].iloc[0])
        row: dict = {"facility": facility, "sector": sector, "year": year}
        failed, unknown, passed = [], [], []
        for metric in rule.metrics:
            m = by_metric.loc[metric]
            row[metric] = m["value"]
            row[f"{metric}_percentile"] = m["percentile"]
            if m["status"] != "computable":
                unknown.append(f"{metric} {m['status']}")
            elif m["peers"] < rule.min_peers:
                unknown.append(f"{metric}: {m['peers']} peer(s) with a computable intensity, "
                               f"fewer than {rule.min_peers}")
            elif m["value"] <= m["best_quartile"] * (1 + 1e-12):
                passed.append(f"{metric} within the sector's best {rule.quantile:.0%}")
            else:
                failed.append(f"{metric} needs a {m['cut']:.1%} cut to reach the sector's "
                              f"best {rule.quantile:.0%}")
        now = float(enterprise.get((facility, year), np.nan))
        before = float(enterprise.get((facility, year - 1), np.nan))
        change = now / before - 1.0 if before > 0 else (0.0 if before == 0 == now else np.nan)
        row["co2e"], row["co2e_change"] = now, change
        if rule.no_growth:
            if np.isnan(change):
                unknown.append(f"emissions growth not computable (no records in {year - 1})")
            elif change > 0:
                failed.append(f"emissions grew {change:+.1%} on {year - 1}")
            else:
                passed.append(f"emissions {change:+.1%} on {year - 1}")
        row["candidate"] = False if failed else (None if unknown else True)
        row["reason"] = "; ".join(failed or unknown or passed)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["candidate"] = out["candidate"].astype(object)
    order = out["candidate"].map({True: 0, None: 1, False: 2})
    return out.assign(_order=order).sort_values(["_order", "sector", "facility"]).drop(
        columns="_order").reset_index(drop=True)
