"""Least-cost pathways: optima known by hand and by enumeration, binding constraints and their
shadow prices, infeasible targets, interactions between measures, the command line."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import carbon.scenario as cs
from carbon.errors import InputError
from carbon.optimize import crf, least_cost
from carbon.optimize.costs import discount_factors
from carbon.scenario.peak import find_peak

YEARS = np.arange(2024, 2031)


def _pv(annual: float, rate: float) -> float:
    """Discounted cost 2024-2030 of a step measure costing ``annual`` CNY/yr [CNY]."""
    return annual * discount_factors(YEARS, 2023, rate).sum()


def _three(h):
    # as in test_macc: CCUS c -5 CNY/t (400 t/yr), eff a 10 CNY/t (500 t/yr), eff b 259 CNY/t
    return [h.step("eff a", "efficiency", "a", cut=0.5, opex=5000.0),
            h.step("eff b", "efficiency", "b", cut=0.25, capex=1e6, lifetime=10,
                   discount_rate=0.05),
            h.step("ccus c", "ccus", "c", capture=0.8, opex=-2000.0)]


def test_continuous_optimum_by_hand(h):
    """3 500 t in 2030, cap 2 500: CCUS (it saves money) and eff a in full give 900 t, the
    remaining 100 t come from eff b at level 100/500 = 0.2. The cap's shadow price is eff b's
    discounted cost per tonne of 2030 abatement."""
    path = least_cost(h.load(h.make(_three(h), {"caps": [{"year": 2030, "co2e": 2500.0}]})))
    levels = path.levels.set_index("measure")["level"]
    assert levels.to_dict() == pytest.approx({"eff a": 1.0, "eff b": 0.2, "ccus c": 1.0})
    c_b = _pv(1e6 * crf(0.05, 10), 0.05)
    c_a, c_c = _pv(5000.0, 0.06), _pv(-2000.0, 0.06)  # [costs] default rate 0.06
    assert path.cost == pytest.approx(c_a + 0.2 * c_b + c_c, rel=1e-9)
    assert path.capex == pytest.approx(0.2 * 1e6)
    cap = path.constraints.set_index("kind").loc["cap"]
    assert cap["binding"] and cap["slack"] == pytest.approx(0.0, abs=1e-6)
    assert cap["shadow_price"] == pytest.approx(c_b / 500.0, rel=1e-6)
    assert path.check["all_met"] and path.emissions[-1] == pytest.approx(2500.0)


def test_binary_optimum_matches_enumeration(h):
    """Four all-or-nothing measures on four sectors, a growing sector a, a peak target and a
    2030 cap: the MILP picks the cheapest subset that the engine finds meeting both."""
    sectors = [{"sector": "a", "carrier": "gas", "co2e": 1000.0, "tce": 500.0},
               {"sector": "b", "carrier": "gas", "co2e": 800.0, "tce": 400.0},
               {"sector": "c", "carrier": "process", "co2e": 600.0},
               {"sector": "d", "carrier": "liquid", "co2e": 400.0, "tce": 150.0}]
    measures = [h.step("eff a", "efficiency", "a", start=2026, cut=0.4, opex=9000.0,
                       binary=True),
                h.step("ccus c", "ccus", "c", start=2025, capture=0.9, capex=60_000.0,
                       lifetime=10, opex=2000.0, binary=True),
                h.step("eff b", "efficiency", "b", start=2027, cut=0.3, opex=4000.0,
                       binary=True),
                h.step("eff d", "efficiency", "d", start=2025, cut=0.5, opex=3000.0,
                       binary=True)]
    data = {"end": 2030, "base": {"year": 2023, "sectors": sectors},
            "growth": [{"sector": "a", "rate": 0.08}], "measures": measures,
            "targets": {"peak_by": 2026, "caps": [{"year": 2030, "co2e": 2600.0}]}}
    scenario = h.load(data)
    path = least_cost(scenario)
    cost_of = path.levels["discounted_cost_full"].to_numpy()
    best, best_cost = None, np.inf
    for subset in itertools.product((0, 1), repeat=4):
        ops = [op for op, on in zip(scenario.ops, subset, strict=True) if on]
        totals = scenario.engine.final_total(ops)
        peak = find_peak(scenario.years, totals)
        feasible = peak.peaked and peak.year <= 2026 and totals[-1] <= 2600.0
        cost = float(np.dot(subset, cost_of))
        if feasible and cost < best_cost:
            best, best_cost = subset, cost
    assert best is not None and 0 < sum(best) < 4  # a real choice
    assert tuple(np.round(path.levels["level"]).astype(int)) == best
    assert path.cost == pytest.approx(best_cost)
    assert path.check["all_met"] and path.check["peak_year"] <= 2026


def test_budget_binds_with_a_shadow_price(h):
    """Cap 2 900 needs 600 t in 2030: eff b (capex 1 M, 259 CNY/t) in full and a quarter of a
    dearer CCUS (200 000 CNY/yr for 400 t: 500 CNY/t); a 0.5 M budget halves eff b and CCUS
    fills in. One more CNY of budget buys 1e-6 of eff b, saving CCUS's dearer tonnes."""
    measures = [h.step("eff b", "efficiency", "b", cut=0.25, capex=1e6, lifetime=10,
                       discount_rate=0.05),
                h.step("ccus c", "ccus", "c", capture=0.8, opex=200_000.0)]
    targets = {"caps": [{"year": 2030, "co2e": 2900.0}]}
    free = least_cost(h.load(h.make(measures, targets)))
    assert free.levels["level"].tolist() == pytest.approx([1.0, 0.25])
    tight = least_cost(h.load(h.make(measures, targets, optimize={"budget": 5e5})))
    assert tight.levels["level"].tolist() == pytest.approx([0.5, 350 / 400])
    rows = tight.constraints.set_index("kind")
    assert rows.loc["budget", "binding"] and rows.loc["cap", "binding"]
    c_b, c_c = _pv(1e6 * crf(0.05, 10), 0.05), _pv(200_000.0, 0.06)
    saving = (500 * c_c / 400 - c_b) / 1e6  # CNY saved per CNY of capex
    assert rows.loc["budget", "shadow_price"] == pytest.approx(saving, rel=1e-6)


