"""planner.cohorts: cohorts rebuilt from the engine's draws, triangles, payback, profitability."""
from __future__ import annotations

import math

import numpy as np
import pytest

import planner
from planner.analysis.cohorts import (allocation_shares, cohort_models, cohort_payback, cohort_profitability, logo_retention, payback_age, revenue_retention)
from planner.analysis.stats import mean_across_paths, quantiles_across_paths

from conftest import FIXTURES, scenario_from_text

# Constant churn 4%, expansion 1%, no opening book; S&M = 8,000 a month (AE 96,000 / 12).
CONSTANT = """
name: constant
start: 2027-01
horizon_months: 24
simulation: {{paths: 1, seed: 1}}
opening: {{cash: 1000000}}
segments:
  s:
    price: {{arpa: 200}}
    acquisition: {{new_customers: {new}}}
    retention: {{model: constant, monthly_churn: {churn}}}
    expansion: {{monthly_rate: {g}}}
costs:
  cogs: {{hosting_pct_of_revenue: 0.2}}
  headcount:
    - {{role: AE, department: sales, salary: 96000, burden: 0, start: 1}}
"""

UNCERTAIN = """
name: uncertain
start: 2027-01
horizon_months: 30
simulation: {paths: 64, seed: 5}
opening: {cash: 1000000}
segments:
  a:
    price: {arpa: {dist: uniform, low: 80, high: 120}, annual_increase: 0.05}
    acquisition:
      marketing_budget: {start: 8000, monthly_growth: 0.02}
      cac: {dist: uniform, low: 300, high: 500}
    retention: {model: sbg, alpha: {dist: uniform, low: 0.8, high: 1.2}, beta: 8, period: month}
    expansion: {monthly_rate: {dist: uniform, low: 0.0, high: 0.01}, contraction_monthly_rate: 0.002}
  b:
    price: {arpa: 1500}
    contract: {term_months: 12, billing: annual}
    acquisition: {new_customers: {schedule: {2027-01: 2, 2027-06: 0, 2027-09: 3}}}
    retention: {model: constant, monthly_churn: {dist: uniform, low: 0.004, high: 0.012}}
    expansion: {monthly_rate: 0.004}
costs:
  cogs: {hosting_pct_of_revenue: 0.1, per_customer_monthly: {a: 2, b: 30}}
  headcount:
    - {role: AE, department: sales, salary: 100000, burden: 0.2, start: 2}
"""


def constant(tmp_path, new=10, churn=0.04, g=0.01):
    return planner.simulate(scenario_from_text(CONSTANT.format(new=new, churn=churn, g=g), tmp_path))


