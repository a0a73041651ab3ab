"""Cross-key and range checks added after review: located, clear errors."""
from __future__ import annotations

import pytest

import planner
from planner import ScenarioError

BASE = """name: c
start: 2027-01
horizon_months: 12
opening: {cash: 1}
segments:
  s:
    opening: {customers: 10, mrr: 1000}
    price: {arpa: 10}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: 0.02}
"""


def problems(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(path)
    return [str(p).replace(str(path), "c.yaml") for p in info.value.problems]


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("{customers: 10, mrr: 1000}", "{customers: 0, mrr: 1000}",
                 "c.yaml:7: segments.s.opening: customers and mrr must both be 0 or both be > 0 "
                 "(got customers=0, mrr=1000)", id="mrr-without-customers"),
    pytest.param("monthly_churn: 0.02", "monthly_churn: 1.0",
                 "c.yaml:10: segments.s.retention.monthly_churn: must be >= 0 and < 1 (got 1)",
                 id="churn-of-one"),
    pytest.param("{new_customers: 1}", "{marketing_budget: 100, cac: {dist: uniform, low: 0, high: 50}}",
                 "c.yaml:9: segments.s.acquisition.cac: uniform(low=0, high=50) can draw values near or "
                 "below 0, but this input must be > 0 on every path (a divisor or a rate that cannot reach "
                 "its limit); use a lognormal, or a triangular, pert or uniform strictly inside the range",
                 id="cac-can-be-zero"),
    pytest.param("monthly_churn: 0.02", "monthly_churn: {dist: pert, low: 0.5, mode: 0.9, high: 1.0}",
                 "c.yaml:10: segments.s.retention.monthly_churn: pert(low=0.5, mode=0.9, high=1) can draw "
                 "values near or above 1, but this input must be >= 0 and < 1 on every path (a divisor or "
                 "a rate that cannot reach its limit); use a lognormal, or a triangular, pert or uniform "
                 "strictly inside the range", id="churn-can-reach-one"),
    pytest.param("  s:\n", "  start:\n", "c.yaml:6: segments.start: 'start' cannot name a segment (it has "
                 "a meaning in per-segment values); pick another name", id="reserved-segment-name"),
    pytest.param("  s:\n", "  2027:\n", "c.yaml:6: segments[2027]: segment names must be text (quote "
                 "numbers: '2027') (got 2027)", id="numeric-segment-name"),
])
def test_cross_checks(tmp_path, old, new, expected):
    assert problems(tmp_path, BASE.replace(old, new)) == [expected]


def test_per_segment_map_must_cover_every_segment(tmp_path):
    text = BASE + "  t:\n" + BASE.split("  s:\n")[1] + "costs:\n  cogs:\n    per_customer_monthly: {s: 5}\n"
    assert problems(tmp_path, text) == [
        "c.yaml:18: costs.cogs.per_customer_monthly: no value for segment t (give every segment a "
        "value, 0 if none)"]
