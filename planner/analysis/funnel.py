"""The go-to-market funnel of a run, per segment and plan year, as data and as text."""
from __future__ import annotations

import numpy as np

from planner.analysis.stats import bands
from planner.results import SimulationResult, ratio
from planner.analysis.periods import year_spans

#: series the funnel summary reads, by segment
FUNNEL_SUMMARY_SERIES = ("leads", "mqls", "sqls", "opportunities", "wins", "trials", "trial_wins",
                         "response_minutes", "sdr_capacity", "ae_capacity", "pipeline_open",
                         "acquisition_cost", "new_customers")
#: flows summed over a year: key -> label
FLOWS = {"leads": "Leads", "mqls": "MQLs", "sqls": "SQLs", "opportunities": "Opportunities",
         "wins": "Wins (sales-led)", "trials": "Trials", "trial_wins": "Self-serve wins"}


def _nan_bands(values: np.ndarray) -> dict | None:
    """P10/P50/P90 over the paths where ``values`` is defined, or None if none is."""
    kept = values[np.isfinite(values)]
    return bands(kept) if kept.size else None


def segment_year(result: SimulationResult, segment: str, first: int, last: int) -> dict:
    """One segment's funnel over months ``first..last``: flows, response, capacity, CAC."""
    get = lambda name: result.segment(name, segment)[:, first:last + 1]  # noqa: E731
    out = {name: bands(get(name).sum(axis=1)) for name in FLOWS}
    contacted = get("contacted")
    out["response_minutes"] = _nan_bands(ratio((get("response_minutes") * contacted).sum(axis=1),
                                                contacted.sum(axis=1)))
    out["ae_utilisation"] = _nan_bands(ratio(get("wins").sum(axis=1), get("ae_capacity").sum(axis=1)))
    out["sdr_coverage"] = _nan_bands(ratio(get("sdr_capacity").sum(axis=1), contacted.sum(axis=1)))
    out["pipeline_open_end"] = bands(get("pipeline_open")[:, -1])
    out["cac"] = _nan_bands(ratio(get("acquisition_cost").sum(axis=1), get("new_customers").sum(axis=1)))
    return out


def funnel_summary(result: SimulationResult) -> dict:
    """Per funnel segment and plan year (first and last): see :func:`segment_year`.

    Returns
    -------
    dict
        ``paths``, and ``segments``: name -> list of years, each ``from``, ``to`` and the
        figures (P10/P50/P90 dicts; None where undefined on every path).
    """
    spans = year_spans(len(result.months))
    chosen = [spans[0]] + ([spans[-1]] if len(spans) > 1 else [])
    segments = {}
    for seg in result.scenario.segments:
        if seg.funnel is None:
            continue
        segments[seg.name] = [{"from": str(result.months[a]), "to": str(result.months[b]),
                               "months": b - a + 1} | segment_year(result, seg.name, a, b)
                              for a, b in chosen]
    return {"paths": result.paths, "segments": segments}


