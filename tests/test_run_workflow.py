"""One workflow for every output: run, report, chart and compare agree on the numbers."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import planner
from planner.charts import CHARTS
from planner.cli import main
from planner.cli.report import KINDS
from planner.errors import ScenarioError
from planner.run import default_charts, run_scenario
from planner.scenario.choices import resolve_month

from conftest import ROOT, FIXTURES

DEFAULT = ROOT / "scenarios" / "series_a_midmarket.yaml"
CASH_TIGHT = next(p for p in FIXTURES if p.stem == "cash_tight")


def test_the_cli_knows_every_chart_without_importing_matplotlib():
    assert KINDS == tuple(CHARTS)


def test_a_run_has_its_detail_paths_and_the_draws_and_floor_of_every_path():
    sc = planner.load_scenario(CASH_TIGHT)
    run = run_scenario(sc, paths=300, seed=5, detail_paths=120, plan="late_round")
    assert run.result.paths == 300 and run.detail.paths == 120 and run.detail.plan == "late_round"
    np.testing.assert_array_equal(run.detail.total("mrr"), run.result.total("mrr")[:120])
    np.testing.assert_array_equal(run.detail.draws, run.result.draws[:120])
    assert run.result.draws.shape == (300, len(sc.params))
    assert run.result.input_names == tuple(p.path for p in sc.params)
    assert run.result.minimum_cash.shape == (300,)
    assert run.summary["unit_economics"]["paths"] == 120


def test_months_and_plans_are_checked_in_the_library():
    sc = planner.load_scenario(CASH_TIGHT)
    assert resolve_month(sc, "2027-06") == 5 == resolve_month(sc, 5)
    a = run_scenario(sc, paths=100, seed=1, raise_month="2027-06")
    b = run_scenario(sc, paths=100, seed=1, raise_month=5)
    assert a.summary["funding"] == b.summary["funding"]
    with pytest.raises(ScenarioError, match=r"^raise_month: must be a month YYYY-MM from 2027-01"):
        run_scenario(sc, paths=10, raise_month="2040-01")
    with pytest.raises(ScenarioError, match=r"^plan: no funding plan named 'nope'; plans: "):
        run_scenario(sc, paths=10, plan="nope")


def test_default_charts_follow_the_run():
    sc = planner.load_scenario(CASH_TIGHT)
    alone = run_scenario(sc, paths=60, seed=1)
    both = run_scenario(sc, paths=60, seed=1, with_comparison=True)
    assert "plan_comparison" not in default_charts(alone)
    assert default_charts(both) == default_charts(alone) + ["plan_comparison"]


def test_run_and_report_show_the_same_numbers(tmp_path):
    """The report's workbook and summary.json of `planner run` agree with the same options,
    including the unit economics (before, report computed them on all paths, run on 2,000)."""
    args = [str(DEFAULT), "--paths", "300", "--seed", "9", "--cac-lag", "1", "--out", str(tmp_path)]
    runner = CliRunner()
    ran = runner.invoke(main, ["run", "--no-charts", *args])
    assert ran.exit_code == 0, ran.output
    reported = runner.invoke(main, ["report", *args])
    assert reported.exit_code == 0, reported.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    sheet = load_workbook(tmp_path / "report.xlsx")["Summary"]
    rows = {r[0]: r[1:4] for r in sheet.iter_rows(values_only=True) if r[0]}
    arr = rows[f"ARR at {summary['end']}"]
    expected = (summary["arr_end"]["p10"], summary["arr_end"]["p50"], summary["arr_end"]["p90"])
    assert arr == pytest.approx(expected, rel=1e-14)  # Excel keeps 15 significant digits
    html = (tmp_path / "report.html").read_text()
    ue = summary["unit_economics"]
    assert f"across {ue['paths']:,} paths" in html


def test_a_run_s_files_are_listed_in_its_manifest(tmp_path):
    from planner.io import read_manifest
    from planner.run import write_outputs

    run = run_scenario(planner.load_scenario(CASH_TIGHT), paths=50, seed=4)
    files = write_outputs(run, tmp_path, charts=False)
    manifest = read_manifest(tmp_path)
    assert files[-1].name == "manifest.json" and manifest["seed"] == 4 and manifest["changed"] == []
    assert set(manifest["files"]) == {f.name for f in files[:-1]}


def test_a_funnel_run_with_more_paths_than_its_detail_draws_every_chart(tmp_path):
    """The cohort charts come from the detail paths (which keep wins by segment); the
    result of every path keeps company series only and must not be asked for cohorts."""
    from planner.run import write_charts

    sc = planner.load_scenario(ROOT / "scenarios" / "bottom_up_funnel.yaml")
    run = run_scenario(sc, paths=300, seed=2, detail_paths=100)
    files = write_charts(run, tmp_path)
    assert {"cohort_layers.png", "retention.png", "funnel.png"} <= {f.name for f in files}
