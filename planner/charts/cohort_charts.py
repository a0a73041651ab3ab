"""Cohort charts: ARR layered by acquisition quarter, survival curves and the retention heatmap."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_rgb

from planner.charts.bridge import period_slices
from planner.charts.style import (FIGSIZE_WIDE, MUTED, OKABE_ITO, PALETTE, chart_style, context_line,
                                  finish, legend_below, money_axis, month_axis, month_dates, new_axes,
                                  new_axes_row, percent_axis, titles)
from planner.analysis.cohorts import cohort_models, revenue_retention
from planner.format import money

YEAR_COLOURS = (OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["green"], OKABE_ITO["purple"],
                OKABE_ITO["sky"], OKABE_ITO["vermillion"], OKABE_ITO["yellow"])


def cohort_layers(result, segment: str | None = None, models=None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Mean ARR of each quarterly acquisition cohort by month, and of the opening book.

    Cohort ``c``'s MRR at age ``a`` on a path is ``new_mrr[c] * trajectory_mrr[a]``
    (:mod:`planner.analysis.cohorts`); a quarter's layer sums its three monthly cohorts. Means
    across paths add up, so the layers and the opening book sum to the mean ARR. With
    process noise (``simulation.process_noise``) a layer is its cohorts' expected MRR
    given each path's draws, and the opening book (the remainder) absorbs the noise.

    Parameters
    ----------
    result : SimulationResult
    segment : str, optional
        One segment; None: all segments' cohorts of each quarter together.
    models : dict, optional
        From :func:`planner.analysis.cohorts.cohort_models` (built when not given).

    Returns
    -------
    labels : list of str
        ``Q1 2027``, ... one per quarterly cohort.
    layers : ndarray, shape (quarters, months)
        Mean ARR (money) of each quarter's cohorts; 0 before they are won.
    opening : ndarray, shape (months,)
        Mean ARR of the customers on the books at the start (total minus the cohorts).
    """
    models = cohort_models(result, max_age=len(result.months)) if models is None else models
    scope = list(models.values()) if segment is None else [models[segment]]
    months = len(result.months)
    slices = period_slices(result.months, "quarter")
    layers = np.zeros((len(slices), months))
    for q, (_, first, last) in enumerate(slices):
        for m in scope:
            for c in range(first, last + 1):
                ages = months - c
                contribution = m.new_mrr[:, c, None] * m.mrr[:, :ages]
                layers[q, c:] += 12.0 * contribution.mean(axis=0)
    total = (result.total("arr") if segment is None else result.segment("arr", segment)).mean(axis=0)
    return [label for label, _, _ in slices], layers, np.maximum(total - layers.sum(axis=0), 0.0)


def _shade(color: str, k: int, n: int) -> tuple[float, float, float]:
    """The ``k``-th of ``n`` shades of a colour, from full to lighter (mixed with white)."""
    mix = 0.55 * k / max(n - 1, 1)
    r, g, b = to_rgb(color)
    return (r + (1 - r) * mix, g + (1 - g) * mix, b + (1 - b) * mix)


def plot_cohort_layers(result, *, segment: str | None = None, ax: Axes | None = None, models=None) -> Axes:
    """ARR stacked by acquisition quarter (the layer cake), over the opening book.

    Parameters
    ----------
    result : SimulationResult
        Needs ``mrr``; cohorts are rebuilt from the same draws (:mod:`planner.analysis.cohorts`).
    segment : str, optional
        One segment's cohorts.
    ax : Axes, optional
    models : dict, optional
        From :func:`planner.analysis.cohorts.cohort_models`, to share between charts.

    Returns
    -------
    Axes
        One filled layer per quarterly cohort (oldest at the bottom, on top of the
        opening book in grey), mean across paths. Each year's quarters share a hue,
        lighter for later quarters; the legend names the years.
    """
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        labels, layers, opening = cohort_layers(result, segment, models)
        x = month_dates(result.months)
        ax.fill_between(x, 0, opening, color="#BBBBBB", linewidth=0, label="Opening book", step=None)
        base = opening.copy()
        years = sorted({label.split()[0] for label in labels})  # "FY2027 Q1" -> FY2027
        for label, layer in zip(labels, layers):
            year = label.split()[0]
            in_year = [lab for lab in labels if lab.split()[0] == year]
            colour = _shade(YEAR_COLOURS[years.index(year) % len(YEAR_COLOURS)], in_year.index(label),
                            len(in_year))
            top = base + layer
            ax.fill_between(x, base, top, color=colour, linewidth=0.4, edgecolor="white",
                            label=f"{year} cohorts" if label == in_year[0] else None)
            base = top
        ax.set_ylim(0, None)
        money_axis(ax.yaxis, cur)
        month_axis(ax, result.months)
        ax.set_ylabel(f"ARR ({cur}), mean across paths")
        legend_below(ax, ncols=min(len(years) + 1, 6))
        share = float(opening[-1] / base[-1]) if base[-1] > 0 else 0.0
        scope = "" if segment is None else f", segment {segment}"
        titles(ax, f"ARR by acquisition cohort (quarterly){scope}: the layer cake",
               context_line(result, plan=False) + f" · mean ARR at {result.months[-1]} "
               f"{money(float(base[-1]), cur)}, {share:.0%} from the opening book")
        return finish(ax)


