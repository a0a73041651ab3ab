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

from planner.forked import own_std_streams

#: relative CPU cost of drawing and encoding each chart kind (measured on the bundled
#: scenarios); anything else costs 1
COSTS = {"unit_economics": 5.0, "retention": 2.5, "headcount": 2.0, "funnel": 1.7, "plan_comparison": 2.0,
         "cohort_layers": 1.3, "mrr_bridge": 1.2, "pnl": 1.1, "mrr_waterfall": 0.9, "arr_fan": 0.7,
         "cash_fan": 0.8}
#: the work must be at least this many cost units for a second process to pay for its start
MIN_PARALLEL_COST = 4.0

def free_cores() -> int:
    """Cores this process may use that other work leaves idle now (at least 1).

    On Linux, from the runnable tasks of ``/proc/loadavg`` at this instant (this
    process is one of them), so that planner's own previous run, still in the 1-minute
    load average, does not keep the next from a second core; elsewhere, from the
    1-minute load average.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        with open("/proc/loadavg") as f:
            busy = max(int(f.read().split()[3].split("/")[0]) - 1, 0)  # "0.71 0.89 1.19 2/345 123"
    except (OSError, ValueError, IndexError):
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


class Drawing:
    """Tasks shared between this process and, when a core is free, one forked helper.

    Both take the next task from a shared counter, costliest first, so whichever is free
    draws next: the helper starts at once, and this process joins in when it calls
    :meth:`finish` (it may do other work first, e.g. summarising the run the charts are
    of). The helper is forked, so it sees the tasks and their data without pickling;
    only their results (e.g. file paths) come back, and those must pickle.

    Parameters
    ----------
    tasks : sequence of callable
        Zero-argument functions, each returning a list (e.g. of files written).
    costs : sequence of float
        Their expected costs, in :data:`COSTS` units.
    workers : int, optional
        Processes to draw with (see :func:`chart_workers`).
    """

    def __init__(self, tasks: Sequence[Callable[[], list]], costs: Sequence[float], workers: int | None = None):
        global _DRAWING
        self.tasks = list(tasks)
        self.order = sorted(range(len(self.tasks)), key=lambda i: -costs[i])
        self._pool = self._future = None
        if chart_workers(workers, float(sum(costs))) < 2 or len(self.tasks) < 2:
            self._next = None
            return
        context = multiprocessing.get_context("fork")
        _DRAWING = self  # the helper, forked at the submit, finds the tasks here
        try:
            self._next = context.Value("i", 0)
            self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=own_std_streams)
            self._future = self._pool.submit(_drain)
        except OSError:  # no shared memory or no process to spare: draw alone
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._future = self._next = None
        finally:
            _DRAWING = None

    def finish(self) -> list:
        """Draw what the helper has not taken, wait for it, and return every task's
        results concatenated in task order."""
        try:
            done = self._drain()
            if self._future is not None:
                done.update(self._future.result())
        finally:
            self.close()
        return [item for i in range(len(self.tasks)) for item in done[i]]

    def close(self) -> None:
        """Stop handing out tasks and let the helper go (after the task it is on)."""
        if self._next is not None:
            with self._next.get_lock():
                self._next.value = len(self.tasks)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _take(self) -> int | None:
        """The next task to draw, costliest first (None: all taken)."""
        with self._next.get_lock():
            k = self._next.value
            self._next.value = k + 1
        return self.order[k] if k < len(self.order) else None

    def _drain(self) -> dict[int, list]:
        if self._next is None:  # alone: every task, in order
            return {i: task() for i, task in enumerate(self.tasks)}
        done: dict[int, list] = {}
        while (i := self._take()) is not None:
            done[i] = self.tasks[i]()
        return done


_DRAWING: Drawing | None = None


def _drain() -> dict[int, list]:
    """The helper's loop (it runs in the forked process, where ``_DRAWING`` is set)."""
    return _DRAWING._drain()


def run_tasks(tasks: Sequence[Callable[[], list]], costs: Sequence[float], workers: int | None = None) -> list:
    """Run zero-argument ``tasks`` (each returns a list, e.g. of files written) and
    concatenate their results in task order: on two processes when a core is free
    (:class:`Drawing`)."""
    return Drawing(tasks, costs, workers).finish()
