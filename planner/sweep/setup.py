"""What a sensitivity analysis varies, and how: the uncertain inputs a plan uses, an
input's quantiles on its truncated distribution, pinned columns of the draws, the
analysis set-up (scenario, paths, seed, outcome) and the groups of inputs reported
together (user groups and correlated inputs). Shared by the tornado, the spider and the
Sobol indices."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from planner.engine.correlation import groups as correlated_components
from planner.engine.sampling import BLOCK
from planner.errors import PlannerError
from planner.results import SimulationResult
from planner.scenario.model import Scenario
from planner.scenario.spec import Param
from planner.sweep.runner import Task, run_tasks


#: the percentiles a spider chart moves each input through
SPIDER_PERCENTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)


#: the method named next to the cheap drivers estimate
#: rows of a stacked task (8 blocks of paths): see :meth:`Setup.evaluate_rows`
ROWS_PER_TASK = 8 * BLOCK


def uncertain_inputs(scenario: Scenario, plan: str | None = None) -> list[Param]:
    """The uncertain inputs that can move an outcome under ``plan``.

    Inputs of other funding plans (``funding.plans.<other>...``) are left out: the
    simulation of one plan never reads them.

    Returns
    -------
    list of Param
        In the order of ``scenario.params`` (draw columns ``param.index``).
    """
    chosen = scenario.plan(plan).name
    out = []
    for param in scenario.params:
        parts = param.path.split(".")
        if parts[:2] == ["funding", "plans"] and len(parts) > 2 and parts[2].split("[")[0] != chosen:
            continue
        out.append(param)
    return out


def input_quantile(param: Param, q) -> np.ndarray:
    """The ``q`` quantile(s) of an input as it is drawn: its distribution truncated to the
    input's valid range (the same map :func:`planner.engine.sampling.sample_params` uses).

    Parameters
    ----------
    q : float or array_like, in (0, 1)

    Returns
    -------
    ndarray, shape of ``q``
    """
    return param.at(np.asarray(q, dtype=float))


def pin_columns(block: np.ndarray, first: int, *, columns: tuple[int, ...],
                values: tuple[float, ...]) -> np.ndarray:
    """``simulate(draws=...)`` hook: ``block`` with ``columns`` set to ``values``.

    Parameters
    ----------
    block : ndarray, shape (BLOCK, inputs)
        The block's own keyed draws (every other column is left as drawn).
    first : int
        First path of the block (unused: the pin is the same on every path).

    Returns
    -------
    ndarray, shape (BLOCK, inputs)
    """
    out = np.array(block, dtype=float)
    for column, value in zip(columns, values):
        out[:, column] = value
    return out


def pinned(column: int, value: float):
    """A picklable ``draws=`` function pinning one column (:func:`pin_columns`)."""
    return functools.partial(pin_columns, columns=(int(column),), values=(float(value),))


def outcome_values(outcome, result: SimulationResult) -> np.ndarray:
    """``outcome.values(result)`` as float, shape (paths,): the ``reduce`` of every task."""
    return np.asarray(outcome.values(result), dtype=float)


@dataclass(frozen=True)
class Setup:
    """What every variant of an analysis shares.

    Attributes
    ----------
    scenario : Scenario
    outcome : Outcome
        :class:`planner.analysis.targets.Outcome` (``values``, ``keep``, ``by_segment``).
    paths, seed : int
    plan : str
        Funding plan simulated.
    executor : concurrent.futures.Executor or None
    progress : callable or None
        ``progress(done, total)`` over the tasks.
    """

    scenario: Scenario
    outcome: object
    paths: int
    seed: int
    plan: str
    executor: object = field(default=None, compare=False)
    progress: object = field(default=None, compare=False)

    def task(self, draws=None, scenario: Scenario | None = None, seed: int | None = None,
             paths: int | None = None, label: str = "") -> Task:
        """One variant: ``draws`` an array or a ``draws=`` function, or another scenario."""
        return Task(scenario or self.scenario, self.paths if paths is None else paths,
                    self.seed if seed is None else seed, self.plan, tuple(self.outcome.keep),
                    bool(self.outcome.by_segment), draws, label)

    def evaluate(self, tasks: list[Task]) -> list[np.ndarray]:
        """The outcome of every task, shape (paths,) each, in task order."""
        reduce = functools.partial(outcome_values, self.outcome)
        return run_tasks(tasks, reduce, executor=self.executor, progress=self.progress)

    def evaluate_rows(self, draws: np.ndarray, rows_per_task: int = ROWS_PER_TASK) -> np.ndarray:
        """The outcome on every row of a stacked input matrix.

        Without process noise a path's outcome depends only on its own row of inputs,
        so the variants of an analysis are stacked along the path axis and simulated in
        tasks of ``rows_per_task`` rows (whole blocks, no padding per variant, and a
        few tasks for the workers to share).

        Parameters
        ----------
        draws : ndarray, shape (rows, inputs)

        Returns
        -------
        ndarray, shape (rows,)
        """
        if self.scenario.process_noise:
            raise ValueError("stacked rows would not keep each variant's process noise")
        tasks = [self.task(draws[i:i + rows_per_task], paths=min(rows_per_task, len(draws) - i),
                           label=f"rows {i}-{min(len(draws), i + rows_per_task) - 1}")
                 for i in range(0, len(draws), rows_per_task)]
        return np.concatenate(self.evaluate(tasks)) if tasks else np.empty(0)


def make_setup(scenario: Scenario, outcome, *, paths: int | None = None, seed: int | None = None,
               plan: str | None = None, executor=None, progress=None) -> Setup:
    """A :class:`Setup` with the scenario's paths, seed and default plan filled in."""
    return Setup(scenario, outcome, scenario.paths if paths is None else int(paths),
                 scenario.seed if seed is None else int(seed), scenario.plan(plan).name,
                 executor, progress)


