"""Embed the engine in your own platform: a DataFrame in, JSON out, typed on both sides.

The story: an energy-management platform already holds the park's meter readings in a
DataFrame. It calls ``carbon.account`` (no files, no network, no global state), validates the
summary into its own pydantic model, and returns JSON to its front end. Bad input comes back as
structured problems (row, column, value, what is accepted) that the platform can show next to
the offending cell.

Run it from anywhere::

    python examples/embed_engine.py            # prints the JSON
    python examples/embed_engine.py out/       # also writes out/summary.json
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, Field

import carbon


class FacilityFigures(BaseModel):
    """One facility's inventory, enterprise view [t CO2e; energy in tce]."""

    scope1: float
    scope2_location: float
    scope2_market: float
    scope3: float
    total: float
    energy_tce: float


class ParkSummary(BaseModel):
    """The part of :meth:`carbon.Inventory.summary` this platform uses."""

    unit: str = Field(description="always 't CO2e'")
    gwp: str
    profile: str
    total: float = Field(description="Scope 1 + location-based Scope 2, transfers netted")
    total_market: float
    scope1: float
    scope2_location: float
    scope2_market: float
    scope3: float
    energy_tce: float
    by_gas: dict[str, float] = Field(description="t of each gas")
    by_facility: dict[str, FacilityFigures]
    rows: dict[str, int]


class Problem(BaseModel):
    """One bad cell, as the platform shows it."""

    row: int | None
    column: str | None
    value: str | None
    reason: str
    accepted: str


def meter_readings() -> pd.DataFrame:
    """What the platform holds: readings per facility and month (any of the units it meets)."""
    return pd.DataFrame({
        "facility": ["F1", "F1", "F2", "F2", "F2"],
        "year": [2022] * 5,
        "month": [1, 2, 1, 1, 2],
        "activity": ["electricity", "electricity", "天然气", "diesel", "电力"],
        "quantity": [420.0, 395.5, 12.3, 8.0, 61.2],
        "unit": ["MWh", "MWh", "10^4 Nm3", "t", "万kWh"],
    })


def account_to_json(readings: pd.DataFrame, facilities: pd.DataFrame) -> str:
    """The platform's endpoint: readings in, a JSON object out."""
    inventory = carbon.account(readings, facilities=facilities, profile="cn", gwp="AR5")
    return ParkSummary.model_validate(inventory.summary()).model_dump_json(indent=2)


def problems_of(readings: pd.DataFrame) -> list[Problem]:
    """Bad rows as structured problems instead of an exception text."""
    try:
        carbon.account(readings)
    except carbon.InputError as error:
        return [Problem(row=p.row, column=p.column,
                        value=None if p.value is None else str(p.value), reason=p.reason,
                        accepted=p.accepted) for p in error.problems]
    return []


def main(folder: Path | None) -> None:
    facilities = pd.DataFrame({"facility": ["F1", "F2"], "region": ["CN-GD", "CN-EAST"],
                               "sector": ["electronics", "machinery"]})
    body = account_to_json(meter_readings(), facilities)
    print(body)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.json").write_text(body + "\n", encoding="utf-8")

    # A reading typed with a wrong unit: the platform gets one Problem per bad cell.
    bad = meter_readings()
    bad.loc[0, "unit"] = "t"  # electricity in tonnes
    for problem in problems_of(bad):
        print(f"row {problem.row}, column {problem.column!r}: {problem.reason}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
