"""The same park under two factor profiles: China's guideline (cn) and IPCC 2006 Tier 1.

The story: a Greater Bay Area park reports to the province with the China guideline factors
(``cn``: CO2 only for combustion, MEE grid factors) and to an overseas investor with IPCC 2006
Tier 1 defaults (``ipcc2006``: CO2, CH4 and N2O). Before sending both numbers it wants to know
how far apart they are, and why: which activities and gases make the difference.
:func:`carbon.analytics.compare_profiles` accounts the same records twice and lines them up.

Run it from anywhere::

    python examples/compare_profiles.py           # prints the comparison
    python examples/compare_profiles.py out/      # also writes the tables as CSV into out/
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import carbon
from carbon.analytics import compare_profiles
from carbon.resources import data_dir


def main(folder: Path | None) -> None:
    park = data_dir("examples") / "sample_park"
    with warnings.catch_warnings():
        # Guangdong has no 2023 provincial grid factor yet: both profiles take 2022's.
        warnings.simplefilter("ignore", carbon.FactorFallbackWarning)
        comparison = compare_profiles(park / "activities.csv", ("cn", "ipcc2006"),
                                      facilities=park / "facilities.csv",
                                      transfers=park / "transfers.csv")
    a, b = comparison.labels
    totals = comparison.park[comparison.park["indicator"] == "total"]
    print(f"Park total (t CO2e), {a} against {b}:")
    for row in totals.itertuples():
        print(f"  {row.year}: {getattr(row, a):>12,.0f} {getattr(row, b):>12,.0f}  "
              f"{row.difference:>+10,.0f} ({row.relative:+.2%})")
    latest = comparison.by_activity[comparison.by_activity["year"]
                                    == comparison.by_activity["year"].max()]
    print("Largest differences by activity, latest year (t CO2e):")
    for row in latest.head(4).itertuples():
        print(f"  {row.activity:<18}{row.difference:>+12,.0f}")
    gases = comparison.by_gas[comparison.by_gas["year"] == comparison.by_gas["year"].max()]
    print("Gases counted only by", b + ":",
          ", ".join(g for g, v in zip(gases["gas"], gases[a], strict=True) if not v > 0) or "none")
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("park", "by_activity", "by_facility", "by_gas", "factors"):
            getattr(comparison, name).to_csv(folder / f"compare_{name}.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
