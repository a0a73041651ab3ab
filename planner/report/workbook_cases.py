"""The three cases of the workbook's statements: the P10, P50 and P90 paths.

A P&L, cash flow and balance sheet add up only if every line comes from the same
simulated path (the P50 of revenue minus the P50 of costs is not the P50 of EBITDA). So
each case is one path of the report's detail paths: the one that sits nearest the case's
quantile on every yearly line the board reads (each year's revenue and EBITDA, ARR and
cash at each year end). Nearness is measured in rank space, and the path minimising its
largest distance over those lines is chosen, so the P50 case does not contradict the
report's P50 table on any year (a path ranked at the median by ARR at the horizon alone
can sit below the P10 of revenue in an early year). Its lines are planner's own numbers
for that path, and the workbook's formulas (totals, margins, EBITDA, cash) reproduce
planner's figures for it exactly; each line's own quantiles are on the Ranges sheet.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.analysis.periods import plan_years
from planner.engine.sampling import BLOCK
from planner.results import SimulationResult
from planner.simulation import simulate_plans

#: (label, quantile) of the cases, in sheet order
CASES = (("P50", 0.5), ("P10", 0.1), ("P90", 0.9))
#: the series the statements read
STATEMENT_SERIES = ("revenue", "cogs", "sm_expense", "rnd_expense", "cs_expense", "ga_expense", "bad_debt",
                    "interest", "debt_fees", "mrr", "customers", "new_customers", "headcount",
                    "cash", "receivables", "deferred_revenue", "debt_balance", "equity_book",
                    "equity_raised", "debt_drawn", "debt_repaid", "operating_cash_flow")


@dataclass(frozen=True)
class Case:
    """One case of the statements.

    Attributes
    ----------
    label : str
        ``P10``, ``P50`` or ``P90``.
    quantile : float
    path : int
        Index of the path among the detail paths (0-based).
    distance : float
        Its largest distance from ``quantile`` over the yearly lines, in rank space
        (0.05 = five percentile points).
    paths : int
        The number of detail paths it was chosen from.
    arr_end : float
        Its ARR at the horizon.
    result : SimulationResult
        That path alone (1 path), with :data:`STATEMENT_SERIES` by segment.
    """

    label: str
    quantile: float
    path: int
    distance: float
    paths: int
    arr_end: float
    result: SimulationResult

    @property
    def description(self) -> str:
        """How the path was chosen, for the sheet."""
        q = round(100 * self.quantile)
        return (f"path {self.path + 1:,} of {self.paths:,}, the one nearest the P{q} on every yearly line "
                f"(revenue, EBITDA, ARR and cash at year end): within {100 * self.distance:.0f} percentile "
                f"points of P{q} on each")


def case_lines(detail: SimulationResult, cash: np.ndarray | None = None) -> np.ndarray:
    """The yearly lines the case paths are chosen on, shape (lines, paths).

    Each plan year's revenue and EBITDA (when kept), and ARR and cash (when kept, or
    given as ``cash``, shape (paths, months)) at the year's last month.
    """
    names = set(detail.names)
    lines = []
    for year in plan_years(detail.months):
        span = slice(year.first, year.last + 1)
        for flow in ("revenue", "ebitda"):
            if flow in names:
                lines.append(detail.total(flow)[:, span].sum(axis=1))
        lines.append(12.0 * detail.total("mrr")[:, year.last])
        if cash is None and "cash" in names:
            cash = detail.total("cash")
        if cash is not None:
            lines.append(cash[:, year.last])
    return np.array(lines)


def rank_positions(lines: np.ndarray) -> np.ndarray:
    """Each value's position in its line's distribution, 0 (lowest) to 1 (highest), ties
    at their mean rank; ``lines`` and the result have shape (lines, paths)."""
    n = lines.shape[1]
    if n == 1:
        return np.full(lines.shape, 0.5)
    order = np.argsort(lines, axis=1, kind="stable")
    ranks = np.empty(lines.shape)
    np.put_along_axis(ranks, order, np.arange(n, dtype=float)[None, :].repeat(len(lines), 0), axis=1)
    for i, line in enumerate(lines):  # ties share their mean rank
        _, inverse, counts = np.unique(line, return_inverse=True, return_counts=True)
        if len(counts) < n:
            sums = np.bincount(inverse, weights=ranks[i])
            ranks[i] = (sums / counts)[inverse]
    return ranks / (n - 1)


def case_paths(detail: SimulationResult, cash: np.ndarray | None = None) -> dict[str, tuple[int, float]]:
    """The path of each case: label -> (path index, largest rank distance).

    The path whose largest distance from the case's quantile, in rank space over the
    lines of :func:`case_lines`, is smallest; ties go to the path nearest the quantile of
    ARR at the horizon, then to the first.
    """
    pos = rank_positions(case_lines(detail, cash))
    arr_end = rank_positions(detail.total("mrr")[None, :, -1])[0]
    out = {}
    for label, q in CASES:
        worst = np.abs(pos - q).max(axis=0)
        index = int(np.lexsort((np.arange(len(worst)), np.abs(arr_end - q), np.round(worst, 12)))[0])
        out[label] = (index, float(worst[index]))
    return out


def detail_cash(result: SimulationResult, detail: SimulationResult) -> np.ndarray | None:
    """Cash of ``detail``'s paths taken from ``result`` when ``detail`` keeps none and its
    paths are ``result``'s first ones; else None. Shape (paths, months)."""
    if "cash" in detail.names or "cash" not in result.names:
        return None
    if result.first_path != detail.first_path or result.paths < detail.paths \
            or result.seed != detail.seed or result.plan != detail.plan:
        return None
    return result.total("cash")[:detail.paths]


