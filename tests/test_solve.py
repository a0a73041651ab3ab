"""Goal seek (planner.sweep.solve, planner solve): known answers, honest failures, the
minimum raise as one case of it, and the command line."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.analysis.funding import minimum_raise
from planner.analysis.targets import parse_target
from planner.cli import main
from planner.errors import ScenarioError
from planner.sweep.runner import local_executor
from planner.sweep.solve import solve

ROOT = Path(__file__).resolve().parent.parent

# no uncertain input: ARR[t] = 12 arpa n (t + 1), so ARR at 2027-12 = 144 arpa n
LINEAR = """
name: linear-solve
start: 2027-01
horizon_months: 24
simulation: {paths: 1, seed: 1}
opening: {cash: 1000000}
segments:
  s:
    price: {arpa: 100}
    acquisition: {new_customers: 10}
    retention: {model: constant, monthly_churn: 0.0}
  e:
    price: {arpa: 1000}
    acquisition:
      new_customers: {schedule: {2027-01: 1, 2027-07: 2}}
    retention: {model: constant, monthly_churn: 0.0}
costs:
  headcount:
    - {role: Engineer, department: rnd, salary: 120000, burden: 0.0, start: 0, hires: {2027-01: 2}}
"""

# the spend B a month buys B / 2000 customers at $100: it loses money over the horizon, but
# ARR 0.6 B (t + 1) fires a $5M milestone round at B >= 100K: cash at the end falls with B,
# jumps up by $5M at 100K, then falls again (not monotone)
MILESTONE = """
name: milestone-solve
start: 2027-01
horizon_months: 24
simulation: {paths: 1, seed: 1}
opening: {cash: 10000000}
segments:
  s:
    price: {arpa: 100}
    acquisition: {marketing_budget: 50000, cac: 2000}
    retention: {model: constant, monthly_churn: 0.0}
funding:
  plans:
    milestone:
      - {type: milestone_equity, name: C, amount: 5000000, arr_at_least: 1440000,
         not_before: 2027-06, deadline: 2028-12, pre_money_arr_multiple: 10}
