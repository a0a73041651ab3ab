"""What a change does: two versions of a plan on the same draws, and who did what.

:func:`diff` simulates scenario A and scenario B with the same seed and paths. Draws are
keyed by input (:mod:`planner.engine.sampling`), so every input the two share keeps its
draws and each segment its process noise: the per-path difference B - A is the change,
not sampling noise. For each headline outcome it reports A, B, the per-path difference
(P10 / P50 / P90) and the probability that B is better on a path. The change in each
headline statistic (a P50, a probability, the minimum raise) is then split among the
changed assumptions, grouped by key path (:attr:`Change.group`), by a Shapley
decomposition (:mod:`planner.sweep.shapley`): exact over the 2**k coalitions of k <= 8
groups (each built by applying those groups' edits to A's YAML tree), else sampled
permutations with their standard errors. See docs/diff.md.
"""
from __future__ import annotations

import concurrent.futures as cf
import copy
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from planner.analysis.funding import raise_need
from planner.analysis.periods import plan_years
from planner.analysis.stats import bands
from planner.errors import ScenarioError
from planner.scenario.choices import resolve_plan
from planner.scenario.loader import scenario_from_data
from planner.scenario.model import Scenario
from planner.scenario.overrides import apply_overrides
from planner.scenario.yamltree import LineMap, parse_yaml
from planner.sweep.changes import Change, DiffError, apply_changes, read_side, tree_changes
from planner.sweep.runner import Task, run_tasks
from planner.sweep.shapley import ShapleyValues, exact_shapley, sampled_shapley

#: series a diff keeps (per segment, for the segments' ARR)
DIFF_KEEP = ("arr", "revenue", "ebitda", "cash", "cash_if_funded")
#: exact Shapley up to this many groups (2**8 = 256 runs), sampled orders above
MAX_EXACT = 8
#: confidence of the minimum raise (as ``planner run``'s default)
RAISE_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Side:
    """One version of the plan: its YAML tree and the scenario built from it."""

    label: str
    data: dict
    scenario: Scenario


@dataclass(frozen=True)
class Outcome:
    """A headline outcome: key, label, unit (money, probability, months, share) and
    ``higher`` (True: higher is better; False for burn-like outcomes)."""

    key: str
    label: str
    unit: str
    higher: bool = True


@dataclass
class Diff:
    """The result of :func:`diff` (``to_dict()`` is the ``--json`` output).

    Attributes
    ----------
    changes : list of Change
    outcomes : list of Outcome
    rows : dict of str -> dict
        Per outcome key: ``a``, ``b`` (the headline statistic), ``difference`` (per-path
        B - A as p10/p50/p90), ``p_better``, ``p_worse``, ``statistic``.
    groups : list of str
        Attributed key paths, in order of first change.
    attribution : ShapleyValues or None
        ``values[i, j]``: group i's share of the change in outcome j's statistic.
    """

    a: str
    b: str
    paths: int
    seed: int
    plans: tuple[str, str]
    window: tuple[str, str]
    changes: list[Change]
    outcomes: list[Outcome]
    rows: dict
    groups: list[str]
    attribution: ShapleyValues | None = None
    notes: list[str] = field(default_factory=list)
    currency: str = "USD"
    seconds: float = 0.0

    def outcome(self, key: str) -> Outcome:
        for o in self.outcomes:
            if o.key == key:
                return o
        raise KeyError(f"no outcome {key!r}; outcomes are {', '.join(o.key for o in self.outcomes)}")

    def contributions(self, key: str) -> dict[str, float]:
        """Group -> its contribution to the change in ``key``'s statistic (empty if none)."""
        if self.attribution is None:
            return {}
        j = [o.key for o in self.outcomes].index(key)
        return {g: float(self.attribution.values[i, j]) for i, g in enumerate(self.groups)}

    def to_dict(self) -> dict:
        return _diff_dict(self)


# -- the two sides ------------------------------------------------------------------------

def parse_side(text: str, label: str, overrides=()) -> Side:
    """A side from YAML text (``label``: the file name or ``REV:path``, used in errors)."""
    data, lines = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise DiffError(f"{label}: not a scenario (expected a mapping of keys)")
    data, sources = apply_overrides(data, overrides)
    lines.overrides.update(sources)
    return Side(label, data, scenario_from_data(copy.deepcopy(data), lines))


