"""MRR movements by period: the bridge (diverging bars) and the waterfall."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from planner.analysis.periods import periods
from planner.charts.style import (INK, MUTED, OKABE_ITO, chart_style, context_line, finish,
                                  legend_below, money_axis, month_axis, month_dates, new_axes, titles)
from planner.format import money

MOVEMENTS = (("new_mrr", "New", OKABE_ITO["blue"], 1), ("expansion_mrr", "Expansion", OKABE_ITO["sky"], 1),
             ("contraction_mrr", "Contraction", OKABE_ITO["orange"], -1),
             ("churned_mrr", "Churned", OKABE_ITO["vermillion"], -1))
STATS = {"mean": "mean across paths", "p50": "P50 of each movement"}
FREQ_WORD = {"month": "month", "quarter": "quarter", "year": "year"}


def period_slices(months: np.ndarray, freq: str) -> list[tuple[str, int, int]]:
    """The plan's months, quarters or years (:func:`planner.analysis.periods.periods`) as
    (title, first, last) month indices; the first and last period may be partial."""
    if freq not in FREQ_WORD:
        raise ValueError(f"freq must be one of {', '.join(FREQ_WORD)} (got {freq!r})")
    return [(p.title, p.first, p.last) for p in periods(np.asarray(months, dtype="datetime64[M]"), freq)]


def period_centres(months: np.ndarray, slices) -> tuple[np.ndarray, np.ndarray]:
    """Bar centres (datetime64[D], the middle of each period) and widths (days, 80% of it)."""
    dates = month_dates(months)
    starts = np.array([dates[a] for _, a, _ in slices])
    ends = np.array([(np.datetime64(months[b], "M") + 1).astype("datetime64[D]") for _, _, b in slices])
    length = (ends - starts).astype(float)
    return starts + (length / 2).astype("timedelta64[D]"), 0.8 * length


def movement_totals(result, freq: str = "quarter", stat: str = "mean", segment: str | None = None):
    """The four MRR movements summed over each period, as one statistic across paths.

    Returns
    -------
    slices : list of (label, first, last)
    values : dict of str -> ndarray, shape (periods,)
        ``new_mrr``, ``expansion_mrr``, ``contraction_mrr``, ``churned_mrr`` (positive
        amounts, money per period) and ``mrr_open`` (MRR the month before each period).
    """
    if stat not in STATS:
        raise ValueError(f"stat must be one of {', '.join(STATS)} (got {stat!r})")
    get = result.total if segment is None else (lambda n: result.segment(n, segment))
    slices = period_slices(result.months, freq)
    reduce = (lambda a: a.mean(axis=0)) if stat == "mean" else (lambda a: np.median(a, axis=0))
    values = {}
    for name, *_ in MOVEMENTS:
        data = get(name)
        values[name] = reduce(np.stack([data[:, a:b + 1].sum(axis=1) for _, a, b in slices], axis=1))
    mrr = get("mrr")
    opening = mrr[:, 0] - sum(sign * get(name)[:, 0] for name, _, _, sign in MOVEMENTS)
    before = np.column_stack([opening] + [mrr[:, b] for _, _, b in slices[:-1]])
    values["mrr_open"] = reduce(before)
    return slices, values


def _scope_title(segment: str | None) -> str:
    return "" if segment is None else f", segment {segment}"


def plot_mrr_bridge(result, *, freq: str = "quarter", stat: str = "mean", segment: str | None = None,
                    ax: Axes | None = None) -> Axes:
    """MRR bridge: new and expansion MRR up, contraction and churn down, net new MRR, by period.

    Parameters
    ----------
    result : SimulationResult
        Needs ``mrr`` and the four movement series.
    freq : {"quarter", "month", "year"}
        Calendar periods the monthly movements are summed over.
    stat : {"mean", "p50"}
        Mean across paths (the default: means add up, so the bars reconcile to the change
        in mean MRR) or the P50 of each movement (typical values; they need not add up).
    segment : str, optional
        One segment instead of the company.
    ax : Axes, optional

    Returns
    -------
    Axes
        Four stacked bar series (money per period) and the net new MRR line (markers).
    """
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        slices, v = movement_totals(result, freq, stat, segment)
        x, width = period_centres(result.months, slices)
        up, down = np.zeros(len(slices)), np.zeros(len(slices))
        for name, label, color, sign in MOVEMENTS:
            base = up if sign > 0 else down
            ax.bar(x, sign * v[name], width, bottom=base, color=color, label=label, linewidth=0)
            base += sign * v[name]
        net = sum(sign * v[name] for name, _, _, sign in MOVEMENTS)
        ax.plot(x, net, color=INK, marker="o", markersize=4 if len(slices) > 24 else 5, linewidth=1.4,
                label="Net new MRR")
        ax.axhline(0, color=INK, linewidth=0.8)
        money_axis(ax.yaxis, cur)
        month_axis(ax, result.months)
        ax.set_ylabel(f"MRR added or lost per {FREQ_WORD[freq]} ({cur})")
        legend_below(ax, ncols=5)
        total = float(v["new_mrr"].sum())
        titles(ax, f"MRR bridge by {FREQ_WORD[freq]}{_scope_title(segment)}: where MRR comes from "
                   f"and goes ({'mean' if stat == 'mean' else 'P50'})",
               context_line(result, plan=False) + f" · {STATS[stat]} · new MRR over the plan "
               f"{money(total, cur)}, net new {money(float(net.sum()), cur)}")
        return finish(ax)


def plot_mrr_waterfall(result, *, freq: str = "year", stat: str = "mean", segment: str | None = None,
                       ax: Axes | None = None) -> Axes:
    """MRR waterfall: opening MRR, then each period's new, expansion, contraction and churn.

    A classic floating-bar waterfall from the opening MRR to the closing MRR, one
    cluster of four bars per period and a closing bar at the end. Readable with up to
    about eight periods (the default, years, suits a 3-5 year plan).

    Parameters
    ----------
    result, freq, stat, segment
        As in :func:`plot_mrr_bridge`.
    ax : Axes, optional

    Returns
    -------
    Axes
        Bars: the opening total, 4 x periods floating movements, the closing total.
        With ``stat="mean"`` the closing bar equals the mean MRR at the end (the MRR
        bridge holds on every path); with ``"p50"`` it is the opening P50 plus the
        movements' P50s, which is labelled as such.
    """
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        slices, v = movement_totals(result, freq, stat, segment)
        level = float(v["mrr_open"][0])
        ax.bar(0, level, 0.8, color=MUTED, label="MRR at the start / end")
        ticks, labels, pos = [0], ["Start"], 1.0
        seen = set()
        for j, (label, _, _) in enumerate(slices):
            for k, (name, text, color, sign) in enumerate(MOVEMENTS):
                step = sign * float(v[name][j])
                ax.bar(pos + k * 0.22, step, 0.2, bottom=level, color=color, linewidth=0,
                       label=None if text in seen else text)
                seen.add(text)
                level += step
            ticks.append(pos + 0.33)
            labels.append(label)
            pos += 1.2
        pos += 0.25
        ax.bar(pos, level, 0.8, color=MUTED)
        ax.annotate(money(level, cur), (pos, level), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=10, fontweight="bold", color=INK)
        ax.annotate(money(float(v["mrr_open"][0]), cur), (0, float(v["mrr_open"][0])), xytext=(0, 3),
                    textcoords="offset points", ha="center", va="bottom", fontsize=10, color=INK)
        ticks.append(pos)
        labels.append("End")
        ax.set_xticks(ticks, labels, rotation=0 if len(slices) <= 8 else 45)
        ax.grid(False, axis="x")
        money_axis(ax.yaxis, cur)
        ax.set_ylabel(f"MRR ({cur})")
        legend_below(ax, ncols=5)
        titles(ax, f"MRR waterfall by {FREQ_WORD[freq]}{_scope_title(segment)}: from the opening "
                   f"to the closing MRR ({'mean' if stat == 'mean' else 'P50'})",
               context_line(result, plan=False) + f" · {STATS[stat]}")
        return finish(ax)
