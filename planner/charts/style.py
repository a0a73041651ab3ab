"""One chart style for every planner chart: palette, rc settings, axis formatters, titles.

Nothing here touches matplotlib's global state: the style is applied with
:func:`chart_style` (a :func:`matplotlib.rc_context`), and figures are created with
:class:`matplotlib.figure.Figure` directly, never through pyplot, so a notebook's or an
application's own settings are left alone.
"""
from __future__ import annotations

import textwrap
from contextlib import contextmanager
from typing import Iterator

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, Formatter, PercentFormatter
from matplotlib.transforms import offset_copy

from planner.format import SYMBOLS
from planner.format import money
from planner.slides import (BAD, BAND, CHAR_EM, DEPARTMENTS, FAIR, FIGSIZE, FIGSIZE_WIDE, GOOD, GRID, INK, MUTED,
                            OKABE_ITO, PALETTE, POOR, SLIDE_DPI, STYLE, SlideLayout)

#: the slide format's names, importable from here as before
__all__ = ["BAD", "BAND", "DEPARTMENTS", "FAIR", "FIGSIZE", "FIGSIZE_WIDE", "GOOD", "GRID", "INK", "MUTED",
           "OKABE_ITO", "PALETTE", "POOR", "SLIDE_DPI", "STYLE", "SlideLayout", "chart_style", "new_figure",
           "new_axes", "new_axes_row", "context_line", "titles", "finish", "MoneyFormatter", "money_axis",
           "percent_axis", "month_label", "MonthFormatter", "month_ticks", "month_axis", "month_dates",
           "legend_below"]


@contextmanager
def chart_style() -> Iterator[None]:
    """The planner chart style, for the duration of a ``with`` block only."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(figsize=FIGSIZE) -> Figure:
    """A slide-sized figure (not registered with pyplot) whose margins are set from what
    it holds at draw time (:class:`planner.slides.SlideLayout`: drawn once)."""
    return Figure(figsize=figsize, layout=SlideLayout())


def new_axes(ax: Axes | None, figsize=FIGSIZE) -> Axes:
    """``ax`` itself, or the axes of a new slide figure (:func:`new_figure`)."""
    if ax is not None:
        return ax
    return new_figure(figsize).add_subplot()


def new_axes_row(axes, n: int, figsize=FIGSIZE, **kwargs) -> np.ndarray:
    """``axes`` (a sequence of ``n`` Axes) as an array, or ``n`` side-by-side axes of a new figure."""
    if axes is not None:
        out = np.asarray(axes, dtype=object).ravel()
        if out.size != n:
            raise ValueError(f"this chart draws on {n} axes (got {out.size})")
        return out
    fig = new_figure(figsize)
    return np.asarray(fig.subplots(1, n, squeeze=False, **kwargs)[0], dtype=object)


def context_line(result, *, plan: bool = True, extra: str = "") -> str:
    """The subtitle: ``scenario · plan NAME · 2,000 paths`` (and ``extra``); of a streamed
    run's sample, the paths simulated and how many of them the monthly ranges are from."""
    sc = result.scenario
    parts = [sc.name]
    if plan and getattr(result, "plan", ""):
        parts.append(f"plan {result.plan}")
    sampled_from = getattr(result, "sampled_from", 0)
    if sampled_from:  # a streamed run's sample (0 when every path was kept)
        parts.append(f"{sampled_from:,} paths, seed {result.seed} (monthly ranges from "
                     f"{result.paths:,} of them)")
    else:
        parts.append(f"{result.paths:,} paths, seed {result.seed}")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def axes_width(ax: Axes) -> float:
    """About how wide (inches) ``ax`` will be once laid out: its share of the figure's
    width less typical margins and gaps (before any drawing)."""
    fig_width = ax.figure.get_size_inches()[0]
    spec = ax.get_subplotspec()
    if spec is None:
        return fig_width * ax.get_position().width
    cols = spec.get_gridspec().get_geometry()[1]
    span = len(spec.get_topmost_subplotspec().colspan)
    return max(1.0, (fig_width - 1.3 - 0.9 * (cols - 1)) * span / cols)


