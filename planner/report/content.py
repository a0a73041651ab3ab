"""What the report says beyond the numbers: its charts, its warnings, and metric formatting."""
from __future__ import annotations

import base64

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


def chart_images(result, comparison=None, kinds=REPORT_CHARTS, dpi: int = 110,
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
        110 dpi keeps a 10-inch chart sharp on a laptop screen (1,100 px) and the HTML small.
    detail : SimulationResult, optional
        A run's detail paths, for the charts ``result`` lacks the series for.

    Returns
    -------
    list of (kind, caption, png bytes)
    """
    have = set(available_charts(result)) | (set(available_charts(detail)) if detail is not None else set())
    drawn = list(draw_charts(result, [k for k in kinds if k in have], detail))
    if comparison is not None:
        drawn.append(("plan_comparison", plot_plan_comparison(comparison)))
    out = []
    for kind, axes in drawn:
        out.append((kind, CHARTS[kind].caption, figure_bytes(axes, "png", dpi)))
        release(axes)
    return out


def data_url(png: bytes) -> str:
    """A ``data:image/png;base64,...`` URL: the image travels inside the HTML."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def report_warnings(result, summary: dict, unit_economics: dict | None, detail=None) -> list[str]:
    """What a board should not miss: cash risk, poor verdicts, unbounded metrics, precision, scenario
    notes, AE capacity that limits new customers (or that there is no funnel).

    Returns
    -------
    list of str
        One sentence each; empty when there is nothing to flag.
    """
    cur = result.scenario.currency
    out = list(getattr(result.scenario, "warnings", ()))
    cash_out = summary["cash_out"]["probability"]
    if cash_out > 0:
        out.append(f"Cash runs out on {percent(cash_out)} of paths by {summary['end']} under plan "
                   f"'{result.plan}'.")
    funding = summary.get("funding", {})
    below = funding.get("below_minimum_cash_probability", 0.0)
    if below > 0:
        floor = funding["minimum_raise"]["minimum_cash"]
        out.append(f"Cash falls below the minimum balance of {money(floor, cur)} at some point on "
                   f"{percent(below)} of paths.")
    out += _verdict_warnings(unit_economics, cur)
    out += _precision_warning(result)
    if not result.scenario.has_funnel:
        out.append("The scenario has no go-to-market funnel (acquisition is given directly), so there is "
                   "no funnel chart.")
    else:
        source = result if detail is None else detail
        out += capacity_warnings(source, funnel_tables(source))
    return out


def _verdict_warnings(unit_economics: dict | None, currency: str) -> list[str]:
    if unit_economics is None:
        return ["Unit economics are not in this report: the result was simulated without segment series."]
    out = []
    label = unit_economics["years"]["last_year"]["label"]
    for key, entry in unit_economics["scopes"]["blended"]["last_year"].items():
        verdict = entry.get("verdict", "")
        if entry.get("level") == "bad":
            out.append(f"{metric_title(key)} in {label}: {verdict} "
                       f"(P50 {metric_number(entry['p50'], entry['unit'], currency, months_word=True)}).")
        if isinstance(entry.get("p50"), dict) and key == "ltv":
            out.append(f"{metric_title(key)} in {label} has no finite value ({entry['p50']['reason']}); "
                       "the capped, discounted and simulated cohort values are shown instead.")
    return out


def _precision_warning(result) -> list[str]:
    if precise_enough(result.total("arr")[:, -1], result.cash_out_month() >= 0):
        return []
    return [f"{result.paths:,} paths do not pin the ARR P50 to 1% or the cash-out probability to 0.5 "
            "points (95% confidence): run more paths (--paths auto) before quoting final figures."]
