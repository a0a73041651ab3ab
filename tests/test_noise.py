"""Process noise: whole customers, Poisson wins, binomial churn."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import planner
from planner.engine.noise import whole_slices
from planner.engine.sampling import BLOCK

from conftest import FIXTURES, scenario_from_text

NOISY = next(p for p in FIXTURES if p.stem == "noisy")


def test_customers_are_whole_and_flows_are_counts():
    r = planner.simulate(planner.load_scenario(NOISY), paths=300)
    for name in ("customers", "new_customers", "churned_customers"):
        values = r.total(name)
        np.testing.assert_array_equal(values, np.round(values), err_msg=name)


def test_binomial_churn_of_the_opening_book(tmp_path):
    """1,000 customers at 5% monthly churn: survivors after t + 1 months are
    Binomial(1000, 0.95^(t+1)), so mean 1000 q and variance 1000 q (1 - q)."""
    sc = scenario_from_text("""
name: b
start: 2027-01
horizon_months: 12
simulation: {process_noise: true}
opening: {cash: 0}
segments:
  s:
    opening: {customers: 1000, mrr: 100000}
    price: {arpa: 100}
    acquisition: {new_customers: 0}
    retention: {model: constant, monthly_churn: 0.05}
""", tmp_path)
    end = planner.simulate(sc, paths=4 * BLOCK).total("customers")[:, -1]
    q = 0.95 ** 12
    assert end.mean() == pytest.approx(1000 * q, abs=4 * np.sqrt(1000 * q * (1 - q) / end.size))
    assert end.var() == pytest.approx(1000 * q * (1 - q), rel=0.1)


def test_poisson_wins(tmp_path):
    sc = scenario_from_text("""
name: p
start: 2027-01
horizon_months: 24
simulation: {process_noise: true}
opening: {cash: 0}
segments:
  s:
    price: {arpa: 100}
    acquisition: {new_customers: 0.4}
    retention: {model: constant, monthly_churn: 0.0}
""", tmp_path)
    wins = planner.simulate(sc, paths=2 * BLOCK).total("new_customers")
    assert wins.mean() == pytest.approx(0.4, abs=0.02)
    assert wins.var() == pytest.approx(0.4, rel=0.1)       # Poisson: variance = mean
    assert (wins == 0).mean() == pytest.approx(np.exp(-0.4), abs=0.02)


@pytest.mark.parametrize("series", ["customers", "mrr", "deferred_revenue", "cash"])
def test_noise_agrees_with_expected_values_on_average(series):
    noisy = planner.load_scenario(NOISY)
    smooth = dataclasses.replace(noisy, process_noise=False)
    a = planner.simulate(noisy, paths=4 * BLOCK).total(series)[:, -1]
    b = planner.simulate(smooth, paths=4 * BLOCK).total(series)[:, -1]
    # same input draws per path: the difference is the process noise alone
    diff = a - b
    assert abs(diff.mean()) <= 4 * diff.std() / np.sqrt(diff.size) + 1e-9 * abs(b.mean())


def test_noise_keeps_paths_independent_of_the_path_count():
    sc = planner.load_scenario(NOISY)
    big = planner.simulate(sc, paths=BLOCK + 100, seed=3)
    small = planner.simulate(sc, paths=50, seed=3)
    np.testing.assert_array_equal(big.total("customers")[:50], small.total("customers"))
    other = planner.simulate(sc, paths=50, seed=4)
    assert not np.array_equal(other.total("customers"), small.total("customers"))


@pytest.mark.parametrize("customers, term", [(12, 36), (85, 12), (0, 12), (7, 1), (1, 36)])
def test_whole_slices_spread_evenly(customers, term):
    slices = whole_slices(np.array([customers]), term)[:, 0]
    assert slices.sum() == customers and slices.max() - slices.min() <= 1
    if 0 < customers <= term:  # one customer per slice at even spacing, centred
        spots = np.flatnonzero(slices)
        assert np.allclose(spots, np.floor((np.arange(customers) + 0.5) * term / customers))


@pytest.mark.parametrize("term", [1, 12])
def test_new_cohorts_thin_poisson_wins_to_poisson_customers(tmp_path, term):
    """Poisson wins thinned by independent binomial churn stay Poisson: customers at month
    t have mean = variance = rate * sum of survival over the cohorts' ages (annual
    contracts churn only at renewal, so only renewing cohorts are drawn)."""
    sc = scenario_from_text(f"""
name: thin
start: 2027-01
horizon_months: 30
simulation: {{process_noise: true}}
opening: {{cash: 0}}
segments:
  s:
    price: {{arpa: 100}}
    contract: {{term_months: {term}, billing: {'monthly' if term == 1 else 'annual'}}}
    acquisition: {{new_customers: 6}}
    retention: {{model: constant, monthly_churn: 0.04}}
