"""LMDI-I decomposition of an identity V = Σ_i Π_j x_ij between periods.

The engine works on one array of factor values shaped (sub-category, year, factor); every
period pair is decomposed at once. Additive contributions per sub-category and factor are the
one stored result: totals per factor, the multiplicative form and the chained (year-on-year)
cumulation are all derived from them, so the forms can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import ParameterError
from .inputs import prepare

__all__ = ["METHODS", "Decomposition", "lmdi", "logmean"]

METHODS = ("additive", "multiplicative")
FROM, TO = "year_from", "year_to"


def logmean(a, b):
    """Logarithmic mean L(a, b) = (a − b) / (ln a − ln b), with L(a, a) = a and L(a, 0) = 0.

    Parameters
    ----------
    a, b : float, array-like or Series
        Non-negative values [any unit, the same for both].

    Returns
    -------
    float, ndarray or Series
        The logarithmic mean [unit of ``a``], of the same kind as ``a``.

    Notes
    -----
    Computed as (h − l) / log1p((h − l) / l) with h = max(a, b), l = min(a, b) when h/l < 1.5,
    so two nearly equal values lose no digits to cancellation; L(a, 0) = 0 is the limit used
    for zero values (Ang and Liu 2007; Wood and Lenzen 2006).

    References
    ----------
    B.W. Ang (2005), "The LMDI approach to decomposition analysis: a practical guide",
    Energy Policy 33, 867–871, eq. (2).

    Examples
    --------
    >>> logmean(2.0, 1.0)   # 1 / ln 2
    1.4426950408889634
    >>> logmean(5.0, 5.0), logmean(5.0, 0.0)
    (5.0, 0.0)
    """
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if np.any(x < 0) or np.any(y < 0):
        raise ParameterError("a, b", "logmean", "non-negative", "a negative value")
    out = logmean_unchecked(x, y)
    if isinstance(a, pd.Series):
        return pd.Series(out, index=a.index, name=a.name)
    return float(out) if np.ndim(out) == 0 else out


def logmean_unchecked(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    hi, lo = np.maximum(a, b), np.minimum(a, b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d = hi - lo
        r = d / lo
        log_ratio = np.where(r > 0.5, np.log(hi) - np.log(lo), np.log1p(r))
        out = d / log_ratio
    return np.where(d == 0, hi, out)


def contributions(x0: np.ndarray, xt: np.ndarray) -> np.ndarray:
    """Additive LMDI-I contributions of each factor, with the analytical limits at zero.

    Parameters
    ----------
    x0, xt : ndarray, shape (..., F)
        Factor values ≥ 0 in the first and the second period; their product over the last
        axis is the sub-category's value V_i [unit of V].

    Returns
    -------
    ndarray, shape (..., F)
        ΔV_i,j = L(V_i^T, V_i^0) · ln(x_ij^T / x_ij^0) [unit of V]; summed over j it is
        V_i^T − V_i^0 exactly.

    Notes
    -----
    Zeros follow Ang and Liu (2007): replace each zero by the same δ and let δ → 0. The
    limits (Wood and Lenzen 2006 recommend them over a small δ, which converges only like
    1/ln δ):

    * all factors positive in both periods: the formula above;
    * some factors zero in the first period only (the sub-category appears): its whole value
      V_i^T goes to the factors that were zero, in equal parts if there are several; a factor
      positive in both periods gets 0, since L(V^T, δ) → 0 while its log-ratio stays finite;
    * zero in the second period only (it disappears): −V_i^0 to the factors that became zero;
    * V_i zero in both periods (a factor zero throughout, or zero in each period through
      different factors): every contribution is 0.
    """
    pos0, post = np.all(x0 > 0, axis=-1), np.all(xt > 0, axis=-1)
    v0, vt = np.prod(x0, axis=-1), np.prod(xt, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.log(xt / x0)
        ratio = np.where(np.isfinite(ratio), ratio, np.log(xt) - np.log(x0))
        out = np.where((pos0 & post)[..., None], logmean_unchecked(vt, v0)[..., None] * ratio, 0.0)
    for appears, zero, value in ((~pos0 & post, x0 == 0, vt), (pos0 & ~post, xt == 0, -v0)):
        share = value / np.maximum(zero.sum(axis=-1), 1)
        out = np.where(appears[..., None] & zero, share[..., None], out)
    return out


def fill_undefined(values: np.ndarray) -> np.ndarray:
    """Give ratios undefined in a year (0/0: the sub-category is absent) a positive value.

    ``values`` is shaped (sub-category, year, ...). NaN takes the nearest earlier positive
    value of the same sub-category, else the nearest later one, else 1. Under the zero limits
    of :func:`contributions` the value is never used (the absent year has another factor
    exactly 0); it must only be positive, for a 0 copied from a neighbouring year would count
    as a second zero factor.
    """
    moved = np.moveaxis(values, 1, -1)
    flat = moved.reshape(-1, values.shape[1])
    source = pd.DataFrame(np.where(flat > 0, flat, np.nan))
    filled = source.ffill(axis=1).bfill(axis=1).fillna(1.0).to_numpy()
    out = np.where(np.isnan(flat), filled, flat)
    return np.moveaxis(out.reshape(moved.shape), -1, 1)


@dataclass(frozen=True, eq=False)
class Decomposition:
    """Result of an LMDI-I decomposition over one or several consecutive period pairs.

    Attributes
    ----------
    method : {'additive', 'multiplicative'}
        Which form :attr:`effects` shows; both are always available.
    factors : tuple of str
        Effect names, in order.
    detail : DataFrame
        Additive contributions: ``year_from``, ``year_to``, the sub-category key columns,
        ``factor``, ``effect`` [unit]. A key column is empty (NaN) where an effect belongs to
        a whole group (multilevel hierarchical effects).
    totals : DataFrame
        ``value_from``, ``value_to`` [unit] per pair, indexed by (``year_from``, ``year_to``).
    unit : str
        Unit of V.
    labels : dict
        Readable names of the factors, for tables and charts.
    meta : dict
        What the decomposition was made from (GWP set, basis, approach...), for reports.
    table : DataFrame or None
        The factor table that was decomposed, when a builder made it.
    """

    method: str
    factors: tuple[str, ...]
    detail: pd.DataFrame
    totals: pd.DataFrame
    unit: str = ""
    labels: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    table: pd.DataFrame | None = None

    # -- the two forms ---------------------------------------------------------------------
    @property
    def additive(self) -> pd.DataFrame:
        """ΔV_x per pair and factor [unit]; each row sums to V^T − V^0."""
        return self._additive.copy()

    @cached_property
    def _additive(self) -> pd.DataFrame:
        sums = self.detail.groupby([FROM, TO, "factor"], sort=False)["effect"].sum()
        table = sums.unstack("factor").reindex(index=self.totals.index, columns=list(
            self.factors)).fillna(0.0)
        table.columns.name = None
        return table

    @property
    def multiplicative(self) -> pd.DataFrame:
        """D_x = exp(ΔV_x / L(V^T, V^0)) per pair and factor [-]; each row multiplies to
        V^T / V^0 (Ang 2005, LMDI-I multiplicative)."""
        v0, vt = self.totals["value_from"].to_numpy(), self.totals["value_to"].to_numpy()
        if np.any(v0 <= 0) or np.any(vt <= 0):
            raise ParameterError("method", "Decomposition.multiplicative", "'additive' when a "
                                 "compared total is zero or negative (a ratio to or from zero "
                                 "is undefined)", "multiplicative")
        return np.exp(self.additive.div(logmean_unchecked(vt, v0), axis=0))

    @property
    def effects(self) -> pd.DataFrame:
        """Effects per pair in the chosen form: ΔV_x [unit] or D_x [-]."""
        return self.additive if self.method == "additive" else self.multiplicative

    @property
    def change(self) -> pd.Series:
        """V^T − V^0 [unit] (additive) or V^T / V^0 [-] (multiplicative), per pair."""
        v0, vt = self.totals["value_from"], self.totals["value_to"]
        return (vt - v0 if self.method == "additive" else vt / v0).rename("change")

    @property
    def residual(self) -> pd.Series:
        """Change minus the sum (or over the product) of the effects: 0 up to rounding."""
        if self.method == "additive":
            return (self.change - self.effects.sum(axis=1)).rename("residual")
        return (self.change / self.effects.prod(axis=1) - 1.0).rename("residual")

    def cumulative(self) -> pd.DataFrame:
        """Effects cumulated over the consecutive pairs, indexed by (first year, year_to):
        running sums (additive) or products (multiplicative). The last row is the chained
        decomposition of the whole span; its sum (product) is V_last − V_first (ratio)."""
        effects = self.effects
        out = effects.cumsum() if self.method == "additive" else effects.cumprod()
        first = self.totals.index[0][0]
        out.index = pd.MultiIndex.from_arrays(
            [[first] * len(out), out.index.get_level_values(TO)], names=[FROM, TO])
        return out

    def by(self, *columns: str) -> pd.DataFrame:
        """Additive contributions [unit] summed over all pairs, per ``columns`` and factor."""
        missing = [c for c in columns if c not in self.detail.columns]
        if missing or not columns:
            keys = [c for c in self.detail.columns if c not in (FROM, TO, "factor", "effect")]
            raise ParameterError("columns", "Decomposition.by", f"key columns among {keys}",
                                 list(columns))
        table = self.detail.groupby([*columns, "factor"], dropna=False)["effect"].sum()
        out = table.unstack("factor").reindex(columns=list(self.factors)).fillna(0.0)
        out.columns.name = None
        return out

    # -- export ----------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per pair: values, change, effects (chosen form) and residual."""
        out = pd.concat([self.totals, self.change, self.effects, self.residual], axis=1)
        return out.reset_index()

    def to_dict(self) -> dict:
        """A JSON-ready summary: per pair, and over the whole span (chained)."""
        def period(v0, vt, change, effects, residual, pair) -> dict:
            return {"from": int(pair[0]), "to": int(pair[1]), "value_from": float(v0),
                    "value_to": float(vt), "change": float(change),
                    "effects": {k: float(v) for k, v in effects.items()},
                    "residual": float(residual)}

        effects, totals = self.effects, self.totals
        periods = [period(t.value_from, t.value_to, c, effects.loc[pair], r, pair)
                   for (pair, t), c, r in zip(totals.iterrows(), self.change, self.residual,
                                              strict=True)]
        last = self.cumulative().iloc[-1]
        v0, vt = float(totals["value_from"].iloc[0]), float(totals["value_to"].iloc[-1])
        change = vt - v0 if self.method == "additive" else vt / v0
        joined = last.sum() if self.method == "additive" else last.prod()
        residual = change - joined if self.method == "additive" else change / joined - 1.0
        span = (totals.index[0][0], totals.index[-1][1])
        return {"method": self.method, "unit": self.unit, "factors": list(self.factors),
                "labels": {f: self.labels.get(f, f) for f in self.factors}, **self.meta,
                "periods": periods, "total": period(v0, vt, change, last, residual, span)}

    def waterfall(self, ax=None, **kwargs):
        """Waterfall chart of the additive effects; see :func:`carbon.decompose.waterfall`."""
        from .plot import waterfall

        return waterfall(self, ax=ax, **kwargs)


