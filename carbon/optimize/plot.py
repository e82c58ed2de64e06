"""Charts of cost curves and least-cost pathways (matplotlib object API, Agg canvas, no
rcParams changes)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..scenario.plot import _axes, _font, _legend, _title, _tonnes

__all__ = ["plot_macc", "plot_pathway"]


def _spaced(v, _=None) -> str:
    return f"{v:,.0f}".replace(",", " ")


def plot_macc(curve, ax=None) -> Figure:
    """Bars as wide as each measure's abatement and as high as its cost per tonne, cheapest
    first (the marginal abatement cost curve)."""
    figure, ax = _axes(ax, (10, 5.5))
    table = curve.table
    finite = table[np.isfinite(table["cost_per_t"]) & (table["abatement"] > 0)]
    colours = ["tab:green" if c < 0 else "tab:orange" for c in finite["cost_per_t"]]
    ax.bar(finite["x_start"], finite["cost_per_t"], width=finite["abatement"], align="edge",
           color=colours, edgecolor="white", linewidth=1)
    span = float(max(finite["cost_per_t"].abs().max(), 1.0)) if len(finite) else 1.0
    for r in finite.itertuples():
        y = r.cost_per_t + (0.02 * span if r.cost_per_t >= 0 else -0.02 * span)
        ax.text(r.x_start + r.abatement / 2, y, f"{r.measure}\n{_spaced(r.cost_per_t)}",
                ha="center", va="bottom" if r.cost_per_t >= 0 else "top", fontsize=8,
                rotation=90 if r.abatement < 0.06 * max(table["x_end"].max(), 1) else 0,
                **_font(r.measure))
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylim(min(0, finite["cost_per_t"].min() if len(finite) else 0) - 0.25 * span,
                max(0, finite["cost_per_t"].max() if len(finite) else 0) + 0.45 * span)
    ax.xaxis.set_major_formatter(FuncFormatter(_spaced))
    ax.yaxis.set_major_formatter(FuncFormatter(_spaced))
    ax.set_xlabel(f"{curve.basis} ({curve.width_unit})")
    ax.set_ylabel(f"levelised cost ({curve.currency} / t CO2e)")
    ax.grid(True, axis="y", alpha=0.3)
    _title(ax, f"Marginal abatement cost curve: {curve.title}")
    return figure


def plot_pathway(result, pathway, ax=None) -> Figure:
    """The least-cost pathway's emissions (engine re-run at the chosen levels) against the
    baseline and the scenario as written [t CO2e]."""
    figure, ax = _axes(ax)
    years = result.years
    ax.plot(years, result.baseline, color="0.45", linestyle="--", label="baseline")
    ax.plot(years, result.scenario, color="tab:green", alpha=0.6, label="scenario as written")
    if pathway.emissions is not None:
        cost = pathway.cost
        label = "least-cost pathway" + (f" ({_spaced(cost / 1e6)} M {pathway.currency})"
                                        if cost is not None and math.isfinite(cost) else "")
        ax.plot(years, pathway.emissions, color="tab:blue", linewidth=2, label=label)
    for cap in pathway.cap_points:
        ax.plot([cap[0]], [cap[1]], "v", color="tab:red")
    _tonnes(ax)
    _legend(ax)
    _title(ax, f"{result.title}: least-cost pathway ({pathway.status})")
    return figure