def test_cohorts_rebuild_the_engine_series(tmp_path):
    """With no opening book, layering the cohorts gives back the engine's MRR and customers, path by path."""
    r = planner.simulate(scenario_from_text(UNCERTAIN, tmp_path), paths=64)
    models = cohort_models(r)
    months = r.scenario.horizon
    for name, m in models.items():
        np.testing.assert_array_equal(m.new_customers, r.segment("new_customers", name))
        np.testing.assert_array_equal(m.new_mrr, r.segment("new_mrr", name))
        mrr = np.zeros((r.paths, months))
        customers = np.zeros((r.paths, months))
        for c in range(months):
            mrr[:, c:] += m.new_mrr[:, c:c + 1] * m.mrr[:, : months - c]
            customers[:, c:] += m.new_customers[:, c:c + 1] * m.customers[:, : months - c]
        np.testing.assert_allclose(mrr, r.segment("mrr", name), rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(customers, r.segment("customers", name), rtol=1e-9, atol=1e-9)
        # gross margin of all cohorts = the segment's revenue - COGS
        margin = np.zeros((r.paths, months))
        for c in range(months):
            margin[:, c:] += m.gross_margin(m.new_mrr[:, c], m.new_customers[:, c])[:, : months - c]
        np.testing.assert_allclose(margin, r.segment("gross_profit", name), rtol=1e-9, atol=1e-6)
    assert models["a"].programme_spend[0, 0] == pytest.approx(8000.0)


def test_retention_triangles_under_constant_churn(tmp_path):
    r = constant(tmp_path)
    revenue = revenue_retention(r)
    logo = logo_retention(r, "s")
    a = np.arange(24)
    # cohort 0 keeps (1 - 0.04)^a of its customers, each growing 1.01^a
    np.testing.assert_allclose(logo.p50[0], 0.96 ** a, rtol=1e-12)
    np.testing.assert_allclose(revenue.p50[0], (0.96 * 1.01) ** a, rtol=1e-12)
    np.testing.assert_allclose(revenue.mean[5, :19], (0.96 * 1.01) ** a[:19], rtol=1e-12)
    # a triangle: cohort c is observed for 24 - c months, nan after the plan's end
    assert np.isnan(revenue.p50[5, 19:]).all() and not np.isnan(revenue.p50[5, :19]).any()
    assert revenue.cohorts[5] == np.datetime64("2027-06") and revenue.p50.shape == (24, 24)
    with pytest.raises(KeyError, match="no segment named 'x'"):
        logo_retention(r, "x")


def test_blended_triangle_weights_segments_by_starting_mrr(tmp_path):
    r = planner.simulate(scenario_from_text(UNCERTAIN, tmp_path), paths=64)
    models = cohort_models(r)
    table = revenue_retention(r, models=models)
    a, b = models["a"], models["b"]
    expected = (a.new_mrr[:, 0:1] * a.mrr[:, :30] + b.new_mrr[:, 0:1] * b.mrr[:, :30]) / (
        a.new_mrr[:, 0:1] + b.new_mrr[:, 0:1])
    np.testing.assert_allclose(table.p50[0], np.median(expected, axis=0), rtol=1e-12)
    # segment b wins nobody in 2027-06..08: its own triangle has no such cohorts
    b_table = logo_retention(r, "b", models=models)
    assert np.isnan(b_table.p50[5:8]).all() and not np.isnan(b_table.p50[8, 0])


def test_cohort_payback_without_churn_is_cac_over_monthly_margin(tmp_path):
    r = constant(tmp_path, churn=0.0, g=0.0)
    pb = cohort_payback(r, "s")
    # CAC 8,000 / 10 = 800; margin 200 x 0.8 = 160 a month -> 5 months for every cohort
    np.testing.assert_allclose(pb.p50, 5.0, rtol=1e-12)
    np.testing.assert_allclose(pb.cac[1], 800.0)
    np.testing.assert_allclose(pb.paid_back_share, 1.0)
    lagged = cohort_payback(r, None, cac_lag_months=2)
    assert np.isnan(lagged.p50[:2]).all() and lagged.p50[2] == pytest.approx(5.0)


def test_cohort_payback_with_churn(tmp_path):
    r = constant(tmp_path, churn=0.04, g=0.0)
    pb = cohort_payback(r, "s")
    # cumulative margin per customer 160 (1 - 0.96^n) / 0.04 reaches 800 when 0.96^n = 0.8:
    # between n = 5 (4000 (1 - 0.96^5) = 738.4) and n = 6 (4000 (1 - 0.96^6) = 868.9)
    low, high = 4000 * (1 - 0.96 ** 5), 4000 * (1 - 0.96 ** 6)
    assert pb.p50[0] == pytest.approx(5 + (800 - low) / (high - low))


def test_cohort_never_paying_back(tmp_path):
    r = constant(tmp_path, new=0.01, churn=0.5, g=0.0)  # CAC 800,000, margin 160 a month, half churn
    pb = cohort_payback(r, "s")
    assert np.isinf(pb.p50).all() and (pb.paid_back_share == 0).all()
    empty = cohort_payback(constant(tmp_path, new=0), "s")
    assert np.isnan(empty.p50).all() and np.isnan(empty.paid_back_share).all()


def test_cohort_profitability_curve(tmp_path):
    r = constant(tmp_path, churn=0.0, g=0.0)
    total = cohort_profitability(r, "s")
    per = cohort_profitability(r, "s", per_customer=True)
    # per customer: -800 + 160 (a + 1); crosses zero at age 4 (five months of margin)
    np.testing.assert_allclose(per.p50[0], -800 + 160 * (np.arange(24) + 1), rtol=1e-12)
    np.testing.assert_allclose(total.p50[3, :21], 10 * (-800 + 160 * (np.arange(21) + 1)), rtol=1e-12)
    assert np.isnan(total.p50[3, 21:]).all()
    assert total.unit == "money"


def test_payback_age():
    cumulative = np.array([[100.0, 200.0, 300.0], [100.0, 200.0, 300.0], [50.0, 40.0, 30.0]])
    out = payback_age(cumulative, np.array([250.0, 0.0, 60.0]))
    np.testing.assert_allclose(out, [2.5, 0.0, np.inf])
    assert math.isnan(payback_age(cumulative[:1], np.array([np.nan]))[0])
    assert payback_age(cumulative[:1], np.array([50.0]))[0] == pytest.approx(0.5)


def test_payback_by_blocks_is_payback_on_the_whole_array():
    """Block by block (later blocks only on the paths not yet paid back) = on every age."""
    from planner.analysis.cohorts import payback_age_by_blocks
    rng = np.random.default_rng(4)
    margin = rng.normal(10.0, 8.0, (300, 120))
    margin[:50] = -1.0  # never pays back
    cumulative = np.cumsum(margin, axis=1)
    cost = rng.uniform(-20.0, 1500.0, 300)
    cost[::37] = np.nan
    cost[5] = 0.0
    whole = payback_age(cumulative, cost)
    for block in (1, 7, 24, 120, 200):
        got = payback_age_by_blocks(lambda ages, rows: cumulative[rows, ages], cost, 120, first_block=block)
        np.testing.assert_array_equal(got, whole)
    assert np.isinf(whole[:50][cost[:50] > 0]).all() and (whole[100:] > 24).any()


def test_quantiles_without_nan_are_those_of_the_full_sort():
    """Columns without nan take a partition at the ranks read: the same numbers to the bit."""
    rng = np.random.default_rng(2)
    for shape in [(2000, 12), (7, 3), (1, 4), (2, 5), (2001,)]:
        values = rng.standard_normal(shape)
        values.flat[::17] = np.inf
        values.flat[::23] = -np.inf
        with_nan = np.concatenate([values.reshape(shape[0], -1), np.full((shape[0], 1), np.nan)], axis=1)
        q = (0.0, 0.1, 0.25, 0.5, 0.9, 1.0)
        np.testing.assert_array_equal(quantiles_across_paths(values, q),
                                      quantiles_across_paths(with_nan, q)[:, :-1].reshape((6,) + shape[1:]))


def test_quantiles_handle_inf_and_nan():
    values = np.array([[1.0, np.nan], [2.0, np.nan], [np.inf, np.nan], [np.inf, np.nan]])
    q = quantiles_across_paths(values, (0.0, 0.5, 0.9))
    np.testing.assert_array_equal(q[:, 0], [1.0, np.inf, np.inf])
    assert np.isnan(q[:, 1]).all()
    np.testing.assert_allclose(quantiles_across_paths(np.array([[1.0], [np.nan], [3.0]]), (0.5,)), [[2.0]])
    np.testing.assert_allclose(mean_across_paths(np.array([[1.0], [np.nan], [3.0]])), [2.0])


def test_allocation_shares(tmp_path):
    r = planner.simulate(scenario_from_text(UNCERTAIN, tmp_path), paths=64)
    models = cohort_models(r)
    for basis in ("new_mrr", "new_customers"):
        shares = allocation_shares(models, basis)
        np.testing.assert_allclose(shares["a"] + shares["b"], 1.0)
    with pytest.raises(ValueError, match="allocation"):
        allocation_shares(models, "revenue")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_scenarios_run(path):
    r = planner.simulate(planner.load_scenario(path), paths=32)
    models = cohort_models(r)
    for seg in (None, *r.segments):
        assert revenue_retention(r, seg, models=models).p50.shape == (r.scenario.horizon,) * 2
        pb = cohort_payback(r, seg, models=models)
        assert not np.isnan(pb.p50[~np.isnan(pb.p50)]).any()
        cohort_profitability(r, seg, cac_lag_months=1, models=models)
