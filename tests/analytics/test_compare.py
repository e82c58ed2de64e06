"""Profile comparison, by hand, and a Hong Kong profile added as data only.

1000 t of bituminous coal in 2022 (REFERENCES.md):
- cn: 19.570 GJ/t x 26.1 t C/TJ x 0.93 x 44/12 = 1741.74957 t CO2 (China guideline);
- ipcc2006: 25.8 TJ x 94.6 t CO2/TJ = 2440.68 t CO2, CH4 258 kg x 28 = 7.224 t CO2e,
  N2O 38.7 kg x 265 = 10.2555 t CO2e (AR5): 2458.1595 t CO2e.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import carbon
import carbon.accounting
import carbon.analytics as ca
from carbon.errors import ParameterError
from carbon.factors import Library
from carbon.resources import data_dir

CN = 19.570 * 26.1e-3 * 0.93 * 44 / 12 * 1000
IPCC = 25.8 * 94.6 + 0.258 * 28 + 0.0387 * 265
ROWS = pd.DataFrame({"facility": ["A", "B"], "year": [2022, 2022],
                     "activity": ["bituminous_coal", "electricity"], "quantity": [1000, 1000],
                     "unit": ["t", "MWh"]})


@pytest.fixture(scope="module")
def comparison():
    return ca.compare_profiles(ROWS)


def test_park_difference_by_hand(comparison):
    park = comparison.park.set_index(["year", "indicator"])
    assert comparison.labels == ("cn", "ipcc2006")
    assert park.at[(2022, "scope1"), "cn"] == pytest.approx(CN, rel=1e-9)
    assert park.at[(2022, "scope1"), "ipcc2006"] == pytest.approx(IPCC, rel=1e-9)
    assert park.at[(2022, "total"), "difference"] == pytest.approx(IPCC - CN, rel=1e-9)
    assert park.at[(2022, "scope2_location"), "difference"] == 0.0


def test_per_activity_facility_and_gas(comparison):
    activity = comparison.by_activity.set_index("activity")
    assert activity.at["bituminous_coal", "relative"] == pytest.approx(IPCC / CN - 1, rel=1e-9)
    assert activity.at["electricity", "difference"] == 0.0
    facility = comparison.by_facility.set_index("facility")
    assert facility.at["A", "difference"] == pytest.approx(IPCC - CN, rel=1e-9)
    assert comparison.by_facility["facility"].iloc[0] == "A"  # largest difference first
    gas = comparison.by_gas.set_index("gas")
    assert gas.at["CH4", "cn"] == 0.0  # not counted by cn: 0 t, not missing
    assert gas.at["CH4", "ipcc2006"] == pytest.approx(7.224, rel=1e-9)
    factors = comparison.factors.set_index(["activity", "parameter"])
    assert not factors.at[("bituminous_coal", "CO2"), "same"]
    assert factors.at[("electricity", "CO2"), "same"]


def test_same_profile_other_gwp_gets_distinct_labels():
    first = carbon.account(ROWS, profile="ipcc2006", gwp="AR5")
    second = carbon.account(ROWS, profile="ipcc2006", gwp="AR6")
    comparison = ca.compare_inventories(first, second)
    assert comparison.labels == ("ipcc2006_AR5", "ipcc2006_AR6")
    gas = comparison.by_gas.set_index("gas")
    assert gas.at["N2O", "ipcc2006_AR6"] == pytest.approx(0.0387 * 273, rel=1e-9)


@pytest.mark.parametrize("profiles", [("cn",), "cn", ("cn", "ipcc2006", "cn")])
def test_bad_profiles_argument(profiles):
    with pytest.raises(ParameterError, match="profiles"):
        ca.compare_profiles(ROWS, profiles)


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(ParameterError, match="ipcc2006"):
        ca.compare_profiles(ROWS, ("cn", "hk-2024"))


def test_compare_needs_inventories():
    with pytest.raises(ParameterError, match="first"):
        ca.compare_inventories("cn", carbon.account(ROWS))


HK_PROFILE = """
[hk]
description = "Hong Kong: utility factors from the user, IPCC 2006 fuels (test profile)"
sets = ["hk-epd-electricity", "ipcc2006-v2-ch1-fuels", "ipcc2006-v2-ch2-manufacturing",
        "cn-gbt32150-2015-fuels", "cn-gbt2589-2020-standard-coal", "cn-heat-ndrc-2015",
        "ipcc2006-v3-process", "fugitive-gases", "cn-gbt51366-2019-materials"]
market_sets = []

[hk.gases]
stationary_combustion = ["CO2", "CH4", "N2O"]
purchased_electricity = ["CO2e"]
purchased_heat = ["CO2"]
process = ["CO2"]
fugitive = ["*"]
embodied_materials = ["CO2e"]
freight = ["CO2e"]
"""


def test_a_hong_kong_profile_is_data_only(tmp_path, monkeypatch):
    """A profile appended to a copy of factors/profiles.toml, and a utility factor the user
    supplies (0.71 kg CO2e/kWh, made up for the test): no code changes. 1000 MWh at 0.71 is
    710 t CO2e against 536.6 t at the 2022 national grid factor."""
    folder = tmp_path / "factors"
    shutil.copytree(data_dir("factors"), folder)
    with (folder / "profiles.toml").open("a", encoding="utf-8") as handle:
        handle.write(HK_PROFILE)
    library = Library(folder)
    monkeypatch.setattr(carbon.accounting, "library", lambda: library)
    utility = pd.DataFrame({"activity": ["electricity"], "parameter": ["CO2e"],
                            "value": [0.71], "unit": ["kg CO2e / kWh"],
                            "source": ["utility sustainability report (user)"]})
    electricity = ROWS[ROWS["activity"] == "electricity"]
    mainland = carbon.account(electricity, profile="cn")
    hong_kong = carbon.account(electricity, profile="hk", factors=utility)
    comparison = ca.compare_inventories(mainland, hong_kong)
    park = comparison.park.set_index(["year", "indicator"])
    assert park.at[(2022, "total"), "hk"] == pytest.approx(710, rel=1e-9)
    assert park.at[(2022, "total"), "difference"] == pytest.approx(710 - 536.6, rel=1e-9)
