"""IPCC Approach 2: Monte Carlo over activity data and factor rows, vectorised and chunked.

Each draw ``d`` multiplies every cell's emissions (see :mod:`.sources`) by its own activity
multiplier and by the multipliers of the factor rows its gases use:

    E_c(d) = E_c x A_c(d) x sum_g share_g prod_{k in chain g} X_k(d)^p

Correlation through shared factor rows. ``X_k(d)`` is drawn **once per draw for the whole park**
(``correlated=True``): every tenant on the Guangdong grid factor sees the same grid draw, every
gas burner the same heating value. ``correlated=False`` draws the factors of every cell apart,
which is what treating them as independent would mean (it shows how much the sharing adds).

Reproducibility and memory. Draws come from NumPy's PCG64 seeded by
``SeedSequence(seed, spawn_key=...)``: factor rows from one stream, the cells' activity draws
from one stream per fixed block of 64 cells (``BLOCK``). The cells are processed in chunks of
whole facilities, sized so that the chunk's arrays fit in ``memory`` bytes; because the streams
belong to blocks, not chunks, the result is the same for any chunk size. Per facility the draws
are reduced to a mean and the 2.5th and 97.5th percentiles before the next chunk; only the
park's draws (four vectors of ``draws``) are kept.

Threads. Chunks are independent, and NumPy releases the GIL while it draws and computes, so two
threads each take a chunk (each within half the memory budget). Chunks are added to the park's
draws in their order; threads change the chunk size, which changes no draw.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..progress import progress_bar
from .propagation import QUANTITIES, order_table
from .sources import LOGNORMAL, NORMAL, Sources

__all__ = ["BLOCK", "chunk_bounds", "plan_chunk", "simulate", "summarise"]

#: Cells per random stream: the unit of reproducibility, independent of the chunk size.
BLOCK = 64
#: Arrays of ``draws`` floats alive per cell of a chunk: activity draws, emissions, per
#: facility and scope sums and their percentile copy, facility totals and their copy.
ARRAYS_PER_CELL = 6
DEFAULT_MEMORY = 256 * 2 ** 20
PERCENTILES = (2.5, 97.5)


def _stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def multiplier(dist: np.ndarray, mu: np.ndarray, sigma: np.ndarray, z: np.ndarray
               ) -> np.ndarray:
    """Multipliers from standard normal draws, in place of ``z``.

    Parameters
    ----------
    dist, mu, sigma : ndarray, shape (n,)
        Per row: distribution code (0 none, 1 normal, 2 lognormal), mean of the log, standard
        deviation (of the multiplier, or of its log).
    z : ndarray, shape (n, ...)
        Standard normal draws.

    Returns
    -------
    ndarray
        ``1 + sigma z`` clipped at 0 (normal), ``exp(mu + sigma z)`` (lognormal), 1 (none).
    """
    shape = (-1,) + (1,) * (z.ndim - 1)
    z *= sigma.reshape(shape)
    log = dist == LOGNORMAL
    if log.all():
        z += mu.reshape(shape)
        return np.exp(z, out=z)
    if not log.any():
        z += 1.0
        return np.maximum(z, 0.0, out=z)
    z[log] = np.exp(z[log] + mu[log].reshape(shape))
    lin = ~log
    z[lin] = np.maximum(z[lin] + 1.0, 0.0)
    return z


class _Normals:
    """Standard normals of consecutive rows, generated per fixed block of rows."""

    def __init__(self, seed: int, key: int, draws: int, width: int = 0):
        self.seed, self.key, self.draws, self.width = seed, key, draws, width
        self._cache: tuple[int, np.ndarray] | None = None

    def _block(self, b: int, rows: int) -> np.ndarray:
        cached = self._cache  # read once: another thread may replace it
        if cached is not None and cached[0] == b:
            return cached[1]
        del cached
        self._cache = None  # let the cached block go first: one block per thread at most
        shape = (rows, self.width, self.draws) if self.width else (rows, self.draws)
        block = _stream(self.seed, self.key, b).standard_normal(shape)
        self._cache = (b, block)
        return block

    def take(self, start: int, stop: int, n_rows: int) -> np.ndarray:
        """Rows ``start`` to ``stop`` of ``n_rows`` (a new array)."""
        shape = (stop - start, self.width, self.draws) if self.width else (stop - start,
                                                                            self.draws)
        out = np.empty(shape)
        for b in range(start // BLOCK, (stop - 1) // BLOCK + 1):
            first, last = b * BLOCK, min((b + 1) * BLOCK, n_rows)
            low, high = max(start, first), min(stop, last)
            out[low - start:high - start] = self._block(b, last - first)[low - first:
                                                                          high - first]
        return out


def plan_chunk(draws: int, memory: int = DEFAULT_MEMORY, fixed_rows: int = 0,
               per_cell: int = ARRAYS_PER_CELL) -> int:
    """Cells per chunk so that the run's arrays stay within ``memory``.

    Parameters
    ----------
    draws : int
    memory : int
        Budget [bytes].
    fixed_rows : int
        Rows of ``draws`` floats held for the whole run (factor draws, chain products, the
        park's draws, the block cache).
    per_cell : int
        Rows of ``draws`` floats per cell of a chunk.

    Examples
    --------
    10^4 draws in 256 MiB with 300 rows held for the run: 509 cells per chunk.

    >>> plan_chunk(10_000, 256 * 2**20, fixed_rows=300)
    509
    """
    row = 8 * draws
    left = memory - fixed_rows * row
    if left < per_cell * row:
        need = (fixed_rows + per_cell) * row / 2 ** 20
        raise ParameterError("memory", "carbon.uncertainty.monte_carlo",
                             f"at least {need:.1f} MiB for {draws} draws", memory)
    return int(left // (per_cell * row))


def chunk_bounds(codes: np.ndarray, per_chunk: int) -> list[tuple[int, int]]:
    """Chunks of consecutive cells that end on facility boundaries (``codes`` sorted).

    A facility with more cells than ``per_chunk`` is a chunk of its own.

    >>> chunk_bounds(np.array([0, 0, 1, 2, 2, 2, 3]), 3)
    [(0, 3), (3, 6), (6, 7)]
    """
    n = len(codes)
    if n == 0:
        return []
    ends = np.append(np.flatnonzero(np.diff(codes)) + 1, n)
    out, start = [], 0
    while start < n:
        fit = ends[ends <= start + per_chunk]
        fit = fit[fit > start]
        stop = int(fit[-1]) if len(fit) else int(ends[ends > start][0])
        out.append((start, stop))
        start = stop
    return out


def summarise(values: np.ndarray, estimate: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, 2.5th and 97.5th percentiles and U [%] of rows of draws.

    ``u_percent`` is half the 95 % interval in percent of the draws' mean (REFERENCES.md).
    """
    mean = values.mean(axis=1)
    lower, upper = np.percentile(values, PERCENTILES, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(mean != 0, (upper - lower) / 2.0 / np.abs(mean) * 100.0, np.nan)
    return {"estimate": estimate, "mean": mean, "lower": lower, "upper": upper, "u_percent": u}


def _chains(sources: Sources, x: np.ndarray) -> np.ndarray:
    out = np.ones((len(sources.chains), x.shape[-1]))
    for c, chain in enumerate(sources.chains):
        for k, power in chain:
            out[c] *= x[k] if power > 0 else 1.0 / np.maximum(x[k], 1e-12)
    return out


def _combos(sources: Sources, chains: np.ndarray) -> np.ndarray:
    out = np.zeros((len(sources.combos), chains.shape[-1]))
    for c, parts in enumerate(sources.combos):
        for chain, share, _ in parts:
            out[c] += share * chains[chain]
    return out


def _combo_slots(sources: Sources) -> list[list[int]]:
    """The distinct factor rows of each combination, in a fixed order."""
    return [sorted({k for chain, _, _ in parts for k, _ in sources.chains[chain]})
            for parts in sources.combos]


def _independent(sources: Sources, slots: list[list[int]], combo: np.ndarray,
                 z: np.ndarray) -> np.ndarray:
    """Per cell: the combination's factor sum with the cell's own factor draws."""
    f = sources.factors
    dist, mu, sigma = (f["distribution"].map({"none": 0, "normal": NORMAL,
                                              "lognormal": LOGNORMAL}).to_numpy(),
                       f["mu"].to_numpy(float), f["sigma"].to_numpy(float))
    out = np.zeros((len(combo), z.shape[-1]))
    for c in np.unique(combo):
        rows = np.flatnonzero(combo == c)
        ks = np.array(slots[c], dtype=np.int64)
        draws = z[rows][:, :len(ks)]
        x = multiplier(np.tile(dist[ks], len(rows)), np.tile(mu[ks], len(rows)),
                       np.tile(sigma[ks], len(rows)), draws.reshape(-1, z.shape[-1]))
        x = x.reshape(len(rows), len(ks), -1)
        where = {k: j for j, k in enumerate(ks.tolist())}
        for chain, share, _ in sources.combos[c]:
            product = np.ones((len(rows), z.shape[-1]))
            for k, power in sources.chains[chain]:
                factor = x[:, where[k]]
                product *= factor if power > 0 else 1.0 / np.maximum(factor, 1e-12)
            out[rows] += share * product
    return out


def default_threads() -> int:
    """Threads for chunked work: the environment's ``PARKCARBON_THREADS``, else 2."""
    value = os.environ.get("PARKCARBON_THREADS", "2")
    return max(int(value), 1) if value.isdigit() else 2


def simulate(sources: Sources, draws: int = 10_000, seed: int | None = None,
             correlated: bool = True, memory: int = DEFAULT_MEMORY,
             chunk_cells: int | None = None, progress: bool | None = None,
             threads: int | None = None
             ) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict]:
    """Monte Carlo (IPCC 2006 Vol. 1 Ch. 3, Approach 2) for every facility, scope and the park.

    Parameters
    ----------
    sources : Sources
    draws : int
        Iterations (default 10 000).
    seed : int, optional
        Seed; None draws one from the operating system (returned in ``info``, so the run can
        be repeated).
    correlated : bool
        True: one draw per factor row and iteration for the whole park.
    memory : int
        Budget for the arrays [bytes] (default 256 MiB).
    chunk_cells : int, optional
        Cells per chunk; default: as many as ``memory`` allows.
    progress : bool, optional
        Show a progress bar on stderr (None: when stderr is a terminal).
    threads : int, optional
        Chunks computed at once (default :func:`default_threads`); each has ``memory /
        threads``. The result does not depend on it.

    Returns
    -------
    table : DataFrame
        As :func:`~carbon.uncertainty.propagation.propagate`: ``facility``, ``quantity``,
        ``estimate``, ``mean``, ``lower``, ``upper`` [t CO2e], ``u_percent`` [%].
    park : dict of str to ndarray
        The park's draws of scope1, scope2_location, scope3 and total [t CO2e].
    info : dict
        ``seed``, ``draws``, ``chunks``, ``cells_per_chunk``, ``memory_bytes``, ``threads``.
    """
    if not isinstance(draws, int | np.integer) or isinstance(draws, bool) or draws < 2:
        raise ParameterError("draws", "carbon.uncertainty.monte_carlo", "an int >= 2", draws)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2 ** 63)
    elif not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0:
        raise ParameterError("seed", "carbon.uncertainty.monte_carlo", "an int >= 0", seed)
    seed = int(seed)
    chosen = threads is not None
    threads = default_threads() if threads is None else threads
    if not isinstance(threads, int | np.integer) or isinstance(threads, bool) or threads < 1:
        raise ParameterError("threads", "carbon.uncertainty.monte_carlo", "an int >= 1", threads)
    cells = sources.cells
    n = len(cells)
    factors = sources.factors
    slots = _combo_slots(sources)
    width = max((len(s) for s in slots), default=0)
    # Rows of draws held for the run, then per thread: its block of normals and its chunk
    # (with threads, room for one chunk more: see _least).
    shared = len(factors) + 4 + (0 if not correlated else len(sources.chains)
                                 + len(sources.combos))
    own = BLOCK + (0 if correlated else BLOCK * width)
    per_cell = ARRAYS_PER_CELL + (0 if correlated else 2 * width + 1)
    while not chosen and threads > 1 and memory < _least(draws, shared, threads, own,
                                                          per_cell):
        threads -= 1  # a small budget: fewer chunks at once rather than an error
    planned = plan_chunk(draws, memory, shared + threads * own,
                         per_cell * (threads + 1 if threads > 1 else 1))
    per_chunk = planned if chunk_cells is None else int(chunk_cells)
    if per_chunk < 1:
        raise ParameterError("chunk_cells", "carbon.uncertainty.monte_carlo", "an int >= 1",
                             chunk_cells)

    dist = {"none": 0, "normal": NORMAL, "lognormal": LOGNORMAL}
    fdist = factors["distribution"].map(dist).to_numpy()
    x = _stream(seed, 0).standard_normal((len(factors), draws))
    x = multiplier(fdist, factors["mu"].to_numpy(float), factors["sigma"].to_numpy(float), x)
    if correlated:
        per_combo = _combos(sources, _chains(sources, x))
        del x
    activity = _Normals(seed, 1, draws)
    factor_normals = _Normals(seed, 2, draws, width) if not correlated else None

    code = cells["code"].to_numpy()
    scope = cells["scope"].to_numpy()
    combo = cells["combo"].to_numpy()
    e = cells["co2e"].to_numpy(float)
    weight = cells["weight"].to_numpy(float)
    cdist, cmu, csigma = (cells["dist"].to_numpy(), cells["mu"].to_numpy(float),
                          cells["sigma"].to_numpy(float))
    park = {s: np.zeros(draws) for s in (1, 2, 3)}
    parts: list[dict] = []
    bounds = chunk_bounds(code, per_chunk)

    def chunk(bound: tuple[int, int]) -> tuple[dict, dict]:
        """The chunk's draws, reduced: per scope for the park, per facility for the table."""
        a, b = bound
        values = multiplier(cdist[a:b], cmu[a:b], csigma[a:b], activity.take(a, b, n))
        if correlated:
            values *= per_combo[combo[a:b]]
        else:
            values *= _independent(sources, slots, combo[a:b], factor_normals.take(a, b, n))
        values *= e[a:b, None]
        to_park = {}
        for s in (1, 2, 3):
            mask = (scope[a:b] == s) * weight[a:b]
            if mask.any():  # einsum, not BLAS: OpenBLAS's own threads would fight ours
                to_park[s] = np.einsum("c,cd->d", mask, values)
        return to_park, _facility_rows(sources, a, b, values)

    with progress_bar(n, "Monte Carlo", progress, unit="cell") as bar:
        for bound, (to_park, rows) in _in_order(chunk, bounds, threads):
            for s, values in to_park.items():
                park[s] += values
            parts.append(rows)
            bar.update(bound[1] - bound[0])
    park_draws = {QUANTITIES[s]: park[s] for s in (1, 2, 3)}
    park_draws["total"] = park[1] + park[2]
    estimate = sources.estimate
    labels = [s for s in (1, 2, 3) if (scope == s).any()]
    rows = np.array([park_draws[QUANTITIES[s]] for s in labels] + [park_draws["total"]])
    stats = summarise(rows, np.array([estimate[QUANTITIES[s]] for s in labels]
                                     + [estimate["total"]]))
    park_rows = pd.DataFrame({"facility": "", "quantity": [QUANTITIES[s] for s in labels]
                              + ["total"], **stats})
    table = pd.concat([_facility_table(sources, parts), park_rows], ignore_index=True)
    info = {"seed": seed, "draws": int(draws), "chunks": len(bounds),
            "cells_per_chunk": per_chunk, "memory_bytes": int(memory),
            "correlated": bool(correlated), "threads": int(threads)}
    return order_table(table), park_draws, info


