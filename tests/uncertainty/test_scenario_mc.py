"""Monte Carlo over a scenario's drivers and measure parameters: exact cases, seeds, chunks,
probabilities, the bundled full pathway, the command line and errors."""

from __future__ import annotations

import copy
import functools
import time

import numpy as np
import pytest

import carbon.scenario as cs
from carbon.cli import scenario as scenario_command
from carbon.errors import InputError
from carbon.scenario.peak import find_peak
from carbon.uncertainty.scenario import monte_carlo, peaks

BASE = {"end": 2030, "base": {"year": 2023, "sectors": [
    {"sector": "industry", "carrier": "gas", "co2e": 1000.0, "tce": 500.0},
    {"sector": "offices", "carrier": "electricity", "co2e": 500.0, "mwh": 1000.0}]},
    "growth": [{"rate": 0.05}]}


def make(**keys) -> dict:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(keys))
    return data


def scenario(**keys):
    return cs.from_dict(make(**keys))


PV = {"type": "rooftop_pv", "name": "pv", "capacity_mw": 0.2, "hours": 1000.0, "start": 2025}
GRID = {"carrier": "electricity", "unit": "t CO2/MWh", "values": {2023: 0.5, 2030: 0.3}}


def test_zero_spreads_reproduce_the_scenario_as_written():
    s = scenario(factors=[GRID], measures=[PV], uncertainty={
        "growth": [{"sector": "industry", "sd": 0.0}],
        "factors": [{"carrier": "electricity", "distribution": "uniform", "low": 1.0,
                     "high": 1.0}],
        "measures": [{"measure": "pv", "parameter": "hours", "sd": 0.0}]})
    result = monte_carlo(s, draws=5, seed=0)
    expected = s.run().scenario
    assert np.allclose(result.totals, expected[None, :], rtol=1e-12)
    assert np.allclose(result.nominal, expected, rtol=1e-12)


def test_a_path_scaled_to_zero_is_no_path():
    """Scale 0 of the grid path's change: the base-year factor held, as with no path."""
    with_path = scenario(factors=[GRID], uncertainty={"factors": [
        {"carrier": "electricity", "distribution": "uniform", "low": 0.0, "high": 0.0}]})
    without = cs.from_dict(make()).run().scenario
    assert np.allclose(monte_carlo(with_path, draws=3, seed=1).totals, without, rtol=1e-12)


def test_a_drawn_pv_yield_is_the_measure_with_that_yield():
    drawn = scenario(measures=[PV], uncertainty={"measures": [
        {"measure": "pv", "parameter": "hours", "distribution": "uniform", "low": 800.0,
         "high": 800.0}]})
    fixed = cs.from_dict(make(measures=[{**PV, "hours": 800.0}])).run().scenario
    assert np.allclose(monte_carlo(drawn, draws=4, seed=2).totals, fixed, rtol=1e-12)


def test_growth_shift_bounds():
    """delta uniform in [-1 %, +1 %] on industry: 2030 industry emissions between
    1000 x 1.05^7 x 0.99^7 and 1000 x 1.05^7 x 1.01^7 (offices unchanged: 500 x 1.05^7)."""
    s = scenario(uncertainty={"growth": [{"sector": "industry", "distribution": "uniform",
                                          "low": -0.01, "high": 0.01}]})
    result = monte_carlo(s, draws=400, seed=3)
    industry = result.totals[:, -1] - 500 * 1.05 ** 7
    assert industry.min() >= 1000 * (1.05 * 0.99) ** 7 * (1 - 1e-12)
    assert industry.max() <= 1000 * (1.05 * 1.01) ** 7 * (1 + 1e-12)
    assert np.median(industry) == pytest.approx(1000 * 1.05 ** 7, rel=0.01)


def test_vectorised_peaks_match_find_peak():
    rng = np.random.default_rng(0)
    years = np.arange(2023, 2031)
    totals = np.cumsum(rng.normal(0, 1, (200, len(years))), axis=1)
    totals[:5] = 1.0  # flat series: not peaked
    year, highest = peaks(years, totals)
    for k in range(len(totals)):
        p = find_peak(years, totals[k])
        assert (year[k] if year[k] >= 0 else None) == p.year
        assert highest[k] == pytest.approx(p.highest_value)


def test_probabilities_of_the_targets():
    """Industry growing 5 %/yr and an efficiency cut between 0 and 60 % from 2025: it peaks by
    2030 only when the cut outpaces the growth, and the 2030 cap is met with the larger cuts."""
    s = scenario(measures=[{"type": "efficiency", "name": "eff", "cut": 0.3, "start": 2025,
                            "full": 2025}],
                 targets={"peak_by": 2026, "caps": [{"year": 2030, "co2e": 1500.0}]},
                 uncertainty={"measures": [{"measure": "eff", "parameter": "cut",
                                            "distribution": "uniform", "low": 0.0,
                                            "high": 0.6}]})
    result = monte_carlo(s, draws=2000, seed=4)
    cap = result.targets["caps"][0]
    met = result.totals[:, -1] <= 1500.0
    assert cap["probability"] == pytest.approx(met.mean())
    assert 0.1 < cap["probability"] < 0.9
    peaked_by = ((result.peak_years >= 0) & (result.peak_years <= 2026)).mean()
    assert result.targets["peak"]["probability"] == pytest.approx(peaked_by)
    assert result.targets["all_met"] <= min(cap["probability"],
                                            result.targets["peak"]["probability"])
    fan = result.fan
    assert (fan[2.5] <= fan[50.0]).all() and (fan[50.0] <= fan[97.5]).all()


