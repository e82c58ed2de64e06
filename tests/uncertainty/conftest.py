"""Fixtures of the uncertainty tests: small hand-made inventories and the CLI.

The sample park (``sample_park``, ``sample_park_dir``) comes from ``tests/conftest.py``: it is
accounted once per session, expecting its FactorFallbackWarning. Small inventories
use no region (the national factor of the record's year) and so warn of nothing.
"""

from __future__ import annotations

import functools
import json

import pandas as pd
import pytest

import carbon
from carbon.cli import uncertainty as uncertainty_command


def account(rows, factors=None, transfers=None, **options) -> carbon.Inventory:
    """Account rows given as dicts (facility, year, activity, quantity, unit[, uncertainty])."""
    return carbon.account(pd.DataFrame(rows), factors=factors, transfers=transfers, **options)


def row(facility: str, activity: str, quantity: float, unit: str, year: int = 2022,
        **extra) -> dict:
    return {"facility": facility, "year": year, "activity": activity, "quantity": quantity,
            "unit": unit, **extra}


def parse_json(text: str) -> dict:
    """Exactly one JSON object, without NaN or Infinity."""
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


def park(result, quantity: str = "total") -> dict:
    return result.park()[quantity]


class Helpers:
    """What the tests share (test modules cannot import conftest under importlib mode)."""

    account = staticmethod(account)
    row = staticmethod(row)
    parse_json = staticmethod(parse_json)
    park = staticmethod(park)


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    return Helpers


@pytest.fixture
def cli(run_command):
    """Run ``parkcarbon uncertainty ...``: (exit code, stdout, stderr)."""
    return functools.partial(run_command, uncertainty_command)
