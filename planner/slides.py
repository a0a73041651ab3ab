"""The slide format every planner chart shares: palette, size, resolution, rc style, and a
layout engine that sets margins without drawing.

It sits in the lowest layer (it needs only matplotlib) so that the retention-fit chart
(:mod:`planner.fit.chart`, below :mod:`planner.charts`) draws in the same style.

Fixed slide geometry, worked out without drawing: constrained layout measures every
text by drawing the figure once more before the real draw. The margins of a planner
chart are known from what it holds: a title with a subtitle line, tick labels of known
fonts, an axis label or not, a legend below with a known number of rows, a right-hand
axis. :class:`SlideLayout` sets the subplot geometry from those counts (in inches) at
draw time, so each figure is drawn once. Estimated text widths use the average advance
of DejaVu Sans (0.62 em a character, a little generous), which errs towards a wider
margin, never a clipped label.
"""
from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.layout_engine import LayoutEngine

#: Okabe & Ito (2008) colour-blind-safe palette, in the order charts use it
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}
PALETTE = tuple(OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple",
                                       "yellow", "black"))
INK = "#222222"      # text and P50 lines
MUTED = "#666666"    # subtitles, reference lines
GRID = "#DDDDDD"
#: departments in chart order, with their labels and colours
DEPARTMENTS = {"sales": ("Sales", OKABE_ITO["blue"]), "marketing": ("Marketing", OKABE_ITO["sky"]),
               "rnd": ("R&D", OKABE_ITO["orange"]), "cs": ("Customer success", OKABE_ITO["green"]),
               "ga": ("G&A", OKABE_ITO["purple"])}
#: verdict colours for benchmark bands, best to worst
GOOD, FAIR, POOR, BAD = OKABE_ITO["green"], OKABE_ITO["sky"], OKABE_ITO["orange"], OKABE_ITO["vermillion"]

#: every chart is one slide: 16:9 at 10 inches wide, 2,000 x 1,125 px at SLIDE_DPI;
#: multi-panel charts have the same size (their panels share the width)
FIGSIZE = (10.0, 5.625)
FIGSIZE_WIDE = FIGSIZE
#: PNG at 2x for slides: 10 in x 200 dpi = 2,000 px wide
SLIDE_DPI = 200
#: zlib level of PNGs: 1 encodes a chart in about half the time of the default 6, for
#: files about 20% larger (flat-colour charts compress well either way)
PNG_COMPRESSION = 1
#: the P10-P90 / P25-P75 bands of a fan: a neutral blue-grey, never a benchmark colour
BAND = "#7F9DB9"

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "axes.labelsize": 11,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#888888",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": INK,
    "ytick.color": INK,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.frameon": False,
    "legend.fontsize": 10,
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.facecolor": "white",
    "svg.hashsalt": "planner",    # stable ids: the same chart gives the same SVG
    "image.cmap": "cividis",
    "text.parse_math": False,     # "$2.9M to $3.1M" is money, not mathtext
}



POINT = 1 / 72          # inches per point
CHAR_EM = 0.62          # average advance of a DejaVu Sans character, in em
EDGE = 0.12             # blank border around everything, inches
TITLE_PAD = 6 + 4       # points between the axes top and the title block, plus air
TICK_PAD = 3.5 + 3.5    # tick length and label pad, points
LEGEND_ROW = 1.55       # a legend row, in legend font sizes
LEGEND_GAP = 26         # points from the axes bottom to the legend's top (style.legend_below)


def _tick_texts(axis) -> list[str]:
    """The major tick labels ``axis`` will draw (formatted, not rendered)."""
    lo, hi = sorted(axis.get_view_interval())
    locs = [v for v in axis.get_majorticklocs() if lo - 1e-9 * max(1.0, abs(hi)) <= v <= hi + 1e-9 * max(1.0, abs(hi))]
    return [t for t in axis.get_major_formatter().format_ticks(locs) if t]


def _label_lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


def _shown(axis) -> bool:
    """Whether ``axis`` draws tick labels (on either side)."""
    ticks = axis.get_major_ticks()
    return axis.get_visible() and bool(ticks) and (ticks[0].label1.get_visible() or ticks[0].label2.get_visible())


def _right_side(ax) -> bool:
    """Whether ``ax``'s y axis is drawn on the right (a twin axis or a colorbar)."""
    ticks = ax.yaxis.get_major_ticks()
    return bool(ticks) and ticks[0].label2.get_visible() and not ticks[0].label1.get_visible()


def _y_side(ax) -> float:
    """Inches an axes needs beside it for its y tick labels and y label."""
    axis = ax.yaxis
    if not axis.get_visible():
        return 0.0
    width = 0.0
    if _shown(axis):
        size = axis.get_major_ticks()[0].label1.get_fontsize()
        width = max((len(t) for t in _tick_texts(axis)), default=0) * CHAR_EM * size + TICK_PAD
    label = axis.get_label()
    if label.get_text():
        width += _label_lines(label.get_text()) * label.get_fontsize() * 1.3 + 4
    return width * POINT


