"""What the report says beyond the numbers: its charts and their captions, its warnings
and notes, and metric formatting."""
from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

from planner.analysis.mc_error import precise_enough
from planner.charts.fans import plot_plan_comparison
from planner.charts.files import figure_bytes, release
from planner.charts.registry import CHARTS, available_charts, draw_charts
from planner.format import money, percent
from planner.report.funnel import capacity_warnings, funnel_tables
from planner.analysis.metric_specs import metric_title
from planner.report.unit_economics import metric_number

#: charts of the report, in order
REPORT_CHARTS = ("arr_fan", "cash_fan", "mrr_bridge", "cohort_layers", "retention", "unit_economics",
                 "pnl", "headcount", "funnel")


#: PNG resolution of the report's charts: a 10-inch chart is 1,600 px, sharp at the page
#: width on a laptop (about 1,000 px) and in print (about 230 dpi across an A4 column)
REPORT_DPI = 160

#: captions for readers, by chart kind (the catalogue's captions say what a chart draws;
#: these say what to read in it); kinds not here keep the catalogue's caption
CAPTIONS = {
    "arr_fan": "ARR month by month: the line is each month's P50 across the simulated paths, the "
               "dark band holds half of the paths (P25 to P75), the light band eight in ten (P10 to P90).",
    "cash_fan": "Cash balance month by month, with the same bands as ARR, the zero line and the minimum "
                "cash balance the plan must keep; where paths run out of cash, the share of them.",
    "mrr_bridge": "Where MRR comes from, quarter by quarter: new and expansion MRR added, contraction and "
                  "churn lost, and the net new MRR.",
    "mrr_waterfall": "MRR from the start to the end of each year: what new customers and expansion add, "
                     "what contraction and churn take away.",
    "cohort_layers": "ARR by the quarter in which its customers were won: how much of the plan rests on "
                     "customers not yet won.",
    "retention": "The share of customers still subscribed by months since they joined, per segment, and "
                 "the revenue each acquisition cohort keeps as it ages.",
    "unit_economics": "LTV:CAC, the months to pay back CAC and the burn multiple, quarter by quarter, "
                      "against benchmark bands.",
    "pnl": "Revenue against the cost of revenue and the operating expenses of each department, by quarter.",
    "headcount": "People by department at each month end (P50 across the paths).",
    "funnel": "The go-to-market funnel: a year's volume at each stage and the conversion between stages, "
              "monthly volumes, and how much of the account executives' capacity is used.",
    "plan_comparison": "The funding plans on the same simulated paths; the table under "
                       "\u201cFunding plans compared\u201d gives the numbers.",
}


def caption(kind: str) -> str:
    """The caption readers see under chart ``kind``."""
    return CAPTIONS.get(kind) or CHARTS[kind].caption


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels of PNG bytes, from the IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return struct.unpack(">II", png[16:24])


def chart_images(result, comparison=None, kinds=REPORT_CHARTS, dpi: int = REPORT_DPI,
                 detail=None) -> list[tuple[str, str, bytes]]:
    """The report's charts as PNG bytes, for each chart the results have the series for.

    Parameters
    ----------
    result : SimulationResult
    comparison : Comparison, optional
        Adds the plan comparison chart.
    kinds : sequence of str
        Chart kinds of :data:`planner.charts.CHARTS`.
    dpi : int
        :data:`REPORT_DPI` by default.
    detail : SimulationResult, optional
        A run's detail paths, for the charts ``result`` lacks the series for.

    Returns
    -------
    list of (kind, caption, png bytes)
        Captions from :func:`caption`.
    """
    have = set(available_charts(result)) | (set(available_charts(detail)) if detail is not None else set())
    drawn = list(draw_charts(result, [k for k in kinds if k in have], detail))
    if comparison is not None:
        drawn.append(("plan_comparison", plot_plan_comparison(comparison)))
    out = []
    for kind, axes in drawn:
        out.append((kind, caption(kind), figure_bytes(axes, "png", dpi)))
        release(axes)
    return out


