"""Segment CAC from the engine's S&M attribution (docs/unit_economics.md, docs/funnel.md):
a segment's spend = its direct S&M (``sm_direct``) + its share of the shared S&M."""
from __future__ import annotations

import math

import numpy as np
import pytest

import planner
from planner.results import SimulationResult
from planner.analysis.unit_economics import UNIT_ECONOMICS_SERIES, period_metrics
from planner.report.unit_economics import unit_economics_summary, unit_economics_text

# Two segments, one path, nothing uncertain; every month the same:
#   mm   funnel: 100 paid leads (10,000 / 100 a lead) + 100 inbound = 200 leads x 0.5 x 0.4 x 0.5
#        x 0.5 = 10 wins at 1,000 MRR (warm start, so from month 0; SDRs and AEs never bind,
#        response 60 minutes = the rate's measurement point); 1% monthly churn, no COGS.
#        Direct S&M: paid 10,000 + commission 10% x 12 x 10,000 = 12,000 + SDR 5,000
#        + 2 AEs 20,000 = 47,000.
#   smb  20 new customers at 100 MRR; direct S&M: the opex line tagged to it, 3,000.
#   Shared S&M: Marketing 10,000 + Brand 6,000 = 16,000. Company S&M 66,000.
#   New MRR 10,000 : 2,000 (shares 10/12, 2/12); new customers 10 : 20 (1/3, 2/3).
SCENARIO = """
name: attribution
start: 2027-01
horizon_months: 24
simulation: {paths: 1, seed: 1}
opening: {cash: 5000000}
segments:
  mm:
    price: {arpa: 1000}
    acquisition:
      funnel:
        leads:
          paid: {spend: 10000, cost_per_lead: 100}
          inbound: 100
        stages:
          mql: {rate: 0.5}
          sql: {rate: 0.4}
          opportunity: {rate: 0.5}
          won: {rate: 0.5}
        sales_cycle: {weights: {1: 1}}
        speed_to_lead: {sdr_role: SDR, leads_per_sdr: 1000, base_minutes: 60}
        sales_capacity: {ae_role: AE, quota_deals_per_month: 100}
      commission: {rate: 0.1}
    retention: {model: constant, monthly_churn: 0.01}
  smb:
    opening: {customers: 100, mrr: 10000}
    price: {arpa: 100}
    acquisition: {new_customers: 20}
    retention: {model: constant, monthly_churn: 0.03}
costs:
  headcount:
    - {role: SDR, department: sales, salary: 60000, burden: 0, start: 1}
    - {role: AE, department: sales, salary: 120000, burden: 0, start: 2}
    - {role: Marketing, department: marketing, salary: 120000, burden: 0, start: 1}
    - {role: Engineer, department: rnd, salary: 150000, burden: 0, start: 3}
  opex:
    - {name: Brand, department: marketing, monthly: 6000}
    - {name: SMB ads, department: marketing, monthly: 3000, segment: smb}
"""

# The same company with nothing attributed to a segment: no funnel, no commission, no
# budget, no tags. S&M 15,000 a month, all shared.
UNTAGGED = """
name: untagged
start: 2027-01
horizon_months: 24
simulation: {paths: 1, seed: 1}
opening: {cash: 1000000}
segments:
  small:
    opening: {customers: 100, mrr: 10000}
    price: {arpa: 100}
    acquisition: {new_customers: {start: 30, annual_growth: 0.5}}
    retention: {model: constant, monthly_churn: 0.02}
  large:
    opening: {customers: 10, mrr: 20000}
    price: {arpa: 2000}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: 0.01}
costs:
  headcount:
    - {role: AE, department: sales, salary: 180000, burden: 0, start: 1}
"""


def simulate(text: str = SCENARIO, **kwargs) -> SimulationResult:
    return planner.simulate(planner.parse_scenario(text, "attribution.yaml"), **kwargs)


def without_sm_direct(r: SimulationResult) -> SimulationResult:
    """The same result as an older one kept without ``sm_direct``."""
    kept = {k: v for k, v in r.by_segment.items() if k != "sm_direct"}
    return SimulationResult(r.scenario, r.seed, kept, r.company, r.opening, r.per_path, r.plan,
                            r.first_path, r.by_role)


def spend(values: dict, scope: str, j: int = 0) -> float:
    """Attributed S&M of a scope in period ``j``: CAC x the new customers it is over."""
    return values[scope]["cac"][0, j] * values[scope]["new_customers"][0, j]


