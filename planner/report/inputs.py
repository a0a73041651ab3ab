"""What a report is made of, from a :class:`planner.run.Run` or a bare result.

A run gives its own summary, unit economics, detail paths and comparison, so the report
shows exactly what ``planner run`` printed. A bare :class:`SimulationResult` (a notebook
user's ``planner.simulate(...)``) is summarised here the same way, on its own paths.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from planner.analysis.unit_economics import COMPANY_INPUTS, SEGMENT_INPUTS
from planner.report.sensitivity import report_sensitivity
from planner.report.summary import summarise
from planner.report.unit_economics import unit_economics_summary
from planner.results import SimulationResult


@dataclass
class ReportInputs:
    """The parts of a report.

    Attributes
    ----------
    result : SimulationResult
        All paths: headline numbers, fans, the monthly sheets.
    detail : SimulationResult
        Paths with series by segment: unit economics, funnel, cohorts, segment sheets
        (the same object as ``result`` for a bare result).
    summary : dict
    unit_economics : dict or None
        None when ``detail`` lacks the segment series they need.
    comparison : Comparison or None
    """

    result: SimulationResult
    detail: SimulationResult
    summary: dict
    unit_economics: dict | None
    comparison: object | None
    sensitivity: dict | None = None
    tracking: object | None = None


def with_sensitivity(parts: ReportInputs) -> ReportInputs:
    """``parts`` with the report's own "what drives the range" analysis, computed once for
    the HTML and the workbook of one report (a few seconds on 512 paths)."""
    if parts.sensitivity is not None:
        return parts
    return dataclasses.replace(parts, sensitivity=report_sensitivity(parts.result) or {})


def report_inputs(source, *, summary: dict | None = None, unit_economics: dict | None = None,
                  comparison=None) -> ReportInputs:
    """:class:`ReportInputs` of a Run (anything with ``result``, ``detail`` and ``summary``),
    of a SimulationResult or of ReportInputs; the keyword arguments replace what they name."""
    if isinstance(source, ReportInputs):
        return ReportInputs(source.result, source.detail,
                            source.summary if summary is None else summary,
                            source.unit_economics if unit_economics is None else unit_economics,
                            source.comparison if comparison is None else comparison,
                            source.sensitivity, source.tracking)
    if isinstance(source, SimulationResult):
        summary = summarise(source) if summary is None else summary
        ue = unit_economics_of(source) if unit_economics is None else unit_economics
        return ReportInputs(source, source, summary, ue, comparison)
    summary = source.summary if summary is None else summary
    ue = summary.get("unit_economics") if unit_economics is None else unit_economics
    return ReportInputs(source.result, source.detail, summary, ue,
                        source.comparison if comparison is None else comparison)


def unit_economics_of(result: SimulationResult) -> dict | None:
    """:func:`planner.report.unit_economics.unit_economics_summary`, or None when the result
    lacks the segment series it needs (e.g. a result kept without segments)."""
    if not set(SEGMENT_INPUTS) <= set(result.by_segment) or not set(COMPANY_INPUTS) <= set(result.names):
        return None
    return unit_economics_summary(result)
