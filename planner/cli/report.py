"""``planner chart`` and ``planner report``: charts, the HTML report and the workbook.

Thin commands: the same options and the same :class:`planner.run.Run` as ``planner
run``, then :mod:`planner.charts` and :mod:`planner.report` write the files.
"""
from __future__ import annotations

import click

from planner.cli.common import as_option_errors, load, progress_bar, stage, user_errors, wrote_line
from planner.cli.options import question, run_options, verbose_option

#: the chart kinds (kept here so that ``planner --help`` need not import matplotlib; a
#: test checks it against planner.charts.CHARTS)
KINDS = ("arr_fan", "cash_fan", "mrr_bridge", "mrr_waterfall", "cohort_layers", "retention",
         "unit_economics", "headcount", "pnl", "funnel", "plan_comparison")


def _phases(with_comparison: bool, last: str) -> list[str]:
    return ["load", "simulate", "unit economics"] + (["comparison"] if with_comparison else []) + [last]


@click.command("chart")
@run_options
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
              help="Chart to draw (repeatable; default: every chart the scenario has data for).")
@click.option("--format", "fmt", type=click.Choice(["png", "svg"]), default="png", show_default=True,
              help="PNG at 2x (200 dpi) for slides, or SVG.")
@verbose_option
@user_errors
@as_option_errors
def chart_command(scenario, out_dir, overrides, sampling, kinds, fmt, verbose, **options):
    """Draw charts of SCENARIO (default: the bundled Series A example).

    Writes one file per chart, <kind>.png or <kind>.svg, to outputs/<scenario name>/.
    Charts: arr_fan, cash_fan, mrr_bridge, mrr_waterfall, cohort_layers, retention,
    unit_economics, headcount, pnl, funnel (only for scenarios with a funnel) and
    plan_comparison (drawn by default when the scenario has two or more funding plans).
    """
    sc = load(scenario, overrides, sampling)
    wanted = list(dict.fromkeys(kinds)) or None
    compared = "plan_comparison" in wanted if wanted else len(sc.plans) > 1
    with progress_bar(True, _phases(compared, "charts"), paths=sc.paths, verbose=verbose) as progress:
        stage(progress, "load")
        from planner.report.tables import output_dir
        from planner.run import run_scenario, write_charts

        run = run_scenario(sc, with_comparison=compared, progress=progress, **question(options))
        stage(progress, "charts")
        files = write_charts(run, output_dir(sc.name, out_dir), fmt, kinds=wanted)
    click.echo(wrote_line(files, verbose))


@click.command("report")
@run_options
@click.option("--compare", "with_comparison", is_flag=True,
              help="Add every funding plan side by side (same draws); --plan picks the plan of the "
                   "headline numbers.")
@click.option("--no-workbook", is_flag=True, help="Write only the HTML report, not the Excel workbook.")
@click.option("--actuals", "actual_files", multiple=True, type=click.Path(dir_okay=False),
              help="Subscription ledger(s) or one MRR table: adds a 'Plan vs actual' section and "
                   "sheet (repeatable; docs/actuals.md).")
@click.option("--financials", type=click.Path(dir_okay=False),
              help="Monthly financials CSV for plan vs actual (cash, spend, headcount).")
@click.option("--mapping", type=click.Path(dir_okay=False),
              help="YAML column mapping of the actuals (docs/actuals.md).")
@click.option("--as-of", "as_of", metavar="YYYY-MM", help="Last closed month of the actuals.")
@verbose_option
@user_errors
@as_option_errors
def report_command(scenario, out_dir, overrides, sampling, with_comparison, no_workbook, actual_files,
                   financials, mapping, as_of, verbose, **options):
    """Write the board report of SCENARIO: report.html and report.xlsx.

    report.html is one self-contained file (charts embedded, no network needed to view
    it; prints on A4 or Letter): an executive summary, warnings and notes, headline
    numbers, the yearly P&L with growth and margins, the funding events and needs, the
    funding plans compared (with --compare), charts, what drives the range, unit
    economics with benchmark verdicts, the go-to-market funnel (scenarios with one) and
    every assumption. report.xlsx holds the P&L and cash flow/balance sheet of the
    P10/P50/P90 cases with live formulas, the funding events, each line's ranges by month
    and year, the assumptions as typed, segments, the funnel, unit economics, cohorts and
    the plan comparison; with --actuals, the plan against the books. The numbers are
    those ``planner run`` prints with the same options.
    """
    sc = load(scenario, overrides, sampling)
    with progress_bar(True, _phases(with_comparison, "report"), paths=sc.paths, verbose=verbose) as progress:
        stage(progress, "load")
        from planner.report import write_report
        from planner.report.tables import output_dir
        from planner.run import run_scenario

        run = run_scenario(sc, with_comparison=with_comparison, progress=progress, **question(options))
        tracking = None
        if actual_files:
            from planner.actuals import track_files

            stage(progress, "actuals")
            tracking = track_files(run.result, actual_files, financials, mapping=mapping, as_of=as_of,
                                   fiscal_year_start=options["fiscal_year_start"])
        stage(progress, "report")
        files = write_report(run, output_dir(sc.name, out_dir), workbook=not no_workbook,
                             tracking=tracking)
    click.echo(wrote_line(files, verbose))
