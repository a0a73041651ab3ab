"""The board report: one self-contained HTML file and an Excel workbook.

:func:`write_report` writes ``report.html`` and ``report.xlsx`` for a simulation. The
HTML needs no network access: the charts are PNG images embedded as base64 ``data:``
URLs, the style sheet is inline, and there is no script. Its sections: warnings,
headline numbers, charts, funding needs, unit economics with benchmark verdicts, the
go-to-market funnel (when the scenario has one), the funding plans compared (when a
comparison is given), and the assumptions (every input, uncertain ones with their
distribution and P10/P50/P90). The workbook
(:mod:`planner.workbook`) holds the same content as tables.

>>> import planner
>>> from planner.report import write_report
>>> sc = planner.load_scenario("scenarios/series_a_midmarket.yaml")
>>> write_report(planner.simulate(sc), "outputs/board", comparison=planner.compare(sc))
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from planner.io import write_text
from planner.report.assumptions import Assumption, assumption_rows, format_value
from planner.report.content import REPORT_CHARTS, chart_images, report_warnings, unit_economics_of

__all__ = ["write_report", "render_html", "assumption_rows", "Assumption", "format_value", "chart_images",
           "report_warnings", "unit_economics_of", "REPORT_CHARTS"]


def render_html(result, *, summary: dict | None = None, unit_economics: dict | None = None,
                comparison=None, charts=None, generated: str | None = None) -> str:
    """The report as one HTML document (no external resources, no script).

    Parameters
    ----------
    result : SimulationResult
        A full result (all series, by segment) gives every section; with fewer series
        the unit economics and the charts that need them are left out (and a warning says so).
    summary : dict, optional
        From :func:`planner.summary.summarise` (computed when not given).
    unit_economics : dict, optional
        From :func:`planner.unit_economics_report.unit_economics_summary` (computed when
        not given and the result has the series).
    comparison : planner.funding.Comparison, optional
        Adds the plan comparison table and chart.
    charts : list of (kind, caption, png bytes), optional
        From :func:`chart_images` (drawn when not given).
    generated : str, optional
        The date printed in the footer (default: today, ``YYYY-MM-DD``).

    Returns
    -------
    str
    """
    from planner.report.html import document
    from planner.summary import summarise

    summary = summarise(result) if summary is None else summary
    unit_economics = unit_economics_of(result) if unit_economics is None else unit_economics
    charts = chart_images(result, comparison) if charts is None else charts
    warnings = report_warnings(result, summary, unit_economics)
    return document(result, summary, unit_economics, comparison, charts, warnings,
                    assumption_rows(result.scenario), generated or _dt.date.today().isoformat())


def write_report(result, out_dir: str | Path, *, comparison=None, workbook: bool = True,
                 name: str = "report") -> list[Path]:
    """Write ``<name>.html`` and (unless ``workbook=False``) ``<name>.xlsx`` into ``out_dir``.

    Parameters
    ----------
    result : SimulationResult
        Best a full result: ``planner.simulate(scenario)`` with the default ``keep``.
    out_dir : path-like
        Created if missing; files are written atomically.
    comparison : planner.funding.Comparison, optional
        Adds the plan comparison to the HTML; the workbook's comparison sheet uses it
        too (or compares the scenario's plans itself when not given).
    workbook : bool
        Also write the Excel workbook.
    name : str
        File name without the suffix.

    Returns
    -------
    list of Path
        The files written.
    """
    from planner.summary import summarise

    out_dir = Path(out_dir)
    summary = summarise(result)
    ue = unit_economics_of(result)
    files = [out_dir / f"{name}.html"]
    write_text(files[0], render_html(result, summary=summary, unit_economics=ue, comparison=comparison))
    if workbook:
        from planner.workbook import write_workbook

        files.append(write_workbook(result, out_dir / f"{name}.xlsx", summary=summary, unit_economics=ue,
                                    comparison=comparison))
    return files
