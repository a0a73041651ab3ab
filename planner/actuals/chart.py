"""The plan's fan with the actuals drawn on it (house style of :mod:`planner.charts.style`)."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from planner.charts.style import (INK, OKABE_ITO, chart_style, finish, legend_below, money_axis,
                                  month_axis, month_dates, new_axes, titles)

__all__ = ["REFORECAST_CHARTS", "draw_reforecast_charts", "overlay_closed_months", "plot_reforecast_bridge",
           "plot_tracking", "write_reforecast_charts"]


def _actual_line(ax: Axes, x: np.ndarray, y: np.ndarray, label: str) -> None:
    """Actual months: a solid ink line with dots, over the plan's bands."""
    ax.plot(x, y, color=INK, linewidth=1.8, marker="o", markersize=4.5, label=label, zorder=4)


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
        _actual_line(ax, ax_x, s.actual[ok], "Actual")
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


#: the run charts a reforecast draws with its closed months as actuals
REFORECAST_CHARTS = ("arr_fan", "cash_fan", "mrr_bridge")


def overlay_closed_months(ax: Axes, closed, series: str, plan_months: np.ndarray) -> Axes:
    """Draw a reforecast's closed months as actuals before its simulated fan, on one time axis.

    Parameters
    ----------
    ax : Axes
        A drawn fan (:func:`planner.charts.fans.plot_arr_fan` or ``plot_cash_fan``, whose
        twin axis, if any, is ``ax.right_ax``).
    closed : ClosedMonths
        From :func:`planner.actuals.reforecast.reforecast`.
    series : {"arr", "cash"}
    plan_months : ndarray of datetime64[M], shape (months,)
        The simulated months (the reforecast's start to the plan's end).

    Returns
    -------
    Axes
        ``ax`` with the actuals as a solid line with dots labelled "Actual", a dotted
        line where the simulation starts, the x axis from the first closed month to the
        plan's end and the legend rebuilt below.
    """
    values = closed.arr if series == "arr" else closed.cash
    ok = np.isfinite(values)
    months = np.concatenate([closed.months, plan_months]) if closed.months.size else plan_months
    with chart_style():
        if ok.any():
            _actual_line(ax, month_dates(closed.months)[ok], values[ok], f"Actual (to {closed.months[-1]})")
        if closed.months.size:
            start = month_dates(plan_months[:1])[0] - np.timedelta64(15, "D")
            ax.axvline(start, color="#888888", linewidth=0.8, linestyle=":", zorder=1)
            ax.annotate(f"reforecast from {plan_months[0]}", (start, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(4, -4), textcoords="offset points", ha="left", va="top", fontsize=9,
                        color="#555555")
        bottom = ax.get_ylim()[0] if series == "arr" else None
        ax.relim()
        ax.autoscale_view()
        if bottom is not None:
            ax.set_ylim(bottom, None)
        month_axis(ax, months)
        handles, labels = ax.get_legend_handles_labels()
        right = getattr(ax, "right_ax", None)
        if right is not None:
            more = right.get_legend_handles_labels()
            handles, labels = handles + more[0], labels + more[1]
        legend_below(ax, handles, labels, ncols=3 if right is not None else 4)
        if series == "cash" and not ok.any():
            ax.annotate("no cash actuals (give --financials)", (0.0, 1.0), xycoords="axes fraction",
                        xytext=(4, -20), textcoords="offset points", ha="left", va="top", fontsize=9,
                        color="#555555")  # under the "reforecast from" label
        return finish(ax)


def plot_reforecast_bridge(result, closed, *, freq: str = "quarter", ax: Axes | None = None) -> Axes:
    """The MRR bridge of a reforecast: the closed months' actual movements, then the
    simulated ones (mean across paths), by period of the plan's original calendar.

    Parameters
    ----------
    result : SimulationResult
        Needs ``mrr`` and the four movement series.
    closed : ClosedMonths
    freq : {"quarter", "month", "year"}
    ax : Axes, optional

    Returns
    -------
    Axes
        Stacked bars per period (new and expansion up, contraction and churn down; periods
        wholly actual hatched, a period with both actual and simulated months lighter
        hatching), the net new MRR line, a dotted line where the simulation starts.
    """
    from planner.charts.bridge import FREQ_WORD, MOVEMENTS, period_centres, period_slices
    from planner.format import money

    months = np.concatenate([closed.months, result.months])
    n = len(closed.months)
    monthly = {name: np.concatenate([closed.flows[name], result.total(name).mean(axis=0)])
               for name, _, _, _ in MOVEMENTS}
    slices = period_slices(months, freq)
    v = {name: np.array([monthly[name][a:b + 1].sum() for _, a, b in slices]) for name in monthly}
    actual = np.array([b < n for _, a, b in slices])
    mixed = np.array([a < n <= b for _, a, b in slices])
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        x, width = period_centres(months, slices)
        up, down = np.zeros(len(slices)), np.zeros(len(slices))
        for name, label, color, sign in MOVEMENTS:
            base = up if sign > 0 else down
            ax.bar(x, sign * v[name], width, bottom=base, color=color, label=label, linewidth=0)
            for which, hatch in ((actual, "///"), (mixed, "..")):  # hatching over the actual periods
                if which.any():
                    ax.bar(x[which], sign * v[name][which], width[which], bottom=base[which], fill=False,
                           hatch=hatch, edgecolor="white", linewidth=0)
            base += sign * v[name]
        net = sum(sign * v[name] for name, _, _, sign in MOVEMENTS)
        ax.plot(x, net, color=INK, marker="o", markersize=5, linewidth=1.4, label="Net new MRR")
        ax.axhline(0, color=INK, linewidth=0.8)
        for which, hatch, label in ((actual, "///", "Actual"), (mixed, "..", "Part actual")):
            if which.any():  # legend keys only
                ax.bar([x[0]], [0], 0, color="#999999", hatch=hatch, edgecolor="white", label=label)
        if n:
            start = month_dates(result.months[:1])[0] - np.timedelta64(15, "D")
            ax.axvline(start, color="#888888", linewidth=0.8, linestyle=":")
        money_axis(ax.yaxis, cur)
        month_axis(ax, months)
        ax.set_ylabel(f"MRR added or lost per {FREQ_WORD[freq]} ({cur})")
        legend_below(ax, ncols=7)
        title = (f"MRR bridge by {FREQ_WORD[freq]}: {'actuals, then ' if n else ''}the reforecast from "
                 f"{result.months[0]} (mean)")
        if n:
            closed_net = sum(sign * closed.flows[k].sum() for k, _, _, sign in MOVEMENTS)
            sub = (f"{result.scenario.name} · {result.paths:,} paths, seed {result.seed} · actual "
                   f"{closed.months[0]} to {closed.months[-1]}: new MRR "
                   f"{money(float(closed.flows['new_mrr'].sum()), cur)}, net new {money(float(closed_net), cur)}")
        else:
            sub = f"{result.scenario.name} · {result.paths:,} paths, seed {result.seed} · no closed months"
        titles(ax, title, sub)
        return finish(ax)


def draw_reforecast_charts(result, closed, kinds=None, detail=None):
    """The reforecast's ARR and cash fans and MRR bridge with the closed months as actuals.

    Parameters
    ----------
    result : SimulationResult
    closed : ClosedMonths
    kinds : sequence of str, optional
        Of :data:`REFORECAST_CHARTS`; default: those ``result`` or ``detail`` has the series for.
    detail : SimulationResult, optional
        Draws a chart ``result`` lacks the series for (:func:`planner.charts.registry.chart_sources`).

    Yields
    ------
    (kind, Axes)
    """
    from planner.charts.registry import available_charts, chart_sources, draw_chart

    if kinds is None:
        have = set(available_charts(result)) | (set(available_charts(detail)) if detail is not None else set())
        kinds = [k for k in REFORECAST_CHARTS if k in have]
    for kind, source in chart_sources(result, list(kinds), detail):
        if kind == "mrr_bridge":
            yield kind, plot_reforecast_bridge(source, closed)
            continue
        ax = draw_chart(kind, source)
        yield kind, overlay_closed_months(ax, closed, "arr" if kind == "arr_fan" else "cash", source.months)


def write_reforecast_charts(result, closed, out_dir, fmt: str = "png", kinds=None, detail=None) -> list:
    """Draw :func:`draw_reforecast_charts` to ``<out_dir>/<kind>.<fmt>``; returns the files."""
    from pathlib import Path

    from planner.charts.files import release, save_chart

    files = []
    for kind, drawn in draw_reforecast_charts(result, closed, kinds, detail):
        files.append(save_chart(drawn, Path(out_dir) / f"{kind}.{fmt}", fmt))
        release(drawn)
    return files
