"""Uncertain inputs are drawn from their distribution truncated to the valid range."""
from __future__ import annotations

import numpy as np
from scipy import stats

import planner
from planner.engine.sampling import sample_params

from conftest import scenario_from_text

TEXT = """
name: d
start: 2027-01
horizon_months: 3
opening: {cash: 1}
segments:
  s:
    price: {arpa: 10}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: {dist: normal, mean: 0.02, sd: 0.008}}
"""


def test_draws_are_truncated_not_clipped(tmp_path):
    """0.6% of normal(0.02, 0.008) lies below 0: allowed, but no draw sits on 0 and the
    draws follow the truncated normal."""
    scenario = scenario_from_text(TEXT, tmp_path)
    draws = sample_params(scenario.params, 3, 0, 20_000)[:, 0]
    assert (draws > 0).all()
    truncated = stats.truncnorm(a=(0 - 0.02) / 0.008, b=np.inf, loc=0.02, scale=0.008)
    assert stats.kstest(draws, truncated.cdf).pvalue > 0.01


def test_uniform_draws_match_their_distribution(tmp_path):
    scenario = scenario_from_text(TEXT.replace("{dist: normal, mean: 0.02, sd: 0.008}",
                                               "{dist: uniform, low: 0.01, high: 0.03}"), tmp_path)
    draws = sample_params(scenario.params, 3, 0, 20_000)[:, 0]
    assert stats.kstest(draws, stats.uniform(0.01, 0.02).cdf).pvalue > 0.01
    assert planner.simulate(scenario, paths=50).total("customers").shape == (50, 3)
