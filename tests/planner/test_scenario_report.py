"""``parkcarbon scenario --format html / xlsx``: one page or one workbook with the verdicts,
charts, measures and yearly figures of every scenario, escaped and equal to the JSON."""

from __future__ import annotations

import functools
import json
import re
from html.parser import HTMLParser

import openpyxl
import pytest

from carbon.cli import scenario as scenario_command

SCENARIO = """
name = "{name}"
title = "<b>{name}</b> & co"
end = 2040

[base]
year = 2023
sectors = [
  {{ sector = "industry", carrier = "gas", co2e = 1000.0, tce = 500.0 }},
  {{ sector = "=offices", carrier = "electricity", co2e = 400.0, mwh = 700.0 }},
]

[[growth]]
rates = {{ 2024 = 0.06, 2031 = 0.0 }}

[[measures]]
name = "=HYPERLINK(1)"
type = "efficiency"
cut = {cut}
start = 2026
full = 2030

[targets]
peak_by = 2030
"""


@pytest.fixture
def files(tmp_path):
    paths = []
    for name, cut in (("slow", 0.05), ("fast", 0.4)):
        path = tmp_path / f"{name}.toml"
        path.write_text(SCENARIO.format(name=name, cut=cut), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon scenario ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, scenario_command)


class Keys(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values, self.scenario, self.images = {}, "", 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.scenario = attrs.get("data-scenario", "")
        if tag == "img":
            self.images += 1
        if "data-value" in attrs and "data-key" in attrs:
            self.values[(self.scenario, attrs["data-key"])] = float(attrs["data-value"])


def test_html_file_equals_the_json(cli, files, tmp_path):
    code, out, _ = cli(*files, "--format", "json")
    assert code == 0
    data = {s["name"]: s for s in json.loads(out)["scenarios"]}
    code, _, _ = cli(*files, "--format", "html", "--lang", "zh", "-o", tmp_path / "s.html")
    assert code == 0
    text = (tmp_path / "s.html").read_text(encoding="utf-8")
    keys = Keys()
    keys.feed(text)
    assert keys.images == 1 + 3 * 2  # comparison; trajectory, wedges, sectors each
    assert data["slow"]["peak_year"] is None and data["fast"]["peak_year"] == 2025
    assert (("slow", "peak_year")) not in keys.values  # not peaked: no figure, a verdict
    for name, d in data.items():
        if d["peak_year"] is not None:
            assert keys.values[(name, "peak_year")] == d["peak_year"]
            assert keys.values[(name, "peak_value")] == pytest.approx(d["peak_value"],
                                                                       rel=1e-12)
        for year in (2023, 2025, 2030, 2035, 2040):
            k = d["years"].index(year)
            assert keys.values[(name, f"scenario.co2e.{year}")] == pytest.approx(
                d["scenario"]["co2e"][k], rel=1e-12)
            assert keys.values[(name, f"baseline.co2e.{year}")] == pytest.approx(
                d["baseline"]["co2e"][k], rel=1e-12)
    assert "碳达峰情景报告" in text and "达峰与目标判定" in text and "已达成" in text
    assert "<b>slow</b>" not in text and "&lt;b&gt;slow&lt;/b&gt; &amp; co" in text
    assert not re.search(r"https?://", re.sub(r'src="data:[^"]*"', "", text))


def test_html_on_stdout_and_in_a_folder(cli, files, tmp_path):
    code, out, err = cli(files[0], "--format", "html", "--no-charts", "-q")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and err == ""
    assert "<img" not in out
    code, _, err = cli(files[0], "--format", "html", "-o", tmp_path / "out")
    assert code == 0
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"report.html", "summary.json", "totals.csv", "trajectory.png"} <= written


def test_xlsx_has_every_table_escaped(cli, files, tmp_path):
    code, _, _ = cli(*files, "--format", "xlsx", "-o", tmp_path / "s.xlsx")
    assert code == 0
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["verdicts", "totals", "emissions", "wedges", "wedges_by_sector",
                               "targets", "measures"]
    verdicts = list(book["verdicts"].iter_rows(values_only=True))
    assert verdicts[0][:5] == ("scenario", "title", "base_year", "end", "peak_year")
    assert {row[0] for row in verdicts[1:]} == {"slow", "fast"}
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value.startswith(("=", "+", "-", "@")))
    measures = list(book["measures"].iter_rows(values_only=True))
    assert measures[1][2] == "'=HYPERLINK(1)"


def test_xlsx_needs_an_output(cli, files):
    code, out, err = cli(files[0], "--format", "xlsx")
    assert code == 1 and out == "" and "--output" in err and "Traceback" not in err
