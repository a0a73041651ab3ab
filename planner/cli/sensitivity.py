"""``planner sensitivity``: which inputs drive the range (tornado, spider, Sobol indices)."""
from __future__ import annotations

import json

import click

from planner.cli.common import load, user_errors, wrote_line
from planner.cli.options import out_option, seed_option, set_option

#: default paths per tornado or spider variant (20 inputs: 41 variants, about 5 s)
TORNADO_PATHS = 512
METHODS = {"tornado": ("tornado",), "spider": ("spider",), "sobol": ("sobol",),
           "all": ("tornado", "spider", "sobol")}


@click.command("sensitivity")
@click.argument("scenario", required=False, type=click.Path())
@click.option("--outcome", default="arr", show_default=True, metavar="O",
              help="Per-path outcome: arr (at the horizon), arr@2030-06, revenue:FY2029, "
                   "ebitda:FY2030, cash_trough, cash_end, cash@2029-12, runway, raise_shortfall.")
@click.option("--statistic", default="P50", show_default=True, metavar="S",
              help="P50, P10, mean ... of the outcome, or a whole statistic such as "
                   "'P(cash_out)' or 'P90(raise_shortfall)' (the minimum raise at 90%).")
@click.option("--range", "swing", default="P10:P90", show_default=True, metavar="LOW:HIGH",
              help="Tornado: the percentiles each input swings between, e.g. 5:95.")
@click.option("--vary", multiple=True, metavar="KEY=LOW:HIGH",
              help="Also swing a certain input over a range (repeatable), e.g. "
                   "segments.smb.price.arpa=380:460.")
@click.option("--group", "groups", multiple=True, metavar="NAME=PREFIX",
              help="Sobol: one index for every input whose key starts with PREFIX (repeatable), "
                   "e.g. smb=segments.smb.")
@click.option("--method", type=click.Choice(sorted(METHODS)), default="all", show_default=True,
              help="Which analyses: tornado, spider, sobol, or all three.")
@click.option("--base-samples", type=click.IntRange(16, 1_000_000), default=1024, show_default=True,
              help="Sobol: paths in each of the A, B and AB matrices.")
@click.option("--paths", type=click.IntRange(1, 1_000_000),
              help="Tornado and spider: paths per variant (default: the scenario's, at most "
                   f"{TORNADO_PATHS}; every variant has the same draws, so a swing's Monte Carlo "
                   "error is far smaller than the statistic's).")
@seed_option
@click.option("--plan", help="Funding plan (default: the scenario's).")
@click.option("--workers", type=click.IntRange(1, 512), default=1, show_default=True,
              help="Processes to simulate variants in.")
@click.option("--charts/--no-charts", default=True, show_default=True, help="Write the charts (PNG).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON and nothing else.")
@out_option
@set_option
@user_errors
def sensitivity_command(scenario, outcome, statistic, swing, vary, groups, method, base_samples,
                        paths, seed, plan, workers, charts, as_json, out_dir, overrides):
    """Which inputs drive the range of an outcome of SCENARIO (default: the bundled example).

    Tornado: each uncertain input from its P10 to its P90, the statistic recomputed with
    every other input on its own draws. Spider: each input through P5..P95. Sobol:
    first- and total-order shares of the outcome's variance, with bootstrap intervals;
    correlated inputs are reported as one group. Writes sensitivity.json and the charts.
    """
    from planner.report.sensitivity import sensitivity_text, to_json, write_sensitivity
    from planner.report.tables import output_dir
    from planner.scenario.loader import load_scenario
    from planner.sweep.runner import local_executor
    from planner.sweep.sensitivity import (make_statistic, parse_groups, parse_range, parse_vary,
                                           sensitivity)

    sc = load(scenario, overrides)
    stat = make_statistic(sc, outcome, statistic)
    executor = local_executor(workers)
    try:
        results = sensitivity(
            sc, stat, methods=METHODS[method], paths=paths or min(sc.paths, TORNADO_PATHS),
            seed=seed, plan=plan,
            swing=parse_range(swing), vary=parse_vary(vary), groups=parse_groups(groups),
            loader=lambda extra: load_scenario(sc.source, tuple(overrides) + tuple(extra)),
            base_samples=base_samples, executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    files = write_sensitivity(results, output_dir(sc.name, out_dir), charts=charts)
    if as_json:
        click.echo(json.dumps(to_json(results), indent=2, allow_nan=False))
        return
    click.echo(sensitivity_text(results))
    click.echo(wrote_line(files))
