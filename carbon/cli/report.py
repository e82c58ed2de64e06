"""Analyse a park: dual control of energy and carbon, targets, sector and facility views,
benchmarks and green-factory candidates, base-year tracking, profile comparison.

FILE holds the activity records, as for 'parkcarbon account'. Examples:

  parkcarbon report activities.csv --facilities facilities.csv --transfers transfers.csv
  parkcarbon report activities.csv --facilities facilities.csv --base-year 2021 \\
      --targets 14th-five-year-plan.toml --compare-profile ipcc2006 --output results/
  parkcarbon report park.xlsx --value-added va.csv --format json
  parkcarbon report activities.csv --facilities facilities.csv --format xlsx -o report.xlsx
  parkcarbon report park.xlsx --targets 14th-five-year-plan.toml --format html --lang zh \\
      -o report.html

The value-added table has columns facility (or sector), year, value_added,
value_added_unit (10^4 CNY, 万元, 10^8 CNY...); a workbook FILE may hold it as a sheet named
'value_added'. Without it each facility's value added is used for every year, and the report
says so. The membership table (--membership) has facility, joined and/or left (years).

With --output DIR, the report is written there (report.txt, report.json, one CSV per table,
report.xlsx or report.html, following --format) with the charts as PNG files; with --output
FILE.ext a single file. Without --output: table, json and html print on stdout; csv prints
the dual-control table. The HTML report is one self-contained file (charts embedded, no link
to anything) that a park office can e-mail; xlsx holds the same tables, one sheet each, with
the data-quality tables (confidence, top_factors, fallbacks, rejected, factors_used).
--lang zh gives Chinese titles, headings, captions and indicator names (html).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

from ..accounting import account
from ..analytics import GreenFactoryRule, ParkReport, report
from ..analytics.dual_control import wide
from ..errors import ParameterError
from ..htmlreport import LANGS, park_html, quality_tables
from ..inventory import Inventory
from ..io import EXCEL_SUFFIXES, workbook_sheets
from ._common import (
    add_format,
    add_inputs,
    add_profile_options,
    dump_json,
    escape_formulas,
    note,
    number,
    safe_csv,
)

NAME = "report"
HELP = "park analytics: dual control, targets, views, benchmarks, base year"

FORMATS = ("table", "json", "csv", "xlsx", "html")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_inputs(parser, facilities="facilities table (sector, value added, output...)")
    add_profile_options(parser)
    parser.add_argument("--lenient", action="store_true",
                        help="account the good rows and report the bad ones instead of stopping")
    parser.add_argument("--value-added", metavar="F",
                        help="value added by year: facility or sector, year, value_added, "
                        "value_added_unit")
    parser.add_argument("--base-year", type=int, metavar="Y",
                        help="fixed base year, recalculated when facilities join or leave")
    parser.add_argument("--significance", type=float, default=5.0, metavar="PCT",
                        help="base-year recalculation threshold in %% of base-year emissions "
                        "(default: 5)")
    parser.add_argument("--membership", metavar="F",
                        help="park membership: facility, joined, left (default: from records)")
    parser.add_argument("--targets", metavar="T", help="targets file (TOML), e.g. "
                        "examples/targets/14th-five-year-plan.toml")
    parser.add_argument("--compare-profile", metavar="P",
                        help="also account under this profile and compare (e.g. ipcc2006)")
    parser.add_argument("--supply-coal-rate", type=float, default=0.30, metavar="R",
                        help="supply coal rate of the equal-value method, kgce/kWh "
                        "(default: 0.30)")
    parser.add_argument("--grid-non-fossil", type=float, metavar="S",
                        help="non-fossil share of grid electricity, 0-1 (default: not counted)")
    parser.add_argument("--top", type=int, default=10, metavar="N",
                        help="top emitters to list (default: 10)")
    parser.add_argument("--year", type=int, metavar="Y",
                        help="benchmark year (default: the latest)")
    parser.add_argument("--green-quantile", type=float, default=0.25, metavar="Q",
                        help="green-factory candidates: intensity within this quantile of the "
                        "sector (default: 0.25)")
    parser.add_argument("--allow-growth", action="store_true",
                        help="green-factory candidates may have growing emissions")
    parser.add_argument("--min-peers", type=int, default=4, metavar="N",
                        help="fewest facilities a sector needs for a quantile (default: 4)")
    parser.add_argument("--no-charts", action="store_true", help="write no PNG charts")
    parser.add_argument("--output", "-o", metavar="PATH",
                        help="a folder (report, tables and charts) or a file (.txt, .json, "
                        ".csv, .xlsx, .html)")
    parser.add_argument("--lang", choices=LANGS, default="en",
                        help="language of the html report: en (default) or zh")
    add_format(parser, FORMATS)


def _workbook_value_added(args: argparse.Namespace):
    if args.value_added is not None:
        return args.value_added
    path = Path(args.file)
    if path.suffix.lower() in EXCEL_SUFFIXES and path.is_file() and (
            "value_added" in workbook_sheets(path)):
        from ..io import read_table

        return read_table(path, "value_added")
    return None


def build(args: argparse.Namespace) -> ParkReport:
    """Account FILE (twice with --compare-profile) and analyse it."""
    return analyse(args)[0]


def analyse(args: argparse.Namespace, steps=None) -> tuple[ParkReport, Inventory]:
    """The report and the inventory it analyses; ``steps``, a progress bar, advances once
    per stage (accounting, the compared profile, the analysis)."""
    common = {"facilities": args.facilities, "transfers": args.transfers,
              "factors": args.factors, "gwp": args.gwp, "strict": not args.lenient}
    inventory = account(args.file, profile=args.profile, **common)
    _advance(steps, "analysing")
    rejected = inventory.rows["rejected"]
    if rejected:
        note(args, f"parkcarbon: {rejected} row(s) rejected; first ones:\n"
             + "\n".join(f"  row {r.row}: {r.reason}" for r in inventory.rejected.head(5)
                         .itertuples()))
    other = (account(args.file, profile=args.compare_profile, **common)
             if args.compare_profile else None)
    _advance(steps, "analysing")
    if not 0 <= args.significance < 100:
        raise ParameterError("--significance", "parkcarbon report", "a percentage in [0, 100)",
                             args.significance)
    rule = GreenFactoryRule(quantile=args.green_quantile, no_growth=not args.allow_growth,
                            min_peers=args.min_peers)
    park = report(inventory, value_added=_workbook_value_added(args),
                  base_year=args.base_year, targets=args.targets, compare=other,
                  supply_coal_rate=args.supply_coal_rate,
                  grid_non_fossil=args.grid_non_fossil, significance=args.significance / 100,
                  membership=args.membership, top=args.top, year=args.year, green_rule=rule)
    _advance(steps, "writing")
    return park, inventory


def _advance(steps, stage: str) -> None:
    if steps is not None:
        steps.update(1)
        steps.set_description(stage)


def _progress(args: argparse.Namespace, total: int):
    """A progress bar over the stages, on stderr when it is a terminal (not with --quiet)."""
    from ..progress import progress_bar

    return progress_bar(total, "accounting", enabled=False if args.quiet else None,
                        unit="step")


def run(args: argparse.Namespace) -> int:
    if args.format == "xlsx" and args.output is None:
        raise ParameterError("--output", "parkcarbon report", "a folder or an .xlsx file "
                             "with --format xlsx (a workbook is not written to stdout)", None)
    with _progress(args, 4) as steps:
        park, inventory = analyse(args, steps)
        written = _emit(args, park, inventory)
        _advance(steps, "done")
    if written:
        note(args, written)
    return 0


def _emit(args: argparse.Namespace, park: ParkReport, inventory: Inventory) -> str:
    """Print or write the report as --format and --output say; returns the note to show."""
    if args.output is None:
        if args.format == "csv":
            sys.stdout.write(safe_csv(park.dual_control))
            return ("parkcarbon: printed the dual-control table; --output DIR writes every "
                    "table")
        text = (park_html(park, inventory, args.lang) if args.format == "html"
                else _text(park, args.format) + "\n")
        sys.stdout.write(text)
        return ""
    output = Path(args.output)
    if output.suffix:
        output.parent.mkdir(parents=True, exist_ok=True)
        _write_file(park, output, args.format, inventory, args.lang)
        return f"parkcarbon: wrote {output}"
    written = write_folder(park, output, args.format, charts=not args.no_charts, args=args,
                           inventory=inventory, lang=args.lang)
    return f"parkcarbon: wrote {len(written)} files to {output}/"


# -- files ------------------------------------------------------------------------------------
def _text(park: ParkReport, fmt: str) -> str:
    return dump_json(park.to_dict()) if fmt == "json" else report_text(park)


def _write_file(park: ParkReport, path: Path, fmt: str, inventory: Inventory | None = None,
                lang: str = "en") -> None:
    suffix = path.suffix.lower()
    if fmt == "xlsx" or suffix in EXCEL_SUFFIXES:
        write_xlsx(park, path, inventory)
    elif fmt == "html" or suffix in (".html", ".htm"):
        if inventory is None:
            raise ParameterError("inventory", "parkcarbon report", "the inventory of the report "
                                 "for an HTML report", None)
        path.write_text(park_html(park, inventory, lang), encoding="utf-8")
    elif fmt == "csv":
        safe_csv(park.dual_control, path)
    else:
        path.write_text(_text(park, fmt) + "\n", encoding="utf-8")


def write_folder(park: ParkReport, folder: Path, fmt: str, charts: bool = True,
                 args: argparse.Namespace | None = None, inventory: Inventory | None = None,
                 lang: str = "en") -> list[Path]:
    """The report in ``folder``: report.txt / report.json / one CSV per table / report.xlsx /
    report.html, and the charts."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    if fmt == "csv":
        for name, table in all_tables(park, inventory).items():
            path = folder / f"{name}.csv"
            safe_csv(table, path)
            written.append(path)
    else:
        path = folder / {"table": "report.txt", "json": "report.json",
                         "xlsx": "report.xlsx", "html": "report.html"}[fmt]
        _write_file(park, path, fmt, inventory, lang)
        written.append(path)
    if charts:
        try:
            from ..analytics.charts import write_charts

            written += write_charts(park, folder)
        except ImportError as exc:
            if args is not None:
                note(args, f"parkcarbon: charts skipped: {exc}")
    return written


