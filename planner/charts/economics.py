"""Unit economics over time against their benchmark bands."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes

from planner.analysis.benchmark_bands import ALIASES, benchmark
from planner.charts.bridge import period_centres
from planner.charts.style import (BAD, FAIR, GOOD, INK, MUTED, POOR, chart_style, context_line,
                                  finish, legend_below, month_axis, new_axes_row, titles)
from planner.analysis.unit_economics import period_quantiles

#: about how tall (inches) a panel of the slide is, to tell which band names fit
PANEL_HEIGHT = 3.2
#: the P10-P90 band of a metric: neutral grey, unlike any benchmark band's colour
BAND_INK = "#444444"
#: colour of each benchmark band, lowest values first (see planner.analysis.benchmark_bands.BANDS)
BAND_COLOURS = {
    "ltv_to_cac": (BAD, FAIR, GOOD, GOOD),
    "cac_payback": (GOOD, FAIR, POOR, BAD),
    "burn_multiple": (GOOD, GOOD, FAIR, POOR, BAD),
}
#: (metric drawn solid, metric drawn dashed, panel title, y label, y floor of the top, y cap)
PANELS = (
    ("ltv_to_cac_cohort", "ltv_to_cac", "LTV:CAC", "LTV / CAC", 6.0, 15.0),
    ("cac_payback_cohort", "cac_payback", "CAC payback", "Months", 30.0, 60.0),
    ("burn_multiple", None, "Burn multiple", "Net burn / net new ARR", 4.0, 8.0),
)
LEGEND = {
    "ltv_to_cac_cohort": "P50, simulated cohort LTV",
    "ltv_to_cac": "P50, formula LTV",
    "cac_payback_cohort": "P50, simulated cohort",
    "cac_payback": "P50, formula",
    "burn_multiple": "P50",
}


def bench_key(metric: str) -> str:
    """The benchmark a metric is judged by (``ltv_to_cac_cohort`` -> ``ltv_to_cac``)."""
    return ALIASES.get(metric, metric)


def _bands(ax: Axes, metric: str, top: float, x: np.ndarray | None = None, p50: np.ndarray | None = None) -> None:
    """Shade the benchmark bands of ``metric`` up to ``top`` and name each inside it where the
    name fits: at the band's top right, or its bottom right when the P50 line (``x``,
    ``p50``) passes through the top one, on a light patch when it passes through both."""
    bench = benchmark(metric)
    edges = (0.0,) + tuple(bench.thresholds) + (top,)
    colours = BAND_COLOURS[bench_key(metric)]
    tail = np.array([])
    if x is not None and p50 is not None:
        right = np.asarray(x) >= np.nanmin(x) + 0.6 * (np.nanmax(x) - np.nanmin(x))
        tail = np.asarray(p50)[right]
        tail = np.where(np.isinf(tail), top, tail)
        tail = tail[np.isfinite(tail)]
    for i, label in enumerate(bench.labels):
        low, high = edges[i], min(edges[i + 1], top)
        if high <= low:
            continue
        ax.axhspan(low, high, color=colours[i], alpha=0.10 + 0.04 * (i % 2), linewidth=0, zorder=0)
        text = textwrap.fill(label, 22)
        tall = (text.count("\n") + 1) * 8.5 * 1.25 / 72 / PANEL_HEIGHT * top  # data units the name takes
        if high - low < tall:
            continue  # too thin a band for its name: the colour and the neighbours' names say it
        at_top = not ((tail <= high) & (tail >= high - tall)).any()
        at_bottom = not ((tail >= low) & (tail <= low + tall)).any()
        y, va, dy = (high, "top", -3) if at_top or not at_bottom else (low, "bottom", 3)
        box = None if at_top or at_bottom else {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1}
        # named inside the band, at its right: the panels of a slide have no margin for it
        ax.annotate(text, (1.0, y), xycoords=("axes fraction", "data"), xytext=(-4, dy),
                    textcoords="offset points", va=va, ha="right", fontsize=8.5, color=MUTED,
                    annotation_clip=True, gid="band", bbox=box, zorder=4)


def _same_line(a: np.ndarray, b: np.ndarray, rtol: float = 0.05) -> bool:
    """Whether two P50 lines coincide (within ``rtol`` wherever both are finite)."""
    both = np.isfinite(a) & np.isfinite(b)
    return bool((np.isinf(a) == np.isinf(b)).all() and both.any()
                and (np.abs(a[both] - b[both]) <= rtol * np.abs(b[both])).all())


def unit_economics_quantiles(result, metrics) -> tuple[list, dict[str, np.ndarray]]:
    """P10/P50/P90 across paths of blended metrics by calendar quarter.

    Returns
    -------
    periods : list of planner.analysis.unit_economics.Period
    values : dict of str -> ndarray, shape (3, quarters)
        ``inf`` where unbounded, ``nan`` where undefined.
    """

    # quantiles a year of quarters at a time: only this chart reads the quarters (the
    # cached yearly metrics are the summary's)
    spans, q = period_quantiles(result, "quarter", chunk=4, scopes=("blended",), metrics=metrics,
                                fiscal_year_start=1)
    return spans, {m: q["blended"][m] for m in metrics if m in q["blended"]}


def plot_unit_economics(result, *, axes=None) -> np.ndarray:
    """LTV:CAC, CAC payback and burn multiple by quarter, over their benchmark bands.

    Parameters
    ----------
    result : SimulationResult
        A full result with segment series (see
        :data:`planner.analysis.unit_economics.UNIT_ECONOMICS_SERIES`).
    axes : sequence of three Axes, optional
        Where to draw; by default a new wide figure with three panels.

    Returns
    -------
    ndarray of Axes, shape (3,)
        Each panel: the blended metric's P50 (solid) with its P10-P90 band, the formula
        version dashed where it differs, and the benchmark bands of
        :mod:`planner.analysis.benchmark_bands` shaded and named on the right. Values beyond the
        panel (an unbounded formula LTV when expansion >= churn, a payback never
        reached) are clipped to its top edge; the legend says so.
    """
    metrics = [m for panel in PANELS for m in panel[:2] if m]
    with chart_style():
        axes = new_axes_row(axes, 3)
        spans, q = unit_economics_quantiles(result, metrics)
        slices = [(p.label, p.first, p.last) for p in spans]
        x, _ = period_centres(result.months, slices)
        scope = "by quarter" + (", blended across segments" if len(result.segments) > 1 else "")
        subtitles = (f"{scope} · " + context_line(result, plan=False), scope,
                     "by quarter, company; cash burn excluding financing")
        for ax, sub, (solid, dashed, title, ylabel, floor, cap) in zip(axes, subtitles, PANELS):
            notes = []
            if solid == "burn_multiple" and (q[solid][1] == 0).any():
                # no burn: the multiple is not defined, not "amazing"
                q[solid] = np.where(q[solid][1] == 0, np.nan, q[solid])
                notes.append("no burn (quarters left blank): no multiple")
            if dashed is not None and _same_line(q[dashed][1], q[solid][1]):
                notes.append("formula within 5% of the cohort (not drawn)")
                dashed = None
            shown = np.concatenate([q[solid][2]] + ([q[dashed][1]] if dashed else []))
            finite = shown[np.isfinite(shown)]
            top = min(cap, max(floor, 1.15 * float(finite.max()) if finite.size else floor))
            _bands(ax, solid, top, x, np.where(np.isinf(q[solid][1]), top, q[solid][1]))
            clip = lambda v: np.where(np.isinf(v), top, np.minimum(v, top))  # noqa: E731
            ax.fill_between(x, clip(q[solid][0]), clip(q[solid][2]), color=BAND_INK, alpha=0.25,
                            linewidth=0, label="P10-P90")
            ax.plot(x, clip(q[solid][1]), color=INK, linewidth=2.2, marker="o", markersize=3.5,
                    label=LEGEND[solid])
            if dashed is not None:
                ax.plot(x, clip(q[dashed][1]), color=INK, linewidth=1.4, linestyle="--", label=LEGEND[dashed])
                if np.isinf(q[dashed][1]).any():
                    notes.append("formula unbounded (expansion >= churn): drawn at the top")
            over = [q[solid][1], q[solid][2]] + ([q[dashed][1]] if dashed else [])
            if any((np.isfinite(v) & (v > top)).any() for v in over):
                notes.append(f"values above {top:g} drawn at the top edge")
            ax.set_ylim(0, top)
            month_axis(ax, result.months, compact=True)
            ax.set_ylabel(ylabel)
            handles, labels = ax.get_legend_handles_labels()
            for note in notes:
                handles.append(ax.plot([], [], linestyle="none")[0])
                labels.append(note)
            legend_below(ax, handles, labels, ncols=1)
            titles(ax, title, sub)
        for ax in axes:
            finish(ax)
        return axes

