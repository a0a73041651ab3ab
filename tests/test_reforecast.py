"""The reforecast: `rebase` on a scenario tree (known answers), `reforecast` of the bundled
scenario from a synthetic ledger, and `planner run --actuals` through click's CliRunner."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.actuals import read_ledger
from planner.actuals.opening import opening_book
from planner.actuals.reforecast import reforecast
from planner.actuals.synthetic import SyntheticSegment, synthetic_ledger
from planner.cli import main
from planner.errors import PlannerError
from planner.scenario.loader import scenario_from_data
from planner.scenario.rebase import RebaseError, rebase
from planner.scenario.yamltree import LineMap, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
SERIES_A = ROOT / "scenarios" / "series_a_midmarket.yaml"

SMALL = """
name: small
start: 2027-01
horizon_months: 24
opening: {cash: 1000000}
segments:
  smb:
    opening: {customers: 100, mrr: 10000}
    price: {arpa: 100, annual_increase: 0.05}
    acquisition:
      new_customers: {schedule: {2027-01: 5, 2027-03: 8, 2027-09: 12}}
    retention: {model: constant, monthly_churn: 0.02}
costs:
  headcount:
    - {role: AE, department: sales, salary: 100000, start: 3,
       hires: {2027-02: 2, 2027-05: -1, 2027-06: 1, 2028-01: 2}}
  opex:
    - {name: Tools, department: rnd, monthly: {start: 1000, monthly_growth: 0.03}}
    - {name: Rent, department: ga, monthly: {start: 5000, annual_growth: 0.1}}
    - {name: Ads, department: marketing, monthly: {start: {dist: uniform, low: 100, high: 200}, monthly_growth: 0.02}}
funding:
  rounds:
    - {name: Seed top-up, month: 2027-04, amount: 500000}
    - {name: Series A, month: 2027-11, amount: 5000000}
  plans:
    base:
      - {type: venture_debt, name: Loan, month: 2027-03, amount: 100000, annual_rate: 0.1, amortisation_months: 12}
      - {type: milestone_equity, name: B, amount: 1000000, arr_at_least: 100000, not_before: 2027-02, deadline: 2027-05}
      - {type: milestone_equity, name: C, amount: 1000000, arr_at_least: 100000, not_before: 2027-02, deadline: 2028-06}
