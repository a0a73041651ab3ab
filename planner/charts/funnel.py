"""The go-to-market funnel: a year's volumes by stage with their conversion, monthly stage
volumes, and how much of the account executives' capacity the wins use.

The figures here read the funnel series of :mod:`planner.engine.funnel` (docs/funnel.md).
A company figure adds up the segments that have a funnel; a segment whose new customers
are given directly (a number, or a budget and a CAC) has no stages and is left out.
Stage labels are those ``planner run`` prints (:data:`planner.analysis.funnel.FLOWS`);
:func:`first_and_last_year` and :func:`stage_totals` are shared with the report's funnel
section and the workbook's funnel sheets.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from planner.charts.style import (INK, MUTED, OKABE_ITO, PALETTE, chart_style, context_line, finish,
                                  legend_below, month_axis, month_dates, new_axes_row, percent_axis, titles)
from planner.analysis.stats import quantiles_across_paths
from planner.errors import PlannerError
from planner.format import count
from planner.analysis.funnel import FLOWS
from planner.analysis.periods import plan_years as plan_years_of
from planner.arrays import ratio

#: sales-led stages in order: (series, label), labelled as ``planner run`` prints them
STAGES = tuple((k, FLOWS[k]) for k in ("leads", "mqls", "sqls", "opportunities", "wins"))
#: self-serve: trials and the trials that convert
SELF_SERVE = tuple((k, FLOWS[k]) for k in ("trials", "trial_wins"))
#: series the funnel chart reads, per segment
FUNNEL_CHART_SERIES = tuple(k for k, _ in STAGES + SELF_SERVE) + ("ae_capacity",)
#: first and last plan year in the year panel
YEAR_COLOURS = ("#A6A6A6", OKABE_ITO["blue"])
#: utilisation at or above this counts as "capacity full" (deals waiting or lost)
FULL = 0.995

NO_FUNNEL = ("this scenario has no funnel (acquisition is given as new customers or as a marketing "
             "budget and CAC), so there are no stage volumes to chart")


def funnel_segments(scenario) -> tuple[str, ...]:
    """Names of the segments whose new customers come from a funnel, in scenario order."""
    return tuple(s.name for s in scenario.segments if s.funnel is not None)


def capacity_segments(scenario, segments=None) -> tuple[str, ...]:
    """Funnel segments (of ``segments``, default all) whose wins are capped by AE capacity."""
    chosen = funnel_segments(scenario) if segments is None else segments
    return tuple(s.name for s in scenario.segments
                 if s.name in chosen and s.funnel is not None and s.funnel.capacity is not None)


def check_funnel(result, segment: str | None = None) -> tuple[str, ...]:
    """The funnel segments a chart or table of ``segment`` (None: the company) covers.

    Raises
    ------
    PlannerError
        When the scenario has no funnel, or ``segment`` has none.
    """
    names = funnel_segments(result.scenario)
    if not names:
        raise PlannerError(NO_FUNNEL)
    if segment is None:
        return names
    if segment not in result.segments:
        raise PlannerError(f"no segment named {segment!r}; segments are {', '.join(result.segments)}")
    if segment not in names:
        raise PlannerError(f"segment {segment!r} has no funnel (its new customers are given directly); "
                           f"segments with a funnel: {', '.join(names)}")
    return (segment,)


def scope_series(result, name: str, segments) -> np.ndarray:
    """``name`` added up over ``segments`` (each kept by segment), shape (paths, months)."""
    return sum(result.segment(name, s) for s in segments)


def plan_years(months) -> list[tuple[str, int, int]]:
    """The plan years (:func:`planner.analysis.periods.plan_years`) as (title, first, last)."""
    return [(y.title, y.first, y.last) for y in plan_years_of(np.asarray(months, dtype="datetime64[M]"))]


def first_and_last_year(months, whole: bool = False) -> list[tuple[str, int, int]]:
    """The first and the last plan year (one entry when the plan has only one).

    ``whole``: the last *whole* year instead of a partial one (the chart compares bars of
    the same length of time; a plan shorter than a year keeps its one partial year).
    """
    years = plan_years(months)
    if whole and len(years) > 1 and years[-1][2] - years[-1][1] < 11:
        years = years[:-1]
    return years[:1] if len(years) == 1 else [years[0], years[-1]]


def year_sum(data: np.ndarray, first: int, last: int) -> np.ndarray:
    """Per-path total of a monthly flow over months ``first..last``, shape (paths,)."""
    return data[:, first:last + 1].sum(axis=1)


def stage_conversion(stage: np.ndarray, above: np.ndarray) -> float | None:
    """P50 across paths of ``stage / above`` (per-path totals); None where undefined on every path."""
    value = quantiles_across_paths(ratio(stage, above), (0.5,))[0]
    return None if np.isnan(value) else float(value)


def share_text(share: float) -> str:
    """A conversion as ``24%``, or ``4.5%`` below 10%."""
    return f"{share:.0%}" if share >= 0.1 else f"{share:.1%}"


def _count_tick(value, _pos=None) -> str:
    if value <= 0:
        return ""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _short_count_tick(value, _pos=None) -> str:
    """``15K`` for 15,000 (from 1,000), else as :func:`_count_tick`."""
    if value >= 1_000:
        return f"{value / 1000:,.0f}K" if value % 1000 == 0 else f"{value / 1000:,.1f}K"
    return _count_tick(value, _pos)


class StageTotals(NamedTuple):
    """One stage over the plan years of :func:`stage_totals`."""

    key: str            #: the series (``leads`` ...)
    label: str          #: ``Leads`` ...
    group: str          #: ``sales`` or ``self_serve``
    totals: list        #: per year, the per-path total, (paths,) each
    shares: list        #: per year, the P50 of this stage / the stage above (None for a group's first)
    above: str          #: the label of the stage above ("" for a group's first)


def stage_totals(result, segments, years) -> list[StageTotals]:
    """Each stage's per-path totals over each of ``years`` ((label, first, last)), added up
    over ``segments``; stages with no volume on the median path in any year are left out."""
    rows: list[StageTotals] = []
    for group, stages in (("sales", STAGES), ("self_serve", SELF_SERVE)):
        above = None
        for key, label in stages:
            data = scope_series(result, key, segments)
            sums = [year_sum(data, a, b) for _, a, b in years]
            if not any(np.median(t) > 0 for t in sums):
                continue
            shares = ([None] * len(sums) if above is None else
                      [stage_conversion(t, u) for t, u in zip(sums, above.totals)])
            above = StageTotals(key, label, group, sums, shares, above.label if above else "")
            rows.append(above)
    return rows


def _year_panel(ax: Axes, rows: list[StageTotals], years) -> None:
    """Horizontal bars: each stage's P50 total in the first and last year, with the P50
    share of the stage above written after the value."""
    height = 0.8 / len(years)
    y, ticks, gap = 0.0, [], 0.0
    medians = [[float(np.median(t)) for t in row.totals] for row in rows]
    top = max(max(m) for m in medians)
    for i, (row, totals) in enumerate(zip(rows, medians)):
        if i and row.group != rows[i - 1].group:
            y += 0.5  # a gap between the sales-led stages and self-serve
        for j, (total, share, (year, _, _)) in enumerate(zip(totals, row.shares, years)):
            pos = y - 0.4 + height * (j + 0.5)
            ax.barh(pos, total, height * 0.92, color=YEAR_COLOURS[-len(years) + j], linewidth=0,
                    label=year if i == 0 else None)
            text = count(total) if total >= 10 else f"{total:,.1f}"
            if share is not None:
                text += f"  ({share_text(share)})"
            ax.annotate(text, (total, pos), xytext=(4, 0), textcoords="offset points", va="center", ha="left",
                        fontsize=9, color=INK if j == len(years) - 1 else MUTED, gid="value")
        ticks.append((y, row.label))
        y += 1.0
        gap = y
    ax.set_yticks([t for t, _ in ticks], [label for _, label in ticks])
    pad = max(0.0, 5.2 - (gap + 0.15)) / 2  # a few rows: keep the bars slim, centred
    ax.set_ylim(gap - 0.45 + pad, -0.6 - pad)
    ax.set_xlim(0, top * 1.42)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=3))  # a narrow panel: few, short labels
    ax.xaxis.set_major_formatter(FuncFormatter(_short_count_tick))
    ax.grid(False, axis="y")
    ax.grid(True, axis="x")
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("Per year, P50 (in brackets: % of the stage above)")


def _monthly_panel(ax: Axes, result, rows: list[StageTotals], segments) -> None:
    """P50 monthly volume of each stage on a log axis (wins with their P10-P90 band)."""
    x = month_dates(result.months)
    colours = {"leads": OKABE_ITO["sky"], "mqls": OKABE_ITO["orange"], "sqls": OKABE_ITO["green"],
               "opportunities": OKABE_ITO["vermillion"], "wins": INK, "trials": OKABE_ITO["purple"],
               "trial_wins": OKABE_ITO["blue"]}
    low = np.inf
    for key, label, group, *_ in rows:
        data = scope_series(result, key, segments)
        q = np.quantile(data, (0.1, 0.5, 0.9), axis=0)
        if key in ("wins", "trial_wins"):
            ax.fill_between(x, np.maximum(q[0], 1e-9), q[2], color=colours[key], alpha=0.15, linewidth=0)
        style = "--" if group == "self_serve" else "-"
        ax.plot(x, q[1], color=colours[key], linewidth=2.4 if key in ("wins", "trial_wins") else 1.8, linestyle=style,
                label=label)
        positive = q[1][q[1] > 0]
        low = min(low, float(positive.min()) if positive.size else np.inf)
    ax.set_yscale("log")
    if np.isfinite(low):
        ax.set_ylim(bottom=10 ** np.floor(np.log10(low)))
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(_count_tick))
    ax.yaxis.set_minor_formatter(NullFormatter())
    month_axis(ax, result.months, compact=True)
    ax.set_ylabel("Per month, P50 (log scale)")


def _capacity_panel(ax: Axes, result, segments) -> None:
    """Wins / AE capacity per segment (P50 line, P10-P90 band) against a 100% line; the
    legend gives the share of paths at capacity in the last month."""
    x = month_dates(result.months)
    for i, seg in enumerate(segments):
        used = ratio(result.segment("wins", seg), result.segment("ae_capacity", seg))
        q = quantiles_across_paths(used)
        colour = PALETTE[(i + 2) % len(PALETTE)] if len(segments) > 1 else OKABE_ITO["vermillion"]
        ax.fill_between(x, q[0], q[2], color=colour, alpha=0.15, linewidth=0)
        full = float(np.mean(used[:, -1] >= FULL))
        ax.plot(x, q[1], color=colour, linewidth=2.0,
                label=f"{seg}: at capacity in {result.months[-1]} on {full:.0%} of paths")
    ax.axhline(1.0, color=INK, linewidth=1.0, linestyle=":", label="100%: ready deals wait or are lost")
    ax.set_ylim(0, 1.12)
    percent_axis(ax.yaxis)
    month_axis(ax, result.months, compact=True)
    ax.set_ylabel("Wins / AE capacity (P50, P10-P90)")


def plot_funnel(result, *, segment: str | None = None, axes=None) -> np.ndarray:
    """The go-to-market funnel: a year's stage volumes, monthly volumes and AE capacity.

    Parameters
    ----------
    result : SimulationResult
        Needs the funnel series by segment (``leads`` ... ``wins``, ``trials``,
        ``trial_wins``, ``ae_capacity``).
    segment : str, optional
        One segment's funnel; by default every segment with a funnel added up.
    axes : sequence of Axes, optional
        Where to draw: three Axes when a segment in scope has sales capacity, else two.
        By default a new wide figure.

    Returns
    -------
    ndarray of Axes, shape (3,) or (2,)
        Left: each stage's total in the first and the last whole plan year (P50 across
        paths, the first year grey, the last blue) with the P50 share of the stage above
        in brackets; self-serve trials and wins below the sales-led stages. Middle: the
        P50 monthly volume of each stage on a log axis, wins with their P10-P90 band.
        Right (only with ``sales_capacity``): sales-led wins / AE capacity per segment,
        P50 and P10-P90; at 100% the AEs close all they can and ready deals wait or are
        lost; the legend gives the share of paths at capacity in the last month.

    Raises
    ------
    PlannerError
        When the scenario has no funnel (acquisition given as new customers or as a
        marketing budget and CAC), or ``segment`` has none.
    """
    segments = check_funnel(result, segment)
    capped = capacity_segments(result.scenario, segments)
    years = first_and_last_year(result.months, whole=True)
    n = 3 if capped else 2
    with chart_style():
        axes = new_axes_row(axes, n,
                            width_ratios=(1.1, 1, 1) if n == 3 else (1.1, 1))
        rows = stage_totals(result, segments, years)
        if not rows:
            raise PlannerError("the funnel has no volume in any stage on the median path: nothing to chart")
        _year_panel(axes[0], rows, years)
        legend_below(axes[0], ncols=len(years))
        scope = f"segment {segment}" if segment else (
            "all segments" if len(segments) == len(result.segments) else "segments " + ", ".join(segments))
        what = " and ".join(y for y, _, _ in years)
        titles(axes[0], f"Funnel in {what}", context_line(result, plan=False))
        _monthly_panel(axes[1], result, rows, segments)
        legend_below(axes[1], ncols=3)
        titles(axes[1], "Volume by stage, per month", f"{scope} · P50; wins with their P10-P90")
        if capped:
            _capacity_panel(axes[2], result, capped)
            legend_below(axes[2], ncols=1)
            titles(axes[2], "AE capacity used", "sales-led wins / deals the AEs can close")
        for ax in axes:
            finish(ax)
        return axes
