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

import re

import numpy as np

from planner.analysis.targets import parse_statistic
from planner.errors import PlannerError
from planner.results import SimulationResult
from planner.scenario.model import Scenario
from planner.sweep.setup import (ROWS_PER_TASK, SPIDER_PERCENTILES, Group, Setup, input_groups,
                                 input_quantile, make_setup, outcome_values, pin_columns, pinned,
                                 uncertain_inputs)
from planner.sweep.sobol import sobol_indices
from planner.sweep.tornado import spider, tornado

#: the set-up pieces are importable from here too (one entry point for sensitivity)
__all__ = ["ROWS_PER_TASK", "SPIDER_PERCENTILES", "Group", "Setup", "input_groups", "input_quantile",
           "make_setup", "make_statistic", "outcome_values", "parse_groups", "parse_range", "parse_vary",
           "pin_columns", "pinned", "rank_drivers", "run_drivers", "sensitivity", "sobol_indices",
           "spider", "tornado", "uncertain_inputs"]

RANK_METHOD = "squared Spearman rank correlation of input draws with the outcome, on the run's paths"


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


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of a 1-d array, ties sharing their average rank: ``scipy.stats.rankdata``
    (``method="average"``) to the bit, without importing ``scipy.stats`` (~1 s) into a run.

    Parameters
    ----------
    values : ndarray, shape (n,)
        No ``nan`` (``inf`` ranks largest).

    Returns
    -------
    ndarray of float, shape (n,)
    """
    values = np.asarray(values)
    order = np.argsort(values, kind="mergesort")
    inverse = np.empty(order.size, dtype=np.intp)
    inverse[order] = np.arange(order.size, dtype=np.intp)
    ordered = values[order]
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    dense = starts.cumsum()[inverse]
    count = np.r_[np.nonzero(starts)[0], len(starts)]
    return 0.5 * (count[dense] + count[dense - 1] + 1)


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
