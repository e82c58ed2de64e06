"""Marginal abatement cost curve of a scenario's measures: the levelised cost of each measure
per t CO2e abated, cheapest first, with its abatement after the measures before it.

SCENARIO is a scenario file (TOML) whose measures carry costs: capex [CNY] with lifetime
[yr], opex and savings [CNY/yr], discount_rate ([costs] discount_rate by default). A measure's
cost in a year is (capex x capital recovery factor + opex - savings) x its ramp; its levelised
cost is discounted cost over discounted abatement over the horizon. Abatement is the
measure's ordered wedge (after the measures written before it), so measures acting on the
same emissions are never credited twice. Examples:

  parkcarbon macc scenarios/full-pathway.toml
  parkcarbon macc scenarios/full-pathway.toml --order cost --year 2030
  parkcarbon macc scenarios/full-pathway.toml --format json --output results/

With --output DIR it writes macc.json, macc.csv and macc.png into DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._common import add_format, dump_json, note, safe_csv

NAME = "macc"
HELP = "marginal abatement cost curve of a scenario's measures"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="SCENARIO", help="scenario file (.toml) with costs")
    parser.add_argument("--year", type=int, metavar="YEAR",
                        help="bar widths: abatement in YEAR [t CO2e/yr] (default: cumulative "
                        "over the horizon, or [costs] macc_year)")
    parser.add_argument("--order", choices=("written", "cost"),
                        help="abatement after the measures written before (default, or "
                        "[costs] macc_order) or after the cheaper ones (cost)")
    parser.add_argument("--output", "-o", metavar="DIR",
                        help="also write macc.json, macc.csv and macc.png into DIR")
    parser.add_argument("--no-charts", action="store_true", help="with --output: no PNG")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from ..optimize import macc
    from ..scenario import load

    curve = macc(load(Path(args.file)), year=args.year, order=args.order)
    if args.format == "json":
        sys.stdout.write(dump_json(curve.to_dict()) + "\n")
    elif args.format == "csv":
        sys.stdout.write(safe_csv(curve.table))
    else:
        print(curve.text())
    if args.output is not None:
        written = write_macc(curve, Path(args.output), charts=not args.no_charts)
        note(args, f"parkcarbon: wrote {len(written)} files to {args.output}/")
    return 0


def write_macc(curve, folder: Path, charts: bool = True) -> list[Path]:
    """macc.json, macc.csv and macc.png into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    summary = folder / "macc.json"
    summary.write_text(dump_json(curve.to_dict()) + "\n", encoding="utf-8")
    table = folder / "macc.csv"
    safe_csv(curve.table, table)
    written = [summary, table]
    if charts:
        from ..optimize.plot import plot_macc

        path = folder / "macc.png"
        plot_macc(curve).savefig(path, dpi=120)
        written.append(path)
    return written
