"""The park report as HTML and Excel: self-contained, escaped, translated, and carrying the
same figures as the JSON reports; the data-quality tables; ``parkcarbon report --format``."""

from __future__ import annotations

import base64
import functools
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import carbon
import carbon.analytics as ca
from carbon.cli import report as report_command
from carbon.htmlreport import confidence_shares, factor_shares, park_html, quality_tables
from carbon.htmlreport.i18n import TEXT, label
from carbon.htmlreport.quality import chain_ids, weakest_label
from carbon.resources import data_dir

PARK = data_dir("examples") / "sample_park"
TARGETS = Path(__file__).resolve().parents[2] / "examples" / "targets"


@pytest.fixture(scope="module")
def park(sample_park):
    return ca.report(sample_park, base_year=2021, targets=TARGETS / "14th-five-year-plan.toml",
                     top=5)


@pytest.fixture(scope="module")
def page(park, sample_park):
    return park_html(park, sample_park, "en")


class Figures(HTMLParser):
    """Every ``data-key`` / ``data-value`` pair of a page, and what would load from outside."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, float] = {}
        self.keys: list[str] = []
        self.links: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if "data-key" in attrs:
            self.keys.append(attrs["data-key"])
            if "data-value" in attrs:
                self.values[attrs["data-key"]] = float(attrs["data-value"])
        for name in ("src", "href", "action", "poster", "data"):
            if name in attrs:
                self.links.append(attrs[name])


def figures(text: str) -> Figures:
    parser = Figures()
    parser.feed(text)
    return parser


def expected_values(inventory, park) -> dict[str, float]:
    """The figures of the JSON reports, under the page's data-key names."""
    out = {}
    summary = inventory.summary()
    for key in ("total", "total_market", "scope1", "scope2_location", "scope3", "energy_tce"):
        out[key] = summary[key]
    out["transfers_netted.scope2_location"] = summary["transfers_netted"]["scope2_location"]
    out.update({f"rows.{k}": v for k, v in summary["rows"].items()})
    data = park.to_dict()
    out.update({f"headline.{k}": v for k, v in data["headline"].items()
                if isinstance(v, float)})
    out.update({f"dual_control.{r['indicator']}.{r['year']}": r["value"]
                for r in data["tables"]["dual_control"] if r["value"] is not None})
    out.update({f"top_emitters.{r['facility']}": r["total"]
                for r in data["tables"]["top_emitters"]})
    return out


def test_figures_equal_the_json_reports(page, park, sample_park):
    found = figures(page)
    expected = expected_values(sample_park, park)
    assert found.values["total"] == pytest.approx(958188.665935, rel=1e-12)
    shared = set(found.values) & set(expected)
    assert {"total", "scope1", "headline.co2e", "dual_control.co2e.2023",
            "dual_control.co2e_per_value_added.2021", "top_emitters.SEMI-01"} <= shared
    assert len(shared) > 40
    for key in shared:
        assert found.values[key] == pytest.approx(expected[key], rel=1e-12), key
    shares = {k: v for k, v in found.values.items() if k.startswith("confidence.")}
    assert sum(shares.values()) == pytest.approx(1.0)