def test_the_engine_attributes_as_the_hand_calculation():
    r = simulate()
    np.testing.assert_allclose(r.segment("sm_direct", "mm")[0], 47_000)
    np.testing.assert_allclose(r.segment("sm_direct", "smb")[0], 3_000)
    np.testing.assert_allclose(r.total("sm_expense")[0], 66_000)
    np.testing.assert_allclose(r.segment("new_customers", "mm")[0], 10)
    np.testing.assert_allclose(r.segment("commissions", "mm")[0], 12_000)


@pytest.mark.parametrize("allocation, mm_share", [("new_mrr", 10 / 12), ("new_customers", 1 / 3)])
def test_segment_cac_is_direct_plus_share_of_shared(allocation, mm_share):
    v = period_metrics(simulate(), allocation=allocation).values
    shared = 12 * 16_000
    mm = 12 * 47_000 + shared * mm_share              # 724,000 (new MRR) or 628,000 (customers)
    smb = 12 * 3_000 + shared * (1 - mm_share)        # 68,000 or 164,000
    assert v["mm"]["new_customers"][0, 0] == pytest.approx(120)
    assert v["smb"]["new_customers"][0, 0] == pytest.approx(240)
    assert v["mm"]["cac"][0, 0] == pytest.approx(mm / 120)     # 6,033.33 or 5,233.33
    assert v["smb"]["cac"][0, 0] == pytest.approx(smb / 240)   # 283.33 or 683.33
    # blended unchanged: all S&M over all new customers, 792,000 / 360
    assert v["blended"]["cac"][0, 0] == pytest.approx(12 * 66_000 / 360)
    # the segments' spend adds up to the company's S&M, every year
    for j in range(2):
        assert spend(v, "mm", j) + spend(v, "smb", j) == pytest.approx(spend(v, "blended", j), rel=1e-12)
        assert spend(v, "blended", j) == pytest.approx(12 * 66_000)


def test_monthly_segment_cac_is_the_engines_cac_series():
    r = simulate()
    v = period_metrics(r, "month").values
    for seg in r.segments:
        np.testing.assert_allclose(v[seg]["cac"][0], r.segment("cac", seg)[0], rtol=1e-12)


def test_lag_applies_to_direct_and_shared_spend():
    # one more marketer from July: shared S&M 16,000 in months 0-5, 26,000 from month 6
    text = SCENARIO.replace("{role: Marketing, department: marketing, salary: 120000, burden: 0, start: 1}",
                            "{role: Marketing, department: marketing, salary: 120000, burden: 0, start: 1,"
                            " hires: {2027-07: 1}}")
    v = period_metrics(simulate(text), cac_lag_months=2).values
    # wins of months 2..11 (100 mm, 200 smb) against the spend of months 0..9
    shared = 6 * 16_000 + 4 * 26_000                                       # 200,000
    assert v["mm"]["cac"][0, 0] == pytest.approx((10 * 47_000 + shared * 10 / 12) / 100)
    assert v["smb"]["cac"][0, 0] == pytest.approx((10 * 3_000 + shared * 2 / 12) / 200)
    assert v["blended"]["cac"][0, 0] == pytest.approx((10 * 50_000 + shared) / 300)
    assert spend(v, "mm") + spend(v, "smb") == pytest.approx(spend(v, "blended"), rel=1e-12)


def test_programme_and_commission_per_new_customer():
    v = period_metrics(simulate()).values
    assert v["mm"]["cac_programme"][0, 0] == pytest.approx(10_000 / 10)     # paid funnel spend
    assert "cac_programme" not in v["smb"]                                   # buys nothing
    assert v["blended"]["cac_programme"][0, 0] == pytest.approx(10_000 / 10)  # programme segments only
    assert v["mm"]["commission_per_new_customer"][0, 0] == pytest.approx(12_000 / 10)
    assert "commission_per_new_customer" not in v["smb"]
    assert v["blended"]["commission_per_new_customer"][0, 0] == pytest.approx(12_000 / 30)


def test_magic_number_uses_the_attributed_spend():
    r = simulate()
    v = period_metrics(r).values
    # first year: ARR added over months 3..11 against the spend of months 0..8
    mrr = r.segment("mrr", "mm")[0]
    assert v["mm"]["magic_number"][0, 0] == pytest.approx(
        12 * (mrr[11] - mrr[2]) / (9 * (47_000 + 16_000 * 10 / 12)))