def wrap_to(text: str, inches: float, size: float) -> str:
    """``text`` wrapped at spaces to lines about ``inches`` wide at ``size`` points."""
    chars = max(12, int(inches * 72 / (CHAR_EM * size)))
    return "\n".join(textwrap.fill(line, chars, break_on_hyphens=False) for line in text.split("\n"))


def titles(ax: Axes, title: str, subtitle: str) -> None:
    """A bold title and a grey subtitle under it, both left-aligned over the axes and
    wrapped to its width (narrow panels of a multi-panel chart get two lines).

    The title gets a blank line per subtitle line; the subtitle is drawn in them, 7
    points above the axes, so the layout's room for the title block holds both.
    """
    width = axes_width(ax)
    title = wrap_to(title, width, float(matplotlib.rcParams["axes.titlesize"]))
    subtitle = wrap_to(subtitle, width, 10.0) if subtitle else ""
    ax.set_title(title + "\n" * (subtitle.count("\n") + 1 if subtitle else 0), loc="left", pad=6)
    where = offset_copy(ax.transAxes, fig=ax.figure, x=0, y=7, units="points")
    ax.text(0.0, 1.0, subtitle, transform=where, ha="left", va="bottom", color=MUTED, fontsize=10, gid="subtitle",
            linespacing=1.25)


def finish(ax: Axes) -> Axes:
    """Create the axes' ticks inside the style context (they copy the style from the first)."""
    ax.xaxis.get_major_ticks()
    ax.yaxis.get_major_ticks()
    return ax


def _unit(limit: float) -> tuple[float, str]:
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if limit >= size:
            return size, suffix
    return 1.0, ""


class MoneyFormatter(Formatter):
    """Axis ticks as money with one unit for the whole axis: ``$0, $2.5M, $5.0M, $7.5M``.

    The unit (K, M, B) is chosen from the largest tick, and the decimals are the fewest
    that keep every tick distinct, so the labels of one axis line up. A single value
    (the cursor readout) is formatted like :func:`planner.format.money`.
    """

    def __init__(self, currency: str = "USD"):
        self.currency = currency
        self._size, self._suffix, self._digits = 1.0, "", 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        finite = np.asarray([v for v in locs if np.isfinite(v)], dtype=float)
        if finite.size == 0:
            return
        lo, hi = self.axis.get_view_interval() if self.axis is not None else (finite.min(), finite.max())
        visible = finite[(finite >= min(lo, hi) - 1e-9) & (finite <= max(lo, hi) + 1e-9)]
        visible = visible if visible.size else finite
        self._size, self._suffix = _unit(float(np.abs(visible).max()))
        scaled = visible / self._size
        self._digits = 0
        while self._digits < 3 and np.any(np.abs(scaled - np.round(scaled, self._digits)) > 1e-6):
            self._digits += 1

    def __call__(self, value, pos=None) -> str:
        if pos is None:
            return money(float(value), self.currency)
        if abs(value) < 1e-9 * self._size:
            return self._wrap("0", False)
        return self._wrap(f"{abs(value) / self._size:.{self._digits}f}{self._suffix}", value < 0)

    def _wrap(self, text: str, negative: bool) -> str:
        symbol = SYMBOLS.get(self.currency)
        sign = "-" if negative else ""
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {self.currency}"


def money_axis(axis, currency: str) -> None:
    """Currency tick labels on ``ax.yaxis`` or ``ax.xaxis``."""
    axis.set_major_formatter(MoneyFormatter(currency))


def percent_axis(axis, decimals: int = 0) -> None:
    """Tick labels as percentages of 1.0."""
    axis.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(month: np.datetime64) -> str:
    """``Jan 2027``: the one month format of every chart axis."""
    m = int(np.asarray(month, dtype="datetime64[M]").astype(int))
    return f"{MONTH_NAMES[m % 12]} {1970 + m // 12}"


class MonthFormatter(Formatter):
    """Tick labels of :func:`month_axis`: a fixed label per tick position (no date parsing)."""

    def __init__(self, labels: dict[float, str]):
        self.labels = labels

    def __call__(self, value, pos=None) -> str:
        label = self.labels.get(float(value))
        if label is None:  # the cursor readout, between ticks
            day = np.datetime64("1970-01-01") + np.timedelta64(int(np.floor(value - date2num(np.datetime64("1970-01-01")))), "D")
            label = month_label(day)
        return label


