"""Splitting the abatement (baseline minus scenario) between measures.

Two splits, both adding up to the total abatement of every year:

* **ordered** wedges: the drop each measure causes at its place in the order written (measures
  act on what the ones before them left, so nothing is counted twice);
* **Shapley** values: each measure's marginal drop averaged over every order in which the
  measures could be added (Shapley 1953), independent of the order written. With ``v(S)`` the
  abatement of a subset ``S`` of the ``n`` measures (applied in the written order),
  ``phi_i = sum_{S not containing i} |S|! (n - |S| - 1)! / n! (v(S + i) - v(S))``.

Exact values need the ``2^n`` subsets; above ``exact_max`` measures the average is taken over
``permutations`` random orders drawn with ``seed`` (each sampled order still adds up exactly,
so the sampled values add up to the total too).
"""

from __future__ import annotations

from collections.abc import Callable
from math import factorial

import numpy as np

__all__ = ["shapley", "shapley_exact", "shapley_sampled"]


def _popcount(masks: np.ndarray) -> np.ndarray:
    counts = np.zeros_like(masks)
    work = masks.copy()
    while work.any():
        counts += work & 1
        work >>= 1
    return counts


def shapley_exact(totals: np.ndarray, n: int) -> np.ndarray:
    """Exact Shapley values of abatement from the emissions of every subset.

    Parameters
    ----------
    totals : ndarray, shape (2**n, years)
        Emissions [t CO2e] with the subset of measures given by each row's bit mask applied
        (row 0: no measure, the baseline).
    n : int
        Number of measures.

    Returns
    -------
    ndarray, shape (n, years)
        Each measure's share of the abatement [t CO2e].

    Examples
    --------
    Two measures each cutting 50 % of 100 t: alone each abates 50 t, together 75 t; each gets
    (50 + 25) / 2 = 37.5 t.

    >>> shapley_exact(np.array([[100.0], [50.0], [50.0], [25.0]]), 2).ravel().tolist()
    [37.5, 37.5]
    """
    masks = np.arange(2 ** n)
    size = _popcount(masks)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) if s < n else 0.0
                       for s in range(n + 1)])
    out = np.zeros((n, totals.shape[1]))
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        gain = totals[without] - totals[without | (1 << i)]
        out[i] = (weight[size[without]][:, None] * gain).sum(axis=0)
    return out


def shapley_sampled(evaluate: Callable[[int], np.ndarray], n: int, permutations: int,
                    seed: int) -> np.ndarray:
    """Shapley values averaged over random orders (``evaluate(mask)``: emissions of a subset)."""
    rng = np.random.default_rng(seed)
    cache: dict[int, np.ndarray] = {}

    def value(mask: int) -> np.ndarray:
        if mask not in cache:
            cache[mask] = evaluate(mask)
        return cache[mask]

    out = None
    for _ in range(permutations):
        mask, before = 0, value(0)
        for i in rng.permutation(n):
            mask |= 1 << int(i)
            after = value(mask)
            if out is None:
                out = np.zeros((n, len(after)))
            out[i] += before - after
            before = after
    return out / permutations


def shapley(evaluate: Callable[[int], np.ndarray], n: int, exact_max: int = 8,
            permutations: int = 256, seed: int = 0) -> tuple[np.ndarray, str]:
    """Shapley split of the abatement of ``n`` measures, exact or sampled.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(mask)`` returns counted emissions per year [t CO2e] with the measures whose
        bits are set in ``mask`` applied in the written order.

    Returns
    -------
    values : ndarray, shape (n, years)
        [t CO2e]
    method : str
        How they were computed, for the result.
    """
    if n == 0:
        return np.zeros((0, len(evaluate(0)))), "exact"
    if n <= exact_max:
        totals = np.array([evaluate(mask) for mask in range(2 ** n)])
        return shapley_exact(totals, n), f"exact ({2 ** n} subsets)"
    values = shapley_sampled(evaluate, n, permutations, seed)
    return values, (f"sampled: {permutations} random orders (seed {seed}); exact above "
                    f"{exact_max} measures would need 2^{n} runs")
