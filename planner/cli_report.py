"""``planner chart`` and ``planner report``: charts, the HTML report and the workbook.

Thin commands: parse options, call :mod:`planner.charts` and :mod:`planner.report`,
write files. Registered by :mod:`planner.cli`.
"""
from __future__ import annotations

import functools

import click

from planner.charts import CHARTS
from planner.cli_options import out_option, plan_option, seed_option, set_option

KINDS = tuple(CHARTS)


def _user_errors(func):
    """:func:`planner.cli.user_errors`, imported when the command runs (no import cycle)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from planner.cli import user_errors

        return user_errors(func)(*args, **kwargs)
    return wrapper


def _common(func):
    """SCENARIO and the options every command here shares (as ``planner run`` spells them)."""
    options = [
        click.argument("scenario", required=False, type=click.Path()),
        plan_option,
        click.option("--paths", type=click.IntRange(1, 10_000_000), help="Monte Carlo paths (default: the scenario's)."),
        seed_option,
        out_option,
        set_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _simulate(scenario, overrides, plan, paths, seed):
    """Load and simulate with every series kept (the charts and the report need them)."""
    from planner import simulate
    from planner.cli import _load, _plan_option

    sc = _load(scenario, overrides)
    return sc, simulate(sc, paths=paths, seed=seed, plan=_plan_option(sc, plan))


@click.command("chart")
@_common
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Chart to draw (repeatable; default: every chart the scenario has data for).")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png", show_default=True,
              help="PNG at 2x (200 dpi) for slides, or SVG.")
@_user_errors
def chart_command(scenario, plan, paths, seed, out_dir, overrides, kinds, fmt):
    """Draw charts of SCENARIO (default: the bundled Series A example).

    Writes one file per chart, <kind>.png or <kind>.svg, to outputs/<scenario name>/.
    Charts: arr_fan, cash_fan, mrr_bridge, mrr_waterfall, cohort_layers, retention,
    unit_economics, headcount, pnl, funnel (only for scenarios with a funnel) and
    plan_comparison (drawn by default when the scenario has two or more funding plans).
    """
    from planner.charts import available_charts, write_comparison_chart, write_standard_charts
    from planner.export import output_dir
    from planner.funding import compare

    sc, result = _simulate(scenario, overrides, plan, paths, seed)
    wanted = list(dict.fromkeys(kinds)) or available_charts(result) + (
        ["plan_comparison"] if len(sc.plans) > 1 else [])
    out = output_dir(sc.name, out_dir)
    files = write_standard_charts(result, out, fmt, kinds=[k for k in wanted if k != "plan_comparison"])
    if "plan_comparison" in wanted:
        files.append(write_comparison_chart(compare(sc, paths=result.paths, seed=result.seed), out, fmt))
    click.echo("Wrote " + ", ".join(str(f) for f in files))


@click.command("report")
@_common
@click.option("--compare", "with_comparison", is_flag=True,
              help="Add every funding plan side by side (same draws); --plan picks the plan of the "
                   "headline numbers.")
@click.option("--no-workbook", is_flag=True, help="Write only the HTML report, not the Excel workbook.")
@_user_errors
def report_command(scenario, plan, paths, seed, out_dir, overrides, with_comparison, no_workbook):
    """Write the board report of SCENARIO: report.html and report.xlsx.

    report.html is one self-contained file (charts embedded, no network needed to view
    it): warnings, headline numbers, charts, funding needs, unit economics with
    benchmark verdicts, the go-to-market funnel (scenarios with one), the funding plans
    compared (with --compare) and every assumption. report.xlsx holds the same as
    tables: assumptions, monthly P10/P50/P90, segments, the funnel, unit economics,
    cohorts and the plan comparison.
    """
    from planner.export import output_dir
    from planner.funding import compare
    from planner.report import write_report

    sc, result = _simulate(scenario, overrides, plan, paths, seed)
    comparison = compare(sc, paths=result.paths, seed=result.seed) if with_comparison else None
    files = write_report(result, output_dir(sc.name, out_dir), comparison=comparison, workbook=not no_workbook)
    click.echo("Wrote " + ", ".join(str(f) for f in files))
