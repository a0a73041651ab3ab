"""Board-ready charts of a simulation: one style, currency axes, colour-blind-safe colours.

Every chart is a function ``plot_<name>(result, ..., ax=None)`` that draws on the Axes
you give it (or on a new figure that pyplot does not know about) and returns what it
drew on: an Axes, or an array of Axes for figures with several panels (their
docstrings say which). Styling happens inside :func:`planner.charts.style.chart_style`,
a :func:`matplotlib.rc_context`: nothing changes matplotlib's global state.

>>> from planner.charts import plot_arr_fan, save_chart
>>> ax = plot_arr_fan(result)
>>> save_chart(ax, "arr.png")          # PNG at 2x (200 dpi) for slides; "arr.svg" for SVG

:data:`CHARTS` (:mod:`planner.charts.registry`) lists the chart kinds the CLI knows
(``planner chart --kind NAME``), :func:`available_charts` the ones a result has the
series for.
"""
from __future__ import annotations

from planner.charts.bridge import plot_mrr_bridge, plot_mrr_waterfall
from planner.charts.cohort_charts import plot_cohort_layers, plot_retention
from planner.charts.costs import plot_headcount, plot_pnl
from planner.charts.economics import plot_unit_economics
from planner.charts.fans import plot_arr_fan, plot_cash_fan, plot_plan_comparison
from planner.charts.funnel import plot_funnel
from planner.charts.files import (figure_bytes, save_chart, write_comparison_chart,
                                  write_standard_charts)
from planner.charts.registry import (CHARTS, ChartSpec, applies, available_charts, chart_sources,
                                     draw_chart, draw_charts, missing_series, shared_models)
from planner.charts.style import chart_style

__all__ = ["plot_arr_fan", "plot_cash_fan", "plot_mrr_bridge", "plot_mrr_waterfall", "plot_cohort_layers",
           "plot_retention", "plot_unit_economics", "plot_plan_comparison", "plot_headcount", "plot_pnl",
           "plot_funnel", "figure_bytes", "save_chart", "write_standard_charts", "write_comparison_chart",
           "chart_style", "CHARTS", "ChartSpec", "applies", "available_charts", "chart_sources",
           "draw_chart", "draw_charts", "missing_series", "shared_models"]