""", tmp_path)
    customers = planner.simulate(sc, paths=4 * BLOCK).total("customers")
    for t in (11, 12, 29):
        ages = np.arange(t + 1)
        expected = 6 * (0.96 ** (term * (ages // term))).sum()
        values = customers[:, t]
        assert values.mean() == pytest.approx(expected, abs=4 * np.sqrt(expected / values.size))
        assert values.var() == pytest.approx(expected, rel=0.1)


def test_the_opening_book_on_annual_terms_churns_binomially_at_renewals(tmp_path):
    """120 customers on 12-month terms, 10 renewing each month, 20% lost at each renewal:
    every slice renews once in any 12 months, so the book is Binomial(120, 0.8) after 12
    months and Binomial(120, 0.64) after 24 (drawn per slice in one multinomial)."""
    sc = scenario_from_text("""
name: a
start: 2027-01
horizon_months: 24
simulation: {process_noise: true}
opening: {cash: 0}
segments:
  s:
    opening: {customers: 120, mrr: 240000, age_months: 5}
    price: {arpa: 2000}
    contract: {term_months: 12, billing: annual}
    acquisition: {new_customers: 0}
    retention: {model: constant, annual_churn: 0.2}
""", tmp_path)
    customers = planner.simulate(sc, paths=4 * BLOCK).total("customers")
    for t, q in ((11, 0.8), (23, 0.64)):
        values = customers[:, t]
        assert values.mean() == pytest.approx(120 * q, abs=4 * np.sqrt(120 * q * (1 - q) / values.size))
        assert values.var() == pytest.approx(120 * q * (1 - q), rel=0.1)
    churned = planner.simulate(sc, paths=BLOCK).total("churned_customers")
    assert (churned.sum(axis=0) > 0).all()  # a slice renews every month


UNCERTAIN = """
name: u
start: 2027-01
horizon_months: 36
simulation: {process_noise: true}
opening: {cash: 1000000}
segments:
  monthly:
    opening: {customers: 200, mrr: 20000, age_months: 3}
    price: {arpa: 100, annual_increase: 0.04}
    acquisition: {new_customers: {dist: uniform, low: 8, high: 14}}
    retention: {model: constant, monthly_churn: {dist: uniform, low: 0.01, high: 0.05}}
    expansion: {monthly_rate: {dist: uniform, low: 0.0, high: 0.01}, contraction_monthly_rate: 0.002}
  annual:
    opening: {customers: 40, mrr: 60000, age_months: 7}
    price: {arpa: 1500}
    contract: {term_months: 12, billing: annual}
    acquisition: {new_customers: 1.5}
    retention: {model: sbg, alpha: {dist: uniform, low: 0.6, high: 1.2}, beta: 6.0, period: year}
    expansion: {monthly_rate: 0.005}
"""


@pytest.mark.parametrize("series", ["customers", "churned_customers", "mrr", "churned_mrr",
                                    "expansion_mrr", "contraction_mrr", "deferred_revenue"])
def test_uncertain_retention_and_money_agree_with_expected_values_on_average(tmp_path, series):
    """Keep-probabilities and per-survivor money that differ by path (the sampler's
    per-cell probabilities, the per-path money products): on average the noise is zero."""
    noisy = scenario_from_text(UNCERTAIN, tmp_path)
    smooth = dataclasses.replace(noisy, process_noise=False)
    with_noise, without = planner.simulate(noisy, paths=4 * BLOCK), planner.simulate(smooth, paths=4 * BLOCK)
    for segment in ("monthly", "annual"):
        a, b = with_noise.segment(series, segment), without.segment(series, segment)
        diff = a.sum(axis=1) - b.sum(axis=1)
        assert abs(diff.mean()) <= 4 * diff.std() / np.sqrt(diff.size) + 1e-9 * abs(b.sum(axis=1).mean()), segment


def test_uncertain_retention_and_money_keep_the_mrr_bridge_on_every_path(tmp_path):
    """MRR moves by exactly new + expansion - contraction - churned MRR, customers by new -
    churned, when keep-probabilities and money differ by path (the oracle-free check of
    the per-path products)."""
    r = planner.simulate(scenario_from_text(UNCERTAIN, tmp_path), paths=300)
    for segment in r.segments:
        get = lambda name: r.segment(name, segment)  # noqa: E731
        mrr, customers = get("mrr"), get("customers")
        flows = get("new_mrr") + get("expansion_mrr") - get("contraction_mrr") - get("churned_mrr")
        np.testing.assert_allclose(np.diff(mrr, axis=1), flows[:, 1:], rtol=0, atol=1e-9 * mrr.max())
        np.testing.assert_array_equal(np.diff(customers, axis=1),
                                      (get("new_customers") - get("churned_customers"))[:, 1:])
