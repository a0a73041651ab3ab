"""The goal-seek chart: the statistic against the input, the target line, the answer."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from planner.format import plural
from planner.charts.style import (GRID, INK, MUTED, OKABE_ITO, chart_style, finish, legend_below,
                                  money_axis, new_axes, percent_axis, titles)
from planner.analysis.targets import format_value


def plot_solve(solution, ax: Axes | None = None) -> Axes:
    """Draw every trial of a :class:`planner.sweep.solve.Solution`.

    The statistic at each trial (dots, with +/- 1 Monte Carlo standard error), the target
    threshold (dashed), the ranges that meet it (shaded) and the answer (a marker and its
    value).

    Parameters
    ----------
    solution : Solution
    ax : Axes, optional
        Draw here; default a new slide-sized figure.

    Returns
    -------
    Axes
    """
    with chart_style():
        ax = new_axes(ax)
        sc, target = solution.scenario, solution.target
        trials = [t for t in solution.trials if np.isfinite(t.result.value)]
        x = np.array([t.x for t in trials])
        y = np.array([t.result.value for t in trials])
        err = np.array([t.result.error if np.isfinite(t.result.error) else 0.0 for t in trials])
        for low, high in solution.ranges:
            ax.axvspan(low, high, color=OKABE_ITO["green"], alpha=0.12, lw=0, label=None)
        ax.plot(x, y, color=OKABE_ITO["blue"], lw=1.5, zorder=2)
        ax.errorbar(x, y, yerr=err, fmt="o", ms=4, color=OKABE_ITO["blue"], ecolor=GRID,
                    elinewidth=1, capsize=0, zorder=3, label="statistic at a trial (± 1 s.e.)")
        ax.axhline(target.threshold, color=OKABE_ITO["vermillion"], ls="--", lw=1.2,
                   label=f"target: {target.op} {_fmt(target.threshold, solution)}")
        ax.axvline(solution.lever.current, color=MUTED, lw=0.8, ls=":", label="current value")
        if solution.value is not None and solution.at is not None:
            ax.plot([solution.value], [solution.at.result.value], "D", ms=8,
                    color=OKABE_ITO["orange"], zorder=4, label=f"answer: {solution.show(solution.value)}")
        _axes(ax, solution)
        titles(ax, f"What it would take: {target.text}",
               f"{sc.name} · {plural(solution.paths, 'path')}, seed {solution.seed} (the same draws at every "
               f"trial) · {len(solution.trials)} trials in {solution.seconds:.1f} s")
        legend = legend_below(ax)
        if legend is not None:
            legend.set_title(textwrap.fill(solution.message, 110), prop={"size": 10})
        return finish(ax)


def _fmt(value: float, solution) -> str:

    return format_value(value, solution.target.statistic.unit, solution.scenario.currency)


def _compact(v: float) -> str:
    """Tick labels of a lever: 250K, 1.5M, 0.25."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= size:
            return f"{v / size:.4g}{suffix}"
    return f"{v:.4g}"


def _axes(ax: Axes, solution) -> None:
    unit = solution.target.statistic.unit
    if unit == "money":
        money_axis(ax.yaxis, solution.scenario.currency)
    elif unit == "fraction":
        percent_axis(ax.yaxis)
    lever = solution.lever
    if lever.kind == "month":
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: solution.show(v)))
    elif lever.kind == "raise":
        money_axis(ax.xaxis, solution.scenario.currency)
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
    ax.set_xlabel(f"{lever.key}" + (" (scale factor)" if lever.kind == "scale" else
                                    " (median)" if lever.kind == "median" else ""), color=INK)
    ax.set_ylabel(solution.target.statistic.text)