def all_tables(park: ParkReport, inventory: Inventory | None = None) -> dict[str, pd.DataFrame]:
    """The report's tables and, with its inventory, the data-quality tables (``confidence``,
    ``top_factors``, ``fallbacks``, ``rejected``, ``factors_used``): the sheets of the Excel
    report, the CSV files of a folder, the tables of the HTML report."""
    tables = dict(park.tables())
    if inventory is not None:
        tables.update({k: v for k, v in quality_tables(inventory).items() if v is not None})
    return tables


def write_xlsx(park: ParkReport, path: Path, inventory: Inventory | None = None) -> None:
    """One sheet per table, plus 'about' (metadata and notes); formula-like text escaped."""
    about = pd.DataFrame(
        [{"key": k, "value": v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}
         for k, v in park.meta.items()]
        + [{"key": "note", "value": n} for n in park.notes])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        escape_formulas(about).to_excel(writer, sheet_name="about", index=False)
        for name, table in all_tables(park, inventory).items():
            escape_formulas(table).to_excel(writer, sheet_name=name[:31], index=False)


# -- the text report --------------------------------------------------------------------------
_WIDTH = 34
NOT_COMPUTABLE = "n/c"


def _figure(value, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_COMPUTABLE
    if unit == "fraction":
        return f"{value * 100:.1f} %"
    if "/" in unit:
        return f"{value:.4f}"
    return number(value, 0)


def _change(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:+.1f} %"


def report_text(park: ParkReport) -> str:
    """A readable report for the terminal."""
    meta = park.meta
    years = meta["years"]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    lines = [f"Park report: {meta['facilities']} facilities, {span}, profile {meta['profile']}, "
             f"GWP {meta['gwp']}", ""]
    lines += _dual_control_text(park)
    if park.targets is not None:
        lines += _targets_text(park)
    if park.base_year is not None:
        lines += _base_year_text(park)
    lines += _sectors_text(park)
    lines += _top_text(park)
    lines += _green_text(park)
    if park.comparison is not None:
        lines += _compare_text(park)
    if park.notes:
        lines += ["", "Notes:"] + [f"- {n}" for n in park.notes]
    lines += ["", f"{NOT_COMPUTABLE}: not computable (a value added or output is not known or "
              "cannot be added)"]
    return "\n".join(lines)


def _dual_control_text(park: ParkReport) -> list[str]:
    table = park.dual_control
    years = park.meta["years"]
    units = table.drop_duplicates("indicator").set_index("indicator")["unit"]
    values = wide(table)
    header = f"{'Dual control':<{_WIDTH}}{'unit':<20}" + "".join(f"{y:>14}" for y in years)
    lines = [header]
    for indicator, row in values.iterrows():
        unit = units[indicator]
        if indicator.endswith("output") and row.isna().all():
            continue
        shown = "%" if unit == "fraction" else unit
        lines.append(f"{indicator:<{_WIDTH}}{shown[:19]:<20}"
                     + "".join(f"{_figure(row.get(y), unit):>14}" for y in years))
    key = ["energy_tce", "co2e", "tce_per_value_added", "co2e_per_value_added"]
    for column, title in (("change_yoy", "change on the year before"),
                          ("change_vs_base", f"change vs base year {park.meta['base_year']}")):
        if column == "change_vs_base" and park.meta["base_year"] is None:
            continue
        changes = wide(table, column)
        lines += ["", f"{title.capitalize():<{_WIDTH + 20}}" + "".join(
            f"{y:>14}" for y in years)]
        for indicator in key:
            lines.append(f"{indicator:<{_WIDTH + 20}}" + "".join(
                f"{_change(changes.at[indicator, y]):>14}" for y in years))
    return lines


def _targets_text(park: ParkReport) -> list[str]:
    lines = ["", f"Targets: {park.target_set.name}"]
    for row in park.targets.itertuples():
        unit = row.unit
        assessed = (f"{int(row.assessed_to)}" if not pd.isna(row.assessed_to) else "-")
        lines.append(f"  {row.target[:44]:<46}{row.status:<20} {assessed:>5}  actual "
                     f"{_figure(row.actual, unit):>12}  limit {_figure(row.limit, unit):>12}"
                     f"  margin {_figure(row.margin, unit):>12}")
        lines.append(f"      {row.basis}")
    return lines


def _base_year_text(park: ParkReport) -> list[str]:
    tracked = park.base_year
    lines = ["", f"Base year {tracked.year} (recalculation threshold {tracked.threshold:.0%}):"]
    for row in tracked.tracking.itertuples():
        lines.append(f"  {row.year}: base {number(row.base_co2e, 0):>12} t CO2e"
                     f"{' (recalculated)' if row.recalculated else '':<16} emissions "
                     f"{number(row.co2e, 0):>12}  {_change(row.change_vs_base):>9}  "
                     f"– {row.reason}")
    return lines


def _sectors_text(park: ParkReport) -> list[str]:
    year = park.meta["years"][-1]
    rows = park.by_sector[park.by_sector["year"] == year]
    lines = ["", f"By sector, {year} (Scope 1 + 2, transfers netted):",
             f"  {'sector':<28}{'t CO2e':>14}{'share':>9}{'tce':>14}"]
    lines += [f"  {r.sector:<28}{number(r.total, 0):>14}{r.share * 100:>8.1f}%"
              f"{number(r.energy_tce, 0):>14}" for r in rows.itertuples()]
    return lines


def _top_text(park: ParkReport) -> list[str]:
    top = park.top_emitters
    if top.empty:
        return []
    lines = ["", f"Top {len(top)} emitters, {int(top['year'].iloc[0])} (contribution to the "
             f"park total; together {top['share'].sum() * 100:.1f} %):"]
    lines += [f"  {r.rank:>3}. {r.facility:<14}{r.sector:<24}{number(r.total, 0):>12} t"
              f"{r.share * 100:>7.1f} %" for r in top.itertuples()]
    return lines


def _green_text(park: ParkReport) -> list[str]:
    table = park.green_factories
    yes = table[table["candidate"].eq(True)]
    unknown = table[table["candidate"].isna()]
    lines = ["", f"Green-factory candidates, {park.meta['benchmark_year']}: {len(yes)}"
             + (f" ({len(unknown)} not assessable)" if len(unknown) else "")]
    lines += [f"  {r.facility:<14}{r.sector:<24}{r.reason}" for r in yes.itertuples()]
    return lines


def _compare_text(park: ParkReport) -> list[str]:
    c = park.comparison
    a, b = c.labels
    lines = ["", f"Profile comparison: {a} vs {b}",
             f"  {'year':<6}{'indicator':<18}{a:>14}{b:>14}{'difference':>14}{'relative':>10}"]
    latest_year = c.park["year"].max()
    for r in c.park[c.park["year"] == latest_year].to_dict("records"):
        lines.append(f"  {r['year']:<6}{r['indicator']:<18}{number(r[a], 0):>14}"
                     f"{number(r[b], 0):>14}{number(r['difference'], 0):>14}"
                     f"{_change(r['relative']):>10}")
    latest = c.by_activity[c.by_activity["year"] == c.by_activity["year"].max()].head(5)
    lines.append(f"  largest differences by activity, {int(latest['year'].iloc[0])}: "
                 + ", ".join(f"{r.activity} {number(r.difference, 0)} t"
                             for r in latest.itertuples()) if len(latest) else "")
    return lines
