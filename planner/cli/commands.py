"""``planner run``, ``compare``, ``validate``, ``schema`` and ``init``: options -> library calls -> files."""
from __future__ import annotations

import json
from pathlib import Path

import click

from planner.cli.common import as_option_errors, load, progress_bar, stage, user_errors, wrote_line
from planner.cli.options import (display_options, out_option, paths_option, question, run_options,
                                 sampling_option, seed_option, set_option)
from planner.errors import ScenarioError


@click.command()
@run_options
@click.option("--charts/--no-charts", default=True, show_default=True,
              help="Also write the standard chart set (PNG) next to the tables.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON and nothing else.")
@click.option("--actuals", type=click.Path(dir_okay=False),
              help="Reforecast: start from this subscription ledger's book at the close of --as-of "
                   "and keep the scenario's end (docs/actuals.md).")
@click.option("--financials", type=click.Path(dir_okay=False),
              help="With --actuals: monthly financials; the opening cash is their cash at --as-of.")
@click.option("--as-of", "as_of", metavar="YYYY-MM",
              help="With --actuals: the last closed month (default: the ledger's latest month "
                   "with a start or an end).")
@click.option("--mapping", type=click.Path(dir_okay=False),
              help="With --actuals: the ledger's column mapping (YAML).")
@click.option("--refit-retention", is_flag=True,
              help="With --actuals: replace each segment's retention by an sBG fit to the ledger's cohorts.")
@click.option("--detail", is_flag=True,
              help="Print every segment's unit economics in full (default: one line a segment; "
                   "the files always hold them all).")
@display_options
@user_errors
@as_option_errors
def run(scenario, out_dir, overrides, sampling, charts, as_json, actuals, financials, as_of, mapping,
        refit_retention, detail, quiet, verbose, **options):
    """Simulate SCENARIO (default: the bundled Series A example) and write its tables.

    Writes projection.csv (monthly P10/P50/P90 of the key series) and summary.json to
    outputs/<scenario name>/, and prints the headline ranges, runway, breakeven and the
    minimum extra raise (--quiet: only the headline block; a progress display on stderr
    on a terminal or with --verbose). With --actuals, a reforecast: the simulation starts the month
    after --as-of from the ledger's book (and --financials' cash), ends where SCENARIO
    does, every change to the scenario is printed as a Note, the charts draw the closed
    months as actuals, and the files go to outputs/<name>-reforecast-<as-of>/.
    """
    redone = None
    if actuals is None:
        if financials or as_of or mapping or refit_retention:
            raise click.UsageError("--financials, --as-of, --mapping and --refit-retention go with --actuals")
        sc = load(scenario, overrides, sampling)
        name = sc.name
    else:
        redone = _reforecast(scenario, actuals, financials, as_of, mapping, overrides, sampling, refit_retention)
        sc = redone.scenario
        name = f"{sc.name}-reforecast-{redone.as_of}"
        if options["fiscal_year_start"] is None:  # the plan's own fiscal years, not the restart's
            options["fiscal_year_start"] = int(redone.original_start.astype(int) % 12 + 1)
    with progress_bar(not (as_json or quiet), run_phases(charts), paths=_paths(sc, options),
                      verbose=verbose) as progress:
        stage(progress, "load")  # the library's imports take a while: show them
        from planner.io import check_writable
        from planner.report.tables import output_dir
        from planner.run import ChartsAhead, run_scenario, write_outputs

        target = output_dir(name, out_dir)
        check_writable(target)  # before the simulation, not after
        # the charts start with the simulations, beside the summary
        ahead = ChartsAhead(target, closed=None if redone is None else redone.closed) if charts else None
        try:
            outcome = run_scenario(sc, progress=progress, on_simulated=ahead, **question(options))
            if redone is not None:
                outcome.summary["reforecast"] = redone.summary()
                outcome.closed = redone.closed
            files = write_outputs(outcome, target, charts=charts, progress=progress, ahead=ahead)
        finally:
            if ahead is not None:
                ahead.close()
    from planner.report.text import headline_text, run_text

    if as_json:
        click.echo(json.dumps(outcome.summary, indent=2, allow_nan=False))
        return
    if quiet:
        click.echo(headline_text(outcome))
        return
    if redone is not None:
        click.echo(redone.opening_line())
    click.echo(run_text(outcome, detail=detail))
    if options["targets"]:
        from planner.analysis.targets import targets_text

        click.echo(targets_text(outcome.summary["targets"], sc.currency))
    click.echo(wrote_line(files, verbose))


def run_phases(charts: bool, report: bool = False) -> list[str]:
    """The phases of ``planner run`` (and ``watch``) in order, for the progress display."""
    return (["load", "simulate", "unit economics", "tables"] + (["charts"] if charts else [])
            + ["files"] + (["report"] if report else []))


