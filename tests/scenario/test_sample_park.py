"""The bundled scenarios on the sample park, end to end: base year from the inventory, the
wheel's folder layout, the JSON result and the charts."""

from __future__ import annotations

import json
import shutil
import warnings

import matplotlib
import numpy as np
import pytest

import carbon
import carbon.scenario as cs
from carbon.resources import data_dir
from carbon.scenario import base as base_module
from carbon.scenario.plot import plot_comparison, save_charts

PARK = data_dir("examples") / "sample_park"


def test_three_bundled_scenarios(bundled):
    assert list(bundled) == ["baseline", "prefab", "full-pathway"]
    for result in bundled.values():
        data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
        assert "peak_year" in data and "peak_value" in data
        assert data["base_year"] == 2023 and data["end"] == 2060


def test_base_year_is_the_inventory_total(bundled):
    # The park total of 2023 from the accounting core: Scope 1 + 2 of 2023 minus the netted
    # intra-park sales (CHP-01 to its neighbours). The base year of the scenario, without
    # construction (Scope 3, not in the inventory), must be the same number.
    with pytest.warns(carbon.FactorFallbackWarning):
        inventory = carbon.account(PARK / "activities.csv", facilities=PARK / "facilities.csv",
                                   transfers=PARK / "transfers.csv")
    facts = inventory.facts
    gross = facts.loc[(facts["year"] == 2023) & facts["scope"].isin((1, 2)), "co2e"].sum()
    netted = inventory.transfers.loc[inventory.transfers["year"] == 2023, "co2e_location"].sum()
    result = bundled["baseline"]
    scope12 = result.by("scope").loc[2023, [1, 2]].sum()
    assert scope12 == pytest.approx(gross - netted, rel=1e-12)
    assert result.meta["base"]["inventory_total"] == pytest.approx(gross - netted, rel=1e-12)
    energy = result.energy()[0]
    assert energy == pytest.approx(
        inventory.energy.loc[inventory.energy["year"] == 2023, "tce"].sum()
        - inventory.transfers.loc[inventory.transfers["year"] == 2023, "tce"].sum(), rel=1e-12)


def test_fallback_warning_is_recorded_not_raised():
    base_module._account.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = cs.load(cs.bundled_files(["baseline"])[0]).run()
    assert any(f["region"] == "CN-GD" and f["used_year"] == 2022 for f in result.fallbacks)
    assert any("2023 -> 2022" in n for n in result.notes)


def test_pathway_peaks_before_the_target_and_the_baseline_does_not(bundled):
    baseline, pathway = bundled["baseline"], bundled["full-pathway"]
    assert pathway.peak_year is not None and pathway.peak_year <= 2030
    assert pathway.targets["peak"]["met"] is True
    assert baseline.targets["peak"]["met"] is False
    assert pathway.robust.passed
    # the scenarios share one baseline (extends), so they compare like with like
    np.testing.assert_allclose(baseline.baseline, pathway.baseline, rtol=1e-12)


def test_wedges_add_up_on_the_sample_park(bundled):
    pathway = bundled["full-pathway"]
    total = pathway.baseline - pathway.scenario
    np.testing.assert_allclose(pathway.ordered.sum(axis=0), total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(pathway.shapley.sum(axis=0), total, rtol=1e-9, atol=1e-6)
    assert pathway.shapley_method == "exact (128 subsets)"


def test_measures_act_where_they_say(bundled):
    detail = bundled["full-pathway"].tables()["wedges_by_sector"]
    prefab = detail[detail["measure"] == "prefabricated construction"]
    assert set(prefab["sector"]) == {"construction"} and set(prefab["scope"]) == {3}
    ccus = detail[detail["measure"] == "CCUS on the clinker line"]
    assert set(ccus["facility"]) == {"BM-01"}
    assert set(ccus["carrier"]) <= {"process", "solid", "gas"}
    assert ccus["year"].min() == 2035
    pv = detail[detail["measure"] == "rooftop PV"]
    assert set(pv["carrier"]) == {"electricity"}


def test_prefab_case_only_changes_construction(bundled):
    baseline, prefab = bundled["baseline"], bundled["prefab"]
    by_base, by_prefab = baseline.by("sector"), prefab.by("sector")
    others = [c for c in by_base.columns if c != "construction"]
    np.testing.assert_allclose(by_prefab[others], by_base[others], rtol=1e-12)
    assert (by_prefab["construction"] <= by_base["construction"] + 1e-9).all()


def test_tables_are_tidy(bundled):
    tables = bundled["full-pathway"].tables()
    assert set(tables) == {"totals", "emissions", "wedges", "wedges_by_sector", "targets",
                           "measures"}
    emissions = tables["emissions"]
    assert list(emissions.columns) == ["case", "year", "sector", "facility", "carrier", "scope",
                                       "co2e", "tce", "captured_co2"]
    counted = emissions[(emissions["case"] == "scenario") & emissions["scope"].isin([1, 2, 3])]
    np.testing.assert_allclose(counted.groupby("year")["co2e"].sum().to_numpy(),
                               tables["totals"]["scenario_co2e"].to_numpy(), rtol=1e-9)


def test_bundled_files_work_in_the_wheel_layout(tmp_path, monkeypatch, bundled):
    # The wheel holds carbon/_data/scenarios/*.toml and carbon/_data/examples/sample_park/:
    # the same relative layout as the checkout, so "../examples/sample_park/..." resolves.
    data = tmp_path / "_data"
    shutil.copytree(data_dir("scenarios"), data / "scenarios")
    shutil.copytree(PARK, data / "examples" / "sample_park")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cs.load(data / "scenarios" / "full-pathway.toml").run()
    np.testing.assert_allclose(result.scenario, bundled["full-pathway"].scenario, rtol=1e-12)


def test_charts_are_written_without_touching_rcparams(tmp_path, bundled):
    before = dict(matplotlib.rcParams)
    backend = matplotlib.get_backend()
    written = save_charts(bundled["full-pathway"], tmp_path)
    figure = plot_comparison(list(bundled.values()))
    assert [p.name for p in written] == ["trajectory.png", "wedges.png", "sectors.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figure.axes[0].lines) >= 3
    assert dict(matplotlib.rcParams) == before and matplotlib.get_backend() == backend
