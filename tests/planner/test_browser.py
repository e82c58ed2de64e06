"""The HTML reports in a real headless browser (Debian's chromium): they render with no console
error, load nothing from outside (a copy of the page gets a Content-Security-Policy that
forbids anything but inline style and data: images, so any attempt is a console error), every
chart decodes, and the figures in the rendered DOM equal the JSON reports.

Skipped when chromium is not installed (``apt-get install chromium``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import carbon.analytics as ca
import carbon.scenario as cs
from carbon.htmlreport import park_html, scenario_html
from carbon.resources import data_dir

PARK = data_dir("examples") / "sample_park"
TARGETS = Path(__file__).resolve().parents[2] / "examples" / "targets"
BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(n)), None)

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(BROWSER is None, reason="chromium is not installed "
                                 "(apt-get install chromium)")]

#: Added to a copy of the page only: forbid every outside load, and record in the DOM what
#: the browser saw after the load event (images decoded, resources fetched, script errors).
POLICY = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
          'img-src data:; style-src \'unsafe-inline\'; script-src \'unsafe-inline\'">')
PROBE = """<script>
window.addEventListener("error", e => { document.body.dataset.errors =
  (document.body.dataset.errors || "") + e.message + ";"; });
window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.dataset.images = images.length + ":" +
    images.filter(i => i.complete && i.naturalWidth > 0).length;
  document.body.dataset.resources = String(performance.getEntriesByType("resource").length);
  document.body.dataset.width = String(document.documentElement.scrollWidth);
});
</script>"""


def render(page: str, folder: Path) -> tuple[str, list[str]]:
    """The DOM chromium builds from ``page`` and the console messages it logged."""
    probed = page.replace("<head>", "<head>" + POLICY, 1).replace("</body>", PROBE + "</body>")
    path = folder / "page.html"
    path.write_text(probed, encoding="utf-8")
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-extensions",
               f"--user-data-dir={folder / 'profile'}", "--enable-logging=stderr", "--v=0",
               "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,900",
               "--virtual-time-budget=10000", "--dump-dom", path.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    return done.stdout, console


class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.body: dict[str, str] = {}
        self.values: dict[tuple[str, str], float] = {}
        self.text: dict[tuple[str, str], str] = {}
        self._scenario = ""
        self._open: tuple[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.body = {k: v for k, v in attrs.items() if k.startswith("data-")}
        if tag == "section":
            self._scenario = attrs.get("data-scenario", "")
        if "data-key" in attrs and "data-value" in attrs:
            key = (self._scenario, attrs["data-key"])
            self.values[key] = float(attrs["data-value"])
            self._open = key
            self.text[key] = ""

    def handle_data(self, data):
        if self._open is not None:
            self.text[self._open] += data

    def handle_endtag(self, tag):
        if tag == "span":
            self._open = None


def dom(text: str) -> Dom:
    parser = Dom()
    parser.feed(text)
    return parser


def assert_clean(found: Dom, console: list[str], charts: int) -> None:
    assert console == [], console
    assert "data-errors" not in found.body
    assert found.body["data-images"] == f"{charts}:{charts}"  # every chart decoded
    assert found.body["data-resources"] == "0"  # nothing fetched
    assert int(found.body["data-width"]) <= 1280  # no sideways scrolling at 1280 px


@pytest.fixture(scope="module")
def sample(sample_park):
    return sample_park, ca.report(sample_park, base_year=2021,
                                  targets=TARGETS / "14th-five-year-plan.toml")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_park_report_renders_with_the_json_figures(sample, tmp_path, lang):
    inventory, park = sample
    text, console = render(park_html(park, inventory, lang), tmp_path)
    found = dom(text)
    assert_clean(found, console, charts=4)
    summary, data = inventory.summary(), park.to_dict()
    expected = {"total": summary["total"], "scope1": summary["scope1"],
                "scope2_location": summary["scope2_location"],
                "total_market": summary["total_market"], "energy_tce": summary["energy_tce"],
                "headline.co2e": data["headline"]["co2e"],
                "headline.co2e_per_value_added": data["headline"]["co2e_per_value_added"]}
    expected.update({f"dual_control.{r['indicator']}.{r['year']}": r["value"]
                     for r in data["tables"]["dual_control"] if r["value"] is not None})
    for key, value in expected.items():
        assert found.values[("", key)] == pytest.approx(value, rel=1e-12), key
    # what the planner reads is the same figure, rounded
    shown = found.text[("", "total")].replace("\u202f", "")
    assert shown == f"{summary['total']:.0f}" == "958189"
    assert html.unescape(found.text[("", "headline.co2e_per_value_added")]) == (
        f"{data['headline']['co2e_per_value_added']:.4f}")


def test_scenario_report_renders_with_the_json_figures(tmp_path):
    results = [cs.from_dict({
        "name": name, "title": f"<{name}> & co", "end": 2040,
        "base": {"year": 2023, "sectors": [
            {"sector": "industry", "carrier": "gas", "co2e": 1000.0, "tce": 500.0},
            {"sector": "offices", "carrier": "electricity", "co2e": 400.0, "mwh": 700.0}]},
        "growth": [{"rate": 0.04}],
        "measures": [{"name": "=efficiency", "type": "efficiency", "cut": cut,
                      "start": 2024, "full": 2030}],
        "targets": {"peak_by": 2030}}).run() for name, cut in (("slow", 0.05), ("fast", 0.4))]
    text, console = render(scenario_html(results, "zh"), tmp_path)
    found = dom(text)
    assert_clean(found, console, charts=1 + 3 * len(results))
    for result in results:
        d = result.to_dict()
        if d["peak_year"] is not None:
            assert found.values[(result.name, "peak_year")] == d["peak_year"]
            assert found.values[(result.name, "peak_value")] == pytest.approx(d["peak_value"])
        for year in (2023, 2030, 2040):
            k = d["years"].index(year)
            assert found.values[(result.name, f"scenario.co2e.{year}")] == pytest.approx(
                d["scenario"]["co2e"][k], rel=1e-12)
            assert found.values[(result.name, f"abatement.{year}")] == pytest.approx(
                d["abatement"][k], rel=1e-12, abs=1e-9)
        assert found.values[(result.name, "measures.=efficiency.cumulative_ordered")] == (
            pytest.approx(sum(d["wedges"]["=efficiency"])))
    assert "&lt;slow&gt; &amp; co" in text and "<slow>" not in text
    assert re.search(r"碳达峰情景报告", text)
