"""Build a carbon-peak scenario in Python instead of a TOML file.

The story: a planning tool lets its user move sliders (how much rooftop PV, how fast the
tenants electrify their process heat) and redraws the peak at once. It builds the scenario as
a dict with the same keys as a TOML file (``parkcarbon scenario --schema`` lists them),
validates and runs it with :func:`carbon.scenario.from_dict`, and reads the peak year, the
target verdicts and each measure's wedge from the result. The base year is the bundled sample
park's 2022 inventory, accounted from its CSV files.

Run it from anywhere::

    python examples/scenario_in_python.py           # prints the verdicts
    python examples/scenario_in_python.py out/      # also writes out/trajectory.png etc.
"""

from __future__ import annotations

import sys
from pathlib import Path

import carbon.scenario as cs
from carbon.resources import data_dir


def scenario(pv_mw: float, electrified_share: float) -> dict:
    """The scenario as the TOML file would hold it; rates and shares are fractions."""
    return {
        "name": f"pv{pv_mw:g}-elec{electrified_share:g}",
        "title": f"{pv_mw:g} MW rooftop PV, {electrified_share:.0%} of process heat electrified",
        "end": 2045,
        "scopes": [1, 2],
        "base": {"year": 2022, "activities": "activities.csv", "facilities": "facilities.csv",
                 "transfers": "transfers.csv"},   # relative to `folder` below
        "growth": [{"rates": {2023: 0.07, 2031: 0.03, 2041: 0.01}}],
        "intensity": [{"rate": -0.02}],          # energy intensity -2 %/yr by itself
        "factors": [{"carrier": "electricity", "unit": "t CO2/MWh",
                     "values": {2025: 0.50, 2030: 0.42, 2045: 0.25}}],   # the grid gets cleaner
        "measures": [
            {"name": "rooftop PV", "type": "rooftop_pv", "capacity_mw": pv_mw,
             "hours": 1050.0, "start": 2024, "full": 2028},
            {"name": "electrified process heat", "type": "electrification",
             "from": ["gas", "liquid"], "share": electrified_share, "ratio": 0.35,
             "start": 2025, "full": 2035, "ramp": "s-curve"},
        ],
        "targets": {"peak_by": 2030, "caps": [{"year": 2045, "co2e": 300000.0}]},
    }


def main(folder: Path | None) -> None:
    park = data_dir("examples") / "sample_park"
    for pv_mw, share in ((20.0, 0.2), (60.0, 0.6)):
        spec = scenario(pv_mw, share)
        result = cs.from_dict(spec, folder=park).run()  # validated by pydantic, then run
        summary = result.to_dict()
        peak = (f"peaks in {summary['peak_year']} at {summary['peak_value']:,.0f} t CO2e"
                if summary["peak_year"] else "has not peaked by 2045")
        print(f"{result.title}: {peak}; targets met: {summary['targets']['all_met']}")
        for measure, wedge in zip(result.measure_names, result.ordered, strict=True):
            print(f"  {measure:<28}{wedge.sum():>14,.0f} t CO2e abated 2023-2045")
        if folder is not None:
            from carbon.scenario.plot import save_charts

            save_charts(result, folder / result.name)

    # A typo in a key is refused with the key's name, before anything runs.
    broken = scenario(20.0, 0.2)
    broken["measures"][0]["capacity_mwp"] = broken["measures"][0].pop("capacity_mw")
    try:
        cs.from_dict(broken, folder=park)
    except ValueError as error:  # carbon's scenario errors are also ValueErrors
        print("As expected, the typo is refused:", str(error).splitlines()[0])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
