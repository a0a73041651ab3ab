"""The attribution waterfall of ``planner diff``: from A's number to B's, one bar per change."""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from planner.format import value_text
from planner.charts.style import (BAD, GOOD, INK, MUTED, OKABE_ITO, chart_style, finish, money_axis,
                                  new_axes, percent_axis, titles)


def _axis(ax: Axes, unit: str, currency: str) -> None:
    if unit == "money":
        money_axis(ax.yaxis, currency)
    elif unit in ("probability", "share"):
        percent_axis(ax.yaxis)


def plot_attribution(diff, outcome: str = "arr_end", ax: Axes | None = None) -> Axes:
    """Waterfall of the change in one headline statistic, split by changed assumption.

    Parameters
    ----------
    diff : planner.sweep.diff.Diff
        With an attribution (two or more simulated groups give a split; one is the total).
    outcome : str
        An outcome key (``arr_end``, ``cash_trough``, ``cash_out``, ``revenue.y2``, ...).
    ax : Axes, optional

    Returns
    -------
    Axes
        A's value (grey), one floating bar per group (green where it makes the outcome
        better, vermillion where worse; error bars when the split is sampled), B's value.
    """
    spec = diff.outcome(outcome)
    row = diff.rows[outcome]
    parts = diff.contributions(outcome)
    if not parts:
        raise ValueError("this diff has no attribution (no simulated change)")
    errors = _errors(diff, outcome)
    with chart_style():
        ax = new_axes(ax)
        labels = ["A"] + [_wrap(g) for g in parts] + ["B"]
        values = np.array(list(parts.values()))
        tops = row["a"] + np.cumsum(values)
        bottoms = tops - values
        x = np.arange(len(labels))
        ax.bar([0, len(labels) - 1], [row["a"], row["b"]], 0.6, color=OKABE_ITO["sky"], linewidth=0)
        good = values > 0 if spec.higher else values < 0
        ax.bar(x[1:-1], values, 0.6, bottom=bottoms, color=np.where(good, GOOD, BAD), linewidth=0,
               yerr=errors, ecolor=INK, capsize=3 if errors is not None else 0)
        for i in range(len(labels) - 1):  # connectors at each running total
            level = row["a"] if i == 0 else tops[i - 1]
            ax.plot([i + 0.3, i + 0.7], [level, level], color=MUTED, linewidth=0.8)
        ax.axhline(0, color=INK, linewidth=0.8)
        ax.set_xticks(x, labels, fontsize=9)
        _axis(ax, spec.unit, diff.currency)
        zoomed = _limits(ax, row, tops)
        upper = np.concatenate([[row["a"]], np.maximum(tops, bottoms), [row["b"]]])
        _value_labels(ax, x, np.maximum(upper, 0),
                      np.concatenate([[row["a"]], values, [row["b"]]]), spec.unit, diff.currency)
        stat = " (P50)" if row["statistic"] == "P50" else ""
        titles(ax, f"What the change does to {spec.label}{stat}", _subtitle(diff, zoomed))
        ax.set_xlabel(f"A: {_short(diff.a, 70)}   B: {_short(diff.b, 70)}", color=MUTED, fontsize=9)
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + 0.06 * (high - low))  # room for the value labels
        return finish(ax)


def _errors(diff, outcome: str):
    att = diff.attribution
    if att is None or att.errors is None:
        return None
    j = [o.key for o in diff.outcomes].index(outcome)
    return att.errors[:, j]


def _wrap(group: str) -> str:
    """A key path on lines of up to ~18 characters, broken after its dots."""
    lines, line = [], ""
    for part in group.replace(".", ".\n").split("\n"):
        if line and len(line) + len(part) > 18:
            lines.append(line)
            line = ""
        line += part
    return "\n".join(lines + [line])


def _value_labels(ax: Axes, x, tops, values, unit: str, currency: str) -> None:
    for i, (top, value) in enumerate(zip(tops, values)):
        signed = 0 < i < len(values) - 1
        ax.annotate(value_text(float(value), unit, currency, signed=signed), (x[i], top),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=9, color=INK)


def _limits(ax: Axes, row: dict, tops: np.ndarray) -> bool:
    """Zoom onto the changes when A and B are far from zero (bars keep their full length)."""
    levels = np.concatenate([[row["a"], row["b"]], tops])
    low, high = float(levels.min()), float(levels.max())
    span = max(high - low, 1e-12 * max(abs(high), 1.0))
    if low > 0 and low > 2 * span:
        ax.set_ylim(low - 0.6 * span, high + 0.2 * span)
        return True
    return False


def _short(label: str, width: int = 40) -> str:
    return label if len(label) <= width else "..." + label[-(width - 3):]


def _subtitle(diff, zoomed: bool) -> str:
    att = diff.attribution
    how = ("exact Shapley" if att.method == "exact"
           else f"Shapley from {att.permutations} random orders, bars ± 1 standard error")
    axis = " · axis does not start at zero" if zoomed else ""
    return f"{diff.paths:,} paths, seed {diff.seed}, same draws for A and B · {how}{axis}"
