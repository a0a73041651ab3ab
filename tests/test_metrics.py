"""planner.metrics: hand-computed worked examples and every edge case."""
from __future__ import annotations

import math

import numpy as np
import pytest

from planner.analysis import metrics as m


def test_cac_worked_example():
    # $120,000 of S&M bought 40 customers: 120000 / 40 = 3000
    assert m.cac(120_000, 40) == pytest.approx(3000.0)
    assert isinstance(m.cac(120_000, 40), float)


def test_cac_zero_new_customers_is_nan_not_inf():
    assert math.isnan(m.cac(50_000, 0))
    assert math.isnan(m.cac(0, 0))
    out = m.cac(np.array([100.0, 100.0, np.nan]), np.array([4.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [25.0, np.nan, np.nan])


def test_cac_broadcasts():
    out = m.cac(np.array([[100.0], [200.0]]), np.array([1.0, 2.0, 4.0]))
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, [[100, 50, 25], [200, 100, 50]])


def test_ltv_worked_examples():
    # ARPA $500/month, 80% margin, 2% monthly churn: 500 * 0.8 / 0.02 = 20,000
    assert m.ltv(500, 0.8, 0.02) == pytest.approx(20_000.0)
    # with 0.5% net expansion: 400 / (0.02 - 0.005) = 400 / 0.015 = 26,666.67
    assert m.ltv(500, 0.8, 0.02, 0.005) == pytest.approx(26_666.666666, rel=1e-9)


def test_ltv_unbounded_when_expansion_keeps_up_with_churn():
    assert m.ltv(500, 0.8, 0.0) == math.inf            # zero churn
    assert m.ltv(500, 0.8, 0.02, 0.02) == math.inf     # expansion == churn
    assert m.ltv(500, 0.8, 0.02, 0.03) == math.inf     # expansion > churn
    assert m.ltv(500, -0.1, 0.01, 0.02) == -math.inf   # losing money on every customer, forever
    assert m.ltv(500, 0.0, 0.0) == 0.0
    out = m.ltv(100.0, 0.5, np.array([0.05, 0.0]))
    np.testing.assert_array_equal(out, [1000.0, np.inf])


def test_ltv_capped_worked_example():
    # r = 1 - 0.5 + 0 = 0.5, H = 3: 100 * 1 * (1 + 0.5 + 0.25) = 175
    assert m.ltv_capped(100, 1.0, 0.5, 0.0, horizon_periods=3) == pytest.approx(175.0)
    # r = 1 (expansion == churn): 100 * 0.5 * 60 = 3000
    assert m.ltv_capped(100, 0.5, 0.01, 0.01) == pytest.approx(3000.0)
    # r = 1.01 > 1: 10 * (1.01**2 - 1) / 0.01 = 10 * 2.01 = 20.1 for H = 2
    assert m.ltv_capped(10, 1.0, 0.0, 0.01, horizon_periods=2) == pytest.approx(20.1)
    # long horizon converges to the formula
    assert m.ltv_capped(500, 0.8, 0.02, 0.0, horizon_periods=5000) == pytest.approx(20_000.0)


def test_ltv_discounted_worked_example():
    # 100 * 1 * (1 + 0.01) / (0.01 + 0.02 - 0.03) -> unbounded; with churn 0.04:
    # 100 * 1.01 / (0.01 + 0.04 - 0.03) = 101 / 0.02 = 5050
    assert m.ltv_discounted(100, 1.0, 0.04, 0.03, discount_rate=0.01) == pytest.approx(5050.0)
    # finite with zero churn as long as the discount beats expansion: 100 * 1.01 / 0.01 = 10,100
    assert m.ltv_discounted(100, 1.0, 0.0, 0.0, discount_rate=0.01) == pytest.approx(10_100.0)
    assert m.ltv_discounted(100, 1.0, 0.0, 0.02, discount_rate=0.01) == math.inf
    assert m.ltv_discounted(500, 0.8, 0.02, 0.005, discount_rate=0.0) == pytest.approx(
        m.ltv(500, 0.8, 0.02, 0.005))
    # the default is 10% a year as a monthly rate
    assert (1 + m.MONTHLY_DISCOUNT_10PCT) ** 12 == pytest.approx(1.10)


def test_ltv_to_cac():
    assert m.ltv_to_cac(20_000, 5_000) == pytest.approx(4.0)    # 20000 / 5000
    assert m.ltv_to_cac(math.inf, 5_000) == math.inf
    assert math.isnan(m.ltv_to_cac(20_000, math.nan))           # no new customers
    assert m.ltv_to_cac(20_000, 0.0) == math.inf                # free customers
    assert math.isnan(m.ltv_to_cac(0.0, 0.0))


def test_cac_payback_worked_example():
    # CAC $6,000, $500/month at 80% margin: 6000 / (500 * 0.8) = 6000 / 400 = 15 months
    assert m.cac_payback_months(6_000, 500, 0.8) == pytest.approx(15.0)
    assert m.cac_payback_months(6_000, 500, 0.0) == math.inf    # never pays back
    assert m.cac_payback_months(6_000, 500, -0.2) == math.inf
    assert m.cac_payback_months(0.0, 500, 0.8) == 0.0
    assert math.isnan(m.cac_payback_months(math.nan, 500, 0.8))


def test_magic_number_worked_example():
    # ARR 10.0M -> 10.6M in a quarter, previous quarter's S&M 800K: 600000 / 800000 = 0.75
    assert m.magic_number(10_600_000, 10_000_000, 800_000) == pytest.approx(0.75)
    assert m.magic_number(9_600_000, 10_000_000, 800_000) == pytest.approx(-0.5)
    assert math.isnan(m.magic_number(10_600_000, 10_000_000, 0.0))


def test_burn_multiple_worked_example_and_edges():
    # burned 3.0M to add 2.0M of ARR: 3.0 / 2.0 = 1.5
    assert m.burn_multiple(3_000_000, 2_000_000) == pytest.approx(1.5)
    assert m.burn_multiple(0.0, 2_000_000) == 0.0             # no burn
    assert m.burn_multiple(-500_000, 2_000_000) == 0.0        # cash generative: no burn
    assert m.burn_multiple(-500_000, -1_000_000) == 0.0       # no burn even if ARR shrank
    assert m.burn_multiple(3_000_000, 0.0) == math.inf        # burning, no ARR added: not meaningful
    assert m.burn_multiple(3_000_000, -1_000_000) == math.inf
    out = m.burn_multiple(np.array([1.0, 0.0, 1.0]), np.array([2.0, -1.0, -1.0]))
    np.testing.assert_array_equal(out, [0.5, 0.0, np.inf])


def test_rule_of_40():
    # 55% growth + (-12%) EBITDA margin = 43%
    assert m.rule_of_40(0.55, -0.12) == pytest.approx(0.43)
    assert math.isnan(m.rule_of_40(math.nan, 0.1))


def test_nrr_grr_worked_example():
    # book of 100K MRR: +15K expansion, -3K contraction, -7K churned
    # NRR = (100 + 15 - 3 - 7) / 100 = 1.05; GRR = (100 - 3 - 7) / 100 = 0.90
    assert m.nrr(100_000, 15_000, 3_000, 7_000) == pytest.approx(1.05)
    assert m.grr(100_000, 3_000, 7_000) == pytest.approx(0.90)
    assert math.isnan(m.nrr(0.0, 1.0, 0.0, 0.0))
    assert math.isnan(m.grr(0.0, 0.0, 0.0))


def test_no_warnings_on_edge_cases():
    with np.errstate(all="raise"):
        m.cac(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
        m.ltv(np.array([1.0, 1.0]), 0.5, np.array([0.0, 0.1]), np.array([0.1, 0.0]))
        m.ltv_capped(1.0, 0.5, np.array([0.0, 0.1]), 0.0)
        m.burn_multiple(np.array([1.0, 1.0]), np.array([0.0, 1.0]))
        m.cac_payback_months(np.array([1.0, 1.0]), np.array([0.0, 1.0]), 0.5)
        m.ltv_to_cac(np.array([1.0, 0.0]), np.array([0.0, 0.0]))
