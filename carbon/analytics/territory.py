"""The park as a territory, row by row: what intra-park purchases take out of each row.

:class:`~carbon.inventory.Inventory` nets intra-park energy sales out of the park *totals*
(``carbon/park.py``): each transfer takes a share of the buyer's purchase of that carrier in
that year, at the buyer's own average. The same shares, applied to the buyer's rows, give a
territorial copy of ``Inventory.facts`` and ``Inventory.energy`` whose every breakdown (sector,
carrier, facility, month, gas) adds up to the park total. A facility's territorial figure is
then its *contribution* to the park total: its enterprise figure minus what it bought from
neighbours.

Restricting the transfers to a set of ``members`` gives the territory of another boundary:
a purchase from a seller outside the boundary is a purchase from outside, counted in Scope 2.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..inventory import Inventory
from ..units import registry

__all__ = ["COUNTED_SCOPES", "SUPPLY_COAL_RATE", "Territory", "supply_rate_tce_per_gj"]

#: Scopes in the park total (DESIGN.md "Outputs": total = Scope 1 + Scope 2); Scope 3 is apart.
COUNTED_SCOPES = (1, 2)

#: Default thermal supply coal rate for the equal-value method [kgce/kWh]: "about 0.30"
#: (REFERENCES.md, GB/T 2589-2020; the year's national rate is published by the NBS).
SUPPLY_COAL_RATE = 0.30

_KEY = ["facility", "year", "activity"]
_FACT_VALUES = ("emissions", "co2e", "co2e_market")
_ENERGY_VALUES = ("gj", "tce", "tce_equal_value", "non_fossil_tce", "non_fossil_tce_equal_value")


def supply_rate_tce_per_gj(rate: float) -> float:
    """A supply coal rate [kgce/kWh] as tce per GJ of electricity, through the unit registry.

    >>> round(supply_rate_tce_per_gj(0.30), 6)   # 0.30 kgce / 3.6 MJ = 0.083333 tce/GJ
    0.083333
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate < 1:
        raise ParameterError("supply_coal_rate", "carbon.analytics", "a number of kgce per kWh "
                             "between 0 and 1 (about 0.30 for China's thermal power)", rate)
    return float(registry().Quantity(rate, "kgce / kWh").to("tce / GJ").magnitude)


class Territory:
    """Facts and energy of an inventory with the equal-value energy and non-fossil columns.

    Parameters
    ----------
    inventory : Inventory
    supply_coal_rate : float
        Thermal supply coal rate for the equal-value method [kgce/kWh].

    Notes
    -----
    ``energy`` gains ``tce_equal_value`` [tce]: electricity at the supply coal rate (the
    equal-value method, 等价值), every other carrier as in ``tce`` (the equivalent value, 当量值,
    GB/T 2589-2020), and ``non_fossil_tce`` [tce]: electricity bought with a green certificate
    or under a green-power contract (DESIGN.md "Input tables", ``instrument``).
    """

    def __init__(self, inventory: Inventory, supply_coal_rate: float = SUPPLY_COAL_RATE):
        if not isinstance(inventory, Inventory):
            raise ParameterError("inventory", "carbon.analytics", "a carbon.Inventory "
                                 "(from carbon.account)", type(inventory).__name__)
        self.inventory = inventory
        self.supply_coal_rate = supply_coal_rate
        rate = supply_rate_tce_per_gj(supply_coal_rate)
        self.facts = inventory.facts
        energy = inventory.energy.copy()
        electricity = (energy["carrier"] == "electricity").to_numpy()
        energy["tce_equal_value"] = np.where(electricity, energy["gj"].to_numpy() * rate,
                                             energy["tce"].to_numpy())
        green = (energy["instrument"] != "").to_numpy() & electricity
        energy["non_fossil_tce"] = np.where(green, energy["tce"].to_numpy(), 0.0)
        energy["non_fossil_tce_equal_value"] = np.where(
            green, energy["tce_equal_value"].to_numpy(), 0.0)
        self.energy = energy
        present = pd.concat([self.facts[["facility", "year", "sector"]],
                             energy[["facility", "year", "sector"]]])
        #: (facility, year) pairs with at least one record, and the facility's sector.
        self.presence = (present.drop_duplicates(["facility", "year"])
                         .sort_values(["year", "facility"], ignore_index=True))
        self.years: tuple[int, ...] = tuple(int(y) for y in sorted(self.presence["year"].unique()))
        self._park: tuple[pd.DataFrame, pd.DataFrame] | None = None

    # -- netting -----------------------------------------------------------------------------
    def shares(self, members: Collection[str] | None = None) -> pd.Series:
        """Share of each buyer's purchase bought inside the boundary, by (facility, year, activity).

        ``members`` (default: every facility) restricts the transfers to those whose seller
        and buyer are both members.
        """
        transfers = self.inventory.transfers
        if members is not None and len(transfers):
            inside = transfers["seller"].isin(members) & transfers["buyer"].isin(members)
            transfers = transfers[inside.to_numpy()]
        if not len(transfers):
            index = pd.MultiIndex.from_arrays([[], [], []], names=_KEY)
            return pd.Series([], index=index, dtype=float, name="share")
        frame = transfers.astype({"year": "int64", "share": "float64"})
        frame = frame.rename(columns={"buyer": "facility", "carrier": "activity"})
        return frame.groupby(_KEY)["share"].sum()

    def _kept(self, frame: pd.DataFrame, shares: pd.Series) -> np.ndarray:
        if shares.empty:
            return np.ones(len(frame))
        index = pd.MultiIndex.from_frame(frame[_KEY].astype({"year": "int64"}))
        taken = shares.reindex(index).fillna(0.0).to_numpy()
        return np.clip(1.0 - taken, 0.0, None)

    def netted(self, members: Collection[str] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Territorial facts and energy of the park, or of the boundary ``members``.

        Returns copies of ``facts`` and ``energy`` (restricted to ``members`` when given) whose
        value columns are scaled by the share the buyer did *not* buy inside the boundary, with
        the part taken out in ``co2e_netted`` [t CO2e] and ``tce_netted`` [tce].
        """
        if members is None and self._park is not None:
            return self._park
        facts, energy = self.facts, self.energy
        if members is not None:
            members = set(members)
            facts = facts[facts["facility"].isin(members).to_numpy()]
            energy = energy[energy["facility"].isin(members).to_numpy()]
        shares = self.shares(members)
        facts, energy = facts.copy(), energy.copy()
        kept = self._kept(facts, shares)
        facts["co2e_netted"] = facts["co2e"].to_numpy() * (1.0 - kept)
        for column in _FACT_VALUES:
            facts[column] = facts[column].to_numpy() * kept
        kept = self._kept(energy, shares)
        energy["tce_netted"] = energy["tce"].to_numpy() * (1.0 - kept)
        for column in _ENERGY_VALUES:
            energy[column] = energy[column].to_numpy() * kept
        if members is None:
            self._park = (facts, energy)
        return facts, energy

    def members(self, year: int) -> set[str]:
        """Facilities with records in ``year``."""
        return set(self.presence.loc[self.presence["year"] == year, "facility"])
