"""`opening: {from_actuals: ...}`: the engine starts from the ledger's real book, and matches
the plain-loop oracle path by path on it."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import planner
from planner.actuals import read_ledger
from planner.actuals.opening import opening_book
from planner.actuals.scenario_opening import engine_slices
from planner.actuals.synthetic import SyntheticSegment, synthetic_ledger
from planner.engine.core import simulate_chunk
from planner.engine.reference import simulate_reference
from planner.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = (ROOT / "tests" / "scenarios" / "all_features.yaml").read_text()


def _scenario_text() -> str:
    """all_features.yaml with the segments' opening books taken from ledger.csv instead."""
    text = SCENARIO.replace("  cash: {dist: normal, mean: 4000000, sd: 300000}\n",
                            "  cash: {dist: normal, mean: 4000000, sd: 300000}\n  from_actuals: ledger.csv\n")
    for line in ("    opening: {customers: 300, mrr: 30000, age_months: 5}\n",
                 "    opening: {customers: 40, mrr: 60000, age_months: 0}\n",
                 "    opening: {customers: 7, mrr: 70000, age_months: 40}\n"):
        assert line in text
        text = text.replace(line, "")
    return text


@pytest.fixture
def folder(tmp_path):
    segments = (SyntheticSegment("monthly_curve", 30, 100.0), SyntheticSegment("quarterly_annual", 4, 18000.0, "year", 1.0, 4.0),
                SyntheticSegment("multi_year", 1, 132000.0, "year", 2.0, 8.0))
    frame, _ = synthetic_ledger(segments, 30, start="2024-01", seed=9)  # history to 2026-06
    frame.to_csv(tmp_path / "ledger.csv", index=False)
    (tmp_path / "plan.yaml").write_text(_scenario_text())
    return tmp_path


def test_the_scenario_takes_each_segment_book_from_the_ledger(folder):
    sc = planner.load_scenario(folder / "plan.yaml")
    book = opening_book(read_ledger(folder / "ledger.csv"), "2026-06")
    for seg in sc.segments:
        s = book.segments.index(seg.name)
        assert seg.opening_customers == book.customers[s]
        assert seg.opening_mrr == pytest.approx(book.mrr[s], abs=1e-9)
        assert sum(n for _, n, _ in seg.opening_slices) == book.customers[s]
        assert sum(m for _, _, m in seg.opening_slices) == pytest.approx(book.mrr[s], abs=1e-6)
    monthly = sc.segments[0]
    assert {a: int(n) for a, n, _ in monthly.opening_slices} == {a: c for a, (c, _) in book.ages[0].items()}


def test_annual_slices_renew_when_their_contracts_do(folder):
    ledger = read_ledger(folder / "ledger.csv")
    slices = engine_slices(ledger, "2026-06", {"quarterly_annual": 12})["quarterly_annual"][3]
    renewal = opening_book(ledger, "2026-06").renewals[ledger.segments.index("quarterly_annual")]
    # a slice of age a renews in horizon month j with (a + j + 1) % 12 == 0
    by_month = {}
    for age, n, _ in slices:
        month = str(np.datetime64("2026-07", "M") + (-(age + 1)) % 12)
        by_month[month] = by_month.get(month, 0) + n
    assert by_month == {k: c for k, (c, _) in renewal.items()}


def test_engine_matches_the_oracle_on_a_book_from_actuals(folder):
    sc = dataclasses.replace(planner.load_scenario(folder / "plan.yaml"), process_noise=False)
    ref_ops, ref_fin = simulate_reference(sc, seed=11, paths=8, plans=sc.plans)
    ops, fin = simulate_chunk(sc, 11, 0, 8, sc.plans)
    for name, expected in ref_ops.items():
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(ops[name], expected, rtol=0, atol=1e-9 * scale, err_msg=name)
    for plan, series in ref_fin.items():
        for name, expected in series.items():
            if expected.dtype == bool:
                assert np.array_equal(fin[plan][name], expected)
            else:
                scale = max(1.0, float(np.abs(expected).max()))
                np.testing.assert_allclose(fin[plan][name], expected, rtol=0, atol=1e-9 * scale)


def test_process_noise_runs_on_whole_customers_of_the_real_book(folder):
    sc = dataclasses.replace(planner.load_scenario(folder / "plan.yaml"), process_noise=True)
    a = planner.simulate(sc, paths=20, seed=4)
    b = planner.simulate(sc, paths=20, seed=4)
    assert np.array_equal(a.total("mrr"), b.total("mrr"))
    customers = a.segment("customers", "multi_year")
    assert np.array_equal(customers, np.round(customers))


def test_problems_with_the_ledger_or_the_keys_are_all_reported(folder):
    text = _scenario_text()
    bad = text.replace("  from_actuals: ledger.csv\n", "  from_actuals: ledger.csv\n  as_of: 2026-05\n")
    (folder / "bad.yaml").write_text(bad)
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(folder / "bad.yaml")
    assert [p.message for p in err.value.problems] == [
        "must be 2026-06, the month before start: the plan starts from the book at that close (got '2026-05')"]
    (folder / "broken.csv").write_text("customer,segment,start,amount\nc1,monthly_curve,2026-13-01,10\n"
                                       "c2,elsewhere,2026-01-01,10\n")
    (folder / "two.yaml").write_text(text.replace("from_actuals: ledger.csv", "from_actuals: broken.csv")
                                     .replace("  monthly_curve:\n", "  monthly_curve:\n    opening: {customers: 3, mrr: 10}\n"))
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(folder / "two.yaml")
    assert [str(p).replace(str(folder) + "/", "") for p in err.value.problems] == [
        "broken.csv:2: column 'start': not a date (got '2026-13-01')"]
    (folder / "broken.csv").write_text("customer,segment,start,amount\nc2,elsewhere,2026-01-01,10\n")
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(folder / "two.yaml")
    assert sorted(p.message for p in err.value.problems) == [
        "comes from opening.from_actuals: leave out customers and mrr here",
        "the ledger has segment(s) elsewhere that the scenario does not (monthly_curve, quarterly_annual, "
        "multi_year): add them, or place their rows with plan_segments or default_segment in the mapping"]
