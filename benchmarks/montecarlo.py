"""Time the Monte Carlo (IPCC Approach 2) on one thread and on two, and its peak memory.

    python benchmarks/montecarlo.py --facilities 20000 --draws 10000

A park of ``--facilities`` facilities, each burning natural gas and diesel and buying
electricity in one of nine regions, is accounted, and its uncertainty drawn ``--draws`` times
with factors shared across the park (correlated). Both runs use the same seed and must give the
same park total to 1e-12. Memory is the peak growth of the resident set during a call, against
the default 256 MiB budget.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import carbon
from benchmarks.run import PeakMemory
from carbon.uncertainty.montecarlo import DEFAULT_MEMORY, simulate
from carbon.uncertainty.sources import build_sources

REGIONS = ["CN-GD", "CN-JS", "CN-ZJ", "CN-SH", "CN-SC", "CN-HE", "CN-SOUTH", "CN-EAST", ""]


def park(facilities: int) -> carbon.Inventory:
    rng = np.random.default_rng(1)
    ids = [f"F{i:06d}" for i in range(facilities)]
    rows = pd.DataFrame({
        "facility": np.repeat(ids, 3), "year": 2022,
        "activity": np.tile(["natural_gas", "diesel", "electricity"], facilities),
        "quantity": rng.uniform(1, 100, 3 * facilities),
        "unit": np.tile(["10^4 Nm3", "t", "MWh"], facilities),
        "uncertainty": np.tile([2.0, 5.0, 3.0], facilities)})
    sites = pd.DataFrame({"facility": ids, "region": rng.choice(REGIONS, facilities)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", carbon.FactorFallbackWarning)
        return carbon.account(rows, facilities=sites)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the Monte Carlo on 1 and 2 threads.")
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    sources = build_sources(park(args.facilities))
    times = {1: float("inf"), 2: float("inf")}
    memory, totals = {}, {}
    for _ in range(args.repeat):
        for threads in (1, 2):  # interleaved: load on the machine hits both alike
            with PeakMemory() as peak:
                start = time.perf_counter()
                _, draws, info = simulate(sources, args.draws, seed=7, threads=threads,
                                          progress=False)
                times[threads] = min(times[threads], time.perf_counter() - start)
            memory[threads] = max(memory.get(threads, 0), peak.extra)
            totals[threads] = draws["total"]
    if not np.allclose(totals[1], totals[2], rtol=1e-12, atol=0):
        raise AssertionError("one and two threads disagree")
    mib = 2 ** 20
    print(f"\nMonte Carlo: {args.facilities:,} facilities, {len(sources.cells):,} cells, "
          f"{args.draws:,} draws, budget {DEFAULT_MEMORY / mib:.0f} MiB, chunks of "
          f"{info['cells_per_chunk']} cells on two threads\n")
    print("| threads | time s | peak extra MiB |\n|---|---|---|")
    for threads in (1, 2):
        print(f"| {threads} | {times[threads]:.2f} | {memory[threads] / mib:.0f} |")
    print(f"\ntwo threads / one thread: {times[2] / times[1]:.2f} (goal <= 0.6)")


if __name__ == "__main__":
    main()
