"""The park as a territory: netting intra-park energy sales out of the park total.

A buyer's activity rows hold all the electricity and heat it bought; ``transfers`` say how much
came from a neighbour. The seller's fuel is already in its Scope 1, so the park counts the
transferred energy once, there, and takes it out of the buyers' Scope 2 (and out of park energy
use, which would otherwise count the fuel and the electricity made from it). The part taken out
is the buyer's own average for that carrier and year, so a buyer's green certificates or regional
factor are respected and no buyer's Scope 2 can turn negative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import InvalidTransferError, Problem

__all__ = ["net_transfers"]

_BOUGHT_TOLERANCE = 1e-9  # relative: rounding in unit conversion, not real over-selling


def net_transfers(transfers: pd.DataFrame, facts: pd.DataFrame | None,
                  energy: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What each transfer takes out of the park total.

    Parameters
    ----------
    transfers : DataFrame
        ``seller``, ``buyer``, ``year``, ``carrier``, ``gj`` [GJ], ``row``, ``label``.
    facts : DataFrame
        Emissions per facility, year, activity and gas (``emissions`` [t gas], ``co2e``,
        ``co2e_market`` [t CO2e]); None when there are no transfers.
    energy : DataFrame
        Energy per facility, year and activity (``gj`` [GJ], ``tce`` [tce]); None when there
        are no transfers.

    Returns
    -------
    per_transfer : DataFrame
        The transfers with ``share`` of the buyer's purchase and the netted ``co2e_location``,
        ``co2e_market`` [t CO2e] and ``tce``.
    per_gas : DataFrame
        Netted ``emissions`` [t gas] per gas.
    """
    columns = ["seller", "buyer", "year", "carrier", "gj", "share", "co2e_location",
               "co2e_market", "tce"]
    if transfers.empty:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=["gas", "emissions"])
    key = ["facility", "year", "activity"]
    bought = energy.groupby(key)[["gj", "tce"]].sum()
    lookup = pd.MultiIndex.from_frame(
        transfers[["buyer", "year", "carrier"]].set_axis(key, axis=1))
    held = bought.reindex(lookup).fillna(0.0).to_numpy()
    sold_total = transfers.groupby(["buyer", "year", "carrier"])["gj"].transform("sum").to_numpy()
    _check_not_more_than_bought(transfers, held[:, 0], sold_total)

    share = np.divide(transfers["gj"].to_numpy(), held[:, 0], out=np.zeros(len(transfers)),
                      where=held[:, 0] > 0)
    rates = facts.groupby(key)[["co2e", "co2e_market"]].sum().reindex(lookup).fillna(0.0)
    per_transfer = transfers[["seller", "buyer", "year", "carrier", "gj"]].copy()
    per_transfer["share"] = share
    per_transfer["co2e_location"] = rates["co2e"].to_numpy() * share
    per_transfer["co2e_market"] = rates["co2e_market"].to_numpy() * share
    per_transfer["tce"] = held[:, 1] * share

    by_gas = facts.groupby([*key, "gas"])["emissions"].sum().reset_index()
    weights = per_transfer.assign(facility=per_transfer["buyer"], activity=per_transfer["carrier"])
    netted = by_gas.merge(weights.groupby(key, as_index=False)["share"].sum(), on=key)
    netted["emissions"] *= netted["share"]
    per_gas = netted.groupby("gas", as_index=False)["emissions"].sum()
    return per_transfer.reset_index(drop=True), per_gas


def _check_not_more_than_bought(transfers: pd.DataFrame, held: np.ndarray,
                                sold: np.ndarray) -> None:
    over = sold > held * (1 + _BOUGHT_TOLERANCE) + 1e-12
    if not over.any():
        return
    problems = [
        Problem("transfer", f"{t.buyer} holds {h:,.6g} GJ of {t.carrier} in {t.year} in its "
                f"activity rows, but transfers sell it {s:,.6g} GJ from inside the park",
                file=t.label, row=int(t.row), column="quantity", value=t.written,
                accepted="at most what the buyer's activity rows hold (they hold all the energy "
                "it bought, from the grid and from neighbours)")
        for t, h, s in zip(transfers[over].itertuples(), held[over], sold[over], strict=True)]
    raise InvalidTransferError(problems)
