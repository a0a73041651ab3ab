"""Board-ready charts of a simulation: one style, currency axes, colour-blind-safe colours.

Every chart is a function ``plot_<name>(result, ..., ax=None)`` that draws on the Axes
you give it (or on a new figure that pyplot does not know about) and returns what it
drew on: an Axes, or an array of Axes for figures with several panels (their
docstrings say which). Styling happens inside :func:`planner.charts.style.chart_style`,
a :func:`matplotlib.rc_context`: nothing changes matplotlib's global state.

>>> from planner.charts import plot_arr_fan, save_chart
>>> ax = plot_arr_fan(result)
>>> save_chart(ax, "arr.png")          # PNG at 2x (200 dpi) for slides; "arr.svg" for SVG

:data:`CHARTS` lists the chart kinds the CLI knows (``planner chart --kind NAME``),
:func:`available_charts` the ones a result has the series for.
"""
from __future__ import annotations

from planner.charts.bridge import plot_mrr_bridge, plot_mrr_waterfall
from planner.charts.cohort_charts import plot_cohort_layers, plot_retention
from planner.charts.costs import driven_roles, plot_headcount, plot_pnl
from planner.charts.economics import plot_unit_economics
from planner.charts.fans import plot_arr_fan, plot_cash_fan, plot_plan_comparison
from planner.charts.funnel import FUNNEL_CHART_SERIES, plot_funnel
from planner.charts.files import (figure_bytes, save_chart, write_comparison_chart,
                                  write_standard_charts)
from planner.charts.style import chart_style
from planner.errors import PlannerError

__all__ = ["plot_arr_fan", "plot_cash_fan", "plot_mrr_bridge", "plot_mrr_waterfall", "plot_cohort_layers",
           "plot_retention", "plot_unit_economics", "plot_plan_comparison", "plot_headcount", "plot_pnl",
           "plot_funnel", "figure_bytes", "save_chart", "write_standard_charts", "write_comparison_chart",
           "chart_style", "CHARTS", "available_charts", "draw_chart"]

_MOVEMENTS = ("mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")
_SEGMENT_SERIES = ("new_customers", "new_mrr", "mrr", "customers", "churned_customers", "churned_mrr",
                   "expansion_mrr", "contraction_mrr", "revenue", "cogs")

#: chart kind -> (function, series it needs, whether they must be kept by segment, what it shows)
CHARTS = {
    "arr_fan": (plot_arr_fan, ("mrr",), False, "ARR: P50 with P25-P75 and P10-P90 bands"),
    "cash_fan": (plot_cash_fan, ("cash",), False,
                 "cash range, zero and minimum-cash lines, share of paths out of cash"),
    "mrr_bridge": (plot_mrr_bridge, _MOVEMENTS, False,
                   "new, expansion, contraction and churned MRR by quarter, net new MRR"),
    "mrr_waterfall": (plot_mrr_waterfall, _MOVEMENTS, False, "opening to closing MRR, year by year"),
    "cohort_layers": (plot_cohort_layers, ("mrr",), False, "ARR stacked by quarterly acquisition cohort"),
    "retention": (plot_retention, (), False, "survival curves by segment and the revenue-retention heatmap"),
    "unit_economics": (plot_unit_economics, _SEGMENT_SERIES, True,
                       "LTV:CAC, CAC payback and burn multiple by quarter over benchmark bands"),
    "headcount": (plot_headcount, (), False, "people by department (P50 across paths; roles with drivers vary)"),
    "pnl": (plot_pnl, ("revenue", "cogs", "sm_expense", "rnd_expense", "cs_expense", "ga_expense"), False,
            "revenue against COGS and opex by department, by quarter"),
    "funnel": (plot_funnel, FUNNEL_CHART_SERIES, True,
               "go-to-market funnel: a year's volume and conversion by stage, monthly volumes, AE capacity used"),
    "plan_comparison": (plot_plan_comparison, ("cash", "mrr"), False,
                        "funding plans: share of paths solvent, ARR ranges (takes a Comparison)"),
}
#: what the unit-economics chart also needs at company level
_COMPANY_EXTRA = {"unit_economics": ("sm_expense", "rnd_expense", "cs_expense", "ga_expense",
                                     "net_cash_flow", "funding", "ebitda")}


def applies(result, kind: str) -> bool:
    """Whether chart ``kind`` means anything for the result's scenario (the funnel needs one)."""
    return kind != "funnel" or result.scenario.has_funnel


def missing_series(result, kind: str) -> list[str]:
    """Series chart ``kind`` needs that ``result`` does not have (by segment where required)."""
    if kind not in CHARTS:
        raise PlannerError(f"no chart named {kind!r}; charts: {', '.join(CHARTS)}")
    _, needs, by_segment, _ = CHARTS[kind]
    have = set(result.names)
    if kind == "headcount" and driven_roles(result.scenario):
        needs = ("role_headcount",)  # driven roles differ by path: only the simulation knows them
    missing = [n for n in needs + _COMPANY_EXTRA.get(kind, ()) if n not in have]
    if by_segment:
        missing += [n for n in needs if n not in result.by_segment]
    return list(dict.fromkeys(missing))


def available_charts(result) -> list[str]:
    """Chart kinds ``result`` has the series for and whose subject its scenario has (``funnel``
    only with a funnel; ``plan_comparison`` excluded: it takes a Comparison)."""
    return [kind for kind in CHARTS if kind != "plan_comparison" and applies(result, kind)
            and not missing_series(result, kind)]


def shared_models(result, kinds):
    """Cohort models for the cohort charts among ``kinds`` (built once), or None."""
    if not {"cohort_layers", "retention"} & set(kinds):
        return None
    from planner.cohorts import cohort_models

    return cohort_models(result, max_age=len(result.months) + 1)


def draw_chart(kind: str, result, models=None, **options):
    """Draw chart ``kind`` of ``result`` on a new figure; returns what its function returns.

    Raises
    ------
    PlannerError
        For an unknown kind, or a result without the series the chart needs (the
        funnel on a scenario without one; unit economics from a result kept without
        segments), naming what is missing.
    """
    if kind == "plan_comparison":
        raise PlannerError("plan_comparison draws a Comparison: use plot_plan_comparison(planner.compare(...))")
    if not applies(result, kind):
        return CHARTS[kind][0](result)  # raises the chart's own message (no funnel)
    missing = missing_series(result, kind)
    if missing:
        raise PlannerError(f"chart {kind!r} needs series this result does not keep: {', '.join(missing)} "
                           f"(simulate with keep=None{', by_segment=True' if CHARTS[kind][2] else ''})")
    if kind in ("cohort_layers", "retention"):
        options.setdefault("models", models)
    return CHARTS[kind][0](result, **options)
