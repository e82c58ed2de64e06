"""Charts of scenario results (matplotlib, Agg canvas; no pyplot, no global rcParams changes).

Every function draws on ``ax`` when given, else on a new :class:`~matplotlib.figure.Figure`
with an Agg canvas, and returns the figure. :func:`save_charts` writes the PNGs the command line
writes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.ticker import FuncFormatter

from .results import ScenarioResult

__all__ = ["cjk_font", "plot_comparison", "plot_sectors", "plot_trajectory", "plot_wedges",
           "save_charts"]

_CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC")


@cache
def _cjk() -> FontProperties | None:
    """A font that has Chinese glyphs, if one is installed."""
    names = {f.name for f in fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in names:
            return FontProperties(family=name)
    return None


def cjk_font() -> FontProperties | None:
    """An installed font with Chinese glyphs (Noto Sans CJK, WenQuanYi, SimHei...), or None."""
    return _cjk()


def _font(text: str) -> dict:
    return {"fontproperties": _cjk()} if not text.isascii() and _cjk() is not None else {}


def _axes(ax, size=(9, 5)):
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _tonnes(ax, unit: str = "t CO2e") -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", " ")))
    ax.set_ylabel(unit)
    ax.set_xlabel("year")
    ax.grid(True, alpha=0.3)


def _title(ax, text: str) -> None:
    ax.set_title(text, **_font(text))


def _legend(ax, **kwargs) -> None:
    labels = [t for t in ax.get_legend_handles_labels()[1]]
    font = _font("".join(labels))
    ax.legend(prop=font.get("fontproperties"), **kwargs)


def plot_trajectory(result: ScenarioResult, ax=None) -> Figure:
    """Scenario against baseline [t CO2e], with the peak, the peak target year and caps."""
    figure, ax = _axes(ax)
    years = result.years
    if result.measures:
        ax.plot(years, result.baseline, color="0.45", linestyle="--", label="baseline")
        ax.fill_between(years, result.scenario, result.baseline, color="tab:green", alpha=0.12,
                        label="abatement")
    ax.plot(years, result.scenario, color="tab:green", linewidth=2,
            label="scenario" if result.measures else "emissions (no measures)")
    if result.peak.peaked:
        ax.plot([result.peak.year], [result.peak.value], "o", color="tab:red",
                label=f"peak {result.peak.year}")
        ax.annotate(f"{result.peak.value:,.0f}".replace(",", " "),
                    (result.peak.year, result.peak.value), textcoords="offset points",
                    xytext=(6, 8), fontsize=8, color="tab:red")
    target = result.targets.get("peak")
    if target:
        colour = "tab:blue" if target["met"] else "tab:orange"
        ax.axvline(target["by"], color=colour, linestyle=":",
                   label=f"peak target {target['by']}" + (" (met)" if target["met"] else
                                                          " (missed)"))
    for cap in result.targets.get("caps", []):
        if cap["kind"] == "co2e":
            ax.plot([cap["year"]], [cap["cap"]], "v", color="black",
                    label=f"cap {cap['year']}")
    _tonnes(ax)
    _title(ax, f"{result.title}: emissions (Scopes {'+'.join(map(str, result.meta['scopes']))})")
    _legend(ax, loc="best", fontsize=8)
    return figure


def plot_wedges(result: ScenarioResult, ax=None) -> Figure:
    """The wedge of each measure, in the order written: the band between the emissions before
    and after it [t CO2e]. The bands tile the gap between baseline and scenario."""
    figure, ax = _axes(ax, (11, 5))
    years, steps = result.years, result.steps
    colours = [f"C{k % 10}" for k in range(len(result.measures))]
    for k, op in enumerate(result.measures):
        ax.fill_between(years, steps[k + 1], steps[k], color=colours[k], alpha=0.75,
                        linewidth=0, label=op.name)
    ax.plot(years, result.baseline, color="0.3", linestyle="--", label="baseline")
    ax.plot(years, result.scenario, color="black", linewidth=1.5, label="scenario")
    _tonnes(ax)
    _title(ax, f"{result.title}: wedges by measure (in order applied)")
    _legend(ax, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return figure


def plot_sectors(result: ScenarioResult, figure: Figure | None = None) -> Figure:
    """Scenario emissions by sector: stacked [t CO2e] and as shares [%]."""
    if figure is None:
        figure = Figure(figsize=(12, 5), layout="constrained")
        FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    by_sector = result.by("sector").clip(lower=0.0)
    by_sector = by_sector.loc[:, by_sector.sum().sort_values(ascending=False).index]
    years = by_sector.index.to_numpy()
    labels = [str(c) for c in by_sector.columns]
    left.stackplot(years, by_sector.T.to_numpy(), labels=labels, alpha=0.85)
    _tonnes(left)
    _title(left, "by sector")
    total = by_sector.sum(axis=1).replace(0.0, np.nan)
    shares = by_sector.div(total, axis=0).fillna(0.0) * 100
    right.stackplot(years, shares.T.to_numpy(), labels=labels, alpha=0.85)
    right.set_ylim(0, 100)
    right.set_ylabel("share of emissions [%]")
    right.set_xlabel("year")
    right.grid(True, alpha=0.3)
    _title(right, "sector shares")
    _legend(right, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    figure.suptitle(f"{result.title}: sectors", **_font(result.title))
    return figure


def plot_comparison(results: Sequence[ScenarioResult], ax=None) -> Figure:
    """Several scenarios in one chart, each with its peak; baselines that differ are drawn
    dashed."""
    figure, ax = _axes(ax, (10, 5.5))
    drawn: list[np.ndarray] = []

    def seen(series: np.ndarray) -> bool:
        return any(len(b) == len(series) and np.allclose(b, series) for b in drawn)

    for result in results:
        if not seen(result.baseline):
            drawn.append(result.baseline)
    shared = len(drawn) == 1
    drawn = []
    for k, result in enumerate(results):
        colour = f"C{k % 10}"
        if not seen(result.baseline):
            ax.plot(result.years, result.baseline, color="0.45" if shared else colour,
                    linestyle="--", linewidth=1, alpha=0.8,
                    label="baseline (shared)" if shared else f"baseline of {result.name}")
            drawn.append(result.baseline)
        ax.plot(result.years, result.scenario, color=colour, linewidth=2, label=result.name)
        if result.peak.peaked:
            ax.plot([result.peak.year], [result.peak.value], "o", color=colour)
    targets = {r.targets["peak"]["by"] for r in results if r.targets.get("peak")}
    for year in sorted(targets):
        ax.axvline(year, color="0.4", linestyle=":", label=f"peak target {year}")
    _tonnes(ax)
    _title(ax, "Scenario comparison (dots: peaks)")
    _legend(ax, loc="best", fontsize=8)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        figure.savefig(path, dpi=120)
    return path


def save_charts(result: ScenarioResult, folder: str | Path) -> list[Path]:
    """Write ``trajectory.png``, ``wedges.png`` and ``sectors.png`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [_save(plot_trajectory(result), folder / "trajectory.png"),
            _save(plot_wedges(result), folder / "wedges.png"),
            _save(plot_sectors(result), folder / "sectors.png")]


def save_comparison(results: Sequence[ScenarioResult], path: str | Path) -> Path:
    """Write the comparison chart of several scenarios."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _save(plot_comparison(results), path)
