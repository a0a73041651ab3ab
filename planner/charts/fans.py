"""Fan charts: ARR and cash ranges across paths, and funding plans side by side."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from planner.charts.style import (INK, OKABE_ITO, PALETTE, chart_style, context_line, finish,
                                  money_axis, month_axis, month_dates, new_axes, new_axes_row,
                                  legend_below, percent_axis, titles)
from planner.format import money

FAN = (0.10, 0.25, 0.50, 0.75, 0.90)


def draw_fan(ax: Axes, months: np.ndarray, data: np.ndarray, color: str, label: str = "",
             inner: bool = True, alpha: float = 0.18) -> np.ndarray:
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

    Returns
    -------
    ndarray, shape (5, months)
        P10, P25, P50, P75, P90.
    """
    q = np.quantile(data, FAN, axis=0)
    x = month_dates(months)
    prefix = f"{label} " if label else ""
    ax.fill_between(x, q[0], q[4], color=color, alpha=alpha, linewidth=0, label=f"{prefix}P10-P90")
    if inner:
        ax.fill_between(x, q[1], q[3], color=color, alpha=alpha * 1.9, linewidth=0, label=f"{prefix}P25-P75")
    ax.plot(x, q[2], color=color, linewidth=2.2, label=f"{prefix}P50")
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
        titles(ax, f"{what}: median path and range of outcomes",
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


def plot_cash_fan(result, *, ax: Axes | None = None) -> Axes:
    """Cash balance across paths, the zero and minimum-cash lines, and the chance cash has run out.

    Parameters
    ----------
    result : SimulationResult
        Needs ``cash``.
    ax : Axes, optional
        Where to draw; by default a new figure.

    Returns
    -------
    Axes
        The cash axes (bands, P50, zero and minimum-cash lines). The cumulative
        probability that cash has run out by each month is drawn on a twin axis on the
        right, available as ``ax.right_ax`` (as pandas names it).
    """
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        q = draw_fan(ax, result.months, result.total("cash"), OKABE_ITO["blue"], "Cash")
        ax.axhline(0, color=INK, linewidth=1.2, label="Zero cash")
        floor, uncertain = minimum_cash_level(result.scenario)
        if floor > 0:
            ax.axhline(floor, color=OKABE_ITO["purple"], linestyle="--", linewidth=1.6,
                       label=f"Minimum cash {money(floor, cur)}" + (" (median)" if uncertain else ""))
        _end_label(ax, result.months, float(q[2, -1]), cur, inside=True)
        money_axis(ax.yaxis, cur)
        month_axis(ax, result.months)
        ax.set_ylabel(f"Cash balance ({cur})")
        right = ax.twinx()
        out = cash_out_curve(result)
        right.step(month_dates(result.months), out, where="post", color=OKABE_ITO["vermillion"],
                   linewidth=2, label="Cash has run out (right axis)")
        right.set_ylim(0, max(0.25, min(1.0, 1.25 * float(out.max()))))
        percent_axis(right.yaxis)
        right.set_ylabel("Share of paths out of cash", color=OKABE_ITO["vermillion"])
        right.tick_params(axis="y", colors=OKABE_ITO["vermillion"])
        right.spines["right"].set_visible(True)
        right.grid(False)
        handles = ax.get_legend_handles_labels()
        extra = right.get_legend_handles_labels()
        legend_below(ax, handles[0] + extra[0], handles[1] + extra[1], ncols=3)
        final = float(out[-1])
        titles(ax, "Cash balance and the risk of running out",
               context_line(result) + f" · cash runs out by {result.months[-1]} on "
               f"{final:.0%} of paths" if final > 0 else context_line(result) + " · cash runs out on no path")
        ax.right_ax = right
        finish(right)
        return finish(ax)


def solvent_share(result) -> np.ndarray:
    """Share of paths whose cash has not yet run out at the end of each month, shape (months,)."""
    return 1.0 - cash_out_curve(result)


def alive_arr(result) -> np.ndarray:
    """ARR with paths that have run out of cash counted as 0 from that month, shape (paths, months)."""
    arr = result.total("arr")
    month = result.cash_out_month()
    steps = np.arange(arr.shape[1])[None, :]
    dead = (month[:, None] >= 0) & (steps >= month[:, None])
    return np.where(dead, 0.0, arr)


def _survival_groups(results: dict) -> list[tuple[list[str], object, np.ndarray]]:
    """Plans grouped by identical survival curves: (names, first result, share solvent by month)."""
    groups: list[tuple[list[str], object, np.ndarray]] = []
    for name, result in results.items():
        share = solvent_share(result)
        for names, first, seen in groups:
            if seen.shape == share.shape and np.array_equal(seen, share) and np.array_equal(first.months, result.months):
                names.append(name)
                break
        else:
            groups.append(([name], result, share))
    return groups


def _groups(results: dict) -> list[tuple[list[str], object, np.ndarray]]:
    """Plans grouped by identical ARR quantiles: (names, first result, P10/P50/P90 of alive ARR)."""
    groups: list[tuple[list[str], object, np.ndarray]] = []
    for name, result in results.items():
        q = np.quantile(alive_arr(result), (0.1, 0.5, 0.9), axis=0)
        for names, first, seen in groups:
            if seen.shape == q.shape and np.allclose(seen, q, rtol=1e-9, atol=1e-6) \
                    and np.array_equal(first.months, result.months):
                names.append(name)
                break
        else:
            groups.append(([name], result, q))
    return groups


def plot_plan_comparison(comparison, *, axes=None) -> np.ndarray:
    """Funding plans side by side: survival curves and ARR ranges, one colour per plan.

    Parameters
    ----------
    comparison : planner.analysis.funding.Comparison
        From :func:`planner.compare` (or :func:`planner.compare_scenarios`); its results
        need ``cash`` and ``mrr``.
    axes : sequence of two Axes, optional
        Where to draw; by default a new wide figure with two panels.

    Returns
    -------
    ndarray of Axes, shape (2,)
        Left: share of paths still solvent (cash never below zero so far) by month.
        Right: ARR per plan, P10-P90 band, P50 solid, P10 dashed, counting a company
        that has run out of cash as ARR 0 from that month (funding does not change
        operations, so plain ARR would be the same for every plan of one scenario).
        Plans with identical curves (or ARR ranges) share one line, labelled with all
        their names.
    """
    with chart_style():
        left, right = axes = new_axes_row(axes, 2)
        results = comparison.results
        first = next(iter(results.values()))
        cur = first.scenario.currency
        colour = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(results)}
        lowest = 1.0
        for names, result, share in _survival_groups(results):
            lowest = min(lowest, float(share.min()))
            left.step(month_dates(result.months), share, where="post", color=colour[names[0]], linewidth=2.2,
                      label=f"{' = '.join(names)}: {share[-1]:.0%} solvent at the end")
        for names, result, q in _groups(results):
            x, color = month_dates(result.months), colour[names[0]]
            right.fill_between(x, q[0], q[2], color=color, alpha=0.13, linewidth=0)
            right.plot(x, q[1], color=color, linewidth=2.2, label=" = ".join(names))
            right.plot(x, q[0], color=color, linewidth=1.2, linestyle="--")
        left.set_ylim(max(0.0, min(0.5, lowest - 0.05)), 1.02)
        percent_axis(left.yaxis)
        left.set_ylabel("Paths still solvent")
        right.set_ylim(0, None)
        money_axis(right.yaxis, cur)
        right.set_ylabel(f"ARR ({cur})")
        for ax in axes:
            month_axis(ax, first.months)
        legend_below(left, ncols=1)
        legend_below(right, ncols=1)
        sub = f"{comparison.scenario} · {comparison.paths:,} paths, seed {comparison.seed}, same draws"
        titles(left, "Survival: share of paths with cash left", sub)
        titles(right, "ARR by plan: P50 solid, P10 dashed, P10-P90 shaded",
               "ARR counts as zero once a path has run out of cash")
        for ax in axes:
            finish(ax)
        return axes
