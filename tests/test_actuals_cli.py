"""`planner track` and `planner actuals ...` through click's CliRunner, in an empty folder."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.actuals.synthetic import SyntheticSegment, synthetic_ledger
from tests.test_actuals_movements import HAND
from tests.test_actuals_readers import BAD_LEDGER

SCENARIO = str(Path(__file__).resolve().parent.parent / "scenarios" / "series_a_midmarket.yaml")


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("ledger.csv").write_text(HAND)
    Path("bad.csv").write_text(BAD_LEDGER)
    Path("map.yaml").write_text("currency: USD\nrates: {EUR: 1.1}\npayment_terms_days: 30\n")
    return CliRunner()


def test_movements_prints_the_bridge_and_writes_csv(runner):
    result = runner.invoke(main, ["actuals", "movements", "ledger.csv", "--mapping", "map.yaml", "--company",
                                  "--as-of", "2027-06", "--out", "mv.csv"])
    assert result.exit_code == 0, result.output
    assert "    2027-02        600.00       205.50        30.00         0.00         0.00       120.00       715.50            7" in result.output
    assert "Reconciled: opening + new + expansion + reactivation - contraction - churned = closing" in result.output
    assert Path("mv.csv").read_text().splitlines()[0].startswith("month,segment,opening_mrr,new_mrr")


def test_movements_json(runner):
    result = runner.invoke(main, ["actuals", "movements", "ledger.csv", "--mapping", "map.yaml", "--json",
                                  "--as-of", "2027-06"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["closing_mrr"] for r in data["rows"] if r["segment"] == "mid"] == [200.0, 330.0, 413.33, 383.33,
                                                                                 333.33, 533.31]


def test_bad_ledger_exit_1_with_every_line(runner):
    result = runner.invoke(main, ["actuals", "movements", "bad.csv"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "bad.csv:3: column 'customer': is empty: expected a customer id"
    assert "bad.csv:4: column 'start': not a date (got '2027-13-01')" in lines
    assert lines[-1] == "Error: 13 problems found"
    assert "Traceback" not in result.output


def test_bad_mapping_and_as_of_are_clean_errors(runner):
    Path("oops.yaml").write_text("currency: USD\ncolumns: {customr: x}\n")
    result = runner.invoke(main, ["actuals", "movements", "ledger.csv", "--mapping", "oops.yaml"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        "ledger.csv: mapping: unknown field 'customr' (did you mean 'customer'?)")
    result = runner.invoke(main, ["actuals", "opening", "ledger.csv", "--as-of", "June"])
    assert result.exit_code == 1
    assert result.output.splitlines() == ["--as-of: must be a month YYYY-MM (got 'June')", "Error: 1 problem found"]


def test_opening_writes_the_yaml_block(runner):
    Path("fin.csv").write_text("month,cash\n2027-06,1250000\n")
    result = runner.invoke(main, ["actuals", "opening", "ledger.csv", "--mapping", "map.yaml", "--as-of", "2027-06",
                                  "--financials", "fin.csv", "--out", "opening.yaml"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(Path("opening.yaml").read_text())
    assert data["opening"] == {"cash": 1250000.0}
    assert data["segments"]["smb"]["opening"] == {"customers": 5, "mrr": 475.5, "age_months": 4}


def test_cohorts_then_fit(runner):
    frame, _ = synthetic_ledger([SyntheticSegment("smb", 120, 100.0)], 30, start="2025-01", seed=8)
    frame.to_csv("syn.csv", index=False)
    result = runner.invoke(main, ["actuals", "cohorts", "syn.csv", "--out", "cohorts.csv"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Wrote cohorts.csv: 30 cohorts, ")
    assert result.output.strip().endswith("Next: planner fit cohorts.csv --segment smb")
    fit = runner.invoke(main, ["fit", "cohorts.csv", "--segment", "smb", "--json", "--out", "fit"])
    assert fit.exit_code == 0, fit.output
    assert json.loads(fit.output)["model"] == "sbg"


def test_track_prints_tables_and_writes_files(runner):
    frame, _ = synthetic_ledger([SyntheticSegment("smb", 25, 420.0, alpha=0.8, beta=16)], 30, start="2025-01", seed=4)
    frame.to_csv("syn.csv", index=False)
    result = runner.invoke(main, ["track", SCENARIO, "syn.csv", "--as-of", "2027-03", "--paths", "200",
                                  "--out", "out"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("series-a-midmarket: plan vs actual, 2027-01 to 2027-03 (200 paths, seed 42)")
    assert "Calibration: " in result.output
    assert sorted(p.name for p in Path("out").iterdir()) == [
        "movements.csv", "tracking.csv", "tracking.json", "tracking_arr.png", "tracking_churned_mrr.png",
        "tracking_customers.png", "tracking_new_mrr.png"]
    data = json.loads(Path("out/tracking.json").read_text())
    assert data["months"] == ["2027-01", "2027-02", "2027-03"]


def test_track_json_and_refusals(runner):
    result = runner.invoke(main, ["track", SCENARIO, "ledger.csv", "--mapping", "map.yaml", "--paths", "50",
                                  "--as-of", "2027-06", "--json", "--no-charts", "--out", "o"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["series"]["arr"]["rows"][5]["actual"] == pytest.approx(12 * 1008.81)
    Path("old.csv").write_text("customer,start,amount\nc1,2020-01-05,10\n")
    old = runner.invoke(main, ["track", SCENARIO, "old.csv", "--paths", "50", "--no-charts", "--out", "o"])
    assert old.exit_code == 1
    assert old.output.splitlines() == [
        "old.csv: no actual month (2020-01 to 2020-01) falls inside the plan (2027-01 to 2031-12)",
        "Error: 1 problem found"]
    Path("mrr.csv").write_text("customer,month,mrr\nc1,2027-01,10\nc1,2027-02,10\n")
    both = runner.invoke(main, ["track", SCENARIO, "mrr.csv", "ledger.csv"])
    assert both.exit_code == 1
    assert both.output.splitlines() == [
        "mrr.csv: is an MRR table: give one MRR table, or one or more ledgers",
        "ledger.csv: is a ledger: give one MRR table, or one or more ledgers",
        "Error: 2 problems found"]


def test_every_actuals_command_has_help(runner):
    for args in (["track"], ["actuals"], ["actuals", "movements"], ["actuals", "cohorts"], ["actuals", "opening"]):
        result = runner.invoke(main, args + ["--help"])
        assert result.exit_code == 0 and len(result.output.splitlines()) > 5, args


def test_the_report_shows_plan_vs_actual(runner):
    """`planner report --actuals`: a 'Plan vs actual' section (charts, calibration, the last
    month's table) and a workbook sheet, from the same run the report shows."""
    from openpyxl import load_workbook

    frame, _ = synthetic_ledger([SyntheticSegment("smb", 25, 420.0, alpha=0.8, beta=16)], 30, start="2025-01", seed=4)
    frame.to_csv("syn.csv", index=False)
    result = runner.invoke(main, ["report", SCENARIO, "--actuals", "syn.csv", "--as-of", "2027-03",
                                  "--paths", "100", "--out", "rep"])
    assert result.exit_code == 0, result.output
    html = Path("rep/report.html").read_text()
    assert 'id="actuals"' in html and "Calibration:" in html and 'id="chart-tracking-arr"' in html
    sheet = load_workbook("rep/report.xlsx")["Plan vs actual"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Series", "Month", "Actual")
    assert sum(1 for r in rows[1:] if r[0] == "ARR") == 3   # 2027-01 .. 2027-03
    bad = runner.invoke(main, ["report", SCENARIO, "--actuals", "bad.csv", "--paths", "10", "--out", "x"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "bad.csv:" in bad.output
