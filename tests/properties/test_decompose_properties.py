"""Properties of LMDI-I that hold for any non-negative factor table, zeros included.

Exactness (no residual), the additive–multiplicative link, chaining, time reversal and the
multilevel sums, on random tables where any factor value may be 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from carbon.decompose import lmdi, logmean, multilevel

FAST = settings(deadline=None)  # examples: the folder's profile (conftest.py)
value = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e3))


@st.composite
def cubes(draw, max_keys=5, max_years=4, max_factors=4):
    """Factor values shaped (sub-category, year, factor), ≥ 0, often 0."""
    shape = (draw(st.integers(1, max_keys)), draw(st.integers(2, max_years)),
             draw(st.integers(1, max_factors)))
    return draw(arrays(float, shape, elements=value))


def table(cube: np.ndarray) -> pd.DataFrame:
    k, y, f = cube.shape
    frame = pd.DataFrame(cube.reshape(k * y, f), columns=[f"x{j}" for j in range(f)])
    frame.insert(0, "year", np.tile(2000 + np.arange(y), k))
    frame.insert(0, "i", np.repeat([f"s{i}" for i in range(k)], y))
    return frame


def factors(cube: np.ndarray) -> list[str]:
    return [f"x{j}" for j in range(cube.shape[2])]


def values(cube: np.ndarray) -> np.ndarray:
    """V_i per sub-category and year, computed here from the definition."""
    return cube.prod(axis=2)


@FAST
@given(cubes())
def test_effects_add_up_exactly(cube):
    result = lmdi(table(cube), factors(cube))
    v = values(cube)
    scale = v.sum(axis=0).max() + 1e-300
    change = v[:, 1:].sum(axis=0) - v[:, :-1].sum(axis=0)
    np.testing.assert_allclose(result.additive.sum(axis=1), change, rtol=0, atol=1e-11 * scale)
    per_key = result.detail.groupby(["year_from", "i"])["effect"].sum().unstack("i")
    np.testing.assert_allclose(per_key.to_numpy().T, v[:, 1:] - v[:, :-1], rtol=0,
                               atol=1e-11 * scale)


@FAST
@given(cubes())
def test_multiplicative_matches_additive(cube):
    v = values(cube).sum(axis=0)
    assume((v > 0).all())
    additive = lmdi(table(cube), factors(cube))
    ratios = lmdi(table(cube), factors(cube), method="multiplicative").effects
    np.testing.assert_allclose(ratios.prod(axis=1), v[1:] / v[:-1], rtol=1e-9)
    weight = logmean(v[1:], v[:-1])[:, None]
    np.testing.assert_allclose(np.log(ratios.to_numpy()) * weight, additive.effects.to_numpy(),
                               rtol=1e-9, atol=1e-11 * v.max())


@FAST
@given(cubes(max_years=5))
def test_chained_effects_telescope(cube):
    v = values(cube).sum(axis=0)
    result = lmdi(table(cube), factors(cube))
    cumulative = result.cumulative()
    assert cumulative.iloc[-1].sum() == pytest.approx(v[-1] - v[0], rel=1e-9,
                                                      abs=1e-11 * v.max())


@FAST
@given(cubes(max_years=2))
def test_time_reversal(cube):
    forward = lmdi(table(cube), factors(cube), years=[2000, 2001]).effects.to_numpy()
    backward = lmdi(table(cube), factors(cube), years=[2001, 2000]).effects.to_numpy()
    np.testing.assert_allclose(backward, -forward, rtol=1e-12, atol=1e-12 * (
        np.abs(forward).max() + 1e-300))


@st.composite
def two_level_tables(draw):
    """Sectors × subsectors × years with activity q (0 = absent) and an intensity (may be 0)."""
    n_sectors, n_subs, n_years = (draw(st.integers(1, 3)), draw(st.integers(1, 3)),
                                  draw(st.integers(2, 3)))
    shape = (n_sectors * n_subs, n_years)
    q = draw(arrays(float, shape, elements=value))
    intensity = draw(arrays(float, shape, elements=value))
    assume((q.sum(axis=0) > 0).all())
    index = pd.MultiIndex.from_product([range(n_sectors), range(n_subs), range(n_years)],
                                       names=["sector", "sub", "year"])
    frame = index.to_frame(index=False)
    frame["sub"] = frame["sector"].astype(str) + "." + frame["sub"].astype(str)
    frame["q"], frame["intensity"] = q.reshape(-1), intensity.reshape(-1)
    return frame


@FAST
@given(two_level_tables())
def test_multilevel_parallel_sums_to_single_level(frame):
    multi = multilevel(frame, ["sector", "sub"], "q", ["intensity"])
    q = frame.groupby("year")["q"].transform("sum")
    single = lmdi(frame.assign(activity=q, share=frame["q"] / q),
                  ["activity", "share", "intensity"], key=["sector", "sub"])
    scale = (frame["q"] * frame["intensity"]).groupby(frame["year"]).sum().max() + 1e-300
    e, s = multi.effects, single.effects
    np.testing.assert_allclose(e["structure_sector"] + e["structure_sub"], s["share"], rtol=0,
                               atol=1e-10 * scale)
    np.testing.assert_allclose(e["intensity"], s["intensity"], rtol=0, atol=1e-10 * scale)


@FAST
@given(two_level_tables())
def test_multilevel_hierarchical_is_exact(frame):
    multi = multilevel(frame, ["sector", "sub"], "q", ["intensity"], approach="hierarchical")
    v = (frame["q"] * frame["intensity"]).groupby(frame["year"]).sum().to_numpy()
    assert np.isfinite(multi.detail["effect"]).all()
    np.testing.assert_allclose(multi.additive.sum(axis=1), v[1:] - v[:-1], rtol=0,
                               atol=1e-10 * (v.max() + 1e-300))
