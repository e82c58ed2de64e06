"""The result of an uncertainty assessment: JSON object, tables and text.

Figures are in t CO2e; ``u_percent`` is half the 95 % interval in percent of the mean
(REFERENCES.md, "Uncertainty"); ``minus_percent`` and ``plus_percent`` are the distances from
the mean to the 2.5th and 97.5th percentiles in percent of the mean (they differ when the
distribution is skewed). Facility figures are the enterprise view (a buyer's Scope 2 holds what
it bought from a neighbour); park figures are territorial, transfers netted, as in
:meth:`carbon.Inventory.summary`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .sources import Sources

__all__ = ["METHODS", "UncertaintyResult"]

METHODS = ("propagation", "monte-carlo")
_LABELS = {"total": "Park total (Scope 1 + 2, transfers netted)", "scope1": "  Scope 1",
           "scope2_location": "  Scope 2, location-based (netted)",
           "scope3": "Scope 3 (reported separately)"}
#: Inputs above this U [%] break Approach 1's small-error assumption (sigma > 30 % of the mean).
APPROACH1_LIMIT = 60.0


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def number(value: float, digits: int = 1) -> str:
    """Thousands separated by spaces (SI style), as the command line prints them."""
    return f"{value:,.{digits}f}".replace(",", " ")


def _figure(row) -> dict:
    mean = row["mean"]
    minus = plus = None
    if mean and math.isfinite(mean):
        minus = (mean - row["lower"]) / abs(mean) * 100.0
        plus = (row["upper"] - mean) / abs(mean) * 100.0
    return {"estimate": _num(row["estimate"]), "mean": _num(mean), "lower": _num(row["lower"]),
            "upper": _num(row["upper"]), "u_percent": _num(row["u_percent"]),
            "minus_percent": _num(minus), "plus_percent": _num(plus)}


@dataclass
class UncertaintyResult:
    """What :func:`carbon.uncertainty.assess` returns.

    Attributes
    ----------
    method : {'propagation', 'monte-carlo'}
    year : int
    table : DataFrame
        ``facility`` ('' for the park), ``quantity`` (scope1, scope2_location, scope3, total),
        ``estimate`` (the inventory's value), ``mean``, ``lower``, ``upper`` [t CO2e],
        ``u_percent`` [%].
    contributions : DataFrame
        Approach 1 share of the park total's variance per factor row and per activity (for
        Monte Carlo too, as a first-order guide to what matters).
    sources : Sources
        Every input's spread and where it comes from.
    park_draws : dict of str to ndarray, optional
        Monte Carlo: the park's draws [t CO2e].
    """

    method: str
    year: int
    table: pd.DataFrame
    contributions: pd.DataFrame
    sources: Sources
    correlated: bool
    gwp: str
    profile: str
    info: dict = field(default_factory=dict)
    park_draws: dict | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def approach(self) -> str:
        if self.method == "propagation":
            return ("IPCC 2006 Vol. 1 Ch. 3, Approach 1 (error propagation)"
                    + ("; factor rows shared by several rows are one error (their covariance "
                       "is propagated)" if self.correlated else "; textbook form, every facility "
                       "and source with independent factor errors"))
        return (f"IPCC 2006 Vol. 1 Ch. 3, Approach 2 (Monte Carlo, {self.info['draws']} draws, "
                f"seed {self.info['seed']})" + ("; one draw per factor row and iteration for "
                                                "the whole park" if self.correlated else
                                                "; factor rows drawn apart for every cell"))

    def park(self) -> dict[str, dict]:
        """The park's figures: total, scope1, scope2_location, scope3."""
        rows = self.table[self.table["facility"] == ""].set_index("quantity")
        return {q: _figure(rows.loc[q]) for q in ("total", "scope1", "scope2_location", "scope3")
                if q in rows.index}

    def by_facility(self) -> pd.DataFrame:
        """Per facility: estimate and U [%] of each scope and of the total (wide)."""
        rows = self.table[self.table["facility"] != ""]
        wide = rows.pivot(index="facility", columns="quantity",
                          values=["estimate", "u_percent"])
        wide.columns = [f"{q}_{v}" if v == "u_percent" else q for v, q in wide.columns]
        order = [c for q in ("total", "scope1", "scope2_location", "scope3")
                 for c in (q, f"{q}_u_percent") if c in wide.columns]
        return wide[order]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables ``--output`` writes."""
        long = self.table.copy()
        long.insert(0, "level", np.where(long["facility"] == "", "park", "facility"))
        out = {"uncertainty": long, "contributions": self.contributions,
               "factors": self.sources.factors.drop(columns=["mu", "sigma"]),
               "activity": self.sources.activity}
        if self.park_draws is not None:
            out["park_draws"] = pd.DataFrame(self.park_draws).rename_axis("draw").reset_index()
        return out

    def to_dict(self, facilities: bool = True) -> dict:
        """The JSON object of ``parkcarbon uncertainty --format json``."""
        by_facility: dict[str, dict] = {}
        if facilities:
            rows = self.table[self.table["facility"] != ""]
            for r in rows.to_dict("records"):
                by_facility.setdefault(str(r["facility"]), {})[r["quantity"]] = _figure(r)
        factors = self.sources.factors
        activity = self.sources.activity
        return {
            "unit": "t CO2e", "year": self.year, "gwp": self.gwp, "profile": self.profile,
            "method": self.method, "approach": self.approach, "interval": 95,
            "u_definition": "half the 95 % interval in % of the mean",
            "correlated": self.correlated, "draws": self.info.get("draws"),
            "seed": self.info.get("seed"),
            "park": self.park(),
            "by_facility": by_facility,
            "contributions": [
                {"source": r.source, "kind": r.kind, "u_percent": _num(r.u),
                 "co2e": _num(r.co2e), "share": _num(r.share)}
                for r in self.contributions.head(20).itertuples()],
            "inputs": {
                "factors": [
                    {"factor_id": r.factor_id, "kind": r.kind, "distribution": r.distribution,
                     "u_percent": _num(r.u), "low": _num(r.low), "high": _num(r.high),
                     "co2e": _num(r.co2e), "source": r.source, "confidence": r.confidence}
                    for r in factors.itertuples()],
                "activity_rows": len(activity),
                "activity_sources": {str(k): int(v) for k, v in
                                     activity["source"].value_counts().items()},
            },
            "run": {k: v for k, v in self.info.items() if k not in ("draws", "seed")},
            "notes": list(self.notes),
        }

    def text(self, top: int = 10) -> str:
        """A readable summary."""
        park = self.park()
        n_fac = self.table.loc[self.table["facility"] != "", "facility"].nunique()
        lines = [f"Inventory uncertainty {self.year}: {n_fac} facilities, profile {self.profile}, "
                 f"GWP {self.gwp} (t CO2e, 95 % interval)", f"Method: {self.approach}", "",
                 f"{'':<44}{'estimate':>14}{'2.5 %':>14}{'97.5 %':>14}{'U (%)':>9}"]
        for q in ("total", "scope1", "scope2_location", "scope3"):
            if q in park:
                f = park[q]
                u = "-" if f["u_percent"] is None else f"{f['u_percent']:.2f}"
                lines.append(f"{_LABELS[q]:<44}{number(f['estimate']):>14}"
                             f"{number(f['lower']):>14}{number(f['upper']):>14}{u:>9}")
        contributions = self.contributions.head(top)
        if len(contributions):
            lines += ["", "Largest shares of the park total's variance (Approach 1):"]
            for r in contributions.itertuples():
                lines.append(f"  {r.share:>6.1%}  U {r.u:>6.1f} %  {r.source}")
        rows = self.table[(self.table["facility"] != "") & (self.table["quantity"] == "total")]
        rows = rows.sort_values("estimate", ascending=False).head(top)
        if len(rows):
            lines += ["", "Facilities, Scope 1 + 2 (enterprise view), largest first:"]
            for r in rows.itertuples():
                u = "-" if not math.isfinite(r.u_percent) else f"{r.u_percent:.2f}"
                lines.append(f"  {r.facility:<30}{number(r.estimate):>14}   +- {u:>6} %")
        if self.notes:
            lines += ["", "Notes:"] + [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def approach1_notes(sources: Sources, contributions: pd.DataFrame) -> list[str]:
    """A warning when inputs too uncertain for Approach 1 carry a material share."""
    wide = contributions[(contributions["u"] > APPROACH1_LIMIT) & (contributions["share"]
                                                                    > 0.01)]
    if not len(wide):
        return []
    names = ", ".join(wide["source"].head(3))
    return [f"inputs with U above {APPROACH1_LIMIT:.0f} % carry {wide['share'].sum():.0%} of "
            f"the variance ({names}): Approach 1 assumes small, symmetric errors; prefer "
            "method='monte-carlo' (IPCC 2006 Vol. 1 Ch. 3)"]
