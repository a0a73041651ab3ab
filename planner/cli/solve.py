"""``planner solve``: the value of one input that meets a target (goal seek)."""
from __future__ import annotations

import json

import click

from planner.cli.common import load, user_errors, wrote_line
from planner.cli.options import out_option, paths_option, plan_option, seed_option, set_option


@click.command("solve")
@click.argument("scenario", required=False, type=click.Path())
@click.option("--vary", "vary", required=True, metavar="KEY",
              help="The input to vary: a key path (segments.smb.price.arpa; a growth series' start; "
                   "a schedule, scaled; a hire count, or its date with --within months; a "
                   "distribution's median) or raise[@YYYY-MM] (an extra committed raise).")
@click.option("--target", "target", required=True, metavar="T",
              help="What to meet, e.g. 'P50(arr@2031-12) >= 50M' or 'P(cash_out by 2029-12) <= 10%' "
                   "(docs/targets.md).")
@click.option("--within", metavar="LOW:HIGH", help="Range to search (default: the current value "
              "/10 to x10, widened if needed; months: the horizon).")
@click.option("--subject-to", "subject_to", multiple=True, metavar="T",
              help="A secondary target checked at the answer (repeatable).")
@click.option("--tol", type=float, help="Tolerance in the input's unit (default: 1e-4 of its "
              "value; 1 for counts, months and a raise).")
@paths_option
@seed_option
@plan_option
@set_option
@out_option
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Processes for the grid scan.")
@click.option("--chart/--no-chart", default=True, show_default=True,
              help="Write solve.png: the statistic against the input, with the target line.")
@click.option("--json", "as_json", is_flag=True, help="Print the solution as JSON and nothing else.")
@user_errors
def solve_command(scenario, vary, target, within, subject_to, tol, paths, seed, plan, overrides,
                  out_dir, workers, chart, as_json):
    """Find the value of one input of SCENARIO at which a statistic meets a target.

    Every trial runs on the same paths and seed (keyed draws), so the statistic is a
    deterministic function of the input: the crossing is bracketed, then found with
    brentq (bisection for counts and months) to the tolerance.
    """
    from planner.report.tables import output_dir
    from planner.sweep.runner import local_executor
    from planner.sweep.solve import solve

    if paths == "auto":
        raise click.BadParameter("a goal seek needs a fixed number of paths", param_hint="--paths")
    sc = load(scenario, overrides)
    executor = local_executor(workers)
    try:
        solution = solve(sc, vary, target, within=within, subject_to=subject_to, paths=paths,
                         seed=seed, executor=executor, tol=tol, overrides=overrides, plan=plan)
    finally:
        if executor is not None:
            executor.shutdown()
    files = []
    if chart:
        files.append(_write_chart(solution, output_dir(sc.name, out_dir)))
    if as_json:
        click.echo(json.dumps(solution.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo(solution_text(solution))
        if files:
            click.echo(wrote_line(files))
    if solution.value is None:
        raise SystemExit(1)


def _write_chart(solution, folder):
    from pathlib import Path

    from planner.charts.solve import plot_solve
    from planner.charts.style import SLIDE_DPI

    path = Path(folder) / "solve.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    plot_solve(solution).figure.savefig(path, dpi=SLIDE_DPI)
    return path


def solution_text(solution) -> str:
    """The terminal answer: the sentence, the statistic there, the constraints, the trials."""
    from planner.analysis.targets import format_statistic, target_line
    from planner.format import plural

    currency = solution.scenario.currency
    lines = [f"Target: {solution.target.text}", f"Vary: {solution.lever.key} "
             f"(now {solution.show(solution.lever.current)})", "", solution.message]
    at = solution.at
    if at is not None:
        lines.append(f"  at {solution.show(solution.value)}: {solution.target.statistic.text} = "
                     f"{format_statistic(at.result, currency)}  "
                     f"({'met' if at.met else 'NOT MET'})")
        for result in at.subject_to:
            lines.append(f"  subject to {target_line(result, currency)}")
        lines.append(f"  answer: {solution.answer}")
    else:
        best = solution.best
        lines.append(f"  best: {format_statistic(best.result, currency)} at {solution.show(best.x)}")
    lines.append(f"  {len(solution.trials)} trials of {plural(solution.paths, 'path')} (seed {solution.seed}) "
                 f"in {solution.seconds:.1f} s; tolerance {solution.tolerance:.4g}")
    return "\n".join(lines)