# -- the generic entry point -------------------------------------------------------------------
def lmdi(table, factors: Sequence[str] | None = None, *, key: Sequence[str] | str | None = None,
         year: str = "year", years: Sequence[int] | None = None,
         method: str = "additive") -> Decomposition:
    """Decompose the change of V = Σ_i Π_j x_ij between years by LMDI-I.

    Parameters
    ----------
    table : DataFrame or path
        Factor values per sub-category i and year, wide (the ``key`` columns, ``year`` and one
        column per factor) or long (``key`` columns, ``year``, ``factor``, ``value``). Values
        are ≥ 0 [any units whose product is the unit of V]; missing is not zero: every
        sub-category needs a row in every year compared, with an absent factor written as 0.
    factors : list of str, optional
        Factor columns, in order (wide form); in the long form a selection and order of the
        ``factor`` names (default: all, in order of appearance).
    key : str or list of str, optional
        Sub-category columns (default: every column that is not ``year`` or a factor).
    year : str
        Name of the year column.
    years : list of int, optional
        Years compared, in order: each consecutive pair is decomposed (year-on-year chaining
        for more than two). Default: every year of the table, ascending. ``years=(a, b)``
        gives the direct decomposition from a to b.
    method : {'additive', 'multiplicative'}
        Which form :attr:`Decomposition.effects` shows.

    Returns
    -------
    Decomposition

    Notes
    -----
    Additive LMDI-I (Ang 2005): ΔV_xj = Σ_i L(V_i^T, V_i^0) ln(x_ij^T / x_ij^0);
    multiplicative: D_xj = exp(ΔV_xj / L(V^T, V^0)), so ln D_xj / ln D_tot = ΔV_xj / ΔV_tot.
    Both are exact (no residual). Zero values follow the analytical limits of
    :func:`contributions`. Chained effects (several pairs) telescope: their sum over the
    pairs is V_last − V_first, but differs factor by factor from the direct decomposition.

    References
    ----------
    B.W. Ang (2005), "The LMDI approach to decomposition analysis: a practical guide",
    Energy Policy 33, 867–871. B.W. Ang, N. Liu (2007), "Handling zero values in index
    decomposition analysis", Energy Policy 35, 238–246.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"sector": ["A", "B", "A", "B"], "year": [0, 0, 1, 1],
    ...                   "activity": [100, 100, 120, 120], "structure": [.6, .4, .5, .5],
    ...                   "intensity": [2, 1, 2, .8]})
    >>> lmdi(t, ["activity", "structure", "intensity"]).effects.round(4).to_dict("records")
    [{'activity': 29.8786, 'structure': -12.0874, 'intensity': -9.7912}]
    """
    check_method(method, "lmdi")
    keys, year_list, cube, names, _ = prepare(table, factors, key, year, years, "lmdi")
    return decompose_cube(keys, year_list, cube, names, method)


