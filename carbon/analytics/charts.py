"""Charts of a park report (matplotlib object API on an Agg canvas).

No pyplot and no rcParams: every chart is a plain :class:`matplotlib.figure.Figure` with its
own Agg canvas, so a caller's matplotlib state is never touched and no display is needed.
matplotlib is imported when a chart is drawn, so the rest of :mod:`carbon.analytics` works
without it.

- :func:`sector_chart`: emissions by sector and year (stacked bars, territorial, t CO2e);
- :func:`scope_chart`: Scope 1 and Scope 2 per year, Scope 3 beside them;
- :func:`intensity_chart`: carbon and energy intensity per year against the targets' paths;
- :func:`ranking_chart`: facilities' carbon intensity in the latest year, within sectors.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .targets import TargetSet, target_path

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from .park_report import ParkReport

__all__ = ["intensity_chart", "ranking_chart", "scope_chart", "sector_chart", "write_charts"]


def _figure(size: tuple[float, float]):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("charts need matplotlib: pip install matplotlib") from exc
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _thousands(ax, label: str) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", " ")))
    ax.set_ylabel(label)
    ax.grid(True, axis="y", alpha=0.3)


def sector_chart(by_sector: pd.DataFrame) -> Figure:
    """Stacked bars: each sector's contribution to the park total per year [t CO2e]."""
    figure = _figure((9, 5))
    ax = figure.add_subplot()
    table = by_sector.pivot_table(index="year", columns="sector", values="total",
                                  aggfunc="sum").fillna(0.0)
    table = table[table.sum().sort_values(ascending=False).index]
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for sector in table.columns:
        ax.bar(x, table[sector].to_numpy(), bottom=bottom, label=sector)
        bottom += table[sector].to_numpy()
    ax.set_xticks(x, [str(y) for y in table.index])
    _thousands(ax, "t CO2e (Scope 1 + 2, transfers netted)")
    ax.set_title("Emissions by sector")
    handles, labels = ax.get_legend_handles_labels()  # listed top-down, as stacked
    ax.legend(handles[::-1], labels[::-1], fontsize="small", loc="upper left",
              bbox_to_anchor=(1.0, 1.0))
    return figure


def scope_chart(by_scope: pd.DataFrame) -> Figure:
    """Scope 1 + Scope 2 (location-based, netted) stacked per year; Scope 3 beside [t CO2e]."""
    figure = _figure((8, 5))
    ax = figure.add_subplot()
    table = by_scope.pivot_table(index="year", columns="scope", values="co2e",
                                 aggfunc="sum").fillna(0.0)
    x = np.arange(len(table))
    scope1 = table[1].to_numpy() if 1 in table else np.zeros(len(table))
    scope2 = table[2].to_numpy() if 2 in table else np.zeros(len(table))
    has3 = 3 in table and table[3].abs().sum() > 0
    width = 0.4 if has3 else 0.6
    shift = -width / 2 if has3 else 0.0
    ax.bar(x + shift, scope1, width, label="Scope 1")
    ax.bar(x + shift, scope2, width, bottom=scope1, label="Scope 2 (location, netted)")
    if has3:
        ax.bar(x + width / 2, table[3].to_numpy(), width, label="Scope 3 (not in total)",
               hatch="//", alpha=0.6)
    ax.set_xticks(x, [str(y) for y in table.index])
    _thousands(ax, "t CO2e")
    ax.set_title("Scope split")
    ax.legend(fontsize="small")
    return figure


_INTENSITIES = (("co2e_per_value_added", "Carbon intensity", "t CO2e / 10^4 CNY"),
                ("tce_per_value_added", "Energy intensity", "tce / 10^4 CNY"))