def _least(draws: int, shared: int, threads: int, own: int, per_cell: int) -> int:
    """Bytes for one cell per chunk with ``threads`` chunks at once (and one more: a finished
    chunk's arrays may not be gone yet when the next one starts)."""
    return (shared + threads * own + (threads + 1) * per_cell) * 8 * draws


def _in_order(work, items: list, threads: int):
    """(item, work(item)) in the order of ``items``, computed by up to ``threads`` at once.

    In order whatever finishes first, so sums taken from the results do not depend on the
    threads; only ``threads`` items are under way at a time (each holds a chunk's arrays).
    """
    if threads == 1:
        for item in items:
            yield item, work(item)
        return
    with ThreadPoolExecutor(threads, thread_name_prefix="parkcarbon-mc") as pool:
        pending = []
        for item in items:
            if len(pending) == threads:
                first, future = pending.pop(0)
                yield first, future.result()
            pending.append((item, pool.submit(work, item)))
        for item, future in pending:
            yield item, future.result()


def segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of consecutive row segments beginning at ``starts`` (``np.add.reduceat`` on axis 0,
    several times faster for the short segments a facility has: one add per position).

    >>> segment_sum(np.arange(5.0)[:, None], np.array([0, 2, 3]))[:, 0].tolist()
    [1.0, 2.0, 7.0]
    """
    sizes = np.diff(np.append(starts, len(values)))
    out = values[starts]
    for j in range(1, int(sizes.max(initial=1))):
        have = np.flatnonzero(sizes > j)
        out[have] += values[starts[have] + j]
    return out


def _facility_rows(sources: Sources, a: int, b: int, values: np.ndarray) -> dict:
    """Per facility and scope, and per facility Scope 1 + 2, of the cells ``a`` to ``b``, as
    arrays (one DataFrame is built at the end: per-chunk frames would cost more memory than
    the draws of a small chunk)."""
    cells = sources.cells
    code = cells["code"].to_numpy()[a:b]
    scope = cells["scope"].to_numpy()[a:b]
    e = cells["co2e"].to_numpy(float)[a:b]
    pair = code * 4 + scope
    starts = np.flatnonzero(np.diff(pair, prepend=-1) != 0)
    grouped = segment_sum(values, starts)
    group_code, group_scope = code[starts], scope[starts]
    estimate = np.add.reduceat(e, starts)
    parts = [{"code": group_code, "quantity": group_scope, **summarise(grouped, estimate)}]
    energy = np.flatnonzero(np.isin(group_scope, (1, 2)))
    if len(energy):
        sub_code = group_code[energy]
        starts2 = np.flatnonzero(np.diff(sub_code, prepend=-1) != 0)
        totals = segment_sum(grouped[energy], starts2) if len(starts2) < len(energy) else (
            grouped[energy])
        del grouped
        parts.append({"code": sub_code[starts2], "quantity": np.zeros(len(starts2), int),
                      **summarise(totals, np.add.reduceat(estimate[energy], starts2))})
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _facility_table(sources: Sources, parts: list[dict]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=["facility", "quantity", "estimate", "mean", "lower",
                                     "upper", "u_percent"])
    merged = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    names = np.array(["total", "scope1", "scope2_location", "scope3"], dtype=object)
    code = merged.pop("code")
    quantity = merged.pop("quantity")
    return pd.DataFrame({"facility": sources.facilities[code], "quantity": names[quantity],
                         **merged})
