"""The park report as one self-contained HTML page, for a park office to hand over.

Sections: summary figures; dual control against targets; base year; scope and sector
breakdowns; facility ranking and green-factory candidates; profile comparison; data quality
(fallback factors, rejected rows, the confidence labels that carry the total); the source of
every factor used. Figures carry ``data-key`` / ``data-value`` attributes named after the JSON
reports: the keys of :meth:`Inventory.summary` (``total``, ``scope1``...), ``headline.<name>``
and ``dual_control.<indicator>.<year>`` of :meth:`ParkReport.to_dict`, ``confidence.<label>``
(share of Scope 1 + 2) and ``top_emitters.<facility>`` [t CO2e].
"""

from __future__ import annotations

import pandas as pd

from ..analytics.dual_control import wide
from ..analytics.park_report import ParkReport
from ..inventory import Inventory
from .charts_inline import figure_html, set_title
from .i18n import check_lang, label
from .page import Column, contents, esc, num, page, section, table
from .quality import quality_tables

__all__ = ["park_html"]

REJECTED_SHOWN = 50


def park_html(park: ParkReport, inventory: Inventory, lang: str = "en",
              charts: bool = True) -> str:
    """The report of a park as an HTML document (a string).

    Parameters
    ----------
    park : ParkReport
        From :func:`carbon.analytics.report` of ``inventory``.
    inventory : Inventory
        The inventory the report analyses (for the summary, data quality and sources).
    lang : {'en', 'zh'}
        Language of titles, headings, captions and indicator names.
    charts : bool
        Embed the charts (PNG, base64); False for a lighter page.

    Returns
    -------
    str
        UTF-8 text of a page that loads nothing from anywhere.
    """
    check_lang(lang, "park_html")
    quality = quality_tables(inventory)
    parts = [
        ("summary", label("summary", lang), _summary(park, inventory, lang)),
        ("dual-control", label("dual_control", lang), _dual_control(park, lang, charts)),
    ]
    if park.base_year is not None:
        parts.append(("base-year", label("base_year", lang), _base_year(park, lang)))
    parts += [
        ("breakdowns", label("breakdowns", lang), _breakdowns(park, lang, charts)),
        ("ranking", label("facility_ranking", lang), _ranking(park, inventory, lang, charts)),
    ]
    if park.comparison is not None:
        parts.append(("comparison", label("comparison", lang), _comparison(park, lang)))
    parts += [("quality", label("data_quality", lang), _quality(park, inventory, quality, lang)),
              ("sources", label("sources", lang), _sources(quality, lang))]
    body = contents([(a, t) for a, t, _ in parts], lang) + "".join(
        section(a, t, b) for a, t, b in parts)
    return page(_title(inventory, lang), _meta(park, lang), body, lang)


def _title(inventory: Inventory, lang: str) -> str:
    names = inventory.facilities.get("park", pd.Series(dtype=object))
    names = [n for n in dict.fromkeys(names.astype(str)) if n]
    title = label("park_report", lang)
    return f"{title}: {', '.join(names)}" if names else title


def _meta(park: ParkReport, lang: str) -> str:
    meta = park.meta
    years = meta["years"]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    line = label("meta_line", lang, facilities=meta["facilities"], span=span,
                 profile=meta["profile"], gwp=meta["gwp"])
    return f'<p class="meta">{esc(line)}</p>'


# -- summary -----------------------------------------------------------------------------------
def _card(what: str, value: object, key: str, unit: str, kind: str = "t",
          lang: str = "en") -> str:
    return (f'<div class="card"><div class="what">{esc(what)}</div>'
            f'{num(value, key, kind, lang)}<span class="unit">{esc(unit)}</span></div>')


