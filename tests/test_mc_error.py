"""Monte Carlo error of the headline answers and --paths auto."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.sweep.auto_paths import choose_paths
from planner.analysis.mc_error import (headline_errors, precise_enough, proportion_interval, quantile_interval)

from conftest import BUNDLED

SEED_SCENARIO = next(p for p in BUNDLED if p.stem == "seed_selfserve_smb")


def test_quantile_interval_covers_the_true_median_about_95_percent():
    rng = np.random.default_rng(0)
    hits = sum(lo <= 1.0 <= hi for lo, hi in
               (quantile_interval(rng.lognormal(size=400), 0.5) for _ in range(600)))
    assert 0.92 <= hits / 600 <= 0.98


def test_wilson_interval_by_hand():
    """5 of 100: centre (0.05 + z^2/200) / (1 + z^2/100), half-width from Wilson's formula."""
    z = 1.959963984540054
    centre = (0.05 + z * z / 200) / (1 + z * z / 100)
    half = z * math.sqrt(0.05 * 0.95 / 100 + z * z / 40000) / (1 + z * z / 100)
    assert proportion_interval(5, 100) == pytest.approx((centre - half, centre + half))
    assert proportion_interval(0, 50)[0] == 0.0 and proportion_interval(0, 50)[1] > 0


def test_headline_errors_shrink_with_more_paths():
    rng = np.random.default_rng(1)
    small = headline_errors(rng.normal(10, 2, 1000), rng.normal(0, 1, 1000), rng.random(1000) < 0.3)
    large = headline_errors(rng.normal(10, 2, 16000), rng.normal(0, 1, 16000), rng.random(16000) < 0.3)
    for key in ("arr_end_p50", "cash_out_probability"):
        assert large[key]["se"] < 0.35 * small[key]["se"]  # ~ 1 / sqrt(16) = 0.25
        lo, hi = large[key]["ci95"]
        assert lo <= large[key]["estimate"] <= hi


def test_choose_paths_stops_at_the_first_precise_enough_count():
    scenario = planner.load_scenario(SEED_SCENARIO)
    # a 2-point target on the cash-out probability (a third of paths run out) keeps it quick
    paths, rounds = choose_paths(scenario, start=512, absolute=0.02)
    assert rounds[-1]["paths"] == paths and paths > 512 and len(rounds) >= 2
    result = planner.simulate(scenario, paths=paths, keep=["arr", "cash"], by_segment=False)
    assert precise_enough(result.total("arr")[:, -1], result.cash_out_month() >= 0, absolute=0.02)
    half = planner.simulate(scenario, paths=paths // 2, keep=["arr", "cash"], by_segment=False)
    assert not precise_enough(half.total("arr")[:, -1], half.cash_out_month() >= 0, absolute=0.02)


def test_cli_paths_auto_and_error_in_summary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # the default scenario never runs out of cash: precise enough at the first round of 4,096
    result = CliRunner().invoke(main, ["run", "--paths", "auto", "--json", "--no-charts"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # only JSON: no progress bar off a terminal
    err = data["monte_carlo_error"]
    assert err["auto_paths"][-1]["paths"] == data["paths"]
    assert (err["arr_end_p50"]["ci95"][1] - err["arr_end_p50"]["ci95"][0]) / 2 \
        <= 0.01 * err["arr_end_p50"]["estimate"]
    assert result.stderr == ""
