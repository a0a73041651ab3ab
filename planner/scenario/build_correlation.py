"""Build the rank-correlation matrix of ``simulation.correlations`` and check it can hold."""
from __future__ import annotations

import difflib

import numpy as np

from planner.scenario.correlation_matrix import nearest_correlation, normal_correlation, smallest_eigenvalue
from planner.scenario.model import Correlation
from planner.scenario.spec import INVALID, Context


def _pairs(sim: dict, ctx: Context) -> list[tuple[int, int, float]]:
    """(param index, param index, rank) for each valid pair; problems recorded."""
    by_path = {p.path: p.index for p in ctx.params}
    out = []
    items = sim["correlations"] if sim["correlations"] is not INVALID else []
    for i, item in enumerate(items):
        if item is INVALID or item["between"] is INVALID or item["rank"] is INVALID:
            continue
        path = ("simulation", "correlations", i, "between")
        names = item["between"]
        if len(names) != 2 or names[0] == names[1]:
            ctx.error(path, "must name two different uncertain inputs", names)
            continue
        indices = []
        for name in names:
            if name not in by_path:
                hint = difflib.get_close_matches(str(name), list(by_path), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else \
                    " (only inputs given as a distribution can be correlated)"
                ctx.error(path, f"{name!r} is not an uncertain input{extra}")
            else:
                indices.append(by_path[name])
        if len(indices) == 2:
            out.append((indices[0], indices[1], item["rank"]))
    return out


def build_correlation(sim: dict, ctx: Context) -> tuple[Correlation | None, tuple[str, ...]]:
    """The correlation block of a scenario, and any warning to print.

    Raises no exception: problems (unknown inputs, a pair given twice, a matrix that
    cannot hold without ``if_correlations_invalid: nearest``) go to ``ctx``.
    """
    pairs = _pairs(sim, ctx)
    if not pairs:
        return None, ()
    columns = tuple(sorted({c for a, b, _ in pairs for c in (a, b)}))
    where = {c: k for k, c in enumerate(columns)}
    rank = np.eye(len(columns))
    for a, b, r in pairs:
        if rank[where[a], where[b]] != 0:
            ctx.error(("simulation", "correlations"), "a pair of inputs is given twice")
        rank[where[a], where[b]] = rank[where[b], where[a]] = r
    normal = normal_correlation(rank)
    low = smallest_eigenvalue(normal)
    if low > 1e-10:
        return Correlation(columns, rank, normal), ()
    if sim["if_correlations_invalid"] != "nearest":
        ctx.error(("simulation", "correlations"),
                  f"these correlations cannot all hold at once (the matrix is not positive "
                  f"definite: smallest eigenvalue {low:.3f}); change them, or set "
                  f"if_correlations_invalid: nearest to use the nearest valid matrix")
        return None, ()
    repaired = nearest_correlation(normal)
    rank_repaired = 6.0 / np.pi * np.arcsin(repaired / 2.0)
    np.fill_diagonal(rank_repaired, 1.0)
    shift = np.abs(rank_repaired - rank).max()
    names = {p.index: p.path for p in ctx.params}
    worst = np.unravel_index(np.abs(rank_repaired - rank).argmax(), rank.shape)
    ctx.warn(("simulation", "correlations"),
             f"not positive definite; using the nearest valid matrix "
             f"(largest change {shift:.3f}, {names[columns[worst[0]]]} ~ "
             f"{names[columns[worst[1]]]}: {rank[worst]:.2f} -> {rank_repaired[worst]:.2f})")
    return Correlation(columns, rank_repaired, repaired), ()
