"""Growth indices, interpolation and ramps, with scalars, lists and arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.scenario.drivers import (
    growth_index,
    interpolate,
    linear_ramp,
    ramp,
    rate_path,
    s_curve_ramp,
    table_ramp,
)

YEARS = np.arange(2023, 2031)


@pytest.mark.parametrize("years", [list(YEARS), YEARS, pd.Series(YEARS)])
def test_growth_index_kinds_of_input(years):
    # (1 + 0.1)^t for t = 0..7
    np.testing.assert_allclose(growth_index(years, rate=0.1), 1.1 ** np.arange(8), rtol=1e-12)


def test_growth_by_periods():
    # 2024-2025 at +10 %, 2026 on at 0: 1, 1.1, 1.21, 1.21...
    index = growth_index(YEARS, rates={2024: 0.1, 2026: 0.0})
    np.testing.assert_allclose(index[:4], [1.0, 1.1, 1.21, 1.21])


def test_rate_path_before_the_first_period_uses_the_first_rate():
    assert rate_path([2023, 2030], rates={2025: 0.02}).tolist() == [0.02, 0.02]


def test_series_index_is_relative_to_the_base_year():
    np.testing.assert_allclose(growth_index(YEARS, series={2023: 50, 2033: 100})[[0, 5]],
                               [1.0, 1.5])


def test_interpolate_is_flat_outside():
    assert interpolate({2025: 1.0, 2027: 3.0}, [2020, 2026, 2040]).tolist() == [1.0, 2.0, 3.0]
    assert interpolate({2025: 4.0}, [2020, 2030]).tolist() == [4.0, 4.0]


def test_linear_ramp_reaches_one_in_the_full_year():
    assert linear_ramp(YEARS, 2024, 2027).tolist() == [0, 0.25, 0.5, 0.75, 1, 1, 1, 1]


def test_step_ramp():
    assert ramp(YEARS, "linear", 2026).tolist() == [0, 0, 0, 1, 1, 1, 1, 1]
    assert ramp(YEARS, "step", 2026, 2029).tolist() == [0, 0, 0, 1, 1, 1, 1, 1]


def test_s_curve_is_monotone_between_zero_and_one():
    values = s_curve_ramp(np.arange(2020, 2045), 2025, 2035)
    assert values[4] == 0.0 and values[15] == 1.0
    assert np.all(np.diff(values) >= 0)
    # symmetric around (2024 + 2035) / 2 = 2029.5
    np.testing.assert_allclose(values[9] + values[10], 1.0)


def test_table_ramp_is_zero_before_its_first_year():
    assert table_ramp(YEARS, {2025: 0.4, 2027: 0.8}).tolist()[:5] == pytest.approx(
        [0, 0, 0.4, 0.6, 0.8])


def test_unknown_ramp():
    with pytest.raises(ValueError, match="unknown ramp"):
        ramp(YEARS, "exponential", 2025, 2030)
