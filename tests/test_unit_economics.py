"""planner.unit_economics and planner.unit_economics_report: metrics from simulated
series against hand calculations, the summary's JSON and the terminal block."""
from __future__ import annotations

import json
import re
import math

import numpy as np
import pytest

import planner
from planner.analysis.periods import periods
from planner.analysis.unit_economics import UNIT_ECONOMICS_SERIES, period_metrics
from planner.report.unit_economics import (metric_series_table, unit_economics_summary, unit_economics_text)

from conftest import BUNDLED, scenario_from_text

# One segment, no churn, no randomness: 100 customers at $100 MRR, 10 new a month at $100.
# S&M = AE 120,000 / 12 = 10,000 + ads 5,000 = 15,000 a month; R&D 20,000 a month; no COGS.
# MRR[t] = 10,000 + 1,000 (t + 1); revenue = collections = MRR (monthly billing, paid at once).
FLAT = """
name: flat
start: 2027-01
horizon_months: 24
simulation: {{paths: 1, seed: 1}}
opening: {{cash: 1000000}}
segments:
  s:
    opening: {{customers: 100, mrr: 10000}}
    price: {{arpa: 100}}
    contract: {{term_months: 1, billing: monthly, payment_terms_days: 0}}
    acquisition: {{new_customers: {new}}}
    retention: {{model: constant, monthly_churn: 0.0}}
costs:
  headcount:
    - {{role: AE, department: sales, salary: 120000, burden: 0, start: 1}}
  opex:
    - {{name: Ads, department: marketing, monthly: {ads}}}
    - {{name: Eng, department: rnd, monthly: 20000}}
"""

# Constant churn c = 3% a month, net expansion g a month, 20% hosting COGS, a long plan.
CHURN = """
name: churn
start: 2027-01
horizon_months: 36
simulation: {{paths: 1, seed: 1}}
opening: {{cash: 1000000}}
segments:
  s:
    opening: {{customers: 500, mrr: 50000}}
    price: {{arpa: 100}}
    acquisition: {{new_customers: 20}}
    retention: {{model: constant, monthly_churn: 0.03}}
    expansion: {{monthly_rate: {g}}}
costs:
  cogs: {{hosting_pct_of_revenue: 0.2}}
  headcount:
    - {{role: AE, department: sales, salary: 96000, burden: 0, start: 1}}
"""

