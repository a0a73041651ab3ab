"""What every command shares: one error wrapper, loading a scenario, the progress display,
the line saying what was written."""
from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path

import click

from planner.errors import PlannerError, Problem, ScenarioError

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
    package = Path(__file__).resolve().parent.parent
    checkout = package.parent / "scenarios" / DEFAULT_SCENARIO
    return checkout if checkout.exists() else package / "data" / DEFAULT_SCENARIO


def load(path: str | None, overrides: tuple[str, ...] = (), sampling: str | None = None):
    """Load a scenario (default: the bundled one); its warnings go to stderr."""
    from planner.scenario.loader import load_scenario

    if path is None:
        path = str(default_scenario_path())
    if sampling is not None:
        overrides = tuple(overrides) + (f"simulation.sampling={sampling}",)
    scenario = load_scenario(path, overrides)
    for warning in scenario.warnings:
        click.echo(f"Warning: {warning}", err=True)  # located: file:line: key: ...
    return scenario


def as_option_errors(func):
    """Name the CLI option (``--plan``, ``--raise-month``) in errors the library raises
    about the same argument under its Python name."""
    names = {"plan": "--plan", "raise_month": "--raise-month"}

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ScenarioError as err:
            problems = [Problem(names.get(p.file, p.file), p.line, p.path, p.message)
                        if p.line is None else p for p in err.problems]
            raise ScenarioError(problems) from None
    return wrapper


@contextlib.contextmanager
def progress_bar(enabled: bool = True, phases=(), *, paths: int = 2_000, verbose: bool = False):
    """A :class:`planner.cli.progress.Progress` hook on stderr (a terminal, or anywhere
    with ``verbose``), closed on the way out; None when ``enabled`` is false or nothing
    is to be shown."""
    from planner.cli.progress import progress_for

    hook = progress_for(phases, paths=paths, verbose=verbose) if enabled or verbose else None
    try:
        yield hook
    finally:
        if hook is not None:
            hook.close()


def stage(progress, name: str) -> None:
    """Tell a progress hook (or None) that phase ``name`` starts: the CLI's own phases,
    such as loading the library, without importing :mod:`planner.run`."""
    if progress is not None and hasattr(progress, "stage"):
        progress.stage(name)


def wrote_line(files, verbose: bool = False) -> str:
    """``Wrote 12 files to outputs/series-a/ (listed in manifest.json)``: one line for
    what a command wrote (one file: its path); ``verbose`` lists each file below it."""
    files = [Path(f) for f in files]
    if not files:
        return "Wrote no files"
    if len(files) == 1:
        return f"Wrote {files[0]}"
    folder = Path(os.path.commonpath([str(f.parent) for f in files]))
    listed = any(f.name == "manifest.json" and f.parent == folder for f in files)
    line = (f"Wrote {len(files)} files to {folder}{os.sep}"
            + (" (listed in manifest.json)" if listed else ""))
    if verbose:
        line += "".join(f"\n  {f.relative_to(folder)}" for f in files)
    return line
