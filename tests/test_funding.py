"""Funding plans, debt, triggers, insolvency, the minimum raise and plan comparison."""
from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.analysis.funding import (breakeven_month, capital_consumed, minimum_raise, raise_shortfall)
from planner.sweep.compare import compare, compare_scenarios

from conftest import FIXTURES, scenario_from_text

CASH_TIGHT = next(p for p in FIXTURES if p.stem == "cash_tight")

FLAT = """
name: flat
start: 2027-01
horizon_months: {horizon}
simulation: {{paths: 1, seed: 1}}
opening: {{cash: {cash}}}
segments:
  s:
    opening: {{customers: 100, mrr: 100000}}
    price: {{arpa: 1000}}
    acquisition: {{new_customers: {new}}}
    retention: {{model: constant, monthly_churn: 0}}
    contract: {{bad_debt_rate: {bad_debt}}}
costs:
  opex: [{{name: Burn, department: ga, monthly: {burn}}}]
funding:
  minimum_cash: {minimum}
  plans:
{plans}
"""


def flat(tmp_path, plans: str, *, horizon=12, cash=1_000_000, new=0, burn=100_000, bad_debt=0,
         minimum=0):
    text = FLAT.format(horizon=horizon, cash=cash, new=new, burn=burn, bad_debt=bad_debt,
                       minimum=minimum, plans=plans)
    return scenario_from_text(text, tmp_path)