def _summary(park: ParkReport, inventory: Inventory, lang: str) -> str:
    s = inventory.summary()
    head = park.headline()
    years = park.meta["years"]
    period = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    latest = [  # the latest year first: what a planner is asked about
        ("co2e", "t CO2e", "t"), ("energy_tce", "tce", "t"),
        ("co2e_per_value_added", "t CO2e / 10^4 CNY", "ratio"),
        ("tce_per_value_added", "tce / 10^4 CNY", "ratio"), ("non_fossil_share", "", "pct")]
    cards = [_card(label("in_year", lang, what=label(name, lang), year=head.get("year")),
                   head.get(name), f"headline.{name}", unit, kind, lang)
             for name, unit, kind in latest]
    whole = [  # the whole period, as Inventory.summary() gives it
        ("total", s["total"], "total", "t CO2e"),
        ("scope1", s["scope1"], "scope1", "t CO2e"),
        ("scope2_location", s["scope2_location"], "scope2_location", "t CO2e"),
        ("total_market", s["total_market"], "total_market", "t CO2e"),
        ("scope3", s["scope3"], "scope3", "t CO2e"),
        ("transfers_netted", s["transfers_netted"]["scope2_location"],
         "transfers_netted.scope2_location", "t CO2e"),
        ("energy_total", s["energy_tce"], "energy_tce", "tce")]
    cards += [_card(label("in_year", lang, what=label(what, lang), year=period), value, key,
                    unit, lang=lang) for what, value, key, unit in whole]
    return f'<div class="cards">{"".join(cards)}</div>' + _rows_line(s["rows"], lang)


def _rows_line(rows: dict, lang: str) -> str:
    spans = {k: num(rows[k], f"rows.{k}", "int", lang) for k in ("input", "accounted",
                                                                 "rejected")}
    text = esc(label("rows_line", lang, input="\0i", accepted="\0a", accounted="\0a",
                     rejected="\0r"))
    text = (text.replace("\0i", spans["input"]).replace("\0a", spans["accounted"])
            .replace("\0r", spans["rejected"]))
    return f'<p class="note">{text}</p>'


# -- dual control and targets ------------------------------------------------------------------
def _kind(unit: str) -> str:
    if unit == "fraction":
        return "pct"
    return "ratio" if "/" in unit else "t"


def _dual_control(park: ParkReport, lang: str, charts: bool) -> str:
    table_ = park.dual_control
    values = wide(table_)
    units = table_.drop_duplicates("indicator").set_index("indicator")["unit"]
    years = [int(y) for y in values.columns]
    head = "".join(f"<th>{y}</th>" for y in years)
    rows = []
    for indicator, row in values.iterrows():
        if indicator.endswith("output") and row.isna().all():
            continue
        unit = units[indicator]
        cells = "".join(
            f'<td class="n">{num(row[y], f"dual_control.{indicator}.{y}", _kind(unit), lang)}'
            "</td>" for y in years)
        shown_unit = "%" if unit == "fraction" else unit
        rows.append(f"<tr><td>{esc(label(indicator, lang))}</td><td>{esc(shown_unit)}</td>"
                    f"{cells}</tr>")
    out = (f'<table data-table="dual_control"><caption>{esc(label("cap_dual_control", lang))}'
           f"</caption><thead><tr><th>{esc(label('indicator', lang))}</th>"
           f"<th>{esc(label('unit', lang))}</th>{head}</tr></thead>"
           f"<tbody>{''.join(rows)}</tbody></table>")
    if park.targets is not None:
        out += f"<h3>{esc(label('targets', lang))}: {esc(park.target_set.name)}</h3>"
        out += table(park.targets, [
            Column("target", label("target", lang)),
            Column("status", label("status", lang)),
            Column("assessed_to", label("year", lang), "int"),
            Column("actual", label("actual", lang), "ratio"),
            Column("limit", label("limit", lang), "ratio"),
            Column("margin", label("margin", lang), "ratio"),
            Column("basis", label("basis", lang))], label("cap_targets", lang), lang,
            key="targets")
    if charts:
        from ..analytics.charts import intensity_chart

        figure = intensity_chart(park.dual_control, park.target_set, park.targets)
        set_title(figure, label("co2e_per_value_added", lang), 0)
        set_title(figure, label("tce_per_value_added", lang), 1)
        out += figure_html(figure, label("co2e_per_value_added", lang) + " / "
                           + label("tce_per_value_added", lang), "intensity")
    return out


