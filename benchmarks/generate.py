"""Seeded generator of a national-scale park dataset for the benchmarks.

The data look like what an analyst gets from a provincial energy-reporting platform: ~50 000
facilities in several provinces (some with no region), 12 monthly periods from July 2022 to
June 2023 (so every run crosses a factor-year change), ~15 activity types in mixed units
(10^4 Nm3 and 万Nm3, 万kWh, MWh and kWh, t and kg, GJ), Chinese aliases, green certificates, and
fugitive CH4 / N2O / HFC releases beside the CO2 of combustion. Text columns are written as
Parquet dictionaries, which is how such platforms export them.

    python benchmarks/generate.py --rows 1e7 --out benchmarks/data/park-1e7
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 2030
FACILITIES = 50_000
REGIONS = ["CN-GD", "CN-JS", "CN-ZJ", "CN-SH", "CN-HE", "CN-SC", "CN-SOUTH", "CN-EAST", ""]
REGION_WEIGHTS = [0.22, 0.18, 0.14, 0.08, 0.1, 0.08, 0.08, 0.07, 0.05]
PERIODS = [(2022, m) for m in range(7, 13)] + [(2023, m) for m in range(1, 7)]

# activity as written, unit, share of rows, typical monthly quantity (lognormal median)
ACTIVITIES = [
    ("electricity", "万kWh", 0.20, 30.0),
    ("电力", "MWh", 0.12, 250.0),
    ("electricity", "kWh", 0.05, 80_000.0),
    ("natural_gas", "10^4 Nm3", 0.10, 2.0),
    ("天然气", "万Nm3", 0.06, 1.5),
    ("diesel", "t", 0.08, 3.0),
    ("柴油", "kg", 0.03, 2500.0),
    ("gasoline", "t", 0.04, 1.0),
    ("heat", "GJ", 0.07, 900.0),
    ("raw_coal", "t", 0.04, 400.0),
    ("lpg", "t", 0.04, 0.8),
    ("fuel_oil", "t", 0.03, 5.0),
    ("CH4", "kg", 0.04, 20.0),
    ("N2O", "kg", 0.03, 2.0),
    ("HFC-134a", "kg", 0.04, 5.0),
    ("R-410A", "kg", 0.03, 6.0),
]


def facilities(rng: np.random.Generator) -> pd.DataFrame:
    ids = np.array([f"F{i:06d}" for i in range(FACILITIES)])
    region = rng.choice(REGIONS, size=FACILITIES, p=REGION_WEIGHTS)
    sector = rng.choice(["manufacturing", "electronics", "chemicals", "logistics", "services"],
                        size=FACILITIES)
    return pd.DataFrame({"facility": ids, "region": region, "sector": sector})


def activities(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    shares = np.array([a[2] for a in ACTIVITIES])
    kind = rng.choice(len(ACTIVITIES), size=rows, p=shares / shares.sum())
    period = rng.integers(0, len(PERIODS), size=rows)
    median = np.array([a[3] for a in ACTIVITIES])[kind]
    # Full-precision lognormal quantities: distinct rows are never accidental duplicates.
    quantity = median * rng.lognormal(0.0, 0.8, size=rows)
    electricity = np.isin(kind, [0, 1, 2])
    green = electricity & (rng.random(rows) < 0.05)
    names = np.array([a[0] for a in ACTIVITIES])
    units = np.array([a[1] for a in ACTIVITIES])
    years = np.array([p[0] for p in PERIODS])
    months = np.array([p[1] for p in PERIODS])
    return pd.DataFrame({
        "facility": pd.Categorical.from_codes(rng.integers(0, FACILITIES, size=rows),
                                              [f"F{i:06d}" for i in range(FACILITIES)]),
        "year": years[period].astype(np.int16),
        "month": months[period].astype(np.int8),
        "activity": _dictionary(names, kind),
        "quantity": quantity,
        "unit": _dictionary(units, kind),
        "instrument": _dictionary(np.array(["", "green_certificate"]), green.astype(np.int64)),
    })


def _dictionary(values: np.ndarray, index: np.ndarray) -> pd.Categorical:
    """values[index] as a categorical, built from codes (no string work per row)."""
    categories, code = np.unique(values, return_inverse=True)
    return pd.Categorical.from_codes(code[index], categories)


def write(rows: int, out: Path, row_group: int = 1_000_000) -> Path:
    """Write ``rows`` activity rows (Parquet, one file per 10^7 rows) and the facility table."""
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    facilities(rng).to_parquet(out / "facilities.parquet", index=False)
    folder = out / "activities"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    per_file = 10_000_000
    for part, start in enumerate(range(0, rows, per_file)):
        frame = activities(rng, min(per_file, rows - start))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, folder / f"part-{part:04d}.parquet", row_group_size=row_group)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e6)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    rows = int(args.rows)
    out = args.out or Path(__file__).parent / "data" / f"park-{args.rows:.0e}".replace("+0", "")
    write(rows, out)
    print(f"wrote {rows:,} rows to {out}")


if __name__ == "__main__":
    main()
