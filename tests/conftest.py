"""Shared fixtures and warning policy of parkcarbon's tests.

Warning policy: a FactorFallbackWarning that a test does not expect is an error. The
``pyproject.toml`` filter ``error::UserWarning:carbon`` does not catch it on its own: the
warning is raised with ``stacklevel=3``, so Python attributes it to the module that called
``carbon.account`` (the test), not to ``carbon``. Tests that expect it use
``pytest.warns(carbon.FactorFallbackWarning)``, which takes precedence over this filter.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType

import pytest

import carbon
from carbon.cli._common import run_guarded
from carbon.resources import data_dir

_FALLBACK_IS_AN_ERROR = pytest.mark.filterwarnings("error::carbon.FactorFallbackWarning")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(_FALLBACK_IS_AN_ERROR)


@pytest.fixture
def run_command(capsys) -> Callable[..., tuple[int, str, str]]:
    """Run one ``parkcarbon`` subcommand (its ``carbon.cli`` module) in this process, as the
    entry point does; returns (exit code, stdout, stderr). ``functools.partial(run_command,
    module)`` makes a module's ``cli`` fixture."""

    def invoke(command: ModuleType, *argv) -> tuple[int, str, str]:
        name = command.__name__.rsplit(".", 1)[-1]
        parser = argparse.ArgumentParser(prog=f"parkcarbon {name}")
        command.add_arguments(parser)
        parser.set_defaults(run=command.run)
        code = run_guarded(parser.parse_args([str(a) for a in argv]))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write rows (dicts) to a UTF-8 CSV in ``tmp_path`` and return its path.

    ``columns`` fixes the header (default: the keys of the first row, in order); a missing key
    is written as an empty cell, as a spreadsheet export would.
    """

    def write(rows: Iterable[Mapping[str, object]], name: str = "activities.csv",
              columns: list[str] | None = None) -> Path:
        rows = list(rows)
        header = columns if columns is not None else list(rows[0])
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, restval="",
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def compiled_loops(monkeypatch) -> None:
    """Runs of any size use :mod:`carbon.compiled`'s loops (numba), as runs of millions of
    rows do: every table, however small, takes the compiled passes."""
    pytest.importorskip("numba")
    from carbon import compiled

    monkeypatch.setattr(compiled, "MIN_ROWS", 0)
    monkeypatch.setattr(compiled, "LOAD_ROWS", 0)


@pytest.fixture(params=["numpy", "compiled"])
def loops(request) -> str:
    """Run a test with kernel.py's NumPy passes, then with the compiled loops."""
    if request.param == "compiled":
        request.getfixturevalue("compiled_loops")
    return request.param


@pytest.fixture(scope="session")
def sample_park_dir() -> Path:
    """The bundled sample park's folder, from the checkout or the installed wheel."""
    folder = data_dir("examples") / "sample_park"
    assert folder.is_dir(), folder
    return folder


@pytest.fixture(scope="session")
def sample_park(sample_park_dir) -> carbon.Inventory:
    """The sample park (44 facilities, 2021-2023) accounted in strict mode, raising its one
    FactorFallbackWarning: Guangdong has no 2023 provincial grid factor."""
    with pytest.warns(carbon.FactorFallbackWarning, match=r"CN-GD\): 2023 -> 2022"):
        return carbon.account(sample_park_dir / "activities.csv",
                              facilities=sample_park_dir / "facilities.csv",
                              transfers=sample_park_dir / "transfers.csv")
