"""The go-to-market funnel of a run, per segment and plan year, as data and as text."""
from __future__ import annotations

import numpy as np

from planner.format import count, money
from planner.funding import bands
from planner.results import SimulationResult, ratio
from planner.summary import year_spans

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
    speed = next(s.funnel.speed for s in result.scenario.segments if s.name == segment)
    contacted = get("mqls" if speed is not None and speed.applies_to == "sql" else "leads")
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


def _minutes(v: float) -> str:
    if v < 90:
        return f"{v:.0f} min"
    return f"{v / 60:.1f} h" if v < 48 * 60 else f"{v / 1440:.1f} days"


def _cell(b: dict | None, fmt) -> str:
    if b is None:
        return "n/a"
    text = fmt(b["p50"])
    return text if np.isclose(b["p10"], b["p90"], rtol=1e-3) else \
        f"{text} [{fmt(b['p10'])}..{fmt(b['p90'])}]"


def funnel_text(summary: dict, currency: str) -> str:
    """The funnel block ``planner run`` prints (empty without a funnel)."""
    if not summary["segments"]:
        return ""
    lines = [f"Go-to-market funnel: P50 [P10..P90] per plan year, {summary['paths']:,} paths"]
    for name, years in summary["segments"].items():
        labels = [y["from"][:4] if y["months"] == 12 and y["from"][5:] == "01" else f"{y['from']}..{y['to']}"
                  for y in years]
        lines.append(f"{name:<29}" + "".join(f"{label:<36}" for label in labels))
        rows = [(label, key, count) for key, label in FLOWS.items()]
        rows += [("Response to a new lead", "response_minutes", _minutes),
                 ("SDR capacity / arrivals", "sdr_coverage", lambda v: f"{100 * v:.0f}%"),
                 ("AE capacity used", "ae_utilisation", lambda v: f"{100 * v:.0f}%"),
                 ("Open pipeline at year end", "pipeline_open_end", count),
                 ("CAC (fully loaded)", "cac", lambda v: money(v, currency))]
        for label, key, fmt in rows:
            cells = [y[key] for y in years]
            if all(c is None or c["p90"] == 0 for c in cells):
                continue  # a stage or tool this segment does not use
            lines.append(f"  {label:<27}" + "".join(f"{_cell(c, fmt):<36}" for c in cells))
    return "\n".join(lines) + "\n"
