"""Closed forms the engine must reproduce with no randomness."""
from __future__ import annotations


import numpy as np
import pytest
from scipy.special import betaln

import planner

from conftest import scenario_from_text

BASE = """
name: known
start: 2027-01
horizon_months: {horizon}
simulation: {{paths: 1, seed: 1}}
opening: {{cash: 1000000}}
segments:
  s:
{segment}
"""


def run(tmp_path, segment: str, horizon: int = 36, extra: str = ""):
    text = BASE.format(horizon=horizon, segment=segment) + extra
    return planner.simulate(scenario_from_text(text, tmp_path), paths=1)


def test_customers_under_constant_churn(tmp_path):
    r = run(tmp_path, """
    opening: {customers: 1000, mrr: 100000}
    price: {arpa: 100}
    acquisition: {new_customers: 0}
    retention: {model: constant, monthly_churn: 0.05}
""")
    t = np.arange(36)
    np.testing.assert_allclose(r.total("customers")[0], 1000 * 0.95 ** (t + 1), rtol=1e-12)
    np.testing.assert_allclose(r.total("churned_customers")[0], 1000 * 0.95 ** t * 0.05, rtol=1e-12)
    np.testing.assert_allclose(r.total("mrr")[0], 100000 * 0.95 ** (t + 1), rtol=1e-12)


def test_steady_state_with_constant_acquisition(tmp_path):
    """New n a month and churn c: customers approach n / c (after this month's wins)."""
    r = run(tmp_path, """
    price: {arpa: 50}
    acquisition: {new_customers: 30}
    retention: {model: constant, monthly_churn: 0.1}
""", horizon=200)
    # customers[t] = 30 * sum_{k=0..t} 0.9^k
    t = np.arange(200)
    np.testing.assert_allclose(r.total("customers")[0], 30 * (1 - 0.9 ** (t + 1)) / 0.1, rtol=1e-11)
    assert r.total("customers")[0, -1] == pytest.approx(300, rel=1e-6)


def sbg_survival(alpha, beta, t):
    """Fader & Hardie (2007) eq. 3 by their recursion: P(T=1) = a/(a+b), P(T=t) = P(T=t-1)(b+t-2)/(a+b+t-1)."""
    s, p = 1.0, alpha / (alpha + beta)
    out = [1.0]
    for k in range(1, t + 1):
        if k > 1:
            p *= (beta + k - 2) / (alpha + beta + k - 1)
        s -= p
        out.append(s)
    return np.array(out)


@pytest.mark.parametrize("alpha,beta", [(0.668, 3.806), (0.704, 1.182), (2.0, 15.0)])
def test_sbg_cohort_survival(tmp_path, alpha, beta):
    """One cohort of 1000: survivors at age t are 1000 B(a, b + t) / B(a, b)."""
    r = run(tmp_path, f"""
    price: {{arpa: 10}}
    acquisition: {{new_customers: {{schedule: {{2027-01: 1000, 2027-02: 0}}}}}}
    retention: {{model: sbg, alpha: {alpha}, beta: {beta}}}
""", horizon=24)
    t = np.arange(24)
    closed = np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))
    np.testing.assert_allclose(r.total("customers")[0], 1000 * closed, rtol=1e-10)
    np.testing.assert_allclose(closed, sbg_survival(alpha, beta, 23), rtol=1e-10)


def test_annual_contracts_lose_customers_only_at_renewal(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: annual}
    acquisition: {new_customers: {schedule: {2027-01: 120, 2027-02: 0}}}
    retention: {model: constant, annual_churn: 0.2}
""")
    customers = r.total("customers")[0]
    np.testing.assert_allclose(customers[:12], 120)
    np.testing.assert_allclose(customers[12:24], 96, rtol=1e-12)
    np.testing.assert_allclose(customers[24:], 76.8, rtol=1e-12)
    churned = r.total("churned_customers")[0]
    assert set(np.flatnonzero(churned > 1e-9)) == {12, 24}


def test_opening_book_on_annual_contracts_renews_evenly(tmp_path):
    """1,200 customers renewing evenly: 100 renew each month and 20% of those leave."""
    r = run(tmp_path, """
    opening: {customers: 1200, mrr: 1200000}
    price: {arpa: 1000}
    contract: {term_months: 12, billing: monthly}
    acquisition: {new_customers: 0}
    retention: {model: constant, annual_churn: 0.2}