def survival_curves(models, horizon: int) -> dict[str, np.ndarray]:
    """P10/P50/P90 across paths of each segment's logo and revenue retention by age.

    Returns
    -------
    dict of str -> ndarray, shape (2, 3, ages)
        Per segment: ``[logo, revenue]`` x ``[P10, P50, P90]`` for ages 0..horizon.
    """
    out = {}
    for name, m in models.items():
        ages = min(horizon + 1, m.max_age)
        out[name] = np.stack([np.quantile(m.customers[:, :ages], (0.1, 0.5, 0.9), axis=0),
                              np.quantile(m.mrr[:, :ages], (0.1, 0.5, 0.9), axis=0)])
    return out


def quarterly_triangle(result, table) -> tuple[list[str], np.ndarray]:
    """Revenue retention P50 by quarterly cohort (mean of its monthly cohorts) x age in months."""
    slices = period_slices(result.months, "quarter")
    rows = []
    for _, first, last in slices:
        block = table.p50[first:last + 1]
        with np.errstate(invalid="ignore"):
            counted = (~np.isnan(block)).sum(axis=0)
            rows.append(np.where(counted > 0, np.nansum(block, axis=0) / np.maximum(counted, 1), np.nan))
    return [label for label, _, _ in slices], np.array(rows)


def plot_retention(result, *, segment: str | None = None, axes=None, models=None) -> np.ndarray:
    """Cohort retention: survival curves by segment and a revenue-retention heatmap.

    Parameters
    ----------
    result : SimulationResult
        Needs the segment series the cohort tables read (a full ``simulate`` result).
    segment : str, optional
        Restrict both panels to one segment.
    axes : sequence of two Axes, optional
        Where to draw; by default a new wide figure.
    models : dict, optional
        From :func:`planner.analysis.cohorts.cohort_models`.

    Returns
    -------
    ndarray of Axes, shape (2,)
        Left: share of a cohort's customers still active by age (solid, P50 with the
        P10-P90 band) and its MRR relative to the start (dashed, P50), per segment.
        Right: revenue retention P50 by quarterly cohort (rows) and age in months
        (columns), coloured symmetrically around 100% (purple: expansion beats churn; orange: below),
        with a colour bar; cells after the plan's end are blank.
    """
    with chart_style():
        left, right = axes = new_axes_row(axes, 2, figsize=FIGSIZE_WIDE, width_ratios=(1, 1.15))
        horizon = len(result.months)
        models = cohort_models(result, max_age=horizon + 1) if models is None else models
        scope = models if segment is None else {segment: models[segment]}
        ages = np.arange(horizon + 1)
        for i, (name, curves) in enumerate(survival_curves(scope, horizon).items()):
            colour = PALETTE[i % len(PALETTE)]
            a = ages[:curves.shape[2]]
            left.fill_between(a, curves[0, 0], curves[0, 2], color=colour, alpha=0.15, linewidth=0)
            left.plot(a, curves[0, 1], color=colour, linewidth=2.2, label=f"{name}: customers")
            left.plot(a, curves[1, 1], color=colour, linewidth=1.6, linestyle="--", label=f"{name}: MRR")
        left.axhline(1.0, color=MUTED, linewidth=0.8)
        left.set_xlim(0, horizon)
        left.set_ylim(0, max(1.05, float(left.get_ylim()[1])))
        left.set_xticks(np.arange(0, horizon + 1, 12 if horizon > 24 else 6))
        percent_axis(left.yaxis)
        left.set_xlabel("Age of the cohort (months since won)")
        left.set_ylabel("Share of the cohort's start")
        legend_below(left, ncols=len(scope))
        titles(left, "Cohort retention by age", "customers still active (P50, band P10-P90) and MRR vs start (P50)")
        table = revenue_retention(result, segment, models=models)
        labels, grid = quarterly_triangle(result, table)
        _heatmap(right, labels, grid)
        titles(right, "Revenue retention by cohort and age (P50)",
               context_line(result, plan=False) + ("" if segment is None else f" · segment {segment}"))
        for ax in axes:
            finish(ax)
        return axes


def _heatmap(ax: Axes, labels: list[str], grid: np.ndarray) -> None:
    """Quarterly cohorts x ages, diverging around 100%, rows labelled every year."""
    finite = grid[np.isfinite(grid)]
    span = float(np.abs(finite - 1.0).max()) if finite.size else 0.1
    span = max(span, 0.01)
    image = ax.imshow(grid, aspect="auto", interpolation="nearest", cmap="PuOr",
                      norm=Normalize(1.0 - span, 1.0 + span), origin="upper")
    step = 4 if len(labels) > 8 else 1
    ax.set_yticks(np.arange(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)])
    ax.set_xticks(np.arange(0, grid.shape[1], 12 if grid.shape[1] > 24 else 6))
    ax.set_xlabel("Age (months since won)")
    ax.set_ylabel("Cohort (quarter won)")
    ax.grid(False)
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.9, pad=0.02)
    percent_axis(bar.ax.yaxis)
    bar.set_label("MRR vs the cohort's starting MRR")