def intensity_chart(dual_control: pd.DataFrame, targets: TargetSet | None = None,
                    checks: pd.DataFrame | None = None) -> Figure:
    """Carbon and energy intensity per year, with each change target's path and each cap."""
    figure = _figure((11, 4.5))
    axes = figure.subplots(1, len(_INTENSITIES))
    for ax, (indicator, title, unit) in zip(axes, _INTENSITIES, strict=True):
        rows = dual_control[dual_control["indicator"] == indicator]
        ax.plot(rows["year"], rows["value"], marker="o", label="park")
        for target in (targets.targets if targets else ()):
            if target.indicator != indicator:
                continue
            check = None
            if checks is not None:
                found = checks[(checks["target"] == target.name) &
                               checks["assessed_from"].notna()]
                check = found.iloc[0] if len(found) else None
            if target.kind == "change" and check is not None:
                start = int(check["assessed_from"])
                years = np.arange(start, target.end + 1)
                path = target_path(target, start, float(check["start_value"]), years)
                ax.plot(years, path, linestyle="--", label=f"target: {target.name}")
            elif target.kind in ("cap", "floor"):
                ax.axhline(target.value, linestyle=":", color="grey",
                           label=f"{target.kind}: {target.name}")
        ax.set_title(title)
        ax.set_ylabel(unit)
        ax.set_xlabel("year")
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize="x-small")
    return figure


def ranking_chart(benchmark: pd.DataFrame, metric: str = "co2e_per_value_added") -> Figure:
    """Facilities' intensity in the benchmark year, sorted within sectors, best quartile marked.
    Facilities whose intensity is not computable are left out (named in the title)."""
    rows = benchmark[benchmark["metric"] == metric]
    missing = rows[rows["value"].isna()]["facility"].tolist()
    rows = rows[rows["value"].notna()].sort_values(["sector", "value"], ascending=[True, False])
    figure = _figure((9, max(3.0, 0.22 * len(rows) + 1.5)))
    ax = figure.add_subplot()
    sectors = list(dict.fromkeys(rows["sector"]))
    colours = {s: f"C{i % 10}" for i, s in enumerate(sectors)}
    y = np.arange(len(rows))
    ax.barh(y, rows["value"].to_numpy(), color=[colours[s] for s in rows["sector"]])
    ax.scatter(rows["best_quartile"].to_numpy(), y, marker="|", color="black", s=60,
               label="sector's best quartile", zorder=3)
    ax.set_yticks(y, rows["facility"].tolist(), fontsize="x-small")
    unit = rows["unit"].iloc[0] if len(rows) else ""
    values = rows["value"].to_numpy()
    spread = values[values > 0]
    log = len(spread) == len(values) and len(values) > 1 and spread.max() > 20 * spread.min()
    if log:  # one kiln next to chip designers: a linear axis would hide everyone else
        ax.set_xscale("log")
    ax.set_xlabel(f"{metric} [{unit}]" + (", log scale" if log else ""))
    year = int(rows["year"].iloc[0]) if len(rows) else ""
    title = f"Facility ranking {year}: {metric}"
    if missing:
        title += f" (not computable: {', '.join(missing[:5])}{'…' if len(missing) > 5 else ''})"
    ax.set_title(title, fontsize="small")
    from matplotlib.patches import Patch

    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=colours[s], label=s) for s in sectors]
    ax.legend(handles=handles, fontsize="x-small", loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    return figure


def write_charts(report: ParkReport, folder: str | Path, dpi: int = 120) -> list[Path]:
    """Write the report's charts as PNG files into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = {
        "emissions_by_sector.png": sector_chart(report.by_sector),
        "scope_split.png": scope_chart(report.by_scope),
        "intensity_trend.png": intensity_chart(report.dual_control, report.target_set,
                                               report.targets),
    }
    if report.benchmark is not None and len(report.benchmark):
        figures["facility_ranking.png"] = ranking_chart(report.benchmark)
    written = []
    for name, figure in figures.items():
        path = folder / name
        figure.savefig(path, dpi=dpi)
        written.append(path)
    return written
