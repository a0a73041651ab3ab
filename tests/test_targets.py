"""The grammar of outcomes, statistics and targets (planner.analysis.targets): known answers
on a scenario whose outcomes are linear in one uniform input, and every parse error."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import planner
from planner.analysis.targets import (needs, parse_outcome, parse_statistic, parse_target,
                                      parse_targets)
from planner.errors import ScenarioError

from conftest import scenario_from_text

# ARPA ~ U(50, 150); 10 new customers a month, no churn, no costs but $100K rent a month:
# MRR[t] = 10 arpa (t + 1), ARR[t] = 120 arpa (t + 1), cash[t] = 1M + 5 arpa (t+1)(t+2) - 100K (t+1)
LINEAR = """
name: linear
start: 2027-01
horizon_months: 24
simulation: {paths: 1000, seed: 1}
opening: {cash: 1000000}
segments:
  s:
    price: {arpa: {dist: uniform, low: 50, high: 150}}
    acquisition: {new_customers: 10}
    retention: {model: constant, monthly_churn: 0.0}
costs:
  opex:
    - {name: Rent, department: ga, monthly: 100000}
"""


@pytest.fixture(scope="module")
def linear(tmp_path_factory):
    sc = scenario_from_text(LINEAR, tmp_path_factory.mktemp("targets"))
    return sc, planner.simulate(sc, paths=1000)


def arpa(result):
    return result.draws[:, 0]


def cash(result):
    t = np.arange(24)[None, :] + 1.0
    return 1e6 + 5 * arpa(result)[:, None] * t * (t + 1) - 1e5 * t


@pytest.mark.parametrize("text, formula", [
    ("arr", lambda a: 120 * a * 24),
    ("arr@2027-12", lambda a: 120 * a * 12),
    ("mrr:s@2027-06", lambda a: 60 * a),
    ("revenue:FY2027", lambda a: 10 * a * 78),          # flows summed: 10 a (1 + ... + 12)
    ("customers:FY2028", lambda a: 240 + 0 * a),       # balances at the year's last month
    ("new_customers:s:FY2028", lambda a: 120 + 0 * a),  # unit-economics metric
])
def test_outcome_values(linear, text, formula):
    sc, r = linear
    outcome = parse_outcome(text, sc)
    np.testing.assert_allclose(outcome.values(r), formula(arpa(r)), rtol=1e-9)


def test_named_outcomes(linear):
    sc, r = linear
    c = cash(r)
    np.testing.assert_allclose(parse_outcome("cash_end", sc).values(r), c[:, -1], rtol=1e-9)
    np.testing.assert_allclose(parse_outcome("cash_trough", sc).values(r), c.min(axis=1), rtol=1e-9)
    out = (c < 0).any(axis=1)
    np.testing.assert_array_equal(parse_outcome("cash_out", sc).values(r), out)
    np.testing.assert_array_equal(parse_outcome("cash_out by 2027-12", sc).values(r), (c[:, :12] < 0).any(axis=1))
    runway = np.where(out, (c < 0).argmax(axis=1), 24)
    np.testing.assert_array_equal(parse_outcome("runway", sc).values(r), runway)
    np.testing.assert_allclose(parse_outcome("raise_shortfall", sc).values(r),
                               np.maximum(0, -c.min(axis=1)), rtol=1e-9, atol=1e-6)
    assert parse_outcome("ownership", sc).values(r) == pytest.approx(1.0)


def test_units_keep_and_segments(linear):
    sc, _ = linear
    assert parse_outcome("arr", sc).unit == "money"
    assert parse_outcome("customers@2027-03", sc).unit == "count"
    assert parse_outcome("runway", sc).unit == "months"
    assert parse_outcome("cash_out by 2028-01", sc).unit == "flag"
    assert parse_outcome("ltv_to_cac:blended:FY2028", sc).unit == "ratio"
    assert parse_outcome("mrr:s@2027-06", sc).by_segment and not parse_outcome("mrr@2027-06", sc).by_segment
    keep, by_segment = needs(parse_targets(["P50(arr) >= 1", "P(cash_out) <= 10%"], sc))
    assert set(keep) == {"arr", "cash"} and not by_segment


def test_statistics_known_answers(linear):
    sc, r = linear
    a = arpa(r)
    stat = parse_statistic("P50(arr@2027-12)", sc)
    assert stat.value(r) == pytest.approx(np.quantile(1440 * a, 0.5))
    assert parse_statistic("P10(arr@2027-12)", sc).value(r) == pytest.approx(np.quantile(1440 * a, 0.1))
    assert parse_statistic("P95(arr@2027-12)", sc).value(r) == pytest.approx(np.quantile(1440 * a, 0.95))
    assert parse_statistic("mean(revenue:FY2027)", sc).value(r) == pytest.approx(780 * a.mean())
    assert parse_statistic("P(arr@2027-12 >= 144K)", sc).value(r) == pytest.approx((a >= 100).mean())
    assert parse_statistic("P(cash_out)", sc).value(r) == pytest.approx((cash(r) < 0).any(axis=1).mean())
    # errors: sd / sqrt(n) for a mean, binomial for a probability, order statistics for a quantile
    values = parse_outcome("revenue:FY2027", sc).values(r)
    assert parse_statistic("mean(revenue:FY2027)", sc).error(values) == pytest.approx(
        (780 * a).std(ddof=1) / math.sqrt(a.size))
    p = (a >= 100).mean()
    flags = parse_outcome("arr@2027-12", sc).values(r)
    assert parse_statistic("P(arr@2027-12 >= 144K)", sc).error(flags) == pytest.approx(
        math.sqrt(p * (1 - p) / a.size), rel=0.05)
    assert 0 < stat.error(parse_outcome("arr@2027-12", sc).values(r)) < 1440 * 100 * 0.05


def test_targets_met_and_not(linear):
    sc, r = linear
    median = float(np.quantile(1440 * arpa(r), 0.5))
    met = parse_target(f"P50(arr@2027-12) >= {median * 0.99:.0f}", sc).evaluate(r)
    assert met.met and met.value == pytest.approx(median) and met.error > 0 and met.paths == 1000
    assert not parse_target(f"P50(arr@2027-12) >= {median * 1.01:.0f}", sc).evaluate(r).met
    assert parse_target("P(cash_out by 2027-06) <= 0%", sc).evaluate(r).met
    result = parse_target("P(arr@2027-12 >= 144K) >= 60%", sc).evaluate(r)
    assert result.met == ((arpa(r) >= 100).mean() >= 0.6)
    assert result.to_dict()["threshold"] == 0.6 and result.unit == "fraction"


@pytest.mark.parametrize("text, threshold", [
    ("P50(arr) >= 50M", 50e6), ("P50(arr) >= $1.5B", 1.5e9), ("P50(arr) <= 8K", 8e3),
    ("P(cash_out) <= 10%", 0.1), ("P50(arr) > 2_000", 2000), ("P50(arr) > 2,500.5", 2500.5),
    ("mean(ebitda:FY2028) >= 0", 0.0), ("P50(cash_trough) >= -2M", -2e6),
    ("P50(cash_trough) >= -$2M", -2e6), ("P50(arr)>=1e6", 1e6), ("median(arr) < 3m", 3e6),
])
def test_numbers(linear, text, threshold):
    sc, _ = linear
    assert parse_target(text, sc).threshold == pytest.approx(threshold)


def test_pickles(linear):
    sc, r = linear
    target = parse_target("P(arr@2027-12 >= 144K) >= 60%", sc)
    again = pickle.loads(pickle.dumps(target))
    assert again.evaluate(r) == target.evaluate(r)


@pytest.mark.parametrize("text, message", [
    ("P50(arr@2027-13) >= 50M", "not a month at character 9 (got '2027-13')"),
    ("P50(arr@2030-01) >= 50M", "outside the plan (2027-01 to 2028-12) at character 9 (got '2030-01')"),
    ("P50(ar@2027-12) >= 50M", "no such series or outcome at character 5 (got 'ar'); did you mean 'arr'?"),
    ("P50(mrr:x@2027-12) >= 1", "no such segment at character 9 (got 'x')"),
    ("P50(ebitda:s@2027-12) >= 1", "ebitda is a company-level series, not per segment at character 12"),
    ("P50(revenue:FY2035) >= 1", "outside the plan (its fiscal years are FY2027, FY2028) at character 13"),
    ("P50(revenue:2027) >= 1", "not a fiscal year"),
    ("P50(cac:q:FY2027) <= 1", "not a segment or 'blended' at character 9 (got 'q')"),
    ("P50(rule_of_40:s:FY2028) >= 0.4", "rule_of_40 is a company metric"),
    ("P50(arr) >= 5Q", "not a number (examples: 50M, $1.5B, 8K, 10%, 2_000) at character 13 (got '5Q')"),
    ("P50(arr)", "expected a comparison (>=, <=, > or <) and a number after the statistic at character 9"),
    ("P50(arr) => 1", "expected >=, <=, > or < at character 10 (got '=>')"),
    ("P(arr) >= 10%", "P(...) needs a condition"),
    ("P(cash_out) >= 2", "a probability is between 0 and 1 (or 0% and 100%) at character 16"),
    ("P50(cash_out) <= 1", "cash_out is a yes/no outcome: use P(cash_out) at character 5"),
    ("P(cash_out >= 1) <= 10%", "cash_out is a yes/no outcome"),
    ("P(runway by 2027-06) <= 10%", "'by' applies to cash_out and cash_below_minimum at character 3"),
    ("X(arr) >= 1", "expected a statistic: Pnn(outcome), mean(outcome) or P(condition) at character 1"),
    ("P50(arr >= 1", "'(' is never closed at character 4"),
    ("P50(arr)) >= 1", "')' without a matching '(' at character 9"),
    ("P100(arr) >= 1", "expected a statistic"),
    ("P0(arr) >= 1", "a percentile is between P1 and P99 at character 1"),
    ("P50() >= 1", "expected an outcome"),
    ("P50(role_headcount) >= 1", "is per role"),
])
def test_parse_errors(linear, text, message):
    sc, _ = linear
    with pytest.raises(ScenarioError) as err:
        parse_target(text, sc)
    problem = err.value.problems[0]
    assert problem.file == "--target" and problem.path == text
    assert message in problem.message
    assert str(problem).startswith(f"--target: {text}: ")


def test_every_problem_at_once(linear):
    sc, _ = linear
    with pytest.raises(ScenarioError) as err:
        parse_targets(["P50(arr@2027-13) >= 1", "P50(ar) >= 1", "P50(arr) >= 1"], sc,
                      source="--subject-to")
    assert [p.file for p in err.value.problems] == ["--subject-to", "--subject-to"]
