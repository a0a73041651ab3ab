"""Fan charts: ARR and cash ranges across paths, and funding plans side by side."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from planner.charts.style import (INK, OKABE_ITO, chart_style, context_line, finish,
                                  money_axis, month_axis, month_dates, new_axes,
                                  legend_below, percent_axis, titles)
from planner.charts.comparison import plot_plan_comparison
from planner.format import money

__all__ = ["plot_arr_fan", "plot_cash_fan", "plot_plan_comparison", "draw_fan", "cash_out_curve",
           "minimum_cash_level"]

FAN = (0.10, 0.25, 0.50, 0.75, 0.90)


def broken_at(x: np.ndarray, values: np.ndarray, breaks) -> tuple[np.ndarray, np.ndarray]:
    """``x`` and ``values`` (shape (..., months)) with a gap before each month index in
    ``breaks``: a NaN point at that month, so a line or band jumps there instead of
    ramping over the month before (a round's money arrives within its month)."""
    at = sorted({int(t) for t in breaks if 0 < int(t) < len(x)})
    if not at:
        return x, values
    return (np.insert(x, at, x[at]),
            np.insert(np.asarray(values, dtype=float), at, np.nan, axis=-1))


def draw_fan(ax: Axes, months: np.ndarray, data: np.ndarray, color: str, label: str = "",
             inner: bool = True, alpha: float = 0.18, breaks=()) -> np.ndarray:
    """Shade P10-P90 (and P25-P75) of ``data`` across paths and draw its P50.

    Parameters
    ----------
    ax : Axes
    months : ndarray of datetime64[M], shape (months,)
    data : ndarray, shape (paths, months)
    color : str
    label : str
        Prefix of the legend entries (``"ARR"`` gives ``ARR P50``, ``ARR P10-P90``).
    inner : bool
        Also shade the P25-P75 band.
    breaks : iterable of int
        Month indices where the bands and the P50 jump (a dated funding event), drawn
        with a gap before them rather than a ramp (:func:`broken_at`).

    Returns
    -------
    ndarray, shape (5, months)
        P10, P25, P50, P75, P90.
    """
    q = np.quantile(data, FAN, axis=0)
    x, shown = broken_at(month_dates(months), q, breaks)
    prefix = f"{label} " if label else ""
    ax.fill_between(x, shown[0], shown[4], color=color, alpha=alpha, linewidth=0, label=f"{prefix}P10-P90")
    if inner:
        ax.fill_between(x, shown[1], shown[3], color=color, alpha=alpha * 1.9, linewidth=0,
                        label=f"{prefix}P25-P75")
    ax.plot(x, shown[2], color=color, linewidth=2.2, label=f"{prefix}P50")
    return q


def _end_label(ax: Axes, months, value: float, currency: str, inside: bool = False) -> None:
    """The last P50 value written just right of the line's end (``inside``: above it, left of the end)."""
    offset, ha, va = ((-2, 6), "right", "bottom") if inside else ((4, 0), "left", "center")
    if not inside:  # the layout keeps room for it right of the axes
        ax.planner_pad = getattr(ax, "planner_pad", {}) | {"right": (8 + 0.62 * 10 * len(money(value, currency))) / 72}
    ax.annotate(money(value, currency), (month_dates(months)[-1], value), xytext=offset,
                textcoords="offset points", va=va, ha=ha, color=INK, fontsize=10,
                fontweight="bold", annotation_clip=False)


def plot_arr_fan(result, *, segment: str | None = None, target=None, ax: Axes | None = None) -> Axes:
    """ARR across paths: P10-P90 and P25-P75 bands and the P50 line, optional target.

    Parameters
    ----------
    result : SimulationResult
        Needs ``mrr`` (ARR = 12 x MRR).
    segment : str, optional
        One segment's ARR instead of the company's.
    target : float or array_like of shape (months,), optional
        A target ARR (currency) drawn as a dashed line: one level or a monthly path.
    ax : Axes, optional
        Where to draw; by default a new 16:9 figure (not registered with pyplot).

    Returns
    -------
    Axes
        Two shaded bands, the P50 line (its last value written at the end) and the target.
    """
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        data = result.total("arr") if segment is None else result.segment("arr", segment)
        q = draw_fan(ax, result.months, data, OKABE_ITO["blue"], "ARR")
        if target is not None:
            level = np.broadcast_to(np.asarray(target, dtype=float), q[2].shape)
            ax.plot(month_dates(result.months), level, color=OKABE_ITO["vermillion"], linestyle="--",
                    linewidth=1.6, label="Target")
        _end_label(ax, result.months, float(q[2, -1]), cur)
        ax.set_ylim(0, None)
        money_axis(ax.yaxis, cur)
        month_axis(ax, result.months)
        ax.set_ylabel(f"ARR ({cur})")
        what = "ARR" if segment is None else f"ARR, segment {segment}"
        titles(ax, f"{what}: P50 by month, P25-P75 and P10-P90 ranges",
               context_line(result, plan=False) + f" · ARR at {result.months[-1]}: P50 "
               f"{money(float(q[2, -1]), cur)} (P10 {money(float(q[0, -1]), cur)}, "
               f"P90 {money(float(q[4, -1]), cur)})")
        legend_below(ax)
        return finish(ax)



def minimum_cash_level(scenario) -> tuple[float, bool]:
    """The minimum cash balance to draw: the number, or the median of its distribution.

    Returns
    -------
    (float, bool)
        The level (currency) and whether it is uncertain (a distribution).
    """
    value = scenario.minimum_cash
    if isinstance(value, (int, float)):
        return float(value), False
    return float(value.dist.median()), True


def cash_out_curve(result) -> np.ndarray:
    """Cumulative share of paths whose cash has run out by the end of each month, shape (months,)."""
    month = result.cash_out_month()
    steps = np.arange(len(result.months))
    return ((month[:, None] >= 0) & (month[:, None] <= steps[None, :])).mean(axis=0)


def cash_limits(q: np.ndarray, floor: float) -> tuple[float, float]:
    """Y limits of a cash fan (currency): the P10-P90 range, zero and the floor, 6% air."""
    lo = min(0.0, float(q[0].min()))
    hi = max(float(q[-1].max()), floor, 0.0)
    pad = 0.06 * (hi - lo or 1.0)
    return lo - (pad if lo < 0 else 0.5 * pad), hi + pad


def aligned_share_axis(right: Axes, limits: tuple[float, float], top: float) -> None:
    """Limits of a 0..``top`` share axis whose 0 sits level with the cash axis' zero.

    The share axis extends below 0 by as much as the cash axis does below $0, with its
    ticks only from 0 to ``top``.
    """
    lo, hi = limits
    zero = -lo / (hi - lo)  # where $0 sits, as a fraction of the axis height
    right.set_ylim(-zero / (1 - zero) * top, top)
    step = next(s for s in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25) if top / s <= 6)
    right.set_yticks(np.arange(0, top + 1e-9, step))