def test_seed_and_chunks():
    s = scenario(factors=[GRID], measures=[PV], uncertainty={
        "growth": [{"sd": 0.01}],
        "factors": [{"carrier": "electricity", "distribution": "triangular", "low": 0.5,
                     "high": 1.5}],
        "measures": [{"measure": "pv", "parameter": "mwh", "u": 20.0}]})
    one = monte_carlo(s, draws=50, seed=8)
    again = monte_carlo(s, draws=50, seed=8, chunk_draws=7)
    other = monte_carlo(s, draws=50, seed=9)
    assert np.array_equal(one.totals, again.totals)
    assert not np.array_equal(one.totals, other.totals)
    assert one.to_dict()["seed"] == 8


def test_bundled_full_pathway_1000_draws_is_fast():
    """The issue asks for 1000 draws of the bundled full pathway in about 30 s: vectorised
    across draws it takes well under a second (loading the scenario is not timed)."""
    s = cs.load(cs.bundled_files(["full-pathway"])[0])
    start = time.perf_counter()
    result = monte_carlo(s, draws=1000, progress=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 30
    body = result.to_dict()
    assert body["draws"] == 1000 and body["seed"] == 0  # the file's seed
    assert 0.5 < body["targets"]["peak"]["probability"] <= 1.0
    assert len(body["fan"]["50"]) == len(body["years"])
    assert {i["key"] for i in body["inputs"]} >= {"uncertainty.factors[1]",
                                                 "uncertainty.measures[1]"}


# -- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("uncertainty, match", [
    ({"measures": [{"measure": "pvv", "parameter": "hours", "sd": 1.0}]},
     "no enabled measure of that name; closest: pv"),
    ({"measures": [{"measure": "pv", "parameter": "cut", "sd": 1.0}]},
     "not a parameter of a rooftop_pv measure"),
    ({"measures": [{"measure": "pv", "parameter": "mwh", "range": "preset"}]},
     "range = 'preset' is for the saving of a prefab measure"),
    ({"growth": [{"u": 5.0}]}, "u is a percentage of the nominal value, which is 0 here"),
    ({"factors": [{"carrier": "heat", "sd": 0.1}]}, "no heat emissions match"),
])
def test_bad_uncertainty_tables(uncertainty, match):
    s = scenario(measures=[PV], uncertainty=uncertainty)
    with pytest.raises(InputError, match=match):
        monte_carlo(s, draws=10, seed=0)


def test_a_scenario_without_uncertainty_table():
    with pytest.raises(InputError, match=r"no \[uncertainty\] table"):
        monte_carlo(cs.from_dict(make()), draws=10)


@pytest.mark.parametrize("entry, match", [
    ({"distribution": "normal"}, "needs sd or u"),
    ({"distribution": "uniform", "low": 1.0}, "needs low and high"),
    ({"distribution": "triangular", "low": 2.0, "high": 1.0}, "is above high"),
    ({"distribution": "lognormal", "factor": 0.5}, "greater than 1"),
])
def test_distributions_are_validated_when_loading(entry, match):
    with pytest.raises(InputError, match=match):
        cs.from_dict(make(uncertainty={"growth": [entry]}))


# -- command line -------------------------------------------------------------------------------
@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon scenario ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, scenario_command)


def test_cli_monte_carlo(cli, h, tmp_path):
    path = cs.bundled_files(["full-pathway"])[0]
    code, out, _ = cli(path, "--monte-carlo", "300", "--seed", "1", "--format", "json")
    body = h.parse_json(out)
    assert code == 0 and body["monte_carlo"]["draws"] == 300 and body["monte_carlo"]["seed"] == 1
    assert body["peak_year"] == 2024  # the deterministic result is unchanged
    code, out, _ = cli(path, "--monte-carlo", "--output", tmp_path / "out")
    assert code == 0 and "Monte Carlo: 1000 draws (seed 0)" in out and "P(peak by 2030)" in out
    assert {"fan.csv", "peak_years.csv", "fan.png"} <= {p.name for p in
                                                         (tmp_path / "out").iterdir()}


def test_cli_seed_needs_monte_carlo(cli):
    code, out, err = cli(cs.bundled_files(["baseline"])[0], "--seed", "3")
    assert code == 2 and out == "" and "--seed goes with --monte-carlo" in err