def _title_height(ax) -> float:
    """Inches above an axes for its title block (a title and subtitle line, or nothing)."""
    lines = max(_label_lines(ax.get_title(loc=loc)) for loc in ("left", "center", "right"))
    if not lines:
        return 0.1
    size = ax.title.get_fontsize()
    return (lines * size * 1.25 + TITLE_PAD) * POINT


def _bottom_height(ax) -> float:
    """Inches under an axes for x tick labels, the x label and a legend drawn below."""
    height = 0.0
    if _shown(ax.xaxis):
        texts = _tick_texts(ax.xaxis)
        lines = max((_label_lines(t) for t in texts), default=1)
        height += lines * ax.xaxis.majorTicks[0].label1.get_fontsize() * 1.2 + TICK_PAD
    if ax.get_xlabel():
        height += _label_lines(ax.get_xlabel()) * ax.xaxis.label.get_fontsize() * 1.3 + 4
    legend = ax.get_legend()
    rows = getattr(legend, "planner_rows", 0) if legend is not None else 0
    if rows:
        fontsize = legend.get_texts()[0].get_fontsize() if legend.get_texts() else 10.0
        title = 1 if legend.get_title().get_text() else 0
        height = max(height, LEGEND_GAP + (18 if ax.get_xlabel() else 0)) + (rows + title) * fontsize * LEGEND_ROW
    return height * POINT


def _grid_cell(ax):
    """A subplot's position in the figure's top-level grid (a colorbar's: its axes' cell)."""
    spec = ax.get_subplotspec()
    return spec.get_topmost_subplotspec()


class SlideLayout(LayoutEngine):
    """A layout engine that sets fixed subplot margins from what the axes hold.

    Margins are inches: the most any axes of the figure needs on that side, plus
    :data:`EDGE`. Gaps between columns (rows) are what the axes right (below) of the
    gap need on their near side. Axes that are twins of another (a right-hand y axis)
    add their width to the right margin. Nothing is drawn to measure.
    """

    _adjust_compatible = True
    _colorbar_gridspec = True

    def __init__(self, **kwargs):
        super().__init__()
        self._params = dict(kwargs)

    def set(self, **kwargs):
        self._params.update(kwargs)

    def execute(self, fig):
        width, height = fig.get_size_inches()
        axes = [ax for ax in fig.axes if ax.get_subplotspec() is not None and ax.get_visible()]
        if not axes:
            return
        grid = _grid_cell(axes[0]).get_gridspec()
        rows, cols = grid.get_geometry()
        left = np.zeros(cols)
        right = np.zeros(cols)
        top = np.zeros(rows)
        bottom = np.zeros(rows)
        for ax in axes:
            spec = _grid_cell(ax)
            r0, r1 = spec.rowspan.start, spec.rowspan.stop - 1
            c0, c1 = spec.colspan.start, spec.colspan.stop - 1
            extra = getattr(ax, "planner_pad", {})
            if _right_side(ax):  # a twin axis, or a colorbar inside its axes' cell
                right[c1] = max(right[c1], _y_side(ax))
            else:
                left[c0] = max(left[c0], _y_side(ax) + extra.get("left", 0.0))
            right[c1] = max(right[c1], extra.get("right", 0.0))
            top[r0] = max(top[r0], _title_height(ax) + extra.get("top", 0.0))
            bottom[r1] = max(bottom[r1], _bottom_height(ax) + extra.get("bottom", 0.0))
        left_in, right_in = left[0] + EDGE, max(right[-1], 0.1) + EDGE
        top_in, bottom_in = top[0] + EDGE, bottom[-1] + EDGE
        col_gap = max((right[c] + left[c + 1] + 0.2 for c in range(cols - 1)), default=0.0)
        row_gap = max((bottom[r] + top[r + 1] + 0.15 for r in range(rows - 1)), default=0.0)
        cell_w = (width - left_in - right_in - (cols - 1) * col_gap) / cols
        cell_h = (height - top_in - bottom_in - (rows - 1) * row_gap) / rows
        if cell_w <= 0.5 or cell_h <= 0.5:
            raise ValueError("the figure is too small for its labels")
        # wspace/hspace are fractions of the mean cell size (what subplots_adjust takes)
        fig.subplots_adjust(left=left_in / width, right=1 - right_in / width,
                            bottom=bottom_in / height, top=1 - top_in / height,
                            wspace=col_gap / cell_w if cols > 1 else None,
                            hspace=row_gap / cell_h if rows > 1 else None)
