"""Numbers -> words and files: the board report (one self-contained HTML file and an
Excel workbook), the terminal text, and the CSV/JSON tables.

:func:`write_report` writes ``report.html`` and ``report.xlsx`` for a
:class:`planner.run.Run` (what ``planner report`` does: the same numbers ``planner run``
prints) or for a bare simulation result. The HTML needs no network access: the charts
are PNG images embedded as base64 ``data:`` URLs, the style sheet is inline, and there
is no script. Its sections: the executive summary, warnings and notes, headline
numbers, the yearly P&L, funding needs, charts, what drives the range, unit economics
with benchmark verdicts, the go-to-market funnel (when the scenario has one),
the funding plans compared (when a comparison is given), and the assumptions (every
input, uncertain ones with their distribution and P10/P50/P90). The workbook
(:mod:`planner.report.workbook`) holds the same content as tables.

>>> import planner
>>> from planner.report import write_report
>>> from planner.run import run_scenario
>>> sc = planner.load_scenario("scenarios/series_a_midmarket.yaml")
>>> write_report(run_scenario(sc, with_comparison=True), "outputs/board")
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
from pathlib import Path

from planner.io import write_text
from planner.lazy import lazy_names

# loaded on first use: `planner run` imports planner.report.tables and .summary, which
# must not pull in the HTML report, its charts and the actuals readers (pandas)
_LAZY = {"Assumption": "planner.report.assumptions", "assumption_rows": "planner.report.assumptions",
         "format_value": "planner.report.assumptions", "REPORT_CHARTS": "planner.report.content",
         "chart_images": "planner.report.content", "report_notices": "planner.report.content",
         "report_warnings": "planner.report.content", "document": "planner.report.html",
         "ReportInputs": "planner.report.inputs", "report_inputs": "planner.report.inputs",
         "unit_economics_of": "planner.report.inputs", "with_sensitivity": "planner.report.inputs"}

__all__ = ["write_report", "render_html", "assumption_rows", "Assumption", "format_value", "chart_images",
           "report_warnings", "unit_economics_of", "report_inputs", "ReportInputs", "REPORT_CHARTS"]

__getattr__ = lazy_names("planner.report", _LAZY, globals())


def render_html(source, *, summary: dict | None = None, unit_economics: dict | None = None,
                comparison=None, charts=None, generated: str | None = None) -> str:
    """The report as one HTML document (no external resources, no script).

    Parameters
    ----------
    source : Run or SimulationResult
        A run gives every section from its own numbers. A full result (all series, by
        segment) does too; with fewer series the unit economics and the charts that need
        them are left out (and a warning says so).
    summary, unit_economics : dict, optional
        Replace the source's (:func:`planner.report.summary.summarise`,
        :func:`planner.report.unit_economics.unit_economics_summary`).
    comparison : Comparison, optional
        Adds the plan comparison table and chart (a run's own comparison by default).
    charts : list of (kind, caption, png bytes), optional
        From :func:`chart_images` (drawn when not given).
    generated : str, optional
        The date printed in the footer (default: today, ``YYYY-MM-DD``).

    Returns
    -------
    str
    """
    from planner.report.assumptions import assumption_rows
    from planner.report.content import chart_images, report_notices
    from planner.report.html import document
    from planner.report.inputs import report_inputs, with_sensitivity

    parts = with_sensitivity(report_inputs(source, summary=summary, unit_economics=unit_economics,
                                           comparison=comparison))
    if charts is None:
        charts = chart_images(parts.result, parts.comparison, detail=parts.detail)
    notices = report_notices(parts.result, parts.summary, parts.unit_economics, detail=parts.detail)
    return document(parts, charts, notices, assumption_rows(parts.result.scenario),
                    generated or _dt.date.today().isoformat())


def write_report(source, out_dir: str | Path, *, comparison=None, workbook: bool = True,
                 name: str = "report", tracking=None) -> list[Path]:
    """Write ``<name>.html`` and (unless ``workbook=False``) ``<name>.xlsx`` into ``out_dir``.

    Parameters
    ----------
    source : Run or SimulationResult
        Best a run (:func:`planner.run.run_scenario`) or a full result
        (``planner.simulate(scenario)`` with the default ``keep``).
    out_dir : path-like
        Created if missing; files are written atomically.
    comparison : Comparison, optional
        Adds the plan comparison to the HTML; the workbook's comparison sheet uses it
        too (or compares the scenario's plans itself when there is none).
    workbook : bool
        Also write the Excel workbook.
    tracking : planner.actuals.Tracking, optional
        Plan vs actual (:func:`planner.actuals.track`): adds a "Plan vs actual" section and
        sheet.
    name : str
        File name without the suffix.

    Returns
    -------
    list of Path
        The files written.
    """
    from planner.report.inputs import report_inputs, with_sensitivity
    from planner.report.workbook import write_workbook  # openpyxl: only when writing one

    parts = with_sensitivity(report_inputs(source, comparison=comparison))
    if tracking is not None:
        parts = dataclasses.replace(parts, tracking=tracking)
    out_dir = Path(out_dir)
    files = [out_dir / f"{name}.html"]
    write_text(files[0], render_html(parts))
    if workbook:
        files.append(write_workbook(parts, out_dir / f"{name}.xlsx"))
    return files
