"""Account a folder of Parquet files: with Dask, and streamed row group by row group.

The story: an analyst keeps a region's activity records as a folder of Parquet files, one per
year (10⁷ rows and more in real life; the sample park's 3 041 here). ``carbon.account`` takes a
``dask.dataframe.DataFrame`` and runs the same vectorised kernel on every partition;
``carbon.partitioned.account_dask`` also takes the folder itself, and Dask's workers read its
row groups straight from Arrow (what ``parkcarbon account FOLDER --engine dask`` runs);
``carbon.partitioned.account_parquet`` streams the folder row group by row group in bounded
memory, without Dask. All give the same numbers as the in-memory path, which this script
checks. (None keeps a per-row ledger: a partitioned inventory has no rows to keep.)

Needs Dask: ``pip install "dask[dataframe]"``. Run it from anywhere::

    python examples/dask_parquet_folder.py            # writes the folder into a temp dir
    python examples/dask_parquet_folder.py data/      # or into data/
"""

from __future__ import annotations

import importlib.util
import math
import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import carbon
from carbon.partitioned import account_dask, account_parquet
from carbon.resources import data_dir


def write_parquet_folder(activities: pd.DataFrame, folder: Path) -> Path:
    """One Parquet file per year, small row groups: the shape of a real archive."""
    folder.mkdir(parents=True, exist_ok=True)
    for year, rows in activities.groupby("year"):
        rows.to_parquet(folder / f"activities-{year}.parquet", index=False,
                        row_group_size=500)
    return folder


def main(folder: Path) -> None:
    import dask.dataframe as dd

    park = data_dir("examples") / "sample_park"
    activities = pd.read_csv(park / "activities.csv", dtype={"instrument": str},
                             keep_default_na=False)
    parquet = write_parquet_folder(activities, folder / "activities")
    options = {"facilities": park / "facilities.csv", "transfers": park / "transfers.csv"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", carbon.FactorFallbackWarning)  # Guangdong 2023 -> 2022
        in_memory = carbon.account(park / "activities.csv", **options)
        with_dask = carbon.account(dd.read_parquet(parquet), **options)   # Dask partitions
        read_by_dask = account_dask(parquet, progress=False, **options)   # workers read files
        streamed = account_parquet(parquet, progress=False, **options)    # bounded memory

    print(f"{len(list(parquet.glob('*.parquet')))} Parquet files in {parquet}")
    for label, inventory in (("in memory", in_memory), ("dask", with_dask),
                             ("dask, read", read_by_dask), ("streamed", streamed)):
        print(f"  {label:<11} total {inventory.total():>14,.3f} t CO2e, "
              f"energy {inventory.energy_tce():>12,.3f} tce, rows {inventory.rows['input']}")
    for inventory in (with_dask, read_by_dask, streamed):
        assert math.isclose(inventory.total(), in_memory.total(), rel_tol=1e-12)
    print("Same numbers on every path.")


if __name__ == "__main__":
    if importlib.util.find_spec("dask") is None:
        sys.exit('This example needs Dask: pip install "dask[dataframe]"')
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