def check_method(method: str, function: str) -> None:
    if method not in METHODS:
        raise ParameterError("method", function, "one of {'additive', 'multiplicative'}",
                             method)


def pairs(years: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the (from, to) years of each consecutive pair."""
    index = np.arange(len(years))
    return index[:-1], index[1:]


def decompose_cube(keys: pd.DataFrame, years: list[int], cube: np.ndarray,
                   factors: Sequence[str], method: str, **kwargs) -> Decomposition:
    """Decompose a (sub-category, year, factor) array over consecutive years."""
    i0, it = pairs(years)
    x0, xt = cube[:, i0, :], cube[:, it, :]
    effects = contributions(x0, xt)
    totals = make_totals(years, np.prod(x0, axis=-1).sum(axis=0),
                         np.prod(xt, axis=-1).sum(axis=0))
    detail = long_detail(keys, years, effects, list(factors))
    return finish(method, tuple(factors), detail, totals, **kwargs)


def make_totals(years: Sequence[int], v0: np.ndarray, vt: np.ndarray) -> pd.DataFrame:
    i0, it = pairs(years)
    index = pd.MultiIndex.from_arrays([np.asarray(years)[i0], np.asarray(years)[it]],
                                      names=[FROM, TO])
    return pd.DataFrame({"value_from": v0, "value_to": vt}, index=index)


def long_detail(keys: pd.DataFrame, years: Sequence[int], effects: np.ndarray,
                factors: list[str]) -> pd.DataFrame:
    """Long table of an (entity, pair, factor) array of contributions."""
    n, n_pairs, n_factors = effects.shape
    i0, it = pairs(years)
    y = np.asarray(years)
    detail = keys.iloc[np.repeat(np.arange(n), n_pairs * n_factors)].reset_index(drop=True)
    detail.insert(0, FROM, np.tile(np.repeat(y[i0], n_factors), n))
    detail.insert(1, TO, np.tile(np.repeat(y[it], n_factors), n))
    detail["factor"] = np.tile(np.asarray(factors, dtype=object), n * n_pairs)
    detail["effect"] = effects.reshape(-1)
    return detail


def finish(method: str, factors: tuple[str, ...], detail: pd.DataFrame, totals: pd.DataFrame,
           **kwargs) -> Decomposition:
    detail = detail.sort_values([FROM, TO], kind="stable", ignore_index=True)
    result = Decomposition(method, factors, detail, totals, **kwargs)
    if method == "multiplicative":
        result.multiplicative  # noqa: B018 - raises now, not when first shown
    return result