def data_url(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URL: the image travels inside the HTML."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@dataclass(frozen=True)
class Notice:
    """One sentence of the report's Warnings box (``level="warning"``: a risk or a limit of
    the numbers) or of its Notes (``"info"``: how the report was made, what it leaves out)."""

    level: str
    text: str

    def __post_init__(self):
        if self.level not in ("warning", "info"):
            raise ValueError(f"a notice's level is 'warning' or 'info' (got {self.level!r})")


def report_notices(result, summary: dict, unit_economics: dict | None, detail=None) -> list[Notice]:
    """What a board should not miss (warnings: cash risk, bad verdicts, precision, scenario
    values outside their ordinary range, AE capacity that limits new customers) and what a
    reader should know about how the report was made (notes: the sampling method, no
    funnel, metrics shown in another form, sections left out).

    Returns
    -------
    list of Notice
        Warnings first, in the order above; empty when there is nothing to say.
    """
    cur = result.scenario.currency
    warn = [Notice("warning", w) for w in getattr(result.scenario, "warnings", ())]
    info = []
    cash_out = summary["cash_out"]["probability"]
    if cash_out > 0:
        warn.append(Notice("warning", f"Cash runs out on {percent(cash_out)} of paths by {summary['end']} "
                                      f"under plan '{result.plan}'."))
    funding = summary.get("funding", {})
    below = funding.get("below_minimum_cash_probability", 0.0)
    if below > 0:
        floor = funding["minimum_raise"]["minimum_cash"]
        warn.append(Notice("warning", f"Cash falls below the minimum balance of {money(floor, cur)} at some "
                                      f"point on {percent(below)} of paths."))
    for notice in _verdict_warnings(unit_economics, cur):
        (warn if notice.level == "warning" else info).append(notice)
    warn += [Notice("warning", w) for w in _precision_warning(result)]
    if not result.scenario.has_funnel:
        info.append(Notice("info", "The scenario has no go-to-market funnel (acquisition is given directly), "
                                   "so there is no funnel chart."))
    else:
        source = result if detail is None else detail
        warn += [Notice("warning", w) for w in capacity_warnings(source, funnel_tables(source))]
    info += _sampling_notes(summary)
    return warn + info


def report_warnings(result, summary: dict, unit_economics: dict | None, detail=None) -> list[str]:
    """The text of every notice of :func:`report_notices`, warnings and notes alike.

    Returns
    -------
    list of str
        One sentence each; empty when there is nothing to flag.
    """
    return [n.text for n in report_notices(result, summary, unit_economics, detail)]


def _sampling_notes(summary: dict) -> list[Notice]:
    sampling = summary.get("sampling") or {}
    method = sampling.get("method")
    if not method or method == "monte_carlo":
        return []
    names = {"latin_hypercube": "Latin hypercube (one draw in each of the equal-probability strata of "
                                "every input)", "sobol": "scrambled Sobol points (a low-discrepancy design)"}
    return [Notice("info", f"Sampling: {names.get(method, method.replace('_', ' '))}, instead of plain "
                           "Monte Carlo draws.")]


def _verdict_warnings(unit_economics: dict | None, currency: str) -> list[Notice]:
    if unit_economics is None:
        return [Notice("info", "Unit economics are not in this report: the result was simulated without "
                               "segment series.")]
    out = []
    label = unit_economics["years"]["last_year"]["label"]
    for key, entry in unit_economics["scopes"]["blended"]["last_year"].items():
        verdict = entry.get("verdict", "")
        if entry.get("level") == "bad":
            out.append(Notice("warning", f"{metric_title(key)} in {label}: {verdict} (P50 "
                               f"{metric_number(entry['p50'], entry['unit'], currency, months_word=True)})."))
        if isinstance(entry.get("p50"), dict) and key == "ltv":
            out.append(Notice("info", f"{metric_title(key)} in {label} has no finite value "
                                      f"({entry['p50']['reason']}); the capped, discounted and simulated "
                                      "cohort values are shown instead."))
    return out


def _precision_warning(result) -> list[str]:
    if getattr(result, "sampled_from", 0):  # a streamed run: its Monte Carlo error, in the summary, is of every path
        return []
    if precise_enough(result.total("arr")[:, -1], result.cash_out_month() >= 0):
        return []
    return [f"{result.paths:,} paths do not pin the ARR P50 to 1% or the cash-out probability to 0.5 "
            "points (95% confidence): run more paths (--paths auto) before quoting final figures."]