def load_sides(a: str, b: str | None = None, overrides=()) -> tuple[Side, Side]:
    """A and B of ``planner diff``: two files (or ``REV:path``), the edits applied to both;
    or one file and B = A with the edits."""
    text_a, label_a = read_side(a)
    if b is None:
        if not overrides:
            raise DiffError("give two scenarios (A B), or one and --set edits for B")
        side_a = parse_side(text_a, label_a)
        edits = "; ".join(overrides)
        return side_a, parse_side(text_a, f"{label_a} with --set {edits}", overrides)
    text_b, label_b = read_side(b)
    return parse_side(text_a, label_a, overrides), parse_side(text_b, label_b, overrides)


def build_variant(a: Side, changes: list[Change], label: str) -> Scenario:
    """A's tree with ``changes`` applied, validated and built (errors name ``label``)."""
    return scenario_from_data(apply_changes(a.data, changes), LineMap(label))


# -- outcomes on the months both share ----------------------------------------------------

def common_window(a: Scenario, b: Scenario) -> tuple[np.datetime64, np.datetime64]:
    """First and last month both scenarios simulate; DiffError if they share none."""
    first = max(a.months[0], b.months[0])
    last = min(a.months[-1], b.months[-1])
    if first > last:
        raise DiffError(f"nothing in common to compare: {a.source} runs {a.months[0]} to "
                        f"{a.months[-1]}, {b.source} {b.months[0]} to {b.months[-1]} (no shared months)")
    return first, last


def headline_outcomes(months: np.ndarray, segments: list[str]) -> list[Outcome]:
    """The outcomes a diff reports, for the shared ``months`` and ``segments``."""
    end = str(months[-1])
    out = [Outcome("arr_end", f"ARR at {end}", "money")]
    out += [Outcome(f"arr_end.{s}", f"ARR at {end}, {s}", "money") for s in segments]
    for name, label in (("revenue", "Revenue"), ("ebitda", "EBITDA")):
        out += [Outcome(f"{name}.y{n}", f"{label} {p.title if not p.full else _span(months, p)}",
                        "money") for n, p in enumerate(plan_years(months), start=1)]
    return out + [
        Outcome("cash_trough", "Cash trough", "money"),
        Outcome("cash_end", f"Cash at {end}", "money"),
        Outcome("cash_out", f"Cash-out probability to {end}", "probability", higher=False),
        Outcome("runway", "Runway, months", "months"),
        Outcome("minimum_raise", f"Minimum raise now ({RAISE_CONFIDENCE:.0%} of paths)", "money",
                higher=False),
        Outcome("ownership", "Ownership after rounds", "share"),
    ]


def _span(months: np.ndarray, period) -> str:
    return f"{months[period.first]} to {months[period.last]}"


def window_outcomes(result, window, segments, years) -> dict[str, np.ndarray]:
    """Per-path outcomes of ``result`` on the months ``window`` (first, last), shape (paths,).

    Cash-out and runway count from the window's first month; the minimum raise is the
    raise in that month that keeps cash above the minimum to the window's end; ownership
    is at the scenario's own horizon.
    """
    months = result.months
    if window[0] < months[0] or window[1] > months[-1]:
        raise DiffError(f"{result.scenario.source}: runs {months[0]} to {months[-1]}, "
                        f"not all of {window[0]} to {window[1]}")
    i0, i1 = int((window[0] - months[0]).astype(int)), int((window[1] - months[0]).astype(int))
    span = slice(i0, i1 + 1)
    cash = result.total("cash")[:, span]
    trough = cash.min(axis=1)
    if i0 == 0:
        trough = np.minimum(trough, result.opening["cash"])
    below = cash < 0
    out_month = np.where(below.any(axis=1), below.argmax(axis=1), cash.shape[1])
    funded = result.total("cash_if_funded")[:, span].min(axis=1)
    out = {"arr_end": result.total("arr")[:, i1]}
    out |= {f"arr_end.{s}": result.segment("arr", s)[:, i1] for s in segments}
    for name in ("revenue", "ebitda"):
        data = result.total(name)
        out |= {f"{name}.y{n}": data[:, i0 + a:i0 + b + 1].sum(axis=1)
                for n, (a, b) in enumerate(years, start=1)}
    return out | {"cash_trough": trough, "cash_end": cash[:, -1],
                  "cash_out": (out_month < cash.shape[1]).astype(float),
                  "runway": out_month.astype(float),
                  "minimum_raise": np.maximum(0.0, result.minimum_cash - funded),
                  "ownership": result.ownership.astype(float)}


def statistic(key: str, values: np.ndarray) -> float:
    """The headline number of an outcome: its P50, the cash-out probability, or the
    minimum raise (the shortfall covered on ``RAISE_CONFIDENCE`` of paths)."""
    if key == "cash_out":
        return float(values.mean())
    if key == "minimum_raise":
        need = raise_need(values, month="", confidence=RAISE_CONFIDENCE, until="horizon",
                          minimum_cash=0.0)
        return float("inf") if need.amount is None else need.amount
    return float(np.median(values))


