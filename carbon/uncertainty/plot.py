"""Charts of uncertainty results (matplotlib object API, Agg canvas, no rcParams changes).

Every function draws on ``ax`` when given, else on a new figure, and returns the figure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from ..scenario.plot import _axes, _legend, _title, _tonnes

__all__ = ["plot_contributions", "plot_distribution", "plot_fan", "save_uncertainty_charts"]


def _spaced(v, _=None) -> str:
    return f"{v:,.0f}".replace(",", " ")


def plot_contributions(result, top: int = 10, ax=None) -> Figure:
    """Share of the park total's variance per source (Approach 1), largest first."""
    figure, ax = _axes(ax, (10, 0.45 * top + 1.5))
    shares = result.contributions.head(top).iloc[::-1]
    labels = [s if len(s) <= 60 else "..." + s[-57:] for s in shares["source"]]
    colours = ["tab:blue" if k == "factor" else "tab:orange" for k in shares["kind"]]
    ax.barh(labels, shares["share"], color=colours)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of the park total's variance (Approach 1)")
    ax.legend(handles=[Patch(color="tab:blue", label="factor row"),
                       Patch(color="tab:orange", label="activity data")], loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    _title(ax, f"What drives the uncertainty of the park total, {result.year}")
    return figure


def plot_distribution(result, ax=None) -> Figure:
    """Monte Carlo: histogram of the park total with its mean and 95 % interval [t CO2e]."""
    figure, ax = _axes(ax)
    draws = result.park_draws["total"]
    park = result.park()["total"]
    ax.hist(draws, bins=60, color="tab:blue", alpha=0.6)
    ax.axvline(park["estimate"], color="black", label=f"inventory {_spaced(park['estimate'])}")
    for key, name in (("lower", "2.5 %"), ("upper", "97.5 %")):
        ax.axvline(park[key], color="tab:red", linestyle="--",
                   label=f"{name} {_spaced(park[key])}")
    ax.xaxis.set_major_formatter(FuncFormatter(_spaced))
    ax.set_xlabel("park total, Scope 1 + 2 (t CO2e)")
    ax.set_ylabel("draws")
    ax.grid(True, alpha=0.3)
    _legend(ax)
    _title(ax, f"Park total {result.year}: {len(draws)} draws, U = "
           f"+-{park['u_percent']:.1f} %")
    return figure


def plot_fan(result, ax=None) -> Figure:
    """Scenario Monte Carlo: percentile bands of the trajectory, the median and the file's
    own (deterministic) scenario [t CO2e]."""
    figure, ax = _axes(ax)
    years = result.years
    fan = result.fan
    shades = [(2.5, 97.5, 0.15), (5.0, 95.0, 0.2), (25.0, 75.0, 0.3)]
    for low, high, alpha in shades:
        if low in fan and high in fan:
            ax.fill_between(years, fan[low], fan[high], color="tab:green", alpha=alpha,
                            linewidth=0, label=f"{low:g}-{high:g} %")
    if 50.0 in fan:
        ax.plot(years, fan[50.0], color="tab:green", linewidth=2, label="median")
    ax.plot(years, result.nominal, color="black", linestyle="--", linewidth=1,
            label="scenario as written")
    peak_by = result.targets.get("peak", {}).get("by") if result.targets.get("peak") else None
    if peak_by is not None:
        ax.axvline(peak_by, color="tab:red", linestyle=":",
                   label=f"peak by {peak_by}: P = {result.targets['peak']['probability']:.0%}")
    _tonnes(ax)
    _legend(ax, loc="best")
    _title(ax, f"{result.title}: {result.draws} draws")
    return figure


def save_uncertainty_charts(result, folder: Path) -> list[Path]:
    """The PNGs of an inventory uncertainty result: contributions, and the Monte Carlo
    histogram."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    charts = [("contributions.png", plot_contributions)]
    if result.park_draws is not None and np.isfinite(result.park_draws["total"]).all():
        charts.append(("park_total.png", plot_distribution))
    for name, draw in charts:
        path = folder / name
        draw(result).savefig(path, dpi=120)
        written.append(path)
    return written