def plot_cash_fan(result, *, events=None, ax: Axes | None = None) -> Axes:
    """Cash balance across paths, the zero and minimum-cash lines, the chance cash has
    run out, and the plan's funding events.

    Parameters
    ----------
    result : SimulationResult
        Needs ``cash``.
    events : list of FundingEvent, optional
        Funding events to mark (:func:`planner.analysis.funding_events.funding_events`,
        the default): a dated one as a vertical line at its month, a triggered one as a
        shaded span from its P10 to its P90 month, labelled with its probability.
        ``[]`` marks none.
    ax : Axes, optional
        Where to draw; by default a new figure.

    Returns
    -------
    Axes
        The cash axes (bands, P50, zero and minimum-cash lines, event markers; at a
        dated event's month the bands and the P50 jump, with no ramp). When
        some path runs out of cash, the cumulative share of paths out of cash by each
        month is drawn on a twin axis on the right whose 0% is level with $0,
        available as ``ax.right_ax`` (as pandas names it); otherwise ``ax.right_ax``
        is None and the subtitle says no path runs out.
    """
    from planner.charts.events import default_events, event_handles, mark_events

    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        events = default_events(result) if events is None else events
        jumps = [e.month for e in events if e.month is not None and e.probability > 0]
        q = draw_fan(ax, result.months, result.total("cash"), OKABE_ITO["blue"], "Cash", breaks=jumps)
        ax.axhline(0, color=INK, linewidth=1.2, label="Zero cash")
        floor, uncertain = minimum_cash_level(result.scenario)
        if floor > 0:
            ax.axhline(floor, color=OKABE_ITO["purple"], linestyle="--", linewidth=1.6,
                       label=f"Minimum cash {money(floor, cur)}" + (" (median)" if uncertain else ""))
        _end_label(ax, result.months, float(q[2, -1]), cur, inside=True)
        limits = cash_limits(q, floor)
        ax.set_ylim(*limits)
        money_axis(ax.yaxis, cur)
        month_axis(ax, result.months)
        ax.set_ylabel(f"Cash balance ({cur})")
        mark_events(ax, result, events)
        limits = ax.get_ylim()  # with room for the event labels
        out = cash_out_curve(result)
        handles, labels = ax.get_legend_handles_labels()
        marks = event_handles(ax)
        handles, labels = handles + marks[0], labels + marks[1]
        ax.right_ax = None
        if out[-1] > 0:
            right = ax.twinx()
            right.step(month_dates(result.months), out, where="post", color=OKABE_ITO["vermillion"],
                       linewidth=2, label="Paths out of cash (right axis)")
            aligned_share_axis(right, limits, max(0.25, min(1.0, 1.25 * float(out[-1]))))
            percent_axis(right.yaxis)
            right.set_ylabel("Share of paths out of cash", color=OKABE_ITO["vermillion"])
            right.tick_params(axis="y", colors=OKABE_ITO["vermillion"])
            right.spines["right"].set_visible(True)
            right.grid(False)
            extra = right.get_legend_handles_labels()
            handles, labels = handles + extra[0], labels + extra[1]
            ax.right_ax = finish(right)
        legend_below(ax, handles, labels, ncols=3)
        final = float(out[-1])
        titles(ax, "Cash balance: P50 by month, ranges, and the risk of running out",
               context_line(result) + _cash_out_words(result, final))
        return finish(ax)


def _cash_out_words(result, final: float) -> str:
    """The subtitle's cash-out share: ``final`` of the paths (of a streamed run's sample)."""
    which = "sampled paths" if getattr(result, "sampled_from", 0) else "paths"
    if final > 0:
        return f" · cash runs out by {result.months[-1]} on {final:.0%} of {which}"
    return f" · cash runs out on no {which[:-1]}"
