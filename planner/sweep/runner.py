"""One sweep runner: many simulations of variants of a plan, on any executor.

Sensitivity, goal seek, diff and the comparison of files all evaluate many variants of
one scenario. Each is a :class:`Task` (a scenario, the paths and seed, what to keep,
optionally given input values) and a ``reduce`` function that turns its result into what
the caller needs (per-path outcomes, a statistic), so only small arrays travel back from
a worker. :func:`run_tasks` runs them in-process by default, or on any
:class:`concurrent.futures.Executor`: a local ``ProcessPoolExecutor`` (``--workers N``),
or Dask's ``distributed.Client(...).get_executor()`` for a cluster. Every task fixes its
seed, so the numbers do not depend on the executor or the order tasks finish in.
"""
from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from planner.results import SimulationResult
from planner.scenario.model import Scenario
from planner.simulation import simulate


@dataclass(frozen=True)
class Task:
    """One simulation of a sweep.

    Attributes
    ----------
    scenario : Scenario
    paths, seed : int
    plan : str or None
        Funding plan (None: the scenario's default).
    keep : tuple of str or None
        Series to keep (None: all).
    by_segment : bool
    draws : ndarray or None, shape (paths, len(scenario.params))
        Input values to use instead of the scenario's own draws.
    label : str
        What the task is, for progress and errors.
    """

    scenario: Scenario
    paths: int
    seed: int
    plan: str | None = None
    keep: tuple[str, ...] | None = None
    by_segment: bool = True
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    label: str = ""

    def simulate(self) -> SimulationResult:
        return simulate(self.scenario, paths=self.paths, seed=self.seed, plan=self.plan,
                        keep=self.keep, by_segment=self.by_segment, draws=self.draws)


def _identity(result: SimulationResult) -> SimulationResult:
    return result


def _run_one(task: Task, reduce: Callable) -> object:
    return reduce(task.simulate())


def run_tasks(tasks: Sequence[Task], reduce: Callable[[SimulationResult], object] = _identity, *,
              executor: cf.Executor | None = None, progress: Callable[[int, int], None] | None = None
              ) -> list:
    """Simulate every task and reduce its result, in task order.

    Parameters
    ----------
    tasks : sequence of Task
    reduce : callable
        ``reduce(result) -> value``, run where the task runs. With a process pool or Dask
        it must be picklable: a module-level function or a :func:`functools.partial` of one.
    executor : concurrent.futures.Executor, optional
        None runs in this process, one task after another.
    progress : callable, optional
        ``progress(done, total)`` after each task.

    Returns
    -------
    list
        ``reduce`` of each task's result, in the order of ``tasks``.
    """
    total = len(tasks)
    if executor is None:
        out = []
        for i, task in enumerate(tasks):
            out.append(_run_one(task, reduce))
            if progress is not None:
                progress(i + 1, total)
        return out
    futures = [executor.submit(_run_one, task, reduce) for task in tasks]
    if progress is not None:
        for done, _ in enumerate(cf.as_completed(futures), start=1):
            progress(done, total)
    return [f.result() for f in futures]


def local_executor(workers: int | None) -> cf.Executor | None:
    """``--workers N``: a process pool of N workers, or None (in-process) for N <= 1."""
    if workers is None or workers <= 1:
        return None
    return cf.ProcessPoolExecutor(max_workers=int(workers))


