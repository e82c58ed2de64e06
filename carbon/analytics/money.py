"""Units of value added: a currency dimension of its own, in a small registry of this module.

The library's unit registry (:func:`carbon.units.registry`) has no currency, and it must not be
changed for everybody, so this module keeps a tiny pint registry with one dimension,
``[currency]``, and the ways a Chinese park writes amounts of yuan. Exchange rates are data, not
units: another currency is an error that says to convert first.

Multipliers (sources): 万 = 10⁴ and 亿 = 10⁸ are the Chinese numerals the national statistics
use for value added (万元, 亿元: NBS China Statistical Yearbook, "explanatory notes on main
statistical indicators"); ``10^4 CNY`` and ``10^8 CNY`` are how parkcarbon writes them
(DESIGN.md "Input tables": ``value_added_unit``, e.g. ``10^4 CNY``).
"""

from __future__ import annotations

from functools import cache

import pint

from ..units import normalise_unit

__all__ = ["ACCEPTED", "VALUE_ADDED_UNIT", "to_value_added_unit"]

#: The unit every value added is converted to: intensities are per 10⁴ CNY (per 万元), as the
#: Chinese dual-control indicators are written (tce/万元, t CO2/万元).
VALUE_ADDED_UNIT = "10^4 CNY"

#: What a value-added unit may be, for error messages.
ACCEPTED = "an amount of yuan: CNY, 10^4 CNY, 10^8 CNY, 元, 万元, 亿元 (RMB and yuan also read)"

_DEFINITIONS = (
    "yuan = [currency] = CNY = 元 = RMB",
    "wan_yuan = 10000 * yuan = 万元",
    "yi_yuan = 100000000 * yuan = 亿元",
)


@cache
def _registry() -> pint.UnitRegistry:
    """A registry with nothing but yuan: built once, local to this module, never global."""
    reg = pint.UnitRegistry(None)
    for definition in _DEFINITIONS:
        reg.define(definition)
    return reg


@cache
def to_value_added_unit(unit: str) -> float:
    """Factor from ``unit`` to :data:`VALUE_ADDED_UNIT` (10⁴ CNY).

    Raises ``ValueError`` for a unit that is not an amount of yuan; callers turn it into an
    :class:`~carbon.errors.InputError` naming the cell.

    >>> to_value_added_unit("10^8 CNY"), to_value_added_unit("万元"), to_value_added_unit("CNY")
    (10000.0, 1.0, 0.0001)
    """
    text = normalise_unit(str(unit)).strip()
    if not text:
        raise ValueError("no value-added unit")
    reg = _registry()
    try:
        quantity = reg.parse_expression(text)
    except (pint.errors.PintError, SyntaxError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{unit!r} is not an amount of yuan ({exc})") from None
    if not isinstance(quantity, pint.Quantity) or quantity.dimensionality != {"[currency]": 1}:
        raise ValueError(f"{unit!r} is not an amount of yuan")
    return float(quantity.to("yuan").magnitude) / 1e4