def _paths(sc, options) -> int:
    """The paths a run will simulate, as far as known before it starts (for the estimate)."""
    paths = options.get("paths")
    return paths if isinstance(paths, int) else sc.paths


def _reforecast(scenario, actuals, financials, as_of, mapping, overrides, sampling, refit):
    """The :class:`~planner.actuals.reforecast.Reforecast`; its notes and warnings printed
    to stderr as ``Note: ...`` and ``Warning: ...``."""
    from planner.actuals.reforecast import reforecast
    from planner.cli.common import default_scenario_path

    path = str(default_scenario_path()) if scenario is None else scenario
    if sampling is not None:
        overrides = tuple(overrides) + (f"simulation.sampling={sampling}",)
    redone = reforecast(path, actuals, financials=financials, as_of=as_of, mapping=mapping,
                        overrides=overrides, refit_retention=refit)
    for warning in list(redone.scenario.warnings) + redone.warnings:
        click.echo(f"Warning: {warning}", err=True)
    for note in redone.notes:
        click.echo(f"Note: {note}", err=True)
    return redone


@click.command()
@click.argument("scenarios", nargs=-1, type=click.Path())
@click.option("--plans", help="Comma-separated plan names (default: all plans of SCENARIO).")
@paths_option
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
    With several: each file's default plan, same paths, each file's own seed unless --seed
    (draws are keyed by input, so variants on one seed share their common inputs' draws).
    Writes comparison.csv and comparison.json to outputs/<scenario>/ (several files:
    outputs/compare-<a>-vs-<b>/).
    """
    from planner.report.tables import output_dir, write_comparison
    from planner.report.text import comparison_text
    from planner.sweep.compare import compare_files

    loaded = [load(s, overrides, sampling) for s in scenarios] or [load(None, overrides, sampling)]
    names = None if plans is None else [p.strip() for p in plans.split(",") if p.strip()]
    if names is not None and len(loaded) > 1:
        raise click.UsageError("--plans applies to one scenario; with several files each "
                               "file's default plan is used")
    comparison = as_option_errors(compare_files)(loaded, names, paths=paths, seed=seed)
    data = comparison.to_dict()
    name = loaded[0].name if len(loaded) == 1 else "compare-" + "-vs-".join(s.name for s in loaded)
    target = output_dir(name, out_dir)
    files = write_comparison(data, target)
    if charts:
        from planner.charts import write_comparison_chart

        files.append(write_comparison_chart(comparison, target))
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(comparison_text(data, loaded[0].currency))
    click.echo(wrote_line(files))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@set_option
def validate(files, overrides):
    """Check scenario FILES; report every problem, one per line. Exit 1 if any is invalid."""
    from planner.format import plural
    from planner.scenario.loader import load_scenario

    bad = 0
    for path in files:
        try:
            sc = load_scenario(path, overrides)
        except ScenarioError as err:
            bad += 1
            for problem in err.problems:
                click.echo(str(problem), err=True)
            continue
        for warning in sc.warnings:
            click.echo(f"Warning: {warning}", err=True)
        click.echo(f"ok: {path} ({sc.name}: {plural(len(sc.segments), 'segment')}, "
                   f"{plural(sc.horizon, 'month')}, {plural(len(sc.params), 'uncertain input')}, "
                   f"{plural(len(sc.plans), 'funding plan')})")
    if bad:
        raise click.ClickException(f"{bad} of {len(files)} file{'s' if len(files) > 1 else ''} invalid")


@click.command()
@click.option("--write", "write", is_flag=False, flag_value="", default=None, metavar="[PATH]",
              help="Write it to PATH (a file, or a folder to hold planner.schema.json; default "
                   "./planner.schema.json) instead of printing it: the file the "
                   "'# yaml-language-server: $schema=planner.schema.json' line of a scenario "
                   "points at.")
@user_errors
def schema(write):
    """Print the JSON Schema of the scenario format (for editor validation and completion)."""
    from planner.scenario.schema_file import schema_target, schema_text, write_schema

    if write is None:
        click.echo(schema_text(), nl=False)
        return
    target = schema_target(write or None)
    if target.suffix.lower() in (".yaml", ".yml"):
        raise click.UsageError(f"{write} looks like a scenario; give the schema file "
                               f"(planner.schema.json) or its folder")
    click.echo(f"Wrote {write_schema(target)}")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@user_errors
def init(path, force):
    """Write a commented starter scenario to PATH, and planner.schema.json beside it for editors."""
    from importlib.resources import files as resource_files

    from planner.io import write_text
    from planner.scenario.schema_file import schema_beside

    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{path} exists; use --force to overwrite it")
    text = resource_files("planner").joinpath("templates/starter.yaml").read_text(encoding="utf-8")
    write_text(target, text)
    schema_file = schema_beside(target)
    click.echo(f"Wrote {path} (and {schema_file}, which its first line points editors at); "
               f"edit it, then: planner validate {path} && planner run {path}")
