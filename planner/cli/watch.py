"""``planner watch``: options -> :func:`planner.watch.watch` -> the change after each save."""
from __future__ import annotations

import time
from pathlib import Path

import click

from planner.cli.common import default_scenario_path, user_errors, wrote_line
from planner.cli.options import out_option, plan_option, seed_option, set_option, verbose_option


@click.command("watch")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--paths", type=click.IntRange(1, 10_000_000),
              help="Monte Carlo paths of every run (default: the scenario's).")
@seed_option
@plan_option
@out_option
@set_option
@click.option("--charts/--no-charts", default=True, show_default=True,
              help="Rewrite the standard charts on every run.")
@click.option("--report/--no-report", default=True, show_default=True,
              help="Rewrite report.html on every run.")
@click.option("--once", is_flag=True, help="Run once and stop (no watching).")
@click.option("--max-runs", type=click.IntRange(1),
              help="Stop after this many runs, the first included (default: until Ctrl-C).")
@click.option("--debounce", "debounce_ms", type=click.IntRange(0, 60_000), default=300,
              show_default=True, help="Milliseconds within which several saves are one run.")
@verbose_option
@user_errors
def watch_command(scenario, paths, seed, plan, out_dir, overrides, charts, report, once, max_runs,
                  debounce_ms, verbose):
    """Run SCENARIO on every save and print what the edit changed.

    Runs it now, then again each time the file is saved: rewrites the outputs (tables,
    charts, report.html, as planner run and planner report) and prints the headline
    numbers (ARR and cash trough P50, cash at the end, the chance cash runs out, runway,
    minimum raise) before and after the edit, on the same draws while the file's seed and
    paths stay the same. A save that does not validate prints its problems as planner
    validate does and keeps the last good outputs. Ctrl-C stops. With --once or
    --max-runs the exit code is 1 when no run wrote its outputs.
    """
    from planner.cli.commands import run_phases
    from planner.cli.progress import progress_for
    from planner.watch import watch

    path = Path(scenario) if scenario is not None else default_scenario_path()
    if not path.parent.is_dir():
        raise click.UsageError(f"{path.parent} is not a folder to watch")
    phases = run_phases(charts, report)

    def make_progress(state):
        first = state is None
        hook = progress_for(phases if first else phases[1:], paths=paths or 2_000, verbose=verbose,
                            expected=None if first else state.durations)
        if first and hook is not None:
            hook.stage("load")  # the first run imports the library: show it
        return hook

    def on_run(state, text: str, wrote: bool) -> None:
        if on_run.count:
            click.echo(f"\n{time.strftime('%H:%M:%S')} {path} saved")
        on_run.count += 1
        click.echo(text)
        if wrote:
            click.echo(wrote_line(state.files, verbose))
        if not (once or (max_runs is not None and on_run.count >= max_runs)):
            click.echo(f"Watching {path} (Ctrl-C to stop)", err=True)
    on_run.count = 0

    last_good = watch(path, on_run=on_run, max_runs=1 if once else max_runs, debounce_ms=debounce_ms,
                      make_progress=make_progress, out_dir=out_dir, overrides=overrides, paths=paths,
                      seed=seed, plan=plan, charts=charts, report=report)
    if last_good is None and (once or max_runs is not None):
        raise click.exceptions.Exit(1)  # no run wrote its outputs: say so to scripts
