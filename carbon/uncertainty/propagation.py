"""IPCC Approach 1: error propagation for products and sums (IPCC 2006 Vol. 1 Ch. 3).

``U`` is half the 95 % interval as a percentage of the mean (REFERENCES.md, "Uncertainty"):

* a product ``x_1 x_2 ...``:  ``U = sqrt(U_1^2 + U_2^2 + ...)``            (Eq. 3.1)
* a sum ``x_1 + x_2 + ...``:  ``U = sqrt((U_1 x_1)^2 + (U_2 x_2)^2 + ...) / |x_1 + x_2 + ...|``
  (Eq. 3.2)

Both are first-order (linear) propagation of independent errors, valid for small, symmetric
uncertainties (IPCC: a standard deviation below about 30 % of the mean).

Shared factors. As IPCC writes it, Approach 1 treats the factor of each row as independent. A
park's rows share factor rows (one grid factor for every tenant): their errors are one error,
and summing them as independent ones understates the park's uncertainty. :func:`propagate`
with ``correlated=True`` (the default) is the same first-order propagation with that covariance:
for each factor row ``k`` the emissions that depend on it are added *before* squaring,

    (U_T T)^2 = sum_cells (U_c E_c)^2 + sum_k (U_k S_k)^2,   S_k = sum_{rows using k} p E_row

(``p`` = +1 for a factor that multiplies, -1 for a heating value that divides; ``U_c E_c`` the
activity-data part of a cell, independent between input rows). ``correlated=False`` gives the
textbook form, one row of an IPCC uncertainty table per cell (a facility's rows of one source
and year): ``U_cell = sqrt(U_activity^2 + sum (c_k U_k)^2)`` (Eq. 3.1, ``c_k`` the share of the
cell's CO2e that factor ``k`` multiplies), then Eq. 3.2 over the cells as if independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .sources import Sources

__all__ = ["order_table", "product_uncertainty", "propagate", "sum_uncertainty"]

QUANTITIES = {1: "scope1", 2: "scope2_location", 3: "scope3"}


def product_uncertainty(*u):
    """Uncertainty of a product [%] (IPCC 2006 Vol. 1 Ch. 3, Eq. 3.1).

    Parameters
    ----------
    *u : float or array-like
        Uncertainties of the factors [% of their mean].

    Returns
    -------
    float or ndarray
        ``sqrt(sum u_i^2)`` [%].

    Examples
    --------
    REFERENCES.md, "Uncertainty": +-5 % x +-7 % gives +-8.60 %.

    >>> round(product_uncertainty(5.0, 7.0), 2)
    8.6
    """
    out = np.sqrt(np.sum([np.square(np.asarray(x, dtype=float)) for x in u], axis=0))
    return float(out) if np.ndim(out) == 0 else out


def sum_uncertainty(values, u) -> float:
    """Uncertainty of a sum [% of the sum] (IPCC 2006 Vol. 1 Ch. 3, Eq. 3.2).

    Parameters
    ----------
    values : array-like
        The quantities added [any unit, the same for all].
    u : array-like
        Their uncertainties [% of each].

    Returns
    -------
    float
        ``sqrt(sum (u_i x_i)^2) / |sum x_i|`` [%]; NaN when the sum is 0.

    Examples
    --------
    REFERENCES.md, "Uncertainty": 100 t +-10 % plus 50 t +-20 % is 150 t +-9.43 %.

    >>> round(sum_uncertainty([100.0, 50.0], [10.0, 20.0]), 2)
    9.43
    """
    values = np.asarray(values, dtype=float)
    u = np.asarray(u, dtype=float)
    total = values.sum()
    if total == 0:
        return float("nan")
    return float(np.sqrt(np.sum((u * values) ** 2)) / abs(total))


# -- groups -----------------------------------------------------------------------------------
def groupings(sources: Sources) -> list[tuple[pd.DataFrame, np.ndarray, np.ndarray]]:
    """The groups results are reported for, as (labels, group of each cell, weight of each
    cell): per facility and scope; per facility Scope 1 + 2 (``total``); per park scope with the
    netted transfers; the park total (Scope 1 + 2, netted). A cell outside a grouping has -1."""
    cells = sources.cells
    code, scope = cells["code"].to_numpy(), cells["scope"].to_numpy()
    weight = cells["weight"].to_numpy()
    ones = np.ones(len(cells))
    out = []
    pair = code * 4 + scope
    present, group = np.unique(pair, return_inverse=True)
    labels = pd.DataFrame({"facility": sources.facilities[present // 4],
                           "quantity": [QUANTITIES[s] for s in present % 4]})
    out.append((labels, group.ravel(), ones))
    energy = np.isin(scope, (1, 2))
    present, group = np.unique(code[energy], return_inverse=True)
    full = np.full(len(cells), -1)
    full[energy] = group.ravel()
    out.append((pd.DataFrame({"facility": sources.facilities[present], "quantity": "total"}),
                full, ones))
    present, group = np.unique(scope, return_inverse=True)
    out.append((pd.DataFrame({"facility": "", "quantity": [QUANTITIES[s] for s in present]}),
                group.ravel(), weight))
    out.append((pd.DataFrame({"facility": [""], "quantity": ["total"]}),
                np.where(energy, 0, -1), weight))
    return out


def _bincount(group: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    keep = group >= 0
    return np.bincount(group[keep], weights=values[keep], minlength=n)


def _factor_variance(sources: Sources, group: np.ndarray, weighted: np.ndarray, n: int,
                     u_factor: np.ndarray) -> np.ndarray:
    """Sum over factor rows of (U_k S_k)^2 per group, S_k added over the group's rows."""
    cells = sources.cells
    keep = group >= 0
    frame = pd.DataFrame({"group": group[keep], "combo": cells["combo"].to_numpy()[keep],
                          "e": weighted[keep]})
    per_combo = frame.groupby(["group", "combo"], as_index=False)["e"].sum()
    uses = per_combo.merge(sources.combo_factors(), on="combo")
    uses["s"] = uses["e"] * uses["coef"]
    s = uses.groupby(["group", "factor"], as_index=False)["s"].sum()
    contribution = (s["s"].to_numpy() * u_factor[s["factor"].to_numpy()]) ** 2
    return np.bincount(s["group"].to_numpy(), weights=contribution, minlength=n)


