"""The chart catalogue: one :class:`ChartSpec` per chart kind, and drawing by kind.

A spec says which function draws the chart, which series it needs (and whether by
segment), when it applies to a scenario, and the caption readers see. ``planner
chart --kind NAME``, the standard chart set of a run and the report all read this table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from planner.analysis.unit_economics import COMPANY_INPUTS, SEGMENT_INPUTS
from planner.charts.bridge import plot_mrr_bridge, plot_mrr_waterfall
from planner.charts.cohort_charts import plot_cohort_layers, plot_retention
from planner.charts.costs import driven_roles, plot_headcount, plot_pnl
from planner.charts.economics import plot_unit_economics
from planner.charts.fans import plot_arr_fan, plot_cash_fan, plot_plan_comparison
from planner.charts.funnel import FUNNEL_CHART_SERIES, plot_funnel
from planner.analysis.cohorts import cohort_models
from planner.errors import PlannerError


def _always(scenario) -> bool:
    return True


@dataclass(frozen=True)
class ChartSpec:
    """One chart kind.

    Attributes
    ----------
    draw : callable
        ``draw(result, **options) -> Axes or array of Axes``.
    needs : tuple of str
        Series the chart reads.
    by_segment : bool
        Whether ``needs`` must be kept by segment.
    caption : str
        What the chart shows, for readers.
    applies : callable
        ``applies(scenario) -> bool``: whether the chart means anything for it.
    company_needs : tuple of str
        Company series it also reads.
    cohorts : bool
        Draws from the cohort models (built once and shared between such charts).
    takes_comparison : bool
        Draws a plan comparison rather than one result.
    """

    draw: Callable
    needs: tuple[str, ...]
    by_segment: bool
    caption: str
    applies: Callable = _always
    company_needs: tuple[str, ...] = ()
    cohorts: bool = False
    takes_comparison: bool = False


_MOVEMENTS = ("mrr", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")

#: chart kind -> spec, in the order charts are drawn and shown
CHARTS: dict[str, ChartSpec] = {
    "arr_fan": ChartSpec(plot_arr_fan, ("mrr",), False, "ARR: P50 by month with P25-P75 and P10-P90 bands"),
    "cash_fan": ChartSpec(plot_cash_fan, ("cash",), False,
                          "Cash: P50 by month and its range, zero and minimum-cash lines, funding events, "
                          "share of paths out of cash (when any)"),
    "mrr_bridge": ChartSpec(plot_mrr_bridge, _MOVEMENTS, False,
                            "New, expansion, contraction and churned MRR by quarter, net new MRR"),
    "mrr_waterfall": ChartSpec(plot_mrr_waterfall, _MOVEMENTS, False, "Opening to closing MRR, year by year"),
    "cohort_layers": ChartSpec(plot_cohort_layers, ("mrr",), False,
                               "ARR stacked by quarterly acquisition cohort", cohorts=True),
    "retention": ChartSpec(plot_retention, (), False,
                           "Survival curves by segment and the revenue-retention heatmap", cohorts=True),
    "unit_economics": ChartSpec(plot_unit_economics, SEGMENT_INPUTS, True,
                                "LTV:CAC, CAC payback and burn multiple by quarter over benchmark bands",
                                company_needs=COMPANY_INPUTS + ("ebitda",)),
    "headcount": ChartSpec(plot_headcount, (), False,
                           "People by department (P50 across paths; roles with drivers vary)"),
    "pnl": ChartSpec(plot_pnl, ("revenue", "cogs", "sm_expense", "rnd_expense", "cs_expense", "ga_expense"),
                     False, "Revenue against COGS and opex by department, by quarter"),
    "funnel": ChartSpec(plot_funnel, FUNNEL_CHART_SERIES, True,
                        "Go-to-market funnel: a year's volume and conversion by stage, monthly volumes, "
                        "AE capacity used", applies=lambda sc: sc.has_funnel),
    "plan_comparison": ChartSpec(plot_plan_comparison, ("cash",), False,
                                 "Funding plans compared: cash by month per plan, ownership kept after the rounds",
                                 takes_comparison=True),
}


def applies(result, kind: str) -> bool:
    """Whether chart ``kind`` means anything for the result's scenario (the funnel needs one)."""
    return CHARTS[kind].applies(result.scenario)


def missing_series(result, kind: str) -> list[str]:
    """Series chart ``kind`` needs that ``result`` does not have (by segment where required)."""
    if kind not in CHARTS:
        raise PlannerError(f"no chart named {kind!r}; charts: {', '.join(CHARTS)}")
    spec = CHARTS[kind]
    needs = spec.needs
    if kind == "headcount" and driven_roles(result.scenario):
        needs = ("role_headcount",)  # driven roles differ by path: only the simulation knows them
    have = set(result.names)
    missing = [n for n in needs + spec.company_needs if n not in have]
    if spec.by_segment:
        missing += [n for n in needs if n not in result.by_segment]
    return list(dict.fromkeys(missing))


def available_charts(result) -> list[str]:
    """Chart kinds ``result`` has the series for and whose subject its scenario has (``funnel``
    only with a funnel; ``plan_comparison`` excluded: it takes a Comparison)."""
    return [kind for kind, spec in CHARTS.items() if not spec.takes_comparison and applies(result, kind)
            and not missing_series(result, kind)]


def shared_models(result, kinds):
    """Cohort models for the cohort charts among ``kinds`` (built once), or None."""
    if not any(CHARTS[k].cohorts for k in kinds):
        return None
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
    if kind in CHARTS and CHARTS[kind].takes_comparison:
        raise PlannerError("plan_comparison draws a Comparison: use plot_plan_comparison(planner.compare(...))")
    if kind in CHARTS and not applies(result, kind):
        return CHARTS[kind].draw(result)  # raises the chart's own message (no funnel)
    missing = missing_series(result, kind)
    if missing:
        raise PlannerError(f"chart {kind!r} needs series this result does not keep: {', '.join(missing)} "
                           f"(simulate with keep=None{', by_segment=True' if CHARTS[kind].by_segment else ''})")
    if CHARTS[kind].cohorts:
        options.setdefault("models", models)
    return CHARTS[kind].draw(result, **options)


def chart_sources(result, kinds=None, detail=None) -> list[tuple[str, object]]:
    """Which result draws each chart: ``result`` (all paths) where it has the series,
    else ``detail`` (the first paths, by segment); the cohort charts always from
    ``detail`` when given (they rebuild cohorts from its draws).

    Returns
    -------
    list of (kind, SimulationResult)
        In catalogue order; ``kinds`` None: every chart one of them can draw.
    """
    have = set(available_charts(result))
    extra = set(available_charts(detail)) if detail is not None else set()
    if kinds is None:
        kinds = [k for k in CHARTS if k in have | extra]
    return [(kind, detail if detail is not None and kind in extra and (
        kind not in have or CHARTS[kind].cohorts) else result) for kind in kinds]


def draw_charts(result, kinds=None, detail=None):
    """Draw each chart of :func:`chart_sources`, cohort models built once per source.

    Yields
    ------
    (kind, drawn)
    """
    sources = chart_sources(result, kinds, detail)
    models: dict[int, object] = {}
    for kind, source in sources:
        if id(source) not in models:  # only for the cohort charts this source draws
            models[id(source)] = shared_models(source, [k for k, s in sources if s is source])
        yield kind, draw_chart(kind, source, models=models[id(source)])
