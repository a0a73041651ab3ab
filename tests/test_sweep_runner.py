"""The sweep runner gives the same numbers in-process and on a process pool."""
import functools

import numpy as np

import planner
from planner.sweep.runner import Task, local_executor, run_tasks

from conftest import ROOT

DEFAULT = ROOT / "scenarios" / "series_a_midmarket.yaml"


def _arr_end(result, scale=1.0):
    return scale * result.total("arr")[:, -1]


def test_in_process_and_pool_agree_and_keep_task_order():
    sc = planner.load_scenario(DEFAULT)
    tasks = [Task(sc, 300, seed, keep=("arr",), by_segment=False) for seed in (1, 2, 3)]
    here = run_tasks(tasks, functools.partial(_arr_end, scale=2.0))
    seen = []
    with local_executor(2) as pool:
        there = run_tasks(tasks, functools.partial(_arr_end, scale=2.0), executor=pool,
                          progress=lambda done, total: seen.append((done, total)))
    for a, b in zip(here, there):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(here[0], here[1])
    assert seen[-1] == (3, 3)
    assert local_executor(1) is None and local_executor(None) is None