def _stats(result, window, segments, years, keys) -> np.ndarray:
    values = window_outcomes(result, window, segments, years)
    return np.array([statistic(k, values[k]) for k in keys])


def compare_rows(outcomes: list[Outcome], a: dict, b: dict) -> dict:
    """Per outcome: A, B, the per-path difference bands and P(B better / worse)."""
    rows = {}
    for o in outcomes:
        d = b[o.key] - a[o.key]
        better, worse = (d > 0, d < 0) if o.higher else (d < 0, d > 0)
        rows[o.key] = {"label": o.label, "unit": o.unit, "higher_is_better": o.higher,
                       "statistic": _statistic_name(o.key),
                       "a": statistic(o.key, a[o.key]), "b": statistic(o.key, b[o.key]),
                       "difference": bands(d), "p_better": float(better.mean()),
                       "p_worse": float(worse.mean())}
        rows[o.key]["change"] = rows[o.key]["b"] - rows[o.key]["a"]
    return rows


def _statistic_name(key: str) -> str:
    return {"cash_out": "probability", "minimum_raise": f"P{RAISE_CONFIDENCE * 100:.0f} shortfall"
            }.get(key, "P50")


# -- the diff -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Setup:
    """What every run of a diff shares: paths, seed, plan, the months and segments compared."""

    paths: int
    seed: int
    plan: str | None
    window: tuple
    segments: tuple[str, ...]
    years: tuple[tuple[int, int], ...]
    keys: tuple[str, ...]

    def task(self, scenario: Scenario, label: str) -> Task:
        plan = resolve_plan(scenario, self.plan)
        return Task(scenario, self.paths, self.seed, plan, DIFF_KEEP, True, label=label)

    def per_path(self):
        return functools.partial(window_outcomes, window=self.window, segments=self.segments,
                                 years=self.years)

    def stats(self):
        return functools.partial(_stats, window=self.window, segments=self.segments,
                                 years=self.years, keys=self.keys)


def diff(a: Side, b: Side, *, paths: int | None = None, seed: int | None = None,
         plan: str | None = None, executor: cf.Executor | None = None,
         permutations: int = 64, max_exact: int = MAX_EXACT,
         progress: Callable[[int, int], None] | None = None) -> Diff:
    """Compare B with A on the same draws and attribute the change to each changed group.

    Parameters
    ----------
    a, b : Side
        From :func:`load_sides` or :func:`parse_side`.
    paths, seed : int, optional
        Default: A's ``simulation.paths`` and ``simulation.seed`` (both sides use them).
    plan : str, optional
        Funding plan for both (default: each side's own default plan).
    executor : concurrent.futures.Executor, optional
        Runs the 2 + 2**k simulations (:func:`planner.sweep.runner.run_tasks`).
    permutations : int
        Orders sampled when there are more than ``max_exact`` groups.

    Returns
    -------
    Diff
    """
    import time

    started = time.perf_counter()
    setup, notes, outcomes = _setup(a, b, paths, seed, plan)
    ends = run_tasks([setup.task(a.scenario, a.label), setup.task(b.scenario, b.label)],
                     setup.per_path(), executor=executor)
    rows = compare_rows(outcomes, *ends)
    changes = tree_changes(a.data, b.data)
    notes += [f"not simulated: {c.line()} (both sides run {setup.paths:,} paths on seed {setup.seed})"
              for c in changes if not c.simulated]
    changes = grouped(changes)
    groups = list(dict.fromkeys(c.group for c in changes if c.simulated))
    ends_stats = [np.array([rows[k][s] for k in setup.keys]) for s in ("a", "b")]
    attribution = None
    if groups:
        try:
            attribution = attribute(a, changes, groups, setup, ends_stats, executor=executor,
                                    permutations=permutations, max_exact=max_exact,
                                    progress=progress)
        except (ScenarioError, DiffError) as err:
            first = str(err).splitlines()[0]
            notes.append(f"no attribution: the changes cannot be applied one group at a time "
                         f"({first}); only A and B are compared")
    sides = (a.scenario, b.scenario)
    return Diff(a.label, b.label, setup.paths, setup.seed,
                tuple(resolve_plan(s, plan) for s in sides),
                tuple(str(w) for w in setup.window), changes, outcomes, rows, groups, attribution,
                notes, a.scenario.currency, time.perf_counter() - started)


