"""Every script in examples/ runs from another working directory and exits 0.

The scripts start together (each in its own process, from an empty temporary folder, with the
checkout first on PYTHONPATH) and each test waits for its own, so the module takes about as
long as the slowest script. A script given a folder writes only into it; without one it writes
only into a temporary folder, so the working directory stays empty.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if p.name != "make_sample_park.py")
NEEDS = {"dask_parquet_folder.py": "dask"}

pytestmark = pytest.mark.slow


def test_the_stories_are_there():
    assert {p.name for p in EXAMPLES} >= {
        "account_from_excel.py", "embed_engine.py", "scenario_in_python.py",
        "compare_profiles.py", "dask_parquet_folder.py"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every example at once; returns {name: (process, working dir, output dir)}."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]), "MPLBACKEND": "Agg"}
    started = {}
    for script in EXAMPLES:
        module = NEEDS.get(script.name)
        if module and importlib.util.find_spec(module) is None:
            continue
        cwd = tmp_path_factory.mktemp(f"cwd-{script.stem}")
        out = tmp_path_factory.mktemp(f"out-{script.stem}")
        started[script.name] = (subprocess.Popen(
            [sys.executable, str(script), str(out)], cwd=cwd, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), cwd, out)
    yield started
    for process, _, _ in started.values():
        if process.poll() is None:
            process.kill()


@pytest.mark.parametrize("script", [p.name for p in EXAMPLES])
def test_example_runs_from_anywhere(runs, script):
    if script not in runs:
        pytest.skip(f"{script} needs {NEEDS[script]}, which is not installed")
    process, cwd, _ = runs[script]
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"{script} failed:\n{stdout[-2000:]}\n{stderr[-3000:]}"
    assert stdout.strip(), f"{script} printed nothing"
    assert "Traceback" not in stderr
    assert list(cwd.iterdir()) == [], f"{script} wrote into the working directory"
