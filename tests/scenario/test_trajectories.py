"""Hand-computed trajectories: each expected value is worked out in the comment beside it.

Tolerance rel 1e-9: the arithmetic is exact up to floating point. Where electricity is given in
MWh, the engine converts it to tce and back with the same GB/T 2589 coefficient (0.1229
tce/MWh), so emissions = MWh x t CO2/MWh exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

import carbon.scenario as cs
from carbon.scenario.conversions import tce_per_mwh

REL = 1e-9
GRID = [{"sector": "tenants", "carrier": "electricity", "co2e": 5000.0, "mwh": 10000.0}]


def test_constant_growth(h):
    # 1000 t and 500 tce of gas growing 5 %/yr: 1.05**7 = 1.40710042265625 in 2030
    # (1.05^2 = 1.1025, ^4 = 1.21550625, ^6 = 1.340095640625, ^7 = 1.40710042265625).
    result = h.run(h.make(growth=[{"rate": 0.05}]))
    assert h.at(result, 2023) == pytest.approx(1000.0, rel=REL)
    assert h.at(result, 2024) == pytest.approx(1050.0, rel=REL)
    assert h.at(result, 2030) == pytest.approx(1407.10042265625, rel=REL)
    assert result.energy()[7] == pytest.approx(500 * 1.40710042265625, rel=REL)
    assert np.array_equal(result.scenario, result.baseline)


def test_rates_per_period_and_series(h):
    # +10 %/yr in 2024-2025, then -10 %/yr: 2025 = 1.1^2 = 1.21; 2027 = 1.21 x 0.9^2 = 0.9801.
    result = h.run(h.make(growth=[{"rates": {2024: 0.10, 2026: -0.10}}]))
    assert h.at(result, 2025) == pytest.approx(1210.0, rel=REL)
    assert h.at(result, 2027) == pytest.approx(980.1, rel=REL)
    # A series of absolute figures is divided by its base-year value: 200 -> 300 over 2023-2027,
    # so 2025 is 250 / 200 = 1.25 x 1000 t; flat after its last year.
    result = h.run(h.make(growth=[{"series": {2023: 200, 2027: 300}}]))
    assert h.at(result, 2025) == pytest.approx(1250.0, rel=REL)
    assert h.at(result, 2035) == pytest.approx(1500.0, rel=REL)


def test_intensity_and_growth_multiply(h):
    # Output +10 %/yr, energy intensity -10 %/yr: activity x 1.1 x 0.9 = 0.99 per year.
    result = h.run(h.make(growth=[{"rate": 0.10}], intensity=[{"rate": -0.10}]))
    assert h.at(result, 2025) == pytest.approx(1000 * 0.99 ** 2, rel=REL)


def test_most_specific_driver_wins(h):
    # A park-wide +5 % and a sector-specific 0 %: the sector's own entry applies to it.
    rows = [{"sector": "a", "carrier": "gas", "co2e": 100.0, "tce": 50.0},
            {"sector": "b", "carrier": "gas", "co2e": 100.0, "tce": 50.0}]
    result = h.run(h.make(rows, growth=[{"rate": 0.05}, {"sector": "a", "rate": 0.0}]))
    by_sector = result.by("sector").loc[2024]
    assert by_sector["a"] == pytest.approx(100.0, rel=REL)
    assert by_sector["b"] == pytest.approx(105.0, rel=REL)


def test_single_linear_measure(h):
    # Efficiency -20 % ramped linearly 2025-2028: ramp 0.25, 0.5, 0.75, 1 ->
    # 1000 x (1 - 0.2 r) = 950, 900, 850, 800 t; 800 t after. The wedge is the difference.
    result = h.run(h.make(measures=[{"type": "efficiency", "cut": 0.2, "start": 2025,
                                     "full": 2028}]))
    expected = {2024: 1000.0, 2025: 950.0, 2026: 900.0, 2027: 850.0, 2028: 800.0, 2035: 800.0}
    for year, value in expected.items():
        assert h.at(result, year) == pytest.approx(value, rel=REL)
        assert h.at(result, year, result.ordered[0]) == pytest.approx(1000 - value, abs=1e-9)
        assert h.at(result, year, result.shapley[0]) == pytest.approx(1000 - value, abs=1e-9)


def test_grid_path_need_not_fall_every_year(h):
    # 10 000 MWh at 0.5 t CO2/MWh in 2023. Path 0.5 (2023), 0.45 (2025), 0.47 (2026, a dry
    # year), 0.39 (2030), linear between, flat after:
    # 2024 = 0.475 -> 4750 t; 2026 = 4700 t (up); 2028 = 0.47 - 2 x 0.02 = 0.43 -> 4300 t;
    # 2031 = 0.39 -> 3900 t.
    path = {2023: 0.5, 2025: 0.45, 2026: 0.47, 2030: 0.39}
    result = h.run(h.make(GRID, factors=[{"carrier": "electricity", "unit": "t CO2/MWh",
                                          "values": path}]))
    for year, value in {2023: 5000.0, 2024: 4750.0, 2025: 4500.0, 2026: 4700.0,
                        2028: 4300.0, 2030: 3900.0, 2031: 3900.0}.items():
        assert h.at(result, year) == pytest.approx(value, rel=REL)
    # the same path in kg CO2/kWh gives the same numbers
    same = h.run(h.make(GRID, factors=[{"carrier": "electricity", "unit": "kg CO2/kWh",
                                        "values": path}]))
    np.testing.assert_allclose(same.scenario, result.scenario, rtol=REL)


def test_factor_index_scales_the_base_factor(h):
    # index 1 -> 0.5 from 2023 to 2033: 2028 is 0.75 x 1000 t of gas.
    result = h.run(h.make(factors=[{"carrier": "gas", "index": {2023: 1.0, 2033: 0.5}}]))
    assert h.at(result, 2028) == pytest.approx(750.0, rel=REL)


def test_pv_on_a_grid_path(h):
    # 2000 MWh of PV from 2027 (step) on the path above: 2030 = (10 000 - 2000) x 0.39 = 3120 t;
    # the PV wedge in 2030 is 2000 x 0.39 = 780 t.
    path = {2023: 0.5, 2025: 0.45, 2026: 0.47, 2030: 0.39}
    result = h.run(h.make(GRID, factors=[{"carrier": "electricity", "unit": "t CO2/MWh",
                                          "values": path}],
                          measures=[{"type": "rooftop_pv", "mwh": 2000.0, "start": 2027,
                                     "ramp": "step"}]))
    assert h.at(result, 2030) == pytest.approx(3120.0, rel=REL)
    assert h.at(result, 2030, result.ordered[0]) == pytest.approx(780.0, rel=REL)
    assert h.at(result, 2026) == pytest.approx(4700.0, rel=REL)


def test_pv_beyond_demand_is_not_credited(h):
    # 15 000 MWh of PV on 10 000 MWh of demand: emissions stop at 0, a note says so.
    result = h.run(h.make(GRID, measures=[{"type": "rooftop_pv", "mwh": 15000.0,
                                           "start": 2025}]))
    assert h.at(result, 2025) == pytest.approx(0.0, abs=1e-9)
    assert any("could not be used" in n for n in result.notes)


def test_capacity_times_hours_is_generation(h):
    # 1 MW x 1000 h = 1000 MWh at 0.5 t/MWh = 500 t avoided.
    result = h.run(h.make(GRID, measures=[{"type": "rooftop_pv", "capacity_mw": 1.0,
                                           "hours": 1000.0, "start": 2024}]))
    assert h.at(result, 2024) == pytest.approx(4500.0, rel=REL)


def test_green_power_mwh_and_share(h):
    # 2000 MWh green of 10 000 MWh at 0.5 t/MWh: 4000 t. A 30 % share: 3500 t.
    mwh = h.run(h.make(GRID, measures=[{"type": "green_power", "mwh": 2000.0, "start": 2024}]))
    share = h.run(h.make(GRID, measures=[{"type": "green_power", "share": 0.3, "start": 2024}]))
    assert h.at(mwh, 2024) == pytest.approx(4000.0, rel=REL)
    assert h.at(share, 2024) == pytest.approx(3500.0, rel=REL)


def test_fuel_switch_moves_energy_between_carriers(h):
    # Half of 500 tce of gas (2 t CO2e/tce) moves to electricity (ratio 1) in 2025:
    # gas 500 t left; electricity gains 250 tce = 250 / 0.1229 MWh at 0.5 t/MWh.
    rows = [{"sector": "tenants", "carrier": "gas", "co2e": 1000.0, "tce": 500.0}, *GRID]
    result = h.run(h.make(rows, measures=[{"type": "fuel_switch", "from": "gas",
                                           "to": "electricity", "share": 0.5,
                                           "start": 2025}]))
    added = 250.0 / tce_per_mwh() * 0.5
    assert h.at(result, 2025) == pytest.approx(500.0 + 5000.0 + added, rel=REL)
    # energy is conserved with ratio 1: 500 tce + 10 000 MWh x 0.1229
    assert result.energy()[2] == pytest.approx(500.0 + 10000.0 * tce_per_mwh(), rel=REL)


def test_fuel_switch_into_a_new_carrier_uses_the_park_factor(h):
    # Sector b has no electricity: its switched gas gets the park's electricity factor
    # (5000 t / 1229 tce of sector a), ratio 0.5: 100 tce of gas -> 50 tce of electricity.
    rows = [{"sector": "a", "carrier": "electricity", "co2e": 5000.0, "tce": 1229.0},
            {"sector": "b", "carrier": "gas", "co2e": 200.0, "tce": 100.0}]
    result = h.run(h.make(rows, measures=[{"type": "electrification", "from": "gas",
                                           "share": 1.0, "ratio": 0.5, "start": 2024}]))
    assert result.by("sector").loc[2024, "b"] == pytest.approx(50.0 * 5000.0 / 1229.0, rel=REL)


def test_ccus_acts_on_direct_co2_only(h):
    # Process 1000 t (all CO2) and fugitive 100 t (no CO2): 90 % capture in 2026 -> 100 + 100.
    rows = [{"sector": "cement", "carrier": "process", "co2e": 1000.0},
            {"sector": "cement", "carrier": "fugitive", "co2e": 100.0}]
    result = h.run(h.make(rows, measures=[{"type": "ccus", "capture": 0.9, "start": 2026}]))
    assert h.at(result, 2026) == pytest.approx(200.0, rel=REL)
    assert result.captured_detail.sum(axis=1)[3] == pytest.approx(900.0, rel=REL)


def test_measures_on_the_same_emissions_do_not_double_count(h):
    # 1000 t of gas, efficiency -20 % and CCUS 50 % from 2024: the end result is the combined
    # effect 1000 x 0.8 x 0.5 = 400 t in either order. Ordered wedges: 200 then 400. Shapley:
    # v(e) = 200, v(c) = 500, v(e+c) = 600 -> phi_e = (200 + 100) / 2 = 150, phi_c = 450.
    efficiency = {"type": "efficiency", "cut": 0.2, "start": 2024}
    ccus = {"type": "ccus", "capture": 0.5, "start": 2024}
    forward = h.run(h.make(measures=[efficiency, ccus]))
    backward = h.run(h.make(measures=[ccus, efficiency]))
    assert h.at(forward, 2024) == pytest.approx(400.0, rel=REL)
    assert h.at(backward, 2024) == pytest.approx(400.0, rel=REL)
    assert [h.at(forward, 2024, w) for w in forward.ordered] == pytest.approx([200.0, 400.0])
    assert [h.at(forward, 2024, w) for w in forward.shapley] == pytest.approx([150.0, 450.0])
    assert [h.at(backward, 2024, w) for w in backward.shapley] == pytest.approx([450.0, 150.0])


def test_prefab_on_construction_only(h):
    # 100 000 m²/yr at 500 kg CO2e/m² = 50 000 t (Scope 3). Prefab share 0.2 -> 0.7 with a
    # 10 % saving: factor x (1 - 0.07) / (1 - 0.02) = 0.93 / 0.98; the gas is untouched.
    construction = {"floor_area": 100000.0, "embodied": 500.0}
    result = h.run(h.make(construction=construction, measures=[{
        "type": "prefab", "share": 0.7, "baseline_share": 0.2, "saving": 0.1, "start": 2025}]))
    by_sector = result.by("sector").loc[2025]
    assert by_sector["construction"] == pytest.approx(50000.0 * 0.93 / 0.98, rel=REL)
    assert by_sector["industry"] == pytest.approx(1000.0, rel=REL)
    # The Pingshan preset: share 0.5 x saving 0.45 = -22.5 % -> 38 750 t.
    pingshan = h.run(h.make(construction=construction, measures=[{
        "type": "prefab", "share": 0.5, "saving": "pingshan", "start": 2025}]))
    assert pingshan.by("sector").loc[2025, "construction"] == pytest.approx(38750.0, rel=REL)
    assert any("45%" in n and "pingshan" in n for n in pingshan.notes)


def test_construction_outside_the_counted_scopes(h):
    # With scopes = [1, 2], construction (Scope 3) is shown but not counted.
    result = h.run(h.make(scopes=[1, 2], construction={"floor_area": 1000.0, "embodied": 500}))
    assert h.at(result, 2024) == pytest.approx(1000.0, rel=REL)
    assert result.by("sector").columns.tolist() == ["industry"]


def test_ramps_table_and_s_curve(h):
    # A ramp table 2025: 0.5, 2027: 1.0 on a 20 % cut: 2025 = 900 t, 2026 = 850 t, 2027 = 800 t.
    result = h.run(h.make(measures=[{"type": "efficiency", "cut": 0.2,
                                     "ramp": {2025: 0.5, 2027: 1.0}}]))
    assert [h.at(result, y) for y in (2024, 2025, 2026, 2027)] == pytest.approx(
        [1000.0, 900.0, 850.0, 800.0], rel=REL)
    # S-curve 2025-2030: exactly half-way in 2027 (the logistic is centred on (2024+2030)/2).
    result = h.run(h.make(measures=[{"type": "efficiency", "cut": 0.2, "start": 2025,
                                     "full": 2030, "ramp": "s-curve"}]))
    assert h.at(result, 2027) == pytest.approx(900.0, rel=REL)
    assert h.at(result, 2030) == pytest.approx(800.0, rel=REL)


def test_disabled_measure_is_skipped(h):
    result = h.run(h.make(measures=[{"type": "efficiency", "cut": 0.2, "start": 2025,
                                     "enabled": False}]))
    assert result.measures == [] and np.array_equal(result.scenario, result.baseline)


def test_dual_control_intensities(h):
    # Value added 100 (10^4 CNY) growing 10 %/yr, emissions flat at 1000 t, energy 500 tce:
    # 2025 carbon intensity 1000 / 121 t per 10^4 CNY; a -15 % target vs 2023 is met
    # (1 - 1/1.21 = 17.4 %), -20 % is not.
    result = h.run(h.make(economy={"value_added": 100.0, "rate": 0.1}, targets={"intensity": [
        {"kind": "carbon", "year": 2025, "reduction": 0.15},
        {"kind": "energy", "year": 2025, "reduction": 0.20}]}))
    totals = result.totals().set_index("year")
    assert totals.loc[2025, "carbon_intensity"] == pytest.approx(1000.0 / 121.0, rel=REL)
    met = [t["met"] for t in result.targets["intensity"]]
    assert met == [True, False]
    assert result.targets["all_met"] is False


def test_caps_and_peak_target(h):
    # Falling 5 %/yr from 2023: peaks in the base year; 2030 = 1000 x 0.95^7 = 698.3 t.
    result = h.run(h.make(growth=[{"rate": -0.05}], targets={
        "peak_by": 2030, "caps": [{"year": 2030, "co2e": 700.0}, {"year": 2030, "tce": 300.0}]}))
    assert result.peak.year == 2023
    assert [c["met"] for c in result.targets["caps"]] == [True, False]
    assert result.targets["peak"]["met"] is True
    assert any("base year" in n for n in result.notes)


def test_json_object(h):
    result = h.run(h.make(growth=[{"rate": 0.05}]))
    data = result.to_dict()
    assert data["peak_year"] is None and data["peak_value"] is None
    assert data["baseline"]["co2e"] == data["scenario"]["co2e"]
    assert len(data["years"]) == len(data["scenario"]["co2e"]) == 13
    assert data["dual_control"]["value_added"] is None


def test_api_is_reexported():
    assert callable(cs.load) and callable(cs.run_bundled) and cs.json_schema()["title"]
