"""``parkcarbon report``: JSON, text, CSV, Excel and charts; escaping; error paths; and the
Python API's ParkReport."""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import pytest

import carbon.analytics as ca


@pytest.fixture
def small(tmp_path):
    """A two-facility park whose ids and sectors look like spreadsheet formulas."""
    activities = pd.DataFrame({
        "facility": ["=HYPERLINK(1)", "=HYPERLINK(1)", "@B", "@B"],
        "year": [2022, 2023, 2022, 2023], "activity": ["electricity"] * 4,
        "quantity": [100, 110, 50, 40], "unit": ["MWh"] * 4})
    facilities = pd.DataFrame({"facility": ["=HYPERLINK(1)", "@B"],
                               "sector": ["+sum", "-x"], "value_added": [10, 20],
                               "value_added_unit": ["万元", "万元"]})
    paths = {"activities": tmp_path / "activities.csv",
             "facilities": tmp_path / "facilities.csv"}
    activities.to_csv(paths["activities"], index=False)
    facilities.to_csv(paths["facilities"], index=False)
    return paths


def test_python_api_tables_and_json(sample_report):
    tables = sample_report.tables()
    assert list(tables)[:4] == ["dual_control", "targets", "base_year", "boundary_changes"]
    assert all(isinstance(t, pd.DataFrame) for t in tables.values())
    text = json.dumps(sample_report.to_dict(), allow_nan=False, ensure_ascii=False)
    data = json.loads(text)
    assert data["meta"]["years"] == [2021, 2022, 2023]
    assert data["headline"]["year"] == 2023
    assert data["headline"]["co2e"] == pytest.approx(
        sample_report.dual_control.set_index(["indicator", "year"]).at[("co2e", 2023), "value"])


def test_json_is_one_object_on_stdout(cli, h, sample_park_dir, targets_dir):
    code, out, err = cli(sample_park_dir / "activities.csv",
                         "--facilities", sample_park_dir / "facilities.csv",
                         "--transfers", sample_park_dir / "transfers.csv", "--base-year", "2021",
                         "--targets", targets_dir / "park-caps.toml",
                         "--compare-profile", "ipcc2006", "--format", "json")
    assert code == 0
    data = h.parse_json(out)
    assert data["meta"]["compared_with"] == {"profile": "ipcc2006", "gwp": "AR5"}
    assert {"dual_control", "targets", "compare_park", "compare_by_activity",
            "green_factories"} <= set(data["tables"])
    assert "FactorFallbackWarning" not in out and "warning" in err  # warnings on stderr


def test_folder_output_writes_text_and_charts(cli, sample_park_dir, tmp_path, targets_dir):
    import matplotlib

    before = dict(matplotlib.rcParams)
    code, out, _ = cli(sample_park_dir / "activities.csv",
                       "--facilities", sample_park_dir / "facilities.csv",
                       "--transfers", sample_park_dir / "transfers.csv", "--targets",
                       targets_dir / "14th-five-year-plan.toml", "--output", tmp_path / "r")
    assert code == 0 and out == ""
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert names == {"report.txt", "emissions_by_sector.png", "scope_split.png",
                     "intensity_trend.png", "facility_ranking.png"}
    for name in names - {"report.txt"}:
        assert (tmp_path / "r" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (tmp_path / "r" / "report.txt").read_text(encoding="utf-8")
    assert "Dual control" in text and "missed (pro-rated)" in text
    assert dict(matplotlib.rcParams) == before  # no global matplotlib state touched


def test_csv_tables_escape_formulas(cli, small, tmp_path):
    code, _, _ = cli(small["activities"], "--facilities", small["facilities"], "--format",
                     "csv", "--output", tmp_path / "out", "--no-charts")
    assert code == 0
    by_facility = (tmp_path / "out" / "by_facility.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(1)" in by_facility and "'@B" in by_facility and "'+sum" in by_facility
    assert "\n=HYPERLINK" not in by_facility and ",=HYPERLINK" not in by_facility
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"dual_control.csv",
                                                             "benchmark.csv", "flow.csv"}


def test_xlsx_one_sheet_per_table_escaped(cli, small, tmp_path):
    path = tmp_path / "park.xlsx"
    code, _, err = cli(small["activities"], "--facilities", small["facilities"], "--format",
                       "xlsx", "--output", path)
    assert code == 0 and "wrote" in err
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:2] == ["about", "dual_control"]
    assert "green_factories" in book.sheetnames
    cells = [c.value for row in book["by_facility"].iter_rows() for c in row]
    assert "'=HYPERLINK(1)" in cells and "'-x" in cells
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)
    types = {c.data_type for row in book["by_facility"].iter_rows() for c in row}
    assert "f" not in types  # no formula cell


