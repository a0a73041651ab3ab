"""Tests of `planner fit` through click's CliRunner, in an isolated filesystem."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner.cli.fit import fit_command

DATA = Path(__file__).parent / "data" / "fit"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner inside an empty directory holding copies of the fixtures."""
    monkeypatch.chdir(tmp_path)
    for fixture in DATA.glob("*.csv"):
        shutil.copy(fixture, fixture.name)
    return CliRunner()


def test_fit_prints_the_table_and_writes_the_outputs(runner):
    result = runner.invoke(fit_command, ["regular.csv", "--period", "year"])
    assert result.exit_code == 0, result.output
    assert "alpha           0.7041     SE 0.0656" in result.output
    assert "  period: year        # month or year: the unit of one sBG period" in result.output
    out = Path("outputs/fit")
    assert sorted(p.name for p in out.iterdir()) == ["fit.json", "retention.yaml", "retention_fit.png"]
    saved = yaml.safe_load((out / "retention.yaml").read_text())
    assert saved["retention"]["model"] == "sbg" and saved["retention"]["period"] == "year"


def test_json_prints_exactly_one_object_with_the_keys(runner):
    result = runner.invoke(fit_command, ["long_mrr.csv", "--json", "--out", "elsewhere"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("model", "alpha", "beta", "loglik", "se_alpha", "se_beta", "n_cohorts", "n_customers",
                "projected", "fitted_vs_actual", "revenue_retention", "mrr_per_customer_curve"):
        assert key in data
    assert data["model"] == "sbg" and data["n_cohorts"] == 12
    assert len(data["projected"]) > 3 * 11
    assert Path("elsewhere/fit.json").exists()


def test_segment_option(runner):
    result = runner.invoke(fit_command, ["segments.csv", "--segment", "smb", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["segment"] == "smb"


@pytest.mark.parametrize("args, first_line", [
    (["bad_many.csv"], "Error: bad_many.csv:4: active: must not exceed 90, the count at age 1: active customers "
                       "cannot rise with age (got 95)"),
    (["missing.csv"], "Error: missing.csv: cannot read the history file (No such file or directory)"),
    (["segments.csv"], "Error: segments.csv: segment: the file holds several segments (enterprise, smb): "
                       "choose one with --segment"),
])
def test_bad_input_exits_non_zero_with_the_error_line(runner, args, first_line):
    result = runner.invoke(fit_command, args)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == first_line
    assert "Traceback" not in result.output


def test_all_problems_are_printed(runner):
    result = runner.invoke(fit_command, ["bad_many.csv"])
    assert result.output.splitlines()[1:] == [
        "bad_many.csv:5: age: cohort '2023-02' has no row for age 0: every cohort needs its count at "
        "acquisition (age 0)",
        "bad_many.csv:6: active: must be a whole number of customers (got 'abc')",
        "bad_many.csv:7: active: must be >= 0 (got -5)",
        "bad_many.csv:8: age: must be a whole number of periods >= 0 (got 'two')",
    ]


def test_degenerate_history_is_a_clean_error(runner):
    Path("flat.csv").write_text("age,active\n0,100\n1,100\n2,100\n")
    result = runner.invoke(fit_command, ["flat.csv"])
    assert result.exit_code == 1
    assert result.output == ("Error: flat.csv: no customer churned in this history, so churn cannot be "
                             "estimated (the fit would claim customers never leave); add more history\n")


def test_unwritable_output_is_a_clean_error(runner):
    Path("taken").write_text("a file where the output directory should go")
    result = runner.invoke(fit_command, ["regular.csv", "--out", "taken/fit"])
    assert result.exit_code == 1
    assert result.output == "Error: cannot write the outputs to taken/fit: Not a directory\n"


def test_unknown_period_is_rejected_by_click(runner):
    result = runner.invoke(fit_command, ["regular.csv", "--period", "week"])
    assert result.exit_code == 2
    assert "'week' is not one of 'month', 'year'" in result.output


def test_command_and_every_option_have_help():
    assert fit_command.help and "cohort history" in fit_command.help
    for param in fit_command.params:
        if param.param_type_name == "option":
            assert param.help, param.name
