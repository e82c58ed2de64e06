"""List, search and show the factor library, with the source and confidence of every value.

Examples:

  parkcarbon factors                       every factor of the library
  parkcarbon factors 天然气                  search (activity, Chinese name, set, note)
  parkcarbon factors --profile cn electricity
  parkcarbon factors --show cn-grid-mee-average-2021-2023/electricity/CO2/CN/2022
  parkcarbon factors --activities          activity keys, scopes and Chinese names
  parkcarbon factors --sources             the documents behind each table
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from ..errors import InputError, Problem
from ..factors import library
from ._common import add_format, dump_json, safe_csv

NAME = "factors"
HELP = "list, search and show emission factors and their sources"
LISTED = ["factor_id", "value", "unit", "confidence"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", metavar="QUERY",
                        help="text to search for in activity, Chinese name, set, parameter, note")
    parser.add_argument("--profile", help="only the tables this profile uses (cn, ipcc2006)")
    parser.add_argument("--show", metavar="FACTOR_ID", help="everything about one factor")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--activities", action="store_true", help="list activity keys")
    what.add_argument("--sources", action="store_true", help="list the source documents")
    what.add_argument("--profiles", action="store_true", help="list the profiles")
    what.add_argument("--regions", action="store_true", help="list region codes")
    add_format(parser)


def _search(frame: pd.DataFrame, query: str) -> pd.DataFrame:
    lib = library()
    key = lib.canonical_activity(query)
    text = frame[["factor_id", "set", "activity", "parameter", "note"]].astype(str).agg(
        " ".join, axis=1)
    names = frame["activity"].map(lib.activities["name_zh"]).fillna("")
    hit = text.str.contains(query, case=False, regex=False) | names.str.contains(query,
                                                                                  regex=False)
    if key:
        hit |= frame["activity"] == key
    return frame[hit]


def _table(args: argparse.Namespace) -> pd.DataFrame:
    lib = library()
    if args.activities:
        table = lib.activities.reset_index()
        aliases = pd.Series(lib.aliases.get("activity", {}))
        grouped = aliases.groupby(aliases.values).agg(lambda s: ", ".join(s.index))
        table["aliases"] = table["activity"].map(grouped).fillna("")
        return table
    if args.sources:
        return pd.DataFrame([{"set": k, **v} for k, v in lib.sources.items()])
    if args.profiles:
        return pd.DataFrame([{"profile": p.name, "sets": ", ".join(p.sets),
                              "market_sets": ", ".join(p.market_sets),
                              "description": p.description} for p in lib.profiles.values()])
    if args.regions:
        return lib.regions.reset_index()
    frame = lib.factors
    if args.profile:
        chosen = lib.profile(args.profile)
        frame = frame[frame["set"].isin((*chosen.sets, *chosen.market_sets))]
    if args.query:
        frame = _search(frame, args.query)
    return frame


def _show(factor_id: str, fmt: str) -> str:
    lib = library()
    frame = lib.factors
    match = frame[frame["factor_id"] == factor_id]
    if match.empty:
        raise InputError([Problem("unknown_factor", f"no factor {factor_id!r}", file="library",
                                  accepted=lib.suggest(factor_id, list(frame["factor_id"])))])
    row = match.iloc[0].to_dict()
    source = lib.sources.get(row["set"], {})
    record = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    record["source_document"] = source
    if fmt == "json":
        return dump_json(record)
    lines = [f"{k:>14}: {v}" for k, v in record.items() if k != "source_document" and v not in
             (None, "")]
    lines += [f"{'source ' + k:>14}: {v}" for k, v in source.items()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.show:
        sys.stdout.write(_show(args.show, args.format) + "\n")
        return 0
    table = _table(args)
    if args.format == "json":
        records = table.astype(object).where(table.notna(), None).to_dict("records")
        sys.stdout.write(dump_json({"count": len(records), "rows": records}) + "\n")
    elif args.format == "csv":
        sys.stdout.write(safe_csv(table))
    else:
        columns = [c for c in LISTED if c in table.columns] or list(table.columns)
        with pd.option_context("display.max_rows", None, "display.max_colwidth", 90,
                               "display.width", 200):
            sys.stdout.write(table[columns].to_string(index=False) + f"\n({len(table)} rows)\n")
    return 0
