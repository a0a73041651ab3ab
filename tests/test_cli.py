"""The `planner` command line through click's CliRunner, each test in an empty directory.

Exit codes and the exact error lines are pinned; no bad input may end in a traceback,
and a failed run must not leave output files behind.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "series_a_midmarket.yaml"
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
STARTER = ROOT / "planner" / "templates" / "starter.yaml"

SMALL = """\
name: tiny
start: 2027-01
horizon_months: 24
simulation: {paths: 20, seed: 7}
opening:
  cash: 1000000
segments:
  smb:
    price: {arpa: 100}
    acquisition:
      new_customers: {dist: uniform, low: 8, high: 12}
    retention: {model: constant, monthly_churn: 0.02}
costs:
  headcount:
    - {role: Engineer, department: rnd, salary: 150000, hires: {2027-03: 2}}
"""

BAD = """\
name: broken
start: 2027-01
horizon_months: 24
opening:
  cash: 1000000
segments:
  smb:
    price: {arpa: -100}
    acquisition: {new_customers: 10}
    retention: {model: constant, monthly_churn: 0.02}
costs:
  headcount:
    - {role: Engineer, department: rnd, salary: 150000, hires: {2030-01: 2}}
"""
BAD_LINES = [
    "bad.yaml:8: segments.smb.price.arpa: must be >= 0 (got -100)",
    "bad.yaml:13: costs.headcount[0].hires.2030-01: month 2030-01 is outside the horizon 2027-01 to 2028-12",
]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """A CliRunner inside an empty directory holding small.yaml, bad.yaml and example.yaml."""
    monkeypatch.chdir(tmp_path)
    Path("small.yaml").write_text(SMALL)
    Path("bad.yaml").write_text(BAD)
    shutil.copy(EXAMPLE, "example.yaml")
    return CliRunner()


def files_here() -> set[str]:
    return {str(p) for p in Path(".").rglob("*")}


def assert_clean_failure(result) -> None:
    """Non-zero exit through click (no stray exception), and no traceback anywhere."""
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


# ------------------------------------------------------------------------------ validate
def test_validate_ok(runner):
    result = runner.invoke(main, ["validate", "example.yaml", "small.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ok: example.yaml (series-a-midmarket: 3 segments, 60 months, 7 uncertain inputs, 3 funding plans)",
        "ok: small.yaml (tiny: 1 segment, 24 months, 1 uncertain input, 1 funding plan)",
    ]
    assert result.stderr == ""


def test_validate_invalid_prints_every_problem_to_stderr(runner):
    result = runner.invoke(main, ["validate", "bad.yaml"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == BAD_LINES + ["Error: 1 of 1 file invalid"]


def test_validate_checks_every_file_even_after_a_bad_one(runner):
    result = runner.invoke(main, ["validate", "bad.yaml", "small.yaml"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["ok: small.yaml (tiny: 1 segment, 24 months, 1 uncertain input, 1 funding plan)"]
    assert result.stderr.splitlines() == BAD_LINES + ["Error: 1 of 2 files invalid"]


def test_validate_with_set(runner):
    result = runner.invoke(main, ["validate", "bad.yaml", "--set", "segments.smb.price.arpa=100",
                                  "--set", "horizon_months=48"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ok: bad.yaml (broken: 1 segment, 48 months, 0 uncertain inputs, 1 funding plan)\n"
    result = runner.invoke(main, ["validate", "small.yaml", "--set", "segments.smb.price.arpa=-1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "--set segments.smb.price.arpa=-1: segments.smb.price.arpa: must be >= 0 (got -1)",
        "Error: 1 of 1 file invalid"]


# ----------------------------------------------------------------------------------- run
def test_run_with_a_bad_scenario_reports_the_problems_and_writes_nothing(runner):
    before = files_here()
    result = runner.invoke(main, ["run", "bad.yaml", "--paths", "5"])
    assert_clean_failure(result)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == BAD_LINES + ["Error: 2 problems found"]
    result = runner.invoke(main, ["run", "bad.yaml", "--paths", "5", "--json", "--out", "here"])
    assert_clean_failure(result)
    assert result.stdout == ""
    assert files_here() == before


def test_run_with_a_bad_set_writes_nothing(runner):
    before = files_here()
    result = runner.invoke(main, ["run", "small.yaml", "--set", "segments.smbb.price.arpa=1"])
    assert_clean_failure(result)
    assert result.stderr.splitlines() == [
        "--set segments.smbb.price.arpa=1: segments.smbb.price.arpa: no such entry in the scenario: "
        "segments.smbb; did you mean 'smb'?",
        "Error: 1 problem found"]
    assert files_here() == before


def test_run_json_prints_only_json(runner):
    result = runner.invoke(main, ["run", "--no-charts", "example.yaml", "--json", "--paths", "20", "--seed", "3"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("scenario", "arr_end", "cash_trough", "cash_out"):
        assert key in summary
    assert summary["scenario"] == "series-a-midmarket"
    assert summary["paths"] == 20 and summary["seed"] == 3
    assert set(summary["arr_end"]) >= {"p10", "p50", "p90"}
    assert result.stderr == ""


def test_run_writes_projection_and_summary(runner):
    result = runner.invoke(main, ["run", "small.yaml"])
    assert result.exit_code == 0, result.output
    out = Path("outputs") / "tiny"
    names = sorted(p.name for p in out.iterdir())
    tables = ["manifest.json", "projection.csv", "summary.json", "unit_economics.csv"]
    assert [n for n in names if not n.endswith(".png")] == tables
    assert {"arr_fan.png", "cash_fan.png", "pnl.png"} <= set(names)  # the standard chart set
    # one line for what was written, not every file
    assert result.stdout.splitlines()[-1] == (f"Wrote {len(names)} files to {out}{os.sep} "
                                              f"(listed in manifest.json)")
    assert "projection.csv" not in result.stdout
    with open(out / "projection.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["month", "arr_p10", "arr_p50", "arr_p90"]
    assert {"cash_p50", "customers_p50", "revenue_p50"} <= set(header)
    assert len(body) == 24  # one row per month of the horizon
    assert body[0][0] == "2027-01" and body[-1][0] == "2028-12"
    assert all(len(row) == len(header) for row in body)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "tiny" and summary["paths"] == 20


def test_run_out_option(runner):
    result = runner.invoke(main, ["run", "--no-charts", "small.yaml", "--out", "elsewhere/run1", "--json"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in Path("elsewhere/run1").iterdir())
    assert [n for n in names if not n.endswith(".png")] == ["manifest.json", "projection.csv", "summary.json", "unit_economics.csv"]
    assert not Path("outputs").exists()


def test_run_with_set(runner):
    result = runner.invoke(main, ["run", "--no-charts", "small.yaml", "--json", "--set", "horizon_months=12",
                                  "--set", "name=shorter"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["scenario"] == "shorter" and summary["end"] == "2027-12"
    with open(Path("outputs/shorter/projection.csv"), newline="") as f:
        assert len(list(csv.reader(f))) == 1 + 12


def test_run_set_changes_the_numbers(runner):
    base = json.loads(runner.invoke(main, ["run", "--no-charts", "small.yaml", "--json"]).stdout)
    dearer = json.loads(runner.invoke(main, ["run", "--no-charts", "small.yaml", "--json",
                                             "--set", "segments.smb.price.arpa=200"]).stdout)
    assert dearer["arr_end"]["p50"] > 1.5 * base["arr_end"]["p50"]


# ---------------------------------------------------------------------- bad input files
@pytest.mark.parametrize("content, line", [
    pytest.param("month,arr\n2027-01,100\n",
                 "input.yaml:1: the top level must be a mapping of keys (name:, start:, segments:, ...)",
                 id="csv-text"),
    pytest.param("name: [unclosed\nstart: 2027-01\n",
                 "input.yaml:2: not valid YAML: while parsing a flow sequence expected ',' or ']', but got ':'",
                 id="not-yaml"),
    pytest.param("", "input.yaml: the file is empty; expected a scenario mapping (try `planner init`)",
                 id="empty"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "input.yaml: not a UTF-8 text file (byte 0)",
                 id="binary"),
    pytest.param(b"name: a\x00b\n", "input.yaml:1: not valid YAML: contains the control character #x0000; "
                                    "is it a text file?", id="nul-byte"),
    pytest.param("- 1\n- 2\n", "input.yaml:1: the top level must be a mapping of keys (name:, start:, "
                               "segments:, ...)", id="top-level-list"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_files_give_a_clean_error(runner, command, content, line):
    path = Path("input.yaml")
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    before = files_here()
    result = runner.invoke(main, [command, "input.yaml"])
    assert_clean_failure(result)
    assert result.exit_code == 1
    headline = "Error: 1 of 1 file invalid" if command == "validate" else "Error: 1 problem found"
    assert result.stderr.splitlines() == [line, headline]
    assert files_here() == before


@pytest.mark.parametrize("command", ["validate", "run"])
def test_missing_file(runner, command):
    result = runner.invoke(main, [command, "nope.yaml"])
    assert_clean_failure(result)
    headline = "Error: 1 of 1 file invalid" if command == "validate" else "Error: 1 problem found"
    assert result.stderr.splitlines() == ["nope.yaml: file not found", headline]
    assert not Path("outputs").exists()


@pytest.mark.parametrize("command", ["validate", "run"])
def test_directory(runner, command):
    Path("folder").mkdir()
    result = runner.invoke(main, [command, "folder"])
    assert_clean_failure(result)
    assert result.exit_code == 1
    headline = "Error: 1 of 1 file invalid" if command == "validate" else "Error: 1 problem found"
    assert result.stderr.splitlines() == ["folder: is a directory, not a scenario file", headline]
    assert not Path("outputs").exists()


def test_validate_reports_a_directory_and_still_checks_the_other_files(runner):
    Path("folder").mkdir()
    Path("good.yaml").write_text(EXAMPLE.read_text())
    result = runner.invoke(main, ["validate", "folder", "good.yaml"])
    assert result.exit_code == 1
    assert result.stdout.startswith("ok: good.yaml")
    assert result.stderr.splitlines() == ["folder: is a directory, not a scenario file",
                                          "Error: 1 of 2 files invalid"]


# ------------------------------------------------------------------------- init, schema
def test_init_writes_a_scenario_that_validates(runner):
    result = runner.invoke(main, ["init", "mine.yaml"])
    assert result.exit_code == 0, result.output
    assert Path("mine.yaml").read_text() == STARTER.read_text()
    result = runner.invoke(main, ["validate", "mine.yaml"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: mine.yaml (")


def test_init_refuses_to_overwrite_without_force(runner):
    Path("mine.yaml").write_text("keep me\n")
    result = runner.invoke(main, ["init", "mine.yaml"])
    assert_clean_failure(result)
    assert result.exit_code == 1
    assert result.stderr == "Error: mine.yaml exists; use --force to overwrite it\n"
    assert Path("mine.yaml").read_text() == "keep me\n"
    result = runner.invoke(main, ["init", "mine.yaml", "--force"])
    assert result.exit_code == 0, result.output
    assert Path("mine.yaml").read_text() == STARTER.read_text()


def test_schema_prints_json_schema(runner):
    result = runner.invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert {"name", "start", "horizon_months", "segments"} <= set(schema["properties"])
    assert {"name", "start", "horizon_months", "opening", "segments"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


def _as_json_data(path: Path):
    """The YAML as JSON would see it (integer curve ages become string keys)."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


