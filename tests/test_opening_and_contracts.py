"""Known answers for the opening book and contract mechanics (hand-computed)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betaln

import planner
from planner.engine.revenue import opening_ages

from conftest import scenario_from_text

HEAD = """
name: k
start: 2027-01
horizon_months: {horizon}
simulation: {{paths: 1, seed: 1}}
opening: {{cash: 0}}
segments:
  s:
"""


def run(tmp_path, segment: str, horizon: int = 24):
    return planner.simulate(scenario_from_text(HEAD.format(horizon=horizon) + segment, tmp_path))


def test_opening_deferred_revenue_and_receivables_of_an_annual_book(tmp_path):
    """$120K MRR renewing evenly on annual prepaid contracts: slice j ($10K MRR) renews in
    month j, so at the start it has j months billed but not yet earned: 10K x (0+...+11) =
    660K deferred. With 45-day terms (a 1.478-month lag split 52.2% / 47.8% over the next
    two months) the invoice of month -1 (120K) is all unpaid and 47.8% of month -2's is:
    120K + 120K x (1.478 - 1) = 177.4K receivable."""
    r = run(tmp_path, """
    opening: {customers: 120, mrr: 120000}
    price: {arpa: 1000}
    contract: {term_months: 12, billing: annual, payment_terms_days: 45}
    acquisition: {new_customers: 0}
    retention: {model: constant, monthly_churn: 0}
""")
    assert r.opening["deferred_revenue"][0] == pytest.approx(660_000)
    lag = 45 / (365.25 / 12)
    assert r.opening["receivables"][0] == pytest.approx(120_000 + 120_000 * (lag - 1))
    np.testing.assert_allclose(r.total("billings")[0][:12], 120_000)


def test_quarterly_billing_on_an_annual_contract(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: quarterly}
    acquisition: {new_customers: {schedule: {2027-01: 1, 2027-02: 0}}}
    retention: {model: constant, monthly_churn: 0}
""", horizon=7)
    np.testing.assert_allclose(r.total("billings")[0], [3000, 0, 0, 3000, 0, 0, 3000])
    np.testing.assert_allclose(r.total("deferred_revenue")[0], [2000, 1000, 0, 2000, 1000, 0, 2000])


def test_price_increase_applies_to_new_customers_each_plan_year(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 100, annual_increase: 0.1}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: 0}
""", horizon=25)
    new_mrr = r.total("new_mrr")[0]
    assert new_mrr[11] == pytest.approx(100) and new_mrr[12] == pytest.approx(110)
    assert new_mrr[24] == pytest.approx(121)


def test_contraction_of_annual_contracts_is_taken_at_renewal(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: monthly}
    acquisition: {new_customers: {schedule: {2027-01: 1, 2027-02: 0}}}
    retention: {model: constant, monthly_churn: 0}
    expansion: {contraction_monthly_rate: 0.01}
""")
    mrr = r.total("mrr")[0]
    np.testing.assert_allclose(mrr[:12], 1000)
    np.testing.assert_allclose(mrr[12:], 1000 * 0.99 ** 12)
    assert set(np.flatnonzero(r.total("contraction_mrr")[0] > 0)) == {12}


def test_mrr_curve_moves_at_renewal_on_annual_contracts(tmp_path):
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: annual}
    acquisition: {new_customers: {schedule: {2027-01: 1, 2027-02: 0}}}
    retention: {model: constant, monthly_churn: 0}
    expansion: {mrr_per_customer_curve: {0: 1.0, 12: 0.88}}
""")
    np.testing.assert_allclose(r.total("billings")[0][:13], [12000] + [0] * 11 + [10560])
    assert (r.total("billings")[0] >= 0).all()


def test_sbg_with_yearly_periods_on_annual_contracts(tmp_path):
    """Survivors after r renewals are B(a, b + r) / B(a, b)."""
    r = run(tmp_path, """
    price: {arpa: 1000}
    contract: {term_months: 12, billing: annual}
    acquisition: {new_customers: {schedule: {2027-01: 1000, 2027-02: 0}}}
    retention: {model: sbg, alpha: 0.704, beta: 1.182, period: year}