def month_ticks(months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Major and minor tick months of a plan: majors every 3, 6 or 12 months from the
    first month (by span), minors every quarter between them, shape (k,) each."""
    months = np.asarray(months, dtype="datetime64[M]")
    span = len(months)
    step = 3 if span <= 15 else 6 if span <= 36 else 12
    edge = np.arange(months[0], months[-1] + 1, dtype="datetime64[M]")
    offset = np.arange(len(edge))
    major = edge[offset % step == 0]
    minor = edge[(offset % 3 == 0) & (offset % step != 0)] if step > 3 else edge[:0]
    return major, minor


def month_axis(ax: Axes, months: np.ndarray, pad_days: int = 0, compact: bool = False) -> None:
    """Month ticks on the x axis, the same on every chart: ``Jan 2027`` every 3, 6 or 12
    months from the plan's first month, minor ticks every quarter between them.

    Ticks are fixed positions with fixed labels (no date locator at draw time).
    ``compact`` (narrow panels) labels every other major tick when there are more than 4.
    """
    months = np.asarray(months, dtype="datetime64[M]")
    span = len(months)
    major, minor = month_ticks(months)
    if compact and len(major) > 4:
        minor = np.sort(np.concatenate([minor, major[1::2]]))
        major = major[::2]
    at = date2num(major.astype("datetime64[D]"))
    ax.xaxis.set_major_locator(FixedLocator(at))
    ax.xaxis.set_minor_locator(FixedLocator(date2num(minor.astype("datetime64[D]"))))
    ax.xaxis.set_major_formatter(MonthFormatter({float(v): month_label(m) for v, m in zip(at, major)}))
    start = months[0].astype("datetime64[D]") - np.timedelta64(pad_days, "D")
    end = (months[-1] + 1).astype("datetime64[D]") + np.timedelta64(pad_days, "D") - np.timedelta64(1, "D")
    ax.set_xlim(start, end if span > 1 else end + np.timedelta64(1, "D"))


def month_dates(months: np.ndarray) -> np.ndarray:
    """Months as ``datetime64[D]`` at the first of each month (for plotting)."""
    return np.asarray(months, dtype="datetime64[M]").astype("datetime64[D]")


def _legend_rows(labels: list[str], ncols: int) -> int:
    """Text lines of a legend of ``labels`` filled column by column in ``ncols`` columns."""
    rows = -(-len(labels) // ncols)
    return sum(max(labels[c * rows + r].count("\n") + 1 for c in range(ncols) if c * rows + r < len(labels))
               for r in range(rows))


def _fitting_columns(ax: Axes, labels: list[str], ncols: int) -> tuple[int, list[str]]:
    """``ncols``, or fewer if a legend of ``labels`` in that many columns would be wider
    than the axes (estimated from the characters, as the layout does), and the labels,
    wrapped where one alone is wider than the axes."""
    size = 10.0
    available = (axes_width(ax) + 0.3) * 72
    handle = (1.8 + 0.8 + 1.6) * size
    labels = [wrap_to(text, (available - handle) / 72, size) for text in labels]
    entry = [handle + CHAR_EM * size * max(len(line) for line in text.split("\n")) for text in labels]
    while ncols > 1:
        rows = -(-len(labels) // ncols)
        width = sum(max(entry[c * rows:(c + 1) * rows], default=0.0) for c in range(ncols))
        if width <= available:
            break
        ncols -= 1
    return ncols, labels


def legend_below(ax: Axes, handles=None, labels=None, ncols: int | None = None):
    """The legend centred under the axes, below the tick labels and the x label if any,
    so it never hides data (the slide layout makes room for its rows)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    ncols, labels = _fitting_columns(ax, [str(t) for t in labels], ncols or min(len(handles), 4))
    below = 26 + (18 if ax.get_xlabel() else 0)
    where = offset_copy(ax.transAxes, fig=ax.figure, x=0, y=-below, units="points")
    legend = ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=where,
                       ncols=ncols, borderaxespad=0.0, handlelength=1.8, columnspacing=1.6)
    legend.planner_rows = _legend_rows(labels, ncols)  # the layout keeps room for them
    return legend
