"""Helpers of the scenario tests: small scenarios given as dicts, the bundled results, and a
command line that has the scenario subcommand (registered here the way carbon.cli does)."""

from __future__ import annotations

import copy
import functools
import json

import pytest

import carbon.scenario as cs
from carbon.cli import scenario as scenario_command


def make(sectors=None, **keys) -> dict:
    """A scenario dict: base year 2023, given sector rows (default: 1000 t of gas, 500 tce)."""
    rows = sectors if sectors is not None else [
        {"sector": "industry", "carrier": "gas", "co2e": 1000.0, "tce": 500.0}]
    data = {"end": 2035, "base": {"year": 2023, "sectors": rows}}
    data.update(copy.deepcopy(keys))
    return data


def run(data: dict):
    return cs.from_dict(data).run()


def at(result, year: int, series=None) -> float:
    """A series of ``result`` (default: the scenario) in ``year``."""
    series = result.scenario if series is None else series
    return float(series[list(result.years).index(year)])


class Helpers:
    """What the tests share (test modules cannot import conftest under importlib mode)."""

    make = staticmethod(make)
    run = staticmethod(run)
    at = staticmethod(at)


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    return Helpers


@pytest.fixture(scope="session")
def bundled():
    """The three bundled scenarios, run once."""
    return cs.run_bundled()


@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon scenario ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, scenario_command)


def _parse_json(text: str) -> dict:
    """Exactly one JSON object, without NaN or Infinity."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


Helpers.parse_json = staticmethod(_parse_json)
