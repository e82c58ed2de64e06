"""Value added: currency units, the by-year table, and its error paths.

Multipliers: 万 = 10^4, 亿 = 10^8 (the Chinese numerals of 万元 and 亿元), so 1 亿元 =
10 000 x 10^4 CNY and 1 CNY = 10^-4 x 10^4 CNY (exact).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import carbon.analytics as ca
from carbon.analytics.money import to_value_added_unit
from carbon.errors import DuplicateRowError, InputError, MissingColumnError, UnitMismatchError

ROWS = [{"facility": f, "year": y, "activity": "electricity", "quantity": q, "unit": "MWh"}
        for f, q in (("A", 1000), ("B", 2000), ("C", 3000)) for y in (2022, 2023)]
FACILITIES = [{"facility": "A", "sector": "s1", "value_added": 100, "value_added_unit": "万元"},
              {"facility": "B", "sector": "s1", "value_added": 300, "value_added_unit": "万元"},
              {"facility": "C", "sector": "s2", "value_added": 200, "value_added_unit": "万元"}]


@pytest.fixture(scope="module")
def park(h):
    return h.account(ROWS, FACILITIES)


@pytest.mark.parametrize(("unit", "factor"), [
    ("10^4 CNY", 1.0), ("万元", 1.0), ("10^8 CNY", 1e4), ("亿元", 1e4), ("CNY", 1e-4),
    ("元", 1e-4), ("10⁴ CNY", 1.0), ("10^4 RMB", 1.0)])
def test_currency_units(unit, factor):
    assert to_value_added_unit(unit) == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize("unit", ["USD", "10^4 HKD", "t", "", "CNY / t"])
def test_other_units_are_refused(unit):
    with pytest.raises(ValueError):
        to_value_added_unit(unit)


def frame(rows):
    return pd.DataFrame(rows, columns=["facility", "year", "value_added", "value_added_unit"])


def value_added(park, table):
    t = ca.Territory(park)
    return ca.denominators(t, table)


def test_facility_table_and_fallback_flag(park):
    table = frame([("A", 2022, 1_000_000, "CNY"), ("B", 2022, 0.03, "亿元"),
                   ("C", 2022, 200, "10^4 CNY"), ("A", 2023, 120, "万元")])
    den = value_added(park, table)
    rows = den.facility.set_index(["facility", "year"])
    assert rows.at[("A", 2022), "value_added"] == pytest.approx(100)
    assert rows.at[("B", 2022), "value_added"] == pytest.approx(300)
    assert rows.at[("A", 2023), "value_added_source"] == "by-year table"
    # B and C in 2023 are not in the table: the facilities table's value, flagged
    assert rows.at[("B", 2023), "value_added"] == pytest.approx(300)
    assert rows.at[("B", 2023), "value_added_source"].startswith("facilities table")
    assert any("B 2023" in n and "C 2023" in n for n in den.notes)
    assert den.value_added(2023) == pytest.approx(120 + 300 + 200)


def test_blank_cell_is_not_estimated_and_propagates(park):
    table = frame([("A", 2022, "", "万元"), ("B", 2022, 300, "万元"), ("C", 2022, 200, "万元")])
    den = value_added(park, table)
    assert math.isnan(den.value_added(2022))
    assert den.value_added(2023) == pytest.approx(600)  # the facilities table's values
    report = ca.report(park, value_added=table, top=1, year=2022)
    t = report.dual_control.set_index(["indicator", "year"])
    assert math.isnan(t.at[("co2e_per_value_added", 2022), "value"])
    bench = report.benchmark.set_index(["metric", "facility"])
    assert bench.at[("co2e_per_value_added", "A"), "status"] == "not computable: no value added"


def test_sector_table_split_by_facility_value_added(park):
    """s1 gets 800 x 10^4 CNY in 2023, split 100 : 300 between A and B (200 and 600)."""
    table = pd.DataFrame({"sector": ["s1"], "year": [2023], "value_added": [800],
                          "value_added_unit": ["万元"]})
    den = value_added(park, table)
    rows = den.facility.set_index(["facility", "year"])
    assert rows.at[("A", 2023), "value_added"] == pytest.approx(200)
    assert rows.at[("B", 2023), "value_added"] == pytest.approx(600)
    sector = den.sector.set_index(["sector", "year"])
    assert sector.at[("s1", 2023), "value_added"] == pytest.approx(800)
    assert den.value_added(2023) == pytest.approx(1000)


def test_missing_unit_column_is_an_error(park):
    table = pd.DataFrame({"facility": ["A"], "year": [2022], "value_added": [1]})
    with pytest.raises(MissingColumnError) as caught:
        value_added(park, table)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column) == (1, "value_added_unit")
    assert "value_added_unit" in problem.accepted


def test_bad_unit_names_row_column_value_and_accepted(park):
    table = frame([("A", 2022, 1, "万元"), ("B", 2022, 2, "USD")])
    with pytest.raises(UnitMismatchError) as caught:
        value_added(park, table)
    problem = caught.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "<value_added table>", 3, "value_added_unit", "USD")
    assert "CNY" in problem.accepted


@pytest.mark.parametrize(("rows", "column", "reason"), [
    ([("A", 2022, -5, "万元")], "value_added", "negative"),
    ([("A", 2022, "lots", "万元")], "value_added", "not a number"),
    ([("A", "20x2", 5, "万元")], "year", "not a whole year"),
    ([("Z", 2022, 5, "万元")], "facility", "closest"),
])
def test_bad_cells(park, rows, column, reason):
    with pytest.raises(InputError) as caught:
        value_added(park, frame(rows))
    problem = caught.value.problems[0]
    assert problem.column == column and problem.row == 2 and reason in problem.reason


def test_duplicate_rows(park):
    table = frame([("A", 2022, 1, "万元"), ("A", 2022, 2, "万元")])
    with pytest.raises(DuplicateRowError) as caught:
        value_added(park, table)
    assert caught.value.problems[0].row == 3


def test_bad_unit_in_facilities_table(h):
    facilities = [dict(FACILITIES[0], value_added_unit="USD")]
    with pytest.raises(InputError) as caught:
        ca.report(h.account(ROWS[:1], facilities), top=1)
    problem = caught.value.problems[0]
    assert (problem.row, problem.column, problem.value) == (2, "value_added_unit", "USD")