def _cell_factor_u2(sources: Sources, u_factor: np.ndarray) -> np.ndarray:
    """Per cell: sum over its factor rows of (coef_k U_k)^2, the factors drawn for the cell
    alone [%^2]."""
    per_combo = sources.combo_factors()
    values = (per_combo["coef"].to_numpy() * u_factor[per_combo["factor"].to_numpy()]) ** 2
    u2 = np.bincount(per_combo["combo"].to_numpy(), weights=values,
                     minlength=len(sources.combos))
    return u2[sources.cells["combo"].to_numpy()]


def propagate(sources: Sources, correlated: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Approach 1 for every facility, scope and the park.

    Parameters
    ----------
    sources : Sources
    correlated : bool
        True: factor rows shared between rows are one error (first-order propagation with
        their covariance). False: the textbook Approach 1, every cell (facility x source)
        with its own, independent factor errors.

    Returns
    -------
    table : DataFrame
        ``facility`` ('' for the park), ``quantity`` (scope1, scope2_location, scope3,
        total), ``estimate`` [t CO2e], ``mean`` (= estimate), ``lower``, ``upper`` (estimate
        -+ U) [t CO2e], ``u_percent`` [%] (NaN when the estimate is 0).
    contributions : DataFrame
        Share of the park total's variance per source: ``source``, ``kind`` ('factor' or
        'activity data'), ``u`` [%], ``co2e`` [t CO2e it multiplies], ``share`` [0-1].
    """
    cells = sources.cells
    e = cells["co2e"].to_numpy()
    u_factor = sources.factors["u"].to_numpy(dtype=float)
    var_activity = cells["var_u"].to_numpy()
    parts = []
    for labels, group, weight in groupings(sources):
        n = len(labels)
        estimate = _bincount(group, weight * e, n)
        if correlated:
            variance = _bincount(group, weight ** 2 * var_activity, n) + _factor_variance(
                sources, group, weight * e, n, u_factor)
        else:
            own = weight ** 2 * (var_activity + e ** 2 * _cell_factor_u2(sources, u_factor))
            variance = _bincount(group, own, n)
        half = np.sqrt(variance) / 100.0  # [t CO2e]
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.where(estimate != 0, half / np.abs(estimate) * 100.0, np.nan)
        parts.append(labels.assign(estimate=estimate, mean=estimate, lower=estimate - half,
                                   upper=estimate + half, u_percent=u))
    table = pd.concat(parts, ignore_index=True)
    return order_table(table), contributions(sources, correlated)


def order_table(table: pd.DataFrame) -> pd.DataFrame:
    """Facilities in id order (scopes, then total), the park last."""
    rank = {"scope1": 0, "scope2_location": 1, "scope3": 2, "total": 3}
    key = table.assign(_park=table["facility"] == "", _q=table["quantity"].map(rank))
    return key.sort_values(["_park", "facility", "_q"], kind="stable").drop(
        columns=["_park", "_q"]).reset_index(drop=True)


def contributions(sources: Sources, correlated: bool = True) -> pd.DataFrame:
    """Share of the park total's Approach 1 variance per factor row and per activity."""
    cells = sources.cells
    energy = cells["scope"].isin((1, 2)).to_numpy()
    weighted = (cells["co2e"] * cells["weight"]).to_numpy()
    u_factor = sources.factors["u"].to_numpy(dtype=float)
    if correlated:
        frame = pd.DataFrame({"combo": cells["combo"].to_numpy()[energy],
                              "e": weighted[energy]}).groupby("combo", as_index=False)["e"].sum()
        uses = frame.merge(sources.combo_factors(), on="combo")
        s = (uses["e"] * uses["coef"]).groupby(uses["factor"]).sum()
        factor_var = (s * u_factor[s.index.to_numpy()]) ** 2
        activity_var = pd.Series(cells["var_u"].to_numpy()[energy]
                                 * cells["weight"].to_numpy()[energy] ** 2).groupby(
            cells["activity"].to_numpy()[energy]).sum()
    else:
        per_combo = sources.combo_factors()
        cell = pd.DataFrame({"combo": cells["combo"].to_numpy()[energy],
                             "e": weighted[energy]})
        uses = cell.merge(per_combo, on="combo")
        factor_var = ((uses["e"] * uses["coef"]).to_numpy() * u_factor[uses["factor"]]) ** 2
        factor_var = pd.Series(factor_var).groupby(uses["factor"].to_numpy()).sum()
        activity_var = pd.Series(cells["var_u"].to_numpy()[energy]
                                 * cells["weight"].to_numpy()[energy] ** 2).groupby(
            cells["activity"].to_numpy()[energy]).sum()
    total = float(factor_var.sum() + activity_var.sum())
    factors = sources.factors
    used = factors["co2e"].to_numpy()
    rows = [{"source": factors["factor_id"].iat[k], "kind": "factor",
             "u": float(u_factor[k]), "co2e": float(used[k]), "variance": float(v)}
            for k, v in factor_var.items()]
    act = sources.activity.groupby("activity")["u"].max()
    co2e_by_activity = pd.Series(weighted[energy]).groupby(
        cells["activity"].to_numpy()[energy]).sum()
    rows += [{"source": f"activity data: {a}", "kind": "activity data",
              "u": float(act.get(a, np.nan)), "co2e": float(co2e_by_activity.get(a, 0.0)),
              "variance": float(v)} for a, v in activity_var.items()]
    frame = pd.DataFrame(rows, columns=["source", "kind", "u", "co2e", "variance"])
    frame["share"] = frame["variance"] / total if total > 0 else np.nan
    return frame.sort_values("share", ascending=False, ignore_index=True).drop(
        columns="variance")
