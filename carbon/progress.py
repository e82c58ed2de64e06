"""Progress bars on stderr (tqdm), only where someone is watching."""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["progress_bar", "shown"]


def shown(enabled: bool | None) -> bool:
    """Whether a bar shows: ``enabled``, or with None whether stderr is a terminal."""
    if enabled is None:
        return bool(getattr(sys.stderr, "isatty", lambda: False)())
    return enabled


def progress_bar(total: int, desc: str, enabled: bool | None = None, unit: str = "it"):
    """A tqdm bar on stderr.

    Parameters
    ----------
    total : int
        Steps to come.
    desc : str
        Label.
    enabled : bool or None
        None (default): shown when stderr is a terminal; False: never (``--quiet``, tests,
        ``--format json`` piped into a file). A bar appears only after half a second, so short
        runs print nothing.
    """
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not shown(enabled),
                leave=False, delay=0.5, dynamic_ncols=True)
