"""Chart of a retention fit: actual vs fitted vs projected cohort survival."""
from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator, PercentFormatter
from matplotlib.transforms import offset_copy

from planner.slides import BAND, FIGSIZE, MUTED, OKABE_ITO, PNG_COMPRESSION, SLIDE_DPI, STYLE, SlideLayout

__all__ = ["plot_retention_fit", "render_retention_png"]


def plot_retention_fit(fit, ax: Axes | None = None, level: float = 0.8) -> Axes:
    """Plot actual, fitted and projected survival of a retention fit.

    Parameters
    ----------
    fit : planner.fit.RetentionFit
        The fit to draw.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure (not registered with pyplot).
    level : float
        Coverage of the shaded interval from the parameter uncertainty.

    Returns
    -------
    Axes
        With the pooled actual survival (markers), the sBG fit over the observed
        ages (solid), its projection to ``fit.horizon`` (dashed) and the interval.
    """
    with matplotlib.rc_context(STYLE):
        if ax is None:
            ax = Figure(figsize=FIGSIZE, layout=SlideLayout()).add_subplot()
        last = int(fit.observed.ages[-1])
        ages = np.linspace(0, fit.horizon, 20 * fit.horizon + 1)
        seen = ages <= last
        lower, upper = fit.survival_interval(ages, level)
        fitted = fit.survival(ages)
        blue = OKABE_ITO["blue"]
        ax.fill_between(ages, lower, upper, color=BAND, alpha=0.3, linewidth=0,
                        label=f"{level:.0%} interval (parameter uncertainty)")
        ax.plot(ages[seen], fitted[seen], color=blue, linewidth=2.2, label="sBG fit")
        ax.plot(ages[~seen], fitted[~seen], color=blue, linewidth=2.2, linestyle="--", label="sBG projection")
        ax.plot(fit.observed.ages, fit.observed.survival, "o", color=OKABE_ITO["orange"], markersize=5,
                clip_on=False, zorder=3, label="Actual (pooled across cohorts)")
        ax.axvline(last, color=MUTED, linestyle=":", linewidth=1)
        ax.annotate("last observed age", (last, 1.02), xytext=(4, 0), textcoords="offset points",
                    fontsize=9, color=MUTED, va="bottom")
        segment = f", segment {fit.segment}" if fit.segment else ""
        # the planner.charts title block: bold title, grey subtitle in its second line
        ax.set_title(f"Customer retention{segment}: actual vs sBG fit and projection\n", loc="left", pad=6)
        ax.text(0.0, 1.0, f"alpha = {fit.alpha:.3g}, beta = {fit.beta:.3g}; {fit.n_cohorts:,} "
                f"cohort{'' if fit.n_cohorts == 1 else 's'}, {fit.n_customers:,} customers",
                transform=offset_copy(ax.transAxes, fig=ax.figure, x=0, y=7, units="points"),
                ha="left", va="bottom", color=MUTED, fontsize=10, gid="subtitle")
        ax.set_xlabel(f"Age ({fit.period}s since acquisition)")
        ax.set_ylabel("Customers still active (share of cohort)")
        ax.set_xlim(0, fit.horizon)
        ax.set_ylim(0, 1.08)
        months = fit.period == "month" and fit.horizon >= 18
        ax.xaxis.set_major_locator(MultipleLocator(6 if fit.horizon <= 48 else 12) if months
                                   else MaxNLocator(integer=True))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.legend(loc="upper right")
        ax.xaxis.get_major_ticks()  # ticks take the style now, inside the rc context
        ax.yaxis.get_major_ticks()
    return ax


def render_retention_png(fit, dpi: int = SLIDE_DPI) -> bytes:
    """Render :func:`plot_retention_fit` as PNG bytes (Agg; no global matplotlib state),
    the size of every planner chart (2,000 x 1,125 px at the default dpi)."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=FIGSIZE)
        FigureCanvasAgg(fig)
        plot_retention_fit(fit, fig.add_subplot())
        SlideLayout().execute(fig)  # margins set once, without a layout pre-draw
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "planner"},
                    pil_kwargs={"compress_level": PNG_COMPRESSION})
    fig.clear()
    return buf.getvalue()
