"""The Inventory: totals, breakdowns, energy, intensities and the per-row ledger.

Totals come from the cells (quantity per facility and resolved combination) times each
combination's coefficients: a few ``np.bincount`` calls however many rows went in. The monthly
``facts`` and ``energy`` tables and the per-row ledger are built on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from .errors import NotAvailableError, ParameterError, one_of
from .io import Table
from .kernel import Rows, group_sum, in_halves
from .park import net_transfers
from .schema import numbers
from .tables import CARRIERS
from .units import gwp as gwp_value

__all__ = ["Inventory", "RowLevel"]

CELL_CHUNK = 1 << 20  # cells per pass in per-facility sums: bounds their temporaries
DIMENSIONS = ("facility", "facility_code", "sector", "region", "year", "month", "activity",
              "scope", "category", "carrier", "gas")
VALUES = ("co2e", "co2e_market", "emissions")


@dataclass
class RowLevel:
    """What the ledger and the monthly tables need of the input rows (in-memory accounting)."""

    rows: Rows
    good: np.ndarray
    combo_of_pair: np.ndarray  # (region code x n_local + local) -> combination, -1 if none
    source: Table

    def combo(self) -> np.ndarray:
        """Resolved combination of each input row; -1 for rejected rows."""
        rows = self.rows
        region = rows.facility_region[rows.facility]
        pair = region.astype(np.int64) * len(rows.locals) + np.maximum(rows.local, 0)
        return np.where(self.good, self.combo_of_pair[pair], -1)


class Inventory:
    """A park inventory in t CO2e under one GWP set and one factor profile.

    Build it with :func:`carbon.account`. Facility figures follow enterprise accounting (a
    buyer's Scope 2 holds what it bought from a neighbour); park figures (:meth:`total`,
    :meth:`summary`) count the park as a territory, with intra-park transfers netted.
    """

    def __init__(self, *, cells: pd.DataFrame, facility_ids: np.ndarray, combos: pd.DataFrame,
                 gases: pd.DataFrame, facilities: pd.DataFrame, transfers: pd.DataFrame,
                 fallbacks, profile: str, gwp: str, library, rows_input: int,
                 rejected: pd.DataFrame, row_level: RowLevel | None = None,
                 user_factors: list | tuple = ()):
        self.profile, self.gwp = profile, gwp
        self.facilities = facilities
        self.rejected = rejected
        self.rows = {"input": int(rows_input), "accounted": int(rows_input - len(rejected)),
                     "rejected": len(rejected)}
        self._row_level = row_level
        #: The user's factor rows by factor_id (their sources and uncertainties).
        self.user_factors = {f.factor_id: f for f in user_factors}
        self._combos, self._library = combos, library
        self._facility_ids = facility_ids
        self._gases = gases.assign(gwp=[gwp_value(g, gwp, o or None)
                                        for g, o in zip(gases["gas"], gases["origin"],
                                                        strict=True)])
        self._cells = cells
        self._fallbacks = fallbacks
        # Per combination: t CO2e (location, market) and tce per unit as written.
        n = len(combos)
        combo_of_gas = self._gases["combo"].to_numpy()
        weight = self._gases["gwp"].to_numpy()
        self._co2e = np.bincount(combo_of_gas, self._gases["location"].to_numpy() * weight,
                                 minlength=n)
        self._co2e_market = np.bincount(combo_of_gas,
                                        self._gases["market"].to_numpy() * weight, minlength=n)
        self._scope_of = combos["scope"].to_numpy(dtype=np.int64)
        if len(transfers):
            carriers = combos["activity"].isin(CARRIERS).to_numpy()
            bought = cells[carriers[cells["combo"].to_numpy()]].assign(month=0)
            self.transfers, self._netted_gas = net_transfers(
                transfers, self._facts(bought), self._energy(bought))
        else:
            self.transfers, self._netted_gas = net_transfers(transfers, None, None)

    # -- building the tidy tables ------------------------------------------------------------
    def _with_attributes(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Attach combination and facility attributes by integer gathers (no string joins)."""
        combo = frame["combo"].to_numpy()
        for column in ("activity", "year", "scope", "category", "carrier", "instrument"):
            frame[column] = self._combos[column].to_numpy()[combo]
        code = frame["facility_code"].to_numpy()
        frame.insert(0, "facility", self._facility_ids[code])
        for column, per_facility in self._facility_attributes.items():
            frame[column] = per_facility[code]
        return frame

    @cached_property
    def _facility_attributes(self) -> dict[str, np.ndarray]:
        """Sector and region of each facility code ("" for ids the facility table lacks)."""
        table = self.facilities
        position = pd.Index(table.index.to_numpy(dtype=object), dtype=object).get_indexer(
            np.asarray(self._facility_ids, dtype=object))
        out = {}
        for column in ("sector", "region"):
            values = (table[column].fillna("").to_numpy(dtype=object) if column in table
                      else np.full(len(table), "", dtype=object))
            out[column] = np.append(values, "")[position]  # position -1 takes the ""
        return out

    def _facts(self, cube: pd.DataFrame) -> pd.DataFrame:
        """Emissions per facility, month, combination and gas: t of gas and t CO2e."""
        facts = cube[["facility_code", "month", "combo", "quantity"]].merge(self._gases,
                                                                            on="combo")
        facts["emissions"] = facts["quantity"] * facts["location"]
        facts["co2e"] = facts["emissions"] * facts["gwp"]
        facts["co2e_market"] = facts["quantity"] * facts["market"] * facts["gwp"]
        return self._with_attributes(facts[["facility_code", "month", "combo", "gas",
                                            "emissions", "co2e", "co2e_market"]])

    def _energy(self, cube: pd.DataFrame) -> pd.DataFrame:
        """Energy use per facility, month and combination: GJ (energy units only) and tce."""
        energy = cube[["facility_code", "month", "combo", "quantity"]].join(
            self._combos[["tce", "to_canonical", "dimension"]], on="combo")
        energy["tce"] = energy["quantity"] * energy["tce"]
        energy["gj"] = np.where(energy["dimension"] == "energy",
                                energy["quantity"] * energy["to_canonical"], 0.0)
        energy = self._with_attributes(energy[["facility_code", "month", "combo", "gj", "tce"]])
        return energy[energy["carrier"] != ""].reset_index(drop=True)

    @cached_property
    def _monthly(self) -> pd.DataFrame:
        """Quantity per facility, month and combination (the cells when there are no months,
        or when the inventory was accounted in partitions, which keep no rows)."""
        level = self._row_level
        if level is None or not (level.rows.month[level.good] > 0).any():
            return self._cells.assign(month=0)
        rows = level.rows
        combo = level.combo()
        good = np.flatnonzero(combo >= 0)
        n_combo = max(len(self._combos), 1)
        key = (rows.facility[good].astype(np.int64) * 13 + rows.month[good]) * n_combo
        key += combo[good]
        present, quantity = group_sum(key, rows.quantity[good],
                                      len(self._facility_ids) * 13 * n_combo)
        facility_month, combo_code = np.divmod(present, n_combo)
        facility, month = np.divmod(facility_month, 13)
        return pd.DataFrame({"facility_code": facility, "month": month, "combo": combo_code,
                             "quantity": quantity})

    @cached_property
    def facts(self) -> pd.DataFrame:
        """Emissions per facility, month, combination and gas, with their attributes.

        Columns: facility, facility_code, month (0 when not given), combo, gas, emissions
        [t gas], co2e, co2e_market [t CO2e], activity, year, scope, category, carrier, sector,
        region. Enterprise view: intra-park transfers are not netted here.
        """
        return self._facts(self._monthly)

    @cached_property
    def energy(self) -> pd.DataFrame:
        """Energy use per facility, month and combination: gj [GJ, energy units only], tce."""
        return self._energy(self._monthly)

    # -- park totals -------------------------------------------------------------------------
    def _cell_sum(self, per_combo: np.ndarray, scope: int | None = None) -> np.ndarray:
        """Per cell: quantity x a per-combination coefficient, optionally one scope only."""
        if scope is not None:  # zero outside the scope, on the combinations (few), not the cells
            per_combo = np.where(self._scope_of == scope, per_combo, 0.0)
        return self._cells["quantity"].to_numpy() * per_combo[self._cells["combo"].to_numpy()]

    def _scope(self, scope: int, basis: str = "location") -> float:
        per_combo = self._co2e_market if basis == "market" else self._co2e
        return float(self._cell_sum(per_combo, scope).sum())

    @property
    def netted(self) -> dict[str, float]:
        """What intra-park transfers take out of the park's Scope 2 and energy use."""
        return {"scope2_location": float(self.transfers["co2e_location"].sum()),
                "scope2_market": float(self.transfers["co2e_market"].sum()),
                "energy_tce": float(self.transfers["tce"].sum())}

    def scope2(self, basis: str = "location") -> float:
        """Park Scope 2 [t CO2e], location- or market-based, transfers netted."""
        if basis not in ("location", "market"):
            raise ParameterError("basis", "Inventory.scope2", "one of {'location', 'market'}",
                                 basis)
        return self._scope(2, basis) - self.netted[f"scope2_{basis}"]

    def total(self, basis: str = "location") -> float:
        """Park total [t CO2e] = Scope 1 + Scope 2 (transfers netted); Scope 3 is separate."""
        return self._scope(1) + self.scope2(basis)

    def energy_tce(self) -> float:
        """Park energy use [tce], equivalent-value method, transfers netted."""
        tce = self._combos["tce"].to_numpy() if len(self._combos) else np.array([])
        return float(self._cell_sum(tce).sum()) - self.netted["energy_tce"]

    # -- breakdowns --------------------------------------------------------------------------
    def by(self, *dimensions: str, value: str = "co2e") -> pd.Series:
        """Sum of ``value`` grouped by ``dimensions`` (enterprise view, transfers not netted).

        ``dimensions`` from facility, sector, region, year, month, activity, scope, category,
        carrier, gas; ``value`` is co2e or co2e_market [t CO2e], or emissions [t of each gas].
        """
        for d in dimensions:
            if d not in DIMENSIONS:
                raise ParameterError("dimensions", "Inventory.by", f"in {DIMENSIONS}", d)
        if value not in VALUES:
            raise ParameterError("value", "Inventory.by", one_of(VALUES), value)
        if value == "emissions" and "gas" not in dimensions:
            raise ParameterError("dimensions", "Inventory.by", "to include 'gas' when summing "
                                 "emissions in t of each gas", dimensions)
        if not dimensions:
            return pd.Series({"total": self.facts[value].sum()}, name=value)
        return self.facts.groupby(list(dimensions))[value].sum().rename(value)

    def by_facility(self) -> pd.DataFrame:
        """Per facility [t CO2e]: scope1, scope2_location, scope2_market, scope3, total; tce."""
        tce = self._combos["tce"].to_numpy() if len(self._combos) else np.array([])
        # A facility with no rows of a scope has none of it: zero is "not occurring" here.
        columns = {"scope1": self._in_scope(self._co2e, 1),
                   "scope2_location": self._in_scope(self._co2e, 2),
                   "scope2_market": self._in_scope(self._co2e_market, 2),
                   "scope3": self._in_scope(self._co2e, 3), "energy_tce": tce}
        sums, rows = self._per_facility(list(columns.values()))
        table = pd.DataFrame(dict(zip(columns, sums, strict=True)),
                             index=pd.Index(self._facility_ids, name="facility"))
        table["total"] = table["scope1"] + table["scope2_location"]
        return table.loc[rows > 0, ["scope1", "scope2_location", "scope2_market", "scope3",
                                    "total", "energy_tce"]].sort_index()

    def _in_scope(self, per_combo: np.ndarray, scope: int) -> np.ndarray:
        return np.where(self._scope_of == scope, per_combo, 0.0)

    def _per_facility(self, per_combo: list[np.ndarray]) -> tuple[list[np.ndarray], np.ndarray]:
        """Per facility, the sum over its cells of quantity x each per-combination coefficient,
        and its number of cells: half the cells on each thread (``bincount`` releases the
        GIL), a chunk at a time, so the temporaries stay small."""
        n = len(self._facility_ids)
        code = self._cells["facility_code"].to_numpy()
        combo = self._cells["combo"].to_numpy()
        quantity = self._cells["quantity"].to_numpy()

        def sums_over(start: int, stop: int) -> tuple[list[np.ndarray], np.ndarray]:
            sums = [np.zeros(n) for _ in per_combo]
            cells = np.zeros(n, dtype=np.int64)
            for first in range(start, stop, CELL_CHUNK):
                part = slice(first, min(first + CELL_CHUNK, stop))
                where = code[part].astype(np.intp)  # what bincount wants: converted once
                cells += np.bincount(where, minlength=n)
                for total, coefficient in zip(sums, per_combo, strict=True):
                    total += np.bincount(where, quantity[part] * coefficient[combo[part]],
                                         minlength=n)
            return sums, cells

        (first_sums, first_cells), (sums, cells) = in_halves(len(code), 2, sums_over)
        for total, first in zip(sums, first_sums, strict=True):
            total += first
        return sums, cells + first_cells

    def by_gas(self) -> dict[str, float]:
        """t of each gas in Scope 1 and 2 (location-based), transfers netted: what total() sums."""
        n = len(self._combos)
        per_combo = np.bincount(self._cells["combo"].to_numpy(),
                                weights=self._cells["quantity"].to_numpy(), minlength=n)
        gases = self._gases
        combo = gases["combo"].to_numpy()
        counted = np.isin(self._scope_of[combo], (1, 2)) if n else np.array([], bool)
        emissions = pd.Series(per_combo[combo] * gases["location"].to_numpy(),
                              index=gases["gas"].to_numpy())[counted]
        direct = emissions.groupby(level=0).sum()
        netted = self._netted_gas.set_index("gas")["emissions"] if len(self._netted_gas) else 0
        return {gas: float(v) for gas, v in direct.sub(netted, fill_value=0.0).items()}

    def by_scope(self) -> pd.Series:
        return self.by("scope")

    def by_category(self) -> pd.Series:
        return self.by("scope", "category")

    def by_activity(self) -> pd.Series:
        return self.by("activity")

    def by_year(self) -> pd.Series:
        return self.by("year")

    def intensities(self) -> pd.DataFrame:
        """Per facility: t CO2e and tce per unit of value added and of output.

        A facility without value added or output gets NaN ("not computable"), never zero.
        """
        table = self.by_facility()[["total", "energy_tce"]]
        out = pd.DataFrame(index=table.index)
        for column in ("value_added", "output"):
            denominator = (self.facilities[column].reindex(table.index)
                           if column in self.facilities else pd.Series(np.nan, index=table.index))
            denominator = denominator.where(denominator > 0)
            unit = (self.facilities[f"{column}_unit"].reindex(table.index)
                    if f"{column}_unit" in self.facilities else "")
            out[f"co2e_per_{column}"] = table["total"] / denominator
            out[f"tce_per_{column}"] = table["energy_tce"] / denominator
            out[f"{column}_unit"] = unit
        return out

    # -- provenance --------------------------------------------------------------------------
    @property
    def fallbacks(self) -> pd.DataFrame:
        """Factors taken from a wider region or an earlier year, and why."""
        rows = [{"activity": f.activity, "parameter": f.parameter, "region": f.region,
                 "year": f.year, "used_region": f.used_region, "used_year": f.used_year,
                 "factor_id": f.factor_id, "reason": f.reason} for f in self._fallbacks]
        columns = ["activity", "parameter", "region", "year", "used_region", "used_year",
                   "factor_id", "reason"]
        return pd.DataFrame(rows, columns=columns).sort_values(columns[:4], ignore_index=True)

    def factors_used(self) -> pd.DataFrame:
        """Every factor row the inventory used, with value, unit, source and confidence."""
        ids = set()
        for text in self._gases["factor_id"]:
            ids.update(part.strip() for chunk in text.replace(" | market: ", " x ").split(" x ")
                       for part in chunk.split(" / "))
        ids.update(self._combos["tce_factor_id"])
        table = self._library.factors
        if self.user_factors:
            table = pd.concat([pd.DataFrame([f.__dict__ for f in self.user_factors.values()]),
                               table], ignore_index=True)
        return table[table["factor_id"].isin(ids)].reset_index(drop=True)

    # -- per-row ledger ----------------------------------------------------------------------
    @cached_property
    def ledger(self) -> pd.DataFrame:
        """One row per accounted input row and gas, with ``factor_id`` (built on first use)."""
        level = self._row_level
        if level is None:
            raise NotAvailableError(
                "an inventory accounted in partitions (Dask, or a Parquet folder streamed by row "
                "group) keeps no rows, so it has no per-row ledger; account a partition, or the "
                "data in memory, to get one")
        frame = level.source.frame
        row_combo = level.combo()
        positions = np.flatnonzero(row_combo >= 0)
        gases = self._gases.sort_values(["combo", "gas"], kind="stable")
        per_combo = np.bincount(gases["combo"], minlength=len(self._combos))
        first = np.concatenate([[0], np.cumsum(per_combo)[:-1]])
        combo = row_combo[positions]
        repeat = per_combo[combo]
        row = np.repeat(positions, repeat)
        within = np.arange(len(row)) - np.repeat(np.cumsum(repeat) - repeat, repeat)
        g = first[np.repeat(combo, repeat)] + within  # index into the sorted gas table
        combo_of = gases["combo"].to_numpy()[g]
        quantity = numbers(frame["quantity"])[0][row]
        gwp = gases["gwp"].to_numpy()[g]
        location, market = gases["location"].to_numpy()[g], gases["market"].to_numpy()[g]
        attrs = {c: self._combos[c].to_numpy()[combo_of]
                 for c in ("year", "activity", "unit", "scope", "category")}
        facility = frame["facility"].astype(str).str.strip().to_numpy()[row]
        month = level.rows.month[row]
        ledger = pd.DataFrame({
            "row": level.source.row_number(row), "facility": facility, "year": attrs["year"],
            "month": month, "activity": attrs["activity"], "quantity": quantity,
            "unit": attrs["unit"], "scope": attrs["scope"], "category": attrs["category"],
            "gas": gases["gas"].to_numpy()[g], "emissions": quantity * location,
            "co2e": quantity * location * gwp, "co2e_market": quantity * market * gwp,
            "factor_id": gases["factor_id"].to_numpy()[g],
        })
        extra = [c for c in frame.columns if c not in ledger.columns and c not in (
            "quantity", "unit", "activity", "facility", "year", "month")]
        for column in extra:
            ledger[column] = frame[column].to_numpy()[row]
        return ledger

    # -- the JSON report ---------------------------------------------------------------------
    def summary(self) -> dict:
        """The object ``parkcarbon account --format json`` prints (DESIGN.md, Outputs)."""
        facilities = self.by_facility()
        scope1 = self._scope(1)
        return {
            "unit": "t CO2e", "gwp": self.gwp, "profile": self.profile,
            "total": self.total(), "total_market": self.total("market"),
            "scope1": scope1, "scope2_location": self.scope2("location"),
            "scope2_market": self.scope2("market"), "scope3": self._scope(3),
            "by_gas": self.by_gas(),
            "by_facility": {f: dict(zip(facilities.columns, values, strict=True))
                            for f, values in zip(facilities.index.tolist(),
                                                 facilities.to_numpy().tolist(), strict=True)},
            "energy_tce": self.energy_tce(),
            "rows": dict(self.rows),
            "years": sorted(int(y) for y in self._combos["year"].unique()),
            "transfers_netted": self.netted,
            "fallbacks": len(self._fallbacks),
        }

    def __repr__(self) -> str:
        return (f"<Inventory {self.total():,.1f} t CO2e ({self.gwp}, profile {self.profile}); "
                f"{self.rows['accounted']} of {self.rows['input']} rows accounted>")
