"""Account a park from the Excel template its enterprises filled in.

The story: the park office runs ``parkcarbon template park.xlsx`` and sends the workbook out;
each enterprise types its monthly energy use into the ``activities`` sheet (and its region and
value added into ``facilities``). Back at the office, the whole workbook is accounted in one
call. Here the "enterprises" are the bundled sample park: its CSV records are copied into the
template in place of the grey example rows.

Then one cell is spoiled on purpose, to show what an enterprise sees when it types a wrong
value: the error names the sheet, the row as Excel shows it and the column.

Run it from anywhere::

    python examples/account_from_excel.py            # writes into a temporary folder
    python examples/account_from_excel.py results/   # or into results/
"""

from __future__ import annotations

import sys
import tempfile
import warnings
from pathlib import Path

import openpyxl
import pandas as pd

import carbon
from carbon.resources import data_dir
from carbon.template import write_template


def fill_sheet(book: openpyxl.Workbook, name: str, table: pd.DataFrame) -> None:
    """Replace the example rows of sheet ``name`` with ``table`` (columns matched by name)."""
    sheet = book[name]
    header = [cell.value for cell in sheet[1]]
    sheet.delete_rows(2, sheet.max_row)  # the grey example rows
    for record in table.to_dict("records"):
        sheet.append([None if pd.isna(record.get(c)) else record.get(c) for c in header])


def main(folder: Path) -> None:
    park = data_dir("examples") / "sample_park"
    book_path = write_template(folder / "park.xlsx", lang="zh")

    # 1. The enterprises fill in the template.
    book = openpyxl.load_workbook(book_path)
    tables = {name: pd.read_csv(park / f"{name}.csv")
              for name in ("activities", "facilities", "transfers")}
    for name, table in tables.items():
        fill_sheet(book, name, table)
    book.save(book_path)
    print(f"Filled {book_path.name} with {len(tables['activities'])} activity rows")

    # 2. The office accounts the workbook: activities, facilities and transfers sheets are read;
    #    the instructions (说明) and hidden lists sheets are ignored.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", carbon.FactorFallbackWarning)
        inventory = carbon.account(book_path)
    for warning in caught:
        print(f"note: {warning.message}")
    summary = inventory.summary()
    print(f"Park total {summary['total']:,.1f} t CO2e (Scope 1 + 2, transfers netted), "
          f"energy {summary['energy_tce']:,.1f} tce, {summary['rows']['accounted']} rows")

    # 3. One enterprise types text into a number cell: the error says where. (Shown on a
    #    fresh template, whose example rows are records like any other.)
    typo = openpyxl.load_workbook(write_template(folder / "park-with-a-typo.xlsx"))
    typo["activities"]["E3"] = "about 40"  # column E is quantity; row 3 the second record
    typo.save(folder / "park-with-a-typo.xlsx")
    try:
        carbon.account(folder / "park-with-a-typo.xlsx")
    except carbon.InputError as error:
        print(f"As expected, the typo is refused:\n  {error.problems[0]}")
    else:  # pragma: no cover - the engine must refuse it
        raise SystemExit("the typo was not caught")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        target = Path(sys.argv[1])
        target.mkdir(parents=True, exist_ok=True)
        main(target)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
