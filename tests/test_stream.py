"""Streamed runs: exact per-path outcomes, monthly series from an evenly spaced sample."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from concurrent.futures import ProcessPoolExecutor

import planner
from planner.engine.sampling import BLOCK
from planner.errors import PlannerError
from planner.sweep.spill import SpilledSeries
from planner.sweep.stream import simulate_stream
from planner.report.summary import RUN_SERIES, summarise
from planner.analysis.outcomes import path_outcomes
from planner.run import run_scenario

from conftest import FIXTURES

CASH_TIGHT = next(p for p in FIXTURES if p.stem == "cash_tight")


def test_streamed_outcomes_and_sample_equal_an_in_memory_run():
    scenario = planner.load_scenario(CASH_TIGHT)
    paths = 5 * BLOCK + 300
    streamed = simulate_stream(scenario, paths=paths, seed=4, plan="late_round", keep=RUN_SERIES,
                               raise_month=3, sample_paths=1000, chunk_paths=2 * BLOCK)
    full = planner.simulate(scenario, paths=paths, seed=4, plan="late_round", keep=RUN_SERIES,
                            by_segment=False)
    expected = path_outcomes(full, raise_month=3)
    for key, values in expected.items():
        np.testing.assert_array_equal(streamed.outcomes[key], values, err_msg=key)
    assert streamed.every == 6
    assert isinstance(streamed.sample.company, SpilledSeries)  # on disk, read series by series
    np.testing.assert_array_equal(streamed.sample.total("cash"), full.total("cash")[::6])
    a = summarise(streamed.sample, raise_month=3, outcomes=streamed.outcomes, paths=paths)
    b = summarise(full, raise_month=3)
    for key in ("arr_end", "cash_trough", "cash_out", "monte_carlo_error", "funding"):
        assert a[key] == b[key], key
    assert a["paths"] == b["paths"] == paths


def test_run_streams_above_the_threshold():
    scenario = planner.load_scenario(CASH_TIGHT)
    run = run_scenario(scenario, paths=3 * BLOCK, seed=2, stream_above=2 * BLOCK, sample_paths=1000)
    assert run.summary["paths"] == 3 * BLOCK and run.summary["sample_paths"] < 3 * BLOCK
    assert "every 4th path" in run.summary["approximations"][0]
    in_memory = run_scenario(scenario, paths=3 * BLOCK, seed=2, stream_above=10 ** 9)
    assert run.summary["arr_end"] == in_memory.summary["arr_end"]
    assert run.summary["funding"]["minimum_raise"] == in_memory.summary["funding"]["minimum_raise"]


def test_a_streamed_sample_carries_its_own_draws():
    """The sample is every k-th path: its draws are those paths' draws, not the first ones'."""
    scenario = planner.load_scenario(CASH_TIGHT)
    streamed = simulate_stream(scenario, paths=3 * BLOCK, seed=4, keep=RUN_SERIES, sample_paths=500)
    full = planner.simulate(scenario, paths=3 * BLOCK, seed=4, keep=RUN_SERIES, by_segment=False)
    np.testing.assert_array_equal(streamed.sample.draws, full.draws[::streamed.every])
    np.testing.assert_array_equal(streamed.sample.minimum_cash, full.minimum_cash[::streamed.every])


@pytest.mark.parametrize("processes", [False, True], ids=["threads", "processes"])
def test_two_workers_stream_exactly_what_one_does(processes):
    """Chunks on two threads or two worker processes are independent and gathered in
    order: bit-identical."""
    scenario = planner.load_scenario(CASH_TIGHT)
    kwargs = dict(paths=5 * BLOCK + 77, seed=9, plan="late_round", keep=RUN_SERIES, raise_month=3,
                  sample_paths=700, chunk_paths=BLOCK)
    one = simulate_stream(scenario, workers=1, **kwargs)
    two = simulate_stream(scenario, workers=2, processes=processes, **kwargs)
    assert one.every == two.every and one.outcomes.keys() == two.outcomes.keys()
    for key, values in one.outcomes.items():
        np.testing.assert_array_equal(two.outcomes[key], values, err_msg=key)
    for name in one.sample.company:
        np.testing.assert_array_equal(two.sample.company[name], one.sample.company[name], err_msg=name)
    np.testing.assert_array_equal(two.sample.draws, one.sample.draws)
    full = planner.simulate(scenario, paths=kwargs["paths"], seed=9, plan="late_round",
                            keep=RUN_SERIES, by_segment=False)
    np.testing.assert_array_equal(two.outcomes["cash_trough"], full.cash_trough())


def test_an_error_in_a_worker_process_reaches_the_caller():
    """The engine's overflow guard in a forked worker: the same PlannerError, not a broken
    pool or a hang."""
    scenario = planner.load_scenario(CASH_TIGHT)
    segment = dataclasses.replace(scenario.segments[0], cac=1.0e-307)
    scenario = dataclasses.replace(scenario, segments=(segment,) + scenario.segments[1:])
    with pytest.raises(PlannerError, match="overflowed"):
        simulate_stream(scenario, paths=4 * BLOCK, keep=RUN_SERIES, workers=2, processes=True)


HELD_STDERR = """
import io, os, sys, threading, time
import planner
from planner.engine.sampling import BLOCK
from planner.report.summary import RUN_SERIES
from planner.sweep.stream import simulate_stream
read, write = os.pipe()
sys.stderr = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write, "w", closefd=False), 1 << 16))
scenario = planner.load_scenario({scenario!r})
go = threading.Event()
def writer():  # as the progress display: blocked in a write to stderr, its lock held
    go.wait()
    sys.stderr.write("x" * (1 << 20))
    sys.stderr.flush()
