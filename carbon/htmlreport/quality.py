"""How sure the figures are: which confidence labels carry the total, and which factors.

Every ledger row names the factor rows it used (``factor_id``: a gas factor, chained through
an NCV with `` x `` or `` / ``; the market-based ones after `` | market: ``). A chain is as sure
as its least sure link, so each location-based chain gets the weakest confidence label of its
factors (``read`` > ``derived`` > ``quoted`` > ``recalled``; a label outside that list, such
as ``user`` for a user's own factor rows, counts as less sure than all of them). Shares are of
the ledger's Scope 1 + 2 location-based t CO2e, summed over years, in the enterprise view
(before intra-park transfers are netted): each t CO2e there was computed with exactly one
chain, so the shares add up to 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NotAvailableError
from ..factors import CONFIDENCE_LABELS, USER_SET
from ..inventory import Inventory

__all__ = ["chain_ids", "confidence_shares", "factor_shares", "quality_tables",
           "weakest_label"]


def chain_ids(factor_id: str) -> list[str]:
    """The factor rows of the location-based part of a ledger ``factor_id``.

    >>> chain_ids("fuels/natural_gas/CO2 x fuels/natural_gas/ncv | market: grid/CN/2022")
    ['fuels/natural_gas/CO2', 'fuels/natural_gas/ncv']
    """
    location = factor_id.split(" | market: ")[0]
    return [part.strip() for chunk in location.split(" x ") for part in chunk.split(" / ")
            if part.strip()]


def weakest_label(labels: list[str]) -> str:
    """The least sure of several confidence labels (unknown labels are the least sure).

    >>> weakest_label(["read", "quoted", "derived"])
    'quoted'
    """
    def rank(name: str) -> int:
        return CONFIDENCE_LABELS.index(name) if name in CONFIDENCE_LABELS else len(
            CONFIDENCE_LABELS)

    return max(labels, key=rank) if labels else "unknown"


def _scope12_by_chain(inventory: Inventory) -> pd.Series:
    """Scope 1 + 2 t CO2e (location-based, enterprise view) per ledger ``factor_id``."""
    ledger = inventory.ledger
    counted = ledger[ledger["scope"].isin((1, 2))]
    return counted.groupby("factor_id")["co2e"].sum()


def _label(factor_id: str, labels: dict[str, str]) -> str:
    if factor_id in labels:
        return labels[factor_id]
    return USER_SET if factor_id.startswith(f"{USER_SET}/") else "unknown"


def _labels(inventory: Inventory) -> dict[str, str]:
    used = inventory.factors_used()
    return dict(zip(used["factor_id"], used["confidence"], strict=True))


def factor_shares(inventory: Inventory) -> pd.DataFrame:
    """Each location-based factor chain with its confidence, t CO2e and share, largest first.

    Columns: ``factor_id`` (the chain), ``confidence`` (its weakest label), ``co2e``
    [t CO2e, Scope 1 + 2, all years, enterprise view], ``share`` [fraction of that sum],
    ``cumulative_share`` [fraction].

    Raises
    ------
    NotAvailableError
        For an inventory accounted in partitions, which keeps no ledger.
    """
    by_chain = _scope12_by_chain(inventory)
    chains = by_chain.groupby(by_chain.index.map(lambda i: " x ".join(chain_ids(i)))).sum()
    labels = _labels(inventory)
    frame = pd.DataFrame({
        "factor_id": chains.index.to_numpy(dtype=object),
        "confidence": [weakest_label([_label(i, labels) for i in chain_ids(c)])
                       for c in chains.index],
        "co2e": chains.to_numpy(dtype=float)})
    total = frame["co2e"].sum()
    frame["share"] = frame["co2e"] / total if total else np.nan
    frame = frame.sort_values("co2e", ascending=False, ignore_index=True)
    frame["cumulative_share"] = frame["share"].cumsum()
    return frame


def confidence_shares(inventory: Inventory) -> pd.DataFrame:
    """t CO2e and share of Scope 1 + 2 carried by each confidence label, surest first.

    Columns: ``confidence``, ``factors`` (how many chains), ``co2e`` [t CO2e], ``share``
    [fraction]; the shares add up to 1.
    """
    chains = factor_shares(inventory)
    grouped = chains.groupby("confidence").agg(factors=("factor_id", "size"),
                                                 co2e=("co2e", "sum"), share=("share", "sum"))
    order = [c for c in CONFIDENCE_LABELS if c in grouped.index] + sorted(
        c for c in grouped.index if c not in CONFIDENCE_LABELS)
    return grouped.loc[order].reset_index()


def quality_tables(inventory: Inventory, top: int = 10) -> dict[str, pd.DataFrame | None]:
    """The data-quality tables of a report, by sheet name.

    ``confidence`` and ``top_factors`` are None for an inventory accounted in partitions (no
    ledger); ``factors_used`` lists every factor row used with its value, unit, confidence
    and source.
    """
    try:
        chains = factor_shares(inventory)
        confidence = confidence_shares(inventory)
    except NotAvailableError:
        chains = confidence = None
    used = _with_user_rows(inventory.factors_used(), chains)
    columns = ["factor_id", "activity", "parameter", "value", "unit", "region", "year",
               "confidence", "source"]
    return {"confidence": confidence,
            "top_factors": chains.head(top) if chains is not None else None,
            "fallbacks": inventory.fallbacks, "rejected": inventory.rejected,
            "factors_used": used[[c for c in columns if c in used.columns]]}


def _with_user_rows(used: pd.DataFrame, chains: pd.DataFrame | None) -> pd.DataFrame:
    """The library rows used, plus the user's own factor rows the ledger names (their
    ``factor_id`` says the table and row they came from)."""
    if chains is None:
        return used
    ids = sorted({i for chain in chains["factor_id"] for i in chain_ids(chain)
                  if i.startswith(f"{USER_SET}/")})
    if not ids:
        return used
    user = pd.DataFrame({"factor_id": ids, "confidence": USER_SET,
                         "activity": [i.split("/")[1] for i in ids],
                         "parameter": [i.split("/")[2].split(" ")[0] for i in ids],
                         "source": [i[i.find("(") + 1:-1] if "(" in i else "" for i in ids]})
    return pd.concat([used, user], ignore_index=True)
