"""What every subcommand shares: error handling, warnings to stderr, output formats."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

from ..errors import CarbonError, CarbonWarning, InputError, NotAvailableError
from ..inventory import Inventory

FORMATS = ("table", "json", "csv")


def add_format(parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS) -> None:
    parser.add_argument("--format", choices=formats, default="table",
                        help="output format (default: table); json prints one object on stdout")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no warnings or notes on stderr")


def add_inputs(parser: argparse.ArgumentParser,
               facilities: str = "facilities table (region, sector...)",
               factors: str = "user factors, merged over the library") -> None:
    """FILE and the tables that go with it, as every command that accounts an inventory takes
    them; ``facilities`` and ``factors`` are the help of those two, for what a command uses."""
    parser.add_argument("file", metavar="FILE", help="activity records (.csv, .xlsx, .parquet)")
    parser.add_argument("--facilities", metavar="F", help=facilities)
    parser.add_argument("--transfers", metavar="F", help="intra-park energy sales")
    parser.add_argument("--factors", metavar="F", help=factors)


def add_profile_options(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and ``--gwp``, as every command that accounts an inventory takes them."""
    from ..units import GWP_SETS

    parser.add_argument("--profile", default="cn", metavar="PROFILE",
                        help="factor profile: cn (default), ipcc2006, or one added to "
                        "factors/profiles.toml")
    parser.add_argument("--gwp", choices=tuple(GWP_SETS), default="AR5",
                        help="GWP100 set (default: AR5)")


def error_object(exc: CarbonError) -> dict:
    body = {"type": type(exc).__name__, "message": str(exc)}
    if isinstance(exc, InputError):
        body["problems"] = [
            {"file": p.file, "row": p.row, "column": p.column,
             "value": None if p.value is None else str(p.value), "reason": p.reason,
             "accepted": p.accepted} for p in exc.problems]
    return {"error": body}


def run_guarded(args: argparse.Namespace) -> int:
    """Run a subcommand; user errors become one message and exit code 1."""
    with warnings.catch_warnings(record=True) as caught:
        # Show our own warnings, once each; other libraries' warnings are not the user's business.
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", CarbonWarning)
        try:
            code = args.run(args)
        except CarbonError as exc:
            if getattr(args, "format", None) == "json":
                print(json.dumps(error_object(exc), ensure_ascii=False))
            print(f"parkcarbon: error: {exc}", file=sys.stderr)
            return 1
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            print(f"parkcarbon: error: {exc}", file=sys.stderr)
            return 1
        finally:
            if not getattr(args, "quiet", False):
                for w in _unique(caught):
                    print(f"parkcarbon: warning: {w.message}", file=sys.stderr)
    return code


def _unique(caught):
    seen = set()
    for w in caught:
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            yield w


