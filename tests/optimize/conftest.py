"""Helpers of the cost-curve and least-cost tests: small scenarios whose measures act on
separate sectors, so that their abatement adds up exactly and optima can be found by hand or by
enumeration."""

from __future__ import annotations

import copy
import functools
import json

import pytest

import carbon.scenario as cs
from carbon.cli import macc as macc_command
from carbon.cli import scenario as scenario_command

#: Three sectors, flat to 2030: a and b burn gas (1000 and 2000 t CO2e), c has 500 t of
#: process CO2.
SECTORS = [{"sector": "a", "carrier": "gas", "co2e": 1000.0, "tce": 500.0},
           {"sector": "b", "carrier": "gas", "co2e": 2000.0, "tce": 1000.0},
           {"sector": "c", "carrier": "process", "co2e": 500.0}]


def make(measures, targets=None, end: int = 2030, **keys) -> dict:
    data = {"end": end, "base": {"year": 2023, "sectors": copy.deepcopy(SECTORS)},
            "measures": copy.deepcopy(measures), "targets": copy.deepcopy(targets or {})}
    data.update(copy.deepcopy(keys))
    return data


def step(name: str, kind: str, sector: str, start: int = 2024, **fields) -> dict:
    """A measure with a step ramp from ``start`` acting on one sector."""
    return {"name": name, "type": kind, "start": start, "ramp": "step",
            "target": {"sector": sector}, **fields}


def load(data: dict):
    return cs.from_dict(data)


def parse_json(text: str) -> dict:
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))


class Helpers:
    make = staticmethod(make)
    step = staticmethod(step)
    load = staticmethod(load)
    parse_json = staticmethod(parse_json)


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    return Helpers


@pytest.fixture
def macc_cli(run_command):
    return functools.partial(run_command, macc_command)


@pytest.fixture
def scenario_cli(run_command):
    return functools.partial(run_command, scenario_command)
