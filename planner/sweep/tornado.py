"""Tornado and spider: a statistic recomputed with one input pinned, every other input
keeping its own draws.

Draws are keyed by input (:mod:`planner.engine.sampling`), so pinning one column with
``simulate(draws=pinned(...))`` leaves every other input's values bit-identical on every
path, and process noise keeps its own streams: the change in the statistic is the
effect of that input alone, with no sampling noise between variants (common random
numbers). A **tornado** swings each uncertain input from a low to a high percentile of
its own truncated distribution (P10 to P90 by default) and ranks the inputs by the
swing; ``vary`` adds certain inputs with a range the user gives (applied as ``--set``
overrides, so a price, a hire date or a budget can be swung too). A **spider** moves
each input through :data:`~planner.sweep.sensitivity.SPIDER_PERCENTILES`.

Inputs correlated with others are pinned alone (their partners keep their own draws), as
tornado charts conventionally do; the Sobol analysis reports them as a group.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from planner.engine.sampling import draw_inputs
from planner.errors import PlannerError
from planner.sweep.setup import (SPIDER_PERCENTILES, Setup, input_quantile, pinned,
                                       uncertain_inputs)
from planner.scenario.loader import load_scenario


@dataclass(frozen=True)
class TornadoRow:
    """One bar.

    Attributes
    ----------
    input : str
        Key path.
    kind : {"uncertain", "varied"}
        An uncertain input at percentiles of its distribution, or a certain one over a
        user range (``vary``).
    low, high : float
        The input's low and high values.
    at_low, at_high : float
        The statistic with the input pinned there.
    swing : float
        ``|at_high - at_low|``, what the bars are ranked by.
    """

    input: str
    kind: str
    low: float
    high: float
    at_low: float
    at_high: float
    swing: float


@dataclass
class PinnedAnalysis:
    """What a tornado and a spider share: the statistic on the scenario's own draws and
    the inputs pinned at percentiles.

    Attributes
    ----------
    scenario, plan, statistic, outcome : str
    unit : str
        The statistic's unit (``money``, ``months``, ``fraction``, ...).
    currency : str
    base : float
        The statistic on the scenario's own draws.
    percentiles : tuple of float
        The percentiles the uncertain inputs are pinned at.
    paths, seed : int
    """

    scenario: str
    plan: str
    statistic: str
    outcome: str
    unit: str
    currency: str
    base: float
    percentiles: tuple[float, ...]
    paths: int
    seed: int

    def to_dict(self) -> dict:
        out = asdict(self)
        out["percentiles"] = list(self.percentiles)
        return out


@dataclass
class Tornado(PinnedAnalysis):
    """A tornado analysis: bars ranked by swing, largest first; ``percentiles`` are the low
    and high ones.

    Attributes
    ----------
    rows : list of TornadoRow
    notes : list of str
    """

    rows: list[TornadoRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Spider(PinnedAnalysis):
    """A spider analysis: the statistic as each input moves through its percentiles.

    Attributes
    ----------
    rows : list of dict
        ``input``, ``values`` (the input at each percentile, length k) and ``statistic``
        (the statistic with the input pinned there, length k).
    """

    rows: list[dict] = field(default_factory=list)


def pinned_statistics(setup: Setup, statistic, percentiles) -> tuple[float, list[tuple]]:
    """The statistic with each uncertain input pinned at each percentile.

    Parameters
    ----------
    percentiles : sequence of float, shape (k,)

    Returns
    -------
    base : float
        The statistic on the scenario's own draws.
    rows : list of (Param, ndarray shape (k,), ndarray shape (k,))
        Each input, its values at the percentiles and the statistic there.
    """
    params = uncertain_inputs(setup.scenario, setup.plan)
    q = np.asarray(percentiles, dtype=float)
    values = [input_quantile(p, q) for p in params]
    if setup.scenario.process_noise:  # one run per variant: each keeps the base's noise
        tasks = [setup.task(label="base")]
        tasks += [setup.task(pinned(p.index, v), label=f"{p.path}={v:g}")
                  for p, vs in zip(params, values) for v in vs]
        results = setup.evaluate(tasks)
    else:  # the variants stacked along the path axis (Setup.evaluate_rows)
        own = draw_inputs(setup.scenario, setup.seed, 0, setup.paths)
        stacked = [own]
        for p, vs in zip(params, values):
            for v in vs:
                variant = own.copy()
                variant[:, p.index] = v
                stacked.append(variant)
        results = np.split(setup.evaluate_rows(np.concatenate(stacked)), len(stacked))
    base = statistic.of(results[0])
    stats = np.array([statistic.of(r) for r in results[1:]]).reshape(len(params), len(q))
    return base, [(p, v, s) for p, v, s in zip(params, values, stats)]


def tornado(setup: Setup, statistic, *, swing=(0.1, 0.9), vary=None, loader=None,
            spider: Spider | None = None) -> Tornado:
    """Swing every uncertain input from its ``swing[0]`` to its ``swing[1]`` percentile.

    Parameters
    ----------
    setup : Setup
        :func:`planner.sweep.sensitivity.make_setup`.
    statistic : Statistic
        Recomputed on every variant (``statistic.of(values)``).
    swing : (float, float)
        Low and high percentiles, in (0, 1).
    vary : dict of str -> (float, float), optional
        Certain inputs (key paths, as ``--set`` takes them) and the low and high values
        to swing them over.
    loader : callable, optional
        ``loader(overrides: tuple of str) -> Scenario``; default: reload
        ``setup.scenario.source`` with the overrides.
    spider : Spider, optional
        Reuse its runs when it has both percentiles.

    Returns
    -------
    Tornado
    """
    lo, hi = (float(s) for s in swing)
    if not 0 < lo < hi < 1:
        raise PlannerError(f"the tornado range must be two percentiles with 0 < low < high < 100 "
                           f"(got {100 * lo:g}:{100 * hi:g})")
    if spider is not None and {lo, hi} <= set(spider.percentiles):
        i, j = spider.percentiles.index(lo), spider.percentiles.index(hi)
        base = spider.base
        rows = [TornadoRow(r["input"], "uncertain", r["values"][i], r["values"][j],
                           r["statistic"][i], r["statistic"][j],
                           abs(r["statistic"][j] - r["statistic"][i])) for r in spider.rows]
    else:
        base, pinned_rows = pinned_statistics(setup, statistic, (lo, hi))
        rows = [TornadoRow(p.path, "uncertain", float(v[0]), float(v[1]), float(s[0]), float(s[1]),
                           float(abs(s[1] - s[0]))) for p, v, s in pinned_rows]
    rows += _varied_rows(setup, statistic, vary or {}, loader)
    rows.sort(key=lambda r: -r.swing)
    notes = _notes(setup)
    return Tornado(setup.scenario.name, setup.plan, statistic.text, statistic.outcome.text,
                   statistic.unit, setup.scenario.currency, float(base), (lo, hi), setup.paths,
                   setup.seed, rows, notes)


def _varied_rows(setup: Setup, statistic, vary: dict, loader) -> list[TornadoRow]:
    """Bars of certain inputs swung over a user range, each end a reloaded scenario."""
    if not vary:
        return []
    if loader is None:

        def loader(overrides):
            return load_scenario(setup.scenario.source, overrides)
    tasks = []
    for key, (low, high) in vary.items():
        for value in (low, high):
            variant = loader((f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}",))
            if len(variant.params) != len(setup.scenario.params):
                raise PlannerError(f"--vary {key}: the key must be a certain input (a number), "
                                   "not one with a distribution")
            tasks.append(setup.task(scenario=variant, label=f"{key}={value}"))
    stats = [statistic.of(v) for v in setup.evaluate(tasks)]
    return [TornadoRow(key, "varied", float(low), float(high), stats[2 * k], stats[2 * k + 1],
                       abs(stats[2 * k + 1] - stats[2 * k]))
            for k, (key, (low, high)) in enumerate(vary.items())]


def _notes(setup: Setup) -> list[str]:
    sc = setup.scenario
    notes = ["every other input keeps its own draws on every path (common random numbers)"]
    skipped = [p.path for p in sc.params if p not in uncertain_inputs(sc, setup.plan)]
    if skipped:
        notes.append(f"inputs of other funding plans left out (plan {setup.plan} does not use "
                     f"them): {', '.join(skipped)}")
    if sc.correlation is not None:
        notes.append("correlated inputs are pinned one at a time, their partners keeping their "
                     "own draws; the Sobol indices report them as a group")
    if sc.process_noise:
        notes.append("process noise keeps its own streams in every variant")
    return notes


def spider(setup: Setup, statistic, percentiles=SPIDER_PERCENTILES) -> Spider:
    """The statistic as each uncertain input moves through ``percentiles``.

    Parameters
    ----------
    setup : Setup
    statistic : Statistic
    percentiles : sequence of float, shape (k,)

    Returns
    -------
    Spider
        One row per input, ordered by the range of the statistic over the percentiles.
    """
    percentiles = tuple(float(p) for p in percentiles)
    base, pinned_rows = pinned_statistics(setup, statistic, percentiles)
    rows = [{"input": p.path, "values": [float(x) for x in v], "statistic": [float(x) for x in s]}
            for p, v, s in pinned_rows]
    rows.sort(key=lambda r: -(max(r["statistic"]) - min(r["statistic"])))
    return Spider(setup.scenario.name, setup.plan, statistic.text, statistic.outcome.text,
                  statistic.unit, setup.scenario.currency, float(base), percentiles, setup.paths,
                  setup.seed, rows)
