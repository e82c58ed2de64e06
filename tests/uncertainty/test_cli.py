"""``parkcarbon uncertainty``: formats, --output, Monte Carlo options and user errors."""

from __future__ import annotations

import io

import pandas as pd


def _park_args(sample_park_dir):
    return [sample_park_dir / "activities.csv", "--facilities", sample_park_dir / "facilities.csv",
            "--transfers", sample_park_dir / "transfers.csv"]


def test_table_is_the_default(cli, sample_park_dir):
    code, out, err = cli(*_park_args(sample_park_dir))
    assert code == 0
    assert "Park total (Scope 1 + 2, transfers netted)" in out and "Approach 1" in out
    assert "CN-GD): 2023 -> 2022" in err  # the accounting's fallback warning, on stderr


def test_json_is_one_object(cli, sample_park_dir, h):
    code, out, _ = cli(*_park_args(sample_park_dir), "--format", "json", "--quiet")
    body = h.parse_json(out)
    assert code == 0 and body["method"] == "propagation" and body["year"] == 2023
    assert body["unit"] == "t CO2e" and body["interval"] == 95
    assert set(body["park"]) == {"total", "scope1", "scope2_location"}
    assert 5 < body["park"]["total"]["u_percent"] < 9
    assert len(body["by_facility"]) == 44
    assert body["inputs"]["factors"] and body["contributions"][0]["kind"] == "factor"


def test_monte_carlo_json_and_output_folder(cli, sample_park_dir, h, tmp_path):
    code, out, err = cli(*_park_args(sample_park_dir), "--method", "monte-carlo", "--draws", "2000",
                         "--seed", "5", "--year", "2022", "--format", "json", "--output",
                         tmp_path / "out")
    body = h.parse_json(out)
    assert code == 0 and body["draws"] == 2000 and body["seed"] == 5 and body["year"] == 2022
    assert body["park"]["total"]["minus_percent"] > 0
    assert "wrote" in err
    written = {p.name for p in (tmp_path / "out").iterdir()}
    assert written == {"summary.json", "uncertainty.csv", "contributions.csv", "factors.csv",
                       "activity.csv", "park_draws.csv", "contributions.png", "park_total.png"}
    draws = pd.read_csv(tmp_path / "out" / "park_draws.csv", encoding="utf-8-sig")
    assert len(draws) == 2000 and {"total", "scope1", "scope2_location"} <= set(draws.columns)


def test_csv_is_the_long_table(cli, sample_park_dir):
    code, out, _ = cli(*_park_args(sample_park_dir), "--format", "csv", "-q")
    table = pd.read_csv(io.StringIO(out.lstrip("\ufeff")))
    assert code == 0
    assert list(table.columns) == ["level", "facility", "quantity", "estimate", "mean",
                                   "lower", "upper", "u_percent"]
    assert (table["level"] == "park").sum() == 3


def test_user_factor_uncertainty_column(cli, write_csv, h):
    activities = write_csv([h.row("A", "electricity", 100, "MWh", uncertainty=5)])
    factors = write_csv([{"activity": "electricity", "parameter": "CO2", "value": 1,
                          "unit": "t CO2 / MWh", "uncertainty": 7}], name="factors.csv")
    code, out, _ = cli(activities, "--factors", factors, "--format", "json")
    total = h.parse_json(out)["park"]["total"]
    assert code == 0 and round(total["u_percent"], 2) == 8.60  # REFERENCES.md: 5 % x 7 %


def test_user_errors_are_one_message(cli, sample_park_dir, h):
    code, out, err = cli(*_park_args(sample_park_dir), "--year", "1999", "-q")
    assert code == 1 and out == ""
    assert err.startswith("parkcarbon: error: The 'year' parameter") and "Traceback" not in err
    code, out, err = cli(*_park_args(sample_park_dir), "--method", "monte-carlo", "--draws", "1",
                         "--format", "json", "-q")
    assert code == 1 and h.parse_json(out)["error"]["type"] == "ParameterError"
    code, _, err = cli(sample_park_dir / "missing.csv")
    assert code == 1 and "no such file" in err