def test_csv_on_stdout_is_the_dual_control_table(cli, small):
    code, out, err = cli(small["activities"], "--facilities", small["facilities"], "--format",
                         "csv")
    assert code == 0 and out.startswith("indicator,unit,year,value")
    assert "every table" in err


def test_text_marks_not_computable(cli, small, tmp_path):
    facilities = pd.read_csv(small["facilities"])
    facilities.loc[1, "value_added"] = None
    facilities.to_csv(tmp_path / "f.csv", index=False)
    code, out, _ = cli(small["activities"], "--facilities", tmp_path / "f.csv")
    assert code == 0
    assert "n/c" in out and "Value added not known for @B" in out


def test_value_added_sheet_of_a_workbook(cli, h, small, tmp_path):
    path = tmp_path / "park.xlsx"
    plain = {"=HYPERLINK(1)": "A", "@B": "B", "+sum": "s1", "-x": "s2"}  # no formulas in input
    with pd.ExcelWriter(path) as writer:
        pd.read_csv(small["activities"]).replace(plain).to_excel(
            writer, sheet_name="activities", index=False)
        pd.read_csv(small["facilities"]).replace(plain).to_excel(
            writer, sheet_name="facilities", index=False)
        pd.DataFrame({"sector": ["s1", "s2"], "year": [2023, 2023], "value_added": [11, 22],
                      "value_added_unit": ["万元", "万元"]}).to_excel(
            writer, sheet_name="value_added", index=False)
    code, out, _ = cli(path, "--format", "json")
    assert code == 0
    data = h.parse_json(out)
    assert data["meta"]["value_added_by_year"] is True
    va = [r for r in data["tables"]["dual_control"] if r["indicator"] == "value_added"]
    assert [r["value"] for r in va] == [pytest.approx(30), pytest.approx(33)]


@pytest.mark.parametrize(("argv", "message"), [
    (["--format", "xlsx"], "--output"),
    (["--compare-profile", "hk-2030"], "profile"),
    (["--base-year", "2019"], "base_year"),
    (["--supply-coal-rate", "3"], "supply_coal_rate"),
    (["--significance", "150"], "significance"),
    (["--green-quantile", "0"], "quantile"),
])
def test_user_errors_are_one_message(cli, small, argv, message):
    code, out, err = cli(small["activities"], "--facilities", small["facilities"], *argv)
    assert code == 1 and out == ""
    assert err.startswith("parkcarbon: error:") and message in err
    assert "Traceback" not in err


def test_bad_targets_file_as_a_json_error(cli, h, small, tmp_path):
    bad = tmp_path / "plan.toml"
    bad.write_text('[[target]]\nindicator = "co2e"\ncap = -1\nyear = 2023\n', encoding="utf-8")
    code, out, _ = cli(small["activities"], "--facilities", small["facilities"], "--targets",
                       bad, "--format", "json")
    assert code == 1
    problem = h.parse_json(out)["error"]["problems"][0]
    assert (problem["file"], problem["row"], problem["column"]) == ("plan.toml", 3,
                                                                    "target[1].cap")


def test_help(capsys):
    import argparse

    from carbon.cli import report as command

    parser = argparse.ArgumentParser(prog="parkcarbon report", description=command.__doc__)
    command.add_arguments(parser)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--help"])
    assert exited.value.code == 0
    assert "--compare-profile" in capsys.readouterr().out
    assert command.NAME == "report" and command.HELP


def test_report_to_dict_has_no_nan(h):
    rows = [{"facility": "A", "year": 2022, "activity": "diesel", "quantity": 1, "unit": "t"}]
    data = ca.report(h.account(rows), top=1).to_dict()
    json.dumps(data, allow_nan=False)
    assert data["headline"]["co2e_per_value_added"] is None