TWO = """
name: two
start: 2027-01
horizon_months: 24
simulation: {paths: 1, seed: 1}
opening: {cash: 1000000}
segments:
  small:
    opening: {customers: 100, mrr: 10000}
    price: {arpa: 100}
    acquisition: {new_customers: 30}
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


def flat(tmp_path, new=10, ads="5000"):
    return planner.simulate(scenario_from_text(FLAT.format(new=new, ads=ads), tmp_path))


def test_periods_fiscal_years_quarters_and_months():
    months = np.datetime64("2027-01") + np.arange(30)
    years = periods(months, "year", fiscal_year_start=4)
    assert [(p.label, p.first, p.last, p.full) for p in years] == [
        ("FY2027", 0, 2, False), ("FY2028", 3, 14, True), ("FY2029", 15, 26, True), ("FY2030", 27, 29, False)]
    assert [(p.label, p.first, p.last) for p in periods(months, "year")][:2] == [("FY2027", 0, 11), ("FY2028", 12, 23)]
    quarters = periods(months, "quarter", fiscal_year_start=2)
    assert [(p.label, p.first, p.last, p.full) for p in quarters[:2]] == [
        ("FY2027 Q4", 0, 0, False), ("FY2028 Q1", 1, 3, True)]
    assert [p.label for p in periods(months, "month")][:2] == ["2027-01", "2027-02"]
    with pytest.raises(ValueError, match="fiscal_year_start"):
        periods(months, "year", fiscal_year_start=13)
    with pytest.raises(ValueError, match="freq"):
        periods(months, "week")


def test_flat_scenario_against_hand_calculation(tmp_path):
    v = period_metrics(flat(tmp_path)).values["blended"]
    first = {k: a[0, 0] for k, a in v.items()}
    # CAC: 12 x 15,000 of S&M / 120 new customers = 1,500
    assert first["cac"] == pytest.approx(1500.0)
    # magic number, first year: spend of months 0..8 = 9 x 15,000 = 135,000 against the ARR
    # added over months 3..11: 12 x (MRR[11] - MRR[2]) = 12 x (22,000 - 13,000) = 108,000 -> 0.8
    assert first["magic_number"] == pytest.approx(108_000 / 135_000)
    # burn: opex 12 x 35,000 = 420,000 - collections sum(11,000 + 1,000 t, t = 0..11) = 198,000
    # = 222,000; net new ARR 12 x (22,000 - 10,000) = 144,000 -> 222,000 / 144,000 = 1.5417
    assert first["net_burn"] == pytest.approx(222_000.0)
    assert first["net_new_arr"] == pytest.approx(144_000.0)
    assert first["burn_multiple"] == pytest.approx(222_000 / 144_000)
    # growth: revenue 22,000 in month 11 against 10,000 the month before the start = +120%;
    # EBITDA margin (198,000 - 420,000) / 198,000 = -1.1212; Rule of 40 = 0.0788
    assert first["growth"] == pytest.approx(1.2)
    assert first["ebitda_margin"] == pytest.approx(-222_000 / 198_000)
    assert first["rule_of_40"] == pytest.approx(1.2 - 222_000 / 198_000)
    assert first["sm_share"] == pytest.approx(180_000 / 198_000)
    assert first["rnd_share"] == pytest.approx(240_000 / 198_000)
    # no churn, no COGS: payback 1,500 / (100 x 1.0) = 15 months, by formula and by cohort
    assert first["cac_payback"] == pytest.approx(15.0)
    assert first["cac_payback_cohort"] == pytest.approx(15.0)
    # LTV unbounded (zero churn) for the segment; capped at 60 months: 100 x 60 = 6,000 =
    # the cohort LTV; the blend is of the segments' capped LTVs, with the share unbounded
    segment = period_metrics(flat(tmp_path)).values
    (name,) = [k for k in segment if k != "blended"]
    assert segment[name]["ltv"][0, 0] == math.inf
    assert first["ltv"] == pytest.approx(6000.0) and first["ltv_unbounded_share"] == 1.0
    assert first["ltv_capped"] == pytest.approx(6000.0)
    # no churn: lifetime unbounded; discounted over the same 60 months stays below capped
    assert first["lifetime_years"] == math.inf
    assert first["ltv_discounted"] < first["ltv_capped"]
    assert first["ltv_cohort"] == pytest.approx(6000.0)
    assert first["nrr"] == pytest.approx(1.0) and first["grr"] == pytest.approx(1.0)
    # second year: magic = 12 x 12 x 1,000 / (12 x 15,000) = 0.8 again; burn 420,000 - 342,000
    assert v["magic_number"][0, 1] == pytest.approx(0.8)
    assert v["burn_multiple"][0, 1] == pytest.approx(78_000 / 144_000)


def test_quarterly_magic_number(tmp_path):
    v = period_metrics(flat(tmp_path), "quarter").values["blended"]
    # Q1 has no previous quarter in the plan; Q2: 12 x (MRR[5] - MRR[2]) = 36,000 / 45,000
    assert math.isnan(v["magic_number"][0, 0])
    np.testing.assert_allclose(v["magic_number"][0, 1:], 36_000 / 45_000)


def test_cac_lag(tmp_path):
    # ads 5,000 until June, 11,000 from July: S&M 15,000 then 21,000 a month
    r = flat(tmp_path, ads="{schedule: {2027-01: 5000, 2027-07: 11000}}")
    monthly = period_metrics(r, "month", cac_lag_months=2).values["blended"]["cac"][0]
    assert np.isnan(monthly[:2]).all()                     # spend before the start unknown
    assert monthly[2] == pytest.approx(15_000 / 10)       # wins of March against January's spend
    assert monthly[7] == pytest.approx(15_000 / 10)       # August against June
    assert monthly[8] == pytest.approx(21_000 / 10)       # September against July
    # first year with a 2-month lag: spend of months 0..9 (6 x 15,000 + 4 x 21,000 = 174,000)
    # against the wins of months 2..11 (100)
    year = period_metrics(r, cac_lag_months=2).values["blended"]["cac"][0, 0]
    assert year == pytest.approx(174_000 / 100)
    with pytest.raises(ValueError, match="cac_lag_months"):
        period_metrics(r, cac_lag_months=-1)


def test_zero_new_customers_gives_no_cac(tmp_path):
    r = flat(tmp_path, new=0)
    v = period_metrics(r).values["blended"]
    assert np.isnan(v["cac"]).all() and np.isnan(v["cac_payback"]).all() and np.isnan(v["ltv_to_cac"]).all()
    summary = unit_economics_summary(r)
    entry = summary["scopes"]["blended"]["first_year"]["cac"]
    assert entry["p50"] is None and entry["note"] == "no new customers" and entry["paths_defined"] == 0.0
    json.dumps(summary, allow_nan=False)
    text = unit_economics_text(summary)
    assert re.search(r"\n  CAC \(fully loaded\) +n/a \(no new customers\) +n/a \(no new customers\)", text)


@pytest.mark.parametrize("g", [0.0, 0.005])
def test_formula_ltv_agrees_with_simulated_cohort_ltv(tmp_path, g):
    r = planner.simulate(scenario_from_text(CHURN.format(g=g), tmp_path))
    v = period_metrics(r, ltv_horizon_months=1200).values["s"]
    # rates recovered from the simulated book: churn 3%, expansion g, gross margin 80%
    np.testing.assert_allclose(v["churn_rate"][0], 0.03, rtol=1e-12)
    np.testing.assert_allclose(v["expansion_rate"][0], g, atol=1e-12)
    np.testing.assert_allclose(v["gross_margin"][0], 0.8, rtol=1e-12)
    formula = 100 * 0.8 / (0.03 - g)                          # 2,666.67 (g = 0), 3,200 (g = 0.5%)
    np.testing.assert_allclose(v["ltv"][0], formula, rtol=1e-9)
    # the cohort: sum_a 80 ((1 - c)(1 + g))^a = 80 / (c - g + c g) over 1,200 months
    cohort = 100 * 0.8 / (0.03 - g + 0.03 * g)
    np.testing.assert_allclose(v["ltv_cohort"][0], cohort, rtol=1e-9)
    # equal with no expansion; within c g / (c - g) = 0.6% with 0.5% expansion
    assert abs(v["ltv_cohort"][0, 0] / v["ltv"][0, 0] - 1) <= 0.03 * g / (0.03 - g) + 1e-9


def test_capped_ltv_equals_the_cohort_over_the_same_horizon(tmp_path):
    r = planner.simulate(scenario_from_text(CHURN.format(g=0.0), tmp_path))
    v = period_metrics(r, ltv_horizon_months=60).values["s"]
    # sum_{a < 60} 80 x 0.97^a
    expected = 80 * (1 - 0.97 ** 60) / 0.03
    np.testing.assert_allclose(v["ltv_capped"][0], expected, rtol=1e-9)
    np.testing.assert_allclose(v["ltv_cohort"][0], expected, rtol=1e-9)


def test_nrr_grr_under_constant_churn_and_expansion(tmp_path):
    r = planner.simulate(scenario_from_text(CHURN.format(g=0.005), tmp_path))
    v = period_metrics(r).values["s"]
    # the book keeps 0.97^12 of its customers, each growing 1.005^12
    np.testing.assert_allclose(v["nrr"][0], (0.97 * 1.005) ** 12, rtol=1e-10)
    np.testing.assert_allclose(v["logo_retention"][0], 0.97 ** 12, rtol=1e-10)
    assert (v["grr"][0] < 0.97 ** 12 + 1e-12).all()


def test_segment_allocation_reconciles_to_blended(tmp_path):
    r = planner.simulate(scenario_from_text(TWO, tmp_path))
    for allocation, key in (("new_mrr", "new_mrr"), ("new_customers", "new_customers")):
        values = period_metrics(r, allocation=allocation).values
        spend = {s: values[s]["cac"][0] * values[s]["new_customers"][0] for s in ("small", "large")}
        blended = values["blended"]["cac"][0] * values["blended"]["new_customers"][0]
        np.testing.assert_allclose(spend["small"] + spend["large"], blended, rtol=1e-12)
        # S&M 15,000 a month; new MRR small 30 x 100 = 3,000, large 1 x 2,000 -> 60% / 40%;
        # new customers 30 / 31
        share = 3000 / 5000 if key == "new_mrr" else 30 / 31
        np.testing.assert_allclose(spend["small"], 12 * 15_000 * share, rtol=1e-12)


def test_blended_ltv_is_the_new_customer_mix_of_segment_ltvs(tmp_path):
    r = planner.simulate(scenario_from_text(TWO, tmp_path))
    v = period_metrics(r).values
    # small: 100 / 0.02 = 5,000; large: 2,000 / 0.01 = 200,000; mix 30 : 1
    np.testing.assert_allclose(v["small"]["ltv"][0], 5000, rtol=1e-9)
    np.testing.assert_allclose(v["large"]["ltv"][0], 200_000, rtol=1e-9)
    # the blend is of the segments' capped LTVs (60 months): 100 (1 - 0.98^60) / 0.02 and
    # 2,000 (1 - 0.99^60) / 0.01, mixed 30 : 1 by new customers
    small, large = 100 * (1 - 0.98 ** 60) / 0.02, 2000 * (1 - 0.99 ** 60) / 0.01
    np.testing.assert_allclose(v["small"]["ltv_capped"][0], small, rtol=1e-9)
    np.testing.assert_allclose(v["blended"]["ltv"][0], (30 * small + large) / 31, rtol=1e-9)
    assert (v["blended"]["ltv_unbounded_share"][0] == 0).all()
    # lifetimes: 1 / 0.02 months = 4.17 years, 1 / 0.01 = 8.33 years
    np.testing.assert_allclose(v["small"]["lifetime_years"][0], 50 / 12, rtol=1e-9)
    np.testing.assert_allclose(v["large"]["ltv_lifetime_years"][0], 100 / 12, rtol=1e-9)
    for scope in ("small", "large", "blended"):
        assert (v[scope]["ltv_discounted"] <= v[scope]["ltv_capped"]).all()


def test_summary_unbounded_ltv_and_text(tmp_path):
    summary = unit_economics_summary(flat(tmp_path))
    json.dumps(summary, allow_nan=False)
    ltv = summary["scopes"]["s"]["first_year"]["ltv"]
    assert ltv["p50"] == {"unbounded": True, "reason": "expansion >= churn",
                          "capped": pytest.approx(6000.0), "discounted": pytest.approx(ltv["p50"]["discounted"])}
    # discounted at 10% a year over the same 60 months: below the capped value
    q = 1 / 1.1 ** (1 / 12)
    assert ltv["p50"]["discounted"] == pytest.approx(100 * (1 - q ** 60) / (1 - q))
    ratio = summary["scopes"]["s"]["first_year"]["ltv_to_cac"]
    assert ratio["p50"]["capped"] == pytest.approx(4.0)          # 6,000 / 1,500
    # formula values carry no verdict: one verdict a question, the cohort's
    assert "verdict" not in ratio and "verdict" not in summary["scopes"]["s"]["first_year"]["cac_payback"]
    assert summary["scopes"]["s"]["first_year"]["ltv_to_cac_cohort"]["verdict"] == "excellent"  # 6,000 / 1,500 = 4
    assert summary["scopes"]["s"]["first_year"]["ltv_capped"]["p50"] == pytest.approx(6000.0)
    assert summary["years"]["first_year"] == {"label": "FY2027", "from": "2027-01", "to": "2027-12", "months": 12}
    assert summary["years"]["last_year"]["label"] == "FY2028"
    # one segment: one table (the company's and the segment's are the same); the cohort
    # rows first with their verdicts, the formula rows after a heading, without verdicts;
    # the capped formula LTV (= the cohort's here) is not repeated
    text = unit_economics_text(summary)
    assert text.count("LTV, cohort 60 months") == 1 and "s (SMB, only segment)" in text
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    cohort = next(i for i, line in enumerate(lines) if line.startswith("  LTV, cohort"))
    heading = next(i for i, line in enumerate(lines) if "no verdict" in line)
    row = next(i for i, line in enumerate(lines) if line.startswith("  LTV, uncapped"))
    assert cohort < heading < row
    assert "unbounded" in lines[row] and "LTV, capped" not in text
    assert "excellent" in lines[cohort + 1]
    assert all("excellent" not in line and "good" not in line for line in lines[heading:])
    assert "discounted" not in text          # no discounted value shown, none claimed
    assert "inf" not in text and "nan" not in text


def test_summary_fiscal_year_start_and_settings(tmp_path):
    summary = unit_economics_summary(flat(tmp_path), fiscal_year_start=4, cac_lag_months=1)
    # 24 months from January with April year starts: FY2028 (2027-04..2028-03) is the only full year
    assert summary["years"]["first_year"]["label"] == summary["years"]["last_year"]["label"] == "FY2028"
    assert summary["settings"]["fiscal_year_start"] == 4 and summary["settings"]["cac_lag_months"] == 1
    text = unit_economics_text(summary)
    assert "FY2028" in text and "1-month spend lag" in " ".join(text.split())


def test_metric_series_table(tmp_path):
    r = flat(tmp_path)
    header, rows = metric_series_table(r)
    assert header[0] == "month" and len(rows) == 24 and all(len(row) == len(header) for row in rows)
    assert rows[0][0] == "2027-01"
    col = header.index("blended_cac_p50")
    assert rows[5][col] == pytest.approx(1500.0)
    ltv = header.index("s_ltv_p50")
    assert rows[20][ltv] is None                                   # unbounded
    assert rows[20][header.index("s_ltv_capped_p50")] == pytest.approx(6000.0)
    magic = header.index("blended_magic_number_p50")
    assert rows[4][magic] is None and rows[5][magic] == pytest.approx(0.8)  # needs 3 months before
    for row in rows:
        assert all(v is None or (isinstance(v, float) and math.isfinite(v)) for v in row[1:])


def test_needs_segment_series(tmp_path):
    sc = scenario_from_text(FLAT.format(new=10, ads=5000), tmp_path)
    r = planner.simulate(sc, keep=UNIT_ECONOMICS_SERIES, by_segment=False)
    with pytest.raises(KeyError, match="by_segment=True"):
        period_metrics(r)
    period_metrics(planner.simulate(sc, keep=UNIT_ECONOMICS_SERIES))


def _numbers(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _numbers(value)
    elif isinstance(tree, (list, tuple)):
        for value in tree:
            yield from _numbers(value)
    elif isinstance(tree, float):
        yield tree


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios(path):
    r = planner.simulate(planner.load_scenario(path), paths=200)
    summary = unit_economics_summary(r, cac_lag_months=1)
    json.dumps(summary, allow_nan=False)
    assert all(math.isfinite(x) and abs(x) < 1e12 for x in _numbers(summary))
    assert set(summary["scopes"]) == {"blended", *r.segments}
    for scope in summary["scopes"].values():
        for year in scope.values():
            for key in ("cac", "ltv_cohort", "cac_payback_cohort", "nrr", "grr", "magic_number"):
                assert year[key]["p50"] is not None, key
    text = unit_economics_text(summary, currency=r.scenario.currency)
    assert "nan" not in text and "inf" not in text
    header, rows = metric_series_table(r)
    assert len(rows) == r.scenario.horizon


def test_short_plan_says_why_values_are_missing(tmp_path):
    text = FLAT.format(new=10, ads=5000).replace("horizon_months: 24", "horizon_months: 2")
    r = planner.simulate(scenario_from_text(text, tmp_path))
    summary = unit_economics_summary(r, cac_lag_months=2)
    json.dumps(summary, allow_nan=False)
    year = summary["scopes"]["blended"]["first_year"]
    assert summary["years"]["first_year"]["months"] == 2       # no full year: the partial one
    assert year["cac"]["note"] == "no S&M spend known for these months (spend lag)"
    assert year["ltv"]["note"] == "needs 12 months of history"
    assert year["nrr"]["note"] == "needs 12 months of history"
    assert year["magic_number"]["note"] == "no S&M spend three months earlier in the plan"
    assert year["ltv_cohort"]["p50"] == pytest.approx(6000.0)
    assert "n/a (needs 12 months of history)" in unit_economics_text(summary)


def test_zero_cac_is_unbounded_ltv_to_cac_for_its_own_reason(tmp_path):
    text = CHURN.format(g=0.0).split("  headcount:")[0]             # no S&M at all
    summary = unit_economics_summary(planner.simulate(scenario_from_text(text, tmp_path)))
    ratio = summary["scopes"]["s"]["first_year"]["ltv_to_cac"]
    assert ratio["p50"]["reason"] == "zero CAC (no S&M spend)"
    assert ratio["p50"]["capped"] is None and ratio["p50"]["capped_note"] == "unbounded too"
    assert "verdict" not in ratio                                   # a formula value
    assert summary["scopes"]["s"]["first_year"]["ltv_to_cac_cohort"]["verdict"] == "excellent (may be under-investing)"
    assert summary["scopes"]["s"]["first_year"]["cac"]["p50"] == 0.0
    json.dumps(summary, allow_nan=False)


def test_one_period_rule_for_every_output():
    """A plan starting in April: the unit economics, the MRR charts and the funnel name the
    same quarter and the same year the same way (fiscal years from the plan's start)."""
    from planner.charts.bridge import period_slices
    from planner.charts.funnel import plan_years

    months = np.arange("2027-04", "2029-10", dtype="datetime64[M]")
    quarters = [(p.label, p.first, p.last) for p in periods(months, "quarter")]
    assert quarters[:2] == [("FY2028 Q1", 0, 2), ("FY2028 Q2", 3, 5)]
    assert period_slices(months, "quarter")[:2] == quarters[:2]
    years = [(p.title, p.first, p.last) for p in periods(months, "year")]
    assert years == [("FY2028", 0, 11), ("FY2029", 12, 23), ("FY2030 (6 months)", 24, 29)]
    assert period_slices(months, "year") == plan_years(months) == years


def test_trailing_twelve_month_sums_are_the_slice_sums_to_the_bit():
    """NRR/GRR read every window of twelve months from one sliding-window reduction: each
    window must be the number summing its slice gives (the order numpy reduces in)."""
    from planner.analysis.unit_economics import NRR_MONTHS, _Scope, _trailing
    rng = np.random.default_rng(8)
    for shape in [(2000, 60), (37, 120), (1, 12)]:
        flows = rng.lognormal(8.0, 2.0, shape) * rng.choice([1.0, 1e-9, 1e6], shape)
        scope = _Scope("x", {"churned_mrr": flows}, {}, [], None)
        windows = _trailing(scope, "churned_mrr")
        assert windows.shape == (shape[0], shape[1] - NRR_MONTHS + 1)
        for w in range(windows.shape[1]):
            np.testing.assert_array_equal(windows[:, w], flows[:, w:w + NRR_MONTHS].sum(axis=1))
