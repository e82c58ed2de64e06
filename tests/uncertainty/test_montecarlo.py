"""IPCC Approach 2 (Monte Carlo): agreement with Approach 1 where it is valid, seeds, chunks and
memory, and correlation through shared factor rows.

Tolerances: the 2.5th and 97.5th percentiles of N draws have a relative standard error of about
sqrt(p(1-p)/N)/phi(1.96)/1.96 ~ 1.4/sqrt(N) of the half-width (N = 50 000: 0.6 %); tests allow
about four standard errors.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from carbon.errors import ParameterError
from carbon.progress import progress_bar
from carbon.uncertainty import assess, build_sources, simulate
from carbon.uncertainty.montecarlo import (
    ARRAYS_PER_CELL,
    BLOCK,
    chunk_bounds,
    plan_chunk,
    segment_sum,
)

MiB = 2 ** 20


def _factor(activity: str, u: float, value: float = 1.0, unit: str = "t CO2 / MWh") -> dict:
    return {"activity": activity, "parameter": "CO2", "value": value, "unit": unit,
            "uncertainty": u}


def _tenants(h, grid_u: float = 0.0, n: int = 20):
    rows = [h.row(f"T{i:02d}", "electricity", 100 + 37 * i, "MWh", uncertainty=5 + i)
            for i in range(n)]
    factors = pd.DataFrame([_factor("electricity", grid_u)])
    return h.account(rows, factors=factors), factors


def test_monte_carlo_converges_to_approach_1_without_shared_errors(h):
    """Independent, normal, small spreads: a linear sum, where Approach 1 is exact in U."""
    inventory, factors = _tenants(h)
    a1 = assess(inventory, factors=factors)
    mc = assess(inventory, factors=factors, method="monte-carlo", draws=50_000, seed=7,
                progress=False)
    assert h.park(mc)["u_percent"] == pytest.approx(h.park(a1)["u_percent"], rel=0.025)
    assert h.park(mc)["mean"] == pytest.approx(h.park(a1)["estimate"], rel=2e-3)
    both = a1.table.merge(mc.table, on=["facility", "quantity"], suffixes=("_a1", "_mc"))
    assert np.allclose(both["u_percent_mc"], both["u_percent_a1"], rtol=0.03)


def test_monte_carlo_agrees_with_correlated_approach_1(h):
    """With one shared grid factor (+-8 %), Approach 1 with the covariance of the shared row and
    Monte Carlo with one grid draw per iteration agree."""
    inventory, factors = _tenants(h, grid_u=8.0)
    a1 = assess(inventory, factors=factors)
    mc = assess(inventory, factors=factors, method="monte-carlo", draws=50_000, seed=3,
                progress=False)
    assert h.park(mc)["u_percent"] == pytest.approx(h.park(a1)["u_percent"], rel=0.03)


def test_park_wide_grid_draw_widens_the_park_interval(h):
    """Fifty tenants on one grid factor +-10 % with exact activity: drawn once for the park the
    park total is +-10 %; drawn per tenant the errors average out (about 10/sqrt(50)... wider
    for unequal tenants)."""
    rows = [h.row(f"T{i:02d}", "electricity", 100, "MWh", uncertainty=0) for i in range(50)]
    factors = pd.DataFrame([_factor("electricity", 10.0)])
    inventory = h.account(rows, factors=factors)
    shared = assess(inventory, factors=factors, method="monte-carlo", draws=20_000, seed=1,
                    progress=False)
    apart = assess(inventory, factors=factors, method="monte-carlo", draws=20_000, seed=1,
                   progress=False, correlated=False)
    assert h.park(shared)["u_percent"] == pytest.approx(10.0, rel=0.03)
    assert h.park(apart)["u_percent"] == pytest.approx(10.0 / math.sqrt(50), rel=0.03)
    assert h.park(shared)["u_percent"] > 5 * h.park(apart)["u_percent"]
    # each tenant alone is +-10 % either way
    tenant = shared.table[(shared.table["facility"] == "T00")
                          & (shared.table["quantity"] == "total")]
    assert tenant["u_percent"].iloc[0] == pytest.approx(10.0, rel=0.05)


def test_sample_park_agrees_with_approach_1(sample_park):
    a1 = assess(sample_park)
    mc = assess(sample_park, method="monte-carlo", draws=20_000, seed=11, progress=False)
    assert mc.park()["total"]["u_percent"] == pytest.approx(a1.park()["total"]["u_percent"],
                                                            rel=0.04)
    assert mc.info["correlated"] and mc.info["draws"] == 20_000 and mc.info["seed"] == 11


def test_lognormal_spreads_are_skewed(h):
    """A factor +-150 % is lognormal (median the value): the upper side is the longer one, and
    the mean lies above the inventory value."""
    factors = pd.DataFrame([_factor("electricity", 150.0)])
    inventory = h.account([h.row("A", "electricity", 100, "MWh", uncertainty=0)],
                          factors=factors)
    total = h.park(assess(inventory, factors=factors, method="monte-carlo", draws=40_000,
                          seed=5, progress=False))
    assert total["upper"] == pytest.approx(250.0, rel=0.03)   # 97.5th percentile: 1 + 150 %
    assert total["lower"] == pytest.approx(40.0, rel=0.03)    # 2.5th: 1 / 2.5
    assert total["mean"] > total["estimate"]
    assert total["plus_percent"] > total["minus_percent"]


# -- reproducibility, chunks and memory ---------------------------------------------------------
def test_a_seed_reproduces_the_draws(sample_park):
    sources = build_sources(sample_park)
    first = simulate(sources, draws=300, seed=42, progress=False)
    again = simulate(sources, draws=300, seed=42, progress=False)
    other = simulate(sources, draws=300, seed=43, progress=False)
    pd.testing.assert_frame_equal(first[0], again[0])
    assert np.array_equal(first[1]["total"], again[1]["total"])
    assert not np.array_equal(first[1]["total"], other[1]["total"])


def test_no_seed_draws_one_and_reports_it(h):
    inventory, factors = _tenants(h, n=2)
    result = assess(inventory, factors=factors, method="monte-carlo", draws=50, progress=False)
    seed = result.info["seed"]
    again = assess(inventory, factors=factors, method="monte-carlo", draws=50, seed=seed,
                   progress=False)
    assert np.array_equal(result.park_draws["total"], again.park_draws["total"])


@pytest.mark.parametrize("correlated", [True, False])
def test_results_do_not_depend_on_the_chunk_size(sample_park, correlated):
    """One cell per chunk gives the very numbers of one chunk for everything: the random
    streams belong to fixed blocks of cells, not to chunks."""
    sources = build_sources(sample_park)
    assert len(sources.cells) > BLOCK
    whole = simulate(sources, draws=64, seed=9, correlated=correlated, progress=False)
    tiny = simulate(sources, draws=64, seed=9, correlated=correlated, chunk_cells=1,
                    progress=False)
    assert whole[2]["chunks"] == 1 and tiny[2]["chunks"] == sources.cells["facility"].nunique()
    pd.testing.assert_frame_equal(whole[0], tiny[0], rtol=1e-12)
    for key in whole[1]:
        assert np.allclose(whole[1][key], tiny[1][key], rtol=1e-12, atol=0)


@pytest.mark.parametrize("correlated", [True, False])
def test_results_do_not_depend_on_the_threads(sample_park, correlated):
    """Two threads take chunks at once; the park's draws are added in chunk order, so the
    numbers are those of one thread (up to the grouping of sums: chunk sizes differ)."""
    sources = build_sources(sample_park)
    one = simulate(sources, draws=64, seed=5, correlated=correlated, chunk_cells=3, threads=1,
                   progress=False)
    two = simulate(sources, draws=64, seed=5, correlated=correlated, chunk_cells=3, threads=2,
                   progress=False)
    assert one[2]["threads"] == 1 and two[2]["threads"] == 2 and two[2]["chunks"] > 4
    pd.testing.assert_frame_equal(one[0], two[0])  # same chunks: the very same numbers
    for key in one[1]:
        assert np.array_equal(one[1][key], two[1][key])


def test_chunks_hold_whole_facilities():
    codes = np.array([0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 4])
    bounds = chunk_bounds(codes, 4)
    assert bounds == [(0, 4), (4, 6), (6, 10), (10, 11)]
    assert chunk_bounds(codes, 1)[0] == (0, 3)  # a facility larger than a chunk: alone
    assert chunk_bounds(np.array([], dtype=int), 5) == []


def test_segment_sum_matches_reduceat():
    rng = np.random.default_rng(0)
    values = rng.standard_normal((50, 7))
    starts = np.array([0, 1, 2, 10, 11, 40])
    assert np.allclose(segment_sum(values, starts), np.add.reduceat(values, starts, axis=0))


def test_the_chunk_plan_bounds_memory_for_a_large_park():
    """10^5 facilities x 10^4 draws: whatever the park, a chunk's arrays plus those held for the
    whole run stay within 256 MiB (here with 500 factor rows, chains and combinations)."""
    draws, fixed = 10_000, 500 + 500 + 500 + 4 + BLOCK
    cells = plan_chunk(draws, 256 * MiB, fixed_rows=fixed)
    assert cells >= 100
    assert (fixed + cells * ARRAYS_PER_CELL) * 8 * draws <= 256 * MiB
    n_cells = 3 * 10 ** 5  # three sources per facility
    assert math.ceil(n_cells / cells) < 10_000  # chunks, each within the budget
    with pytest.raises(ParameterError, match=r"at least .* MiB for 10000 draws"):
        plan_chunk(draws, 10 * MiB, fixed_rows=fixed)


def test_traced_memory_stays_within_the_budget(h):
    """A 600-facility park with 4 000 draws and a 4 MiB budget: numpy's traced peak stays
    within it (one chunk would need ~2 x 1800 cells x 32 kB = 115 MB)."""
    rows = [h.row(f"F{i:04d}", a, q, u) for i in range(600)
            for a, q, u in (("electricity", 120.0 + i, "MWh"),
                            ("natural_gas", 3.0 + i % 7, "10^4 Nm3"),
                            ("diesel", 1.0 + i % 5, "t"))]
    sources = build_sources(h.account(rows))
    tracemalloc.start()
    try:
        table, _, info = simulate(sources, draws=4_000, seed=0, memory=4 * MiB, progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info["chunks"] > 10
    assert peak <= 4 * MiB
    assert len(table) == 600 * 3 + 3  # scope 1, scope 2, total per facility; park rows
    tracemalloc.start()  # two chunks at once, each within its share of the budget
    try:
        _, _, info = simulate(sources, draws=4_000, seed=0, memory=12 * MiB, threads=2,
                              progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info["threads"] == 2 and info["cells_per_chunk"] > 5
    assert peak <= 12 * MiB


def test_bad_monte_carlo_arguments(h):
    inventory, factors = _tenants(h, n=2)
    sources = build_sources(inventory, factors=factors)
    with pytest.raises(ParameterError, match="'draws'"):
        simulate(sources, draws=1)
    with pytest.raises(ParameterError, match="'seed'"):
        simulate(sources, draws=10, seed=-1)
    with pytest.raises(ParameterError, match="'chunk_cells'"):
        simulate(sources, draws=10, seed=0, chunk_cells=0)
    with pytest.raises(ParameterError, match="'memory'"):
        simulate(sources, draws=10_000, seed=0, memory=1000)
    with pytest.raises(ParameterError, match="'threads'"):
        simulate(sources, draws=10, seed=0, threads=0)


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys):
    with progress_bar(10, "test") as bar:  # pytest's captured stderr is not a terminal
        bar.update(10)
    assert capsys.readouterr().err == ""


def test_progress_bar_switches():
    """Shown on request (the command line passes None: shown when stderr is a terminal;
    --quiet passes False)."""
    with progress_bar(1, "x", True) as shown, progress_bar(1, "x", False) as hidden:
        assert not shown.disable and hidden.disable
