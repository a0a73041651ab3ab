"""The go-to-market funnel of a run, per segment and plan year, as data and as text."""
from __future__ import annotations


from planner.analysis.stats import bands, defined_bands
from planner.arrays import ratio
from planner.results import SimulationResult
from planner.analysis.periods import plan_years

#: series the funnel summary reads, by segment
FUNNEL_SUMMARY_SERIES = ("leads", "mqls", "sqls", "opportunities", "wins", "trials", "trial_wins",
                         "response_minutes", "sdr_capacity", "ae_capacity", "pipeline_open",
                         "acquisition_cost", "new_customers")
#: flows summed over a year: key -> label
FLOWS = {"leads": "Leads", "mqls": "MQLs", "sqls": "SQLs", "opportunities": "Opportunities",
         "wins": "Wins (sales-led)", "trials": "Trials", "trial_wins": "Self-serve wins"}


def segment_year(result: SimulationResult, segment: str, first: int, last: int) -> dict:
    """One segment's funnel over months ``first..last``: flows, response, capacity, CAC."""
    get = lambda name: result.segment(name, segment)[:, first:last + 1]  # noqa: E731
    out = {name: bands(get(name).sum(axis=1)) for name in FLOWS}
    contacted = get("contacted")
    out["response_minutes"] = defined_bands(ratio((get("response_minutes") * contacted).sum(axis=1),
                                                contacted.sum(axis=1)))
    out["ae_utilisation"] = defined_bands(ratio(get("wins").sum(axis=1), get("ae_capacity").sum(axis=1)))
    out["sdr_coverage"] = defined_bands(ratio(get("sdr_capacity").sum(axis=1), contacted.sum(axis=1)))
    out["pipeline_open_end"] = bands(get("pipeline_open")[:, -1])
    out["cac"] = defined_bands(ratio(get("acquisition_cost").sum(axis=1), get("new_customers").sum(axis=1)))
    return out


def funnel_summary(result: SimulationResult) -> dict:
    """Per funnel segment and plan year (first and last): see :func:`segment_year`.

    Returns
    -------
    dict
        ``paths``, and ``segments``: name -> list of years, each ``label`` (the plan year,
        :mod:`planner.analysis.periods`), ``from``, ``to``, ``months`` and the figures
        (P10/P50/P90 dicts; None where undefined on every path).
    """
    years = plan_years(result.months)
    chosen = [years[0]] + ([years[-1]] if len(years) > 1 else [])
    segments = {}
    for seg in result.scenario.segments:
        if seg.funnel is None:
            continue
        segments[seg.name] = [{"label": y.title, "from": str(result.months[y.first]),
                               "to": str(result.months[y.last]), "months": y.months}
                              | segment_year(result, seg.name, y.first, y.last) for y in chosen]
    return {"paths": result.paths, "segments": segments}