def reader():
    go.wait()
    time.sleep(1.5)
    while os.read(read, 1 << 16):
        pass
def hold_stderr_over_the_fork():  # inside os.fork, after multiprocessing flushed the streams
    if not go.is_set():
        go.set()
        time.sleep(0.3)
os.register_at_fork(before=hold_stderr_over_the_fork)
threading.Thread(target=writer, daemon=True).start()
threading.Thread(target=reader, daemon=True).start()
{work}
print("finished", file=sys.__stdout__, flush=True)
os._exit(0)
"""


FORKING_WORK = {
    "stream": "simulate_stream(scenario, paths=4 * BLOCK, workers=2, processes=True, keep=RUN_SERIES)",
    "chart_helper": "from planner.charts.parallel import Drawing\n"
                    "Drawing([lambda: [1], lambda: [2], lambda: [3]], [3, 2, 1], workers=2).finish()",
}


@pytest.mark.parametrize("work", sorted(FORKING_WORK))
def test_processes_forked_while_another_thread_writes_to_stderr_still_finish(work):
    """A forked worker (of a stream, the chart helper) inherits stderr's lock as the writing
    thread held it; it must not wait on it (every process flushes its streams on exit)."""
    code = HELD_STDERR.format(scenario=str(CASH_TIGHT), work=FORKING_WORK[work])
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = run.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)  # the hung workers too
        run.communicate()
        pytest.fail("the stream hung: a worker waited on a lock held when it was forked")
    assert run.returncode == 0 and "finished" in out, err


def test_processes_are_used_where_the_platform_forks():
    from planner.sweep.stream import _pool

    pool, run, ahead = _pool(2, abs, processes=True)
    with pool:
        assert isinstance(pool, ProcessPoolExecutor) and ahead == 6
        assert pool.submit(run, -3).result(timeout=60) == 3
    pool, run, ahead = _pool(2, abs, processes=False)
    with pool:
        assert not isinstance(pool, ProcessPoolExecutor) and run is abs and ahead == 2


def test_a_streamed_samples_charts_say_how_many_paths_were_simulated():
    from planner.charts.style import context_line

    scenario = planner.load_scenario(CASH_TIGHT)
    sampled = simulate_stream(scenario, paths=3 * BLOCK, seed=4, keep=RUN_SERIES, sample_paths=1000)
    assert sampled.sample.sampled_from == 3 * BLOCK
    assert f"3,072 paths, seed 4 (monthly ranges from {sampled.sample.paths:,} of them)" in \
        context_line(sampled.sample)
    whole = simulate_stream(scenario, paths=BLOCK, seed=4, keep=RUN_SERIES, sample_paths=5000)
    assert whole.every == 1 and whole.sample.sampled_from == 0
    assert "1,024 paths, seed 4" in context_line(whole.sample) and "ranges from" not in context_line(whole.sample)


def test_a_streamed_runs_report_and_cash_chart_name_all_paths_and_the_sample(tmp_path):
    """The report's header gives the paths simulated; the cash chart says its cash-out share
    is of the sampled paths, and no precision warning is made from the sample alone."""
    import re

    from planner.charts.fans import plot_cash_fan
    from planner.report import render_html

    scenario = planner.load_scenario(CASH_TIGHT)
    run = run_scenario(scenario, paths=3 * BLOCK, seed=2, stream_above=2 * BLOCK, sample_paths=1000)
    assert run.result.sampled_from == 3 * BLOCK > run.result.paths
    html = render_html(run, charts=[])
    assert re.search(r'class="meta">Plan \w+ · 3,072 paths, seed 2 ', html)
    assert f"{run.result.paths:,} paths do not pin" not in html
    ax = plot_cash_fan(run.result)
    subtitle = ax.texts[-1].get_text() if ax.texts else ""
    titles = " ".join(t.get_text() for t in ax.figure.texts) + subtitle
    assert "sampled path" in titles and "3,072 paths, seed 2 (monthly ranges from" in titles