def _base_year(park: ParkReport, lang: str) -> str:
    return table(park.base_year.tracking, [
        Column("year", label("year", lang), "int"),
        Column("base_co2e", label("base_year", lang) + " (t CO2e)", "t"),
        Column("co2e", label("co2e", lang) + " (t CO2e)", "t"),
        Column("change_vs_base", label("change_vs_base", lang), "change"),
        Column("recalculated", label("recalculated", lang), "bool"),
        Column("reason", label("reason", lang))], label("cap_base_year", lang), lang,
        key="base_year")


# -- breakdowns --------------------------------------------------------------------------------
def _breakdowns(park: ParkReport, lang: str, charts: bool) -> str:
    scopes = park.by_scope.pivot_table(index="year", columns="scope", values="co2e",
                                       aggfunc="sum").reset_index()
    scopes.columns = [str(c) for c in scopes.columns]
    out = table(scopes, [Column("year", label("year", lang), "int")] + [
        Column(str(s), label(name, lang), "t", key=lambda r, s=s: f"by_scope.{r['year']}.{s}")
        for s, name in ((1, "scope1"), (2, "scope2_location"), (3, "scope3"))],
        label("cap_by_scope", lang) + " (t CO2e)", lang, key="by_scope")
    year = park.meta["years"][-1]
    latest = park.by_sector[park.by_sector["year"] == year].sort_values("total",
                                                                        ascending=False)
    out += table(latest, [
        Column("sector", label("sector", lang)),
        Column("scope1", label("scope1", lang), "t"),
        Column("scope2_location", label("scope2_location", lang), "t"),
        Column("total", label("co2e_t", lang), "t",
               key=lambda r: f"by_sector.{r['sector']}.{r['year']}"),
        Column("share", label("share", lang), "pct"),
        Column("energy_tce", label("tce", lang), "t")],
        label("cap_by_sector", lang, year=year), lang, key="by_sector")
    if charts:
        from ..analytics.charts import scope_chart, sector_chart

        figure = sector_chart(park.by_sector)
        set_title(figure, label("sectors_chart", lang))
        out += figure_html(figure, label("sectors_chart", lang), "sectors")
        figure = scope_chart(park.by_scope)
        set_title(figure, label("cap_by_scope", lang))
        out += figure_html(figure, label("cap_by_scope", lang), "scopes")
    return out


def _ranking(park: ParkReport, inventory: Inventory, lang: str, charts: bool) -> str:
    top = park.top_emitters
    names = inventory.facilities.get("name")
    if names is not None and len(top):
        top = top.assign(name=top["facility"].map(names).fillna(""))
    year = int(top["year"].iloc[0]) if len(top) else park.meta["years"][-1]
    out = table(top, [
        Column("rank", label("rank", lang), "int"),
        Column("facility", label("facility", lang)),
        Column("name", ""),
        Column("sector", label("sector", lang)),
        Column("total", label("co2e_t", lang), "t", key=lambda r: f"top_emitters.{r['facility']}"),
        Column("share", label("share", lang), "pct"),
        Column("cumulative_share", label("cumulative_share", lang), "pct")],
        label("cap_top", lang, year=year), lang, key="top_emitters")
    if charts and park.benchmark is not None and len(park.benchmark):
        from ..analytics.charts import ranking_chart

        figure = ranking_chart(park.benchmark)
        if "not computable" not in figure.get_axes()[0].get_title():
            set_title(figure, label("in_year", lang, what=label("co2e_per_value_added", lang),
                                    year=park.meta["benchmark_year"]))
        out += figure_html(figure, label("in_year", lang, what=label("facility_ranking", lang),
                                         year=park.meta["benchmark_year"]), "ranking")
    candidates = park.green_factories[park.green_factories["candidate"].eq(True)]
    out += f"<h3>{esc(label('green_factories', lang))}</h3>"
    out += table(candidates, [
        Column("facility", label("facility", lang)),
        Column("sector", label("sector", lang)),
        Column("co2e_per_value_added", label("co2e_per_value_added", lang), "ratio"),
        Column("tce_per_value_added", label("tce_per_value_added", lang), "ratio"),
        Column("reason", label("reason", lang))],
        label("cap_green", lang, year=park.meta["benchmark_year"]), lang,
        key="green_factories")
    return out


