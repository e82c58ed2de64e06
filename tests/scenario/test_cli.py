"""``parkcarbon scenario``: formats, several files, --output, --schema."""

from __future__ import annotations

import io

import pandas as pd
import pytest

import carbon.scenario as cs

FILES = [str(p) for p in cs.bundled_files()]


def test_schema_is_one_json_object(cli, h):
    code, out, _ = cli("--schema")
    schema = h.parse_json(out)
    assert code == 0 and schema["title"] == "parkcarbon scenario file"
    assert {"base", "measures", "targets", "growth", "factors"} <= set(schema["properties"])
    assert "rooftop_pv" in out and "kg CO2e/m" in out


def test_one_file_json(cli, h):
    code, out, _ = cli(FILES[2], "--format", "json")
    body = h.parse_json(out)
    assert code == 0 and body["name"] == "full-pathway"
    assert isinstance(body["peak_year"], int) and body["peak_value"] > 0
    assert set(body["wedges"]) == set(body["shapley"])
    assert len(body["baseline"]["co2e"]) == len(body["scenario"]["co2e"]) == len(body["years"])


def test_several_files_json(cli, h):
    code, out, _ = cli(*FILES, "--format", "json")
    body = h.parse_json(out)
    assert code == 0 and [s["name"] for s in body["scenarios"]] == ["baseline", "prefab",
                                                                     "full-pathway"]


def test_same_file_twice_gets_distinct_names(cli, h):
    _, out, _ = cli(FILES[0], FILES[0], "--format", "json")
    assert [s["name"] for s in h.parse_json(out)["scenarios"]] == ["baseline", "baseline-2"]


def test_csv_is_the_totals_table(cli):
    code, out, _ = cli(FILES[0], FILES[1], "--format", "csv")
    table = pd.read_csv(io.StringIO(out))
    assert code == 0 and set(table["scenario"]) == {"baseline", "prefab"}
    assert {"year", "baseline_co2e", "scenario_co2e", "scenario_tce"} <= set(table.columns)


def test_table_and_output_folder(cli, tmp_path):
    code, out, err = cli("--bundled", "--output", tmp_path / "out")
    assert code == 0
    assert "Peak:" in out and "Comparison" in out and "Shapley" in out
    assert "wrote" in err
    for name in ("baseline", "prefab", "full-pathway"):
        folder = tmp_path / "out" / name
        assert {p.name for p in folder.iterdir()} >= {
            "summary.json", "totals.csv", "emissions.csv", "wedges.csv", "targets.csv",
            "trajectory.png", "wedges.png", "sectors.png"}
    assert (tmp_path / "out" / "comparison.png").stat().st_size > 0


def test_no_file_is_a_command_line_error(cli):
    code, out, err = cli()
    assert code == 2 and out == "" and "give a scenario FILE" in err


def test_bundled_files_follow_the_printed_schema(cli, h):
    jsonschema = pytest.importorskip("jsonschema")
    from carbon.scenario.reading import read_raw

    _, out, _ = cli("--schema")
    validator = jsonschema.Draft202012Validator(h.parse_json(out))
    for path in FILES:
        assert list(validator.iter_errors(read_raw(path))) == [], path


def test_demo_hook(tmp_path):
    from carbon.cli.scenario import run_demo

    text = run_demo(tmp_path / "scenarios", charts=False)
    assert "full-pathway" in text and (tmp_path / "scenarios" / "summary.json").is_file()
