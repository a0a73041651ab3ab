"""A run of at most DETAIL_PATHS paths simulates once, by segment, and views it both ways."""
from __future__ import annotations

import json

import numpy as np
import pytest

import planner
from planner.report.summary import run_series, summarise
from planner.run import detail_series, run_scenario, view

from conftest import ROOT

SCENARIOS = [ROOT / "scenarios" / "series_a_midmarket.yaml", ROOT / "scenarios" / "bottom_up_funnel.yaml"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_company_view_of_a_segment_run_is_the_company_run_to_the_bit(path):
    sc = planner.load_scenario(path)
    keep = run_series(sc)
    company = planner.simulate(sc, paths=300, seed=3, keep=keep, by_segment=False)
    both = planner.simulate(sc, paths=300, seed=3, keep=keep + detail_series(sc))
    seen = view(both, keep, by_segment=False)
    assert seen.by_segment == {} and set(seen.company) == set(company.company)
    for name, array in company.company.items():
        np.testing.assert_array_equal(seen.company[name], array, err_msg=name)
    assert seen.names == company.names
    np.testing.assert_array_equal(seen.draws, company.draws)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_run_simulated_once_has_the_summary_of_the_two_simulations(path):
    sc = planner.load_scenario(path)
    once = run_scenario(sc, paths=300, seed=3)
    company = planner.simulate(sc, paths=300, seed=3, keep=run_series(sc), by_segment=False)
    assert set(once.detail.by_segment) == set(planner.simulate(
        sc, paths=300, seed=3, keep=detail_series(sc)).by_segment)
    expected = summarise(company)
    assert json.dumps({k: once.summary[k] for k in expected}, sort_keys=True) == json.dumps(
        expected, sort_keys=True)
    # detail paths fewer than the paths: two simulations, the same detail numbers
    twice = run_scenario(sc, paths=300, seed=3, detail_paths=299)
    assert twice.summary["drivers"] == once.summary["drivers"]
    np.testing.assert_array_equal(twice.detail.total("mrr"), once.detail.total("mrr")[:299])


def test_rankdata_is_scipys_to_the_bit():
    from scipy import stats

    from planner.sweep.sensitivity import rankdata

    rng = np.random.default_rng(4)
    for values in (rng.normal(size=500), rng.integers(0, 7, size=300).astype(float),
                   np.r_[rng.normal(size=50), np.inf, np.inf, -np.inf], np.array([2.0]), np.zeros(5)):
        assert rankdata(values).tobytes() == stats.rankdata(values).tobytes()


def test_charts_started_with_the_simulations_are_the_files_drawn_after(tmp_path):
    """ChartsAhead draws from the simulations while the run is summarised, on two
    processes: every file (charts, unit_economics.csv) is the one the plain order writes."""
    from planner.run import ChartsAhead, write_outputs

    sc = planner.load_scenario(SCENARIOS[0])
    plain = run_scenario(sc, paths=200, seed=5)
    first = write_outputs(plain, tmp_path / "plain")
    ahead = ChartsAhead(tmp_path / "ahead", workers=2)
    early = run_scenario(sc, paths=200, seed=5, on_simulated=ahead)
    assert ahead.drawing is not None
    second = write_outputs(early, tmp_path / "ahead", ahead=ahead)
    assert [f.name for f in first] == [f.name for f in second]
    assert "unit_economics.csv" in [f.name for f in first] and "arr_fan.png" in [f.name for f in first]
    for a, b in zip(first, second):
        if a.name != "manifest.json":
            assert a.read_bytes() == b.read_bytes(), a.name
