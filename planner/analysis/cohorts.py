"""Cohort views of a simulation: retention triangles, payback and profitability by cohort.

A cohort is the customers of one segment won in one month. In the engine every cohort
of a segment follows the same per-unit trajectory by age
(:func:`planner.engine.retention.trajectory`), scaled by its size
(:func:`planner.engine.revenue.new_business`): cohort ``c``'s MRR at age ``a`` on a path
is ``new_mrr[c] * trajectory["mrr"][a]``. This module rebuilds those cohorts from the
same draws the engine used (same seed, same paths), without changing the engine.

Shapes: per-path arrays are ``(paths, ...)``; triangles are ``(cohorts, ages)`` with
cohort ``c`` = the ``c``-th month of the plan and age ``a`` = months since acquisition
(age 0 = the month of the win, whose revenue is the cohort's starting MRR).

Missing cells are ``nan`` by design and only there: cells after the plan's last month
(``c + a >= horizon``: not simulated, like the lower-right of a development triangle),
and cohorts with no new customers (on a path: no cohort to measure; a cohort that is
empty on every path is all ``nan``). Quantiles and means across paths skip the paths
where a cohort is empty.

Acquisition cost of a cohort ("fully loaded"): the S&M expense of month ``c - lag``
(``cac_lag_months``: spend leads wins) of its segment: the segment's direct S&M
(``sm_direct``: its programme spend, commissions, and the roles and lines that work for
it) plus a share of the shared S&M in proportion to its new MRR that month
(``allocation="new_mrr"``, the default) or its new customers
(``allocation="new_customers"``); without ``sm_direct`` in the result, a share of all
S&M. Segments' costs sum to the company's spend. Cohorts won in the first ``lag`` months have no known spend (it fell
before the start): their CAC and payback are ``nan``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from planner.engine.retention import trajectory
from planner.engine.revenue import new_business
from planner.errors import PlannerError
from planner.analysis.stats import mean_across_paths, quantiles_across_paths
from planner.engine.sampling import Inputs
from planner.results import SimulationResult

ALLOCATIONS = ("new_mrr", "new_customers")
#: ages (months) modelled for payback and cohort LTV, at least the plan's horizon
DEFAULT_MAX_AGE = 120


@dataclass(frozen=True)
class CohortModel:
    """One segment's cohorts on every path.

    Attributes
    ----------
    segment : str
    new_customers, new_mrr, programme_spend : ndarray, shape (paths, months)
        Size of the cohort won each month, and the marketing programme spend that
        bought it (0 where the segment has no ``marketing_budget``).
    mrr, customers, expansion, contraction, churned_mrr, churned_customers : ndarray, shape (paths or 1, ages)
        Per unit of starting MRR (customers, churned_customers: per starting
        customer), by age; flows at age 0 are 0.
    hosting_pct, cost_per_customer : ndarray, shape (paths or 1, 1)
        COGS: share of revenue, and money per customer per month.
    """

    segment: str
    new_customers: np.ndarray
    new_mrr: np.ndarray
    programme_spend: np.ndarray
    mrr: np.ndarray
    customers: np.ndarray
    expansion: np.ndarray
    contraction: np.ndarray
    churned_mrr: np.ndarray
    churned_customers: np.ndarray
    hosting_pct: np.ndarray
    cost_per_customer: np.ndarray

    @property
    def max_age(self) -> int:
        return self.mrr.shape[1]

    def gross_margin(self, start_mrr: np.ndarray, start_customers: np.ndarray) -> np.ndarray:
        """Monthly gross margin by age of a cohort (or a pool of cohorts) of this segment.

        ``start_mrr * (1 - hosting_pct) * mrr[a] - start_customers * cost_per_customer
        * customers[a]`` (revenue = closing MRR; COGS as the engine's).

        Parameters
        ----------
        start_mrr, start_customers : ndarray, shape (paths,)
            The cohort's MRR and customers at acquisition (sums for a pool).

        Returns
        -------
        ndarray, shape (paths, ages), money per month
        """
        revenue = start_mrr[:, None] * self.mrr
        return (revenue * (1.0 - self.hosting_pct)
                - start_customers[:, None] * self.cost_per_customer * self.customers)

    def cumulative_margin(self, start_mrr: np.ndarray, start_customers: np.ndarray,
                          ages: slice = slice(None), rows=slice(None)) -> np.ndarray:
        """Cumulative gross margin after ages 0..a: the running sum of :meth:`gross_margin`.

        ``ages`` and ``rows`` (paths, an index into ``start_mrr``'s) choose a block: its
        values are those of the whole array, cell for cell.

        Returns
        -------
        ndarray, shape (paths, ages), money
        """
        per_mrr, per_customer = (self._cumulative[k] for k in ("margin_per_mrr", "cost_per_customer"))
        per_mrr = per_mrr[:, ages] if per_mrr.shape[0] == 1 else per_mrr[rows, ages]
        per_customer = per_customer[:, ages] if per_customer.shape[0] == 1 else per_customer[rows, ages]
        out = np.multiply(start_mrr[rows][:, None], per_mrr)
        out -= start_customers[rows][:, None] * per_customer  # in place: one (paths, ages) array fewer
        return out

    def cumulative(self, key: str) -> np.ndarray:
        """Running sum over ages of a per-unit curve (``mrr``, ``expansion``, ...), shape (paths or 1, ages)."""
        return self._cumulative[key]

    @cached_property
    def _cumulative(self) -> dict[str, np.ndarray]:
        out = {key: np.cumsum(getattr(self, key), axis=1)
               for key in ("mrr", "customers", "expansion", "contraction", "churned_mrr", "churned_customers")}
        out["margin_per_mrr"] = np.cumsum(self.mrr * (1.0 - self.hosting_pct), axis=1)
        out["cost_per_customer"] = np.cumsum(self.customers * self.cost_per_customer, axis=1)
        return out


def cohort_models(result: SimulationResult, max_age: int | None = None) -> dict[str, CohortModel]:
    """Rebuild every segment's cohorts from the draws the engine used for ``result``.

    Parameters
    ----------
    result : SimulationResult
    max_age : int, optional
        Ages modelled, in months; default ``max(horizon, 120)``. Ages beyond the plan's
        last month follow the same trajectory (the model, not a simulated month).

    Returns
    -------
    dict of str -> CohortModel
        In segment order.
    """
    sc = result.scenario
    ages = np.arange(max(sc.horizon, DEFAULT_MAX_AGE) if max_age is None else int(max_age))
    inputs = Inputs(sc, result.draws)
    out = {}
    won = _simulated_wins(result)
    for seg in sc.segments:
        new_c, new_m, spend = (inputs.full(a) for a in new_business(seg, inputs))
        if won is not None:
            new_c, new_m = won.segment("new_customers", seg.name), won.segment("new_mrr", seg.name)
        unit = trajectory(seg, ages, inputs)
        out[seg.name] = CohortModel(
            seg.name, new_c, new_m, spend, unit["mrr"], unit["customers"], unit["expansion"],
            unit["contraction"], unit["churned_mrr"], unit["churned_customers"], inputs.value(seg.hosting_pct),
            inputs.value(seg.cost_per_customer))
    return out


def _simulated_wins(result: SimulationResult) -> SimulationResult | None:
    """The result's new customers and new MRR by segment when they are not a plain input:
    a funnel's wins (they depend on the whole model) or wins drawn with process noise.

    Raises
    ------
    PlannerError
        When such a result does not keep them by segment (only the simulation knows them).
    """
    sc = result.scenario
    if not sc.has_funnel and not sc.process_noise:
        return None
    if {"new_customers", "new_mrr"} <= set(result.by_segment):
        return result
    why = "a funnel" if sc.has_funnel else "process noise"
    raise PlannerError(f"cohort views of a scenario with {why} need new_customers and new_mrr "
                       "kept by segment (simulate with keep=None or include them, by_segment=True)")


def lagged_spend(result: SimulationResult, lag: int = 0) -> np.ndarray:
    """Company S&M expense of month ``t - lag``, set against month ``t``'s wins.

    Returns
    -------
    ndarray, shape (paths, months)
        Money; ``nan`` in the first ``lag`` months (spend before the start is unknown).
    """
    if lag < 0:
        raise ValueError(f"cac_lag_months must be >= 0 (got {lag})")
    return lagged(result.total("sm_expense"), lag)


def allocation_shares(models: dict[str, CohortModel], allocation: str = "new_mrr") -> dict[str, np.ndarray]:
    """Each segment's share of each month's new business, the key for S&M allocation.

    Parameters
    ----------
    models : dict of str -> CohortModel
    allocation : {"new_mrr", "new_customers"}

    Returns
    -------
    dict of str -> ndarray, shape (paths, months)
        Fractions summing to 1 over segments in months with new business, 0 otherwise.
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)} (got {allocation!r})")
    sizes = {name: (m.new_mrr if allocation == "new_mrr" else m.new_customers) for name, m in models.items()}
    total = sum(sizes.values())
    with np.errstate(divide="ignore", invalid="ignore"):
        return {name: np.where(total > 0, size / np.where(total > 0, total, 1.0), 0.0)
                for name, size in sizes.items()}


