"""Selecting the engine's columns (sector x facility group x carrier) by sector, carrier and
facility, with errors that name the key and the closest valid names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputError
from .reading import problem

__all__ = ["closest", "mask", "specificity"]


def closest(name: str, choices: Iterable[str]) -> str:
    """``'a, b'`` of the nearest ``choices`` to ``name`` (empty when none is near)."""
    found = difflib.get_close_matches(str(name), sorted(set(map(str, choices))), n=3, cutoff=0.5)
    return ", ".join(found)


def _check(file: str, key: str, names: list[str], known: set[str], what: str,
           plural: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        near = closest(unknown[0], known)
        raise InputError([problem(
            file, key, f"unknown {what} {unknown[0]!r}" + (f"; closest: {near}" if near else ""),
            unknown[0], f"{plural} of this scenario: {', '.join(sorted(known))}")])


def mask(columns: pd.DataFrame, selector, file: str, key: str,
         default_carriers: Iterable[str] | None = None) -> np.ndarray:
    """Boolean mask of the columns a selector picks.

    Parameters
    ----------
    columns : DataFrame
        One row per engine column: ``sector``, ``facility``, ``carrier``.
    selector : Selector or None
        ``sector``, ``carrier``, ``facilities`` (lists or None: no condition).
    file, key : str
        Where the selector is written, for errors.
    default_carriers : iterable of str, optional
        Carriers picked when the selector names none.
    """
    out = np.ones(len(columns), dtype=bool)
    sectors = getattr(selector, "sector", None)
    carriers = getattr(selector, "carrier", None)
    facilities = getattr(selector, "facilities", None)
    if sectors is not None:
        _check(file, f"{key}.sector", sectors, set(columns["sector"]), "sector", "sectors")
        out &= columns["sector"].isin(sectors).to_numpy()
    if facilities is not None:
        _check(file, f"{key}.facilities", facilities, set(columns["facility"]) - {""},
               "facility", "facilities with emissions")
        out &= columns["facility"].isin(facilities).to_numpy()
    if isinstance(carriers, str):
        carriers = [carriers]
    if carriers is None and default_carriers is not None:
        carriers = list(default_carriers)
    if carriers is not None:
        out &= columns["carrier"].isin(carriers).to_numpy()
    return out


def specificity(selector) -> int:
    """Rank of a selector: facilities (4) > sector (2) > carrier (1) > none (0), summed."""
    return (4 * (getattr(selector, "facilities", None) is not None)
            + 2 * (getattr(selector, "sector", None) is not None)
            + (getattr(selector, "carrier", None) is not None))
