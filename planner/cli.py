"""Command-line interface: a thin layer that parses options, calls the library, writes files."""
from __future__ import annotations

import contextlib
import functools
import json
import sys
import time
from pathlib import Path

import click

from planner.cli_options import out_option, plan_option, sampling_option, seed_option, set_option
from planner.errors import PlannerError, ScenarioError

DEFAULT_SCENARIO = "series_a_midmarket.yaml"


class UserError(click.ClickException):
    """A clean error for the user: problem lines as they are, then a one-line ``Error:``."""

    def __init__(self, err: Exception):
        self.problems = [str(p) for p in getattr(err, "problems", [])]
        headline = (f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} found"
                    if self.problems else str(err))
        super().__init__(headline)

    def show(self, file=None) -> None:
        stream = file or sys.stderr
        for line in self.problems:
            click.echo(line, file=stream)
        click.echo(f"Error: {self.message}", file=stream)


def user_errors(func):
    """Turn input and output errors into :class:`UserError`; real bugs keep their traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PlannerError as err:
            raise UserError(err) from None
        except OSError as err:
            raise click.ClickException(f"cannot write output: {err}") from None
        except MemoryError:
            raise click.ClickException("out of memory: run fewer paths") from None
    return wrapper


def default_scenario_path() -> Path:
    """The bundled default scenario: ``scenarios/`` of a checkout, else the packaged copy."""
    checkout = Path(__file__).resolve().parent.parent / "scenarios" / DEFAULT_SCENARIO
    return checkout if checkout.exists() else Path(__file__).resolve().parent / "data" / DEFAULT_SCENARIO


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="planner")
def main() -> None:
    """planner: bottom-up Monte Carlo financial planning for SaaS businesses.

    Write a scenario (planner init), check it (planner validate), run it (planner run).
    """


def _load(path: str | None, overrides: tuple[str, ...], sampling: str | None = None):
    """Load a scenario (default: the bundled one); warnings go to stderr."""
    from planner import load_scenario

    if path is None:
        path = str(default_scenario_path())
    if sampling is not None:
        overrides = tuple(overrides) + (f"simulation.sampling={sampling}",)
    scenario = load_scenario(path, overrides)
    for warning in scenario.warnings:
        click.echo(f"Warning: {scenario.source}: {warning}", err=True)
    return scenario


class PathsType(click.ParamType):
    """A number of paths (1 to 10 million) or ``auto``."""

    name = "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value == "auto":
            return value
        try:
            number = int(str(value).replace("_", "").replace(",", ""))
        except ValueError:
            self.fail(f"{value!r} is not a whole number or 'auto'", param, ctx)
        if not 1 <= number <= 10_000_000:
            self.fail(f"{number} is not between 1 and 10,000,000", param, ctx)
        return number


@contextlib.contextmanager
def progress_bar(enabled: bool = True):
    """A progress callback that draws on stderr, only on a terminal and after a second."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    started = time.monotonic()
    shown = [False]

    def update(done: int, total: int) -> None:
        if time.monotonic() - started < 1.0 and not shown[0]:
            return
        shown[0] = True
        width = 30
        filled = int(width * done / total)
        click.echo(f"\r  simulating [{'#' * filled}{'.' * (width - filled)}] "
                   f"{done:,}/{total:,} paths", nl=False, err=True)
    try:
        yield update
    finally:
        if shown[0]:
            click.echo("\r" + " " * 70 + "\r", nl=False, err=True)



def _month_option(scenario, text: str | None) -> int:
    """``--raise-month YYYY-MM`` -> month index in the horizon (default: the first month)."""
    from planner.errors import Problem
    from planner.scenario.spec import parse_month

    if text is None:
        return 0
    month = parse_month(text)
    index = None if month is None else int((month - scenario.start).astype(int))
    if index is None or not 0 <= index < scenario.horizon:
        raise ScenarioError([Problem("--raise-month", None, "", f"must be a month YYYY-MM from "
                                     f"{scenario.start} to {scenario.start + scenario.horizon - 1} "
                                     f"(got {text!r})")])
    return index


def _plan_option(scenario, plan: str | None) -> str | None:
    from planner.errors import Problem

    try:
        return scenario.plan(plan).name
    except KeyError as err:
        raise ScenarioError([Problem("--plan", None, "", err.args[0])]) from None


@main.command()
@click.argument("scenario", required=False, type=click.Path())
@click.option("--paths", type=PathsType(), help="Monte Carlo paths (default: the scenario's), or "
              "'auto': add paths until ARR P50 is known to 1% and the cash-out probability to "
              "0.5 points (95% confidence).")
@seed_option
@plan_option
@out_option
@set_option
@click.option("--raise-month", metavar="YYYY-MM", help="Month of the extra raise the minimum-raise "
              "answer is for (default: the first month).")
@click.option("--confidence", type=click.FloatRange(0.01, 1.0), default=0.9, show_default=True,
              help="Share of paths the minimum raise must keep above funding.minimum_cash.")
@click.option("--until", type=click.Choice(["horizon", "breakeven"]), default="horizon",
              show_default=True, help="Keep cash above the minimum through the horizon, or only "
              "until each path's cash-flow breakeven.")
@click.option("--fiscal-year-start", type=click.IntRange(1, 12), help="Month (1-12) fiscal years "
              "start in, for the unit economics (default: the scenario's start month).")
@click.option("--cac-lag", type=click.IntRange(0, 24), default=0, show_default=True,
              help="Months between S&M spend and the wins it buys, for CAC.")
