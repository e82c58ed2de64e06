"""Project a park to 2060 with measures: trajectory, peak, targets, wedges and charts.

FILE is a scenario file (TOML). The bundled ones (scenarios/ in a checkout) run on the sample
park and are commented so that a planner can copy and edit them; --schema prints the format.
Several files are compared in one table and one chart. Examples:

  parkcarbon scenario scenarios/full-pathway.toml
  parkcarbon scenario scenarios/full-pathway.toml --format json
  parkcarbon scenario scenarios/baseline.toml scenarios/full-pathway.toml --output results/
  parkcarbon scenario --bundled --output results/
  parkcarbon scenario --schema

With --output DIR it writes summary.json, the tables as CSV (totals, emissions by sector,
carrier and scope, wedges, targets, measures) and PNG charts (trajectory, wedges, sectors; with
several files also comparison.png) into DIR (one sub-folder per scenario when several).

--format html writes one self-contained page (charts embedded, no link to anything) with the
peak and target verdicts, trajectory, wedge and sector charts and the measures; --format xlsx
writes the same tables as sheets (every scenario in each, with a 'scenario' column). Both go
to --output FILE (.html, .xlsx) or, with --output DIR, beside the usual files (report.html,
report.xlsx); html without --output prints on stdout. --lang zh gives Chinese labels:

  parkcarbon scenario --bundled --format html --lang zh -o scenarios.html
  parkcarbon scenario scenarios/full-pathway.toml --format xlsx -o full-pathway.xlsx

Uncertainty and costs:

  parkcarbon scenario scenarios/full-pathway.toml --monte-carlo 1000 --seed 1
  parkcarbon scenario scenarios/full-pathway.toml --optimize --format json

--monte-carlo N draws the file's [uncertainty] distributions (growth rates, the grid path,
measure parameters such as the prefab saving or the PV yield) N times (default: the file's
[uncertainty] draws) and reports a fan of trajectories (percentiles per year), the probability
of peaking by the target year and of meeting each target (fan.csv, peak_years.csv, fan.png with
--output). --optimize finds the measure levels that meet [targets] at the least discounted
cost (measures carry capex, opex, lifetime; [optimize] budget limits capex), with the binding
constraints and, when no levels meet the targets, the shortfall (optimum.csv,
constraints.csv, pathway.png).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ._common import add_format, dump_json, note, number, safe_csv, write_summary_and_tables

NAME = "scenario"
HELP = "project a park with measures: peak year, targets, wedges and charts"

#: html and xlsx are documents: one file with every scenario (see write_document).
FORMATS = ("table", "json", "csv", "html", "xlsx")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="scenario file(s) (.toml)")
    parser.add_argument("--bundled", action="store_true",
                        help="run the bundled scenarios of the sample park (after any FILE)")
    parser.add_argument("--output", "-o", metavar="DIR",
                        help="also write summary.json, CSV tables and PNG charts into DIR; "
                        "with --format html or xlsx, DIR or one .html / .xlsx file")
    parser.add_argument("--no-charts", action="store_true", help="with --output: no PNG charts")
    parser.add_argument("--schema", action="store_true",
                        help="print the JSON Schema of scenario files and exit")
    parser.add_argument("--monte-carlo", dest="monte_carlo", type=int, nargs="?", const=0,
                        metavar="N", help="draw the file's [uncertainty] distributions N times "
                        "(default N: the file's [uncertainty] draws): fan of trajectories and "
                        "probabilities of meeting the targets")
    parser.add_argument("--seed", type=int, metavar="S",
                        help="seed of --monte-carlo (default: the file's [uncertainty] seed)")
    parser.add_argument("--optimize", action="store_true",
                        help="least-cost measure levels that meet [targets] (measures need "
                        "capex, opex, lifetime)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of the html report: en (default) or zh")
    add_format(parser, FORMATS)


def run(args: argparse.Namespace) -> int:
    from ..scenario import bundled_files, json_schema

    if args.schema:
        sys.stdout.write(dump_json(json_schema()) + "\n")
        return 0
    files = [Path(f) for f in args.files] + (bundled_files() if args.bundled else [])
    if not files:
        print("parkcarbon scenario: error: give a scenario FILE (or --bundled, or --schema)",
              file=sys.stderr)
        return 2
    if args.seed is not None and args.monte_carlo is None:
        print("parkcarbon scenario: error: --seed goes with --monte-carlo", file=sys.stderr)
        return 2
    scenarios = load_all(files, enabled=False if args.quiet else None)
    results = _unique_names([s.run() for s in scenarios])
    for scenario, result in zip(scenarios, results, strict=True):
        _extras(args, scenario, result)
    if args.format in ("html", "xlsx"):
        return write_document(args, results)
    if args.format == "json":
        objects = [r.to_dict() for r in results]
        body = objects[0] if len(objects) == 1 else {"scenarios": objects}
        sys.stdout.write(dump_json(body) + "\n")
    elif args.format == "csv":
        sys.stdout.write(safe_csv(_totals(results)))
    else:
        print("\n\n".join(_full_table(r) for r in results))
        if len(results) > 1:
            print("\n" + comparison_table(results))
    if args.output:
        written = write_outputs(results, Path(args.output), charts=not args.no_charts)
        note(args, f"parkcarbon: wrote {len(written)} files to {args.output}/")
    return 0


def _extras(args: argparse.Namespace, scenario, result) -> None:
    """Monte Carlo and least-cost pathway of one scenario, when asked."""
    if getattr(args, "monte_carlo", None) is not None:
        from ..uncertainty.scenario import monte_carlo

        result.monte_carlo = monte_carlo(scenario, draws=args.monte_carlo or None,
                                         seed=args.seed,
                                         progress=False if args.quiet else None)
    if getattr(args, "optimize", False):
        from ..optimize import least_cost

        result.optimization = least_cost(scenario)


def _full_table(result) -> str:
    parts = [scenario_table(result)]
    if result.monte_carlo is not None:
        parts.append(result.monte_carlo.text())
    if result.optimization is not None:
        parts.append(result.optimization.text())
    return "\n\n".join(parts)


def _unique_names(results: list) -> list:
    seen: dict[str, int] = {}
    for r in results:
        seen[r.name] = seen.get(r.name, 0) + 1
        if seen[r.name] > 1:
            r.name = f"{r.name}-{seen[r.name]}"
    return results


def _totals(results) -> pd.DataFrame:
    frames = []
    for r in results:
        frame = r.totals()
        frame.insert(0, "scenario", r.name)
        if r.monte_carlo is not None:
            for p, values in r.monte_carlo.fan.items():
                frame[f"mc_p{p:g}"] = values
        if r.optimization is not None and r.optimization.emissions is not None:
            frame["least_cost_co2e"] = r.optimization.emissions
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


# -- text -------------------------------------------------------------------------------------
def _shown_years(years) -> list[int]:
    first, last = int(years[0]), int(years[-1])
    shown = [first] + [y for y in range(first + 1, last) if y % 5 == 0] + [last]
    return sorted(set(shown))


def _row(label: str, values, width: int = 12, digits: int = 0) -> str:
    cells = "".join(f"{'-' if v != v else number(v, digits):>{width}}" for v in values)
    return f"{label:<26}{cells}"


def _met(flag) -> str:
    return {True: "met", False: "MISSED", None: "not checkable"}[flag]


def scenario_table(result) -> str:
    """A readable summary of one scenario result."""
    d = result.to_dict()
    years = _shown_years(result.years)
    index = [int(y - result.years[0]) for y in years]
    totals = result.totals()
    base = d["base"]
    source = (f"inventory, profile {base['profile']}, GWP {base['gwp']}"
              if base["source"] == "inventory" else "sector totals in the file")
    lines = [f"Scenario {result.name}: {result.title}",
             f"Base year {d['base_year']} ({source}); projection to {d['end']}; t CO2e, "
             f"Scopes {'+'.join(map(str, d['scopes']))}", "",
             f"{'year':<26}" + "".join(f"{y:>12}" for y in years),
             _row("baseline", result.baseline[index]),
             _row("scenario", result.scenario[index]),
             _row("abatement", (result.baseline - result.scenario)[index]),
             _row("energy (tce)", totals["scenario_tce"].to_numpy()[index])]
    if result.value_added is not None:
        unit = result.value_added_unit
        lines.append(_row(f"t CO2e / {unit}", totals["carbon_intensity"].to_numpy()[index],
                          digits=4))
        lines.append(_row(f"tce / {unit}", totals["energy_intensity"].to_numpy()[index],
                          digits=4))
    if result.captured_detail.sum() > 0:
        lines.append(_row("captured CO2 (t)", totals["captured_co2"].to_numpy()[index]))
    lines.append("")
    baseline_peak = (f"baseline peaks in {result.baseline_peak.year}" if
                     result.baseline_peak.peaked else f"baseline not peaked by {d['end']}")
    if result.peak.peaked:
        lines.append(f"Peak: {result.peak.year}, {number(result.peak.value)} t CO2e "
                     f"({baseline_peak})")
    else:
        lines.append(f"Peak: not peaked by {d['end']} (still at its highest, "
                     f"{number(result.peak.highest_value)} t CO2e; {baseline_peak})")
    robust = result.robust
    lines.append("Robust peak test (C40: >= 3 years, peak > 5 years before the latest, latest "
                 f"> 10 % below): {'passed' if robust.passed else 'not passed'}"
                 + (f", visible from {result.robust_year}" if result.robust_year else ""))
    targets = result.targets
    if targets["peak"] or targets["caps"] or targets["intensity"]:
        lines += ["", "Targets:"]
        if targets["peak"]:
            t = targets["peak"]
            lines.append(f"  peak by {t['by']:<32}{_met(t['met']):>14}  "
                         f"(peak {t['peak_year'] or 'none'})")
        for c in targets["caps"]:
            unit = "t CO2e" if c["kind"] == "co2e" else "tce"
            lines.append(f"  {c['year']} cap {number(c['cap'], 0)} {unit}".ljust(42)
                         + f"{_met(c['met']):>14}  ({number(c['value'], 0)})")
        for t in targets["intensity"]:
            lines.append(f"  {t['kind']} intensity {t['year']} -{t['reduction']:.1%} vs "
                         f"{t['reference_year']}".ljust(42) + f"{_met(t['met']):>14}  "
                         f"({-t['achieved_reduction']:+.1%})")
    if result.measures:
        first, last = int(result.years[0]) + 1, int(result.years[-1])
        lines += ["", f"Measures: cumulative abatement {first}-{last} (t CO2e), in order "
                  "applied / Shapley split:"]
        for k, op in enumerate(result.measures):
            lines.append(f"  {k + 1}. {op.name:<34}{number(result.ordered[k].sum()):>16}"
                         f"{number(result.shapley[k].sum()):>16}")
        lines.append(f"  Shapley: {result.shapley_method}")
    if result.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in result.notes]
    return "\n".join(lines)


def comparison_table(results) -> str:
    """One line per scenario: peak, values in chosen years, targets."""
    lines = ["Comparison (t CO2e):",
             f"{'scenario':<22}{'peak year':>10}{'peak':>14}{'2030':>14}{'2060':>14}"
             f"{'targets':>16}"]
    for r in results:
        at = dict(zip(r.years.tolist(), r.scenario, strict=True))
        cells = [number(at[y]) if y in at else "-" for y in (2030, 2060)]
        lines.append(f"{r.name:<22}{r.peak.year or '-':>10}"
                     f"{number(r.peak.value) if r.peak.peaked else '-':>14}{cells[0]:>14}"
                     f"{cells[1]:>14}{_met(r.targets['all_met']):>16}")
    return "\n".join(lines)


# -- files ------------------------------------------------------------------------------------
def write_result(result, folder: Path, charts: bool = True) -> list[Path]:
    """summary.json, the tables as CSV and the charts of one result, into ``folder``."""
    written = write_summary_and_tables(result.to_dict(), result.tables(), folder)
    extra_tables = {}
    if result.monte_carlo is not None:
        extra_tables.update(result.monte_carlo.tables())
    if result.optimization is not None:
        extra_tables.update(result.optimization.tables())
    for name, table in extra_tables.items():
        path = folder / f"{name}.csv"
        safe_csv(table, path)
        written.append(path)
    if charts:
        from ..scenario.plot import save_charts

        written += save_charts(result, folder)
        if result.monte_carlo is not None:
            from ..uncertainty.plot import plot_fan

            path = folder / "fan.png"
            plot_fan(result.monte_carlo).savefig(path, dpi=120)
            written.append(path)
        if result.optimization is not None:
            from ..optimize.plot import plot_pathway

            path = folder / "pathway.png"
            plot_pathway(result, result.optimization).savefig(path, dpi=120)
            written.append(path)
    return written


def write_outputs(results, folder: Path, charts: bool = True) -> list[Path]:
    """Write one result into ``folder``, or several into sub-folders plus a comparison."""
    if len(results) == 1:
        return write_result(results[0], folder, charts)
    written = []
    for r in results:
        written += write_result(r, folder / r.name, charts)
    folder.mkdir(parents=True, exist_ok=True)
    summary = folder / "summary.json"
    summary.write_text(dump_json({"scenarios": [r.to_dict() for r in results]}) + "\n",
                       encoding="utf-8")
    comparison = folder / "comparison.csv"
    safe_csv(_totals(results), comparison)
    written += [summary, comparison]
    if charts:
        from ..scenario.plot import save_comparison

        written.append(save_comparison(results, folder / "comparison.png"))
    return written


def run_demo(folder: Path, charts: bool = True, progress: bool | None = None) -> str:
    """Run the bundled scenarios for ``parkcarbon demo``: write their results into ``folder``
    (one sub-folder each, plus comparison.png) and return the comparison table to print.
    ``progress``: a bar on stderr when it is a terminal (None), never (False)."""
    from ..scenario import bundled_files

    results = _unique_names([s.run() for s in load_all(bundled_files(), enabled=progress)])
    write_outputs(results, folder, charts=charts)
    return comparison_table(results)


# -- documents: one HTML page or one workbook ------------------------------------------------
def load_all(files, enabled: bool | None = None) -> list:
    """Load scenario files (accounting each base year) with a progress bar on stderr when it
    is a terminal (``enabled=None``), never with ``enabled=False``."""
    from ..progress import progress_bar
    from ..scenario import load

    with progress_bar(len(files), "scenarios", enabled, unit="file") as bar:
        loaded = []
        for path in files:
            loaded.append(load(path))
            bar.update(1)
    return loaded


def write_document(args: argparse.Namespace, results) -> int:
    """--format html / xlsx: the results as one self-contained HTML page or one workbook.

    Without --output the page prints on stdout (a workbook needs --output); --output FILE
    (.html, .xlsx) writes that file; --output DIR writes the usual folder plus report.html or
    report.xlsx.
    """
    from ..errors import ParameterError

    if args.output is None:
        if args.format == "xlsx":
            raise ParameterError("--output", "parkcarbon scenario", "a folder or an .xlsx "
                                 "file with --format xlsx (a workbook is not written to "
                                 "stdout)", None)
        sys.stdout.write(_html(results, args))
        return 0
    output = Path(args.output)
    if output.suffix:
        output.parent.mkdir(parents=True, exist_ok=True)
        written = [output]
    else:
        written = write_outputs(results, output, charts=not args.no_charts)
        written.append(output / f"report.{args.format}")
    target = written[-1]
    if args.format == "html":
        target.write_text(_html(results, args), encoding="utf-8")
    else:
        write_scenario_xlsx(results, target)
    note(args, f"parkcarbon: wrote {target}" if output.suffix else
         f"parkcarbon: wrote {len(written)} files to {output}/")
    return 0


def _html(results, args: argparse.Namespace) -> str:
    from ..htmlreport import scenario_html

    return scenario_html(results, args.lang, charts=not args.no_charts)


def write_scenario_xlsx(results, path: Path) -> None:
    """One sheet per table (every scenario in each, with a ``scenario`` column): verdicts,
    totals, emissions, wedges, wedges_by_sector, targets, measures; formula-like text
    escaped."""
    from ..htmlreport import scenario_tables
    from ._common import escape_formulas

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, table in scenario_tables(results).items():
            escape_formulas(table).to_excel(writer, sheet_name=name[:31], index=False)
