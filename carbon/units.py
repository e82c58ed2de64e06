"""Units and gases: one cached pint registry, touched once per distinct unit string.

The registry is openscm-units' (each gas its own dimension, GWP conversions only inside a named
context) plus the units of ``factors/units.txt`` (``tce``, ``万kWh``, ``Nm3``…). The engine asks
it two questions, each once per distinct string: what dimension a unit has and by how much it
differs from that dimension's canonical unit (:func:`canonical`), and what a gas is worth in
CO2 under a GWP set (:func:`gwp`). Everything after that is plain float arithmetic.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import globalwarmingpotentials
import pandas as pd
import pint
from openscm_units import ScmUnitRegistry

from .errors import ParameterError, one_of
from .resources import data_dir

__all__ = [
    "CANONICAL_UNITS",
    "GWP_SETS",
    "canonical",
    "gas_symbol",
    "gwp",
    "normalise_unit",
    "registry",
]

#: The unit every quantity of a dimension is converted to before any arithmetic.
CANONICAL_UNITS: dict[str, str] = {
    "mass": "t",
    "volume": "m**3",
    "energy": "GJ",
    "freight": "t*km",
    "area": "m**2",
}

#: GWP sets a user may name, and the openscm-units context of each (IPCC GWP100).
GWP_SETS: dict[str, str] = {"AR4": "AR4GWP100", "AR5": "AR5GWP100", "AR6": "AR6GWP100"}

_TRANSLATE = str.maketrans(
    {"³": "3", "²": "2", "×": "*", "·": "*", "⋅": "*", "（": "(", "）": ")", "／": "/"}
)


@cache
def registry() -> pint.UnitRegistry:
    """The library's unit registry, built once per process (about 2 s) and never global."""
    reg = ScmUnitRegistry()
    reg.add_standards()
    reg.load_definitions(str(data_dir("factors") / "units.txt"))
    return reg


@cache
def _unit_aliases() -> dict[str, str]:
    table = pd.read_csv(data_dir("factors") / "aliases.csv", dtype=str)
    units = table[table["kind"] == "unit"]
    return dict(zip(units["alias"], units["canonical"], strict=True))


@cache
def _gas_pattern() -> re.Pattern[str]:
    # Gas names as people write them ("HFC-134a") -> pint symbols ("HFC134a"); longest first so
    # "HFC-134a" is not read as "HFC-134" followed by "a".
    names = sorted(_DASHED_GASES, key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names))


_DASHED_GASES = ["HFC-23", "HFC-32", "HFC-125", "HFC-134a", "HFC-143a", "HFC-152a", "HFC-227ea",
                 "HFC-236fa", "HFC-245fa", "HFC-365mfc", "HFC-41", "HFC-43-10mee", "PFC-14",
                 "PFC-116", "c-C4F8"]


def gas_symbol(gas: str) -> str:
    """The pint symbol of a gas name: ``'HFC-134a'`` -> ``'HFC134a'``; raises for unknown gases."""
    symbol = gas.replace("-", "")
    reg = registry()
    if symbol not in reg or symbol in {"C", "t", "kg", "m", "g"}:
        raise ParameterError("gas", "parkcarbon", "a gas known to openscm-units (CO2, CH4, N2O, "
                             "SF6, NF3, CF4, HFC-134a, ...) or CO2e", gas)
    return symbol


@cache
def normalise_unit(text: str) -> str:
    """A unit string as pint reads it: aliases resolved, full-width and superscripts folded.

    >>> normalise_unit("万标方"), normalise_unit("10⁴ Nm³"), normalise_unit("kg HFC-134a")
    ('万Nm3', '10^4 Nm3', 'kg HFC134a')
    """
    # "10⁴" first: NFKC would fold it into "104".
    text = str(text).replace("10⁴", "10^4").translate(_TRANSLATE)
    text = unicodedata.normalize("NFKC", text).strip()
    text = _unit_aliases().get(text, text)
    text = re.sub(r"10\s*\*\*\s*4|10\^4|10e4", "10^4", text)
    return _gas_pattern().sub(lambda m: m.group(0).replace("-", ""), text)


@cache
def _dimension_names() -> dict[object, str]:
    reg = registry()
    return {reg.Quantity(1, unit).dimensionality: name for name, unit in CANONICAL_UNITS.items()}


def dimension_name(quantity: pint.Quantity) -> str | None:
    """``'mass'``, ``'volume'``, ``'energy'``, ``'freight'``, ``'area'`` or None."""
    return _dimension_names().get(quantity.dimensionality)


@cache
def canonical(unit: str) -> tuple[str, float]:
    """Dimension of an activity unit and the factor that converts it to the canonical unit.

    Raises ``pint`` errors for strings pint cannot read and ``ValueError`` for a dimension the
    engine does not account in; callers turn both into row-level problems.

    >>> canonical("万kWh")
    ('energy', 36.0)
    """
    reg = registry()
    quantity = reg.parse_expression(normalise_unit(unit))
    if not isinstance(quantity, pint.Quantity):  # a bare number such as "1000"
        raise ValueError(f"{unit!r} is a number, not a unit")
    name = dimension_name(quantity)
    if name is None:
        raise ValueError(f"{unit!r} has dimension {quantity.dimensionality}")
    return name, float(quantity.to(CANONICAL_UNITS[name]).magnitude)


@cache
def _methane_by_origin() -> dict[tuple[str, str], float]:
    table = pd.read_csv(data_dir("factors") / "gwp-ar6-methane-origin.csv")
    return {(row.gas, row.origin): float(row.gwp100) for row in table.itertuples()}


def check_gwp_set(gwp_set: str, function: str = "account") -> str:
    """Return ``gwp_set`` if it names a GWP set, else raise a :class:`ParameterError`."""
    if gwp_set not in GWP_SETS:
        raise ParameterError("gwp", function, one_of(GWP_SETS), gwp_set)
    return gwp_set


@cache
def gwp(gas: str, gwp_set: str, origin: str | None = None) -> float:
    """GWP100 of ``gas`` under ``gwp_set``: t CO2e per t of the gas.

    AR6 gives fossil and non-fossil methane their own values (AR6 WG1 Table 7.15); ``origin``
    selects them and is ignored by the earlier sets, which have one methane value.

    >>> gwp("CH4", "AR5"), gwp("CH4", "AR6", "fossil")
    (28.0, 29.8)
    """
    check_gwp_set(gwp_set, "gwp")
    if gas in ("CO2e", "CO2"):
        return 1.0
    if gas == "CH4" and gwp_set == "AR6" and origin:
        return _methane_by_origin()[("CH4", origin)]
    symbol = gas_symbol(gas)
    table = globalwarmingpotentials.data[GWP_SETS[gwp_set]]
    if symbol in table:
        # The table openscm-units' context converts with, read directly: enabling a context
        # first builds them all (about 3 s, once per process).
        return float(table[symbol])
    mass = registry().Quantity(1.0, f"t {symbol}")  # a gas the table lacks
    return float(mass.to("t CO2", GWP_SETS[gwp_set]).magnitude)
