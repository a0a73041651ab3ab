"""Streamed runs: exact per-path outcomes, monthly series from an evenly spaced sample."""
from __future__ import annotations

import numpy as np

import planner
import planner.summary as summary_module
from planner.engine.sampling import BLOCK
from planner.stream import simulate_stream
from planner.summary import RUN_SERIES, path_outcomes, run_scenario, summarise

from conftest import FIXTURES

CASH_TIGHT = next(p for p in FIXTURES if p.stem == "cash_tight")


def test_streamed_outcomes_and_sample_equal_an_in_memory_run(monkeypatch):
    monkeypatch.setattr("planner.stream.CHUNK_PATHS", 2 * BLOCK)  # several chunks
    scenario = planner.load_scenario(CASH_TIGHT)
    paths = 5 * BLOCK + 300
    streamed = simulate_stream(scenario, paths=paths, seed=4, plan="late_round", keep=RUN_SERIES,
                               raise_month=3, sample_paths=1000)
    full = planner.simulate(scenario, paths=paths, seed=4, plan="late_round", keep=RUN_SERIES,
                            by_segment=False)
    expected = path_outcomes(full, raise_month=3)
    for key, values in expected.items():
        np.testing.assert_array_equal(streamed.outcomes[key], values, err_msg=key)
    assert streamed.every == 6
    np.testing.assert_array_equal(streamed.sample.total("cash"), full.total("cash")[::6])
    a = summarise(streamed.sample, raise_month=3, outcomes=streamed.outcomes, paths=paths)
    b = summarise(full, raise_month=3)
    for key in ("arr_end", "cash_trough", "cash_out", "monte_carlo_error", "funding"):
        assert a[key] == b[key], key
    assert a["paths"] == b["paths"] == paths


def test_run_streams_above_the_threshold(monkeypatch):
    monkeypatch.setattr(summary_module, "STREAM_ABOVE", 2 * BLOCK)
    monkeypatch.setattr("planner.stream.SAMPLE_PATHS", 1000)
    scenario = planner.load_scenario(CASH_TIGHT)
    run = run_scenario(scenario, paths=3 * BLOCK, seed=2)
    assert run.summary["paths"] == 3 * BLOCK and run.summary["sample_paths"] < 3 * BLOCK
    assert "every 4th path" in run.summary["approximations"][0]
    monkeypatch.setattr(summary_module, "STREAM_ABOVE", 10 ** 9)
    in_memory = run_scenario(scenario, paths=3 * BLOCK, seed=2)
    assert run.summary["arr_end"] == in_memory.summary["arr_end"]
    assert run.summary["funding"]["minimum_raise"] == in_memory.summary["funding"]["minimum_raise"]
