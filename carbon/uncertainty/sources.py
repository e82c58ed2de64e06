"""Where the uncertainty of each ledger row comes from, and the tables both approaches use.

Every uncertain input is a *multiplier* of its value, described by a :class:`Spread`: the
2.5th and 97.5th percentiles relative to the value, a distribution, and the ``u`` that IPCC
Approach 1 uses. A ledger row (one input row and one gas) is

    co2e = quantity x f_1 x f_2 x ... x gwp

where the ``f`` are the factor rows its ``factor_id`` names (``"A x B"``: a gas factor per energy
times a heating value; ``"A / B"``: divided by it). The activity multiplier belongs to the input
row (all its gases share it); a factor multiplier belongs to the factor row, shared by every
row, facility and gas that uses it. GWP values are not uncertain here (IPCC 2006 Vol. 1 Ch. 3
leaves them out of inventory uncertainty).

Where each spread comes from, first found wins:

1. activity data: the activity row's ``uncertainty`` column [%]; else the default of its
   category (``defaults.toml``);
2. a factor row: the user factor table's ``uncertainty`` column [%]; else the library's 95 %
   range (``lower``/``upper`` columns of ``factors/*.csv``: IPCC 2006 Vol. 2 Table 1.2 NCVs);
   else the default of its kind (``defaults.toml``: CH4/N2O a factor of 3, lognormal; grid,
   heat, process, fugitive, materials and freight are parkcarbon defaults, labelled "assumed").

Cells: the rows of one facility, scope and *combination* (the same gases and factor rows),
whose activity spreads are normal, are summed into one cell before any draw. A sum of
independent normal errors is normal with ``sigma_cell^2 = sum (co2e_r sigma_r)^2 / co2e_cell^2``,
so this changes no result (twelve monthly rows become one cell). Rows with a lognormal activity
spread (``u`` >= 50 %) keep a cell of their own.

Intra-park transfers: the park total takes the share of a buyer's electricity or heat that came
from a neighbour out of its Scope 2 (DESIGN.md); that share is held at its point value, so each
cell carries a park ``weight`` (1 - netted share) and the draws scale with the buyer's own.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError, Problem
from ..factors import Library, library
from ..schema import numbers

__all__ = ["Z95", "Sources", "Spread", "build_sources", "defaults", "from_bounds",
           "lognormal_factor", "normal"]

#: The 97.5th percentile of the standard normal: a 95 % interval is mean +- 1.96 sigma.
Z95 = 1.959963984540054
#: Above this half-width [%] a symmetric spread is taken as lognormal (a normal would go < 0).
LOGNORMAL_ABOVE = 50.0
#: Distribution codes of the draw kernels.
NONE, NORMAL, LOGNORMAL = 0, 1, 2
_KINDS = {"none": NONE, "normal": NORMAL, "lognormal": LOGNORMAL}


@dataclass(frozen=True)
class Spread:
    """An uncertain multiplier of a value.

    Attributes
    ----------
    distribution : {'none', 'normal', 'lognormal'}
    u : float
        Half the 95 % interval [% of the value] for IPCC Approach 1; for an asymmetric
        interval, the larger of the two differences, as IPCC 2006 Vol. 1 Ch. 3 asks.
    low, high : float
        2.5th and 97.5th percentiles relative to the value [1].
    """

    distribution: str
    u: float
    low: float
    high: float

    @property
    def code(self) -> int:
        return _KINDS[self.distribution]

    @property
    def mu(self) -> float:
        """Mean of the log (lognormal) [1]; 0 otherwise."""
        if self.distribution != "lognormal":
            return 0.0
        return (np.log(self.low) + np.log(self.high)) / 2.0

    @property
    def sigma(self) -> float:
        """Standard deviation: of the multiplier (normal) or of its log (lognormal) [1]."""
        if self.distribution == "normal":
            return self.u / 100.0 / Z95
        if self.distribution == "lognormal":
            return (np.log(self.high) - np.log(self.low)) / (2.0 * Z95)
        return 0.0


def normal(u: float) -> Spread:
    """A symmetric spread of half-width ``u`` [%] (lognormal from 50 % on, so never < 0).

    From ``LOGNORMAL_ABOVE`` on, the 97.5th percentile stays at ``1 + u/100`` and the median at
    the value (the 2.5th percentile becomes ``1 / (1 + u/100)``).

    >>> normal(5.0)
    Spread(distribution='normal', u=5.0, low=0.95, high=1.05)
    """
    u = float(u)
    if u < 0 or not np.isfinite(u):
        raise ValueError(f"an uncertainty must be a percentage >= 0, not {u!r}")
    if u == 0:
        return Spread("none", 0.0, 1.0, 1.0)
    if u >= LOGNORMAL_ABOVE:
        return Spread("lognormal", u, 1.0 / (1.0 + u / 100.0), 1.0 + u / 100.0)
    return Spread("normal", u, 1.0 - u / 100.0, 1.0 + u / 100.0)


def lognormal_factor(k: float) -> Spread:
    """A lognormal spread whose 95 % interval is value / k to value x k (median: the value).

    Approach 1 takes the larger difference, ``(k - 1) x 100`` %.

    >>> lognormal_factor(3.0).u
    200.0
    """
    return Spread("lognormal", (k - 1.0) * 100.0, 1.0 / k, float(k))


def from_bounds(value: float, lower: float, upper: float) -> Spread:
    """A spread from a source's 95 % range (``lower`` <= ``value`` <= ``upper``).

    A range whose two half-widths differ by less than 10 % of the larger (and below 50 %) is
    a normal of the mean half-width; any other is a lognormal with its 2.5th and 97.5th
    percentiles at the bounds. Approach 1 takes the larger difference (IPCC 2006 Vol. 1 Ch. 3).

    >>> s = from_bounds(25.8, 19.9, 30.5)    # IPCC 2006 Vol. 2 Table 1.2, bituminous coal NCV
    >>> s.distribution, round(s.u, 2), round(s.low, 4), round(s.high, 4)
    ('lognormal', 22.87, 0.7713, 1.1822)
    """
    low, high = lower / value, upper / value
    below, above = 1.0 - low, high - 1.0
    wider = max(below, above)
    if wider <= 0:
        return Spread("none", 0.0, 1.0, 1.0)
    if abs(above - below) <= 0.1 * wider and wider * 100 < LOGNORMAL_ABOVE:
        u = (high - low) / 2.0 * 100.0
        return Spread("normal", u, 1.0 - u / 100.0, 1.0 + u / 100.0)
    return Spread("lognormal", wider * 100.0, max(low, 1e-9), high)


@cache
def defaults() -> dict[str, dict[str, dict]]:
    """The default spreads of ``defaults.toml``: ``{'activity': {...}, 'factor': {...}}``."""
    text = resources.files(__package__).joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _default_spread(entry: dict) -> Spread:
    if entry.get("distribution") == "lognormal":
        return lognormal_factor(entry["factor"])
    return normal(entry["u"])


@cache
def _library_bounds() -> dict[str, tuple[float, float, float]]:
    """factor_id -> (value, lower, upper) of library rows that give a 95 % range."""
    return {f.factor_id: (f.value, f.lower, f.upper) for f in library().rows
            if f.lower is not None and f.upper is not None}


def factor_kind(parameter: str, category: str, carrier: str) -> str:
    """The default kind of a factor row (a key of ``defaults.toml``'s ``[factor]`` tables).

    >>> factor_kind("CH4", "stationary_combustion", "solid")
    'ch4_n2o'
    >>> factor_kind("CO2", "purchased_electricity", "electricity")
    'grid'
    """
    if category == "fugitive":
        return "fugitive"
    if parameter == "ncv":
        return f"ncv_{carrier}" if carrier in ("solid", "liquid", "gas") else "other"
    if category == "stationary_combustion":
        return "ch4_n2o" if parameter in ("CH4", "N2O") else "fuel_co2"
    return {"purchased_electricity": "grid", "purchased_heat": "heat", "process": "process",
            "embodied_materials": "embodied_materials", "freight": "freight"}.get(category,
                                                                                  "other")


_SPLIT = re.compile(r" (x|/) ")


def parse_chain(text: str) -> list[tuple[str, int]]:
    """The factor rows of a location-based ``factor_id`` with their power (+1, or -1 after /).

    >>> parse_chain("cn/gas/CO2 x cn/gas/ncv | market: other")
    [('cn/gas/CO2', 1), ('cn/gas/ncv', 1)]
    >>> parse_chain("a/CO2 / a/ncv")
    [('a/CO2', 1), ('a/ncv', -1)]
    """
    location = str(text).split(" | market: ")[0].strip()
    parts = _SPLIT.split(location)
    out = [(parts[0].strip(), 1)]
    for op, name in zip(parts[1::2], parts[2::2], strict=True):
        out.append((name.strip(), -1 if op == "/" else 1))
    return out


@dataclass
class Sources:
    """The uncertain inputs of one year of an inventory, in the shape both approaches use.

    Attributes
    ----------
    year : int
    terms : DataFrame
        One row per ledger row (input row x gas) of the year: ``row`` (spreadsheet row),
        ``facility``, ``scope``, ``activity``, ``gas``, ``co2e`` [t CO2e], ``weight`` (park
        share, 1 - netted), ``u_activity`` [%], ``cell``, ``chain``.
    cells : DataFrame
        One row per cell, sorted by facility and scope: ``facility``, ``code`` (facility
        code), ``scope``, ``combo``, ``activity``, ``co2e`` [t CO2e], ``weight``, ``dist``,
        ``mu``, ``sigma`` (the activity multiplier), ``var_u`` (Approach 1: sum of
        ``(co2e_r u_r)^2`` [(t CO2e x %)^2]).
    combos : list of list of (int, float, int)
        Per combination: (chain index, share of the combination's co2e, gas position).
    chains : list of list of (int, int)
        Per chain: (factor index, power).
    factors : DataFrame
        One row per factor row used: ``factor_id``, ``kind``, ``distribution``, ``u`` [%],
        ``low``, ``high``, ``mu``, ``sigma``, ``source``, ``confidence``, ``co2e`` [t CO2e that
        depends on it].
    activity : DataFrame
        One row per input row: ``row``, ``facility``, ``activity``, ``category``, ``u`` [%],
        ``distribution``, ``source``.
    facilities : ndarray
        Facility ids, indexed by ``cells.code``.
    """

    year: int
    terms: pd.DataFrame
    cells: pd.DataFrame
    combos: list
    chains: list
    factors: pd.DataFrame
    activity: pd.DataFrame
    facilities: np.ndarray
    notes: list[str]

    @property
    def estimate(self) -> dict[str, float]:
        """Point estimates [t CO2e]: park scope1, scope2_location (netted), scope3, total."""
        cells = self.cells
        park = cells["co2e"] * cells["weight"]
        by_scope = park.groupby(cells["scope"]).sum()
        s1, s2, s3 = (float(by_scope.get(s, 0.0)) for s in (1, 2, 3))
        return {"scope1": s1, "scope2_location": s2, "scope3": s3, "total": s1 + s2}

    def combo_factors(self) -> pd.DataFrame:
        """Per combination and factor: ``coef`` = sum over its gases of share x power, the
        first-order sensitivity of the combination's co2e to the factor's multiplier [1]."""
        rows = []
        for combo, parts in enumerate(self.combos):
            for chain, share, _ in parts:
                for k, power in self.chains[chain]:
                    rows.append((combo, k, share * power))
        frame = pd.DataFrame(rows, columns=["combo", "factor", "coef"])
        return frame.groupby(["combo", "factor"], as_index=False)["coef"].sum()


def _user_factors(factors, lib: Library) -> dict:
    """factor_id -> Factor of a user factor table (as :func:`carbon.account` reads it)."""
    if factors is None:
        return {}
    if isinstance(factors, list):
        return {f.factor_id: f for f in factors}
    from ..io import read_table
    from ..tables import read_user_factors

    return {f.factor_id: f for f in read_user_factors(read_table(factors, "factors"), lib)}


def _factor_table(ids: list[str], lib: Library, user: dict) -> pd.DataFrame:
    """The spread and source of every factor row in ``ids``."""
    table = lib.factors.set_index("factor_id")
    bounds = _library_bounds()
    table_defaults = defaults()["factor"]
    records, unknown = [], []
    for fid in ids:
        if fid in user:
            row = user[fid]
            activity, parameter, given = row.activity, row.parameter, row.uncertainty
            category = row.category or _category(lib, activity)
        elif fid in table.index:
            row = table.loc[fid]
            activity, parameter, given = row["activity"], row["parameter"], None
            category = _category(lib, activity)
        elif fid.startswith("user/"):
            # A user row the caller did not pass: read it from the id, without its spread.
            parts = fid.split(" (")[0].split("/")
            activity, parameter, given = parts[1], parts[2], None
            category = _category(lib, activity)
            unknown.append(fid)
        else:
            raise ParameterError("inventory", "carbon.uncertainty", "an inventory whose "
                                 "factor_id names factor rows of the library", fid)
        carrier = (lib.activities.at[activity, "carrier"] if activity in lib.activities.index
                   else "")
        kind = factor_kind(parameter, category, carrier)
        if given is not None:
            if not np.isfinite(given) or given < 0:
                raise InputError([Problem("value", "not a percentage >= 0", file=fid,
                                          column="uncertainty", value=given,
                                          accepted="a half-width in % (5 for +-5 %), or empty")])
            spread, source, confidence = normal(given), "user factor table", "user"
        elif fid in bounds:
            value, lower, upper = bounds[fid]
            spread = from_bounds(value, lower, upper)
            source = f"95 % range of {table.loc[fid, 'source']}"
            confidence = table.loc[fid, "confidence"]
        else:
            entry = table_defaults.get(kind, table_defaults["other"])
            spread, source, confidence = _default_spread(entry), entry["source"], entry[
                "confidence"]
        records.append({"factor_id": fid, "activity": activity, "parameter": parameter,
                        "kind": kind, "distribution": spread.distribution, "u": spread.u,
                        "low": spread.low, "high": spread.high, "mu": spread.mu,
                        "sigma": spread.sigma, "source": source, "confidence": confidence})
    frame = pd.DataFrame.from_records(records, columns=[
        "factor_id", "activity", "parameter", "kind", "distribution", "u", "low", "high", "mu",
        "sigma", "source", "confidence"])
    frame.attrs["unknown_user_rows"] = unknown
    return frame


def _category(lib: Library, activity: str) -> str:
    if activity in lib.activities.index:
        return lib.activities.at[activity, "category"]
    return "other"


def _activity_spreads(ledger: pd.DataFrame, lib: Library) -> pd.DataFrame:
    """One row per input row: its activity spread and where it comes from."""
    first = ledger.drop_duplicates("row")
    category = first["category"].astype(str)
    table = defaults()["activity"]
    known = category.where(category.isin(list(table)), "other")
    u = known.map({k: float(v["u"]) for k, v in table.items()}).to_numpy(dtype=float)
    source = known.map({k: v["source"] for k, v in table.items()}).to_numpy(dtype=object)
    confidence = known.map({k: v["confidence"] for k, v in table.items()}).to_numpy(
        dtype=object)
    category = category.to_numpy(dtype=object)
    if "uncertainty" in first.columns:
        given, bad, blank = numbers(first["uncertainty"])
        wrong = bad | (~blank & ((given < 0) | ~np.isfinite(np.nan_to_num(given, nan=0.0))))
        if wrong.any():
            i = int(np.flatnonzero(wrong)[0])
            raise InputError([Problem("value", "not a percentage >= 0", row=int(
                first["row"].iloc[i]), column="uncertainty", value=first["uncertainty"].iloc[i],
                accepted="a half-width in % (5 for +-5 %), or empty")])
        own = ~blank
        u = np.where(own, given, u)
        source = np.where(own, "activities table, column uncertainty", source)
        confidence = np.where(own, "user", confidence)
    distribution = np.where(u == 0, "none", np.where(u >= LOGNORMAL_ABOVE, "lognormal",
                                                     "normal"))
    return pd.DataFrame({"row": first["row"].to_numpy(), "facility": first["facility"].to_numpy(),
                         "activity": first["activity"].to_numpy(), "category": category,
                         "u": u, "distribution": distribution, "source": source,
                         "confidence": confidence})


def _weights(ledger: pd.DataFrame, transfers: pd.DataFrame) -> np.ndarray:
    """Park share of each ledger row: 1 - the share of the buyer's purchase netted out."""
    weight = np.ones(len(ledger))
    if transfers is None or not len(transfers):
        return weight
    netted = transfers.groupby(["buyer", "year", "carrier"])["share"].sum()
    key = pd.MultiIndex.from_arrays([ledger["facility"].astype(str).to_numpy(),
                                     ledger["year"].to_numpy(),
                                     ledger["activity"].astype(str).to_numpy()])
    share = netted.reindex(key).fillna(0.0).to_numpy(dtype=float)
    return np.where(ledger["scope"].to_numpy() == 2, 1.0 - share, 1.0)


def build_sources(inventory, year: int | None = None, factors=None) -> Sources:
    """Collect the uncertain inputs of one year of an inventory.

    Parameters
    ----------
    inventory : Inventory
    year : int, optional
        Reporting year (default: the inventory's latest).
    factors : DataFrame, path or list of Factor, optional
        The user factor table the inventory was accounted with, for its ``uncertainty``
        column (its rows are otherwise taken at the default of their kind, with a note).

    Returns
    -------
    Sources
    """
    lib = library()
    ledger = inventory.ledger
    years = sorted(int(y) for y in pd.unique(ledger["year"]))
    if not years:
        raise ParameterError("inventory", "carbon.uncertainty", "an inventory with accounted "
                             "rows", repr(inventory))
    if year is None:
        year = years[-1]
    if int(year) not in years:
        raise ParameterError("year", "carbon.uncertainty", f"a year of the inventory {years}",
                             year)
    year = int(year)
    ledger = ledger[ledger["year"] == year].reset_index(drop=True)
    notes: list[str] = []
    user = dict(getattr(inventory, "user_factors", None) or {})
    user.update(_user_factors(factors, lib))

    # -- factor rows and chains --------------------------------------------------------------
    chain_text, chain_code = np.unique(ledger["factor_id"].astype(str).to_numpy(),
                                       return_inverse=True)
    parsed = [parse_chain(t) for t in chain_text]
    ids = sorted({name for chain in parsed for name, _ in chain})
    factor_table = _factor_table(ids, lib, user)
    if factor_table.attrs["unknown_user_rows"]:
        notes.append(f"{len(factor_table.attrs['unknown_user_rows'])} user factor row(s) taken "
                     "at the default of their kind: pass the factor table to read its "
                     "uncertainty column")
    position = {fid: k for k, fid in enumerate(ids)}
    chains = [[(position[name], power) for name, power in chain] for chain in parsed]

    # -- activity spreads per input row ------------------------------------------------------
    activity = _activity_spreads(ledger, lib)
    u_of_row = pd.Series(activity["u"].to_numpy(), index=activity["row"].to_numpy())
    terms = pd.DataFrame({
        "row": ledger["row"].to_numpy(), "facility": ledger["facility"].astype(str).to_numpy(),
        "scope": ledger["scope"].to_numpy(dtype=np.int64),
        "activity": ledger["activity"].astype(str).to_numpy(),
        "gas": ledger["gas"].astype(str).to_numpy(),
        "co2e": ledger["co2e"].to_numpy(dtype=float),
        "weight": _weights(ledger, inventory.transfers),
        "u_activity": u_of_row.reindex(ledger["row"].to_numpy()).to_numpy(dtype=float),
        "chain": chain_code.astype(np.int64)})

    # -- combinations: the (gas, chain) set of each input row ---------------------------------
    terms = terms.sort_values(["row", "gas"], kind="stable", ignore_index=True)
    row_code, first = np.unique(terms["row"].to_numpy(), return_index=True)
    per_row = np.diff(np.append(first, len(terms)))
    width = int(per_row.max())
    slot = np.arange(len(terms)) - np.repeat(first, per_row)
    row_of_term = np.repeat(np.arange(len(row_code)), per_row)
    gas_code, _ = pd.factorize(terms["gas"])
    pairs = np.full((len(row_code), 2 * width), -1, dtype=np.int64)
    pairs[row_of_term, 2 * slot] = gas_code
    pairs[row_of_term, 2 * slot + 1] = terms["chain"].to_numpy()
    scope_of_row = terms["scope"].to_numpy()[first]
    key = np.column_stack([pairs, scope_of_row])
    unique_keys, combo_of_row = np.unique(key, axis=0, return_inverse=True)
    combo_of_row = combo_of_row.ravel()
    row_co2e = np.bincount(row_of_term, terms["co2e"].to_numpy(), minlength=len(row_code))
    combos = []
    for c, k in enumerate(unique_keys):
        rows_here = np.flatnonzero(combo_of_row == c)
        sample = rows_here[np.argmax(np.abs(row_co2e[rows_here]))]
        members = np.flatnonzero(row_of_term == sample)
        total = row_co2e[sample]
        parts = []
        for j, t in enumerate(members):
            share = terms["co2e"].iat[t] / total if total else 1.0 / len(members)
            parts.append((int(k[2 * j + 1]), float(share), j))
        combos.append(parts)

    # -- cells -------------------------------------------------------------------------------
    per_row_u = terms["u_activity"].to_numpy()[first]
    lognormal = per_row_u >= LOGNORMAL_ABOVE
    facility_of_row = terms["facility"].to_numpy()[first]
    weight_of_row = terms["weight"].to_numpy()[first]
    facility_code, facility_ids = pd.factorize(pd.Series(facility_of_row), sort=True)
    own = np.where(lognormal, np.arange(len(row_code)), -1)
    cell_key = pd.DataFrame({"code": facility_code, "scope": scope_of_row,
                             "combo": combo_of_row, "own": own,
                             "weight": weight_of_row})
    cell_key = cell_key.assign(var_u=(row_co2e * per_row_u) ** 2, co2e=row_co2e,
                               activity=terms["activity"].to_numpy()[first])
    group = ["code", "scope", "combo", "own", "weight"]
    cells = cell_key.groupby(group, sort=True, as_index=False).agg(
        co2e=("co2e", "sum"), var_u=("var_u", "sum"), activity=("activity", "first"))
    cell_of_row = cell_key.merge(cells[group].reset_index(), on=group, how="left")["index"]
    terms["cell"] = cell_of_row.to_numpy()[row_of_term]
    cells["facility"] = np.asarray(facility_ids)[cells["code"].to_numpy()]
    with np.errstate(invalid="ignore", divide="ignore"):
        u_cell = np.where(cells["co2e"] != 0, np.sqrt(cells["var_u"]) / np.abs(cells["co2e"]),
                          0.0)
    own_u = per_row_u[np.maximum(cells["own"].to_numpy(), 0)]
    is_log = cells["own"].to_numpy() >= 0
    cells["dist"] = np.where(is_log, LOGNORMAL, np.where(u_cell > 0, NORMAL, NONE))
    cells["mu"] = 0.0  # a lognormal activity spread has the value as its median (normal())
    log_sigma = np.log1p(own_u / 100.0) / Z95
    cells["sigma"] = np.where(is_log, log_sigma, u_cell / 100.0 / Z95)
    cells = cells[["facility", "code", "scope", "combo", "activity", "co2e", "weight", "dist",
                   "mu", "sigma", "var_u"]]

    uses = pd.DataFrame({"chain": terms["chain"], "co2e": terms["co2e"]}).groupby("chain")[
        "co2e"].sum()
    depends = np.zeros(len(ids))
    for chain, total in uses.items():
        for k, _ in chains[int(chain)]:
            depends[k] += total
    factor_table["co2e"] = depends
    return Sources(year=year, terms=terms, cells=cells, combos=combos, chains=chains,
                   factors=factor_table, activity=activity,
                   facilities=np.asarray(facility_ids, dtype=object), notes=notes)
