"""Uncertain inputs are drawn from their distribution truncated to the valid range."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import planner
from planner.engine.sampling import sample_params

from conftest import ROOT, scenario_from_text

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


def _draws(tmp_path, churn: str = "0.02", new: str = "1", arpa: str = "10", n: int = 20_000):
    text = (TEXT.replace("{dist: normal, mean: 0.02, sd: 0.008}", churn)
            .replace("{new_customers: 1}", "{new_customers: " + new + "}")
            .replace("{arpa: 10}", "{arpa: " + arpa + "}"))
    scenario = scenario_from_text(text, tmp_path)
    return {p.path: column for p, column in zip(scenario.params,
                                                sample_params(scenario.params, 5, 0, n).T)}


def test_interval_is_a_90_percent_range(tmp_path):
    positive = _draws(tmp_path, arpa="'80 to 120'")["segments.s.price.arpa"]
    assert np.quantile(positive, [0.05, 0.95]) == pytest.approx([80, 120], rel=0.02)
    assert stats.skew(positive) > 0  # lognormal for a strictly positive range
    with pytest.raises(planner.ScenarioError, match="outside the valid range"):
        _draws(tmp_path, arpa="'-50 to 50'")  # a normal around 0 for a price: rejected


def test_interval_below_zero_is_normal(tmp_path):
    from planner.scenario.distributions import parse_interval

    dist, problem = parse_interval("-50 to 50")
    assert problem == "" and dist.family == "normal"
    assert dist.frozen.ppf([0.05, 0.95]) == pytest.approx([-50, 50])


@pytest.mark.parametrize("spec, reference", [
    ("{dist: beta, mean: 0.03, sd: 0.01}", stats.beta(0.03 * (0.03 * 0.97 / 1e-4 - 1), 0.97 * (0.03 * 0.97 / 1e-4 - 1))),
    ("{dist: truncnorm, mean: 0.03, sd: 0.02, low: 0.005, high: 0.08}",
     stats.truncnorm((0.005 - 0.03) / 0.02, (0.08 - 0.03) / 0.02, loc=0.03, scale=0.02)),
])
def test_rate_distributions(tmp_path, spec, reference):
    churn = _draws(tmp_path, churn=spec)["segments.s.retention.monthly_churn"]
    assert stats.kstest(churn, reference.cdf).pvalue > 0.01


def test_count_and_choice_distributions(tmp_path):
    poisson = _draws(tmp_path, new="{dist: poisson, mean: 3}")["segments.s.acquisition.new_customers"]
    assert set(np.unique(poisson)) <= set(range(30)) and poisson.mean() == pytest.approx(3, rel=0.03)
    assert (poisson == 0).mean() == pytest.approx(np.exp(-3), abs=0.01)  # 0 is a valid count
    binomial = _draws(tmp_path, new="{dist: binomial, n: 10, p: 0.4}")["segments.s.acquisition.new_customers"]
    assert binomial.mean() == pytest.approx(4, rel=0.03) and binomial.max() <= 10
    choice = _draws(tmp_path, arpa="{dist: choice, values: [130, 80, 100], weights: [1, 1, 2]}")
    values, counts = np.unique(choice["segments.s.price.arpa"], return_counts=True)
    assert values.tolist() == [80, 100, 130]
    assert counts / counts.sum() == pytest.approx([0.25, 0.5, 0.25], abs=0.015)


@pytest.mark.parametrize("paths", [1, 1000, 1024, 3000])
def test_draws_are_laid_out_by_path(paths):
    """Each block's uniforms are made a contiguous column per input, but what the
    sampling functions return is laid out by path, as it always was (sums and means
    over it keep their bits)."""
    from planner.engine.sampling import draw_inputs, uniforms

    scenario = planner.load_scenario(ROOT / "benchmarks" / "simple_model.yaml")
    assert uniforms(3, ("a", "b", "c"), 0, paths).flags.c_contiguous
    assert draw_inputs(scenario, 3, 0, paths).flags.c_contiguous
