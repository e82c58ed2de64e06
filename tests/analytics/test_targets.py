"""Targets files: reading, error paths, and met / missed with pro-rating, by hand.

The checks run on a hand-made table of indicator values, so each expected number is simple
arithmetic (rel 1e-12).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import carbon.analytics as ca
from carbon.errors import InputError

VALUES = pd.DataFrame(
    {"tce_per_value_added": [0.050, 0.048, 0.046],
     "co2e_per_value_added": [0.20, 0.19, 0.17],
     "energy_tce": [100_000.0, 104_000.0, 108_000.0],
     "co2e": [300_000.0, 310_000.0, 305_000.0],
     "non_fossil_share_equal_value": [0.08, 0.10, 0.12]},
    index=pd.Index([2021, 2022, 2023], name="year"))


def check(toml: str, tmp_path, values=VALUES) -> pd.DataFrame:
    path = tmp_path / "targets.toml"
    path.write_text(toml, encoding="utf-8")
    return ca.check_targets(ca.read_targets(path), values)


def test_fourteenth_plan_compound_pro_rating(tmp_path):
    """-13.5 % over 2020-2025; data 2021-2023, no 2020 value: assessed 2021 -> 2023, two of
    five years: (1 - 0.135)^(2/5) - 1 = -5.6360 %. Intensity 0.050 -> 0.046 is -8 %: met."""
    result = check("""
[[target]]
indicator = "energy_intensity"
change = -0.135
from = 2020
to = 2025
""", tmp_path).iloc[0]
    prorated = 0.865 ** (2 / 5) - 1
    assert result["target_value"] == pytest.approx(prorated, rel=1e-12)
    assert result["target_value"] == pytest.approx(-0.056360, abs=1e-6)
    assert (result["assessed_from"], result["assessed_to"]) == (2021, 2023)
    assert result["limit"] == pytest.approx(0.050 * (1 + prorated), rel=1e-12)
    assert result["actual_change"] == pytest.approx(0.046 / 0.050 - 1, rel=1e-12)
    assert result["margin"] == pytest.approx(0.050 * (1 + prorated) - 0.046, rel=1e-12)
    assert result["met"] is True
    assert result["status"] == "met (pro-rated)"
    assert "average annual rate" in result["basis"] and "2 of the target's 5 years" in (
        result["basis"])


def test_linear_pro_rating_and_a_miss(tmp_path):
    """-18 % linear over 5 years, 2 assessed: -7.2 %; 0.20 -> 0.19 is -5 %: missed by 2.2 %
    of 0.20 = 0.0044."""
    result = check("""
prorate = "linear"
[[target]]
indicator = "co2e_per_value_added"
change = -0.18
from = 2020
to = 2025
""", tmp_path)
    # the assessment ends in 2023 (0.17); use 2022 data only to get the 0.19 end point
    two_years = check("""
prorate = "linear"
[[target]]
indicator = "co2e_per_value_added"
change = -0.18
from = 2021
to = 2026
""", tmp_path, VALUES.loc[[2021, 2022]]).iloc[0]
    assert two_years["target_value"] == pytest.approx(-0.18 / 5, rel=1e-12)
    assert result.iloc[0]["target_value"] == pytest.approx(-0.18 * 2 / 5, rel=1e-12)
    assert result.iloc[0]["met"] is True  # 0.17 is -15 %, better than -7.2 %
    assert two_years["actual_change"] == pytest.approx(-0.05, rel=1e-12)
    assert two_years["met"] is True  # -5 % beats -3.6 %
    missed = check("""
[[target]]
indicator = "co2e_per_value_added"
change = -0.18
from = 2021
to = 2022
""", tmp_path).iloc[0]
    assert missed["status"] == "missed"
    assert missed["margin"] == pytest.approx(0.20 * 0.82 - 0.19, rel=1e-12)
    assert missed["margin"] < 0


def test_reference_value_for_a_start_year_without_data(tmp_path):
    """Reference 0.052 in 2020; target -13.5 % by 2025; data end 2023: three of five years."""
    result = check("""
[[target]]
indicator = "tce_per_value_added"
change = -0.135
from = 2020
to = 2025
reference = 0.052
""", tmp_path).iloc[0]
    prorated = 0.865 ** (3 / 5) - 1
    assert result["assessed_from"] == 2020
    assert result["start_value"] == 0.052
    assert result["limit"] == pytest.approx(0.052 * (1 + prorated), rel=1e-12)
    assert result["met"] is True


def test_caps_floors_and_unit_conversion(tmp_path):
    """10.5 万tce = 105 000 tce, every year 2021-2025; 30.6 万t CO2e in 2025 (after the data:
    compared with 2023, not due); 12 % non-fossil floor in 2023."""
    result = check("""
[[target]]
name = "energy cap"
indicator = "energy"
cap = 10.5
unit = "万tce"
from = 2021
to = 2025

