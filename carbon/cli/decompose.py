"""Split the change of park emissions between two years into its drivers (LMDI-I).

FILE holds the activity records, as for 'parkcarbon account'. The park's Scope 1 + 2
emissions (intra-park transfers netted) follow
C = Σ Q · (Q_i/Q) · (E_i/Q_i) · (E_ik/E_i) · (C_ik/E_ik) + non-energy,
and their change is split into activity (value added), structure (sector shares), energy
intensity, energy mix, emission factors and non-energy (process, fugitive) emissions; the
effects add up exactly to the change. Examples:

  parkcarbon decompose activities.csv --facilities facilities.csv --from 2021 --to 2023
  parkcarbon decompose activities.csv --facilities facilities.csv --value-added va.csv \\
      --from 2021 --to 2023 --chain --format json
  parkcarbon decompose park.xlsx --from 2021 --to 2023 --output results/

The value-added table has columns sector or facility, year, value_added (optional
value_added_unit); a workbook FILE may hold it as a sheet named 'value_added'. Without it,
the facilities table's value added is held constant over the years, so activity and
structure effects are 0 (a warning says so).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..accounting import account
from ..decompose import Decomposition, decompose_park
from ..decompose.core import METHODS
from ..decompose.levels import APPROACHES
from ..io import EXCEL_SUFFIXES, read_table, workbook_sheets
from ._common import (
    add_format,
    add_inputs,
    add_profile_options,
    dump_json,
    note,
    number,
    safe_csv,
    write_summary_and_tables,
)

NAME = "decompose"
HELP = "split the change of park emissions into its drivers (LMDI)"

_SHORT = {"activity": "activity", "structure": "structure", "structure_sector": "between",
          "structure_facility": "within", "energy_intensity": "intensity",
          "energy_mix": "mix", "emission_factor": "EF", "non_energy": "non-energy"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_inputs(parser, facilities="facilities table (sector, value added...)")
    parser.add_argument("--from", dest="year_from", type=int, required=True, metavar="YEAR",
                        help="first year")
    parser.add_argument("--to", dest="year_to", type=int, required=True, metavar="YEAR",
                        help="last year")
    parser.add_argument("--value-added", dest="value_added", metavar="F",
                        help="value added by year: sector or facility, year, value_added")
    add_profile_options(parser)
    parser.add_argument("--method", choices=METHODS, default="additive",
                        help="additive (t CO2e) or multiplicative (ratios); default additive")
    parser.add_argument("--chain", action="store_true",
                        help="decompose year on year and cumulate, instead of directly")
    parser.add_argument("--within", choices=("facility",), default=None,
                        help="split the structure effect into between-sector and "
                        "within-sector (facility shares) effects")
    parser.add_argument("--approach", choices=APPROACHES, default="parallel",
                        help="multilevel formulation (default: parallel)")
    parser.add_argument("--basis", choices=("location", "market"), default="location",
                        help="Scope 2 basis (default: location)")
    parser.add_argument("--output", "-o", metavar="DIR",
                        help="also write effects.csv, contributions.csv, by_sector.csv, "
                        "factors.csv, summary.json and waterfall.png into DIR")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    inventory = account(args.file, facilities=args.facilities, transfers=args.transfers,
                        factors=args.factors, profile=args.profile, gwp=args.gwp)
    value_added = args.value_added
    if value_added is None and Path(args.file).suffix.lower() in EXCEL_SUFFIXES and (
            "value_added" in workbook_sheets(args.file)):
        value_added = read_table(args.file, "value_added")  # the workbook's own sheet
    result = decompose_park(inventory, args.year_from, args.year_to,
                            value_added=value_added, method=args.method, chain=args.chain,
                            within=args.within, approach=args.approach, basis=args.basis)
    text = {"json": lambda: dump_json(result.to_dict()),
            "csv": lambda: safe_csv(result.to_frame()),
            "table": lambda: decomposition_table(result)}[args.format]
    sys.stdout.write(text() + ("" if args.format == "csv" else "\n"))
    if args.output is not None:
        written = write_decomposition(result, Path(args.output))
        note(args, f"parkcarbon: wrote {len(written)} files to {args.output}/")
    return 0


def decomposition_table(result: Decomposition) -> str:
    """A readable table of the effects: one column per pair (and the chained total)."""
    additive = result.method == "additive"
    totals, effects = result.totals, result.effects
    columns = [f"{a}→{b}" for a, b in totals.index]
    values = [list(effects.loc[pair]) for pair in totals.index]
    starts, ends = list(totals["value_from"]), list(totals["value_to"])
    changes, residuals = list(result.change), list(result.residual)
    if len(columns) > 1:
        whole = result.to_dict()["total"]
        columns.append(f"Σ {whole['from']}→{whole['to']}")
        values.append([whole["effects"][f] for f in result.factors])
        starts.append(whole["value_from"])
        ends.append(whole["value_to"])
        changes.append(whole["change"])
        residuals.append(whole["residual"])

    def effect(v: float) -> str:
        return number(v) if additive else f"×{v:.4f}"

    width = 44
    meta = result.meta
    first, last = totals.index[0][0], totals.index[-1][1]
    lines = [
        f"Decomposition of park emissions {first}→{last} (LMDI-I, {result.method}, "
        f"{result.unit})",
        f"Scope {meta.get('scope', '1+2').replace('+', ' + ')} ({meta.get('basis')}-based), "
        f"intra-park transfers netted; GWP {meta.get('gwp')}, profile {meta.get('profile')}",
        f"Value added: {meta.get('value_added_source')}"
        + (f" [{meta['value_added_unit']}]" if meta.get("value_added_unit") else ""),
        "",
        f"{'':<{width}}" + "".join(f"{c:>16}" for c in columns),
        f"{'Emissions, first year':<{width}}" + "".join(f"{number(v):>16}" for v in starts),
    ]
    for j, factor in enumerate(result.factors):
        label = "  " + result.labels.get(factor, factor)
        lines.append(f"{label:<{width}}" + "".join(f"{effect(v[j]):>16}" for v in values))
    lines += [
        f"{'Emissions, last year':<{width}}" + "".join(f"{number(v):>16}" for v in ends),
        f"{'Change' if additive else 'Ratio':<{width}}"
        + "".join(f"{effect(v):>16}" for v in changes),
        f"{'Residual (exact method: rounding only)':<{width}}"
        + "".join(f"{v:>16.2g}" for v in residuals),
    ]
    if additive:
        by_sector = result.by("sector")
        by_sector.index = [s or "(no sector)" for s in by_sector.index]
        lines += ["", f"By sector, {first}→{last} ({result.unit}):",
                  f"  {'':<22}" + "".join(f"{_SHORT.get(f, f)[:10]:>11}" for f in
                                          by_sector.columns)]
        lines += [f"  {str(s)[:22]:<22}" + "".join(f"{number(v, 0):>11}" for v in row)
                  for s, row in by_sector.iterrows()]
    return "\n".join(lines)


def write_decomposition(result: Decomposition, folder: Path) -> list[Path]:
    """Write the result tables, the JSON summary and the waterfall chart into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {"effects.csv": result.to_frame(), "contributions.csv": result.detail,
              "by_sector.csv": result.by("sector").reset_index()}
    if len(result.totals) > 1:
        tables["cumulative.csv"] = result.cumulative().reset_index()
    if result.table is not None:
        tables["factors.csv"] = result.table
    written = write_summary_and_tables(result.to_dict(), tables, folder)
    try:
        chart = folder / "waterfall.png"
        result.waterfall().figure.savefig(chart, dpi=150)
        written.append(chart)
    except ImportError as exc:  # matplotlib is optional: the tables are written anyway
        print(f"parkcarbon: warning: no waterfall.png ({exc})", file=sys.stderr)
    return written
