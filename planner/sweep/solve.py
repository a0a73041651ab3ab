"""Goal seek under uncertainty: the value of one input at which a statistic meets a target.

``planner solve --vary segments.smb.price.arpa --target 'P50(arr@2031-12) >= 50M'``.
Every trial simulates a variant of the scenario (:mod:`planner.sweep.levers`) on the
same paths and seed; draws are keyed by input, so every other input keeps its values and
the statistic is a deterministic function of the lever. The search:

1. evaluates the ends of the range and the current value (``--within LOW:HIGH``, or a
   default range around the current value, widened up to twice if it is not enough);
2. when those three are monotone and the target changes between two of them, finds the
   crossing with :func:`scipy.optimize.brentq` (whole numbers and months: bisection),
   then bisects to the tolerance, so the answer meets the target and the value one
   tolerance short of it does not, on the same draws;
3. otherwise scans a grid (on the sweep runner, so ``--workers`` runs it in parallel)
   and refines every crossing: the ranges that meet the target, or the best value found.

The minimum raise (``--vary raise --target 'P(cash_below_minimum) <= 10%'``) is one case
of it; :func:`planner.analysis.funding.minimum_raise` keeps its exact quantile method and
gives the same amount (tests/test_solve.py).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from scipy import optimize

from planner.analysis.targets import Target, TargetResult, needs, parse_target
from planner.engine.sampling import BLOCK, draw_inputs
from planner.errors import Problem, ScenarioError
from planner.scenario.model import Scenario
from planner.sweep.levers import Lever, resolve_lever
from planner.sweep.runner import Task, run_tasks
from planner.analysis.targets import _Error, _number
from planner.analysis.targets import format_statistic

#: points of the grid scanned when the first three trials do not bracket one crossing
GRID = 11
#: times a default range is widened (x10 / 10) when the target is not crossed in it
WIDEN = 2


@dataclass(frozen=True)
class Trial:
    """One simulation of the search: the lever's value and the targets there."""

    x: float
    result: TargetResult
    subject_to: tuple[TargetResult, ...] = ()

    @property
    def met(self) -> bool:
        return self.result.met


