"""Funding events: every instrument of a plan with its month, probability, price and dilution."""
from __future__ import annotations

import numpy as np
import pytest

import planner
from planner.analysis.funding_events import event_arrivals, funding_events

from conftest import scenario_from_text
from test_funding import flat

SCENARIO = "scenarios/series_a_midmarket.yaml"


@pytest.fixture(scope="module")
def plans():
    scenario = planner.load_scenario(SCENARIO)
    return planner.simulate_plans(scenario, [p.name for p in scenario.plans], paths=400, seed=3)


def test_dated_round_arrives_on_every_path_in_its_month(plans):
    r = plans["one_round"]
    (event,) = funding_events(r)
    assert event.instrument == "equity" and event.label == "Series B (equity)"
    assert str(r.months[event.month]) == "2028-07"
    assert event.probability == 1.0 and event.months == (event.month,) * 3
    assert event.amount == 30_000_000 and event.trigger is None
    arrivals = event_arrivals(r)
    assert arrivals.shape == (r.paths, 1) and (arrivals == event.month).all()
    # the equity series shows the same money in the same month
    np.testing.assert_allclose(r.total("equity_raised")[:, event.month], 30_000_000)


def test_dilution_and_pre_money_agree_with_ownership(plans):
    r = plans["one_round"]
    (event,) = funding_events(r)
    sold = 1.0 - r.ownership
    assert event.dilution == pytest.approx(np.median(sold))
    # pre-money is an ARR multiple of 8 to 16 at the round
    arr = r.total("arr")[:, event.month]
    multiple = r.per_path["funding_pre_money"][:, 0] / arr
    assert ((multiple >= 8) & (multiple <= 16)).all()
    kept = 1 - 30e6 / (r.per_path["funding_pre_money"][:, 0] + 30e6) - 0.05
    np.testing.assert_allclose(r.ownership, kept)


def test_milestone_round_probability_and_months_match_the_cash(plans):
    r = plans["staged"]
    events = funding_events(r)
    assert [e.instrument for e in events] == ["equity", "milestone_equity"]
    b, c = events
    assert c.month is None and c.trigger.startswith("ARR >= $15.0M, 2029-01 to 2030-06")
    c_arrival = event_arrivals(r)[:, 1]
    # the round is the only equity raised after the B; where it lands is where it happened
    later = r.total("equity_raised").copy()
    later[:, b.month] = 0.0
    raised = later > 0
    assert c.probability == pytest.approx(raised.any(axis=1).mean())
    got = np.where(raised.any(axis=1), raised.argmax(axis=1), -1)
    np.testing.assert_array_equal(c_arrival, got)
    low, mid, high = c.months
    assert r.months[low] >= np.datetime64("2029-01") and r.months[high] <= np.datetime64("2030-06")
    assert low <= mid <= high
    # on paths where it fired ARR had reached the milestone that month
    fired = c_arrival >= 0
    assert (r.total("arr")[fired, c_arrival[fired]] >= 15e6).all()
    # ownership is the product of the two rounds' kept shares
    kept = r.per_path["funding_kept"]
    np.testing.assert_allclose(r.ownership, kept[:, 0] * kept[:, 1])
    assert c.pre_money == pytest.approx(np.median(10 * r.total("arr")[fired, c_arrival[fired]]))


def test_milestone_probability_between_zero_and_one(tmp_path):
    """ARR = 1.2M + 12K x new x (t+1): the 1.26M milestone by 2027-06 needs new >= 5/6."""
    sc = flat(tmp_path, """
    m:
      - {type: milestone_equity, name: M, amount: 500000, arr_at_least: 1260000,
         not_before: 2027-02, deadline: 2027-06, pre_money: 5000000}
""", new="{dist: uniform, low: 0, high: 2}", burn=0)
    r = planner.simulate(sc, plan="m", paths=400, seed=2)
    (event,) = funding_events(r)
    fired = (r.total("equity_raised") > 0).any(axis=1)
    assert event.probability == pytest.approx(fired.mean())
    assert 0.4 < event.probability < 0.75
    assert event.dilution == pytest.approx(0.5 / 5.5)
    first = np.where(fired, (r.total("equity_raised") > 0).argmax(axis=1), -1)
    np.testing.assert_array_equal(event_arrivals(r)[:, 0], first)
    assert 1 <= event.months[0] <= event.months[2] <= 5
    np.testing.assert_allclose(r.ownership, np.where(fired, 5 / 5.5, 1.0))


def test_venture_debt_and_committed_rounds(tmp_path):
    sc = flat(tmp_path, """
    mixed:
      - {type: venture_debt, name: Loan, month: 2027-03, amount: 500000, annual_rate: 0.1,
         interest_only_months: 2, amortisation_months: 4}
      - {type: runway_equity, name: Rescue, amount: 2000000, runway_below_months: 4}
""", cash=900_000, burn=300_000)
    r = planner.simulate(sc, plan="mixed")
    events = funding_events(r)
    loan = next(e for e in events if e.instrument == "venture_debt")
    assert loan.month == 2 and loan.probability == 1.0 and loan.amount == 500_000
    assert loan.pre_money is None and loan.dilution is None
    rescue = next(e for e in events if e.instrument == "runway_equity")
    assert rescue.trigger == "runway < 4 months" and rescue.probability == 1.0
    month = rescue.months[1]
    assert r.total("equity_raised")[0, month] == 2_000_000
    assert [e.month if e.month is not None else e.months[1] for e in events] == sorted(
        e.month if e.month is not None else e.months[1] for e in events)


def test_round_without_valuation_does_not_dilute(tmp_path):
    sc = flat(tmp_path, """
    a:
      - {type: equity, name: A, month: 2027-06, amount: 1000000}
""")
    (event,) = funding_events(planner.simulate(sc, plan="a"))
    assert event.pre_money is None and event.dilution is None and event.month == 5


def test_head_keeps_the_records(plans):
    r = plans["staged"].head(50)
    assert event_arrivals(r).shape == (50, 2)
    assert funding_events(r)[0].probability == 1.0


def test_committed_round_listed_in_time_order(tmp_path):
    text = open("tests/scenarios/all_features.yaml").read()
    sc = scenario_from_text(text, tmp_path)
    r = planner.simulate(sc, paths=50, seed=1)
    events = funding_events(r)
    bridge = next(e for e in events if e.instrument == "round")
    assert bridge.label == "Bridge (committed round)" and str(r.months[bridge.month]) == "2027-03"
    assert 500_000 <= bridge.amount <= 1_500_000 and bridge.dilution is None
    starts = [e.month if e.month is not None else e.months[1] for e in events if e.months]
    assert starts == sorted(starts)