""", horizon=12)
    np.testing.assert_allclose(r.total("customers")[0], 1200 - 20 * (np.arange(12) + 1), rtol=1e-12)


def test_annual_prepayment_billings_and_deferred_revenue(tmp_path):
    """One customer at $1,000 MRR billed $12,000 upfront; revenue recognised monthly."""
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: annual, payment_terms_days: 0}
    acquisition: {new_customers: {schedule: {2027-01: 1, 2027-02: 0}}}
    retention: {model: constant, monthly_churn: 0}
""", horizon=24)
    billings = r.total("billings")[0]
    assert billings[0] == pytest.approx(12000) and billings[12] == pytest.approx(12000)
    assert np.allclose(np.delete(billings, [0, 12]), 0)
    np.testing.assert_allclose(r.total("revenue")[0], 1000)
    np.testing.assert_allclose(r.total("deferred_revenue")[0][:12], 12000 - 1000 * (np.arange(12) + 1))
    np.testing.assert_allclose(r.total("collections")[0], billings)


def test_payment_terms_delay_collections(tmp_path):
    """45 days = 1.478 months: 52.2% of an invoice arrives 1 month later, 47.8% after 2."""
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: annual, payment_terms_days: 45}
    acquisition: {new_customers: {schedule: {2027-01: 1, 2027-02: 0}}}
    retention: {model: constant, monthly_churn: 0}
""", horizon=6)
    lag = 45 / (365.25 / 12)
    expected = [0, 12000 * (2 - lag), 12000 * (lag - 1), 0, 0, 0]
    np.testing.assert_allclose(r.total("collections")[0], expected, atol=1e-9)


def test_expansion_and_contraction_rates_on_monthly_contracts(tmp_path):
    r = run(tmp_path, """
    opening: {customers: 10, mrr: 10000}
    price: {arpa: 1000}
    acquisition: {new_customers: 0}
    retention: {model: constant, monthly_churn: 0}
    expansion: {monthly_rate: 0.02, contraction_monthly_rate: 0.005}
""", horizon=12)
    t = np.arange(12)
    np.testing.assert_allclose(r.total("mrr")[0], 10000 * 1.015 ** (t + 1), rtol=1e-12)
    np.testing.assert_allclose(r.total("expansion_mrr")[0], 10000 * 1.015 ** t * 0.02, rtol=1e-12)


def test_budget_and_cac_give_new_customers_and_marketing_cost(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 100}
    acquisition: {marketing_budget: 50000, cac: 2500}
    retention: {model: constant, monthly_churn: 0}
""", horizon=3)
    np.testing.assert_allclose(r.total("new_customers")[0], 20)
    np.testing.assert_allclose(r.total("sm_expense")[0], 50000)


def test_headcount_cost_and_cash(tmp_path):
    """Salary 120,000 with 25% burden = 12,500 a month per person; a raise after 12 months."""
    r = run(tmp_path, """
    price: {arpa: 100}
    acquisition: {new_customers: 0}
    retention: {model: constant, monthly_churn: 0}
""", horizon=14, extra="""
costs:
  headcount:
    - {role: Eng, department: rnd, salary: 120000, burden: 0.25, annual_raise: 0.1, start: 2,
       hires: {2027-03: 1}}
funding:
  rounds: [{name: Seed, month: 2027-02, amount: 500000}]
""")
    expected = np.array([2, 2] + [3] * 12) * 12500.0
    expected[12:] *= 1.1
    np.testing.assert_allclose(r.total("rnd_expense")[0], expected)
    np.testing.assert_allclose(r.total("headcount")[0], [2, 2] + [3] * 12)
    np.testing.assert_allclose(r.total("cash")[0], 1000000 + 500000 * (np.arange(14) >= 1) - np.cumsum(expected))
    month = r.cash_out_month()
    assert month[0] == -1


def test_cash_out_month_and_trough(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 100}
    acquisition: {new_customers: 0}
    retention: {model: constant, monthly_churn: 0}
""", horizon=12, extra="""
costs:
  opex: [{name: Burn, department: ga, monthly: 300000}]
""")
    # 1,000,000 - 300,000 (t + 1) < 0 first at t = 3
    assert r.cash_out_month()[0] == 3
    assert r.cash_trough()[0] == pytest.approx(1000000 - 300000 * 12)
