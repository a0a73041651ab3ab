"""Very large runs in bounded memory: exact per-path outcomes, monthly series from a sample.

Paths are simulated in chunks. Of every path the answers a summary is made of are kept
exactly (:func:`planner.analysis.outcomes.path_outcomes`: ARR at the horizon, cash trough,
cash-out month, breakeven, minimum-raise shortfall, ownership, ...). The monthly series
are kept for an evenly spaced sample of paths (every k-th path), from which the monthly
P10/P50/P90 tables and the yearly revenue and EBITDA ranges are computed. Their Monte
Carlo error is that of the sample size: the median of 50,000 paths has a standard error
of about 1.2533 sd / sqrt(50,000) = 0.0056 sd for a roughly normal series. The sample's
monthly series are spilled to temporary files as they arrive
(:class:`planner.sweep.spill.SpilledSeries`) and read back one series at a time, so they
do not all sit in memory at once.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np

from planner.engine.blas import one_blas_thread
from planner.engine.sampling import BLOCK
from planner.forked import own_std_streams
from planner.results import SimulationResult
from planner.simulation import simulate_plans
from planner.sweep.spill import SpilledSeries
from planner.analysis.outcomes import path_outcomes

SAMPLE_PATHS = 50_000
#: paths a worker simulates at once: its transient arrays are bounded by this
CHUNK_PATHS = BLOCK


@dataclass
class Streamed:
    """A streamed run.

    Attributes
    ----------
    sample : SimulationResult
        Every ``every``-th path, with the kept series (its ``company`` series in
        temporary files, read on access: :class:`~planner.sweep.spill.SpilledSeries`).
    outcomes : dict of str -> ndarray (paths,)
        Exact per-path outcomes of every path.
    paths, every : int
    """

    sample: SimulationResult
    outcomes: dict[str, np.ndarray]
    paths: int
    every: int


def simulate_stream(scenario, *, paths: int, seed: int | None = None, plan: str | None = None,
                    keep=None, raise_month: int = 0, until: str = "horizon",
                    sample_paths: int = SAMPLE_PATHS, chunk_paths: int = CHUNK_PATHS,
                    workers: int | None = None, processes: bool | None = None,
                    progress=None) -> Streamed:
    """Simulate ``paths`` paths chunk by chunk; see the module docstring.

    ``sample_paths`` (about how many paths keep their monthly series) and ``chunk_paths``
    (paths simulated at once, a multiple of ``BLOCK``) trade memory for precision and speed;
    neither changes any path's numbers. ``workers`` simulate chunks side by side (None:
    up to two cores). ``processes`` (None: where the platform forks, Linux) makes them
    forked worker processes rather than threads: the engine's many small NumPy calls hold
    the GIL often enough that two threads ran 1.1-1.4x as fast as one, two processes
    1.3-1.8x. Chunks are independent (a path's numbers depend only on the seed and its
    index) and are gathered in order, so the result is bit-identical whatever the number
    or kind of workers. An error in a worker is raised here.

    Memory is bounded by the chunks in flight (``workers`` on threads; on processes each
    worker's own chunk, and here up to ``3 * workers`` finished chunks' outcomes and
    sampled rows), the sample's per-path values (its monthly series go to temporary
    files) and ~100 bytes a path of outcomes. The outcomes and the sampled paths are
    bit-identical to those of an in-memory run.
    """
    if chunk_paths < BLOCK or chunk_paths % BLOCK:
        raise ValueError(f"chunk_paths must be a multiple of {BLOCK} (got {chunk_paths})")
    workers = min(2, os.cpu_count() or 1) if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"workers must be >= 1 (got {workers})")
    every = max(1, math.ceil(paths / sample_paths))
    plan = scenario.plan(plan).name
    seed = scenario.seed if seed is None else int(seed)
    chunk = partial(_chunk, scenario, plan, seed, keep, paths, chunk_paths, every,
                    dict(raise_month=raise_month, until=until))
    starts = range(0, paths, chunk_paths)
    outcomes: dict[str, np.ndarray] = {}
    sample: SimulationResult | None = None
    filled, rows_total = 0, len(range(0, paths, every))
    with one_blas_thread():  # before any fork: the workers inherit one BLAS thread
        pool, run, ahead = _pool(workers, chunk, processes)
        with pool:
            for start, (answers, parts) in zip(starts, _ordered(pool, run, starts, ahead)):
                n = min(chunk_paths, paths - start)
                rows = _result(scenario, seed, plan, parts)
                for key, values in answers.items():
                    if key not in outcomes:
                        outcomes[key] = np.empty(paths, dtype=values.dtype)
                    outcomes[key][start:start + n] = values
                if sample is None:
                    sample = _empty_like(rows, rows_total)
                    sample.sampled_from = paths if every > 1 else 0
                _copy_rows(rows, sample, filled)
                filled += rows.paths
                if progress is not None:
                    progress(start + n, paths)
    return Streamed(sample, outcomes, paths, every)


def _pool(workers: int, chunk, processes: bool | None) -> tuple[Executor, object, int]:
    """The executor the chunks run on, the function it is given (of a chunk's start) and
    how many chunks may be in flight.

    Worker processes are forked, so they inherit the scenario instead of unpickling it;
    each is handed ``chunk`` once (its initializer), and then only the start of each
    chunk travels to it, and plain arrays back. A chunk waiting for a process holds no
    memory, so a few are queued per worker (none waits while this process takes in a
    result); threads get one each, since every chunk in flight holds its arrays here.
    """
    if processes is None:
        processes = sys.platform.startswith("linux")
    if workers > 1 and processes and "fork" in multiprocessing.get_all_start_methods():
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_hand_over, initargs=(chunk,))
        return pool, _handed_chunk, 3 * workers
    return ThreadPoolExecutor(workers), chunk, workers


#: in a worker process: the chunk function its initializer was handed
_HANDED: list = []


def _hand_over(chunk) -> None:
    """A worker process's initializer: keep ``chunk``; standard streams of its own."""
    own_std_streams()
    _HANDED[:] = [chunk]


def _handed_chunk(start: int):
    return _HANDED[0](start)


def _ordered(pool: ThreadPoolExecutor, fn, items, ahead: int):
    """``fn`` of each item on ``pool``, in order, at most ``ahead`` in flight (so at most
    that many chunks' arrays exist at once)."""
    pending: deque = deque()
    for item in items:
        if len(pending) >= ahead:
            yield pending.popleft().result()
        pending.append(pool.submit(fn, item))
    while pending:
        yield pending.popleft().result()


def _chunk(scenario, plan: str, seed, keep, paths: int, size: int, every: int, question: dict,
           start: int) -> tuple[dict[str, np.ndarray], dict]:
    """Paths ``start..`` of a stream: their outcomes, and the parts (:func:`_take`) of the
    sampled ones among them.

    The sampled rows are copied out, so the chunk's arrays are freed when this returns;
    only plain arrays are returned (cheap to send from a worker process).
    """
    n = min(size, paths - start)
    result = simulate_plans(scenario, [plan], paths=n, seed=seed, keep=keep, by_segment=False,
                            start=start)[plan]
    answers = path_outcomes(result, **question)
    rows = np.flatnonzero((start + np.arange(n)) % every == 0)
    return answers, _take(result, rows)


_PARTS = ("company", "opening", "per_path")


def _take(result: SimulationResult, rows: np.ndarray) -> dict:
    """The ``rows`` paths of ``result`` (copies): its company, opening and per-path
    series and its draws, as plain arrays."""
    taken = {part: {k: v[rows] for k, v in getattr(result, part).items()} for part in _PARTS}
    return taken | {"draws": result.draws[rows]}


def _result(scenario, seed: int, plan: str, parts: dict) -> SimulationResult:
    """The result :func:`_take`'s parts are of."""
    return SimulationResult(scenario, seed, {}, parts["company"], parts["opening"],
                            parts["per_path"], plan, draws=parts["draws"])


def _empty_like(result: SimulationResult, paths: int) -> SimulationResult:
    """A result with ``result``'s series for ``paths`` paths, to be filled: its per-path
    values in place (so they are never held twice), its monthly series appended to
    temporary files."""
    empty = {part: {k: np.empty((paths,) + v.shape[1:], dtype=v.dtype)
                    for k, v in getattr(result, part).items()} for part in _PARTS if part != "company"}
    return SimulationResult(result.scenario, result.seed, {}, SpilledSeries(), empty["opening"],
                            empty["per_path"], result.plan,
                            draws=np.empty((paths,) + result.draws.shape[1:]))


def _copy_rows(rows: SimulationResult, into: SimulationResult, at: int) -> None:
    """Write the paths of ``rows`` into ``into`` from path ``at`` on (the rows come in
    order: monthly series are appended)."""
    for name, values in rows.company.items():
        into.company.append(name, values)
    for part in _PARTS[1:]:
        target = getattr(into, part)
        for k, v in getattr(rows, part).items():
            target[k][at:at + v.shape[0]] = v
    into.draws[at:at + rows.paths] = rows.draws
