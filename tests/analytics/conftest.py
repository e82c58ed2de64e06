"""Fixtures of the park-analytics tests: small hand-made parks and the CLI.

The sample park (``sample_park``, ``sample_park_dir``) comes from ``tests/conftest.py``: it is
accounted once per session, expecting its FactorFallbackWarning.
"""

from __future__ import annotations

import functools
import json

import pandas as pd
import pytest

import carbon
import carbon.analytics as ca
from carbon.cli import report as report_command
from carbon.resources import data_dir


def account(rows, facilities=None, transfers=None, **options) -> carbon.Inventory:
    """Account rows given as dicts (facility, year, activity, quantity, unit[, instrument])."""
    frame = pd.DataFrame(rows)
    fac = pd.DataFrame(facilities) if facilities is not None else None
    tr = pd.DataFrame(transfers) if transfers is not None else None
    return carbon.account(frame, facilities=fac, transfers=tr, **options)


def parse_json(text: str) -> dict:
    """Exactly one JSON object, without NaN or Infinity."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


class Helpers:
    """What the tests share (test modules cannot import conftest under importlib mode)."""

    account = staticmethod(account)
    parse_json = staticmethod(parse_json)


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    return Helpers


@pytest.fixture(scope="session")
def targets_dir():
    return data_dir("examples") / "targets"


@pytest.fixture(scope="session")
def sample_report(sample_park, targets_dir) -> ca.ParkReport:
    return ca.report(sample_park, base_year=2021,
                     targets=targets_dir / "14th-five-year-plan.toml", top=5)


@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon report ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, report_command)
