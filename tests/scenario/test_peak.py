"""Peak detection and the C40 "has robustly peaked" test (REFERENCES.md, Targets): at least 3
years of data, the peak more than 5 years before the latest point, the latest value more than
10 % below the peak. Edge cases sit exactly on each boundary."""

from __future__ import annotations

import numpy as np
import pytest

from carbon.scenario.peak import find_peak, robust_peak, robust_since

YEARS = list(range(2020, 2031))  # 11 years


def test_flat_series_has_not_peaked():
    peak = find_peak(YEARS, [5.0] * 11)
    assert (peak.year, peak.value, peak.peaked) == (None, None, False)
    assert peak.highest_year == 2020 and peak.highest_value == 5.0


def test_plateau_peaks_where_it_starts():
    values = [1, 2, 4, 4, 4, 3, 2, 2, 2, 2, 2]
    peak = find_peak(YEARS, values)
    assert (peak.year, peak.value, peak.peaked) == (2022, 4.0, True)


def test_plateau_within_rounding_noise():
    # 4 and 4 + 4e-12 are the same plateau (rtol 1e-9): the peak is its first year.
    values = [1, 4, 4 + 4e-12, 3]
    assert find_peak(YEARS[:4], values).year == 2021


def test_plateau_reaching_the_end_has_not_peaked():
    assert find_peak(YEARS[:5], [1, 2, 3, 3, 3]).year is None


def test_still_rising():
    peak = find_peak(YEARS, np.linspace(1, 2, 11))
    assert not peak.peaked and peak.highest_year == 2030


def test_noisy_series_peaks_at_its_highest_point():
    # A hump with seeded noise: the peak is the argmax, wherever the noise puts it.
    rng = np.random.default_rng(42)
    years = np.arange(2023, 2061)
    values = 100 - 0.2 * (years - 2032) ** 2 + rng.normal(0, 2, len(years))
    peak = find_peak(years, values)
    assert peak.year == int(years[np.argmax(values)])
    assert peak.value == pytest.approx(values.max())


def test_falling_from_the_start_peaks_in_the_first_year():
    assert find_peak(YEARS[:3], [3, 2, 1]).year == 2020


def test_nan_points_are_ignored():
    assert find_peak(YEARS[:4], [1, np.nan, 3, 2]).year == 2022
    assert find_peak([2020], [np.nan]).year is None


def test_single_point_has_not_peaked():
    assert not find_peak([2020], [1.0]).peaked


def test_robust_peak_passes():
    # peak 12 in 2021, latest 10.7 in 2030: gap 9 > 5, decline 1.3/12 = 10.8 % > 10 %.
    result = robust_peak(YEARS, [10, 12, 11, 11, 10, 10, 10, 10, 10, 10, 10.7])
    assert result.passed and result.years_since_peak == 9
    assert result.decline == pytest.approx(1.3 / 12)


def test_robust_peak_needs_more_than_five_years():
    # peak 2024, latest 2029: exactly 5 years, not more than 5.
    result = robust_peak(YEARS[:10], [1, 2, 3, 4, 10, 5, 5, 5, 5, 5])
    assert result.years_since_peak == 5 and not result.peak_old_enough and not result.passed
    assert robust_peak(YEARS[:11], [1, 2, 3, 4, 10, 5, 5, 5, 5, 5, 5]).passed


def test_robust_peak_needs_more_than_ten_percent():
    # latest exactly 10 % below the peak: 9 vs 10 is not more than 10 %.
    values = [10, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.0]
    result = robust_peak(YEARS[:8], values)
    assert result.decline == pytest.approx(0.1) and not result.declined_enough
    assert robust_peak(YEARS[:8], [*values[:-1], 8.99]).passed


def test_robust_peak_needs_three_years_of_data():
    # Two points far apart: the gap and decline pass, the data count does not.
    result = robust_peak([2010, 2020], [10.0, 5.0])
    assert result.peak_old_enough and result.declined_enough and not result.enough_data
    assert not result.passed


def test_robust_since_is_the_first_year_the_test_passes():
    # peak 2021 (12): from 2027 the gap is 6 > 5 and 10 < 10.8 is 16.7 % below.
    assert robust_since(YEARS, [10, 12, 11, 11, 10, 10, 10, 10, 10, 10, 10.7]) == 2027
    assert robust_since(YEARS, np.linspace(1, 2, 11)) is None


@pytest.mark.parametrize("kind", [list, np.array])
def test_accepts_lists_and_arrays(kind):
    assert find_peak(kind(YEARS[:3]), kind([1.0, 3.0, 2.0])).year == 2021


def test_scenario_peak_matches_the_series(h):
    # growth +10 %/yr to 2027, then -10 %/yr: peak 2027 at 1000 x 1.1^4 = 1464.1 t.
    result = h.run(h.make(growth=[{"rates": {2024: 0.1, 2028: -0.1}}]))
    data = result.to_dict()
    assert data["peak_year"] == 2027
    assert data["peak_value"] == pytest.approx(1464.1)
    assert data["robust_peak"]["passed"]          # 2035: 8 years later, 1464.1 x 0.9^8
    assert data["robust_peak"]["since"] == 2033   # gap 6 > 5; 0.9^6 = 0.53 below
