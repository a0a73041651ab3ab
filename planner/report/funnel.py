"""The go-to-market funnel by plan year, per segment: the rows of the report's funnel
section and of the workbook's ``Funnel by year`` sheet.

The figures are :func:`planner.analysis.funnel.funnel_summary`'s, the ones ``planner run``
prints (each computed path by path over the first and the last plan year, then
P10/P50/P90 across paths), so the terminal, the report and the workbook agree. Added
here: under each stage, the P50 across paths of its total over the total of the stage
above in the same year (a flow ratio, as the funnel chart writes it: stages take months,
so it is not one cohort's conversion).
"""
from __future__ import annotations

from dataclasses import dataclass

from planner.charts.funnel import first_and_last_year, stage_totals
from planner.analysis.funnel import FLOWS
from planner.analysis.stats import bands
from planner.analysis.funnel import FUNNEL_SUMMARY_SERIES, funnel_summary

#: rows after the stages: (summary key, label, unit)
MEASURES = (("response_minutes", "Response to a new lead, minutes", "minutes"),
            ("sdr_coverage", "SDR capacity / arrivals", "fraction"),
            ("ae_utilisation", "AE capacity used (wins / AE capacity)", "fraction"),
            ("pipeline_open_end", "Open pipeline at year end", "count"),
            ("cac", "CAC (fully loaded)", "money"))
#: AE capacity used (P50, last plan year) from which the report warns
CAPACITY_WARNING = 0.95


@dataclass(frozen=True)
class FunnelRow:
    """One line of a segment's funnel table.

    Attributes
    ----------
    key : str
        The summary key: a stage's series (``leads`` ...) or a measure of :data:`MEASURES`.
    label : str
    unit : str
        ``count``, ``minutes``, ``fraction`` or ``money``.
    years : tuple of (dict or None)
        Per plan year ``{"p10", "p50", "p90"}``; None where undefined on every path.
    conversion : tuple of (float or None)
        Per plan year, the P50 of this stage / the stage above; empty for rows that are
        not a stage and for the first stage of the sales-led and self-serve groups.
    above : str
        The label of the stage above ("" when there is none).
    """

    key: str
    label: str
    unit: str
    years: tuple
    conversion: tuple = ()
    above: str = ""


def _used(cells) -> bool:
    """A row the segment uses: defined and not zero on every path (as ``planner run`` prints)."""
    return not all(c is None or c["p90"] == 0 for c in cells)


def segment_rows(result, segment: str, years: list[dict]) -> list[FunnelRow]:
    """The table of one funnel segment from its :func:`funnel_summary` years."""

    spans = first_and_last_year(result.months)
    shares = {r.key: r for r in stage_totals(result, (segment,), spans)}
    rows = []
    for key, label in FLOWS.items():
        cells = tuple(y[key] for y in years)
        if _used(cells):
            stage = shares.get(key)
            above = stage.above if stage is not None else ""
            rows.append(FunnelRow(key, label, "count", cells, tuple(stage.shares) if above else (), above))
    for key, label, unit in MEASURES:
        cells = tuple(y[key] for y in years)
        if _used(cells):
            rows.append(FunnelRow(key, label, unit, cells))
    return rows


def funnel_tables(result) -> dict | None:
    """Per funnel segment, its table for the first and last plan year.

    Returns
    -------
    dict or None
        ``{"years": [label, ...], "segments": {name: [FunnelRow, ...]}, "paths": int,
        "opening_pipeline": {"p10", "p50", "p90"} or None}``; None when the scenario has no
        funnel or the result did not keep the series the summary reads by segment.
    """

    if not result.scenario.has_funnel or any(n not in result.by_segment for n in FUNNEL_SUMMARY_SERIES):
        return None
    summary = funnel_summary(result)
    pipeline = result.opening.get("pipeline")
    return {"years": [label for label, _, _ in first_and_last_year(result.months)],
            "segments": {name: segment_rows(result, name, years) for name, years in summary["segments"].items()},
            "paths": result.paths,
            "opening_pipeline": None if pipeline is None else bands(pipeline)}


def capacity_warnings(result, tables: dict | None) -> list[str]:
    """A sentence per segment whose AEs use at least :data:`CAPACITY_WARNING` of their
    capacity in the last plan year (P50): deals beyond it wait (or are lost)."""
    if tables is None:
        return []
    out = []
    year = tables["years"][-1]
    for seg in result.scenario.segments:
        row = next((r for r in tables["segments"].get(seg.name, ()) if r.key == "ae_utilisation"), None)
        used = row.years[-1]["p50"] if row is not None and row.years[-1] is not None else None
        if used is not None and used >= CAPACITY_WARNING and seg.funnel.capacity is not None:
            fate = "wait for a free AE" if seg.funnel.capacity.carry_over else "are lost"
            out.append(f"Segment {seg.name}: account executives use {used:.0%} of their capacity in {year} "
                       f"(P50); ready deals beyond it {fate}, so AE hiring limits new customers.")
    return out
