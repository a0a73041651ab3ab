"""The numbers and text users read: summary values, money formatting, guards."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import planner
from planner.errors import PlannerError
from planner.format import money
from planner.report.text import summary_text
from planner.report.summary import summarise

from conftest import BUNDLED, scenario_from_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value, text", [
    (0, "$0"), (12.3, "$12"), (-0.4, "$0"), (850_000, "$850K"), (-850_000, "-$850K"),
    (999_960, "$1.0M"), (1_234_567, "$1.2M"), (99_960_000, "$100M"), (2.5e9, "$2.5B"),
    (3.8e17, "$3.8e+17"), (float("nan"), "n/a"), (float("inf"), "n/a"), (None, "n/a")])
def test_money(value, text):
    assert money(value) == text


def test_money_in_other_currencies():
    assert money(1_500_000, "EUR") == "€1.5M"
    assert money(1_500_000, "CHF") == "1.5M CHF"


def test_summary_values_match_the_arrays():
    scenario = planner.load_scenario(BUNDLED[0])
    result = planner.simulate(scenario, paths=300)
    summary = summarise(result)
    revenue = result.total("revenue")
    first_year = np.quantile(revenue[:, :12].sum(axis=1), [0.1, 0.5, 0.9])
    assert [summary["revenue_by_year"][0][k] for k in ("p10", "p50", "p90")] == pytest.approx(first_year)
    assert summary["arr_end"]["p50"] == pytest.approx(np.median(result.total("arr")[:, -1]))
    assert summary["cash_out"]["probability"] == pytest.approx((result.total("cash") < 0).any(axis=1).mean())
    assert sum(y["months"] for y in summary["revenue_by_year"]) == scenario.horizon


def test_short_horizon_text_has_no_month_24_and_one_revenue_row(tmp_path):
    scenario = scenario_from_text("""
name: short
start: 2027-04
horizon_months: 6
opening: {cash: 100000}
segments:
  s:
    price: {arpa: 10}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: 0.02}
costs:
  opex: [{name: Burn, department: ga, monthly: 50000}]
""", tmp_path)
    text = summary_text(summarise(planner.simulate(scenario, paths=20)))
    assert "by month 24" not in text and "by month 12" not in text
    assert text.count("Revenue 2027-04 to 2027-09 (6 mo)") == 1
    assert "Cash runs out: on 100.0% of paths; first month P10 2027-06" in text


def test_packaged_default_scenario_is_the_bundled_one():
    assert (ROOT / "planner" / "data" / "series_a_midmarket.yaml").read_text() == \
        (ROOT / "scenarios" / "series_a_midmarket.yaml").read_text()


def test_a_run_too_big_for_memory_is_refused(monkeypatch):
    scenario = planner.load_scenario(BUNDLED[0])
    real = os.sysconf
    monkeypatch.setattr(os, "sysconf", lambda name: 1000 if name == "SC_AVPHYS_PAGES" else real(name))
    with pytest.raises(PlannerError, match=r"would need about .* GB for their results"):
        planner.simulate(scenario, paths=10_000)


BOOM = """
name: boom
start: 2027-01
horizon_months: 240
opening: {cash: 1}
segments:
  s:
    price: {arpa: 10}
    acquisition: {marketing_budget: 1000, cac: CAC}
    retention: {model: constant, monthly_churn: 0.01}
"""


def test_inputs_that_would_overflow_are_located_errors(tmp_path):
    with pytest.raises(planner.ScenarioError) as err:
        scenario_from_text(BOOM.replace("CAC", "1.0e-307"), tmp_path)
    assert str(err.value).endswith("s.yaml:9: segments.s.acquisition.cac: must be at least 0.01 "
                                   "(it divides other inputs) and at most 1e+13 (got 1e-307)")


def test_overflow_is_an_error_not_nan(tmp_path):
    """The engine's own guard, for a Scenario built in code past validation."""
    import dataclasses

    scenario = scenario_from_text(BOOM.replace("CAC", "1.0"), tmp_path)
    segment = dataclasses.replace(scenario.segments[0], cac=1.0e-307)
    scenario = dataclasses.replace(scenario, segments=(segment,))
    with pytest.raises(PlannerError, match="overflowed"):
        planner.simulate(scenario, paths=5)


def test_set_reaches_keys_of_an_omitted_block(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\nstart: 2027-01\nhorizon_months: 3\nopening: {cash: 1}\nsegments:\n"
                    "  s:\n    price: {arpa: 10}\n    acquisition: {new_customers: 1}\n"
                    "    retention: {model: constant, monthly_churn: 0.02}\n")
    scenario = planner.load_scenario(path, ["simulation.seed=7", "segments.s.contract.billing=quarterly",
                                            "segments.s.contract.term_months=12"])
    assert scenario.seed == 7 and scenario.segments[0].billing_months == 3


def test_projection_quantiles_are_nanquantiles_to_the_bit():
    """The projection table reads complete series with np.quantile (vectorised) and
    series with undefined months with np.nanquantile: the numbers nanquantile gives."""
    import warnings
    from planner.report.summary import projection_table
    from conftest import ROOT
    result = planner.simulate(planner.load_scenario(ROOT / "scenarios" / "series_a_midmarket.yaml"),
                              paths=300, seed=2, keep=("arr", "cash"), by_segment=False)
    header, rows = projection_table(result, names=("arr", "cash"))
    table = np.array([row[1:] for row in rows])
    for j, name in enumerate(("arr", "cash")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanquantile(result.total(name), (0.1, 0.5, 0.9), axis=0)
        np.testing.assert_array_equal(table[:, 3 * j:3 * j + 3], expected.T)
