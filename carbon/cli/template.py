"""Write the Excel input template a park sends to its enterprises.

OUT.xlsx gets the sheets activities, facilities and transfers (and factors with
--with-factors) with the fixed column names in row 1, a bilingual note on every header cell,
drop-down lists of activity keys (and their Chinese names), units, instruments, regions and
carriers, an example record on each sheet (grey: replace or delete it) and an instructions
sheet in both languages. Fill it in and account it as it is:

  parkcarbon template park.xlsx
  parkcarbon template --lang zh --with-factors 园区模板.xlsx
  parkcarbon account park.xlsx
  parkcarbon report park.xlsx --format html -o report.html
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import ParameterError
from ..template import SHEETS, write_template
from ._common import add_format, dump_json

NAME = "template"
HELP = "write the Excel input template (activities, facilities, transfers, factors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("output", metavar="OUT.xlsx", help="the workbook to write")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language that comes first in the notes and instructions, and of "
                        "the example rows (default: en); column names are fixed")
    parser.add_argument("--with-factors", action="store_true",
                        help="also a 'factors' sheet for the park's own emission factors")
    parser.add_argument("--force", action="store_true",
                        help="overwrite OUT.xlsx if it exists")
    add_format(parser, ("table", "json"))


def run(args: argparse.Namespace) -> int:
    path = Path(args.output)
    if path.exists() and not args.force:
        raise ParameterError("OUT.xlsx", "parkcarbon template", "a file that does not exist "
                             "yet (or add --force to overwrite it)", str(path))
    write_template(path, lang=args.lang, with_factors=args.with_factors)
    sheets = [s for s in SHEETS if args.with_factors or s != "factors"]
    if args.format == "json":
        sys.stdout.write(dump_json({"written": str(path), "sheets": sheets,
                                    "lang": args.lang}) + "\n")
    else:
        print(f"Wrote {path}: sheets {', '.join(sheets)} and instructions. "
              f"Fill it in, then: parkcarbon account {path}")
    return 0