"""


def _small():
    data, _ = parse_yaml(SMALL, "small.yaml")
    return data


def test_rebase_known_answers():
    data = _small()
    out, notes = rebase(data, "2027-07")
    assert data["start"] == "2027-01" and data["horizon_months"] == 24  # the input is not changed
    assert out["start"] == "2027-07" and out["horizon_months"] == 18  # the end stays 2028-12
    # the schedule: the steps before July collapse into one at July with the latest value
    assert out["segments"]["smb"]["acquisition"]["new_customers"] == {"schedule": {"2027-07": 8, "2027-09": 12}}
    # growth: advanced by exactly (1+g)^k, and (1+g)^(k/12) for annual growth
    opex = out["costs"]["opex"]
    assert opex[0]["monthly"]["start"] == 1000 * 1.03 ** 6
    assert opex[1]["monthly"]["start"] == 5000 * 1.1 ** 0.5
    assert opex[2]["monthly"]["start"] == {"dist": "uniform", "low": 100, "high": 200}  # uncertain: kept
    assert any("costs.opex[2].monthly.start: kept as written" in n for n in notes)
    # hires before the new start join the starting count
    role = out["costs"]["headcount"][0]
    assert role["start"] == 3 + 2 - 1 + 1 and role["hires"] == {"2028-01": 2}
    # rounds before the new start are dropped, a milestone whose window closed too
    assert [r["name"] for r in out["funding"]["rounds"]] == ["Series A"]
    assert [r["name"] for r in out["funding"]["plans"]["base"]] == ["C"]
    assert out["funding"]["plans"]["base"][0]["not_before"] == "2027-07"
    assert any("Seed top-up" in n and "dropped" in n for n in notes)
    assert any("Loan" in n and "NOT modelled" in n for n in notes)
    assert any("opening.cash: kept as written" in n for n in notes)
    sc = scenario_from_data(out, LineMap("rebased"))  # a valid scenario
    assert str(sc.start) == "2027-07" and str(sc.start + sc.horizon - 1) == "2028-12"


def test_rebase_a_year_on_applies_the_annual_steps_and_a_step_at_the_start_wins():
    out, notes = rebase(_small(), "2028-01", cash=750000.0)
    assert out["horizon_months"] == 12
    assert out["segments"]["smb"]["price"]["arpa"] == pytest.approx(105.0)
    assert out["segments"]["smb"]["acquisition"]["new_customers"] == {"schedule": {"2028-01": 12}}
    assert out["costs"]["headcount"][0]["hires"] == {"2028-01": 2}  # in the new start's month: a hire
    assert out["opening"]["cash"] == 750000.0
    assert any("the financials' cash" in n for n in notes)
    scenario_from_data(out, LineMap("rebased"))


def test_rebase_refuses_a_start_outside_the_plan():
    with pytest.raises(RebaseError, match="at or after the scenario's last month 2028-12"):
        rebase(_small(), "2029-01")
    with pytest.raises(RebaseError, match="before 2026-12"):
        rebase(_small(), "2026-12")
    out, notes = rebase(_small(), "2027-01")  # as_of the month before start: nothing moves
    assert out["horizon_months"] == 24 and "no dated input moved" in notes[0]


@pytest.fixture
def ledger(tmp_path):
    segments = (SyntheticSegment("smb", 30, 420.0), SyntheticSegment("midmarket", 5, 25000.0, "year", 1.0, 4.0),
                SyntheticSegment("enterprise", 1, 150000.0, "year", 2.0, 8.0))
    frame, _ = synthetic_ledger(segments, 30, start="2025-01", seed=3)  # history to 2027-06
    path = tmp_path / "ledger.csv"
    frame.to_csv(path, index=False)
    (tmp_path / "fin.csv").write_text("month,cash\n2027-05,9100000\n2027-06,8750000.50\n")
    return path


def test_reforecast_of_the_bundled_scenario_starts_from_the_book(ledger):
    sc, notes = reforecast(SERIES_A, ledger, financials=ledger.parent / "fin.csv")  # as_of: the ledger's last
    assert str(sc.start) == "2027-07" and str(sc.start + sc.horizon - 1) == "2031-12"
    assert sc.opening_cash == 8750000.50
    book = opening_book(read_ledger(ledger), "2027-06")
    for seg in sc.segments:
        s = book.segments.index(seg.name)
        assert seg.opening_customers == book.customers[s]
        assert seg.opening_mrr == pytest.approx(book.mrr[s], abs=1e-9)
    result = planner.simulate(sc, paths=8)
    assert str(result.months[0]) == "2027-07" and result.company["cash"].shape == (8, 54)
    assert np.isfinite(result.company["cash"]).all()
    assert any(n.startswith("costs.headcount.Engineer: the hires before 2027-07") for n in notes)


def test_reforecast_refuses_a_bad_as_of(ledger):
    with pytest.raises(PlannerError, match="as_of must be a month"):
        reforecast(SERIES_A, ledger, as_of="June")
    with pytest.raises(PlannerError, match="before the ledger's first month"):
        reforecast(SERIES_A, ledger, as_of="2024-06")


def test_run_with_actuals_on_the_command_line(ledger, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in CliRunner.__init__.__code__.co_varnames else CliRunner()
    args = ["run", str(SERIES_A), "--actuals", "ledger.csv", "--paths", "50", "--no-charts", "--json"]
    result = runner.invoke(main, args + ["--as-of", "2027-06"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["start"] == "2027-07" and summary["end"] == "2031-12"
    assert summary["reforecast"]["as_of"] == "2027-06" and summary["reforecast"]["notes"]
    assert "Note: start 2027-01 -> 2027-07" in result.stderr
    bad = runner.invoke(main, args + ["--as-of", "2032-01"])
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == ["Error: as_of 2032-01 is at or after the scenario's last month "
                                               "2031-12: nothing is left to simulate"]