def path_result(detail: SimulationResult, index: int) -> SimulationResult:
    """Path ``index`` of ``detail`` alone, with every statement series by segment: sliced
    when ``detail`` keeps them, else simulated again (its block, on its own draws: the
    path's numbers depend only on the seed and its index)."""
    have = set(detail.by_segment) | set(detail.company)
    if set(STATEMENT_SERIES) <= have and "revenue" in detail.by_segment:
        return _slice(detail, index)
    first = detail.first_path + index
    start = first - first % BLOCK
    offset = first - start
    if detail.first_path % BLOCK or index < offset:
        raise ValueError("path_result needs a result that starts at a block boundary")
    base = index - offset
    runs = simulate_plans(detail.scenario, (detail.plan,), paths=offset + 1, seed=detail.seed,
                          keep=STATEMENT_SERIES, start=start, draws=detail.draws[base:index + 1])
    return _slice(runs[detail.plan], offset)


def _slice(result: SimulationResult, index: int) -> SimulationResult:
    pick = slice(index, index + 1)
    return SimulationResult(result.scenario, result.seed,
                            {k: v[pick] for k, v in result.by_segment.items()},
                            {k: v[pick] for k, v in result.company.items()},
                            {k: v[pick] for k, v in result.opening.items()},
                            {k: v[pick] for k, v in result.per_path.items()}, result.plan,
                            result.first_path + index, {k: v[pick] for k, v in result.by_role.items()},
                            result.draws[pick])


def cases(detail: SimulationResult, cash: np.ndarray | None = None) -> list[Case]:
    """The P50, P10 and P90 cases of ``detail`` (see the module notes); ``cash``, shape
    (paths, months), when ``detail`` keeps none (see :func:`detail_cash`)."""
    arr_end = 12.0 * detail.total("mrr")[:, -1]
    picks = case_paths(detail, cash)
    out = []
    for label, q in CASES:
        index, distance = picks[label]
        out.append(Case(label, q, index, distance, detail.paths, float(arr_end[index]),
                        path_result(detail, index)))
    return out
