"""Where the bundled data lives: inside the wheel, or beside the package in a source checkout."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

__all__ = ["data_dir"]


@cache
def data_dir(name: str) -> Path:
    """Folder of bundled data ``name`` (``factors``, ``scenarios`` or ``examples``).

    The wheel carries them as ``carbon/_data/<name>`` (see ``pyproject.toml``); a source
    checkout or an editable install reads the top-level folders of the repository.
    """
    bundled = Path(str(resources.files("carbon"))) / "_data" / name
    if bundled.is_dir():
        return bundled
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"parkcarbon's bundled {name!r} folder is missing; "
                            "reinstall the package")