"""


@pytest.fixture
def linear(tmp_path):
    path = tmp_path / "linear.yaml"
    path.write_text(LINEAR)
    return planner.load_scenario(path)


@pytest.fixture
def milestone(tmp_path):
    path = tmp_path / "milestone.yaml"
    path.write_text(MILESTONE)
    return planner.load_scenario(path)


def statistic_at(scenario, key, value, target):
    """The target evaluated on a scenario loaded with --set key=value."""
    sc = planner.load_scenario(scenario.source, [f"{key}={value}"])
    t = parse_target(target, sc)
    return t.evaluate(planner.simulate(sc, paths=1, keep=t.outcome.keep))


def test_linear_price_has_the_analytic_root(linear):
    # ARR at 2027-12 = 144 * 10 * arpa(s) + 144 * (segment e: 1 new a month, 2 from July)
    e_arr = 12 * 1000 * (6 * 1 + 6 * 2)
    target = "P50(arr@2027-12) >= 500K"
    s = solve(linear, "segments.s.price.arpa", target, within="50:500")
    exact = (500_000 - e_arr) / 1440
    assert s.status == "solved" and s.value == pytest.approx(exact, abs=s.tolerance)
    assert s.value >= exact and s.at.met
    assert statistic_at(linear, "segments.s.price.arpa", s.value, target).met
    assert not statistic_at(linear, "segments.s.price.arpa", s.value - s.tolerance, target).met
    assert s.lever.set_items(linear, s.value) == [f"segments.s.price.arpa={s.value!r}"]
    assert s.answer.startswith("--set segments.s.price.arpa=")
    assert s.message.startswith("segments.s.price.arpa at least 197.2")
    assert len(s.trials) < 20 and s.seconds > 0


def test_linear_in_new_customers(linear):
    s = solve(linear, "segments.s.acquisition.new_customers", "P50(arr@2027-12) >= 500K", within="1:100")
    exact = (500_000 - 12 * 1000 * 18) / 14400
    assert s.value == pytest.approx(exact, abs=s.tolerance) and s.value >= exact


def test_schedule_scaled_together(linear):
    # segment e's ARR at 2027-12 = 12,000 x (6 + 12) x factor; segment s adds 144,000
    s = solve(linear, "segments.e.acquisition.new_customers", "P50(arr@2027-12) >= 360K", within="0.1:5")
    assert s.lever.kind == "scale"
    assert s.value == pytest.approx((360_000 - 144_000) / 216_000, abs=s.tolerance)
    items = s.lever.set_items(linear, s.value)
    assert [i.split("=")[0] for i in items] == ["segments.e.acquisition.new_customers.schedule.2027-01",
                                                "segments.e.acquisition.new_customers.schedule.2027-07"]


def test_hire_count_is_a_whole_number(linear):
    # cash at the end = 1M + revenue - 10,000 a month per engineer
    target = "P50(cash_end) >= 1.2M"
    s = solve(linear, "costs.headcount[0].hires.2027-01", target, within="0:40")
    assert s.lever.kind == "integer" and s.value == 2
    assert s.message.startswith("costs.headcount[0].hires.2027-01 at most")
    assert statistic_at(linear, "costs.headcount[0].hires.2027-01", int(s.value), target).met
    assert not statistic_at(linear, "costs.headcount[0].hires.2027-01", int(s.value) + 1, target).met


def test_hire_date_is_a_month(linear):
    # the later the two engineers start, the more cash is left: solve for the earliest month
    base = solve(linear, "costs.headcount[0].hires.2027-01", "P50(cash_end) >= 1.2M", within="0:40")
    assert base.value is not None
    # cash at the end = 1M + 771K of revenue - 20K a month once the two engineers start
    s = solve(linear, "costs.headcount[0].hires.2027-01", "P50(cash_end) >= 1.45M",
              within="2027-01:2028-12")
    assert s.lever.kind == "month" and s.status == "solved"
    assert s.show(s.value) == "2027-09" and s.message.startswith("costs.headcount[0].hires.2027-01 at least 2027-09")
    assert not next(t for t in s.trials if t.x == s.value - 1).met
    assert s.answer == "move the hires of 2027-01 in costs.headcount[0].hires to 2027-09"


def test_distribution_median_keeps_its_shape(tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text(LINEAR.replace("paths: 1,", "paths: 500,")
                    .replace("arpa: 100}", "arpa: {dist: uniform, low: 50, high: 150}}", 1))
    sc = planner.load_scenario(path)
    s = solve(sc, "segments.s.price.arpa", "P50(arr@2027-12) >= 400K", within="50:500")
    assert s.lever.kind == "median" and s.lever.current == pytest.approx(100)
    draws = planner.simulate(sc, keep=("arr",), by_segment=False).draws[:, 0]
    # ARR is linear in the draw: its median follows the scaled draws' median
    needed = (400_000 - 12 * 1000 * 18) / 1440
    assert s.value == pytest.approx(needed * 100 / np.median(draws), rel=1e-3)
    assert s.answer.startswith("scale segments.s.price.arpa so that its median is")


def test_no_value_meets_it(linear):
    s = solve(linear, "segments.s.price.arpa", "P50(arr@2027-12) >= 1B", within="50:500")
    assert s.status == "not_met" and s.value is None
    assert s.message == ("no value in [50, 500] meets it (best: P50(arr@2027-12) = $936K at 500)")


def test_every_value_meets_it(linear):
    s = solve(linear, "segments.s.price.arpa", "P50(arr@2027-12) >= 1", within="50:500")
    assert s.status == "always_met" and s.message == "every value in [50, 500] meets it"


def test_not_monotone_two_ranges(milestone):
    # cash_end ~ 10M - 9 B (+5M once the round fires at B = 100K)
    s = solve(milestone, "segments.s.acquisition.marketing_budget", "P50(cash_end) >= 9.5M",
              within="10K:400K", tol=10)
    assert s.status == "not_monotone" and len(s.ranges) == 2
    (a, b), (c, d) = s.ranges
    assert a == 10_000 and d == 400_000
    assert c == pytest.approx(100_000, abs=20)
    assert s.message.startswith("the statistic is not monotone in this input; these ranges meet it: [10000, ")


def test_minimum_raise_is_one_case_and_agrees_with_the_exact_method():
    sc = planner.load_scenario(ROOT / "tests/scenarios/cash_tight.yaml")
    exact = minimum_raise(planner.simulate(sc, keep=("cash_if_funded", "cash")), confidence=0.9)
    s = solve(sc, "raise", "P(cash_below_minimum) <= 10%")
    assert exact.amount is not None and s.value == exact.amount
    assert s.at.met and not solve(sc, "raise", "P(cash_below_minimum) <= 10%",
                                  within=(0, exact.amount - 1)).at


def test_subject_to_is_checked_at_the_answer(linear):
    s = solve(linear, "segments.s.price.arpa", "P50(arr@2027-12) >= 500K", within="50:500",
              subject_to=["P50(cash_trough) >= 2M", "P(cash_out) <= 0%"])
    held = [r.met for r in s.at.subject_to]
    assert held == [False, True]
    data = s.to_dict()
    assert data["subject_to_hold"] is False and data["trials"] == len(s.trials)
    json.dumps(data, allow_nan=False)


def test_a_process_pool_gives_the_same_answer(milestone):
    executor = local_executor(2)
    try:
        parallel = solve(milestone, "segments.s.acquisition.marketing_budget", "P50(cash_end) >= 9.5M",
                         within="10K:400K", executor=executor)
    finally:
        executor.shutdown()
    serial = solve(milestone, "segments.s.acquisition.marketing_budget", "P50(cash_end) >= 9.5M",
                   within="10K:400K")
    assert parallel.ranges == serial.ranges and parallel.value == serial.value


@pytest.mark.parametrize("vary, message", [
    ("segments.s.price.arpx", "no such entry in the scenario: segments.s.price.arpx; did you mean 'arpa'?"),
    ("segments.s.retention.model", "is not a number, a month, a growth series"),
    ("raise@2040-01", "2040-01 is outside the plan"),
])
def test_bad_levers(linear, vary, message):
    with pytest.raises(ScenarioError) as err:
        solve(linear, vary, "P50(arr) >= 1")
    assert message in str(err.value)


def test_cli_solves_and_prints_the_set_line(tmp_path):
    path = tmp_path / "linear.yaml"
    path.write_text(LINEAR)
    out = CliRunner().invoke(main, ["solve", str(path), "--vary", "segments.s.price.arpa",
                                    "--target", "P50(arr@2027-12) >= 500K", "--within", "50:500",
                                    "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[:4] == ["Target: P50(arr@2027-12) >= 500K", "Vary: segments.s.price.arpa (now 100)",
                         "", lines[3]]
    assert lines[3].startswith("segments.s.price.arpa at least 19")
    assert any(line.strip().startswith("answer: --set segments.s.price.arpa=19") for line in lines)
    assert (tmp_path / "out" / "solve.png").stat().st_size > 10_000


def test_cli_json_and_failure_exit_code(tmp_path):
    path = tmp_path / "linear.yaml"
    path.write_text(LINEAR)
    out = CliRunner().invoke(main, ["solve", str(path), "--vary", "segments.s.price.arpa",
                                    "--target", "P50(arr@2027-12) >= 1B", "--within", "50:500",
                                    "--json", "--no-chart"])
    assert out.exit_code == 1
    data = json.loads(out.output)
    assert data["status"] == "not_met" and data["message"].startswith("no value in [50, 500] meets it")


@pytest.mark.parametrize("args, first", [
    (["--target", "P50(arr@2027-13) >= 1"],
     "--target: P50(arr@2027-13) >= 1: not a month at character 9 (got '2027-13')"),
    (["--target", "P50(arr) >= 1", "--within", "9"],
     "--within: 9: expected LOW:HIGH (e.g. 300:900, 5M:40M, 2027-03:2028-12)"),
    (["--target", "P50(arr) >= 1", "--within", "9:1"], "--within: 9:1: expected LOW:HIGH with LOW < HIGH"),
    (["--target", "P50(arr) >= 1", "--subject-to", "P(cash_out) <= 2"],
     "--subject-to: P(cash_out) <= 2: a probability is between 0 and 1 (or 0% and 100%) at character 16 (got '2')"),
])
def test_cli_errors(tmp_path, args, first):
    path = tmp_path / "linear.yaml"
    path.write_text(LINEAR)
    out = CliRunner().invoke(main, ["solve", str(path), "--vary", "segments.s.price.arpa",
                                    "--no-chart", *args])
    assert out.exit_code == 1
    assert out.output.splitlines()[0] == first


def test_run_reports_targets(tmp_path):
    path = tmp_path / "linear.yaml"
    path.write_text(LINEAR)
    out = CliRunner().invoke(main, ["run", str(path), "--no-charts", "--out", str(tmp_path / "o"),
                                    "--target", "P50(arr@2027-12) >= 500K",
                                    "--target", "P50(mrr:s@2027-06) >= 5K"])
    assert out.exit_code == 0, out.output
    assert "  P50(arr@2027-12) >= 500K: $360K  NOT MET  (1 path)" in out.output
    assert "  P50(mrr:s@2027-06) >= 5K: $6.0K  met  (1 path)" in out.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert [t["met"] for t in summary["targets"]] == [False, True]
    assert [t["evaluated_on"] for t in summary["targets"]] == ["run", "detail"]


def test_report_has_a_targets_section(tmp_path):
    from planner.report.html import targets_section

    summary = {"currency": "USD", "targets": [{"text": "P50(arr) >= 1", "value": 2.0, "error": 0.0,
                                               "met": True, "threshold": 1.0, "op": ">=",
                                               "unit": "money", "paths": 10}]}
    html = targets_section(summary)
    assert '<h2 id="targets">Targets</h2>' in html and "met" in html
    assert targets_section({"currency": "USD"}) == ""


def test_a_month_in_the_file(tmp_path):
    # no revenue, $100K rent a month from $500K: cash runs out in month 6 unless the $2M
    # round has arrived by then
    path = tmp_path / "round.yaml"
    path.write_text(LINEAR.split("costs:")[0].replace("opening: {cash: 1000000}", "opening: {cash: 500000}")
                    .replace("new_customers: 10}", "new_customers: 0}")
                    .replace("new_customers: {schedule: {2027-01: 1, 2027-07: 2}}", "new_customers: 0")
                    + "costs:\n  opex:\n    - {name: Rent, department: ga, monthly: 100000}\n"
                    + "funding:\n  rounds:\n    - {name: A, month: 2028-01, amount: 2000000}\n")
    sc = planner.load_scenario(path)
    s = solve(sc, "funding.rounds[0].month", "P(cash_out) <= 0%")
    assert s.lever.kind == "month" and s.status == "solved"
    assert s.show(s.value) == "2027-06" and s.searched == (0.0, 23.0)
    assert s.answer == "--set funding.rounds[0].month=2027-06"
    assert not next(t for t in s.trials if t.x == s.value + 1).met


def test_growth_series_with_an_uncertain_start(tmp_path):
    path = tmp_path / "g.yaml"
    path.write_text(LINEAR.replace("paths: 1,", "paths: 200,").replace(
        "acquisition: {new_customers: 10}",
        "acquisition: {new_customers: {start: {dist: uniform, low: 5, high: 15}, monthly_growth: 0.0}}"))
    sc = planner.load_scenario(path)
    s = solve(sc, "segments.s.acquisition.new_customers", "P50(arr@2027-12) >= 400K", within="1:100")
    assert s.lever.kind == "median" and s.lever.path[-1] == "start" and s.status == "solved"