[[target]]
name = "carbon cap 2025"
indicator = "co2e"
cap = 30.6
unit = "万t CO2e"
year = 2025

[[target]]
name = "non-fossil floor"
indicator = "non_fossil"
floor = 12
unit = "%"
year = 2023

[[target]]
name = "intensity cap"
indicator = "tce_per_value_added"
cap = 470
unit = "tce / 10^8 CNY"
year = 2022
""", tmp_path)
    energy = result[result["target"] == "energy cap"]
    assert list(energy["assessed_to"]) == [2021, 2022, 2023]
    assert list(energy["met"]) == [True, True, False]
    assert energy["margin"].iloc[2] == pytest.approx(105_000 - 108_000)
    carbon_cap = result[result["target"] == "carbon cap 2025"].iloc[0]
    assert carbon_cap["met"] is None and carbon_cap["status"] == "on track"
    assert carbon_cap["margin"] == pytest.approx(306_000 - 305_000)
    floor = result[result["target"] == "non-fossil floor"].iloc[0]
    assert floor["limit"] == pytest.approx(0.12) and floor["met"] is True
    intensity = result[result["target"] == "intensity cap"].iloc[0]
    assert intensity["limit"] == pytest.approx(0.047, rel=1e-12)  # 470 / 10^4
    assert intensity["met"] is False  # 0.048 > 0.047


def test_not_computable_value_is_not_met(tmp_path):
    values = VALUES.assign(co2e_per_value_added=[0.2, 0.19, math.nan])
    result = check("""
[[target]]
indicator = "carbon_intensity"
change = -0.1
from = 2021
to = 2023
""", tmp_path, values).iloc[0]
    assert result["met"] is None and result["status"] == "not computable"


def test_bundled_example_files_read(targets_dir):
    plan = ca.read_targets(targets_dir / "14th-five-year-plan.toml")
    assert [(t.indicator, t.value, t.start, t.end) for t in plan.targets] == [
        ("tce_per_value_added", -0.135, 2020, 2025), ("co2e_per_value_added", -0.18, 2020, 2025)]
    caps = ca.read_targets(targets_dir / "park-caps.toml")
    assert caps.targets[0].value == pytest.approx(105_000)


def test_sample_park_against_the_plan(sample_report):
    targets = sample_report.targets
    assert set(targets["status"]) <= {"met (pro-rated)", "missed (pro-rated)"}
    assert targets["met"].isin([True, False]).all()


@pytest.mark.parametrize(("text", "column", "row", "reason"), [
    ('[[target]]\nindicator = "intensity"\nchange = -0.1\nfrom = 2020\nto = 2025\n',
     "target[1].indicator", 2, "unknown indicator"),
    ('[[target]]\nindicator = "co2e"\ncap = 1\nchange = -0.1\nfrom = 2020\nto = 2025\n',
     "target[1].change", 4, "exactly one"),
    ('[[target]]\nindicator = "co2e"\nchange = -0.1\nfrom = 2020\n', "target[1].to", None,
     "needs from and to"),
    ('[[target]]\nindicator = "co2e"\nchange = -0.1\nfrom = 2025\nto = 2020\n',
     "target[1].to", 5, "after from"),
    ('[[target]]\nindicator = "co2e"\ncap = "lots"\nyear = 2025\n', "target[1].cap", 3,
     "not a number"),
    ('[[target]]\nindicator = "co2e"\ncap = 5\nunit = "tce"\nyear = 2025\n',
     "target[1].unit", 4, "not a unit of co2e"),
    ('[[target]]\nindicator = "co2e"\ncap = 5\nyear = 2025\ncolour = "red"\n',
     "target[1].colour", 5, "unknown key"),
    ('name = "x"\n[[target]]\nindicator = "co2e"\ncap = 5\nyear = 2025\n'
     '[[target]]\nindicator = "co2e"\nfloor = -1\nyear = 2025\n', "target[2].floor", 8,
     "negative"),
    ('prorate = "quadratic"\n[[target]]\nindicator = "co2e"\ncap = 5\nyear = 2025\n',
     "prorate", 1, "unknown pro-rating"),
    ('name = "no targets"\n', "target", None, "no [[target]]"),
])
def test_bad_targets_file_names_file_line_key_and_value(tmp_path, text, column, row, reason):
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        ca.read_targets(path)
    problem = caught.value.problems[0]
    assert problem.file == "plan.toml"
    assert problem.column == column
    assert problem.row == row
    assert reason in problem.reason
    assert problem.accepted or reason == "needs from and to"


def test_toml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text('[[target]]\nindicator = "co2e\n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML") as caught:
        ca.read_targets(path)
    assert caught.value.problems[0].row == 2


def test_missing_targets_file(tmp_path):
    with pytest.raises(InputError, match="no such targets file"):
        ca.read_targets(tmp_path / "nowhere.toml")
