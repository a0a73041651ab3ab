"""Drawing charts on the free cores: forked worker processes, balanced by expected cost.

Each chart is drawn and written where it is drawn, so only file paths cross between
processes. Workers are forked (POSIX), so they inherit the results without pickling
them; where fork is unavailable, or no core is free, charts are drawn one after the
other in this process.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

#: relative CPU cost of drawing and encoding each chart kind (measured on the bundled
#: scenarios); anything else costs 1
COSTS = {"unit_economics": 5.0, "retention": 2.5, "headcount": 2.0, "funnel": 1.7, "plan_comparison": 2.0,
         "cohort_layers": 1.3, "mrr_bridge": 1.2, "pnl": 1.1, "mrr_waterfall": 0.9, "arr_fan": 0.7,
         "cash_fan": 0.8}
#: the work must be at least this many cost units for a second process to pay for its start
MIN_PARALLEL_COST = 4.0

_TASKS: Sequence[Callable[[], list]] = ()


def free_cores() -> int:
    """Cores this process may use that the machine's 1-minute load leaves idle (at least 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, int(cores - busy + 0.5))


def chart_workers(workers: int | None, cost: float) -> int:
    """Processes to draw with: ``workers`` if given, else 2 when a second core is free
    and the work is worth it (:data:`MIN_PARALLEL_COST`), else 1."""
    if workers is not None:
        return max(1, int(workers))
    if cost < MIN_PARALLEL_COST or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(2, free_cores())


def balance(costs: Sequence[float], groups: int) -> list[list[int]]:
    """Task indices in ``groups`` groups of about equal total cost (longest first),
    each group in task order; empty groups dropped."""
    load = [0.0] * groups
    out: list[list[int]] = [[] for _ in range(groups)]
    for i in sorted(range(len(costs)), key=lambda i: -costs[i]):
        g = load.index(min(load))
        out[g].append(i)
        load[g] += costs[i]
    return [sorted(g) for g in out if g]


def _run(indices: list[int]) -> list[list]:
    return [_TASKS[i]() for i in indices]


def run_tasks(tasks: Sequence[Callable[[], list]], costs: Sequence[float], workers: int | None = None) -> list:
    """Run zero-argument ``tasks`` (each returns a list, e.g. of files written) and
    concatenate their results in task order.

    With more than one worker, the first group of tasks runs here and the others in
    forked processes (which see ``tasks`` without pickling); their results must pickle.
    """
    global _TASKS
    n = chart_workers(workers, float(sum(costs)))
    groups = balance(costs, n) if n > 1 and len(tasks) > 1 else [list(range(len(tasks)))]
    if len(groups) == 1:
        return [item for task in tasks for item in task()]
    _TASKS = tasks
    try:
        with ProcessPoolExecutor(len(groups) - 1, mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_run, g) for g in groups[1:]]
            done = dict(zip(groups[0], _run(groups[0])))
            for group, future in zip(groups[1:], futures):
                done.update(zip(group, future.result()))
    finally:
        _TASKS = ()
    return [item for i in range(len(tasks)) for item in done[i]]