def test_venture_debt_schedule_by_hand(tmp_path):
    """1.2M at 12%/year drawn in month 1: 2 months interest only, then 4 equal instalments.

    Interest is 1% a month on the balance at the end of the previous month; the 1% fee
    (12,000) is paid with the draw (its own series, debt_fees: a financing flow).
    """
    sc = flat(tmp_path, """
    loan:
      - {type: venture_debt, name: L, month: 2027-02, amount: 1200000, annual_rate: 0.12,
         interest_only_months: 2, amortisation_months: 4, fee: 0.01}
""", horizon=10, burn=0)
    r = planner.simulate(sc, plan="loan")
    np.testing.assert_allclose(r.total("debt_drawn")[0], [0, 1.2e6, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(r.total("debt_repaid")[0], [0, 0, 0, 0, 3e5, 3e5, 3e5, 3e5, 0, 0])
    np.testing.assert_allclose(r.total("interest")[0],
                               [0, 0, 12000, 12000, 12000, 9000, 6000, 3000, 0, 0])
    np.testing.assert_allclose(r.total("debt_fees")[0], [0, 12000, 0, 0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(r.total("debt_balance")[0],
                               [0, 1.2e6, 1.2e6, 1.2e6, 9e5, 6e5, 3e5, 0, 0, 0])
    # revenue 100,000 a month, no costs: cash = 1M + 100K t + financing
    financing = np.cumsum(r.total("debt_drawn") - r.total("debt_repaid") - r.total("interest")
                          - r.total("debt_fees"), axis=1)
    np.testing.assert_allclose(r.total("cash")[0], 1e6 + 1e5 * np.arange(1, 11) + financing[0])


def test_dilution_from_pre_money_and_option_pool(tmp_path):
    """8M at 24M pre-money with a 5% pool: holders keep 1 - 8/32 - 0.05 = 70%."""
    sc = flat(tmp_path, """
    a:
      - {type: equity, name: A, month: 2027-06, amount: 8000000, pre_money: 24000000, option_pool: 0.05}
    b:
      - {type: equity, name: A, month: 2027-06, amount: 8000000, pre_money_arr_multiple: 10}
""")
    assert planner.simulate(sc, plan="a").ownership[0] == pytest.approx(0.70)
    # ARR 1.2M x 10 = 12M pre-money: keep 12 / 20
    assert planner.simulate(sc, plan="b").ownership[0] == pytest.approx(0.60)


def test_milestone_round_fires_only_when_arr_reaches_it(tmp_path):
    """ARR = 1.2M + 12K x (t+1) with 1 new customer a month: 1.26M first reached at t = 4."""
    plans = """
    reached:
      - {type: milestone_equity, name: M, amount: 500000, arr_at_least: 1260000,
         not_before: 2027-02, deadline: 2027-12}
    too_early:
      - {type: milestone_equity, name: M, amount: 500000, arr_at_least: 1260000,
         not_before: 2027-07, deadline: 2027-12}
    never:
      - {type: milestone_equity, name: M, amount: 500000, arr_at_least: 5000000,
         not_before: 2027-02, deadline: 2027-12}
"""
    sc = flat(tmp_path, plans, new=1, burn=0)
    equity = {p: planner.simulate(sc, plan=p).total("equity_raised")[0] for p in sc.plan_names}
    assert np.flatnonzero(equity["reached"]).tolist() == [4]
    assert np.flatnonzero(equity["too_early"]).tolist() == [6]  # the first month allowed
    assert not equity["never"].any()


def test_runway_round_fires_when_runway_falls_below_the_limit(tmp_path):
    """Net burn 100K a month (opex 200K, revenue 100K) from 1M: cash after month t is
    1M - 100K (t + 1); runway at the start of month t = cash[t-1] / 100K < 4 first at t = 7."""
    sc = flat(tmp_path, """
    rescue:
      - {type: runway_equity, name: R, amount: 2000000, runway_below_months: 4}
""", burn=200_000)
    r = planner.simulate(sc, plan="rescue")
    assert np.flatnonzero(r.total("equity_raised")[0]).tolist() == [7]


def test_insolvent_paths_get_no_later_funding(tmp_path):
    sc = flat(tmp_path, """
    late:
      - {type: equity, name: Too late, month: 2027-10, amount: 5000000}
""", burn=400_000)
    r = planner.simulate(sc, plan="late")
    # 1M - 300K (t + 1) < 0 first at t = 3: insolvent before the round in month 9
    assert r.cash_out_month()[0] == 3
    assert r.total("insolvent")[0, 3:].all() and not r.total("insolvent")[0, :3].any()
    assert r.total("equity_raised")[0].sum() == 0
    assert r.total("cash_if_funded")[0, -1] == pytest.approx(r.total("cash")[0, -1] + 5e6)


def test_bad_debt_is_written_off_not_collected(tmp_path):
    sc = flat(tmp_path, "    none: []\n", bad_debt=0.1, burn=0)
    r = planner.simulate(sc)
    np.testing.assert_allclose(r.total("collections")[0], 90_000)
    np.testing.assert_allclose(r.total("bad_debt")[0], 10_000)
    np.testing.assert_allclose(r.total("ga_expense")[0], 10_000)
    np.testing.assert_allclose(r.total("cash")[0], 1e6 + 90_000 * np.arange(1, 13))


def _with_extra_round(path, plan: str, month: str, amount: float, tmp_path):
    data = yaml.safe_load(path.read_text())
    data["funding"]["plans"][plan] = list(data["funding"]["plans"][plan]) + [
        {"type": "equity", "name": "Extra", "month": month, "amount": float(amount)}]
    out = tmp_path / "extra.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False))
    return planner.load_scenario(out)


@pytest.mark.parametrize("plan", ["nothing", "late_round"])
def test_adding_a_round_never_lowers_cash(tmp_path, plan):
    base = planner.simulate(planner.load_scenario(CASH_TIGHT), paths=300, seed=4, plan=plan)
    more = planner.simulate(_with_extra_round(CASH_TIGHT, plan, "2027-07", 250_000, tmp_path),
                            paths=300, seed=4, plan=plan)
    assert (more.total("cash") >= base.total("cash") - 1e-6).all()
    assert (more.total("insolvent") <= base.total("insolvent")).all()


@pytest.mark.parametrize("plan, month, until", [("nothing", 0, "horizon"),
                                                ("late_round", 0, "horizon"),
                                                ("late_round", 5, "horizon"),
                                                ("nothing", 0, "breakeven")])
def test_minimum_raise_is_just_enough(tmp_path, plan, month, until):
    """The computed amount, added as a round on the same draws, keeps >= confidence of paths
    at or above the minimum; one currency unit less does not."""
    scenario = planner.load_scenario(CASH_TIGHT)
    paths, confidence = 400, 0.9
    result = planner.simulate(scenario, paths=paths, seed=8, plan=plan)
    need = minimum_raise(result, month=month, confidence=confidence, until=until)
    assert need.amount is not None and need.amount > 0

    def safe_share(amount):
        sc = _with_extra_round(CASH_TIGHT, plan, need.month, amount, tmp_path)
        r = planner.simulate(sc, paths=paths, seed=8, plan=plan)
        cash = r.total("cash")
        months = np.arange(cash.shape[1])[None, :]
        window = np.ones_like(cash, dtype=bool)
        if until == "breakeven":
            end = breakeven_month(r)
            window = months <= np.where(end < 0, cash.shape[1] - 1, np.maximum(end, month))[:, None]
        return float((np.where(window, cash, np.inf) >= 100_000).all(axis=1).mean())

    assert safe_share(need.amount) >= confidence
    assert safe_share(need.amount - 1) < confidence


def test_minimum_raise_unreachable_when_paths_fail_before_the_raise(tmp_path):
    sc = flat(tmp_path, "    none: []\n", burn=400_000, minimum=100_000)
    r = planner.simulate(sc)
    need = minimum_raise(r, month=6)
    assert need.amount is None and need.reachable_share == 0
    assert np.isinf(raise_shortfall(r, month=6)).all()


def test_breakeven_and_capital_consumed(tmp_path):
    """Revenue 100K + 1 new customer (1K MRR) a month against 150K opex: operating cash
    flow = 1K (t + 1) - 50K, negative until t = 49; the deepest cumulative burn is at t = 48."""
    sc = flat(tmp_path, "    none: []\n", new=1, burn=150_000, horizon=60, cash=5_000_000)
    r = planner.simulate(sc)
    assert breakeven_month(r)[0] == 49
    flows = 1000 * (np.arange(49) + 1) - 50_000
    assert capital_consumed(r)[0] == pytest.approx(-flows.sum())


def test_compare_uses_common_random_numbers():
    scenario = planner.load_scenario(CASH_TIGHT)
    comparison = compare(scenario, paths=200, seed=3)
    assert [row["plan"] for row in comparison.rows] == list(scenario.plan_names)
    arr = [res.total("arr") for res in comparison.results.values()]
    assert all(np.array_equal(arr[0], a) for a in arr[1:])
    rows = {row["plan"]: row for row in comparison.rows}
    assert rows["nothing"]["cash_out_by_horizon"] > rows["late_round"]["cash_out_by_horizon"]
    assert rows["nothing"]["dilution"]["p50"] == 0
    json.dumps(comparison.to_dict(), allow_nan=False)


def test_compare_two_scenario_files():
    scenario = planner.load_scenario(CASH_TIGHT)
    comparison = compare_scenarios([scenario, scenario], paths=100, seed=2)
    assert comparison.rows[0]["arr_end"] == comparison.rows[1]["arr_end"]


def test_cli_compare_json_and_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["compare", str(CASH_TIGHT), "--plans", "nothing,rescue",
                                       "--paths", "100", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["plan"] for row in data["plans"]] == ["nothing", "rescue"]
    assert (tmp_path / "outputs" / "cash-tight" / "comparison.csv").read_text().startswith("plan,")


def test_cli_compare_unknown_plan(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["compare", str(CASH_TIGHT), "--plans", "nothin"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "--plan: no funding plan named 'nothin'; plans: nothing, late_round, rescue",
        "Error: 1 problem found"]


def test_cli_run_funding_block_and_options(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", str(CASH_TIGHT), "--no-charts", "--plan", "nothing", "--paths", "200",
                                       "--raise-month", "2027-06", "--confidence", "0.8"])
    assert result.exit_code == 0, result.output
    assert "Funding plan: nothing" in result.stdout
    assert "more in 2027-06 keeps cash >= $100K through 2029-12 on 80.0% of paths" in result.stdout
    bad = CliRunner().invoke(main, ["run", str(CASH_TIGHT), "--raise-month", "2031-01"])
    assert bad.exit_code == 1
    assert bad.stderr.splitlines()[0] == ("--raise-month: must be a month YYYY-MM from 2027-01 to "
                                          "2029-12 (got '2031-01')")
