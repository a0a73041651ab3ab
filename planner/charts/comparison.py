"""Funding plans side by side: a cash fan per plan on one scale, and what each plan costs
in ownership."""
from __future__ import annotations

import numpy as np

from planner.charts.events import default_events, mark_events
from planner.slides import SlideLayout
from planner.charts.style import (FIGSIZE, axes_width, wrap_to, INK, MUTED, OKABE_ITO, PALETTE, chart_style, finish, money_axis,
                                  month_axis, month_dates, percent_axis)
from planner.format import money

QUANTILES = (0.1, 0.5, 0.9)


def comparison_grid(n: int) -> tuple[int, int]:
    """(rows, columns) for ``n`` cash panels and the ownership panel."""
    panels = n + 1
    cols = 2 if panels <= 4 else 3
    return -(-panels // cols), cols


def plan_cash(result) -> np.ndarray:
    """P10/P50/P90 of a plan's cash balance by month, shape (3, months).

    Every path counts with its cash as simulated, below zero too: the comparison table's
    cash trough and ARR (:func:`planner.analysis.funding.plan_row`) treat paths that run
    out of cash the same way, so chart and table agree.
    """
    return np.quantile(result.total("cash"), QUANTILES, axis=0)


def _cash_panel(ax, name: str, result, row: dict, colour: str, limits, cur: str) -> None:
    x = month_dates(result.months)
    q = plan_cash(result)
    ax.fill_between(x, q[0], q[2], color=colour, alpha=0.2, linewidth=0, label="P10-P90")
    ax.plot(x, q[1], color=colour, linewidth=2.0, label="P50")
    ax.axhline(0, color=INK, linewidth=1.0)
    floor = float(np.median(result.minimum_cash))
    if floor > 0:
        ax.axhline(floor, color=OKABE_ITO["purple"], linestyle="--", linewidth=1.2)
    ax.set_ylim(*limits)
    mark_events(ax, result, default_events(result))
    ax.set_ylim(*limits)
    money_axis(ax.yaxis, cur)
    month_axis(ax, result.months, compact=True)
    out = row.get("cash_out_by_horizon") or 0.0
    ax.set_title(wrap_to(f"{name}: trough P10 {money(row['cash_trough_p10'], cur)}, out of cash {out:.0%}",
                         axes_width(ax), 11), loc="left", fontsize=11)


def _ownership_panel(ax, names, rows, colours) -> None:
    """Existing holders' share after each plan's rounds: P50 bar, P10-P90 whisker, and the
    share kept and dilution written above the bar (clear of the whisker). The x axis runs
    a little past 100% so a plan that keeps everything does not run into the frame."""
    y = np.arange(len(names))[::-1].astype(float)
    for yi, name, row in zip(y, names, rows):
        kept = row["ownership_after"]
        ax.barh(yi, kept["p50"], color=colours[name], alpha=0.85, height=0.42)
        if kept["p10"] != kept["p90"]:
            ax.errorbar(kept["p50"], yi, xerr=[[kept["p50"] - kept["p10"]], [kept["p90"] - kept["p50"]]],
                        color=INK, capsize=3, linewidth=1.2)
        ax.annotate(f"{kept['p50']:.1%} kept · {row['dilution']['p50']:.1%} dilution", (0, yi + 0.24),
                    xytext=(2, 1), textcoords="offset points", va="bottom", ha="left", fontsize=9.5,
                    color=INK)
    ax.set_yticks(y, names)
    ax.set_ylim(-0.45, len(names) - 0.2)
    ax.set_xlim(0, 1.06)
    ax.set_xticks(np.linspace(0, 1, 6))
    percent_axis(ax.xaxis)
    ax.grid(False, axis="y")
    ax.grid(True, axis="x")
    ax.set_title("Ownership kept by today's holders", loc="left", fontsize=11)


def plot_plan_comparison(comparison, *, fig=None) -> np.ndarray:
    """Funding plans side by side: one cash fan per plan on a shared scale, and ownership.

    Parameters
    ----------
    comparison : planner.analysis.funding.Comparison
        From :func:`planner.compare` (or :func:`planner.compare_scenarios`); its results
        need ``cash``.
    fig : Figure, optional
        An empty figure to draw on; by default a new slide figure.

    Returns
    -------
    ndarray of Axes, shape (plans + 1,)
        One panel per plan, in the table's order: cash P10-P90 band and P50 by month,
        zero and minimum-cash lines, the plan's funding events, titled with the table's
        P10 cash trough and share of paths out of cash (paths that run out count with
        their simulated cash, as in the table); then the ownership panel: the share
        today's holders keep after the plan's priced rounds (P50 bar, P10-P90 whisker)
        and the dilution, as in the table. Spare grid cells are hidden.
    """
    from matplotlib.figure import Figure

    with chart_style():
        results = comparison.results
        names = [row["plan"] for row in comparison.rows]
        rows = {row["plan"]: row for row in comparison.rows}
        first = results[names[0]]
        cur = first.scenario.currency
        colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
        nrows, ncols = comparison_grid(len(names))
        fig = fig if fig is not None else Figure(figsize=FIGSIZE, layout=SlideLayout())
        grid = fig.subplots(nrows, ncols, squeeze=False)
        cells = list(grid.ravel())
        qs = [plan_cash(results[n]) for n in names]
        lo = min(0.0, min(float(q[0].min()) for q in qs))
        hi = max(float(q[2].max()) for q in qs)
        span = hi - lo or 1.0
        limits = (lo - (0.05 * span if lo < 0 else 0.0), hi + 0.22 * span)  # room for event labels
        for ax, name in zip(cells, names):
            _cash_panel(ax, name, results[name], rows[name], colours[name], limits, cur)
        own = cells[len(names)]
        _ownership_panel(own, names, [rows[n] for n in names], colours)
        for ax in cells[len(names) + 1:]:
            ax.set_visible(False)
        width, height = fig.get_size_inches()
        fig.text(0.12 / width, 1 - 0.1 / height, "Funding plans compared: cash by month (P50, P10-P90) "
                 "and ownership", ha="left", va="top", fontsize=13, fontweight="bold", color=INK)
        fig.text(0.12 / width, 1 - 0.36 / height, f"{comparison.scenario} · {comparison.paths:,} paths, "
                 f"seed {comparison.seed}, same draws for every plan · dotted lines and shaded spans: funding events",
                 ha="left", va="top", fontsize=10, color=MUTED, gid="subtitle")
        for ax in cells[:ncols]:
            ax.planner_pad = {"top": 0.55}
        drawn = np.asarray(cells[:len(names) + 1], dtype=object)
        for ax in drawn:
            finish(ax)
        return drawn