def _comparison(park: ParkReport, lang: str) -> str:
    c = park.comparison
    a, b = c.labels
    return table(c.park, [
        Column("year", label("year", lang), "int"),
        Column("indicator", label("indicator", lang)),
        Column(a, a, "t"), Column(b, b, "t"),
        Column("difference", label("difference", lang), "t"),
        Column("relative", label("relative", lang), "change")],
        label("cap_compare", lang, a=a, b=b), lang, key="compare_park")


# -- data quality and sources ------------------------------------------------------------------
def _quality(park: ParkReport, inventory: Inventory, quality: dict, lang: str) -> str:
    out = _rows_line(inventory.rows, lang)
    if quality["confidence"] is None:
        out += f'<p class="note">{esc(label("no_ledger", lang))}</p>'
    else:
        out += table(quality["confidence"], [
            Column("confidence", label("confidence", lang)),
            Column("factors", label("factors", lang), "int"),
            Column("co2e", label("co2e_t", lang), "t"),
            Column("share", label("share", lang), "pct",
                   key=lambda r: f"confidence.{r['confidence']}")],
            label("cap_confidence", lang), lang, key="confidence")
        out += f'<p class="small">{esc(label("confidence_help", lang))}</p>'
        out += table(quality["top_factors"], [
            Column("factor_id", label("factor_id", lang)),
            Column("confidence", label("confidence", lang)),
            Column("co2e", label("co2e_t", lang), "t"),
            Column("share", label("share", lang), "pct"),
            Column("cumulative_share", label("cumulative_share", lang), "pct")],
            label("cap_top_factors", lang), lang, key="top_factors")
    fallbacks = quality["fallbacks"]
    if len(fallbacks):
        out += table(fallbacks, [
            Column("activity", label("activity", lang)),
            Column("parameter", label("parameter", lang)),
            Column("region", label("region", lang)),
            Column("year", label("year", lang), "int"),
            Column("used_region", label("used_region", lang)),
            Column("used_year", label("used_year", lang), "int"),
            Column("reason", label("reason", lang))], label("cap_fallbacks", lang), lang,
            key="fallbacks")
    else:
        out += f'<p class="note">{esc(label("no_fallbacks", lang))}</p>'
    rejected = quality["rejected"]
    if len(rejected):
        out += table(rejected, [
            Column("row", label("row", lang), "int"),
            Column("facility", label("facility", lang)),
            Column("year", label("year", lang)),
            Column("activity", label("activity", lang)),
            Column("quantity", label("quantity", lang)),
            Column("unit", label("unit", lang)),
            Column("reason", label("reason", lang))],
            label("cap_rejected", lang, n=min(len(rejected), REJECTED_SHOWN)), lang,
            limit=REJECTED_SHOWN, key="rejected")
    else:
        out += f'<p class="note">{esc(label("no_rejected", lang))}</p>'
    if park.notes:
        out += f"<h3>{esc(label('notes', lang))}</h3><ul>" + "".join(
            f'<li class="note">{esc(n)}</li>' for n in park.notes) + "</ul>"
    return out


def _sources(quality: dict, lang: str) -> str:
    """Each source document once, with the factor rows taken from it."""
    used = quality["factors_used"]
    out = f'<p class="note">{esc(label("cap_sources", lang))}</p>'
    for source, rows in used.groupby(used["source"].fillna("").astype(str), sort=False):
        out += f'<h3 class="source">{esc(source or "-")}</h3>'
        out += table(rows, [
            Column("factor_id", label("factor_id", lang)),
            Column("value", label("value", lang), "sig",
                   key=lambda r: f"factors_used.{r['factor_id']}"),
            Column("unit", label("unit", lang), "nowrap"),
            Column("confidence", label("confidence", lang))], "", lang, key="factors_used")
    return out