def test_self_contained_no_script_no_link(page):
    found = figures(page)
    assert "script" not in found.tags and "link" not in found.tags and "iframe" not in found.tags
    images = [link for link in found.links if link.startswith("data:")]
    assert len(images) == 4  # intensity, sectors, scopes, ranking
    for image in images:
        assert image.startswith("data:image/png;base64,")
        assert base64.b64decode(image.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert all(link.startswith(("data:", "#")) for link in found.links)
    without_images = re.sub(r'src="data:[^"]*"', "", page)
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|url\(", without_images, re.I)


def test_sections_a_park_office_needs(page, sample_park):
    for key in ("summary", "dual_control", "targets", "breakdowns", "facility_ranking",
                "data_quality", "sources", "cap_confidence", "cap_fallbacks"):
        assert html.escape(label(key, "en")).split("{")[0] in page, key
    # every factor used is listed with its source
    for factor_id in sample_park.factors_used()["factor_id"]:
        assert html.escape(factor_id) in page
    assert "no CN-GD factor, CN used" in page  # a fallback, with its reason


def test_chinese_labels(park, sample_park):
    page = park_html(park, sample_park, "zh", charts=False)
    assert '<html lang="zh-CN">' in page
    for key in ("park_report", "dual_control", "data_quality", "co2e_per_value_added",
                "tce_per_value_added", "cap_sources", "green_factories"):
        assert TEXT[key][1].split("{")[0] in page, key
    assert "<img" not in page


def test_every_indicator_has_both_languages():
    assert set(ca.INDICATORS) <= set(TEXT)
    assert all(len(pair) == 2 and all(pair) for pair in TEXT.values())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A park whose ids, names and sectors are markup or spreadsheet formulas, with one row
    rejected in lenient mode."""
    folder = tmp_path_factory.mktemp("hostile")
    pd.DataFrame({
        "facility": ["<script>alert(1)</script>", "=HYPERLINK(\"x\")", "@SUM(A1)", "+A1"],
        "year": [2022, 2022, 2022, 2022], "activity": ["electricity"] * 3 + ["nonsense"],
        "quantity": [100, 50, 10, 1], "unit": ["MWh"] * 4,
    }).to_csv(folder / "activities.csv", index=False)
    pd.DataFrame({"facility": ["<script>alert(1)</script>", "=HYPERLINK(\"x\")", "@SUM(A1)"],
                  "name": ["<b>bold</b> & co", "-2+3", "=1+1"],
                  "sector": ["<i>x</i>", "-cmd", "=sector"],
                  "value_added": [10, 20, 30], "value_added_unit": ["万元"] * 3}
                 ).to_csv(folder / "facilities.csv", index=False)
    return folder


def test_html_escapes_every_text(hostile):
    inventory = carbon.account(hostile / "activities.csv",
                               facilities=hostile / "facilities.csv", strict=False)
    assert inventory.rows["rejected"] == 1
    page = park_html(ca.report(inventory), inventory, "en", charts=False)
    assert "<script>" not in page and "<b>bold" not in page and "<i>x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "nonsense" in page  # the rejected row and its reason are shown


@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon report ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, report_command)


def _cells(path: Path) -> dict[str, list]:
    book = openpyxl.load_workbook(path)
    return {name: [c for row in book[name].iter_rows(values_only=True) for c in row]
            for name in book.sheetnames}


def test_xlsx_and_csv_escape_formulas(cli, hostile, tmp_path):
    common = [hostile / "activities.csv", "--facilities", hostile / "facilities.csv",
              "--lenient", "-q"]
    code, _, _ = cli(*common, "--format", "xlsx", "-o", tmp_path / "r.xlsx")
    assert code == 0
    sheets = _cells(tmp_path / "r.xlsx")
    assert {"rejected", "confidence", "top_factors", "fallbacks", "factors_used"} <= set(sheets)
    for name, cells in sheets.items():
        for value in cells:
            assert not (isinstance(value, str) and value.startswith(("=", "+", "-", "@"))), (
                name, value)
    assert "'+A1" in sheets["rejected"] and "'=HYPERLINK(\"x\")" in sheets["by_facility"]
    code, _, _ = cli(*common, "--format", "csv", "-o", tmp_path / "tables")
    assert code == 0
    for path in (tmp_path / "tables").glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for column in frame.columns:
            assert not frame[column].str.match(r"^[=+\-@]").any(), (path.name, column)
    assert (tmp_path / "tables" / "rejected.csv").exists()


def test_cli_html_file_folder_and_stdout(cli, hostile, tmp_path):
    common = [PARK / "activities.csv", "--facilities", PARK / "facilities.csv",
              "--transfers", PARK / "transfers.csv", "-q"]
    code, out, err = cli(*common, "--format", "html", "--lang", "zh", "-o",
                         tmp_path / "report.html")
    assert code == 0 and out == "" and err == ""
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "园区碳排放报告" in text
    small = [hostile / "activities.csv", "--facilities", hostile / "facilities.csv",
             "--lenient", "-q"]
    code, _, _ = cli(*small, "--format", "html", "-o", tmp_path / "dir")
    assert code == 0 and (tmp_path / "dir" / "report.html").exists()
    assert (tmp_path / "dir" / "scope_split.png").exists()
    code, out, err = cli(*small, "--format", "html", "--no-charts")
    assert code == 0 and out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")


def test_xlsx_holds_the_same_tables_as_the_report(cli, park, sample_park, tmp_path):
    code, _, _ = cli(PARK / "activities.csv", "--facilities", PARK / "facilities.csv",
                     "--transfers", PARK / "transfers.csv", "--base-year", "2021",
                     "--targets", TARGETS / "14th-five-year-plan.toml", "--top", "5", "-q",
                     "--format", "xlsx", "-o", tmp_path / "r.xlsx")
    assert code == 0
    sheets = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True).sheetnames
    expected = ["about", *park.tables(), *(k for k, v in quality_tables(sample_park).items()
                                          if v is not None)]
    assert sheets == expected
    confidence = pd.read_excel(tmp_path / "r.xlsx", sheet_name="confidence")
    assert confidence["share"].sum() == pytest.approx(1.0)


def test_confidence_shares_follow_the_ledger(sample_park):
    chains = factor_shares(sample_park)
    ledger = sample_park.ledger[sample_park.ledger["scope"].isin((1, 2))]
    assert chains["co2e"].sum() == pytest.approx(ledger["co2e"].sum(), rel=1e-12)
    assert chains["co2e"].is_monotonic_decreasing
    shares = confidence_shares(sample_park).set_index("confidence")
    assert shares["share"].sum() == pytest.approx(1.0)
    # the grid factors are quoted: they carry most of the park's Scope 1 + 2
    grid = ledger[ledger["factor_id"].str.startswith("cn-grid-mee-average")]["co2e"].sum()
    assert shares.loc["quoted", "co2e"] >= grid
    assert list(shares.index) == ["read", "derived", "quoted", "recalled"]


def test_chain_helpers():
    assert chain_ids("a/CO2 / b/ncv | market: instrument:green_power") == ["a/CO2", "b/ncv"]
    assert weakest_label(["read", "derived"]) == "derived"
    assert weakest_label(["read", "user"]) == "user"
    assert weakest_label([]) == "unknown"
