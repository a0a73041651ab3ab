"""``planner diff``: what a change to a plan does (options -> planner.sweep.diff -> text, files)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from planner.cli.common import as_option_errors, user_errors, wrote_line
from planner.cli.options import out_option, plan_option, seed_option, set_option


@click.command("diff")
@click.argument("a")
@click.argument("b", required=False)
@set_option
@click.option("--paths", type=click.IntRange(1, 10_000_000),
              help="Monte Carlo paths for both (default: A's simulation.paths).")
@seed_option
@plan_option
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON and nothing else.")
@out_option
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Processes for the attribution's runs.")
@user_errors
def diff_command(a, b, overrides, paths, seed, plan, as_json, out_dir, workers):
    """What changed between scenarios A and B, and what it does, on the same draws.

    A and B are scenario files or REV:path (a file at a git revision, e.g.
    `planner diff HEAD~1:plan.yaml plan.yaml`). With only A, B is A with the --set edits;
    with both, --set edits apply to both. Prints the changed assumptions, each headline
    outcome for A and B with the per-path difference and the chance B is better, and the
    change in each headline number split among the changed assumptions (Shapley). With
    --out, also writes diff.json, attribution.csv and attribution_<outcome>.png there.
    """
    from planner.report.diff import diff_text
    from planner.sweep.diff import diff, load_sides
    from planner.sweep.runner import local_executor

    side_a, side_b = load_sides(a, b, overrides)
    executor = local_executor(workers)
    try:
        result = as_option_errors(diff)(side_a, side_b, paths=paths, seed=seed, plan=plan,
                                        executor=executor, progress=_progress(not as_json))
    finally:
        if executor is not None:
            executor.shutdown()
    data = result.to_dict()
    files = _write(result, data, Path(out_dir)) if out_dir else []
    if as_json:
        click.echo(json.dumps(data, indent=2, allow_nan=False))
        return
    click.echo(diff_text(data))
    if files:
        click.echo(wrote_line(files))


def _progress(enabled: bool):
    """``done/total runs`` of the attribution on stderr, on a terminal only."""
    if not enabled or not sys.stderr.isatty():
        return None

    def update(done: int, total: int) -> None:
        end = "\r" + " " * 40 + "\r" if done == total else ""
        click.echo(f"\r  attribution: {done:,}/{total:,} runs{end}", nl=False, err=True)
    return update


def _write(result, data: dict, target: Path) -> list[Path]:
    from planner.charts.diff import plot_attribution
    from planner.charts.files import release, save_chart
    from planner.io import write_text
    from planner.report.diff import attribution_csv

    target.mkdir(parents=True, exist_ok=True)
    files = [target / "diff.json", target / "attribution.csv"]
    write_text(files[0], json.dumps(data, indent=2, allow_nan=False) + "\n")
    write_text(files[1], attribution_csv(data))
    if result.attribution is not None:
        for key in ("arr_end", "cash_trough", "minimum_raise"):
            drawn = plot_attribution(result, key)
            files.append(save_chart(drawn, target / f"attribution_{key}.png"))
            release(drawn)
    return files