def test_funnel_segment_cohorts_are_its_wins():
    v = period_metrics(simulate()).values["mm"]
    # 1,000 MRR a customer, 1% churn a month, no COGS: sum_{a < 60} 1,000 x 0.99^a
    ltv = 1000 * (1 - 0.99 ** 60) / 0.01
    assert v["ltv_cohort"][0, 0] == pytest.approx(ltv)
    # the book of month 11 keeps 0.99^12 of its MRR (the year's new cohorts left out)
    assert v["nrr"][0, 1] == pytest.approx(0.99 ** 12)
    assert math.isnan(v["nrr"][0, 0])                     # no book a year before month 11
    # payback: months of 1,000 x 0.99^a margin to cover the CAC of 6,033.33
    cac = (12 * 47_000 + 12 * 16_000 * 10 / 12) / 120
    cumulative = np.cumsum(1000 * 0.99 ** np.arange(12))
    a = int(np.argmax(cumulative >= cac))
    expected = a + (cac - cumulative[a - 1]) / (1000 * 0.99 ** a)
    assert v["cac_payback_cohort"][0, 0] == pytest.approx(expected)


def test_without_sm_direct_all_s_and_m_is_allocated():
    r = simulate()
    for old in (without_sm_direct(r),
                simulate(keep=[k for k in UNIT_ECONOMICS_SERIES if k != "sm_direct"])):
        pm = period_metrics(old)
        v = pm.values
        assert pm.settings["segment_spend"] == "allocated"
        assert v["mm"]["cac"][0, 0] == pytest.approx(12 * 66_000 * 10 / 12 / 120)   # 5,500
        assert v["smb"]["cac"][0, 0] == pytest.approx(12 * 66_000 * 2 / 12 / 240)   # 550
        assert v["blended"]["cac"][0, 0] == pytest.approx(12 * 66_000 / 360)
    assert period_metrics(r).settings["segment_spend"] == "direct_plus_shared"


@pytest.mark.parametrize("lag", [0, 2])
def test_untagged_scenario_gives_the_allocation_as_before(lag):
    r = simulate(UNTAGGED)
    assert not r.by_segment["sm_direct"].any()
    for allocation in ("new_mrr", "new_customers"):
        new = period_metrics(r, allocation=allocation, cac_lag_months=lag).values
        old = period_metrics(without_sm_direct(r), allocation=allocation, cac_lag_months=lag).values
        for scope in new:
            assert new[scope].keys() == old[scope].keys()
            for key in new[scope]:
                np.testing.assert_array_equal(new[scope][key], old[scope][key], err_msg=f"{scope} {key}")
    # the allocation, first year without lag: 15,000 a month shared by that month's new MRR
    v = period_metrics(r).values
    total = sum(r.segment("new_mrr", seg)[0, :12] for seg in r.segments)
    for seg in r.segments:
        share = r.segment("new_mrr", seg)[0, :12] / total
        wins = r.segment("new_customers", seg)[0, :12].sum()
        assert v[seg]["cac"][0, 0] == pytest.approx((15_000 * share).sum() / wins, rel=1e-12)
        # the same as the engine's attribution: the cac series over the year
        assert v[seg]["cac"][0, 0] == pytest.approx(
            r.segment("acquisition_cost", seg)[0, :12].sum() / wins, rel=1e-12)


def test_summary_and_text_say_how_segments_are_costed():
    summary = unit_economics_summary(simulate())
    assert summary["settings"]["segment_spend"] == "direct_plus_shared"
    entry = summary["scopes"]["mm"]["first_year"]["commission_per_new_customer"]
    assert entry["p50"] == pytest.approx(1200.0) and entry["unit"] == "money"
    text = unit_economics_text(summary, detail=True)
    assert "a segment's S&M = its direct S&M + shared S&M by new MRR" in " ".join(text.split())
    mm = text.split("\n  mm (")[1].split("\n  smb (")[0]
    assert "Commission / new customer" in mm and "CAC (programme only)" in mm
    assert "Commission / new customer" not in text.split("\n  smb (")[1]
    assert "Commission" not in unit_economics_text(summary)   # per segment only with detail
    old = unit_economics_text(unit_economics_summary(without_sm_direct(simulate())))
    assert "segments share S&M by new MRR" in " ".join(old.split())


def test_run_keeps_sm_direct():
    from planner.run import run_scenario

    assert "sm_direct" in UNIT_ECONOMICS_SERIES
    run = run_scenario(planner.parse_scenario(SCENARIO, "attribution.yaml"), paths=1)
    assert "sm_direct" in run.unit_economics_result.by_segment
    assert run.summary["unit_economics"]["settings"]["segment_spend"] == "direct_plus_shared"
    assert run.summary["unit_economics"]["scopes"]["mm"]["first_year"]["cac"]["p50"] == pytest.approx(724_000 / 120)
