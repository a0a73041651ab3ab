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
from planner.format import count, money
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
    # an uncertain start with a certain growth: the distribution scaled by the same factor
    assert opex[2]["monthly"]["start"] == {"dist": "uniform", "low": 100 * 1.02 ** 6, "high": 200 * 1.02 ** 6}
    assert any(n.startswith("costs.opex[2].monthly.start: {dist: uniform") for n in notes)
    # hires before the new start join the starting count
    role = out["costs"]["headcount"][0]
    assert role["start"] == 3 + 2 - 1 + 1 and role["hires"] == {"2028-01": 2}
    # rounds before the new start are dropped, a milestone whose window closed too
    assert [r["name"] for r in out["funding"]["rounds"]] == ["Series A"]
    # a loan drawn before the new start is kept: it is outstanding at the start
    assert [r["name"] for r in out["funding"]["plans"]["base"]] == ["Loan", "C"]
    assert out["funding"]["plans"]["base"][1]["not_before"] == "2027-07"
    assert any("Seed top-up" in n and "dropped" in n for n in notes)
    assert any("Loan: drawn in 2027-03" in n and "principal outstanding 75,000.00 after 3 of 12 repayments" in n
               for n in notes)
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
    redone = reforecast(SERIES_A, ledger, financials=ledger.parent / "fin.csv")  # as_of: the ledger's last
    sc, notes = redone.scenario, redone.notes
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
    assert summary["reforecast"]["closed_months"]["months"][-1] == "2027-06"
    assert "Note: start 2027-01 -> 2027-07" in result.stderr
    assert Path("outputs/series-a-midmarket-reforecast-2027-06/summary.json").is_file()  # its own folder
    assert not Path("outputs/series-a-midmarket").exists()
    shown = runner.invoke(main, ["run", str(SERIES_A), "--actuals", "ledger.csv", "--financials", "fin.csv",
                                 "--paths", "50", "--out", "rf"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("Reforecast from the close of 2027-06 (actuals): ARR $")
    assert "cash $8.8M; simulated from 2027-07" in shown.stdout.splitlines()[0]
    assert {"arr_fan.png", "cash_fan.png", "mrr_bridge.png"} <= {p.name for p in Path("rf").iterdir()}
    usage = runner.invoke(main, ["run", str(SERIES_A), "--refit-retention"])
    assert usage.exit_code == 2 and "go with --actuals" in usage.stderr
    bad = runner.invoke(main, args + ["--as-of", "2032-01"])
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == ["Error: as_of 2032-01 is at or after the scenario's last month "
                                               "2031-12: nothing is left to simulate"]


def test_an_uncertain_ramp_continues_each_path_from_where_it_is():
    """A growth series whose start is a distribution: after the rebase every path's start is
    its own original draw grown by k months, so the ramp goes on, not back to the beginning."""
    data = _small()
    data["segments"]["smb"]["acquisition"]["new_customers"] = {
        "start": {"dist": "pert", "low": 4, "mode": 6, "high": 8}, "annual_growth": 0.2}
    plain = scenario_from_data(data, LineMap("small"))
    out, notes = rebase(data, "2027-07")
    moved = scenario_from_data(out, LineMap("rebased"))
    key = "segments.smb.acquisition.new_customers.start"
    a, b = planner.simulate(plain, paths=64, seed=5), planner.simulate(moved, paths=64, seed=5)
    before, after = a.draws[:, a.input_names.index(key)], b.draws[:, b.input_names.index(key)]
    assert np.allclose(after, before * 1.2 ** 0.5, rtol=1e-12)
    # an uncertain growth rate cannot be advanced: a warning, kept as written
    data["segments"]["smb"]["acquisition"]["new_customers"] = {"start": 6, "annual_growth": "0.1 to 0.3"}
    out, notes = rebase(data, "2027-07")
    assert out["segments"]["smb"]["acquisition"]["new_customers"]["start"] == 6
    assert any(n.startswith("WARNING segments.smb.acquisition.new_customers.start: kept as written, 6 months "
                            "behind") for n in notes)


def test_a_loan_drawn_before_the_new_start_rolls_forward():
    """The loan's balance, repayments and interest carry on across the rebase exactly as in
    the original plan; cash rolls forward from the actual cash; the balance sheet balances."""
    data = _small()
    plain = scenario_from_data(data, LineMap("small"))
    out, _ = rebase(data, "2027-07", cash=750000.0)
    moved = scenario_from_data(out, LineMap("rebased"))
    a, b = planner.simulate(plain, paths=4, seed=1), planner.simulate(moved, paths=4, seed=1)
    k = 6
    for name in ("debt_balance", "debt_repaid", "interest"):
        assert np.allclose(b.total(name), a.total(name)[:, k:], rtol=1e-12, atol=1e-9), name
    assert b.total("debt_balance")[0, 0] == pytest.approx(100000 * (1 - 4 / 12))  # July: the 4th instalment
    assert b.total("interest")[0, 0] == pytest.approx(100000 * 0.75 * 0.1 / 12)  # on June's balance
    assert (b.total("debt_drawn") == 0).all() and (b.total("debt_fees") == 0).all()
    flows = b.total("operating_cash_flow") + b.total("equity_raised") - b.total("debt_repaid") - b.total("interest")
    assert np.allclose(b.total("cash"), 750000.0 + np.cumsum(flows, axis=1), rtol=1e-12)
    assets = b.total("cash") + b.total("receivables")
    claims = b.total("deferred_revenue") + b.total("debt_balance") + b.total("equity_book")
    assert np.allclose(assets, claims, rtol=1e-9, atol=1e-6)


def test_the_first_month_continues_from_the_actual_book(ledger):
    """A CFO's month-end check: the reforecast opens at the close's actual MRR, customers and cash."""
    redone = reforecast(SERIES_A, ledger, financials=ledger.parent / "fin.csv", as_of="2027-06")
    result = planner.simulate(redone.scenario, paths=16, seed=2)
    book = opening_book(read_ledger(ledger), "2027-06")
    opening_mrr = (result.total("mrr") - result.total("new_mrr") - result.total("expansion_mrr")
                   + result.total("contraction_mrr") + result.total("churned_mrr"))[:, 0]
    assert np.allclose(opening_mrr, book.mrr.sum(), rtol=1e-12)
    assert 12 * book.mrr.sum() == pytest.approx(redone.closed.arr[-1], rel=1e-12)
    opening_customers = (result.total("customers") - result.total("new_customers")
                         + result.total("churned_customers"))[:, 0]
    assert np.allclose(opening_customers, book.customers.sum())
    assert redone.closed.customers[-1] == book.customers.sum()
    assert np.allclose(result.total("cash")[:, 0] - result.total("net_cash_flow")[:, 0], 8750000.50)
    assert str(redone.closed.months[0]) == "2027-01" and str(redone.closed.months[-1]) == "2027-06"
    assert redone.closed.cash[-1] == 8750000.50 and np.isnan(redone.closed.cash[0])  # not reported in January
    assert redone.opening_line() == (f"Reforecast from the close of 2027-06 (actuals): ARR "
                                     f"{money(12 * book.mrr.sum())}, {count(book.customers.sum())} customers, "
                                     "cash $8.8M; simulated from 2027-07")


def test_the_ledger_is_read_once(ledger, monkeypatch):
    import planner.actuals.scenario_opening as scenario_opening

    def refuse(*args, **kwargs):
        raise AssertionError("the ledger was read a second time")

    monkeypatch.setattr(scenario_opening, "read_ledger", refuse)
    redone = reforecast(SERIES_A, ledger, as_of="2027-06")
    assert sum(s.opening_customers for s in redone.scenario.segments) > 0


def test_refit_retention_from_the_ledger(ledger):
    redone = reforecast(SERIES_A, ledger, as_of="2027-06", refit_retention=True)
    fitted = {r["segment"]: r for r in redone.refits}
    assert "smb" in fitted
    smb = fitted["smb"]
    # the ledger's process: churn probability per month ~ Beta(0.8, 8.0); it comes back within the CI
    assert smb["alpha_95"][0] < 0.8 < smb["alpha_95"][1] and smb["beta_95"][0] < 8.0 < smb["beta_95"][1]
    assert smb["period"] == "month" and smb["cohorts"] == 30
    retention = next(s for s in redone.scenario.segments if s.name == "smb").retention
    assert retention.model == "sbg" and retention.alpha == pytest.approx(smb["alpha"])
    assert any(n.startswith("segments.smb.retention: refitted from the ledger's cohorts") for n in redone.notes)
    # annual contracts are fitted by year; a fit too loose to use (or degenerate) keeps the plan's curve
    assert "midmarket" not in fitted and "enterprise" not in fitted
    assert any(n.startswith("segments.midmarket.retention: kept as written, not refitted (sBG by year: the fit "
                            "is too loosely determined") for n in redone.notes)
    assert next(s for s in redone.scenario.segments if s.name == "midmarket").retention == next(
        s for s in planner.load_scenario(SERIES_A).segments if s.name == "midmarket").retention


def test_financials_headcount_and_spend_against_the_plan(ledger):
    (ledger.parent / "fin2.csv").write_text("month,cash,headcount,sm_expense\n2027-06,8750000,34,349000\n")
    redone = reforecast(SERIES_A, ledger, financials=ledger.parent / "fin2.csv", as_of="2027-06")
    assert any(w.startswith("financials at 2027-06: headcount 34, the plan's 62 (P50): -28, -45%")
               for w in redone.warnings)
    assert any(n.startswith("financials at 2027-06: S&M spend $349K") for n in redone.notes)


def test_reforecast_charts_draw_the_closed_months(ledger):
    from planner.actuals.chart import draw_reforecast_charts
    from planner.charts.style import month_dates

    redone = reforecast(SERIES_A, ledger, financials=ledger.parent / "fin.csv", as_of="2027-06")
    result = planner.simulate(redone.scenario, paths=20, seed=1, keep=("mrr", "cash"), by_segment=False)
    drawn = dict(draw_reforecast_charts(result, redone.closed))
    for kind, values in (("arr_fan", redone.closed.arr), ("cash_fan", redone.closed.cash)):
        ax = drawn[kind]
        actual = [line for line in ax.get_lines() if line.get_label() == "Actual (to 2027-06)"]
        assert len(actual) == 1
        ok = np.isfinite(values)
        assert np.allclose(actual[0].get_ydata(), values[ok])
        assert ax.get_xlim()[0] == pytest.approx(
            float(month_dates(np.array(["2027-01"], dtype="datetime64[M]"))[0].astype(float)))
        assert "Actual (to 2027-06)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_reforecast_bridge_adds_the_actual_movements_before_the_simulated_ones(ledger):
    from planner.actuals.chart import plot_reforecast_bridge

    redone = reforecast(SERIES_A, ledger, as_of="2027-05")  # 2027 Q2: two actual months, one simulated
    keep = ("mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")
    result = planner.simulate(redone.scenario, paths=10, seed=1, keep=keep, by_segment=False)
    ax = plot_reforecast_bridge(result, redone.closed)
    net = [line for line in ax.get_lines() if line.get_label() == "Net new MRR"][0].get_ydata()
    flows = redone.closed.flows
    closed_net = flows["new_mrr"] + flows["expansion_mrr"] - flows["contraction_mrr"] - flows["churned_mrr"]
    sim_net = (result.total("new_mrr") + result.total("expansion_mrr") - result.total("contraction_mrr")
               - result.total("churned_mrr")).mean(axis=0)
    assert net[0] == pytest.approx(closed_net[:3].sum())                  # Q1: actual
    assert net[1] == pytest.approx(closed_net[3:5].sum() + sim_net[0])    # Q2: April, May actual + June
    assert net[2] == pytest.approx(sim_net[1:4].sum())                    # Q3: simulated
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Actual" in labels and "Part actual" in labels


def test_the_oracle_matches_the_engine_on_a_loan_drawn_before_the_start():
    from planner.engine.core import simulate_chunk
    from planner.engine.reference import simulate_reference

    out, _ = rebase(_small(), "2027-07", cash=750000.0)
    sc = scenario_from_data(out, LineMap("rebased"))
    _, ref = simulate_reference(sc, seed=3, paths=6, plans=sc.plans)
    _, fin = simulate_chunk(sc, 3, 0, 6, sc.plans)
    for plan, series in ref.items():
        for name in ("cash", "debt_balance", "debt_repaid", "interest", "equity_book"):
            np.testing.assert_allclose(fin[plan][name], series[name], rtol=0,
                                       atol=1e-9 * max(1.0, float(np.abs(series[name]).max())), err_msg=name)
