"""The input a goal seek varies (``planner solve --vary KEY``): a :class:`Lever`.

A lever is one value that builds a variant of the scenario. What ``KEY`` names decides
its kind:

- ``number``: a number in the file (``segments.smb.price.arpa``), or the start of a
  growth series (``segments.smb.acquisition.marketing_budget``: its ``start``);
- ``integer``: a hire count (``costs.headcount[0].hires.2027-04``) or a role's
  ``start`` headcount; searched over whole numbers;
- ``month``: a month in the file (``funding.plans.one_round[0].month``), or the date of
  a hire when ``--within`` is a range of months (the hires move, their count is kept);
- ``scale``: a ``{schedule: ...}`` series, every step scaled by the same factor (1 = as
  planned);
- ``median``: an uncertain input (``{dist: ...}``): its median, with its shape kept (the
  input's draws are scaled by new median / old median, so every path keeps its rank);
- ``raise``: ``raise`` or ``raise@YYYY-MM``: an extra committed equity amount in the
  first month (or that month), the question :func:`planner.analysis.funding.minimum_raise`
  answers exactly.

Every variant is built from the scenario file with ``--set``-style overrides
(:mod:`planner.scenario.overrides`), so the other inputs keep their keyed draws.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from planner.errors import Problem, ScenarioError
from planner.scenario.build import build_scenario
from planner.scenario.loader import parse_scenario, read_text
from planner.scenario.model import Round, Scenario
from planner.scenario.overrides import apply_overrides, parse_key_path
from planner.scenario.schema import scenario_spec
from planner.scenario.spec import Context
from planner.scenario.yamltree import dotted, parse_yaml

KINDS = ("number", "integer", "month", "scale", "median", "raise")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _problem(message: str, key: str = "") -> ScenarioError:
    return ScenarioError([Problem("--vary", None, key, message)])


@dataclass(frozen=True)
class Lever:
    """One input a goal seek varies.

    Attributes
    ----------
    key : str
        As given to ``--vary``.
    kind : str
        One of :data:`KINDS`.
    current : float
        Its value in the scenario (month index for ``month``; 1.0 for ``scale``; 0 for
        ``raise``).
    path : tuple
        Key path in the file (``raise``: empty).
    text, source : str
        The scenario file's text and name, and the ``--set`` items already applied.
    overrides : tuple of str
    column : int
        Draws column of a ``median`` lever (-1 otherwise).
    month : int
        Month index of a ``raise`` (or the hire month moved by a hire-date lever).
    steps : tuple of (str, float)
        The schedule of a ``scale`` lever.
    """

    key: str
    kind: str
    current: float
    path: tuple
    text: str = dataclasses.field(repr=False)
    source: str = ""
    overrides: tuple[str, ...] = ()
    column: int = -1
    month: int = 0
    steps: tuple = ()
    bounds: tuple = (None, None)

    @property
    def discrete(self) -> bool:
        """Searched over whole numbers (counts, month indices, currency units of a raise)."""
        return self.kind in ("integer", "month", "raise")

    def scenario_at(self, base: Scenario, x: float) -> Scenario:
        """The variant of the scenario with the lever at ``x``."""
        if self.kind == "raise":
            extra = Round("extra raise (solve)", self.month, float(x))
            return dataclasses.replace(base, rounds=base.rounds + (extra,))
        if self.kind == "median":
            return base
        if self.kind == "month" and self.path[-1] != "month" and _is_hire(self.path):
            return self._moved_hire(base, int(round(x)))
        return parse_scenario(self.text, self.source, self.overrides + tuple(self.set_items(base, x)))

    def draws_at(self, base_draws: np.ndarray, x: float) -> np.ndarray | None:
        """Input values of a ``median`` lever at ``x`` (others: None, the scenario's own)."""
        if self.kind != "median":
            return None
        out = base_draws.copy()
        column = out[:, self.column]
        moved = column * (x / self.current) if self.current != 0 else column + x
        low, high = self.bounds
        out[:, self.column] = np.clip(moved, -np.inf if low is None else low, np.inf if high is None else high)
        return out

    def set_items(self, base: Scenario, x: float) -> list[str]:
        """The ``--set`` items that put the lever at ``x`` (empty for a raise or a median)."""
        key = dotted(self.path)
        if self.kind == "scale":
            return [f"{key}.schedule.{month}={_number(v * x)}" for month, v in self.steps]
        if self.kind == "month":
            return [f"{key}={base.months[int(round(x))]}"]
        if self.kind == "integer":
            return [f"{key}={int(round(x))}"]
        if self.kind in ("raise", "median"):
            return []
        return [f"{key}={_number(x)}"]

    def show(self, base: Scenario, x: float) -> str:
        """The value as a person reads it (a month as YYYY-MM, a factor as x1.25)."""
        if self.kind == "month":
            return str(base.months[int(round(np.clip(x, 0, base.horizon - 1)))])
        if self.kind == "scale":
            return f"x{x:.4g}"
        if self.kind in ("integer", "raise"):
            return f"{int(round(x)):,}"
        return f"{x:.6g}"

    def answer(self, base: Scenario, x: float) -> str:
        """How to write the answer back: ``--set`` items, or what to change in the file."""
        items = self.set_items(base, x)
        if self.kind == "month" and _is_hire(self.path) and self.path[-1] != "month":
            return (f"move the hires of {self.path[-1]} in {dotted(self.path[:-1])} to "
                    f"{self.show(base, x)}")
        if self.kind == "raise":
            return (f"raise {int(round(x)):,} {base.currency} more in {base.months[self.month]} "
                    f"(a committed round)")
        if self.kind == "median":
            return (f"scale {self.key} so that its median is {x:.6g} (every number of the "
                    f"distribution times {x / self.current:.6g}, keeping its shape)")
        return " ".join(f"--set {item}" for item in items)

    def _moved_hire(self, base: Scenario, index: int) -> Scenario:
        data, lines = parse_yaml(self.text, self.source)
        data, sources = apply_overrides(data, self.overrides)
        lines.overrides.update(sources)
        hires = data
        for part in self.path[:-1]:
            hires = hires[part]
        month = str(base.months[index])
        count = hires.pop(self.path[-1])
        hires[month] = hires.get(month, 0) + count
        ctx = Context(lines)
        spec = scenario_spec().check(data, (), ctx)
        built = build_scenario(spec, ctx)
        if ctx.problems or built is None:
            raise ScenarioError(ctx.problems)
        return built


def _is_hire(path: tuple) -> bool:
    return len(path) >= 2 and path[-2] == "hires"


def _number(x: float) -> str:
    return repr(float(x)) if not float(x).is_integer() else str(int(x))


def resolve_lever(scenario: Scenario, key: str, overrides=(), months: bool = False) -> Lever:
    """The lever ``key`` names in ``scenario`` (read again from ``scenario.source``).

    Parameters
    ----------
    months : bool
        ``--within`` is a range of months: a hire count key becomes the hire's date.

    Raises
    ------
    ScenarioError
        For a key that is not in the file or not something a goal seek can vary.
    """
    if scenario.source.startswith("<"):
        raise _problem("goal seek re-reads the scenario file; load it from a file", key)
    text = read_text(scenario.source)
    overrides = tuple(overrides)
    raise_at = re.fullmatch(r"raise(?:@(\d{4}-\d{2}))?", key.strip())
    if raise_at:
        months_text = [str(m) for m in scenario.months]
        month = raise_at.group(1) or months_text[0]
        if month not in months_text:
            raise _problem(f"{month} is outside the plan ({months_text[0]} to {months_text[-1]})", key)
        return Lever(key, "raise", 0.0, (), text, scenario.source, overrides, month=months_text.index(month))
    try:
        path = parse_key_path(key.strip())
    except ValueError:
        raise _problem("expected a dotted key path such as segments.smb.price.arpa, or raise", key) from None
    data, _ = parse_yaml(text, scenario.source)
    data, _ = apply_overrides(data, overrides)
    value = _lookup(data, path, key)
    return _lever_for(scenario, key, path, value, text, overrides, months)


def _lookup(data, path: tuple, key: str):
    node = data
    for depth, part in enumerate(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            import difflib

            choices = [str(k) for k in node] if isinstance(node, dict) else []
            hint = difflib.get_close_matches(str(part), choices, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise _problem(f"no such entry in the scenario: {dotted(path[: depth + 1])}{extra}", key) from None
    return node


def _lever_for(scenario, key, path, value, text, overrides, months) -> Lever:
    make = lambda kind, current, **kw: Lever(key, kind, float(current), path, text,  # noqa: E731
                                             scenario.source, overrides, **kw)
    names = [str(m) for m in scenario.months]
    if _is_hire(path) and months:
        if path[-1] not in names:
            raise _problem(f"the hire month {path[-1]} is outside the plan", key)
        return make("month", names.index(path[-1]), month=names.index(path[-1]))
    if isinstance(value, bool):
        raise _problem("is a yes/no setting, not a number to vary", key)
    if isinstance(value, (int, float)):
        integer = _is_hire(path) or (len(path) >= 3 and path[0] == "costs" and path[-1] == "start")
        return make("integer" if integer else "number", value)
    if isinstance(value, str) and _MONTH.match(value):
        if value not in names:
            raise _problem(f"{value} is outside the plan", key)
        return make("month", names.index(value))
    if isinstance(value, dict) and "dist" in value:
        column = next((p.index for p in scenario.params if p.path == dotted(path)), None)
        if column is None:
            raise _problem("is not one of the scenario's uncertain inputs", key)
        median = float(scenario.params[column].dist.median())
        if not math.isfinite(median):
            raise _problem("its distribution has no finite median", key)
        param = scenario.params[column]
        return make("median", median, column=column, bounds=(param.low, param.high))
    if isinstance(value, dict) and "start" in value and isinstance(value["start"], dict):
        # a growth series whose start is uncertain: vary the start's median
        return _lever_for(scenario, key, path + ("start",), value["start"], text, overrides, months)
    if isinstance(value, dict) and "start" in value and isinstance(value["start"], (int, float)):
        return dataclasses.replace(make("number", value["start"]), path=path + ("start",))
    if isinstance(value, dict) and isinstance(value.get("schedule"), dict):
        steps = tuple(value["schedule"].items())
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for _, v in steps):
            raise _problem("a schedule is scaled only when every step is a number", key)
        return make("scale", 1.0, steps=steps)
    raise _problem("is not a number, a month, a growth series, a schedule or a distribution; "
                   "a goal seek varies one of those", key)
