"""Energy and factor units of the scenario engine.

The engine measures every energy carrier's activity in tonnes of standard coal equivalent
(``tce``, equivalent-value method, GB/T 2589-2020), the unit of China's energy "dual control".
Electricity and heat enter the engine in MWh and GJ and are turned into tce with the same
GB/T 2589-2020 coefficients the accounting core uses, read from the factor library, so a
scenario's base year matches its inventory to the last digit.

Emission factors are therefore t CO2e per tce of a carrier; this module turns the units a
planner writes (``t CO2/MWh`` for a grid path, ``kg CO2e/m2`` for embodied carbon) into that.
"""

from __future__ import annotations

from functools import cache

__all__ = ["FACTOR_UNITS", "GJ_PER_TCE", "factor_per_activity", "tce_per_gj_heat",
           "tce_per_mwh"]

#: GJ in one tce: GB/T 2589-2020, 1 kgce = 29 307.6 kJ (the ``tce`` of ``factors/units.txt``).
GJ_PER_TCE = 29.3076

_ELECTRICITY_TCE = "cn-gbt2589-2020-standard-coal/electricity/tce"
_HEAT_TCE = "cn-gbt2589-2020-standard-coal/heat/tce"


@cache
def _library_coefficient(factor_id: str) -> float:
    """A GB/T 2589 coefficient as GJ of standard coal per GJ of the carrier."""
    from ..factors import library

    table = library().factors
    row = table.loc[table["factor_id"] == factor_id, "canonical"]
    return float(row.iloc[0])


def tce_per_mwh() -> float:
    """Standard coal per MWh of electricity [tce/MWh], equivalent value (GB/T 2589-2020).

    >>> round(tce_per_mwh(), 4)   # 0.1229 kgce/kWh
    0.1229
    """
    return _library_coefficient(_ELECTRICITY_TCE) * 3.6 / GJ_PER_TCE


def tce_per_gj_heat() -> float:
    """Standard coal per GJ of heat [tce/GJ] (GB/T 2589-2020: 0.03412 kgce/MJ).

    >>> round(tce_per_gj_heat(), 5)
    0.03412
    """
    return _library_coefficient(_HEAT_TCE) / GJ_PER_TCE


#: Factor units a scenario file accepts, by the kind of activity they divide by.
FACTOR_UNITS: dict[str, tuple[str, ...]] = {
    "per_mwh": ("t CO2/MWh", "t CO2e/MWh", "kg CO2/kWh", "kg CO2e/kWh"),
    "per_gj": ("t CO2/GJ", "t CO2e/GJ", "kg CO2/GJ", "kg CO2e/GJ"),
    "per_tce": ("t CO2/tce", "t CO2e/tce"),
    "per_m2": ("kg CO2e/m2", "t CO2e/m2"),
}


def accepted_units(carrier: str) -> tuple[str, ...]:
    """Factor units that make sense for ``carrier``."""
    if carrier == "electricity":
        return FACTOR_UNITS["per_mwh"] + FACTOR_UNITS["per_tce"]
    if carrier == "embodied":
        return FACTOR_UNITS["per_m2"]
    if carrier in ("process", "fugitive", "embodied_materials", "freight", "other"):
        return ()
    return FACTOR_UNITS["per_gj"] + FACTOR_UNITS["per_tce"]


def factor_per_activity(value, unit: str, carrier: str):
    """A factor in the engine's unit: t CO2e per tce, or t CO2e per m² for ``embodied``.

    Parameters
    ----------
    value : float or ndarray
        Factor in ``unit``.
    unit : str
        One of :func:`accepted_units` for ``carrier`` (spaces are ignored; ``m²`` = ``m2``).
    carrier : str
        The carrier the factor applies to.

    Returns
    -------
    float or ndarray
        [t CO2e/tce], or [t CO2e/m²] for construction.

    Notes
    -----
    The grid factor is counted as CO2e: the ``cn`` profile counts CO2 only for electricity.
    Per-GJ factors of fuels use the fuel's heating value (1 tce = 29.3076 GJ); of heat, the
    GB/T 2589 heat coefficient.

    >>> round(factor_per_activity(0.5, "t CO2/MWh", "electricity"), 3)   # 0.5 / 0.1229
    4.068
    """
    key = unit.replace(" ", "").replace("²", "2").replace("₂", "2").lower()
    scale = 1e-3 if key.startswith("kg") and not key.endswith("kwh") else 1.0
    if key.endswith("/mwh") or key.endswith("/kwh"):
        return value * scale / tce_per_mwh()
    if key.endswith("/gj"):
        per_gj = value * scale
        return per_gj / tce_per_gj_heat() if carrier == "heat" else per_gj * GJ_PER_TCE
    if key.endswith("/tce"):
        return value * scale
    if key.endswith("/m2"):
        return value * scale
    raise ValueError(f"unknown factor unit {unit!r}")


def normalised_unit(unit: str) -> str:
    """``unit`` compared without spaces or case, for validation."""
    return unit.replace(" ", "").replace("²", "2").replace("₂", "2").lower()
