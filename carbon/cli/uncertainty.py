"""How sure is the inventory? Half the 95 % interval (U, %) of the park total, each scope and
each facility, by IPCC 2006 Vol. 1 Ch. 3 Approach 1 (error propagation, the default) or
Approach 2 (Monte Carlo).

FILE holds the activity records, as for 'parkcarbon account'. Uncertainties come from the
activities' and the user factors' 'uncertainty' columns (half the 95 % interval, in %), else
from the factor library's 95 % ranges, else from documented defaults (+-5 % for fuel activity
data, a factor of 3 for CH4 and N2O; parkcarbon defaults, labelled "assumed", for the rest).
A factor row shared by several facilities (one grid factor for the whole park) is one error:
Monte Carlo draws it once per iteration for the whole park. Examples:

  parkcarbon uncertainty activities.csv --facilities facilities.csv --transfers transfers.csv
  parkcarbon uncertainty activities.csv --method monte-carlo --draws 20000 --seed 1
  parkcarbon uncertainty park.xlsx --format json --output results/

With --output DIR it writes summary.json, uncertainty.csv (every facility and scope),
contributions.csv, factors.csv (each factor row's spread and source), activity.csv (each
input row's), contributions.png and, for Monte Carlo, park_draws.csv and park_total.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..accounting import account
from ..io import EXCEL_SUFFIXES, read_table, workbook_sheets
from ..uncertainty import METHODS, assess
from ._common import (
    add_format,
    add_inputs,
    add_profile_options,
    dump_json,
    note,
    safe_csv,
    write_summary_and_tables,
)

NAME = "uncertainty"
HELP = "uncertainty of an inventory (IPCC Approach 1 or Monte Carlo)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_inputs(parser, factors="user factors, merged over the library (their 'uncertainty' "
               "column is used)")
    add_profile_options(parser)
    parser.add_argument("--year", type=int, metavar="YEAR",
                        help="reporting year (default: the latest in FILE)")
    parser.add_argument("--method", choices=METHODS, default="propagation",
                        help="propagation (IPCC Approach 1, default) or monte-carlo (Approach 2)")
    parser.add_argument("--draws", type=int, default=10_000, metavar="N",
                        help="Monte Carlo draws (default 10000)")
    parser.add_argument("--seed", type=int, metavar="S",
                        help="Monte Carlo seed (default: a fresh one, printed in the result)")
    parser.add_argument("--independent", action="store_true",
                        help="treat factor rows as independent between facilities (to see how "
                        "much sharing them adds); default: shared rows are one error")
    parser.add_argument("--memory", type=int, default=256, metavar="MIB",
                        help="Monte Carlo memory budget for its arrays, MiB (default 256)")
    parser.add_argument("--output", "-o", metavar="DIR",
                        help="also write summary.json, CSV tables and PNG charts into DIR")
    add_format(parser)


def _factors(args: argparse.Namespace):
    """The user factor table: --factors, or the workbook's own 'factors' sheet."""
    if args.factors is not None:
        return read_table(args.factors, "factors")
    if Path(args.file).suffix.lower() in EXCEL_SUFFIXES and Path(args.file).is_file() and (
            "factors" in workbook_sheets(args.file)):
        return read_table(args.file, "factors")
    return None


def run(args: argparse.Namespace) -> int:
    factors = _factors(args)
    inventory = account(args.file, facilities=args.facilities, transfers=args.transfers,
                        factors=factors, profile=args.profile, gwp=args.gwp)
    result = assess(inventory, method=args.method, year=args.year, factors=factors,
                    draws=args.draws, seed=args.seed, correlated=not args.independent,
                    memory=args.memory * 2 ** 20, progress=False if args.quiet else None)
    if args.format == "json":
        sys.stdout.write(dump_json(result.to_dict()) + "\n")
    elif args.format == "csv":
        sys.stdout.write(safe_csv(result.tables()["uncertainty"]))
    else:
        print(result.text())
    if args.output is not None:
        written = write_uncertainty(result, Path(args.output))
        note(args, f"parkcarbon: wrote {len(written)} files to {args.output}/")
    return 0


def write_uncertainty(result, folder: Path, charts: bool = True) -> list[Path]:
    """summary.json, the tables as CSV and the charts, into ``folder``."""
    written = write_summary_and_tables(result.to_dict(), result.tables(), folder)
    if charts:
        from ..uncertainty.plot import save_uncertainty_charts

        written += save_uncertainty_charts(result, folder)
    return written
