"""Multilevel LMDI-I: a structure effect split across the levels of a hierarchy.

The identity is V = Σ_r Q · S_1(r) · S_2|1(r) ⋯ S_n|n−1(r) · Π_f x_f(r): Q the total activity,
S_l the share of a level-l unit in the activity of its parent (S_1 in Q), and x_f the other
factors of row r (r may be finer than the last level, e.g. a carrier within a subsector).
Two formulations (after Xu and Ang 2014):

``parallel``
    One LMDI-I over the rows with every level's share as its own factor, all weighted by
    L(V_r^T, V_r^0). Because ln S'(r) = Σ_l ln S_l(r) for the single-level share
    S'(r) = Q_unit(r)/Q, the level effects add up exactly to the single-level structure
    effect, and every other effect equals the single-level one.
``hierarchical``
    Level by level: V = Σ_u Q · S_u · I_u over the top-level units u (weights L(V_u)) gives
    the activity, the between-unit structure and one intensity effect per unit; each unit's
    intensity effect is then split over its children (I_u = Σ_c S_c|u · I_c) in proportion to
    the LMDI-I log-changes of that sub-identity, down to the row factors. The top level equals
    a single-level decomposition at that level, and within every unit the lower-level effects
    add up exactly to its intensity effect.

Both are exact (the effects add up to V^T − V^0) and handle units that appear or disappear
through the zero limits of :func:`~carbon.decompose.core.contributions`. That these two are
Xu and Ang's multilevel-parallel and multilevel-hierarchical models is our reading of the
paper; the properties stated above are the ones the tests check.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError, Problem
from ..schema import require_columns
from .core import (
    Decomposition,
    check_method,
    contributions,
    decompose_cube,
    fill_undefined,
    finish,
    logmean_unchecked,
    long_detail,
    make_totals,
    pairs,
)
from .inputs import prepare

__all__ = ["APPROACHES", "multilevel", "structure_names"]

APPROACHES = ("parallel", "hierarchical")


def structure_names(levels: Sequence[str]) -> list[str]:
    """Effect names of the structure factors: 'structure' for one level, else one per level."""
    return ["structure"] if len(levels) == 1 else [f"structure_{lvl}" for lvl in levels]


def multilevel(table, levels: Sequence[str], activity: str, factors: Sequence[str], *,
               key: Sequence[str] | None = None, year: str = "year",
               years: Sequence[int] | None = None, method: str = "additive",
               approach: str = "parallel", **kwargs) -> Decomposition:
    """Decompose V = Σ_r Q · Π_l S_l(r) · Π_f x_f(r) with a multilevel structure effect.

    Parameters
    ----------
    table : DataFrame or path
        Wide table: the ``levels`` columns (outer to inner, e.g. sector, subsector), any finer
        ``key`` columns, ``year``, ``activity`` and the ``factors`` columns.
    levels : list of str
        Columns naming the structural units, outer first.
    activity : str
        Activity of the row's innermost unit [unit of activity, e.g. 10^4 CNY of value added];
        rows of one unit repeat it. Units with activity but nothing to decompose belong in the
        table too (with a factor 0), since they count in Q.
    factors : list of str
        The other factors of each row (at least one), ≥ 0.
    key : list of str, optional
        Finer key columns (default: every other column).
    year, years, method :
        As for :func:`~carbon.decompose.lmdi`.
    approach : {'parallel', 'hierarchical'}
        See the module notes. Both are exact: the effects add up to V^T − V^0.

    Returns
    -------
    Decomposition
        Factors ``activity``, the structure effects (``structure`` for one level, else
        ``structure_<level>`` outer to inner) and ``factors``.

    References
    ----------
    X.Y. Xu, B.W. Ang (2014), "Multilevel index decomposition analysis: approaches and
    application", Energy Economics 44, 375–382.
    """
    check_method(method, "multilevel")
    if approach not in APPROACHES:
        raise ParameterError("approach", "multilevel", "one of {'parallel', 'hierarchical'}",
                             approach)
    levels, factors = _names(levels, "levels"), _names(factors, "factors")
    structure = structure_names(levels)
    clash = {"activity", *structure} & set(factors)
    if clash or len(set(levels)) != len(levels):
        raise ParameterError("factors", "multilevel", "names other than 'activity' and "
                             f"{structure}, with distinct levels", factors)
    if key is not None:
        key = [*levels, *(c for c in ([key] if isinstance(key, str) else key)
                          if c not in levels)]
    keys, year_list, cube, _, label = prepare(table, [activity, *factors], key, year, years,
                                              "multilevel")
    require_columns(keys, label, tuple(levels))
    q_rows, codes = _activity_by_level(keys, levels, cube[:, :, 0], year_list, label, activity)
    q_total = q_rows[0].sum(axis=0, where=_first_of(codes[0]))
    shares = [_ratio(q_rows[0], np.broadcast_to(q_total, q_rows[0].shape)),
              *(_ratio(q_rows[i], q_rows[i - 1]) for i in range(1, len(levels)))]
    rest = cube[:, :, 1:]
    names = ["activity", *structure, *factors]
    if approach == "parallel":
        full = np.concatenate([np.broadcast_to(q_total, q_rows[0].shape)[..., None],
                               np.stack(shares, axis=-1), rest], axis=-1)
        return decompose_cube(keys, year_list, full, names, method, **kwargs)
    return _hierarchical(keys, levels, codes, q_rows, q_total, rest, year_list, names, method,
                         **kwargs)


def _names(value, parameter: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    if not names:
        raise ParameterError(parameter, "multilevel", "a non-empty list of column names", value)
    return names


def _first_of(code: np.ndarray) -> np.ndarray:
    """Mask (rows, 1) of the first row of each code."""
    mask = np.zeros(len(code), dtype=bool)
    mask[np.unique(code, return_index=True)[1]] = True
    return mask[:, None]


def _activity_by_level(keys, levels, activity, years, label, column):
    """Activity of each row's unit at every level [unit of activity], and the unit codes.

    Rows of one innermost unit must give the same activity; a level-l unit's activity is the
    sum over its innermost units.
    """
    codes = [keys.groupby(levels[: i + 1], sort=False).ngroup().to_numpy()
             for i in range(len(levels))]
    inner = codes[-1]
    first = np.unique(inner, return_index=True)[1]
    unit_q = activity[first]  # (innermost units, years)
    differ = ~np.isclose(activity, unit_q[inner], rtol=1e-12, atol=0)
    if differ.any():
        rows, cols = np.nonzero(differ)
        raise InputError([Problem("value", f"rows of unit {tuple(keys.iloc[r][levels])} give "
                                  f"different {column} in {years[c]}", file=label,
                                  column=column, accepted="the same activity on every row of "
                                  "a unit") for r, c in zip(rows[:20], cols[:20], strict=True)])
    q_rows = []
    for code in codes:
        per_unit = np.zeros((code.max() + 1, activity.shape[1]))
        np.add.at(per_unit, code[first], unit_q)
        q_rows.append(per_unit[code])
    zero = np.flatnonzero(q_rows[0].sum(axis=0, where=_first_of(codes[0])) <= 0)
    if zero.size:
        raise InputError([Problem("value", f"the total {column} is 0 in {years[c]}",
                                  file=label, column=column, accepted="a positive total")
                          for c in zero])
    return q_rows, codes


def _group(code: np.ndarray, values: np.ndarray) -> np.ndarray:
    out = np.zeros((code.max() + 1, *values.shape[1:]))
    np.add.at(out, code, values)
    return out


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return fill_undefined(np.where(b > 0, a / np.where(b > 0, b, 1), np.nan))


def _scale(weight, effect, i0, it):
    """Factor turning the additive effects of a unit's sub-identity (on its intensity I_u)
    into shares of the unit's intensity effect on V.

    The effect is ``weight`` · ln(I_u^T / I_u^0), so the factor is weight / L(I_u^T, I_u^0);
    when I_u is zero in one period the effect is a limit and the factor is effect / ΔI_u; when
    it is zero in both, 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        both = weight / logmean_unchecked(it, i0)
        one = effect / (it - i0)
    positive0, positivet = i0 > 0, it > 0
    return np.where(positive0 & positivet, both, np.where(positive0 ^ positivet, one, 0.0))


