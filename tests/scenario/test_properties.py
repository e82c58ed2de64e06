"""Properties of the engine on random scenarios (hypothesis).

* with no measures the scenario is the baseline;
* the ordered wedges add up to baseline minus scenario, in every year;
* the Shapley values add up to the same total (exact, and sampled);
* a measure never raises emissions, per sector and carrier, unless its type says it may
  (fuel switching and electrification: the new carrier may have a higher factor);
* applying measures one by one gives the same end state as applying them all at once.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon.scenario as cs

PROFILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
SECTORS = ("a", "b", "c")
CARRIERS = ("electricity", "gas", "solid", "liquid", "heat", "process", "fugitive")


@st.composite
def base_rows(draw):
    """Electricity and gas in sector a (so that every measure type finds something to act
    on), plus up to five random sector x carrier rows."""
    rows = []
    extra = draw(st.lists(st.tuples(st.sampled_from(SECTORS), st.sampled_from(CARRIERS)),
                          max_size=5, unique=True))
    pairs = [("a", "electricity"), ("a", "gas")] + [p for p in extra if p[0] != "a"]
    for sector, carrier in pairs:
        row = {"sector": sector, "carrier": carrier,
               "co2e": draw(st.floats(1.0, 1e6))}
        if carrier not in ("process", "fugitive"):
            row["tce"] = draw(st.floats(1.0, 1e5))
        rows.append(row)
    return rows


def _timing(draw) -> dict:
    start = draw(st.integers(2024, 2032))
    return {"start": start, "full": start + draw(st.integers(0, 6)),
            "ramp": draw(st.sampled_from(["linear", "s-curve", "step"]))}


@st.composite
def measures(draw):
    kind = draw(st.sampled_from(["efficiency", "rooftop_pv", "green_power", "ccus",
                                 "fuel_switch", "electrification", "prefab"]))
    m = {"type": kind, **_timing(draw)}
    fraction = st.floats(0.0, 1.0)
    if kind == "efficiency":
        m["cut"] = draw(fraction)
    elif kind in ("rooftop_pv", "green_power"):
        m["mwh"] = draw(st.floats(1.0, 1e6))
    elif kind == "ccus":
        m["capture"] = draw(fraction)
    elif kind == "prefab":
        m.update(share=draw(fraction), saving=draw(fraction))
    else:
        m.update(share=draw(fraction), ratio=draw(st.floats(0.1, 2.0)))
        if kind == "fuel_switch":
            source, to = draw(st.sampled_from([("gas", "electricity"), ("electricity", "gas")]))
            m.update({"from": source, "to": to})
        else:
            m["from"] = draw(st.sampled_from([["gas"], ["gas", "solid", "liquid"]]))
    return m


@st.composite
def scenarios(draw, with_measures=True, min_measures=0):
    rows = draw(base_rows())
    data = {"end": 2040, "base": {"year": 2023, "sectors": rows},
            "growth": [{"rate": draw(st.floats(-0.1, 0.1))}],
            "factors": [{"carrier": "electricity", "unit": "t CO2/MWh",
                         "values": {2023: 0.5, 2030: draw(st.floats(0.0, 0.9)),
                                    2040: draw(st.floats(0.0, 0.9))}}],
            "construction": {"floor_area": draw(st.floats(0.0, 1e5)),
                             "embodied": draw(st.floats(0.0, 800.0))}}
    if with_measures:
        data["measures"] = draw(st.lists(measures(), min_size=min_measures, max_size=4))
    return data


def _run(data):
    return cs.from_dict(data).run()


def _close(a, b, scale):
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9 * max(scale, 1.0))


@PROFILE
@given(scenarios(with_measures=False))
def test_no_measures_is_the_baseline(data):
    result = cs.from_dict(data).run()
    assert np.array_equal(result.scenario, result.baseline)
    assert result.ordered.shape == (0, len(result.years))


@PROFILE
@given(scenarios())
def test_wedges_and_shapley_add_up_to_the_abatement(data):
    result = _run(data)
    total = result.baseline - result.scenario
    scale = float(np.abs(result.baseline).max())
    _close(result.ordered.sum(axis=0), total, scale)
    _close(result.shapley.sum(axis=0), total, scale)
    _close(result.steps[0], result.baseline, scale)


@PROFILE
@given(scenarios())
def test_a_measure_never_raises_emissions_unless_it_says_so(data):
    result = _run(data)
    for k, op in enumerate(result.measures):
        drop = result.detail[k] - result.detail[k + 1]   # per year and column
        if not op.may_raise:
            assert (drop >= -1e-9 * max(np.abs(result.detail[k]).max(), 1.0)).all(), op.name


@PROFILE
@given(scenarios(min_measures=2))
def test_sampled_shapley_adds_up_too(data):
    data["shapley"] = {"exact_max": 1, "permutations": 5, "seed": 3}
    result = _run(data)
    assert result.shapley_method.startswith("sampled")
    scale = float(np.abs(result.baseline).max())
    _close(result.shapley.sum(axis=0), result.baseline - result.scenario, scale)


@PROFILE
@given(scenarios())
def test_step_by_step_equals_all_at_once(data):
    scenario = cs.from_dict(data)
    engine = scenario.engine
    states, _ = engine.run(scenario.ops)
    _close(engine.total(states[-1]), engine.final_total(scenario.ops),
           float(np.abs(engine.total(states[0])).max()))
