"""The three cases of the workbook's statements: the P10, P50 and P90 paths.

A P&L, cash flow and balance sheet add up only if every line comes from the same
simulated path (the P50 of revenue minus the P50 of costs is not the P50 of EBITDA). So
each case is one path: the one ranked at the 10th, 50th or 90th percentile of ARR at the
horizon among the report's detail paths. Its lines are planner's own numbers for that
path, and the workbook's formulas (totals, margins, EBITDA, cash) reproduce planner's
figures for it exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    rank, paths : int
        Its rank by ARR at the horizon (1 = lowest) among ``paths``.
    arr_end : float
        Its ARR at the horizon.
    result : SimulationResult
        That path alone (1 path), with :data:`STATEMENT_SERIES` by segment.
    """

    label: str
    quantile: float
    path: int
    rank: int
    paths: int
    arr_end: float
    result: SimulationResult

    @property
    def description(self) -> str:
        """How the path was chosen, for the sheet."""
        return (f"path {self.path + 1:,} of {self.paths:,}, ranked {self.rank:,} by ARR at the horizon "
                f"(the {self.label} of ARR)")


def case_paths(detail: SimulationResult) -> dict[str, tuple[int, int]]:
    """The path of each case: label -> (path index, rank), ranked by ARR at the horizon.

    The path at rank ``round(q * (paths - 1))`` (0-based) of ARR at the last month, ties
    kept in path order.
    """
    arr_end = detail.total("mrr")[:, -1]
    order = np.argsort(arr_end, kind="stable")
    out = {}
    for label, q in CASES:
        rank = int(round(q * (len(order) - 1)))
        out[label] = (int(order[rank]), rank + 1)
    return out


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


def cases(detail: SimulationResult) -> list[Case]:
    """The P50, P10 and P90 cases of ``detail`` (see the module notes)."""
    arr_end = 12.0 * detail.total("mrr")[:, -1]
    out = []
    for label, q in CASES:
        index, rank = case_paths(detail)[label]
        out.append(Case(label, q, index, rank, detail.paths, float(arr_end[index]), path_result(detail, index)))
    return out
