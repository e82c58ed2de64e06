"""Uncertainty of an inventory (IPCC 2006 Vol. 1 Ch. 3) and of a scenario.

Inventory
    :func:`assess` reports, for one year, the park total, each scope and each facility with
    half its 95 % interval in percent (``U``), by Approach 1 (:mod:`.propagation`: error
    propagation, shared factor rows correlated by default) or Approach 2 (:mod:`.montecarlo`:
    Monte Carlo, vectorised, seeded, chunked to a memory budget, one draw per shared factor row
    for the whole park). Where each input's spread comes from is :mod:`.sources`.
Scenario
    :func:`monte_carlo` (:mod:`.scenario`) draws the uncertain drivers and measure
    parameters of a scenario file's ``[uncertainty]`` table and returns a fan of trajectories,
    the probability of peaking by the target year and of meeting each target.

>>> round(product_uncertainty(5.0, 7.0), 2), round(sum_uncertainty([100, 50], [10, 20]), 2)
(8.6, 9.43)
"""

from __future__ import annotations

from ..errors import ParameterError, one_of
from .montecarlo import DEFAULT_MEMORY, simulate
from .propagation import contributions as _contributions
from .propagation import product_uncertainty, propagate, sum_uncertainty
from .report import METHODS, UncertaintyResult, approach1_notes
from .scenario import ScenarioMonteCarlo, monte_carlo
from .sources import Sources, Spread, build_sources

__all__ = ["METHODS", "ScenarioMonteCarlo", "Sources", "Spread", "UncertaintyResult", "assess",
           "build_sources", "monte_carlo", "product_uncertainty", "propagate", "simulate",
           "sum_uncertainty"]


def assess(inventory, method: str = "propagation", year: int | None = None, factors=None,
           draws: int = 10_000, seed: int | None = None, correlated: bool = True,
           memory: int = DEFAULT_MEMORY, chunk_cells: int | None = None,
           progress: bool | None = None) -> UncertaintyResult:
    """Uncertainty of one year of an inventory, per facility, per scope and for the park.

    Parameters
    ----------
    inventory : Inventory
        From :func:`carbon.account`.
    method : {'propagation', 'monte-carlo'}
        IPCC Approach 1 (default) or Approach 2.
    year : int, optional
        Reporting year (default: the inventory's latest).
    factors : DataFrame or path, optional
        The user factor table the inventory was accounted with, for its ``uncertainty``
        column [%].
    draws : int
        Monte Carlo iterations (default 10 000).
    seed : int, optional
        Monte Carlo seed (None: a fresh one, reported in the result).
    correlated : bool
        True (default): a factor row shared by several rows and facilities is one error.
    memory : int
        Monte Carlo memory budget [bytes] (default 256 MiB).
    chunk_cells : int, optional
        Monte Carlo cells per chunk (default: what ``memory`` allows).
    progress : bool, optional
        Progress bar on stderr (None: when stderr is a terminal).

    Returns
    -------
    UncertaintyResult

    Examples
    --------
    >>> import pandas as pd, carbon
    >>> rows = pd.DataFrame({"facility": ["A"], "year": [2022], "activity": ["natural_gas"],
    ...                      "quantity": [1000], "unit": ["10^4 Nm3"], "uncertainty": [5]})
    >>> result = assess(carbon.account(rows))
    >>> round(result.park()["total"]["u_percent"], 2)   # activity 5 %, NCV 5 %, CO2 factor 5 %
    8.66
    """
    if method not in METHODS:
        raise ParameterError("method", "carbon.uncertainty.assess", one_of(METHODS), method)
    if not isinstance(correlated, bool):
        raise ParameterError("correlated", "carbon.uncertainty.assess", "a bool", correlated)
    sources = build_sources(inventory, year, factors)
    notes = list(sources.notes)
    notes.append("facility figures are the enterprise view; the park's are territorial "
                 "(intra-park transfers netted, their shares held at their point values)")
    notes.append("GWP values are not treated as uncertain (IPCC 2006 Vol. 1 Ch. 3); market-"
                 "based Scope 2 is not assessed")
    info: dict = {}
    park_draws = None
    if method == "propagation":
        table, shares = propagate(sources, correlated)
        notes += approach1_notes(sources, shares)
    else:
        table, park_draws, info = simulate(sources, draws, seed, correlated, memory,
                                           chunk_cells, progress)
        shares = _contributions(sources, correlated)
    return UncertaintyResult(method=method, year=sources.year, table=table, contributions=shares,
                             sources=sources, correlated=correlated, gwp=inventory.gwp,
                             profile=inventory.profile, info=info, park_draws=park_draws,
                             notes=notes)