def _hierarchical(keys, levels, codes, q_rows, q_total, rest, years, names, method, **kwargs):
    i0, it = pairs(years)
    n_levels = len(levels)
    v_rows = q_rows[-1] * np.prod(rest, axis=-1)  # (rows, years)
    parts = []

    # Top level: V = Σ_u Q · S_u · I_u, the intensity effect of u is L(V_u) · ln(I_u ratio).
    top = codes[0]
    first = np.unique(top, return_index=True)[1]
    v_unit, q_unit = _group(top, v_rows), q_rows[0][first]
    intensity = _ratio(v_unit, q_unit)
    x = np.stack([np.broadcast_to(q_total, q_unit.shape), q_unit / q_total, intensity], axis=-1)
    c = contributions(x[:, i0], x[:, it])
    parts.append(long_detail(keys.iloc[first][levels[:1]].reset_index(drop=True), years,
                             c[..., :2], names[:2]))
    effect, weight = c[..., 2], logmean_unchecked(v_unit[:, it], v_unit[:, i0])
    parent_i, parent_q = intensity, q_unit

    # Each lower level splits its parent's intensity effect: I_u = Σ_c S_c|u · I_c.
    for level in range(1, n_levels):
        code, parent = codes[level], codes[level - 1]
        first = np.unique(code, return_index=True)[1]
        up = parent[first]  # parent unit of each unit
        v_unit, q_unit = _group(code, v_rows), q_rows[level][first]
        share, intensity = _ratio(q_unit, parent_q[up]), _ratio(v_unit, q_unit)
        x = np.stack([share, intensity], axis=-1)
        c = contributions(x[:, i0], x[:, it])
        scale = _scale(weight[up], effect[up], parent_i[up][:, i0], parent_i[up][:, it])
        parts.append(long_detail(keys.iloc[first][levels[: level + 1]].reset_index(drop=True),
                                 years, c[..., :1] * scale[..., None], [names[1 + level]]))
        sub = share * intensity
        effect, weight = c[..., 1] * scale, scale * logmean_unchecked(sub[:, it], sub[:, i0])
        parent_i, parent_q = intensity, q_unit

    # Rows: I_c = Σ_r Π_f x_f(r), split over the row factors.
    inner = codes[-1]
    c = contributions(rest[:, i0], rest[:, it])
    scale = _scale(weight[inner], effect[inner], parent_i[inner][:, i0],
                   parent_i[inner][:, it])
    parts.append(long_detail(keys, years, c * scale[..., None], names[1 + n_levels:]))

    detail = pd.concat(parts, ignore_index=True)[[*parts[-1].columns]]
    totals = make_totals(years, v_rows[:, i0].sum(axis=0), v_rows[:, it].sum(axis=0))
    return finish(method, tuple(names), detail, totals, **kwargs)
