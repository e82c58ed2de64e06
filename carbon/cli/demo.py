"""Run the bundled sample park: a fictional Pingshan-like park of 44 facilities in 6 sectors.

It accounts three years of monthly records (mixed units, Chinese aliases, green certificates,
refrigerant leaks, a clinker line and an in-park gas CHP selling power and heat), prints a
summary, runs the bundled carbon-peak scenarios (baseline, prefabricated construction, full
pathway), and writes the JSON report, the per-row ledger, the per-facility tables, the scenario
tables and charts, and the input files into a folder (default ./parkcarbon-demo).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..accounting import account
from ..resources import data_dir
from ._common import add_format, dump_json, inventory_table, note, write_results
from .scenario import run_demo

NAME = "demo"
HELP = "account the bundled sample park and write its report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", metavar="DIR", default="parkcarbon-demo",
                        help="folder for the results (default: ./parkcarbon-demo)")
    add_format(parser, ("table", "json"))


def sample_park() -> Path:
    """Folder of the bundled sample park's input CSVs."""
    return data_dir("examples") / "sample_park"


def run(args: argparse.Namespace) -> int:
    park = sample_park()
    inventory = account(park / "activities.csv", facilities=park / "facilities.csv",
                        transfers=park / "transfers.csv")
    output = Path(args.output)
    written = write_results(inventory, output)
    inputs = output / "inputs"
    inputs.mkdir(exist_ok=True)
    for name in ("activities.csv", "facilities.csv", "transfers.csv"):
        shutil.copyfile(park / name, inputs / name)
    scenarios = run_demo(output / "scenarios", progress=False if args.quiet else None)
    if args.format == "json":
        sys.stdout.write(dump_json(inventory.summary()) + "\n")
    else:
        print(inventory_table(inventory, "Pingshan demo park (坪山示范园区)"))
        print("\nCarbon-peak scenarios (scenarios/*.toml, projected to 2060):\n")
        print(scenarios)
        print(f"\nWrote {len(written)} result files, the scenario results and the inputs to "
              f"{output.resolve()}/")
        print(f"Try: parkcarbon account {inputs / 'activities.csv'} --facilities "
              f"{inputs / 'facilities.csv'} --transfers {inputs / 'transfers.csv'} --format json")
    note(args, f"parkcarbon: demo results in {output}/")
    return 0
