"""Account a park's activity records into an inventory.

FILE is a CSV, an Excel workbook (sheet 'activities'; its 'facilities', 'transfers' and
'factors' sheets are read too) or Parquet. Examples:

  parkcarbon account activities.csv --facilities facilities.csv --transfers transfers.csv
  parkcarbon account park.xlsx --format json
  parkcarbon account activities.csv --lenient --format csv --output results/
  parkcarbon account data/ --engine stream          # a Parquet folder in bounded memory
  parkcarbon account data/ --engine dask --workers 2

With the fast extra installed (pip install "parkcarbon[fast]": numba), runs of tens of millions
of rows sum and hash their rows in compiled loops.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..accounting import account
from ..partitioned import account_dask, account_parquet, import_dask, local_cluster
from ._common import (
    add_format,
    add_inputs,
    add_profile_options,
    dump_json,
    inventory_table,
    note,
    safe_csv,
    write_results,
)

NAME = "account"
HELP = "account activity records into a park inventory"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_inputs(parser)
    add_profile_options(parser)
    parser.add_argument("--engine", choices=("pandas", "stream", "dask"), default="pandas",
                        help="pandas: the table in memory (default); stream: a Parquet file or "
                        "folder row group by row group, in bounded memory; dask: Dask partitions, "
                        "with the dask extra installed (no per-row ledger for stream and dask)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="with --engine dask: a local cluster of N worker processes "
                        "(default: threads in this process)")
    parser.add_argument("--lenient", action="store_true",
                        help="account the good rows and report the bad ones instead of stopping")
    parser.add_argument("--output", "-o", metavar="PATH",
                        help="write here instead of stdout: a file (.json, .csv, .txt) or a folder "
                        "(summary.json, by_facility.csv, ledger.csv, rejected.csv...)")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    options = dict(facilities=args.facilities, transfers=args.transfers, factors=args.factors,
                   profile=args.profile, gwp=args.gwp, strict=not args.lenient)
    if args.engine == "stream":
        inventory = account_parquet(args.file, progress=None if not args.quiet else False,
                                    **options)
    elif args.engine == "dask":
        inventory = _account_dask(args.file, args.workers,
                                  dict(options, progress=None if not args.quiet else False))
    else:
        inventory = account(args.file, **options)
    rejected = inventory.rows["rejected"]
    if rejected:
        note(args, f"parkcarbon: {rejected} row(s) rejected; first ones:\n"
             + "\n".join(f"  row {r.row}: {r.reason}" for r in inventory.rejected.head(5)
                         .itertuples()))
    text = {"json": lambda: dump_json(inventory.summary()),
            "csv": lambda: safe_csv(inventory.by_facility().reset_index()),
            "table": lambda: inventory_table(inventory)}[args.format]
    if args.output is None:
        sys.stdout.write(text() + ("" if args.format == "csv" else "\n"))
        return 0
    output = Path(args.output)
    if output.suffix:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text() + "\n", encoding="utf-8")
        note(args, f"parkcarbon: wrote {output}")
    else:
        written = write_results(inventory, output)
        note(args, f"parkcarbon: wrote {len(written)} files to {output}/")
    return 0


def _account_dask(path: str, workers: int | None, options: dict):
    import_dask("--engine dask" + (" --workers" if workers else ""), distributed=bool(workers))
    if not workers:
        return account_dask(path, **options)
    from dask.distributed import Client

    with local_cluster(workers) as cluster, Client(cluster):
        return account_dask(path, **options)
