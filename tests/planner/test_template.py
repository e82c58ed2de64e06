"""The Excel template: sheets, header notes, drop-downs, example rows; reading it back; errors
that name the sheet, the Excel row and the column; ``parkcarbon template``."""

from __future__ import annotations

import functools
import json
import re

import openpyxl
import pytest

import carbon
from carbon.cli import template as template_command
from carbon.io import workbook_sheets
from carbon.template import COLUMNS, LISTS_SHEET, write_template

#: t CO2e of the example rows: 120.5 x 10^4 Nm3 of gas at the China guideline factors, plus
#: 852 MWh at Guangdong's 2022 grid factor less the 120 MWh bought from the in-park CHP.
EXAMPLE_TOTAL = 2927.737114845


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    return {lang: write_template(folder / f"park-{lang}.xlsx", lang, with_factors=True)
            for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sheets_headers_and_notes(books, lang):
    book = openpyxl.load_workbook(books[lang])
    instructions = "instructions" if lang == "en" else "说明"
    assert book.sheetnames == [instructions, "activities", "facilities", "transfers",
                               "factors", LISTS_SHEET]
    assert book[LISTS_SHEET].sheet_state == "hidden"
    for name, columns in COLUMNS.items():
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        assert header == [c.name for c in columns]  # the fixed names, nothing else in row 1
        for cell in sheet[1]:
            note = cell.comment.text
            assert re.search(r"[A-Za-z]{3}", note) and re.search(r"[\u4e00-\u9fff]", note), note
        assert sheet.max_row >= 2 and sheet["A2"].value  # an example record in row 2


def test_drop_downs_read_the_hidden_lists(books):
    book = openpyxl.load_workbook(books["zh"])
    lists = book[LISTS_SHEET]
    columns = {column[0]: column[1:] for column in lists.iter_cols(values_only=True)}
    activities = [v for v in columns["activity"] if v]
    assert {"natural_gas", "electricity", "天然气", "电力", "烟煤"} <= set(activities)
    assert {"万kWh", "10^4 Nm3", "万标方", "t"} <= set(v for v in columns["unit"] if v)
    rules = {str(v.sqref).split(":")[0]: v for v in book["activities"].data_validations
             .dataValidation}
    activity = rules["D2"]  # the activity column
    assert activity.type == "list" and activity.formula1.startswith(f"={LISTS_SHEET}!$A$2")
    assert activity.errorStyle == "warning"  # another Chinese alias may still be valid
    assert rules["B2"].type == "whole" and rules["E2"].type == "decimal"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_workbook_accounts_as_it_is(books, lang):
    inventory = carbon.account(books[lang])  # activities, facilities, transfers, factors
    assert inventory.total() == pytest.approx(EXAMPLE_TOTAL, rel=1e-9)
    assert inventory.rows == {"input": 2, "accounted": 2, "rejected": 0}
    assert inventory.summary()["transfers_netted"]["scope2_location"] > 0
    assert any(i.startswith("user/natural_gas/ncv") for i in inventory.ledger["factor_id"]
               .str.split(" x ").explode())  # the factors sheet was read
    assert inventory.facilities.loc["EX-FAB", "region"] == "CN-GD"


def test_without_factors_sheet(tmp_path):
    path = write_template(tmp_path / "park.xlsx")
    assert "factors" not in workbook_sheets(path)
    assert carbon.account(path).total() == pytest.approx(EXAMPLE_TOTAL, rel=1e-9)


def _spoil(path, sheet, cell, value, tmp_path):
    book = openpyxl.load_workbook(path)
    book[sheet][cell] = value
    out = tmp_path / "park.xlsx"
    book.save(out)
    return out


@pytest.mark.parametrize(("sheet", "cell", "value", "where"), [
    ("activities", "E3", "about 40", "park.xlsx, sheet activities, row 3, column 'quantity'"),
    ("activities", "F2", "kg", "park.xlsx, sheet activities, row 2, column 'unit'"),
    ("facilities", "D3", "CN-GDX", "park.xlsx, sheet facilities, row 3, column 'region'"),
    ("transfers", "B2", "NOBODY", "park.xlsx, sheet transfers, row 2, column 'buyer'"),
    ("factors", "D2", "GJ", "park.xlsx, sheet factors, row 2, column 'unit'"),
])
def test_errors_name_sheet_row_and_column(books, tmp_path, sheet, cell, value, where):
    spoiled = _spoil(books["en"], sheet, cell, value, tmp_path)
    with pytest.raises(carbon.InputError) as caught:
        carbon.account(spoiled)
    assert where in str(caught.value)


def test_a_record_below_the_example_keeps_its_excel_row(books, tmp_path):
    book = openpyxl.load_workbook(books["en"])
    book["activities"].append(["EX-FAB", 2022, 2, "电力", -5, "万kWh"])
    book.save(tmp_path / "park.xlsx")
    with pytest.raises(carbon.InputError, match=r"sheet activities, row 4, column 'quantity'"):
        carbon.account(tmp_path / "park.xlsx")


def test_bad_language_is_a_parameter_error(tmp_path):
    with pytest.raises(carbon.CarbonError, match="'lang' parameter of write_template"):
        write_template(tmp_path / "park.xlsx", lang="fr")


@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon template ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, template_command)


def test_cli_writes_and_refuses_to_overwrite(cli, tmp_path):
    path = tmp_path / "园区模板.xlsx"
    code, out, _ = cli(path, "--lang", "zh", "--with-factors", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"written": str(path), "sheets": ["activities", "facilities",
                                                                "transfers", "factors"],
                               "lang": "zh"}
    code, _, err = cli(path)
    assert code == 1 and "--force" in err and "Traceback" not in err
    code, out, _ = cli(path, "--force")
    assert code == 0 and "parkcarbon account" in out
