"""Funding events on a month axis: a line at a dated round, a span for a triggered one."""
from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.transforms import blended_transform_factory

from planner.charts.style import INK, month_dates
from planner.format import money

EVENT_COLOUR = "#555555"
#: label rows under the top of the axes, so neighbouring events do not overprint
LABEL_ROWS = 3


def default_events(result) -> list:
    """The funding events of ``result``'s plan, or [] for a result without funding
    records (simulated by an older planner, or a slice without them)."""
    from planner.analysis.funding_events import funding_events

    try:
        return list(funding_events(result))
    except (ValueError, KeyError):
        return []


def event_label(event, currency: str) -> str:
    """``Series A: $30.0M`` (dated) or ``Series B: $20.0M, 45% of paths`` (triggered)."""
    name = event.label.split(" (")[0]
    text = f"{name}: {money(event.amount, currency)}"
    if event.month is None:
        text += f", {event.probability:.0%} of paths"
    return text


def event_handles(ax: Axes) -> tuple[list, list[str]]:
    """Legend entries for the kinds of funding-event markers on ``ax`` (none if unmarked)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles, labels = [], []
    if any(line.get_gid() == "funding_event" for line in ax.lines):
        handles.append(Line2D([], [], color=EVENT_COLOUR, linestyle=":", linewidth=1.4))
        labels.append("Funding event")
    if any(patch.get_gid() == "funding_event" for patch in ax.patches):
        handles.append(Patch(color=EVENT_COLOUR, alpha=0.15, linewidth=0))
        labels.append("Triggered round, P10-P90 month")
    return handles, labels


def mark_events(ax: Axes, result, events) -> int:
    """Mark ``events`` on ``ax`` (x axis: the first day of each month of ``result.months``).

    A dated event is a dotted vertical line at the start of its month; a triggered one
    a light span from its P10 to the end of its P90 month (nothing for one that happens
    on no path). Labels sit under the top edge, stepping down a row for each event so
    close ones stay readable.

    Returns
    -------
    int
        The number of events marked.
    """
    x = month_dates(result.months)
    cur = result.scenario.currency
    where = blended_transform_factory(ax.transData, ax.transAxes)
    marked = 0
    for event in events:
        if event.month is not None:
            if not 0 <= event.month < len(x):
                continue
            at = x[event.month]
            ax.axvline(at, color=EVENT_COLOUR, linestyle=":", linewidth=1.4, zorder=1, gid="funding_event")
        elif event.months is not None:
            lo, hi = event.months[0], min(event.months[2] + 1, len(x) - 1)
            if not 0 <= lo < len(x):
                continue
            at = x[lo]
            ax.axvspan(x[lo], x[hi], color=EVENT_COLOUR, alpha=0.08, linewidth=0, zorder=0, gid="funding_event")
        else:
            continue
        row = marked % LABEL_ROWS
        ax.annotate(event_label(event, cur), (at, 1.0), xycoords=where, xytext=(4, -4 - 14 * row),
                    textcoords="offset points", ha="left", va="top", fontsize=9, color=INK,
                    bbox=dict(boxstyle="square,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85),
                    gid="funding_event_label", annotation_clip=False)
        marked += 1
    if marked:  # the labels sit in the top rows: keep the data under them
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi + (hi - lo) * 0.04 * (1 + min(marked, LABEL_ROWS)))
    return marked
