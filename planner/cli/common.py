"""What every command shares: one error wrapper, loading a scenario, the progress display."""
from __future__ import annotations

import contextlib
import functools
import sys
import time
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

