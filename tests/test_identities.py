"""Accounting identities hold on every path, month and scenario (bundled and fixtures)."""
from __future__ import annotations

import numpy as np

import planner

PATHS = 300


def _close(a, b, scale_of):
    scale = max(1.0, float(np.abs(scale_of).max()))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * scale)


def _prev(result, name, opening):
    series = result.total(name)
    return np.concatenate([opening[:, None], series[:, :-1]], axis=1)


def test_mrr_bridge_and_customers(any_scenario):
    r = planner.simulate(any_scenario, paths=PATHS)
    for seg in r.segments:
        get = lambda n: r.segment(n, seg)  # noqa: E731
        mrr, cust = get("mrr"), get("customers")
        _close(get("arr"), 12 * mrr, mrr)
        flows = get("new_mrr") + get("expansion_mrr") - get("contraction_mrr") - get("churned_mrr")
        _close(np.diff(mrr, axis=1), flows[:, 1:], mrr)
        _close(np.diff(cust, axis=1), (get("new_customers") - get("churned_customers"))[:, 1:], cust)
        for n in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "customers",
                  "churned_customers", "new_customers"):
            assert (get(n) >= -1e-9 * max(1.0, np.abs(get(n)).max())).all(), n


def test_month_zero_reconciles_with_the_opening_book(any_scenario):
    r = planner.simulate(any_scenario, paths=PATHS)
    sc = any_scenario
    draws_free = all(not hasattr(s.opening_mrr, "index") and not hasattr(s.opening_customers, "index")
                     for s in sc.segments)
    assert draws_free  # the fixtures keep the opening book certain, so it is known here
    opening_mrr = sum(s.opening_mrr for s in sc.segments)
    opening_customers = sum(s.opening_customers for s in sc.segments)
    flows = (r.total("new_mrr") + r.total("expansion_mrr") - r.total("contraction_mrr")
             - r.total("churned_mrr"))[:, 0]
    _close(r.total("mrr")[:, 0] - opening_mrr, flows, r.total("mrr"))
    _close(r.total("customers")[:, 0] - opening_customers,
           (r.total("new_customers") - r.total("churned_customers"))[:, 0], r.total("customers"))
    _close(r.total("cash")[:, 0] - r.opening["cash"], r.total("net_cash_flow")[:, 0], r.total("cash"))


def test_pnl_identities(any_scenario):
    r = planner.simulate(any_scenario, paths=PATHS)
    rev = r.total("revenue")
    _close(r.total("gross_profit"), rev - r.total("cogs"), rev)
    depts = r.total("sm_expense") + r.total("rnd_expense") + r.total("cs_expense") + r.total("ga_expense")
    _close(r.total("opex"), depts, depts)
    _close(r.total("ebitda"), r.total("gross_profit") - r.total("opex"), depts)
    _close(rev, r.total("mrr"), rev)


def test_cash_and_deferred_revenue_roll_forward(any_scenario):
    r = planner.simulate(any_scenario, paths=PATHS)
    cash = r.total("cash")
    _close(cash - _prev(r, "cash", r.opening["cash"]), r.total("net_cash_flow"), cash)
    cash_opex = r.total("opex") - r.total("bad_debt")  # bad debt is an expense, not a payment
    expected_flow = (r.total("collections") - r.total("cogs") - cash_opex + r.total("equity_raised")
                     + r.total("debt_drawn") - r.total("debt_repaid") - r.total("interest")
                     - r.total("debt_fees"))
    _close(r.total("net_cash_flow"), expected_flow, cash)
    deferred = r.total("deferred_revenue")
    _close(deferred - _prev(r, "deferred_revenue", r.opening["deferred_revenue"]),
           r.total("billings") - r.total("revenue"), deferred)
    assert (deferred >= -1e-6).all()


def test_receivables_roll_forward_and_never_negative(any_scenario):
    r = planner.simulate(any_scenario, paths=PATHS)
    receivables = r.total("receivables")
    _close(receivables - _prev(r, "receivables", r.opening["receivables"]),
           r.total("billings") - r.total("collections") - r.total("bad_debt"), receivables)
    assert (receivables >= -1e-6 * max(1.0, np.abs(receivables).max())).all()


def test_balance_sheet_balances_under_every_plan(any_scenario):
    """Assets (cash + receivables) = liabilities (deferred revenue + debt) + equity, where
    equity moves only by net income and equity raised."""
    for plan in any_scenario.plan_names:
        r = planner.simulate(any_scenario, paths=100, plan=plan)
        equity = r.total("equity_book")
        opening = r.opening["cash"] + r.opening["receivables"] - r.opening["deferred_revenue"]
        _close(equity - _prev(r, "equity_book", opening),
               r.total("net_income") + r.total("equity_raised"), equity)
        debt = r.total("debt_balance")
        _close(debt - np.concatenate([np.zeros((debt.shape[0], 1)), debt[:, :-1]], axis=1),
               r.total("debt_drawn") - r.total("debt_repaid"), debt)


def test_insolvency_is_permanent_and_matches_cash(any_scenario):
    for plan in any_scenario.plan_names:
        r = planner.simulate(any_scenario, paths=100, plan=plan)
        insolvent = r.total("insolvent")
        assert np.array_equal(insolvent, np.maximum.accumulate(r.total("cash") < 0, axis=1))


def test_no_nan_or_inf_anywhere(any_scenario):
    r = planner.simulate(any_scenario, paths=PATHS)
    for name in r.names:
        assert np.isfinite(r.total(name)).all(), name
        for seg in r.segments:
            if name in r.by_segment:
                assert np.isfinite(r.segment(name, seg)).all(), (name, seg)
    for name, values in r.opening.items():
        assert np.isfinite(values).all(), name
