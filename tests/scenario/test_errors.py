"""Malformed scenario files: every error names the file and the key, and says what is accepted;
the command line turns it into one message and exit code 1."""

from __future__ import annotations

import textwrap

import pytest

import carbon.scenario as cs
from carbon.errors import CarbonError, InputError

BASE = """
[base]
year = 2023
[[base.sectors]]
sector = "industry"
carrier = "gas"
co2e = 1000.0
tce = 500.0
[[base.sectors]]
sector = "industry"
carrier = "electricity"
co2e = 500.0
mwh = 1000.0
"""


@pytest.fixture
def write(tmp_path):
    def write(text: str, name: str = "s.toml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def problem_of(path, *, file=None):
    """The first problem of loading ``path``; every problem names ``file`` (default: path)."""
    with pytest.raises(InputError) as caught:
        cs.load(path)
    problems = caught.value.problems
    assert all(p.file == str(file or path) for p in problems)
    return problems[0]


def test_toml_syntax_error(write):
    p = problem_of(write(BASE + "\nend = \n"))
    assert p.kind == "syntax" and "not valid TOML" in p.reason and "line" in p.reason


def test_unknown_key_suggests_the_closest(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "ccus"\nstart = 2025\ncaptur = 0.9\n'))
    assert p.column in ("measures[1].capture", "measures[1].captur")
    with pytest.raises(InputError) as caught:
        cs.load(write(BASE + '[[measures]]\ntype = "ccus"\nstart = 2025\ncaptur = 0.9\n'))
    unknown = next(q for q in caught.value.problems if q.column == "measures[1].captur")
    assert "did you mean 'capture'" in unknown.reason and "capture" in unknown.accepted


def test_out_of_range_fraction_names_the_key_and_the_range(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "ccus"\nstart = 2025\ncapture = 1.5\n'))
    assert p.column == "measures[1].capture" and p.value == 1.5
    assert "less than or equal to 1" in p.reason and "0.9 = 90 %" in p.accepted


def test_unknown_measure_type_lists_the_types(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "carbon_tax"\nstart = 2025\n'))
    assert p.column == "measures[1]" and "carbon_tax" in p.reason
    assert "'rooftop_pv'" in p.accepted and "'ccus'" in p.accepted


def test_unknown_carrier_lists_the_carriers(write):
    p = problem_of(write(BASE.replace('carrier = "gas"', 'carrier = "gaz"')))
    assert p.column == "base.sectors[1].carrier" and p.value == "gaz"
    assert "electricity" in p.accepted


def test_chinese_carrier_alias_is_accepted(write):
    scenario = cs.load(write(BASE.replace('carrier = "electricity"', 'carrier = "电力"')))
    assert "electricity" in set(scenario.engine.columns["carrier"])


def test_rate_given_in_percent(write):
    p = problem_of(write(BASE + "[[growth]]\nrate = 5\n"))
    assert p.column == "growth[1].rate" and "0.05 = +5 %/yr" in p.accepted


def test_two_forms_of_one_driver(write):
    p = problem_of(write(BASE + "[[growth]]\nrate = 0.05\nseries = { 2023 = 1, 2030 = 2 }\n"))
    assert p.column == "growth[1]" and "exactly one of rate, rates, series" in p.reason


def test_series_without_the_base_year(write):
    p = problem_of(write(BASE + "[[growth]]\nseries = { 2025 = 1.0, 2030 = 1.2 }\n"))
    assert p.column == "growth[1].series" and "base year 2023" in p.reason


def test_unknown_sector_suggests_the_closest(write):
    p = problem_of(write(BASE + '[[growth]]\nsector = "industy"\nrate = 0.01\n'))
    assert p.column == "growth[1].sector" and "closest: industry" in p.reason
    assert "industry" in p.accepted


def test_unknown_facility_in_a_target(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "ccus"\nstart = 2025\ncapture = 0.5\n'
                              'target = { facilities = ["BM-99"] }\n'))
    assert p.column == "measures[1].target.facilities" and "BM-99" in p.reason


def test_measure_starting_in_the_base_year(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "efficiency"\nstart = 2023\ncut = 0.1\n'))
    assert p.column == "measures[1].start" and p.value == 2023 and "2024" in p.accepted


def test_measure_without_start(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "efficiency"\ncut = 0.1\n'))
    assert p.column == "measures[1]" and "start" in p.reason


def test_full_before_start(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "efficiency"\ncut = 0.1\n'
                              'start = 2030\nfull = 2025\n'))
    assert "before start" in p.reason


def test_measure_that_matches_nothing(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "ccus"\nstart = 2025\ncapture = 0.5\n'
                              'target = { carrier = ["process"] }\n'))
    assert p.column == "measures[1].target" and "acts on nothing" in p.reason


def test_pv_on_another_carrier(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "rooftop_pv"\nstart = 2025\nmwh = 1.0\n'
                              'target = { carrier = ["gas"] }\n'))
    assert p.column == "measures[1].target.carrier" and p.accepted == "electricity"


def test_prefab_needs_construction(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "prefab"\nstart = 2025\nshare = 0.5\n'))
    assert p.column == "measures[1]" and "[construction]" in p.reason


def test_unknown_prefab_preset(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "prefab"\nstart = 2025\nshare = 0.5\n'
                              'saving = "shenzhen"\n'))
    assert p.column == "measures[1].saving" and "pingshan" in p.reason


def test_switch_to_a_carrier_without_a_factor(write):
    p = problem_of(write(BASE + '[[measures]]\ntype = "fuel_switch"\nfrom = "gas"\n'
                              'to = "hydrogen"\nshare = 0.5\nstart = 2025\n'))
    assert p.column == "measures[1].to" and "[[factors]]" in p.accepted
    ok = BASE + ('[[factors]]\ncarrier = "hydrogen"\nunit = "t CO2/tce"\nvalues = { 2023 = 0 }\n'
                 '[[measures]]\ntype = "fuel_switch"\nfrom = "gas"\nto = "hydrogen"\n'
                 'share = 0.5\nstart = 2025\n')
    result = cs.load(write(ok, "ok.toml")).run()
    assert result.scenario[2] == pytest.approx(500.0 + 500.0)  # half the gas gone, H2 at 0


def test_wrong_factor_unit(write):
    p = problem_of(write(BASE + '[[factors]]\ncarrier = "electricity"\nunit = "g/kWh"\n'
                              'values = { 2030 = 0.4 }\n'))
    assert p.column == "factors[1].unit" and "t CO2/MWh" in p.accepted


def test_drivers_of_the_same_rank_conflict(write):
    p = problem_of(write(BASE + '[[growth]]\nsector = "industry"\nrate = 0.01\n'
                              '[[growth]]\nsector = "industry"\nrate = 0.02\n'))
    assert p.column == "growth[2]" and "growth[1]" in p.reason


def test_duplicate_base_rows(write):
    p = problem_of(write(BASE + '[[base.sectors]]\nsector = "industry"\ncarrier = "gas"\n'
                              'co2e = 1.0\ntce = 1.0\n'))
    assert p.column == "base.sectors[3]" and "base.sectors[1]" in p.reason


def test_energy_carrier_without_energy(write):
    p = problem_of(write(BASE.replace("tce = 500.0", "")))
    assert p.column == "base.sectors[1]" and "needs its energy use" in p.reason


def test_intensity_target_without_value_added(write):
    p = problem_of(write(BASE + '[[targets.intensity]]\nkind = "carbon"\nyear = 2030\n'
                              'reduction = 0.2\n'))
    assert p.column == "targets.intensity[1]" and "value added" in p.reason


def test_end_before_the_base_year(write):
    p = problem_of(write("end = 2020\n" + BASE))
    assert "end (2020) must be after the base year (2023)" in p.reason


def test_both_or_neither_base_source(write):
    p = problem_of(write('[base]\nyear = 2023\n'))
    assert p.column == "base" and "activities" in p.reason


def test_missing_activity_file(write):
    p = problem_of(write('[base]\nactivities = "nowhere.csv"\n'))
    assert p.column == "base.activities" and "not found" in p.reason


def test_extends_missing_and_loop(write):
    p = problem_of(write('extends = "parent.toml"\n' + BASE))
    assert p.column == "extends" and "not found" in p.reason
    a = write('extends = "b.toml"\n', "a.toml")
    b = write('extends = "a.toml"\n', "b.toml")
    loop = problem_of(b, file=a)   # found while reading a.toml, which b.toml extends
    assert loop.column == "extends" and "loop" in loop.reason


def test_errors_are_carbon_errors_and_value_errors(write):
    with pytest.raises(CarbonError):
        cs.load(write(BASE + "[[growth]]\nrate = 5\n"))
    with pytest.raises(ValueError):
        cs.load(write(BASE + "[[growth]]\nrate = 5\n"))


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        cs.load(tmp_path / "none.toml")


def test_cli_prints_one_message_and_exits_1(write, cli):
    code, out, err = cli(write(BASE + '[[measures]]\ntype = "ccus"\nstart = 2025\n'
                                      'capture = 1.5\n'))
    assert code == 1 and out == ""
    assert err.startswith("parkcarbon: error: ") and "measures[1].capture" in err
    assert "Traceback" not in err


def test_cli_json_error_is_one_object(write, cli, h):
    code, out, _ = cli(write(BASE + "[[growth]]\nrate = 5\n"), "--format", "json")
    body = h.parse_json(out)
    assert code == 1 and body["error"]["problems"][0]["column"] == "growth[1].rate"
