"""Work the engine skips when a series is not kept never changes what is kept."""
from pathlib import Path

import numpy as np
import pytest

import planner

from conftest import FIXTURES

ALL_FEATURES = next(p for p in FIXTURES if p.stem == "all_features")


@pytest.mark.parametrize("keep", [("role_headcount", "cash"), ("cac", "equity_book"),
                                  ("cash_if_funded", "arr")])
def test_series_computed_only_when_kept_equal_the_full_run(keep):
    scenario = planner.load_scenario(ALL_FEATURES)
    full = planner.simulate(scenario, paths=200, seed=5)
    lean = planner.simulate(scenario, paths=200, seed=5, keep=keep)
    for name in keep:
        if name in full.by_role:
            np.testing.assert_array_equal(lean.by_role[name], full.by_role[name], err_msg=name)
        else:
            np.testing.assert_array_equal(lean.total(name), full.total(name), err_msg=name)


def test_cash_if_funded_of_a_plan_with_no_inflow_is_its_cash():
    scenario = planner.load_scenario(Path(__file__).parents[1] / "benchmarks" / "simple_model.yaml")
    result = planner.simulate(scenario, paths=50, seed=1, keep=("cash", "cash_if_funded"))
    np.testing.assert_array_equal(result.total("cash_if_funded"), result.total("cash"))


def test_totals_of_nine_segments_are_the_same_kept_by_segment_or_not(tmp_path):
    """From 8 segments np.sum adds pairwise: a total kept only as a total must still be
    the sum of the kept segments to the bit (annual terms: the full engine)."""
    from conftest import scenario_from_text

    segment = """  s{i}:
    opening: {{customers: {c}, mrr: {m}, age_months: 5}}
    price: {{arpa: {a}}}
    contract: {{term_months: 12, billing: annual}}
    acquisition: {{new_customers: {{dist: uniform, low: 1, high: {n}}}}}
    retention: {{model: constant, monthly_churn: {{dist: uniform, low: 0.01, high: 0.03}}}}
"""
    text = ("name: nine\nstart: 2027-01\nhorizon_months: 24\nopening: {cash: 1000000}\nsegments:\n"
            + "".join(segment.format(i=i, c=10 + 7 * i, m=(10 + 7 * i) * (90 + i), a=90 + i, n=3 + i)
                      for i in range(9)))
    scenario = scenario_from_text(text, tmp_path)
    keep = ("customers", "new_customers", "mrr", "revenue", "cash")
    totals = planner.simulate(scenario, paths=300, seed=2, keep=keep, by_segment=False)
    kept = planner.simulate(scenario, paths=300, seed=2, keep=keep, by_segment=True)
    assert "customers" not in totals.by_segment
    for name in keep:
        np.testing.assert_array_equal(totals.total(name), kept.total(name), err_msg=name)
