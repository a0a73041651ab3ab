"""How the inputs were sampled: the method, and target vs achieved rank correlations."""
from __future__ import annotations

from planner.engine.correlation import achieved
from planner.results import SimulationResult


def sampling_report(result: SimulationResult, *, limit: int = 100_000) -> dict:
    """The sampling method and, per correlated pair, target vs achieved rank correlation.

    Achieved correlations are measured on the first ``min(paths, limit)`` paths' draws
    (:attr:`SimulationResult.draws`).
    """
    scenario = result.scenario
    out: dict = {"method": scenario.sampling, "correlations": []}
    corr = scenario.correlation
    if corr is None:
        return out
    got = achieved(result.draws[:limit], corr.columns)
    names = {p.index: p.path for p in scenario.params}
    for i, a in enumerate(corr.columns):
        for j in range(i + 1, len(corr.columns)):
            b = corr.columns[j]
            if corr.rank[i, j] != 0:
                out["correlations"].append({"inputs": [names[a], names[b]],
                                            "target": float(corr.rank[i, j]),
                                            "achieved": float(got[i, j])})
    return out
