"""Bad input: every case of DESIGN.md "Bad input", read from real files.

Each bad table is written to ``tmp_path`` as the CSV a planner would send, and the error must
name the file, the row number a spreadsheet shows (header = row 1, first record = row 2), the
column and the value (DESIGN.md "Bad input"), and be of the class STYLE.md's hierarchy gives it.
Lenient mode must return exactly the bad rows in ``Inventory.rejected`` (input = accounted +
rejected), and errors must pickle (Dask sends them between processes; STYLE.md).
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import carbon
from carbon.errors import (
    CarbonError,
    DuplicateRowError,
    InputError,
    InvalidQuantityError,
    InvalidTransferError,
    MissingColumnError,
    MissingFactorError,
    ParameterError,
    UnitMismatchError,
    UnknownActivityError,
    UnknownRegionError,
)

GAS = {"facility": "A", "year": 2022, "activity": "natural_gas", "quantity": 10,
       "unit": "10^4 Nm3"}
POWER = {"facility": "B", "year": 2022, "activity": "electricity", "quantity": 50, "unit": "MWh"}
COLUMNS = ["facility", "year", "activity", "quantity", "unit"]


def names_cell(error: BaseException, file: str, row: int, column: str, value: object) -> None:
    """Assert the message names file, spreadsheet row, column and value (DESIGN.md)."""
    text = str(error)
    assert file in text, text
    assert re.search(rf"\brow {row}\b", text), text
    assert re.search(rf"\b{re.escape(column)}\b", text), text
    assert str(value) in text, text


def account_file(path: Path, **kwargs) -> carbon.Inventory:
    return carbon.account(str(path), **kwargs)


# -- one error per bad input (DESIGN.md "Bad input") -------------------------------------------

#: id -> (bad record replacing row 3, error class, column, value as written in the cell)
BAD_ROWS = {
    "unknown-unit": ({**GAS, "unit": "furlong"}, UnitMismatchError, "unit", "furlong"),
    "gas-mass-as-unit": ({**GAS, "unit": "kg CH4"}, UnitMismatchError, "unit", "kg CH4"),
    "unknown-activity": ({**GAS, "activity": "natual_gas"}, UnknownActivityError, "activity",
                         "natual_gas"),
    "negative-quantity": ({**GAS, "quantity": -5}, InvalidQuantityError, "quantity", "-5"),
    "text-quantity": ({**GAS, "quantity": "abc"}, InvalidQuantityError, "quantity", "abc"),
    "blank-quantity": ({**GAS, "quantity": ""}, InvalidQuantityError, "quantity", "''"),
    "infinite-quantity": ({**GAS, "quantity": "inf"}, InvalidQuantityError, "quantity", "inf"),
    "text-year": ({**GAS, "year": "20x2"}, InvalidQuantityError, "year", "20x2"),
    "year-out-of-range": ({**GAS, "year": 1800}, InvalidQuantityError, "year", "1800"),
    "blank-facility": ({**GAS, "facility": ""}, InvalidQuantityError, "facility", "''"),
    "no-factor-for-year": ({**POWER, "year": 2020}, MissingFactorError, "activity",
                           "electricity"),
}


@pytest.mark.parametrize(("record", "error", "column", "value"), list(BAD_ROWS.values()),
                         ids=list(BAD_ROWS))
def test_bad_cell_error_names_file_row_column_value(write_csv, record, error, column, value):
    """A bad cell in row 3 raises its error class, naming activities.csv, row 3, the column and
    the value as written (DESIGN.md "Bad input"; STYLE.md error hierarchy)."""
    path = write_csv([GAS | {"quantity": 1}, record, POWER], columns=COLUMNS)
    with pytest.raises(error) as caught:
        account_file(path)
    names_cell(caught.value, "activities.csv", 3, column, value)
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize("record", [
    pytest.param({**POWER, "unit": "t"}, id="electricity-in-tonnes"),
    pytest.param({**GAS, "unit": "t"}, id="natural-gas-by-mass-in-cn"),
    pytest.param({**GAS, "activity": "cement", "unit": "MWh"}, id="cement-in-MWh"),
])
def test_unit_of_the_wrong_dimension_is_a_unit_mismatch(write_csv, record):
    """A known unit whose dimension does not fit the activity (electricity in t) is a
    UnitMismatchError naming the row and saying which units fit (DESIGN.md "Bad input")."""
    path = write_csv([GAS | {"quantity": 1}, record], columns=COLUMNS)
    with pytest.raises(UnitMismatchError) as caught:
        account_file(path)
    names_cell(caught.value, "activities.csv", 3, "unit", record["unit"])
    assert "Accepted" in str(caught.value)


def test_unknown_activity_suggests_close_keys(write_csv):
    """"natual_gas" is refused with natural_gas among the closest keys (DESIGN.md library)."""
    path = write_csv([{**GAS, "activity": "natual_gas"}])
    with pytest.raises(UnknownActivityError, match=r"closest: .*\bnatural_gas\b"):
        account_file(path)


def test_unknown_activity_is_a_key_error():
    """UnknownActivityError is also a KeyError, and its message is not KeyError-quoted
    (STYLE.md error hierarchy)."""
    with pytest.raises(KeyError) as caught:
        carbon.account(pd.DataFrame([{**GAS, "activity": "natual_gas"}]))
    assert isinstance(caught.value, CarbonError)
    assert str(caught.value).startswith("<activities table>, row 2")


def test_unit_mismatch_is_a_type_error():
    """UnitMismatchError is also a TypeError (STYLE.md error hierarchy)."""
    with pytest.raises(TypeError):
        carbon.account(pd.DataFrame([{**GAS, "unit": "furlong"}]))


def test_missing_column_is_named(write_csv):
    """A missing required column names the file, the header row (1) and the column, and lists
    the columns accepted (DESIGN.md "Input tables")."""
    path = write_csv([{k: v for k, v in GAS.items() if k != "unit"}])
    with pytest.raises(MissingColumnError) as caught:
        account_file(path)
    names_cell(caught.value, "activities.csv", 1, "unit", "unit")
    assert "facility, year, activity, quantity, unit" in str(caught.value)


def test_duplicate_row_names_both_rows(write_csv):
    """A row equal to an earlier one in every identifying column and the quantity is a
    DuplicateRowError naming both rows: the copy (5) and the original (3) (DESIGN.md)."""
    path = write_csv([POWER, GAS, {**GAS, "quantity": 11}, GAS], columns=COLUMNS)
    with pytest.raises(DuplicateRowError) as caught:
        account_file(path)
    names_cell(caught.value, "activities.csv", 5, "quantity", "10")
    assert re.search(r"\brow 3\b", str(caught.value))


def test_rows_differing_only_in_month_are_not_duplicates(write_csv):
    """Same facility, activity and quantity in two months are two records (DESIGN.md)."""
    path = write_csv([{**GAS, "month": 1}, {**GAS, "month": 2}])
    assert account_file(path).rows == {"input": 2, "accounted": 2, "rejected": 0}


def test_unknown_region_names_the_facilities_file_and_suggests(write_csv):
    """An unknown region code is an UnknownRegionError naming facilities.csv, its row, the
    column and the value, with the closest codes (DESIGN.md "Input tables")."""
    activities = write_csv([GAS])
    facilities = write_csv([{"facility": "X", "region": "CN-GD"},
                            {"facility": "A", "region": "CN-GDD"}], name="facilities.csv")
    with pytest.raises(UnknownRegionError) as caught:
        account_file(activities, facilities=str(facilities))
    names_cell(caught.value, "facilities.csv", 3, "region", "CN-GDD")
    assert re.search(r"closest: .*\bCN-GD\b", str(caught.value))


def test_unknown_region_is_an_error_in_lenient_mode_too(write_csv):
    """Facilities describe the park: a bad region is never silently skipped (tables.py)."""
    facilities = write_csv([{"facility": "A", "region": "GUANGDONG"}], name="facilities.csv")
    with pytest.raises(UnknownRegionError):
        account_file(write_csv([GAS]), facilities=str(facilities), strict=False)


def test_missing_factor_says_what_is_known(write_csv):
    """No grid factor before 2021: MissingFactorError, never a silent zero, naming the activity,
    the year and where the engine looked (DESIGN.md factor library)."""
    path = write_csv([{**POWER, "year": 2020}])
    with pytest.raises(MissingFactorError) as caught:
        account_file(path)
    text = str(caught.value)
    assert "'electricity'" in text and "2020" in text
    assert "user factor table" in text


def test_transfer_of_more_than_was_bought(write_csv):
    """Selling a buyer more than its rows hold is an InvalidTransferError naming transfers.csv,
    the row, the quantity column and the amount (DESIGN.md "transfers")."""
    activities = write_csv([GAS, POWER])
    transfers = write_csv([{"seller": "A", "buyer": "B", "year": 2022, "carrier": "electricity",
                            "quantity": 360, "unit": "GJ"}], name="transfers.csv")
    with pytest.raises(InvalidTransferError) as caught:
        account_file(activities, transfers=str(transfers))
    names_cell(caught.value, "transfers.csv", 2, "quantity", "360")


def test_transfer_error_quotes_the_cell_as_written(write_csv):
    """The value named is the one in the cell (70, in MWh), not a converted one (DESIGN.md)."""
    activities = write_csv([GAS, POWER])
    transfers = write_csv([{"seller": "A", "buyer": "B", "year": 2022, "carrier": "electricity",
                            "quantity": 70, "unit": "MWh"}], name="transfers.csv")
    with pytest.raises(InvalidTransferError) as caught:
        account_file(activities, transfers=str(transfers))
    names_cell(caught.value, "transfers.csv", 2, "quantity", "70")


def test_transfer_to_an_unknown_facility(write_csv):
    """A buyer without activity rows is an InvalidTransferError naming it (DESIGN.md)."""
    activities = write_csv([GAS, POWER])
    transfers = write_csv([{"seller": "A", "buyer": "Z", "year": 2022, "carrier": "electricity",
                            "quantity": 1, "unit": "MWh"}], name="transfers.csv")
    with pytest.raises(InvalidTransferError) as caught:
        account_file(activities, transfers=str(transfers))
    names_cell(caught.value, "transfers.csv", 2, "buyer", "Z")


def test_error_lists_every_bad_row(write_csv):
    """One strict-mode error lists all bad rows, in row order (DESIGN.md "Bad input")."""
    path = write_csv([GAS | {"quantity": 1}, {**GAS, "quantity": -1}, POWER,
                      {**GAS, "activity": "natual_gas"}], columns=COLUMNS)
    with pytest.raises(InputError) as caught:
        account_file(path)
    text = str(caught.value)
    assert re.search(r"\brow 3\b.*\n.*\brow 5\b", text), text
    assert isinstance(caught.value, InvalidQuantityError)  # the class of the first bad row


def test_excel_errors_name_workbook_and_sheet(tmp_path):
    """An .xlsx input is named with its sheet, rows counted as Excel shows them (DESIGN.md)."""
    pytest.importorskip("openpyxl")
    path = tmp_path / "park.xlsx"
    pd.DataFrame([GAS, {**GAS, "activity": "natual_gas"}]).to_excel(
        path, sheet_name="activities", index=False)
    with pytest.raises(UnknownActivityError) as caught:
        carbon.account(str(path))
    names_cell(caught.value, "park.xlsx, sheet activities", 3, "activity", "natual_gas")


def test_row_numbers_count_blank_lines(tmp_path):
    """The bad record is on line 4 of the file, below a blank line 3: the spreadsheet row is 4
    (DESIGN.md "Bad input": row numbers are those a spreadsheet shows)."""
    path = tmp_path / "activities.csv"
    path.write_text("facility,year,activity,quantity,unit\n"
                    "A,2022,natural_gas,10,10^4 Nm3\n"
                    "\n"
                    "A,2022,natural_gas,-5,10^4 Nm3\n", encoding="utf-8")
    with pytest.raises(InvalidQuantityError) as caught:
        account_file(path)
    names_cell(caught.value, "activities.csv", 4, "quantity", "-5")


def test_month_zero_is_refused(write_csv):
    """Months are 1-12 or empty (DESIGN.md "Input tables"): 0 is not a month."""
    with pytest.raises(InvalidQuantityError) as caught:
        account_file(write_csv([{**GAS, "month": 0}]))
    names_cell(caught.value, "activities.csv", 2, "month", "0")


#: Bad inputs whose message says what is accepted today, and those that do not.
ACCEPTED_SAID = ["unknown-unit", "unknown-activity", "negative-quantity", "year-out-of-range",
                 "no-factor-for-year"]
ACCEPTED_MISSING = ["text-quantity", "blank-quantity", "text-year", "blank-facility"]


@pytest.mark.parametrize("case", [
    *ACCEPTED_SAID,
    *ACCEPTED_MISSING,
])
def test_error_says_what_would_be_accepted(write_csv, case):
    """Each bad-input error says what would be accepted (DESIGN.md "Bad input")."""
    record, error, _, _ = BAD_ROWS[case]
    with pytest.raises(error, match="Accepted: "):
        account_file(write_csv([record], columns=COLUMNS))


# -- pickling (STYLE.md: errors pickle, Dask sends them between processes) -----------------------

@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_input_errors_pickle(write_csv, case):
    """pickle.loads(pickle.dumps(error)) keeps the class, the message and the problems."""
    record, error, _, _ = BAD_ROWS[case]
    with pytest.raises(error) as caught:
        account_file(write_csv([record], columns=COLUMNS))
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is type(caught.value)
    assert str(copy) == str(caught.value)
    assert copy.problems == caught.value.problems


def test_parameter_error_pickles():
    """ParameterError keeps its class and sentence through pickle (STYLE.md)."""
    with pytest.raises(ParameterError) as caught:
        carbon.account(pd.DataFrame([GAS]), gwp="AR7")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is ParameterError
    assert str(copy) == str(caught.value)


# -- argument errors (STYLE.md "scikit-learn validation wording") --------------------------------

def test_gwp_parameter_wording():
    """'The 'gwp' parameter of account must be one of {...}. Got 'AR7' instead.' (STYLE.md)."""
    with pytest.raises(ParameterError) as caught:
        carbon.account(pd.DataFrame([GAS]), gwp="AR7")
    text = str(caught.value)
    assert re.fullmatch(r"The 'gwp' parameter of account must be one of "
                        r"\{'AR\d', 'AR\d', 'AR\d'\}\. Got 'AR7' instead\.", text), text
    assert all(f"'{s}'" in text for s in ("AR4", "AR5", "AR6"))
    assert isinstance(caught.value, ValueError)


def test_profile_parameter_wording():
    """'The 'profile' parameter of account must be one of {...}. Got 'xx' instead.' (STYLE.md)."""
    with pytest.raises(ParameterError) as caught:
        carbon.account(pd.DataFrame([GAS]), profile="xx")
    text = str(caught.value)
    assert re.fullmatch(r"The 'profile' parameter of account must be one of "
                        r"\{'\w+', '\w+'\}\. Got 'xx' instead\.", text), text
    assert "'cn'" in text and "'ipcc2006'" in text


def test_strict_must_be_a_bool():
    """strict='no' is refused rather than read as truthy (STYLE.md validation wording)."""
    with pytest.raises(ParameterError, match=r"The 'strict' parameter of account must be"):
        carbon.account(pd.DataFrame([GAS]), strict="no")


def test_parameter_error_wording_is_reproducible():
    """The sentence is exactly STYLE.md's, whatever the interpreter's hash seed."""
    script = ("import pandas as pd, carbon\n"
              "try:\n"
              "    carbon.account(pd.DataFrame({'facility': ['A']}), gwp='AR7')\n"
              "except carbon.CarbonError as e:\n"
              "    print(e)\n")
    root = str(Path(carbon.__file__).resolve().parent.parent)
    outputs = set()
    for seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": root}
        done = subprocess.run([sys.executable, "-W", "ignore", "-c", script], env=env,
                              capture_output=True, text=True, check=True, timeout=120)
        outputs.add(done.stdout.strip())
    assert outputs == {"The 'gwp' parameter of account must be one of {'AR4', 'AR5', 'AR6'}. "
                       "Got 'AR7' instead."}


# -- lenient mode (DESIGN.md "Bad input": input = accounted + rejected) --------------------------

@pytest.fixture
def mixed(write_csv) -> Path:
    """Rows 2, 4 and 7 are good; 3, 5, 6 and 8 are bad in four different ways."""
    return write_csv([
        GAS,                                   # 2 good
        {**GAS, "quantity": -1},               # 3 negative
        POWER,                                 # 4 good
        {**GAS, "activity": "natual_gas"},     # 5 unknown activity
        {**POWER, "unit": "furlong"},          # 6 unknown unit
        {**GAS, "quantity": 20},               # 7 good
        GAS,                                   # 8 duplicate of 2
    ], columns=COLUMNS)


def test_lenient_mode_rejects_exactly_the_bad_rows(mixed):
    """strict=False accounts the good rows and returns the bad ones with their spreadsheet
    row and a reason (DESIGN.md "Bad input")."""
    inventory = account_file(mixed, strict=False)
    rejected = inventory.rejected
    assert list(rejected["row"]) == [3, 5, 6, 8]
    assert {"row", "reason"} <= set(rejected.columns)
    reasons = dict(zip(rejected["row"], rejected["reason"], strict=True))
    assert "negative" in reasons[3]
    assert "natual_gas" in reasons[5]
    assert "furlong" in reasons[6]
    assert "duplicate of row 2" in reasons[8]


def test_lenient_mode_drops_nothing_silently(mixed):
    """input = accounted + rejected, and the ledger holds exactly the accounted rows (DESIGN.md)."""
    inventory = account_file(mixed, strict=False)
    rows = inventory.rows
    assert rows == {"input": 7, "accounted": 3, "rejected": 4}
    assert rows["input"] == rows["accounted"] + rows["rejected"]
    assert inventory.summary()["rows"] == rows
    assert sorted(set(inventory.ledger["row"])) == [2, 4, 7]


def test_lenient_total_is_the_total_of_the_good_rows(mixed):
    """What lenient mode accounts equals strict mode on the good rows alone (DESIGN.md)."""
    good = pd.read_csv(mixed, dtype=str, keep_default_na=False).iloc[[0, 2, 5]]
    lenient = account_file(mixed, strict=False)
    assert lenient.total() == pytest.approx(carbon.account(good).total(), rel=1e-12)


def test_strict_mode_is_the_default(mixed):
    """Strict mode (the default) stops at the first bad table (DESIGN.md "Bad input")."""
    with pytest.raises(InputError):
        account_file(mixed)


def test_bad_month_does_not_make_a_good_row_a_duplicate(write_csv):
    """Row 2 has month 13 (bad); row 3 is the same record with no month: only row 2 is bad,
    since 13 and empty differ (DESIGN.md duplicate definition)."""
    path = write_csv([{**GAS, "month": 13}, {**GAS, "month": ""}, {**POWER, "month": ""}])
    inventory = account_file(path, strict=False)
    assert list(inventory.rejected["row"]) == [2]
    assert inventory.rows == {"input": 3, "accounted": 2, "rejected": 1}


@pytest.mark.parametrize("frame", [
    pytest.param(pd.DataFrame([{**GAS, "quantity": -1}]), id="every-row-rejected"),
    pytest.param(pd.DataFrame([{**GAS, "quantity": -1}, {**POWER, "unit": "furlong"}]),
                 id="two-rows-both-rejected"),
])
def test_lenient_mode_with_every_row_rejected(frame):
    """All rows bad in lenient mode: an empty inventory, every row in rejected (DESIGN.md)."""
    inventory = carbon.account(frame, strict=False)
    assert inventory.total() == 0
    assert inventory.rows == {"input": len(frame), "accounted": 0, "rejected": len(frame)}


def test_empty_activities_table_gives_an_empty_inventory():
    """A template with only its header accounts to zero with zero rows (DESIGN.md outputs)."""
    inventory = carbon.account(pd.DataFrame(columns=COLUMNS))
    assert inventory.total() == 0
    assert inventory.rows == {"input": 0, "accounted": 0, "rejected": 0}


# -- user factor tables (DESIGN.md "Input tables", factors) ---------------------------------------

def test_user_factor_overrides_the_library(write_csv):
    """A user grid factor (0.4 t CO2/MWh) wins over MEE's 0.5366, for location and market
    bases, and the ledger names the user row (DESIGN.md: user rows win)."""
    factors = write_csv([{"activity": "electricity", "parameter": "CO2", "value": 0.4,
                          "unit": "t CO2 / MWh"}], name="factors.csv")
    inventory = account_file(write_csv([POWER]), factors=str(factors))
    assert inventory.summary()["scope2_location"] == pytest.approx(50 * 0.4, rel=1e-12)
    assert inventory.summary()["scope2_market"] == pytest.approx(50 * 0.4, rel=1e-12)
    assert inventory.ledger["factor_id"].str.contains("factors.csv row 2").all()


def test_user_ncv_is_chained_with_the_library_carbon_content(write_csv):
    """A user NCV of 360 GJ per 10^4 Nm3 replaces 389.31 and is chained through the guideline
    CO2 per energy (DESIGN.md: pint's dimensions decide the chain)."""
    factors = write_csv([{"activity": "natural_gas", "parameter": "ncv", "value": 360,
                          "unit": "GJ / (10^4 Nm3)"}], name="factors.csv")
    inventory = account_file(write_csv([GAS]), factors=str(factors))
    assert inventory.total() == pytest.approx(10 * 360 * 15.30e-3 * 0.99 * 44 / 12, rel=1e-9)


def test_user_factor_for_a_new_activity(write_csv):
    """A new activity with its own factor and scope is accounted where the user put it
    (DESIGN.md: factors table with scope)."""
    factors = write_csv([{"activity": "biogas_flare", "parameter": "CH4", "value": 5,
                          "unit": "kg CH4 / t", "scope": 1}], name="factors.csv")
    activities = write_csv([{**GAS, "activity": "biogas_flare", "quantity": 100, "unit": "t"}])
    inventory = account_file(activities, factors=str(factors), gwp="AR5")
    summary = inventory.summary()
    assert summary["by_gas"] == {"CH4": pytest.approx(0.5, rel=1e-12)}
    assert summary["scope1"] == pytest.approx(0.5 * 28, rel=1e-12)


def test_user_factor_for_a_new_scope3_activity(write_csv):
    """A new Scope 3 activity in CO2e lands in scope3, not in the park total (DESIGN.md)."""
    factors = write_csv([{"activity": "office_paper", "parameter": "CO2e", "value": 1.2,
                          "unit": "t CO2e / t", "scope": 3, "category": "purchased_goods"}],
                        name="factors.csv")
    activities = write_csv([{**GAS, "activity": "office_paper", "quantity": 500, "unit": "kg"}])
    summary = account_file(activities, factors=str(factors)).summary()
    assert summary["scope3"] == pytest.approx(0.6, rel=1e-12)
    assert summary["total"] == 0


def test_user_factor_for_a_new_activity_needs_a_scope(write_csv):
    """Without a scope the engine cannot place a new activity: an error naming the factors
    file, row and column (DESIGN.md "Bad input")."""
    factors = write_csv([{"activity": "biogas_flare", "parameter": "CH4", "value": 5,
                          "unit": "kg CH4 / t"}], name="factors.csv")
    activities = write_csv([{**GAS, "activity": "biogas_flare", "quantity": 100, "unit": "t"}])
    with pytest.raises(InputError) as caught:
        account_file(activities, factors=str(factors))
    names_cell(caught.value, "factors.csv", 2, "scope", "biogas_flare")