def _setup(a: Side, b: Side, paths, seed, plan) -> tuple[_Setup, list[str], list[Outcome]]:
    sa, sb = a.scenario, b.scenario
    first, last = common_window(sa, sb)
    months = np.arange(first, last + 1)
    notes = []
    if not (np.array_equal(sa.months, months) and np.array_equal(sb.months, months)):
        notes.append(f"compared on the months both simulate, {first} to {last} (A: {sa.months[0]} "
                     f"to {sa.months[-1]}, B: {sb.months[0]} to {sb.months[-1]}); other months "
                     f"left out; ownership is at each side's own horizon")
    shared = tuple(s for s in sa.segment_names if s in sb.segment_names)
    only = [f"{s} (only in A)" for s in sa.segment_names if s not in shared]
    only += [f"{s} (only in B)" for s in sb.segment_names if s not in shared]
    if only:
        notes.append(f"segment outcomes only for segments in both; left out {', '.join(only)} "
                     f"(company totals include every segment of each side)")
    outcomes = headline_outcomes(months, list(shared))
    years = tuple((p.first, p.last) for p in plan_years(months))
    setup = _Setup(sa.paths if paths is None else int(paths), sa.seed if seed is None else int(seed),
                   plan, (first, last), shared, years, tuple(o.key for o in outcomes))
    return setup, notes, outcomes


def grouped(changes: list[Change]) -> list[Change]:
    """The changes, those that name an added or removed segment elsewhere (its COGS line,
    ``segments: x`` of a role) attributed to that segment's group: apart they would not
    be a valid scenario."""
    moved = {c.path[1]: c.group for c in changes
             if len(c.path) == 2 and c.path[0] == "segments" and c.kind in ("added", "removed")}
    out = []
    for c in changes:
        owner = next((moved[p] for p in c.path[1:] if isinstance(p, str) and p in moved), None)
        if c.path[0] != "segments" and owner is not None:
            c = dataclasses.replace(c, group_key=owner)
        out.append(c)
    return out


def attribute(a: Side, changes: list[Change], groups: list[str], setup: _Setup,
              ends: list[np.ndarray], *, executor=None, permutations: int = 64,
              max_exact: int = MAX_EXACT, progress=None) -> ShapleyValues:
    """Shapley values of ``groups`` for every headline statistic.

    Coalition ``mask`` is A's tree with the changes of the groups in ``mask`` applied; the
    empty and the full coalition are A and B themselves (``ends``: their statistics).
    """
    k = len(groups)
    by_group = [[c for c in changes if c.simulated and c.group == g] for g in groups]

    def evaluate(masks) -> np.ndarray:
        inner = [m for m in masks if 0 < m < (1 << k) - 1]
        tasks = [setup.task(build_variant(a, _members(by_group, m), _label(groups, m)),
                            _label(groups, m)) for m in inner]
        found = dict(zip(inner, run_tasks(tasks, setup.stats(), executor=executor,
                                          progress=progress)))
        found[0], found[(1 << k) - 1] = ends
        return np.array([found[m] for m in masks])

    if k <= max_exact:
        masks = list(range(1 << k))
        return ShapleyValues(exact_shapley(evaluate(masks)), None, "exact", len(masks))
    return sampled_shapley(evaluate, k, permutations, seed=setup.seed)


def _members(by_group: list[list[Change]], mask: int) -> list[Change]:
    return [c for i, group in enumerate(by_group) if mask >> i & 1 for c in group]


def _label(groups: list[str], mask: int) -> str:
    return "A + " + ", ".join(g for i, g in enumerate(groups) if mask >> i & 1)


def _diff_dict(d: Diff) -> dict:
    """JSON-ready :class:`Diff` (non-finite numbers as null)."""
    att = d.attribution
    attribution = None
    if att is not None:
        attribution = {"method": att.method, "groups": d.groups, "runs": att.coalitions,
                       "permutations": att.permutations,
                       "contributions": {o.key: d.contributions(o.key) for o in d.outcomes}}
        if att.errors is not None:
            attribution["standard_errors"] = {
                o.key: {g: float(att.errors[i, j]) for i, g in enumerate(d.groups)}
                for j, o in enumerate(d.outcomes)}
    return _finite({"a": d.a, "b": d.b, "paths": d.paths, "seed": d.seed, "same_draws": True,
                    "plans": {"a": d.plans[0], "b": d.plans[1]},
                    "compared": {"from": d.window[0], "to": d.window[1]},
                    "currency": d.currency, "changes": [c.to_dict() for c in d.changes],
                    "outcomes": d.rows, "attribution": attribution, "notes": d.notes,
                    "seconds": round(d.seconds, 2)})


def _finite(value):
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