def payback_age(cumulative: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Months of margin until a cumulative margin first covers a cost, interpolated within the month.

    Parameters
    ----------
    cumulative : ndarray, shape (paths, ages)
        Cumulative margin after ages 0..a (money).
    cost : ndarray, shape (paths,)
        Money to recover.

    Returns
    -------
    ndarray, shape (paths,)
        Months: ``a + (cost - cumulative[a-1]) / margin[a]`` at the first age ``a``
        whose cumulative margin reaches the cost (so a constant margin ``m`` pays back
        ``cost / m`` exactly); 0 when ``cost <= 0``; ``inf`` when not reached within the
        ages given; ``nan`` when ``cost`` is ``nan``.
    """
    first, frac, reached = _first_reached(cumulative, cost, np.zeros(cumulative.shape[0]))
    return _payback(np.where(reached, first + frac, np.inf), cost)


def payback_age_by_blocks(cumulative_of, cost: np.ndarray, ages: int, first_block: int = 24) -> np.ndarray:
    """:func:`payback_age` of a cumulative margin made block by block: the first
    ``first_block`` ages on every path, then the remaining ages only on the paths not
    yet paid back. The same numbers as on the whole array (each cell is computed the
    same way), for a fraction of the work when most paths pay back early.

    Parameters
    ----------
    cumulative_of : callable
        ``cumulative_of(ages, rows)`` -> the cumulative margin of ages ``ages`` (a slice)
        on paths ``rows`` (an index array, or ``slice(None)`` for all), shape (rows, ages).
    cost : ndarray, shape (paths,)
    ages : int
        Ages modelled.
    """
    block = min(first_block, ages)
    head = cumulative_of(slice(0, block), slice(None))
    first, frac, reached = _first_reached(head, cost, np.zeros(head.shape[0]))
    out = np.where(reached, first + frac, np.inf)
    rows = np.flatnonzero(~reached & (cost > 0))
    if rows.size and block < ages:
        # the last age seen comes again: the payback interpolates from it
        tail = cumulative_of(slice(block - 1, ages), rows)
        first, frac, reached = _first_reached(tail, cost[rows], head[rows, block - 1])
        out[rows] = np.where(reached, (first + (block - 1)) + frac, np.inf)
    return _payback(out, cost)


def _first_reached(cumulative: np.ndarray, cost: np.ndarray, before_first: np.ndarray):
    """The first age (column) whose cumulative margin reaches ``cost``, the fraction of
    that month it took (from the cumulative before it; ``before_first`` before column
    0), and whether any age reached it."""
    reached = cumulative >= cost[:, None]
    first = reached.argmax(axis=1)
    rows = np.arange(cumulative.shape[0])
    before = np.where(first > 0, cumulative[rows, np.maximum(first - 1, 0)], before_first)
    step = cumulative[rows, first] - before
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(step > 0, (cost - before) / np.where(step > 0, step, 1.0), 1.0), 0.0, 1.0)
    return first, frac, reached[rows, first]  # reached at all: at its first True


def _payback(months: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """0 where nothing is to be recovered, ``nan`` where the cost is ``nan``."""
    out = np.where(cost <= 0, 0.0, months)
    return np.where(np.isnan(cost), np.nan, out)


def _scope(models: dict[str, CohortModel], segment: str | None) -> list[CohortModel]:
    if segment is None:
        return list(models.values())
    if segment not in models:
        raise KeyError(f"no segment named {segment!r}; segments are {', '.join(models)}")
    return [models[segment]]


def cohort_cost(result: SimulationResult, models: dict[str, CohortModel], segment: str | None = None,
                cac_lag_months: int = 0, allocation: str = "new_mrr") -> np.ndarray:
    """Fully loaded acquisition spend of each monthly cohort (see the module notes).

    Returns
    -------
    ndarray, shape (paths, months)
        Money; the whole company's lagged S&M when ``segment`` is None; ``nan`` in the
        first ``cac_lag_months`` months.
    """
    spend = lagged_spend(result, cac_lag_months)
    if segment is None:
        return spend
    _scope(models, segment)
    if "sm_direct" not in result.by_segment:  # no attribution kept: share all S&M
        return spend * allocation_shares(models, allocation)[segment]
    direct = lagged(result.by_segment["sm_direct"], cac_lag_months)
    shared = spend - direct.sum(axis=2)
    index = result.segments.index(segment)
    return direct[:, :, index] + shared * allocation_shares(models, allocation)[segment]


def lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """``values`` of month ``t - lag`` at month ``t`` (nan before the start), same shape."""
    out = np.full(values.shape, np.nan)
    out[:, lag:] = values[:, : values.shape[1] - lag]
    return out


@dataclass(frozen=True)
class CohortTable:
    """A statistic by acquisition cohort and age, across paths.

    Attributes
    ----------
    title, unit : str
        What the cells are (``unit``: ``fraction`` or ``money``).
    cohorts : ndarray of datetime64[M], shape (cohorts,)
        Acquisition month of each row.
    ages : ndarray of int, shape (ages,)
        Months since acquisition of each column.
    p10, p50, p90, mean : ndarray, shape (cohorts, ages)
        Across paths (paths without the cohort skipped); ``nan`` after the plan's end
        and for cohorts empty on every path (see the module notes).
    """

    title: str
    unit: str
    cohorts: np.ndarray
    ages: np.ndarray
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    mean: np.ndarray


@dataclass(frozen=True)
class CohortPayback:
    """Months until each cohort's cumulative gross margin covers its acquisition cost.

    Attributes
    ----------
    cohorts : ndarray of datetime64[M], shape (cohorts,)
    p10, p50, p90 : ndarray, shape (cohorts,)
        Months; ``inf`` = not paid back within ``max_age`` months; ``nan`` = no cohort
        (no new customers) or unknown cost (won in the first ``cac_lag_months``).
    paid_back_share : ndarray, shape (cohorts,)
        Share of the paths with the cohort on which it pays back within ``max_age``.
    cac : ndarray, shape (3, cohorts)
        P10/P50/P90 of the cohort's fully loaded CAC (money per customer).
    max_age : int
    """

    cohorts: np.ndarray
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    paid_back_share: np.ndarray
    cac: np.ndarray
    max_age: int


def _triangle(result: SimulationResult, scope: list[CohortModel], size: str, curve: str,
              title: str, unit: str, transform=None) -> CohortTable:
    """Rows ``c``: ``sum(size_s[c] * curve_s[a]) / sum(size_s[c])`` over the scope, or ``transform``."""
    horizon = result.scenario.horizon
    stats = np.full((4, horizon, horizon), np.nan)
    for c in range(horizon):
        start = sum(getattr(m, size)[:, c] for m in scope)
        if transform is None:
            values = sum(getattr(m, size)[:, c, None] * getattr(m, curve)[:, : horizon - c] for m in scope)
            with np.errstate(divide="ignore", invalid="ignore"):
                values = values / start[:, None]
        else:
            values = transform(c)[:, : horizon - c]
        values = np.where((start > 0)[:, None], values, np.nan)
        stats[:3, c, : horizon - c] = quantiles_across_paths(values)
        stats[3, c, : horizon - c] = mean_across_paths(values)
    return CohortTable(title, unit, result.months, np.arange(horizon), *stats)


def revenue_retention(result: SimulationResult, segment: str | None = None,
                      models: dict[str, CohortModel] | None = None) -> CohortTable:
    """Revenue retention triangle: a cohort's MRR at each age over its MRR at acquisition.

    Parameters
    ----------
    result : SimulationResult
    segment : str, optional
        One segment; None pools the segments' cohorts of each month (MRR-weighted).
    models : dict, optional
        From :func:`cohort_models` (computed when not given).

    Returns
    -------
    CohortTable
        Fractions (1.0 = the starting MRR; above 1 when expansion beats churn).
    """
    models = cohort_models(result) if models is None else models
    return _triangle(result, _scope(models, segment), "new_mrr", "mrr",
                     "revenue retention by cohort", "fraction")


def logo_retention(result: SimulationResult, segment: str | None = None,
                   models: dict[str, CohortModel] | None = None) -> CohortTable:
    """Logo retention triangle: share of a cohort's customers still active at each age.

    Parameters and returns as :func:`revenue_retention` (fractions, at most 1).
    """
    models = cohort_models(result) if models is None else models
    return _triangle(result, _scope(models, segment), "new_customers", "customers",
                     "logo retention by cohort", "fraction")


def cohort_margin(scope: list[CohortModel], c: int) -> np.ndarray:
    """Cumulative gross margin by age of the month-``c`` cohorts of the scope, shape (paths, ages)."""
    return sum(m.cumulative_margin(m.new_mrr[:, c], m.new_customers[:, c]) for m in scope)


def cohort_payback(result: SimulationResult, segment: str | None = None, *, cac_lag_months: int = 0,
                   allocation: str = "new_mrr", models: dict[str, CohortModel] | None = None) -> CohortPayback:
    """CAC payback of each monthly cohort, simulated: months until its cumulative gross
    margin (churn and expansion included) covers its fully loaded acquisition cost.

    Parameters
    ----------
    result : SimulationResult
    segment : str, optional
        One segment (its share of S&M, see the module notes); None: all segments'
        cohorts of each month against all of the company's S&M.
    cac_lag_months : int
        Months between S&M spend and the wins it buys.
    allocation : {"new_mrr", "new_customers"}
        How company S&M is shared between segments.
    models : dict, optional
        From :func:`cohort_models`; its ``max_age`` bounds the search.

    Returns
    -------
    CohortPayback
    """
    models = cohort_models(result) if models is None else models
    scope = _scope(models, segment)
    cost = cohort_cost(result, models, segment, cac_lag_months, allocation)
    horizon = result.scenario.horizon
    months = np.full((result.paths, horizon), np.nan)
    for c in range(horizon):
        months[:, c] = payback_age(cohort_margin(scope, c), cost[:, c])
    customers = sum(m.new_customers for m in scope)
    has = customers > 0
    months = np.where(has, months, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        cac = np.where(has, cost / np.where(has, customers, 1.0), np.nan)
        known = has & ~np.isnan(months)
        share = np.where(known.any(axis=0), (np.isfinite(months) & known).sum(axis=0)
                         / np.maximum(known.sum(axis=0), 1), np.nan)
    q = quantiles_across_paths(months)
    return CohortPayback(result.months, q[0], q[1], q[2], share, quantiles_across_paths(cac),
                         scope[0].max_age)


def cohort_profitability(result: SimulationResult, segment: str | None = None, *,
                         cac_lag_months: int = 0, allocation: str = "new_mrr",
                         per_customer: bool = False,
                         models: dict[str, CohortModel] | None = None) -> CohortTable:
    """Cohort profitability curve: cumulative contribution by cohort and age.

    ``contribution[c, a] = sum_{k <= a} gross_margin_c(k) - acquisition_cost_c``: starts
    at minus the cohort's CAC spend (plus its first month's margin) and crosses zero at
    the cohort's payback.

    Parameters
    ----------
    result : SimulationResult
    segment : str, optional
        One segment; None: all segments' cohorts of each month.
    cac_lag_months, allocation
        As in :func:`cohort_payback`.
    per_customer : bool
        Money per customer won (True) or for the whole cohort (False).
    models : dict, optional
        From :func:`cohort_models`.

    Returns
    -------
    CohortTable
        Money; ``nan`` after the plan's end, for empty cohorts and for cohorts won in
        the first ``cac_lag_months`` months (unknown cost).
    """
    models = cohort_models(result) if models is None else models
    scope = _scope(models, segment)
    cost = cohort_cost(result, models, segment, cac_lag_months, allocation)
    customers = sum(m.new_customers for m in scope)

    def contribution(c: int) -> np.ndarray:
        value = cohort_margin(scope, c) - cost[:, c, None]
        if per_customer:
            with np.errstate(divide="ignore", invalid="ignore"):
                value = value / customers[:, c, None]
        return value

    table = _triangle(result, scope, "new_customers", "customers",
                      "cumulative contribution by cohort", "money", transform=contribution)
    return table