def test_an_infeasible_cap_reports_its_shortfall(h):
    """All three measures abate 1 400 t in 2030 of 3 500: a cap of 1 000 lacks 1 100 t; with a
    0.1 M budget eff b can reach 0.1 only, and the budget needed is 1 M."""
    path = least_cost(h.load(h.make(_three(h), {"caps": [{"year": 2030, "co2e": 1000.0}]})))
    assert path.status == "infeasible"
    assert path.shortfall == [pytest.approx({
        "target": "cap 2030: at most 1 000 t CO2e", "year": 2030, "shortfall": 1100.0,
        "unit": "t CO2e", "text": "cap 2030: at most 1 000 t CO2e: 1 100 t CO2e more abatement "
        "needed in 2030"})]
    assert path.levels["level"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    budget = least_cost(h.load(h.make(_three(h), {"caps": [{"year": 2030, "co2e": 2500.0}]},
                                      optimize={"budget": 1e5})))
    assert budget.status == "infeasible"
    assert budget.shortfall[0]["shortfall"] == pytest.approx(50.0)  # 0.1 x 500 t missing
    assert budget.budget_needed == pytest.approx(2e5)
    assert "budget of at least 200 000" in budget.text()


def test_an_unreachable_peak_names_the_binding_year(h):
    """Sector a grows 10 %/yr; the only measure cuts 10 % from 2024: emissions still rise after
    2025, most in 2030 (the last year)."""
    data = h.make([h.step("eff a", "efficiency", "a", cut=0.1, opex=10.0)],
                  {"peak_by": 2025}, growth=[{"sector": "a", "rate": 0.10}])
    path = least_cost(h.load(data))
    assert path.status == "infeasible"
    (short,) = path.shortfall
    assert short["target"] == "peak by 2025" and short["year"] == 2030
    assert "binding year is 2030" in short["text"]
    base = h.load(data).run()
    # the shortfall is how far 2030 stays above the best pre-2026 peak with the measure in full
    expected = base.scenario[-1] - base.scenario[base.years <= 2025].max()
    assert short["shortfall"] == pytest.approx(expected, rel=1e-3)


def test_interacting_measures_are_solved_again_around_the_levels_found(h):
    """Efficiency (dear) then CCUS (cheap) on the same 1 000 t: around 'both in full' each
    seems to abate 250 t, so 400 t would come from CCUS at 0.6, which the engine finds abates
    300 t only; solved again around that point, CCUS at 0.8 meets the 600 t cap exactly."""
    data = {"end": 2030, "base": {"year": 2023, "sectors": [
        {"sector": "a", "carrier": "gas", "co2e": 1000.0, "tce": 500.0}]},
        "measures": [h.step("eff", "efficiency", "a", cut=0.5, opex=100_000.0),
                     h.step("ccus", "ccus", "a", capture=0.5, opex=1000.0)],
        "targets": {"caps": [{"year": 2030, "co2e": 600.0}]}}
    path = least_cost(h.load(data))
    assert path.iterations == 2 and path.check["all_met"]
    assert path.levels["level"].tolist() == pytest.approx([0.0, 0.8])
    assert path.emissions[-1] == pytest.approx(600.0)


def test_intensity_target_and_adoption_limits(h):
    """Value added grows 2 %/yr: carbon intensity -35 % in 2030 vs 2023 means emissions at
    most 0.65 x 3 500 x 1.02^7 t. eff a is forced in (min_level 1), CCUS may go to half only
    (200 t): eff b makes up the rest."""
    measures = _three(h)
    measures[0]["min_level"] = 1.0
    measures[2]["max_level"] = 0.5
    data = h.make(measures, {"intensity": [{"kind": "carbon", "year": 2030, "reduction": 0.35}]},
                  economy={"value_added": 1000.0, "rate": 0.02})
    path = least_cost(h.load(data))
    limit = 0.65 * 3500.0 * 1.02 ** 7
    levels = path.levels.set_index("measure")["level"]
    assert levels["eff a"] == 1.0 and levels["ccus c"] == pytest.approx(0.5)
    assert levels["eff b"] == pytest.approx((3500 - limit - 500 - 200) / 500)
    assert 0 < levels["eff b"] < 1
    assert path.check["all_met"]
    assert path.constraints.set_index("kind").loc["intensity", "binding"]


def test_errors(h):
    with pytest.raises(InputError, match="no target to meet"):
        least_cost(h.load(h.make(_three(h))))
    with pytest.raises(InputError, match="has no cost data"):
        least_cost(h.load(h.make([h.step("eff a", "efficiency", "a", cut=0.5)],
                                 {"caps": [{"year": 2030, "co2e": 1.0}]})))
    with pytest.raises(InputError, match="no target to meet"):
        least_cost(h.load(h.make(_three(h), {"caps": [{"year": 2030, "co2e": 1.0}]},
                                 optimize={"targets": ["peak"]})))


def test_cli_optimize_on_the_bundled_full_pathway(scenario_cli, h, tmp_path):
    path = cs.bundled_files(["full-pathway"])[0]
    code, out, _ = scenario_cli(path, "--optimize", "--format", "json")
    body = h.parse_json(out)["optimization"]
    assert code == 0 and body["status"] == "optimal" and body["check"]["all_met"]
    assert body["binding"] and all("shadow_price" in c for c in body["constraints"])
    levels = {r["measure"]: r["level"] for r in body["levels"]}
    assert levels["kiln coal to gas"] in (0.0, 1.0)  # binary = true
    code, out, _ = scenario_cli(path, "--optimize", "--output", tmp_path / "o")
    assert code == 0 and "Least-cost pathway: optimal" in out
    assert {"optimum.csv", "constraints.csv", "pathway.png"} <= {p.name for p in
                                                                (tmp_path / "o").iterdir()}