@dataclass
class Solution:
    """What a goal seek found.

    Attributes
    ----------
    lever : Lever
    target : Target
    status : {"solved", "always_met", "not_met", "not_monotone"}
    value : float or None
        The lever's value that meets the target (None when no value does); for
        ``not_monotone`` the meeting value nearest the current one.
    searched : (float, float)
        The range searched.
    ranges : list of (float, float)
        The values (within the tolerance) that meet the target.
    tolerance : float
    trials : list of Trial
        Every trial, in order of the lever's value.
    seconds : float
        Wall time of the search.
    message : str
        The answer in a sentence.
    """

    lever: Lever
    target: Target
    status: str
    value: float | None
    searched: tuple[float, float]
    ranges: list
    tolerance: float
    trials: list
    seconds: float
    message: str
    scenario: Scenario = field(repr=False)
    paths: int = 0
    seed: int = 0
    subject_to: tuple = ()

    @property
    def at(self) -> Trial | None:
        """The trial at :attr:`value`."""
        return None if self.value is None else next(t for t in self.trials if t.x == self.value)

    @property
    def best(self) -> Trial:
        """The trial closest to meeting the target."""
        return max(self.trials, key=lambda t: _score(self.target, t.result.value))

    @property
    def answer(self) -> str | None:
        """How to write the answer back (``--set KEY=VALUE`` items where possible)."""
        return None if self.value is None else self.lever.answer(self.scenario, self.value)

    def show(self, x: float) -> str:
        return self.lever.show(self.scenario, x)

    def to_dict(self) -> dict:
        at = self.at
        return {
            "vary": self.lever.key, "kind": self.lever.kind, "target": self.target.text,
            "status": self.status, "value": self.value,
            "value_shown": None if self.value is None else self.show(self.value),
            "current": self.lever.current, "statistic": None if at is None else at.result.to_dict(),
            "subject_to": [] if at is None else [r.to_dict() for r in at.subject_to],
            "subject_to_hold": None if at is None else all(r.met for r in at.subject_to),
            "set": [] if self.value is None else self.lever.set_items(self.scenario, self.value),
            "answer": self.answer, "searched": list(self.searched),
            "ranges": [list(r) for r in self.ranges], "tolerance": self.tolerance,
            "trials": len(self.trials), "seconds": round(self.seconds, 3),
            "paths": self.paths, "seed": self.seed, "message": self.message,
            "best": {"value": self.best.x, "statistic": self.best.result.to_dict()},
            "points": [[t.x, _finite(t.result.value), _finite(t.result.error), t.met] for t in self.trials],
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _score(target: Target, value: float) -> float:
    return -math.inf if math.isnan(value) else target.gap(value)


def _measure(targets: tuple[Target, ...], result) -> tuple[TargetResult, ...]:
    """Run where the task runs: only the targets' results travel back."""
    return tuple(t.evaluate(result) for t in targets)


class _Trials:
    """Simulates the lever at given values (each once), on the same paths and seed."""

    def __init__(self, scenario, lever, targets, paths, seed, plan, executor):
        self.scenario, self.lever, self.targets = scenario, lever, tuple(targets)
        self.paths, self.seed, self.plan, self.executor = paths, seed, plan, executor
        self.keep, self.by_segment = needs(self.targets)
        self.done: dict[float, Trial] = {}
        self.base_draws = None
        if lever.kind == "median":
            stop = -(-paths // BLOCK) * BLOCK
            self.base_draws = draw_inputs(scenario, seed, 0, stop)[:paths]

    def run(self, xs) -> list[Trial]:
        todo = [float(x) for x in dict.fromkeys(xs) if float(x) not in self.done]
        tasks = [Task(self.lever.scenario_at(self.scenario, x), self.paths, self.seed, self.plan,
                      self.keep, self.by_segment,
                      None if self.base_draws is None else self.lever.draws_at(self.base_draws, x),
                      label=f"{self.lever.key}={x}") for x in todo]
        executor = self.executor if len(tasks) > 1 else None
        for x, out in zip(todo, run_tasks(tasks, partial(_measure, self.targets), executor=executor)):
            self.done[x] = Trial(x, out[0], tuple(out[1:]))
        return [self.done[float(x)] for x in xs]

    def one(self, x: float) -> Trial:
        return self.run([x])[0]

    def sorted(self) -> list[Trial]:
        return [self.done[x] for x in sorted(self.done)]


def solve(scenario: Scenario, vary: str, target: str | Target, within=None, subject_to=(),
          paths: int | None = None, seed: int | None = None, executor=None, tol: float | None = None,
          *, overrides=(), plan: str | None = None, grid: int = GRID) -> Solution:
    """Find the value of one input at which a statistic meets a target.

    Parameters
    ----------
    scenario : Scenario
        Loaded from a file (the variants are built from its text with ``overrides``).
    vary : str
        The lever (see :mod:`planner.sweep.levers`): a key path, or ``raise[@YYYY-MM]``.
    target : str or Target
        E.g. ``"P50(arr@2031-12) >= 50M"`` (:mod:`planner.analysis.targets`).
    within : str or (low, high), optional
        The range searched (``"300:900"``, ``"2027-03:2028-12"``, ``"5M:40M"``); default
        the current value /10 to x10 (counts 0 to 10x, months the horizon, a raise 0 to
        10x the opening cash), widened when the target is not crossed in it.
    subject_to : sequence of str or Target
        Secondary targets, checked at the answer.
    paths, seed : int, optional
        Default: the scenario's. Every trial uses the same.
    executor : concurrent.futures.Executor, optional
        Runs the grid scan (the refinement is sequential).
    tol : float, optional
        Tolerance in the lever's unit; default 1e-4 of the current value (or of the
        range), 1 for whole numbers, months and a raise (one currency unit).
    overrides : sequence of str
        ``--set`` items the scenario was loaded with.
    plan : str, optional
        Funding plan.

    Returns
    -------
    Solution
    """
    started = time.perf_counter()
    target = target if isinstance(target, Target) else parse_target(target, scenario)
    subject = tuple(t if isinstance(t, Target) else parse_target(t, scenario, source="--subject-to")
                    for t in subject_to)
    months = isinstance(within, str) and ":" in within and "-" in within.split(":")[0][4:5]
    lever = resolve_lever(scenario, vary, overrides, months=months)
    low, high = _range(scenario, lever, within)
    tol = _tolerance(lever, low, high) if tol is None else float(tol)
    paths = scenario.paths if paths is None else int(paths)
    seed = scenario.seed if seed is None else int(seed)
    trials = _Trials(scenario, lever, (target, *subject), paths, seed, plan, executor)
    low, high = _bracket(trials, lever, target, low, high, widen=within is None)
    _search(trials, lever, target, low, high, tol, grid)
    return _solution(trials, lever, target, subject, (low, high), tol, time.perf_counter() - started)


def _range(scenario: Scenario, lever: Lever, within) -> tuple[float, float]:
    """The range searched: ``within`` (text or pair) or the lever's default."""
    if within is not None:
        low, high = _parse_within(scenario, lever, within) if isinstance(within, str) else within
        if not low < high:
            raise ScenarioError([Problem("--within", None, str(within), "expected LOW:HIGH with LOW < HIGH")])
        return float(low), float(high)
    x = lever.current
    if lever.kind == "month":
        return 0.0, float(scenario.horizon - 1)
    if lever.kind == "raise":
        cash = scenario.opening_cash
        return 0.0, float(10 * max(abs(cash) if isinstance(cash, (int, float)) else 0.0, 1e6))
    if lever.kind == "integer":
        return 0.0, float(max(10, 10 * x))
    if x == 0:
        return 0.0, 1.0
    return (x / 10, x * 10) if x > 0 else (x * 10, x / 10)


def _parse_within(scenario: Scenario, lever: Lever, text: str) -> tuple[float, float]:

    low_text, sep, high_text = text.partition(":")
    if not sep:
        raise ScenarioError([Problem("--within", None, text, "expected LOW:HIGH (e.g. 300:900, 5M:40M, "
                                                             "2027-03:2028-12)")])
    if lever.kind == "month":
        names = [str(m) for m in scenario.months]
        for part in (low_text, high_text):
            if part.strip() not in names:
                raise ScenarioError([Problem("--within", None, text,
                                             f"{part.strip()!r} is not a month of the plan ({names[0]} to {names[-1]})")])
        return float(names.index(low_text.strip())), float(names.index(high_text.strip()))
    try:
        return _number(low_text, 0, len(low_text)), _number(high_text, 0, len(high_text))
    except _Error as err:
        raise ScenarioError([Problem("--within", None, text, f"{err.message} (got {err.got!r})")]) from None


def _tolerance(lever: Lever, low: float, high: float) -> float:
    if lever.discrete:
        return 1.0
    scale = abs(lever.current) if lever.current != 0 else high - low
    return 1e-4 * scale


def _bracket(trials: _Trials, lever: Lever, target: Target, low: float, high: float,
             widen: bool) -> tuple[float, float]:
    """Evaluate the ends and the current value; widen a default range (x10, /10) while the
    target is met nowhere in it and the statistic improves towards one end."""
    for _ in range(WIDEN + 1):
        points = [low, high] + ([lever.current] if low < lever.current < high else [])
        a, b = trials.run([_snap(lever, low), _snap(lever, high)] +
                          [_snap(lever, x) for x in points[2:]])[:2]
        if not widen or lever.kind == "month" or a.met or b.met:
            break
        if _score(target, b.result.value) >= _score(target, a.result.value):
            high = high * 10 if high > 0 else high / 10 if high < 0 else 1.0
        elif lever.kind in ("raise", "integer") or low <= 0:
            break
        else:
            low = low / 10
    return _snap(lever, low), _snap(lever, high)


def _snap(lever: Lever, x: float) -> float:
    return float(round(x)) if lever.discrete else float(x)


def _crossings(points: list[Trial]) -> list[tuple[Trial, Trial]]:
    """Neighbouring trials where the target changes from met to not met or back."""
    return [(a, b) for a, b in zip(points, points[1:]) if a.met != b.met]


def _monotone(points: list[Trial]) -> bool:
    values = np.array([p.result.value for p in points])
    if np.isnan(values).any():
        return False
    steps = np.diff(values)
    return bool((steps >= 0).all() or (steps <= 0).all())


def _search(trials: _Trials, lever: Lever, target: Target, low: float, high: float, tol: float,
            grid: int) -> None:
    """Refine the crossing of a monotone bracket, or scan a grid and refine every crossing."""
    points = [t for t in trials.sorted() if low <= t.x <= high]
    pairs = _crossings(points)
    if len(pairs) != 1 or not _monotone(points):
        xs = np.linspace(low, high, grid)
        trials.run(sorted({_snap(lever, x) for x in xs}))
        pairs = _crossings([t for t in trials.sorted() if low <= t.x <= high])
    for a, b in pairs:
        _refine(trials, lever, target, a, b, tol)


def _refine(trials: _Trials, lever: Lever, target: Target, a: Trial, b: Trial, tol: float) -> None:
    """Narrow a crossing to ``tol`` (continuous: ``tol / 2``, so the rounded answer stays
    within ``tol`` of the crossing): brentq on the gap, then bisection on met."""
    if not lever.discrete and math.isfinite(a.result.value) and math.isfinite(b.result.value):
        def gap(x: float) -> float:
            value = trials.one(x).result.value
            return target.gap(value) if math.isfinite(value) else -1.0
        try:
            optimize.brentq(gap, a.x, b.x, xtol=tol / 2, maxiter=60)
        except (ValueError, RuntimeError):
            pass
        inside = [t for t in trials.sorted() if a.x <= t.x <= b.x]
        a, b = next((p, q) for p, q in _crossings(inside))
    width = tol if lever.discrete else tol / 2  # room for rounding the answer (tol / 10)
    while b.x - a.x > width:
        mid = _snap(lever, (a.x + b.x) / 2)
        if mid in (a.x, b.x):
            break
        m = trials.one(mid)
        a, b = (m, b) if m.met == a.met else (a, m)


def _solution(trials: _Trials, lever: Lever, target: Target, subject, searched, tol: float,
              seconds: float) -> Solution:
    inside = lambda: [t for t in trials.sorted() if searched[0] <= t.x <= searched[1]]  # noqa: E731
    points = inside()
    met = [t for t in points if t.met]
    if not met:
        status, value = "not_met", None
    elif len(met) == len(points):
        status, value = "always_met", min((t.x for t in met), key=lambda x: abs(x - lever.current))
    else:
        value = _rounded(trials, lever, _answer_point(points, lever.current), tol)
        status = "solved" if len(_ranges(inside())) == 1 else "not_monotone"
    solution = Solution(lever, target, status, value, searched, _ranges(inside()), tol,
                        trials.sorted(), seconds, "", trials.scenario, trials.paths, trials.seed,
                        subject)
    solution.message = _message(solution)
    return solution


def _ranges(points: list[Trial]) -> list[tuple[float, float]]:
    """Runs of neighbouring trials that meet the target, as (first, last) values."""
    ranges, run = [], []
    for t in points:
        if t.met:
            run.append(t.x)
        elif run:
            ranges.append((run[0], run[-1]))
            run = []
    if run:
        ranges.append((run[0], run[-1]))
    return ranges


def _rounded(trials: _Trials, lever: Lever, x: float, tol: float) -> float:
    """``x`` rounded to the tolerance's decimals, kept (after one more trial) if it still
    meets the target: an answer a person can paste, and checked."""
    if lever.discrete or tol <= 0:
        return x
    decimals = max(0, 1 - math.floor(math.log10(tol)))  # a step <= tol / 10
    near = [t for t in trials.sorted() if not t.met]
    fail = min(near, key=lambda t: abs(t.x - x)).x if near else x
    step = 10.0 ** -decimals
    r = math.ceil(x / step) * step if fail < x else math.floor(x / step) * step
    r = round(r, decimals)
    return r if r == x or trials.one(r).met else x


def _answer_point(points: list[Trial], current: float) -> float:
    """The meeting value at a crossing nearest the current value."""
    edges = [b.x if b.met else a.x for a, b in _crossings(points)]
    return min(edges, key=lambda x: abs(x - current))


def _message(s: Solution) -> str:
    """The answer in a sentence."""

    low, high = (s.show(x) for x in s.searched)
    best = s.best
    if s.status == "not_met":
        return (f"no value in [{low}, {high}] meets it (best: {s.target.statistic.text} = "
                f"{format_statistic(best.result, s.scenario.currency)} at {s.show(best.x)})")
    if s.status == "always_met":
        extra = ": no extra raise is needed" if s.lever.kind == "raise" else ""
        return f"every value in [{low}, {high}] meets it{extra}"
    spans = ", ".join(f"[{s.show(a)}, {s.show(b)}]" for a, b in s.ranges)
    if s.status == "not_monotone":
        return f"the statistic is not monotone in this input; these ranges meet it: {spans}"
    first, last = s.ranges[0]
    side = ("at least" if last == s.searched[1] else "at most" if first == s.searched[0]
            else "between")
    bound = s.show(s.value) if side != "between" else spans
    return f"{s.lever.key} {side} {bound} (searched [{low}, {high}])"