@pytest.mark.parametrize("path", BUNDLED + [STARTER], ids=lambda p: p.name)
def test_json_schema_accepts_the_bundled_scenarios(runner, path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(runner.invoke(main, ["schema"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(_as_json_data(path))


def test_json_schema_rejects_a_typo(runner):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(runner.invoke(main, ["schema"]).stdout)
    data = _as_json_data(EXAMPLE)
    data["horizon_month"] = data.pop("horizon_months")
    assert not jsonschema.Draft202012Validator(schema).is_valid(data)


# ------------------------------------------------------------------------------- help
def _commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


COMMANDS = [pytest.param(path, command, id=" ".join(path)) for path, command in _commands(main)]


def test_the_expected_commands_exist():
    assert set(main.commands) >= {"run", "validate", "schema", "init", "fit"}


@pytest.mark.parametrize("path, command", COMMANDS)
def test_every_command_has_help(runner, path, command):
    assert (command.help or "").strip(), f"planner {' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"planner {' '.join(path)} {param.opts[0]} has no help text"
    result = runner.invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    first_line = " ".join(command.help.strip().splitlines()[0].split())
    assert first_line in " ".join(result.stdout.split())  # the help wraps it


def test_main_help_lists_every_command(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert (main.help or "").strip()
    for name in main.commands:
        assert f"  {name} " in result.stdout


def test_run_prints_and_saves_unit_economics(runner):
    result = runner.invoke(main, ["run", "--no-charts", "example.yaml", "--paths", "200", "--cac-lag", "1",
                                  "--fiscal-year-start", "4", "--detail"])
    assert result.exit_code == 0, result.output
    # the enterprise segment's uncapped formula LTV (expansion >= churn), in its own table
    assert "LTV:CAC" in result.stdout and "LTV, uncapped            unbounded" in result.stdout
    assert "inf" not in result.stdout.replace("infinite", "")
    data = json.loads((Path("outputs") / "series-a-midmarket" / "summary.json").read_text())
    ltv = data["unit_economics"]["scopes"]["enterprise"]["last_year"]["ltv"]["p50"]
    assert ltv["unbounded"] and ltv["reason"] == "expansion >= churn"
    assert data["unit_economics"]["paths"] == 200
    header = (Path("outputs") / "series-a-midmarket" / "unit_economics.csv").read_text().splitlines()[0]
    assert header.startswith("month,")


# ------------------------------------------------------------------- quiet, verbose, wrote


def test_run_quiet_prints_only_the_headline_block(runner):
    full = runner.invoke(main, ["run", "small.yaml", "--no-charts"])
    quiet = runner.invoke(main, ["run", "small.yaml", "--no-charts", "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == ""
    headline = full.stdout.split("\n\n")[0].split("\n  What drives the range")[0]
    assert quiet.stdout == headline + "\n"
    assert "ARR at 2028-12" in quiet.stdout and "Unit economics" not in quiet.stdout
    assert "What drives" not in quiet.stdout
    assert "Wrote" not in quiet.stdout


def test_run_verbose_shows_every_phase_on_stderr_and_lists_the_files(runner):
    result = runner.invoke(main, ["run", "small.yaml", "--verbose"])
    assert result.exit_code == 0, result.output
    phases = [line.split(":")[0].strip() for line in result.stderr.splitlines()]
    assert phases[:6] == ["load", "simulate", "unit economics", "tables", "charts", "files"]
    assert result.stderr.splitlines()[-1].startswith("  done in ")
    listed = result.stdout.split("(listed in manifest.json)\n")[1].split()
    assert sorted(listed) == sorted(p.name for p in (Path("outputs") / "tiny").iterdir())


def test_run_without_a_terminal_shows_no_progress(runner):
    result = runner.invoke(main, ["run", "small.yaml", "--no-charts"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_wrote_line(tmp_path):
    from planner.cli.common import wrote_line

    files = [tmp_path / "a.csv", tmp_path / "sub" / "b.png", tmp_path / "manifest.json"]
    assert wrote_line(files) == f"Wrote 3 files to {tmp_path}{os.sep} (listed in manifest.json)"
    assert wrote_line(files[:2]) == f"Wrote 2 files to {tmp_path}{os.sep}"
    assert wrote_line(files[:1]) == f"Wrote {files[0]}"
    assert wrote_line(files, verbose=True).splitlines()[1:] == [
        "  a.csv", f"  sub{os.sep}b.png", "  manifest.json"]
    assert wrote_line([]) == "Wrote no files"


def test_run_detail_prints_each_segment_in_full(runner):
    args = ["run", "example.yaml", "--no-charts", "--paths", "200"]
    short = runner.invoke(main, args)
    full = runner.invoke(main, args + ["--detail"])
    assert short.exit_code == 0 and full.exit_code == 0, full.output
    assert full.stdout.startswith(short.stdout.split("\nUnit economics")[0])
    assert len(full.stdout.splitlines()) > len(short.stdout.splitlines())
    assert max(len(line) for line in full.stdout.splitlines()) <= 100


def test_the_command_exits_with_its_code_and_flushed_output(tmp_path):
    """planner.cli.entry skips the interpreter's teardown: the exit code and everything
    printed (to a pipe, block-buffered) must still come out."""
    import subprocess
    import sys
    ok = subprocess.run([sys.executable, "-m", "planner", "init", str(tmp_path / "s.yaml")],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and (tmp_path / "s.yaml").is_file()
    shown = subprocess.run([sys.executable, "-m", "planner", "validate", str(tmp_path / "s.yaml")],
                           capture_output=True, text=True)
    assert shown.returncode == 0 and shown.stdout.strip(), shown
    bad = subprocess.run([sys.executable, "-m", "planner", "validate", str(tmp_path / "missing.yaml")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "file not found" in bad.stderr + bad.stdout
    usage = subprocess.run([sys.executable, "-m", "planner", "no-such-command"], capture_output=True, text=True)
    assert usage.returncode == 2 and "No such command" in usage.stderr
