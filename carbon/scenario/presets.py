"""Named parameter presets (``presets.toml``): value, range, confidence and source."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

__all__ = ["preset", "presets"]


@cache
def presets(kind: str) -> dict[str, dict]:
    """All presets of one kind (``prefab_saving``), by name.

    >>> presets("prefab_saving")["literature"]["value"]
    0.1
    """
    text = resources.files(__package__).joinpath("presets.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)[kind]


def preset(kind: str, name: str) -> dict:
    """One preset; ``KeyError`` if there is none of that name."""
    return presets(kind)[name]