@dataclass(frozen=True)
class Group:
    """What one variance index is reported for.

    Attributes
    ----------
    name : str
        The input's key path, or the group's name.
    columns : tuple of int
        Draw columns swapped together.
    kind : {"input", "group", "correlated", "process noise"}
    inputs : tuple of str
        Key paths of the members.
    """

    name: str
    columns: tuple[int, ...]
    kind: str
    inputs: tuple[str, ...]


def input_groups(scenario: Scenario, params: list[Param],
                 named: dict[str, str] | None = None) -> list[Group]:
    """Split inputs into what the variance indices are reported for.

    Parameters
    ----------
    params : list of Param
        The inputs analysed (:func:`uncertain_inputs`).
    named : dict of str -> str, optional
        ``{name: key prefix}`` user groups (``--group smb=segments.smb``): every input
        whose key path or draw key starts with the prefix.

    Returns
    -------
    list of Group
        User groups first, then correlated groups (``kind="correlated"``: inputs that are
        correlated with each other are always reported together, since the indices assume
        independent inputs; a user group that takes in part of a correlated group takes
        in all of it), then single inputs.

    Raises
    ------
    PlannerError
        For a group that matches no input, or an input in two groups.
    """
    by_column = {p.index: p for p in params}
    components = _correlated_components(scenario, set(by_column))
    taken: dict[int, str] = {}
    out = []
    for name, prefix in (named or {}).items():
        members = {p.index for p in params if _under(p.path, prefix) or _under(p.draw_key, prefix)}
        if not members:
            raise PlannerError(f"group {name}={prefix}: no uncertain input's key starts with "
                               f"{prefix!r}")
        for comp in components:
            if members & set(comp):
                members |= set(comp)
        clash = sorted({taken[c] for c in members if c in taken})
        if clash:
            raise PlannerError(f"group {name} shares inputs with group {clash[0]}")
        taken |= {c: name for c in members}
        cols = tuple(sorted(members))
        out.append(Group(name, cols, "group", tuple(by_column[c].path for c in cols)))
    for comp in components:
        if not set(comp) & set(taken):
            cols = tuple(sorted(comp))
            paths = tuple(by_column[c].path for c in cols)
            out.append(Group(" + ".join(paths), cols, "correlated", paths))
            taken |= {c: "correlated" for c in cols}
    out += [Group(p.path, (p.index,), "input", (p.path,)) for p in params if p.index not in taken]
    return out


def _under(key: str, prefix: str) -> bool:
    return key == prefix or key.startswith(prefix.rstrip(".") + ".") or key.startswith(prefix + "[")


def _correlated_components(scenario: Scenario, analysed: set[int]) -> list[tuple[int, ...]]:
    """Connected components of the scenario's non-zero correlations, among ``analysed``."""
    corr = scenario.correlation
    if corr is None:
        return []
    comps = [tuple(c for c in cols if c in analysed)
             for cols, _ in correlated_components(corr.columns, corr.normal)]
    return [c for c in comps if len(c) > 1]
