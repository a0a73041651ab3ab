"""The balance sheet balances on every path of every plan, insolvent paths included, and
the financing rules that keep it honest: a loan an insolvent path never drew is never
serviced, net burn leaves financing out, a signed round arrives on an insolvent path."""
from __future__ import annotations

import numpy as np
import pytest

import planner
from planner.scenario.model import VentureDebt

from conftest import ALL_SCENARIOS, BUNDLED, scenario_from_text

MIDMARKET = next(p for p in BUNDLED if p.stem == "series_a_midmarket")


def _assert_balances(r) -> None:
    assets = r.total("cash") + r.total("receivables")
    liabilities = r.total("deferred_revenue") + r.total("debt_balance")
    scale = max(1.0, float(np.abs(assets).max()))
    np.testing.assert_allclose(assets, liabilities + r.total("equity_book"), rtol=0, atol=1e-9 * scale)


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_assets_equal_liabilities_plus_equity_on_every_path_of_every_plan(path):
    """Equity is rolled forward from net income and equity raised (not a plug), so this
    checks the engine's cash, receivables, deferred revenue and debt together."""
    scenario = planner.load_scenario(path)
    for cash in (None, 0.2):  # as written, and with a fifth of the cash: insolvent paths
        sc = scenario if cash is None else planner.load_scenario(path, [
            f"opening.cash={float(np.mean(planner.simulate(scenario, paths=1).opening['cash'])) * cash}"])
        for plan in sc.plan_names:
            r = planner.simulate(sc, paths=64, plan=plan)
            _assert_balances(r)
            opening = r.opening["cash"] + r.opening["receivables"] - r.opening["deferred_revenue"]
            equity = np.concatenate([opening[:, None], r.total("equity_book")], axis=1)
            np.testing.assert_allclose(np.diff(equity, axis=1),
                                       r.total("net_income") + r.total("equity_raised"),
                                       rtol=0, atol=1e-9 * max(1.0, float(np.abs(equity).max())))


def test_an_insolvent_path_services_no_loan_it_never_drew():
    sc = planner.load_scenario(MIDMARKET, ["opening.cash=4000000"])
    r = planner.simulate(sc, paths=1000, plan="debt_then_equity")
    loan = next(x for x in sc.plan("debt_then_equity").instruments if isinstance(x, VentureDebt))
    never = r.total("insolvent")[:, loan.month - 1]
    assert 0.2 < never.mean() < 0.5  # about a third of the paths run out before the draw
    for name in ("debt_drawn", "debt_balance", "debt_repaid", "interest", "debt_fees"):
        assert not r.total(name)[never].any(), name
    assert r.total("debt_balance")[~never, loan.month].min() > 0  # the others drew it
    _assert_balances(r)
    # the cash gap of the insolvent paths is their own burn, not a loan they never received
    p10 = np.quantile(r.total("cash")[:, -1], 0.1)
    assert -18e6 < p10 < -14e6


BURNING = """
name: committed
start: 2027-01
horizon_months: 12
simulation: {{paths: 1, seed: 1}}
opening: {{cash: 250000}}
segments:
  s:
    opening: {{customers: 100, mrr: 100000}}
    price: {{arpa: 1000}}
    acquisition: {{new_customers: 0}}
    retention: {{model: constant, monthly_churn: 0}}
costs:
  opex: [{{name: Burn, department: ga, monthly: 200000}}]
funding:
  rounds:
    - {{name: Signed, month: 2027-06, amount: 2000000{flag}}}
"""


@pytest.mark.parametrize("flag, arrives", [("", True), (", arrives_when_insolvent: true", True),
                                           (", arrives_when_insolvent: false", False)])
def test_a_signed_round_arrives_on_an_insolvent_path_by_default(tmp_path, flag, arrives):
    """Cash: 250K - 100K a month is below zero in month 3 (2027-03); the round is in June."""
    r = planner.simulate(scenario_from_text(BURNING.format(flag=flag), tmp_path))
    assert r.cash_out_month()[0] == 2  # ran out in March, whatever happens later
    assert r.total("insolvent")[0, 2:].all()
    assert r.total("equity_raised")[0, 5] == (2e6 if arrives else 0.0)
    expected = 250_000 - 100_000 * np.arange(1, 13) + (2e6 * (np.arange(12) >= 5) if arrives else 0)
    np.testing.assert_allclose(r.total("cash")[0], expected)
    _assert_balances(r)


LOAN = """
    loan:
      - {type: venture_debt, name: L, month: 2027-02, amount: 1200000, annual_rate: 0.12,
         interest_only_months: 2, amortisation_months: 4, fee: 0.01}
    none: []
"""


def test_net_burn_leaves_financing_out_and_keeps_interest(tmp_path):
    from test_funding import flat

    sc = flat(tmp_path, LOAN, horizon=10, burn=150_000)
    with_loan, without = (planner.simulate(sc, plan=p) for p in ("loan", "none"))
    burn_loan, burn_none = with_loan.total("net_burn")[0], without.total("net_burn")[0]
    np.testing.assert_allclose(burn_none, 50_000)  # 150K spend - 100K collections
    np.testing.assert_allclose(burn_loan - burn_none, with_loan.total("interest")[0])
    assert with_loan.total("debt_repaid").sum() > 0 and with_loan.total("debt_fees").sum() > 0


def test_burn_multiple_is_not_moved_by_principal_or_fees(tmp_path):
    from planner.analysis.unit_economics import period_metrics

    from test_funding import flat

    sc = flat(tmp_path, LOAN.replace("annual_rate: 0.12", "annual_rate: 0.0"), horizon=12,
              burn=150_000, new=5)
    out = {p: period_metrics(planner.simulate(sc, plan=p), "year").values["blended"]
           for p in ("loan", "none")}
    assert out["loan"]["net_burn"][0, 0] > 0
    np.testing.assert_array_equal(out["loan"]["net_burn"], out["none"]["net_burn"])
    np.testing.assert_array_equal(out["loan"]["burn_multiple"], out["none"]["burn_multiple"])
