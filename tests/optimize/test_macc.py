"""Marginal abatement cost curves: a known ordering, measures on the same emissions, measures
that abate nothing, the bundled full pathway, the chart and the command line."""

from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from matplotlib.figure import Figure

import carbon.scenario as cs
from carbon.errors import InputError, ParameterError
from carbon.optimize import crf, macc, plot_macc

FULL = cs.bundled_files(["full-pathway"])[0]


def _three(h):
    """CCUS on c saves 2 000 CNY/yr for 400 t/yr (-5 CNY/t); efficiency on a costs 5 000 CNY/yr
    for 500 t/yr (10 CNY/t); efficiency on b costs 1 M CNY over 10 years at 5 % for 500 t/yr
    (129 504.57 / 500 = 259.01 CNY/t). Step ramps and flat sectors: the cost per tonne is the
    annual cost over the annual abatement, whatever the discounting."""
    return [h.step("eff a", "efficiency", "a", cut=0.5, opex=5000.0),
            h.step("eff b", "efficiency", "b", cut=0.25, capex=1e6, lifetime=10,
                   discount_rate=0.05),
            h.step("ccus c", "ccus", "c", capture=0.8, opex=-2000.0)]


def test_known_ordering(h):
    curve = macc(h.load(h.make(_three(h))))
    table = curve.table
    assert list(table["measure"]) == ["ccus c", "eff a", "eff b"]
    assert list(table["cost_per_t"]) == pytest.approx([-5.0, 10.0, 1e6 * crf(0.05, 10) / 500])
    assert list(table["abatement"]) == pytest.approx([400 * 7, 500 * 7, 500 * 7])  # 2024-2030
    assert list(table["x_end"]) == pytest.approx([2800, 6300, 9800])
    assert list(table["order"]) == [3, 1, 2] and list(table["rank"]) == [1, 2, 3]


def test_widths_in_a_year(h):
    curve = macc(h.load(h.make(_three(h))), year=2030)
    assert list(curve.table["abatement"]) == pytest.approx([400, 500, 500])
    assert curve.width_unit == "t CO2e/yr" and curve.basis == "abatement in 2030"


def test_measures_on_the_same_emissions_are_not_counted_twice(h):
    """Efficiency (expensive, written first) and CCUS (cheap) both on sector a's 1000 t:
    written order: efficiency 500 t/yr, CCUS half of the rest, 250; cheapest first: CCUS 500,
    then efficiency half of the rest, 250. Either way the widths add up to the 750 t/yr the
    two abate together."""
    measures = [h.step("eff", "efficiency", "a", cut=0.5, opex=50_000.0),
                h.step("ccus", "ccus", "a", capture=0.5, opex=1_000.0)]
    scenario = h.load(h.make(measures))
    written = macc(scenario, year=2030).table.set_index("measure")
    cheap = macc(scenario, year=2030, order="cost").table.set_index("measure")
    assert written.loc["eff", "abatement"] == pytest.approx(500)
    assert written.loc["ccus", "abatement"] == pytest.approx(250)
    assert cheap.loc["ccus", "abatement"] == pytest.approx(500)
    assert cheap.loc["eff", "abatement"] == pytest.approx(250)
    assert written["abatement"].sum() == pytest.approx(cheap["abatement"].sum())
    assert written["abatement"].sum() == pytest.approx(
        scenario.run().baseline[-1] - scenario.run().scenario[-1])
    assert cheap.loc["ccus", "applied"] == 1


def test_a_measure_that_raises_emissions_has_no_cost_per_tonne(h):
    """Gas switched to coal: emissions rise; the measure goes last, with no cost per tonne."""
    measures = [{"name": "to coal", "type": "fuel_switch", "from": "gas", "to": "solid",
                 "share": 0.5, "start": 2024, "ramp": "step", "opex": 100.0},
                h.step("eff a", "efficiency", "a", cut=0.5, opex=5000.0)]
    data = h.make(measures, factors=[{"carrier": "solid", "unit": "t CO2/tce",
                                      "values": {2023: 2.7}}])
    curve = macc(h.load(data))
    last = curve.table.iloc[-1]
    assert last["measure"] == "to coal" and math.isnan(last["cost_per_t"])
    assert any("to coal abates nothing" in n for n in curve.notes)
    assert curve.to_dict()["measures"][-1]["cost_per_t"] is None  # JSON: no NaN


def test_bundled_full_pathway(h):
    curve = macc(cs.load(FULL))
    table = curve.table
    assert len(table) == 7 and table["cost_per_t"].is_monotonic_increasing
    assert table.iloc[0]["cost_per_t"] < 0 < table.iloc[-1]["cost_per_t"]
    total = cs.load(FULL).run()
    abated = (total.baseline - total.scenario)[1:].sum()
    assert table["abatement"].sum() == pytest.approx(abated, rel=1e-9)  # ordered wedges
    figure = plot_macc(curve)
    assert isinstance(figure, Figure) and len(figure.axes[0].patches) == 7


def test_errors(h):
    no_costs = h.load(h.make([h.step("eff a", "efficiency", "a", cut=0.5),
                              h.step("ccus c", "ccus", "c", capture=0.5)]))
    with pytest.raises(InputError) as caught:
        macc(no_costs)
    assert [p.column for p in caught.value.problems] == ["measures[1]", "measures[2]"]
    with pytest.raises(InputError, match="no enabled measure"):
        macc(h.load(h.make([])))
    with pytest.raises(ParameterError, match="'order' parameter of macc"):
        macc(h.load(h.make(_three(h))), order="alphabetical")
    with pytest.raises(InputError, match="outside the projection"):
        macc(h.load(h.make(_three(h))), year=2040)
    with pytest.raises(InputError, match=r"costs\.horizon"):
        macc(h.load(h.make(_three(h), costs={"horizon": 2050})))


def test_cli(macc_cli, h, tmp_path):
    code, out, _ = macc_cli(FULL, "--format", "json")
    body = h.parse_json(out)
    assert code == 0 and body["cost_unit"] == "CNY / t CO2e" and len(body["measures"]) == 7
    code, out, _ = macc_cli(FULL, "--format", "csv", "--order", "cost", "--year", "2030")
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and {"measure", "cost_per_t", "abatement", "x_end"} <= set(table.columns)
    code, out, err = macc_cli(FULL, "--output", tmp_path / "m")
    assert code == 0 and "Marginal abatement cost curve" in out and "wrote 3 files" in err
    assert {p.name for p in (tmp_path / "m").iterdir()} == {"macc.json", "macc.csv", "macc.png"}
    code, out, err = macc_cli(cs.bundled_files(["baseline"])[0])
    assert code == 1 and "no enabled measure" in err and "Traceback" not in err
