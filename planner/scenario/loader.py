"""Load a scenario file: read, parse, apply overrides, validate, normalise."""
from __future__ import annotations

import os

from planner.errors import Problem, ScenarioError
from planner.scenario.build import build_scenario
from planner.scenario.overrides import apply_overrides
from planner.scenario.schema import scenario_spec
from planner.scenario.spec import Context
from planner.scenario.yamltree import MAX_BYTES, LineMap, parse_yaml
from planner.scenario.model import Scenario


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file, turning OS and encoding errors into ScenarioError."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)  # never more: a huge file is refused unread
    except FileNotFoundError:
        raise ScenarioError([Problem(source, None, "", "file not found")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(source, None, "", "is a directory, not a scenario file")]) from None
    except OSError as err:
        raise ScenarioError([Problem(source, None, "", f"cannot read file: {err.strerror}")]) from None
    if len(data) > MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", f"the file is larger than {MAX_BYTES:,} "
                                                       f"bytes, the most a scenario may have")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ScenarioError([Problem(source, None, "", f"not a UTF-8 text file (byte {err.start})")]) from None


def load_scenario(path: str | os.PathLike, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : path-like
        The YAML file.
    overrides : sequence of str
        ``dotted.path=VALUE`` items applied before validation (the CLI's ``--set``).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Every problem found, each with file, line, key path and what was expected.
    """
    return parse_scenario(read_text(path), str(path), overrides)


def parse_scenario(text: str, source: str = "<string>",
                   overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Validate scenario YAML given as text (see :func:`load_scenario`)."""
    data, lines = parse_yaml(text, source)
    if data is None:
        raise ScenarioError([Problem(source, None, "", "the file is empty; expected a scenario "
                                                       "mapping (try `planner init`)")])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, 1, "", "the top level must be a mapping of keys "
                                                    "(name:, start:, segments:, ...)")])
    data, sources = apply_overrides(data, overrides)
    lines.overrides.update(sources)
    return scenario_from_data(data, lines)


def scenario_from_data(data: dict, lines: LineMap, ledgers: dict | None = None) -> Scenario:
    """Validate and build a scenario from its parsed YAML tree (``lines``: where each key
    is, for the problems; a fresh ``LineMap(source)`` for a tree built in code).
    ``ledgers``: ledgers already read, ``{(path, mapping path or None): Ledger}`` (absolute
    paths; or ``(Ledger, its month-end book)``), that ``opening.from_actuals`` uses instead
    of reading them again."""
    ctx = Context(lines)
    ctx.ledgers = dict(ledgers or {})
    spec = scenario_spec().check(data, (), ctx)
    # cross-key checks run even after field problems, so every problem is reported at once
    try:
        scenario = build_scenario(spec, ctx)
    except (TypeError, KeyError, AttributeError, ValueError, IndexError):
        if not ctx.problems:
            raise  # a bug: keep the traceback
        scenario = None  # a check tripped over a value already reported as wrong
    if ctx.problems or scenario is None:
        # in file order (overrides, which have no line, first), as an editor shows them
        raise ScenarioError(sorted(ctx.problems, key=lambda p: p.line or 0))
    return scenario
