"""Which inputs drive the range: the shared pieces of tornado, spider and Sobol analyses.

An analysis evaluates many variants of one scenario on common random numbers and reads
one per-path **outcome** from each (:class:`planner.analysis.targets.Outcome`: ARR at a
month, EBITDA in a plan year, the cash trough, runway, the raise shortfall, ...). Every
variant is a :class:`planner.sweep.runner.Task` run by :func:`run_tasks`, so ``executor``
(a process pool, Dask) works the same everywhere. Here:

- :func:`uncertain_inputs`: the inputs an analysis swings (those of other funding plans
  cannot move the outcome and are left out);
- :func:`input_quantile`: a quantile of an input's own distribution, truncated to its
  valid range as the sampler draws it;
- :func:`pin_columns`: the ``simulate(draws=...)`` function that pins columns, so every
  other input keeps its own keyed draws;
- :func:`input_groups`: what a variance index is reported for (single inputs, user
  groups, and correlated inputs together);
- :func:`rank_drivers`: the cheap estimate ``planner run`` prints (squared Spearman rank
  correlation of each input's draws with the outcome on the run's own paths).

The analyses are in :mod:`planner.sweep.tornado` (tornado and spider) and
:mod:`planner.sweep.sobol` (first- and total-order indices); :func:`sensitivity` runs the
ones asked for.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from planner.engine.correlation import groups as correlated_components
from planner.engine.sampling import BLOCK, draw_inputs
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
RANK_METHOD = "squared Spearman rank correlation of input draws with the outcome, on the run's paths"


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
    low = -np.inf if param.low is None else param.low
    high = np.inf if param.high is None else param.high
    f_low = param.dist.frozen.cdf(np.nextafter(low, -np.inf))
    f_high = param.dist.frozen.cdf(high)
    value = param.dist.ppf(f_low + np.asarray(q, dtype=float) * (f_high - f_low))
    return np.clip(value, low, high)


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


def rank_drivers(draws: np.ndarray, values: np.ndarray, names, *, top: int = 5) -> list[dict]:
    """The inputs most associated with an outcome on a run's own paths (the cheap estimate).

    Parameters
    ----------
    draws : ndarray, shape (paths, inputs)
        Each path's input values (``SimulationResult.draws``).
    values : ndarray, shape (paths,)
        The outcome on each path (non-finite values are ranked as largest).
    names : sequence of str
        One per column.
    top : int
        How many to return.

    Returns
    -------
    list of dict
        ``input``, ``rank_correlation`` (Spearman, signed), ``r2`` (its square) and
        ``share`` (``r2`` over the sum of all inputs' ``r2``: "contribution to variance"
        as Crystal Ball and @RISK report it; linear in ranks, blind to interactions),
        largest ``r2`` first; inputs that do not vary are left out.
    """
    from scipy.stats import rankdata

    values = np.where(np.isnan(values), np.inf, values)
    if draws.shape[0] < 3 or np.ptp(rankdata(values)) == 0:
        return []
    ry = rankdata(values)
    ry = (ry - ry.mean()) / ry.std()
    rows = []
    for j, name in enumerate(names):
        column = draws[:, j]
        if not np.isfinite(column).all() or np.ptp(column) == 0:
            continue
        rx = rankdata(column)
        rx = (rx - rx.mean()) / rx.std()
        rho = float(np.mean(rx * ry))
        rows.append({"input": name, "rank_correlation": rho, "r2": rho * rho})
    total = sum(r["r2"] for r in rows)
    for r in rows:
        r["share"] = r["r2"] / total if total > 0 else 0.0
    return sorted(rows, key=lambda r: -r["r2"])[:top]


def run_drivers(result: SimulationResult, *, top: int = 5) -> dict:
    """``summary["drivers"]`` of ``planner run``: :func:`rank_drivers` of ARR at the horizon
    and of the cash trough, over the inputs the run's plan uses.

    Returns
    -------
    dict
        ``method`` (named), ``paths``, ``arr_end`` and ``cash_trough`` (lists of
        :func:`rank_drivers` rows).
    """
    params = uncertain_inputs(result.scenario, result.plan or None)
    cols = [p.index for p in params]
    names = [p.path for p in params]
    draws = result.draws[:, cols]
    return {"method": RANK_METHOD, "paths": int(result.paths),
            "arr_end": rank_drivers(draws, result.total("arr")[:, -1], names, top=top),
            "cash_trough": rank_drivers(draws, result.cash_trough(), names, top=top)}


def sensitivity(scenario: Scenario, statistic, *, methods=("tornado", "sobol"), paths=None,
                seed=None, plan=None, swing=(0.1, 0.9), vary=None, loader=None, groups=None,
                base_samples: int = 1024, executor=None, progress=None) -> dict:
    """Run the analyses in ``methods`` for one statistic (the library of ``planner sensitivity``).

    Parameters
    ----------
    statistic : Statistic
        :func:`planner.analysis.targets.parse_statistic`; tornado and spider recompute it,
        Sobol splits the variance of its per-path outcome (``statistic.outcome``).
    methods : iterable of {"tornado", "spider", "sobol"}
    paths, seed, plan
        Of the tornado and spider runs (default: the scenario's).
    swing : (float, float)
        The tornado's low and high percentiles of each input.
    vary : dict of str -> (float, float), optional
        Certain inputs swung over a range the user gives (:func:`tornado`).
    loader : callable, optional
        ``loader(overrides) -> Scenario`` for ``vary`` (default: reload ``scenario.source``).
    groups : dict of str -> str, optional
        Named groups for Sobol (:func:`input_groups`).
    base_samples : int
        Sobol's N.

    Returns
    -------
    dict
        ``tornado`` (:class:`~planner.sweep.tornado.Tornado`), ``spider``
        (:class:`~planner.sweep.tornado.Spider`), ``sobol``
        (:class:`~planner.sweep.sobol.SobolResult`), for those asked for.
    """
    from planner.sweep.sobol import sobol_indices
    from planner.sweep.tornado import spider, tornado

    methods = set(methods)
    setup = make_setup(scenario, statistic.outcome, paths=paths, seed=seed, plan=plan,
                       executor=executor, progress=progress)
    out: dict = {}
    if "tornado" in methods or "spider" in methods:
        if "spider" in methods:
            out["spider"] = spider(setup, statistic)
        if "tornado" in methods:
            out["tornado"] = tornado(setup, statistic, swing=swing, vary=vary, loader=loader,
                                     spider=out.get("spider"))
    if "sobol" in methods:
        out["sobol"] = sobol_indices(setup, base_samples=base_samples, groups=groups)
    return out


_BARE_STATISTIC = re.compile(r"\s*(P\d{1,2}(?:\.\d+)?|mean|median)\s*$", re.IGNORECASE)


def make_statistic(scenario: Scenario, outcome: str = "arr", statistic: str = "P50"):
    """The statistic of ``planner sensitivity --outcome O --statistic S``.

    ``S`` is a bare ``P50``, ``P10``, ``mean`` or ``median`` applied to ``O``, or a whole
    statistic of the targets grammar (``P(cash_out)``, ``P90(raise_shortfall)``), which
    brings its own outcome.

    Returns
    -------
    Statistic
        :func:`planner.analysis.targets.parse_statistic`.
    """
    from planner.analysis.targets import parse_statistic

    if _BARE_STATISTIC.match(statistic):
        return parse_statistic(f"{statistic.strip()}({outcome.strip()})", scenario, source="--statistic")
    return parse_statistic(statistic, scenario, source="--statistic")


def parse_range(text: str) -> tuple[float, float]:
    """``P10:P90``, ``10:90`` or ``5:95`` -> ``(0.1, 0.9)``."""
    try:
        low, high = (float(part.strip().lstrip("Pp")) / 100 for part in text.split(":"))
    except ValueError:
        raise PlannerError(f"--range {text!r}: expected LOW:HIGH percentiles, e.g. P10:P90 or 5:95") from None
    if not 0 < low < high < 1:
        raise PlannerError(f"--range {text!r}: need 0 < LOW < HIGH < 100")
    return low, high


def parse_vary(items) -> dict[str, tuple[float, float]]:
    """``KEY=LOW:HIGH`` items -> ``{key: (low, high)}``."""
    out = {}
    for item in items:
        key, sep, rest = item.partition("=")
        low, colon, high = rest.rpartition(":") if rest.count(":") == 1 else ("", "", "")
        try:
            if not (sep and colon and key.strip()):
                raise ValueError
            out[key.strip()] = (_number(low), _number(high))
        except ValueError:
            raise PlannerError(f"--vary {item!r}: expected KEY=LOW:HIGH, e.g. "
                               "segments.smb.price.arpa=380:460") from None
    return out


def _number(text: str) -> float:
    return float(text.strip().replace("_", "").replace(",", ""))


def parse_groups(items) -> dict[str, str]:
    """``NAME=PREFIX`` items -> ``{name: prefix}``."""
    out = {}
    for item in items:
        name, sep, prefix = item.partition("=")
        if not (sep and name.strip() and prefix.strip()):
            raise PlannerError(f"--group {item!r}: expected NAME=PREFIX, e.g. smb=segments.smb")
        out[name.strip()] = prefix.strip()
    return out