@click.option("--charts/--no-charts", default=True, show_default=True,
              help="Also write the standard chart set (PNG) next to the tables.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON and nothing else.")
@sampling_option
@user_errors
def run(scenario, paths, seed, plan, out_dir, overrides, raise_month, confidence, until,
        fiscal_year_start, cac_lag, charts, as_json, sampling):
    """Simulate SCENARIO (default: the bundled Series A example) and write its tables.

    Writes projection.csv (monthly P10/P50/P90 of the key series) and summary.json to
    outputs/<scenario name>/, and prints the headline ranges, runway, breakeven and the
    minimum extra raise.
    """
    from planner.export import output_dir, write_run
    from planner.format import summary_text
    from planner.summary import run_scenario
    from planner.unit_economics_report import unit_economics_text

    sc = _load(scenario, overrides, sampling)
    month = _month_option(sc, raise_month)
    with progress_bar(enabled=not as_json) as progress:
        outcome = run_scenario(sc, paths=paths, seed=seed, plan=_plan_option(sc, plan),
                               raise_month=month, confidence=confidence, until=until,
                               fiscal_year_start=fiscal_year_start, cac_lag_months=cac_lag,
                               progress=progress)
    target = output_dir(sc.name, out_dir)
    files = write_run(outcome, target)
    if charts:
        from planner.charts import write_standard_charts

        files += write_standard_charts(outcome.result, target, detail=outcome.unit_economics_result)
    summary = outcome.summary
    if as_json:
        click.echo(json.dumps(summary, indent=2, allow_nan=False))
        return
    click.echo(summary_text(summary))
    click.echo("")
    if "funnel" in summary:
        from planner.funnel_report import funnel_text

        click.echo(funnel_text(summary["funnel"], summary["currency"]))
    click.echo(unit_economics_text(summary["unit_economics"], summary["currency"]))
    click.echo("Wrote " + ", ".join(str(f) for f in files))


@main.command()
@click.argument("scenarios", nargs=-1, type=click.Path())
@click.option("--plans", help="Comma-separated plan names (default: all plans of SCENARIO).")
@click.option("--paths", type=click.IntRange(1, 10_000_000), help="Monte Carlo paths (default: the scenario's).")
@seed_option
@out_option
@set_option
@click.option("--charts/--no-charts", default=True, show_default=True,
              help="Also write the comparison chart (PNG).")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON and nothing else.")
@sampling_option
@user_errors
def compare(scenarios, plans, paths, seed, out_dir, overrides, charts, as_json, sampling):
    """Compare funding plans on the same random draws.

    With one SCENARIO (default: the bundled example): its funding plans side by side.
    With several: each file's default plan, same seed and paths. Writes comparison.csv
    and comparison.json.
    """
    from planner.export import output_dir, write_comparison
    from planner.format import comparison_text
    from planner.funding import compare as compare_plans, compare_scenarios

    loaded = [_load(s, overrides, sampling) for s in scenarios] or [_load(None, overrides, sampling)]
    if len(loaded) == 1:
        names = None if plans is None else [p.strip() for p in plans.split(",") if p.strip()]
        for name in names or []:
            _plan_option(loaded[0], name)
        comparison = compare_plans(loaded[0], names, paths=paths, seed=seed)
    else:
        if plans is not None:
            raise click.UsageError("--plans applies to one scenario; with several files each "
                                   "file's default plan is used")
        comparison = compare_scenarios(loaded, paths=paths, seed=seed)
    data = comparison.to_dict()
    target = output_dir(loaded[0].name, out_dir)
    files = write_comparison(data, target)
    if charts:
        from planner.charts import write_comparison_chart

        files.append(write_comparison_chart(comparison, target))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(comparison_text(data, loaded[0].currency))
    click.echo("Wrote " + ", ".join(str(f) for f in files))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@set_option
def validate(files, overrides):
    """Check scenario FILES; report every problem, one per line. Exit 1 if any is invalid."""
    from planner import load_scenario
    from planner.format import plural

    bad = 0
    for path in files:
        try:
            sc = load_scenario(path, overrides)
        except ScenarioError as err:
            bad += 1
            for problem in err.problems:
                click.echo(str(problem), err=True)
            continue
        click.echo(f"ok: {path} ({sc.name}: {plural(len(sc.segments), 'segment')}, "
                   f"{plural(sc.horizon, 'month')}, {plural(len(sc.params), 'uncertain input')}, "
                   f"{plural(len(sc.plans), 'funding plan')})")
    if bad:
        raise click.ClickException(f"{bad} of {len(files)} file{'s' if len(files) > 1 else ''} invalid")


@main.command()
def schema():
    """Print the JSON Schema of the scenario format (for editor autocompletion)."""
    from planner.scenario.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@user_errors
def init(path, force):
    """Write a commented starter scenario to PATH."""
    from importlib.resources import files as resource_files

    from planner.io import write_text

    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")
    text = resource_files("planner").joinpath("templates/starter.yaml").read_text(encoding="utf-8")
    write_text(target, text)
    click.echo(f"Wrote {path}; edit it, then: planner validate {path} && planner run {path}")


def _register_commands() -> None:
    """Commands that live in their own modules."""
    from planner.cli_report import chart_command, report_command
    from planner.cli_actuals import actuals_group, track_command
    from planner.fit_cli import fit_command

    main.add_command(fit_command, "fit")
    main.add_command(chart_command, "chart")
    main.add_command(report_command, "report")
    main.add_command(track_command, "track")
    main.add_command(actuals_group, "actuals")


_register_commands()
