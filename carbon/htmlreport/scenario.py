"""Scenario results as one self-contained HTML page, and as the tables of a workbook.

For each scenario: the peak and target verdicts, the trajectory and wedge charts, emissions by
sector, the measures with their cumulative abatement, and the baseline and scenario figures of
selected years. With several scenarios the page opens with a comparison chart and table.
Each scenario's ``<section>`` carries ``data-scenario="<name>"``; inside it, figures carry the
JSON path of :meth:`ScenarioResult.to_dict` in ``data-key``: ``peak_year``, ``peak_value``,
``scenario.co2e.<year>``, ``baseline.co2e.<year>``, ``abatement.<year>``,
``measures.<measure>.cumulative_ordered`` [t CO2e].
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .charts_inline import figure_html, set_title
from .i18n import check_lang, label
from .page import Column, contents, esc, num, page, table

__all__ = ["scenario_html", "scenario_tables", "shown_years"]


def shown_years(years: Sequence[int]) -> list[int]:
    """The base year, every fifth year and the last one.

    >>> shown_years([2023, 2024, 2025, 2026, 2030, 2031])
    [2023, 2025, 2030, 2031]
    """
    first, last = int(years[0]), int(years[-1])
    return sorted({first, last} | {int(y) for y in years if int(y) % 5 == 0})


def scenario_html(results: Sequence, lang: str = "en", charts: bool = True) -> str:
    """One or several scenario results as an HTML document (a string).

    Parameters
    ----------
    results : sequence of ScenarioResult
        From :meth:`carbon.scenario.Scenario.run`; names must differ.
    lang : {'en', 'zh'}
        Language of titles, headings, captions and verdicts.
    charts : bool
        Embed the charts (PNG, base64).
    """
    check_lang(lang, "scenario_html")
    results = list(results)
    sections = []  # (anchor, title, content, scenario name or "")
    if len(results) > 1:
        sections.append(("comparison", label("scenario_comparison", lang),
                         _comparison(results, lang, charts), ""))
    for k, result in enumerate(results):
        sections.append((f"scenario-{k + 1}", f"{result.name}: {result.title}",
                         _one(result, lang, charts), result.name))
    body = contents([s[:2] for s in sections], lang) if len(sections) > 1 else ""
    for anchor, title, content, name in sections:
        attribute = f' data-scenario="{esc(name)}"' if name else ""
        body += (f'<section id="{esc(anchor)}"{attribute}><h2>{esc(title)}</h2>{content}'
                 "</section>")
    title = label("scenario_report", lang)
    if len(results) == 1:
        title += f": {results[0].title}"
    return page(title, "", body, lang)


def _met(flag, lang: str) -> str:
    return label({True: "met", False: "missed"}.get(flag, "not_checkable"), lang)


def _verdicts(result, lang: str) -> pd.DataFrame:
    """One row per verdict: what, verdict, value shown."""
    d = result.to_dict()
    rows = []
    if result.peak.peaked:
        peak = label("peaked_in", lang, year=result.peak.year,
                     value=f"{result.peak.value:,.0f}".replace(",", "\u202f"))
    else:
        peak = label("not_peaked", lang, end=d["end"], value=f"{result.peak.highest_value:,.0f}"
                     .replace(",", "\u202f"))
    rows.append({"target": label("peak", lang), "verdict": peak})
    rows.append({"target": label("robust_peak", lang),
                 "verdict": label("passed" if result.robust.passed else "not_passed", lang)})
    targets = result.targets
    if targets.get("peak"):
        t = targets["peak"]
        rows.append({"target": label("peak_target", lang, year=t["by"]),
                     "verdict": _met(t["met"], lang)})
    for c in targets.get("caps", []):
        unit = "t CO2e" if c["kind"] == "co2e" else "tce"
        rows.append({"target": label("cap_target", lang, year=c["year"], unit=unit,
                                     value=f"{c['cap']:,.0f}".replace(",", "\u202f")),
                     "verdict": _met(c["met"], lang)})
    for t in targets.get("intensity", []):
        rows.append({"target": label("intensity_target", lang, kind=label(t["kind"], lang),
                                     year=t["year"],
                                     reduction=f"{t['reduction']:.0%}",
                                     reference=t["reference_year"]),
                     "verdict": _met(t["met"], lang)})
    return pd.DataFrame(rows)


def _yearly(result) -> pd.DataFrame:
    totals = result.totals()
    return totals[totals["year"].isin(shown_years(result.years))]


def _one(result, lang: str, charts: bool) -> str:
    d = result.to_dict()
    line = label("base_line", lang, year=d["base_year"], end=d["end"],
                 scopes="+".join(map(str, d["scopes"])))
    out = f'<p class="meta">{esc(line)}</p>'
    out += ('<div class="cards"><div class="card"><div class="what">'
            f'{esc(label("peak_year", lang))}</div>{num(d["peak_year"], "peak_year", "int", lang)}'
            '</div><div class="card"><div class="what">'
            f'{esc(label("peak_value", lang))}</div>{num(d["peak_value"], "peak_value", "t", lang)}'
            '<span class="unit">t CO2e</span></div></div>')
    out += table(_verdicts(result, lang), [Column("target", label("target", lang)),
                                          Column("verdict", label("verdict", lang))],
                 label("cap_verdicts", lang), lang, key="verdicts")
    if charts:
        from ..scenario.plot import plot_sectors, plot_trajectory, plot_wedges

        titles = {"trajectory": (plot_trajectory, ["trajectory"]),
                  "wedges": (plot_wedges, ["wedges"]),
                  "sectors": (plot_sectors, ["by_sector_short", "sector_shares"])}
        if not result.measures:
            del titles["wedges"]
        for key, (draw, names) in titles.items():
            figure = draw(result)
            if lang != "en":
                for axis, name in enumerate(names):
                    set_title(figure, f"{result.title}: {label(name, lang)}" if axis == 0
                              and len(names) == 1 else label(name, lang), axis)
            out += figure_html(figure, label(names[0] if key != "sectors" else "sectors_chart",
                                             lang), key)
    out += table(_yearly(result), [
        Column("year", label("year", lang), "int"),
        Column("baseline_co2e", label("baseline_co2e", lang), "t",
               key=lambda r: f"baseline.co2e.{int(r['year'])}"),
        Column("scenario_co2e", label("scenario_co2e", lang), "t",
               key=lambda r: f"scenario.co2e.{int(r['year'])}"),
        Column("abatement", label("abatement", lang), "t",
               key=lambda r: f"abatement.{int(r['year'])}"),
        Column("scenario_tce", label("scenario_tce", lang), "t"),
        Column("carbon_intensity", f"{label('co2e_per_value_added', lang)} "
               f"(t CO2e / {result.value_added_unit})", "ratio"),
        Column("energy_intensity", f"{label('tce_per_value_added', lang)} "
               f"(tce / {result.value_added_unit})", "ratio")],
        label("cap_yearly", lang), lang, key="totals")
    if result.measures:
        out += table(result.tables()["measures"], [
            Column("order", "#", "int"),
            Column("measure", label("measure", lang)),
            Column("type", label("type", lang)),
            Column("start", label("start", lang), "int"),
            Column("full", label("full", lang), "int"),
            Column("cumulative_ordered", label("cumulative_ordered", lang), "t",
                   key=lambda r: f"measures.{r['measure']}.cumulative_ordered"),
            Column("cumulative_shapley", label("cumulative_shapley", lang), "t")],
            label("cap_measures", lang), lang, key="measures")
    out += _extras(result, charts)
    if result.notes:
        out += f"<h3>{esc(label('notes', lang))}</h3><ul>" + "".join(
            f'<li class="note">{esc(n)}</li>' for n in result.notes) + "</ul>"
    return out


def _extras(result, charts: bool) -> str:
    """Monte Carlo and least-cost results, when the run computed them (their own text)."""
    out = ""
    for extra in (result.monte_carlo, result.optimization):
        if extra is not None and hasattr(extra, "text"):
            out += f'<pre class="small">{esc(extra.text())}</pre>'
    if charts and result.monte_carlo is not None:
        from ..uncertainty.plot import plot_fan

        out += figure_html(plot_fan(result.monte_carlo), "Monte Carlo", "fan")
    if charts and result.optimization is not None:
        from ..optimize.plot import plot_pathway

        out += figure_html(plot_pathway(result, result.optimization), "least cost", "pathway")
    return out


def _comparison(results: list, lang: str, charts: bool) -> str:
    out = ""
    if charts:
        from ..scenario.plot import plot_comparison

        out += figure_html(plot_comparison(results), label("scenario_comparison", lang),
                           "comparison")
    rows = []
    for r in results:
        at = dict(zip(r.years.tolist(), r.scenario, strict=True))
        rows.append({"scenario": r.name, "peak_year": r.peak.year,
                     "peak_value": r.peak.value if r.peak.peaked else np.nan,
                     "y2030": at.get(2030, np.nan), "y2060": at.get(2060, np.nan),
                     "verdict": _met(r.targets.get("all_met"), lang)})
    return out + table(pd.DataFrame(rows), [
        Column("scenario", label("scenario", lang)),
        Column("peak_year", label("peak_year", lang), "int"),
        Column("peak_value", label("peak_value", lang), "t"),
        Column("y2030", "2030 (t CO2e)", "t"), Column("y2060", "2060 (t CO2e)", "t"),
        Column("verdict", label("targets", lang))], label("cap_comparison", lang), lang,
        key="comparison")


def scenario_tables(results: Sequence) -> dict[str, pd.DataFrame]:
    """The tables of one or several results, each with a ``scenario`` column, by sheet name.

    ``verdicts`` (one row per scenario: peak, robust peak, all targets met), then the tables
    of :meth:`ScenarioResult.tables` (``totals``, ``emissions``, ``wedges``,
    ``wedges_by_sector``, ``targets``, ``measures``) and, when computed, the Monte Carlo and
    least-cost tables.
    """
    verdicts = pd.DataFrame([{
        "scenario": r.name, "title": r.title, "base_year": int(r.years[0]),
        "end": int(r.years[-1]), "peak_year": r.peak.year,
        "peak_value": r.peak.value if r.peak.peaked else np.nan,
        "peaked": r.peak.peaked, "robust_peak": bool(r.robust.passed),
        "baseline_peak_year": r.baseline_peak.year,
        "targets_met": r.targets.get("all_met")} for r in results])
    out: dict[str, pd.DataFrame] = {"verdicts": verdicts}
    for r in results:
        tables = dict(r.tables())
        for extra in (r.monte_carlo, r.optimization):
            if extra is not None and hasattr(extra, "tables"):
                tables.update(extra.tables())
        for name, frame in tables.items():
            frame = frame.copy()
            frame.insert(0, "scenario", r.name)
            out[name] = frame if name not in out else pd.concat([out[name], frame],
                                                                 ignore_index=True)
    return out