""", horizon=36)
    survival = np.exp(betaln(0.704, 1.182 + np.arange(3)) - betaln(0.704, 1.182))
    np.testing.assert_allclose(r.total("customers")[0][[0, 11, 12, 23, 24, 35]],
                               1000 * survival[[0, 0, 1, 1, 2, 2]], rtol=1e-12)


@pytest.mark.parametrize("term, age", [(12, 12), (12, 13), (12, 30), (1, 7), (3, 5), (36, 26)])
def test_opening_age_is_the_average_age_of_the_book(term, age):
    from types import SimpleNamespace

    ages = opening_ages(SimpleNamespace(term_months=term, opening_age=age))
    assert sorted((ages + np.arange(term) + 1) % term) == [0] * term  # slice j renews in month j
    assert abs(ages.mean() - age) <= 0.5 + 1e-9 or age < term / 2


def test_opening_age_changes_first_year_churn_on_annual_contracts(tmp_path):
    """Published sBG fit (Fader & Hardie 2007, 'regular'): a young book loses more at renewal."""
    lost = {}
    for age in (6, 18, 30):
        r = run(tmp_path, f"""
    opening: {{customers: 1200, mrr: 1200000, age_months: {age}}}
    price: {{arpa: 1000}}
    contract: {{term_months: 12, billing: annual}}
    acquisition: {{new_customers: 0}}
    retention: {{model: sbg, alpha: 0.704, beta: 1.182, period: year}}
""", horizon=12)
        lost[age] = 1200 - r.total("customers")[0, -1]
    assert lost[6] > lost[18] > lost[30]

    def surv(years):
        return np.exp(betaln(0.704, 1.182 + years) - betaln(0.704, 1.182))
    # a slice aged a at the start renews once in year 1, at age R = 12 ceil((a + 1) / 12),
    # keeping S(R) / S(R - 12) of its 100 customers
    ages = opening_ages(type("S", (), {"term_months": 12, "opening_age": 18})())
    years = np.ceil((ages + 1) / 12)
    assert lost[18] == pytest.approx(1200 - (100 * surv(years) / surv(years - 1)).sum())


ANNUAL_WITH_EXPANSION = """
    price: {{arpa: 1000}}
    contract: {{term_months: 12, billing: annual{setting}}}
    acquisition: {{new_customers: {{schedule: {{2027-01: 1, 2027-02: 0}}}}}}
    retention: {{model: constant, monthly_churn: 0}}
    expansion: {{monthly_rate: 0.01}}
"""


def test_expansion_on_an_annual_prepaid_contract_is_invoiced_co_termed_by_default(tmp_path):
    """One customer at $1,000 MRR growing 1% a month on an annual prepaid contract: each
    month's rise is invoiced at once for the rest of the year (month t of the year: the
    rise x (12 - t) months), so the deferred balance is always MRR x months left."""
    r = run(tmp_path, ANNUAL_WITH_EXPANSION.format(setting=""), horizon=14)
    mrr = 1000 * 1.01 ** np.arange(14)
    t = np.arange(14) % 12
    rise = np.diff(mrr, prepend=0.0)
    expected = np.where(t == 0, 12 * mrr, rise * (12 - t))
    np.testing.assert_allclose(r.total("billings")[0], expected)
    np.testing.assert_allclose(r.total("deferred_revenue")[0], mrr * (11 - t))
    # the roll-forward: deferred(t) = deferred(t-1) + billings - revenue
    d = np.concatenate([[0.0], r.total("deferred_revenue")[0]])
    np.testing.assert_allclose(np.diff(d), r.total("billings")[0] - r.total("revenue")[0], atol=1e-9)


def test_monthly_expansion_billing_stays_available(tmp_path):
    r = run(tmp_path, ANNUAL_WITH_EXPANSION.format(setting=", expansion_billing: monthly"), horizon=14)
    mrr = 1000 * 1.01 ** np.arange(14)
    t = np.arange(14) % 12
    invoiced = np.where(np.arange(14) < 12, mrr[0], mrr[12])
    # each month bills what the MRR is above the invoiced level, as it is earned
    expected = np.where(t == 0, 12 * mrr, mrr - invoiced)
    np.testing.assert_allclose(r.total("billings")[0], expected)
    np.testing.assert_allclose(r.total("deferred_revenue")[0], invoiced * (11 - t))


def test_quarterly_prepaid_bills_expansion_monthly_by_default(tmp_path):
    sc = scenario_from_text(HEAD.format(horizon=6) + ANNUAL_WITH_EXPANSION.format(setting="").replace(
        "billing: annual", "billing: quarterly"), tmp_path)
    assert sc.segments[0].coterm_expansion is False
