"""The bundled scenarios (``scenarios/`` in a checkout, ``carbon/_data/scenarios`` in the wheel)
for the sample park: a baseline, a prefabricated-construction case and a full pathway."""

from __future__ import annotations

from pathlib import Path

from ..resources import data_dir

__all__ = ["BUNDLED", "bundled_files", "run_bundled"]

#: The bundled scenarios, in the order the demo shows them.
BUNDLED = ("baseline", "prefab", "full-pathway")


def bundled_files(names=BUNDLED) -> list[Path]:
    """Paths of bundled scenario files by name (``baseline``, ``prefab``, ``full-pathway``)."""
    folder = data_dir("scenarios")
    return [folder / f"{name}.toml" for name in names]


def run_bundled(names=BUNDLED) -> dict:
    """Load and run bundled scenarios.

    Returns
    -------
    dict of str to ScenarioResult
        By scenario name, in the order asked.

    Examples
    --------
    >>> results = run_bundled()                                   # doctest: +SKIP
    >>> {name: r.peak_year for name, r in results.items()}        # doctest: +SKIP
    """
    from .model import load

    return {r.name: r for r in (load(path).run() for path in bundled_files(names))}
