"""The projection: activity x factor over years, and measures applied in order.

The state of the park in every projected year is four matrices with years as rows and the
engine's columns (sector x facility group x carrier) as columns:

``activity`` [tce for energy carriers; t CO2e of the base year's mix for process, fugitive and
other sources; m² of new floor area for construction], ``factor`` [t CO2e per unit of
activity], ``capture`` [share of the column's CO2 captured] and ``green`` [share of the
column's activity counted at zero: green power bought]. Emissions are::

    co2e = activity x factor x (1 - co2_share x capture) x (1 - green)

Each measure is a function from a state to a new state that acts on what the measures before it
left. Applying them in order therefore gives one end state, and the wedge of each measure (the
drop it causes at its place in the order) adds up to baseline minus scenario exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Engine", "Op", "State"]


@dataclass(frozen=True)
class State:
    """The park in every projected year; arrays of shape (years, columns)."""

    activity: np.ndarray
    factor: np.ndarray
    capture: np.ndarray
    green: np.ndarray

    def copy(self) -> State:
        return State(self.activity.copy(), self.factor.copy(), self.capture.copy(),
                     self.green.copy())


@dataclass(frozen=True)
class Op:
    """A compiled measure: what it does (``apply``), where (``mask``) and when (``ramp``)."""

    name: str
    kind: str
    ramp: np.ndarray  # (years,) fraction of full effect
    mask: np.ndarray  # (columns,) bool
    apply: Callable[[State, Op, Engine], tuple[State, dict]]
    params: dict
    may_raise: bool = False


@dataclass
class Engine:
    """Columns, years and the baseline state of one scenario, and the arithmetic on them.

    Parameters
    ----------
    years : ndarray of int
        Base year first, then every projected year.
    columns : DataFrame
        One row per column: ``sector``, ``facility``, ``carrier``, ``scope``, ``co2_share``
        [fraction], ``tce_per_unit`` [tce per unit of activity; NaN where not known].
    baseline : State
    scopes : sequence of int
        Scopes counted in totals.
    """

    years: np.ndarray
    columns: pd.DataFrame
    baseline: State
    scopes: Sequence[int]

    def __post_init__(self):
        self.co2_share = self.columns["co2_share"].to_numpy(dtype=float)
        self.tce_per_unit = self.columns["tce_per_unit"].to_numpy(dtype=float)
        self.counted = self.columns["scope"].isin(list(self.scopes)).to_numpy()

    # -- quantities of a state ---------------------------------------------------------------
    def emissions(self, state: State) -> np.ndarray:
        """Emissions per year and column [t CO2e]."""
        return (state.activity * state.factor * (1.0 - self.co2_share * state.capture)
                * (1.0 - state.green))

    def captured(self, state: State) -> np.ndarray:
        """CO2 captured per year and column [t CO2]."""
        return state.activity * state.factor * self.co2_share * state.capture * (
            1.0 - state.green)

    def energy(self, state: State) -> np.ndarray:
        """Energy use per year and column [tce]; NaN where a column's energy is not known."""
        return state.activity * self.tce_per_unit

    def total(self, state: State) -> np.ndarray:
        """Emissions per year of the counted scopes [t CO2e]."""
        return self.emissions(state)[:, self.counted].sum(axis=1)

    # -- measures ----------------------------------------------------------------------------
    def run(self, ops: Sequence[Op]) -> tuple[list[State], list[dict]]:
        """The state after each measure in order (first: the baseline), and what each
        measure reports (e.g. PV generation it could not use)."""
        states, infos = [self.baseline], []
        for op in ops:
            state, info = op.apply(states[-1].copy(), op, self)
            states.append(state)
            infos.append(info)
        return states, infos

    def final_total(self, ops: Sequence[Op]) -> np.ndarray:
        """Counted emissions per year after ``ops`` in order [t CO2e]."""
        state = self.baseline
        for op in ops:
            state, _ = op.apply(state.copy(), op, self)
        return self.total(state)
