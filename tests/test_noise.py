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
