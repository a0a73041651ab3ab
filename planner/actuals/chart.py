"""The plan's fan with the actuals drawn on it (house style of :mod:`planner.charts.style`)."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from planner.charts.style import (INK, OKABE_ITO, chart_style, finish, legend_below, money_axis,
                                  month_axis, month_dates, new_axes, titles)

__all__ = ["plot_tracking"]


def plot_tracking(tracking, series: str = "arr", ax: Axes | None = None, *,
                  months_after: int | None = 12) -> Axes:
    """Plan vs actual for one series: the plan's P10-P90 and P25-P75 bands, its P50, the actuals.

    Parameters
    ----------
    tracking : Tracking
        From :func:`planner.actuals.track`.
    series : str
        A key of ``tracking.series`` (``arr``, ``customers``, ``new_mrr``, ``cash``, ...).
    ax : Axes, optional
        Where to draw; by default a new 16:9 figure (not registered with pyplot).
    months_after : int or None
        Plan months shown after the last actual (None: the whole horizon).

    Returns
    -------
    Axes
        Two bands, the P50 line, the actuals (a line with dots; actuals outside P10-P90
        as larger vermillion dots) and a legend below.
    """
    if series not in tracking.series:
        raise KeyError(f"no tracked series {series!r}; tracked: {', '.join(tracking.series)}")
    s = tracking.series[series]
    months = tracking.plan_months
    last = int((tracking.months[-1] - months[0]).astype(int))
    shown = len(months) if months_after is None else min(len(months), last + 1 + months_after)
    months, fan = months[:shown], s.fan[:, :shown]
    with chart_style():
        ax = new_axes(ax)
        x = month_dates(months)
        blue = OKABE_ITO["blue"]
        ax.fill_between(x, fan[0], fan[4], color=blue, alpha=0.18, linewidth=0, label="Plan P10-P90")
        ax.fill_between(x, fan[1], fan[3], color=blue, alpha=0.34, linewidth=0, label="Plan P25-P75")
        ax.plot(x, fan[2], color=blue, linewidth=2.0, label="Plan P50")
        ok = np.isfinite(s.actual)
        ax_x = month_dates(tracking.months)[ok]
        ax.plot(ax_x, s.actual[ok], color=INK, linewidth=1.8, marker="o", markersize=4.5, label="Actual",
                zorder=4)
        out = ok & ~s.inside
        if out.any():
            ax.plot(month_dates(tracking.months)[out], s.actual[out], linestyle="none", marker="o",
                    markersize=8, color=OKABE_ITO["vermillion"], zorder=5, label="Actual outside P10-P90")
        if ok.any():  # the last month of this series with an actual
            ax.axvline(month_dates(tracking.months[ok][-1:])[0], color="#888888", linewidth=0.8, linestyle=":")
        if s.unit == "money":
            money_axis(ax.yaxis, tracking.currency)
        ax.margins(x=0, y=0.08)  # zoomed on the band: where the actuals land in it is the point
        month_axis(ax, months, pad_days=12)
        ax.set_ylabel(f"{s.label} ({tracking.currency})" if s.unit == "money" else s.label)
        inside = int(s.inside[ok].sum())
        titles(ax, f"{s.label}: actuals against the plan",
               f"{tracking.scenario} · {tracking.paths:,} paths, seed {tracking.seed} · "
               f"{inside} of {int(ok.sum())} actual months inside the plan's P10-P90 · "
               f"latest percentile {s.percentile[ok][-1]:.0%}" if ok.any() else tracking.scenario)
        legend_below(ax, ncols=5)
        return finish(ax)