def note(args: argparse.Namespace, text: str) -> None:
    """A note for the user on stderr (never on stdout, which may carry JSON)."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def dump_json(obj: dict) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


def number(value: float, digits: int = 1) -> str:
    """A figure as a planner reads it: thousands separated by spaces (SI style)."""
    return f"{value:,.{digits}f}".replace(",", " ")


def inventory_table(inventory: Inventory, title: str = "Park inventory") -> str:
    """A readable summary of an inventory."""
    s = inventory.summary()
    years = s["years"]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else (str(years[0]) if years else "-")
    width = 46
    lines = [
        f"{title}: {len(s['by_facility'])} facilities, {span}, profile {s['profile']}, "
        f"GWP {s['gwp']} (t CO2e)",
        "",
        f"{'Park total (territorial, transfers netted)':<{width}}{number(s['total']):>16}",
        f"{'  Scope 1':<{width}}{number(s['scope1']):>16}",
        f"{'  Scope 2, location-based':<{width}}{number(s['scope2_location']):>16}",
        f"{'Park total, market-based Scope 2':<{width}}{number(s['total_market']):>16}",
        f"{'Scope 3 (reported separately)':<{width}}{number(s['scope3']):>16}",
        f"{'Netted intra-park transfers (Scope 2)':<{width}}"
        f"{number(s['transfers_netted']['scope2_location']):>16}",
        f"{'Energy use (tce, equivalent value)':<{width}}{number(s['energy_tce']):>16}",
    ]
    if len(years) > 1:
        lines += ["", "By year (enterprise sum of Scope 1 + 2, before netting):"]
        by_year = inventory.facts[inventory.facts["scope"].isin((1, 2))].groupby("year")["co2e"]
        lines += [f"  {y:<{width - 2}}{number(v):>16}" for y, v in by_year.sum().items()]
    sectors = inventory.facts[inventory.facts["scope"].isin((1, 2))].groupby("sector")["co2e"]
    sector_sum = sectors.sum().sort_values(ascending=False)
    if len(sector_sum) > 1 or (len(sector_sum) == 1 and sector_sum.index[0]):
        lines += ["", "By sector (Scope 1 + 2, enterprise view):"]
        lines += [f"  {k or '(no sector)':<{width - 2}}{number(v):>16}" for k, v in
                  sector_sum.items()]
    lines += ["", "By gas (t of gas, Scope 1 + 2, netted):"]
    lines += [f"  {g:<{width - 2}}{number(v, 3):>16}" for g, v in s["by_gas"].items()]
    facilities = inventory.by_facility().sort_values("total", ascending=False)
    share = facilities["total"] / max(facilities["total"].sum(), 1e-300) * 100
    lines += ["", "Top emitters (Scope 1 + 2, enterprise view):"]
    lines += [f"  {f:<{width - 10}}{share[f]:>6.1f} %  {number(row['total']):>14}"
              for f, row in facilities.head(5).iterrows()]
    rows = s["rows"]
    lines += ["", f"Rows: {rows['input']} input = {rows['accounted']} accounted + "
              f"{rows['rejected']} rejected"]
    if s["fallbacks"]:
        lines.append(f"Factor fallbacks (wider region or earlier year): {s['fallbacks']}, "
                     "listed in fallbacks.csv")
    return "\n".join(lines)


def write_results(inventory: Inventory, folder: Path) -> list[Path]:
    """Write the JSON summary and the tables an accountant checks, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        ledger = {"ledger.csv": inventory.ledger}
    except NotAvailableError:  # accounted in partitions: no rows kept
        ledger = {}
    tables: dict[str, pd.DataFrame] = {
        "by_facility.csv": inventory.by_facility().reset_index(),
        **ledger,
        "rejected.csv": inventory.rejected,
        "fallbacks.csv": inventory.fallbacks,
        "factors_used.csv": inventory.factors_used(),
        "transfers_netted.csv": inventory.transfers,
    }
    return write_summary_and_tables(inventory.summary(), tables, folder)


def write_summary_and_tables(summary: dict, tables: dict[str, pd.DataFrame],
                             folder: Path) -> list[Path]:
    """``summary.json`` and one CSV per table (names with or without ``.csv``, formulas
    escaped) into ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "summary.json"
    path.write_text(dump_json(summary) + "\n", encoding="utf-8")
    written = [path]
    for name, table in tables.items():
        path = folder / (name if name.endswith(".csv") else f"{name}.csv")
        safe_csv(table, path)
        written.append(path)
    return written


_FORMULA_START = ("=", "+", "-", "@")


def escape_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy where text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``
    first) is prefixed with an apostrophe, for CSV and Excel exports."""
    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            text = out[column].astype(object)
            risky = text.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
            out[column] = text.where(~risky, "'" + text.astype(str))
    return out


def safe_csv(table: pd.DataFrame, path: Path | None = None) -> str | None:
    """CSV (UTF-8 with BOM, so Excel shows Chinese) with formulas escaped."""
    out = escape_formulas(table)
    if path is None:
        return out.to_csv(index=False)
    out.to_csv(path, index=False, encoding="utf-8-sig")
    return None
