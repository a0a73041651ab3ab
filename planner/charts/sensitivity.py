"""What drives the range: tornado, spider and Sobol-index charts.

Each takes the result of :mod:`planner.sweep.tornado` or :mod:`planner.sweep.sobol` (or
its ``to_dict()``) and returns the Axes it drew on, in the house style.
"""
from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from planner.charts.style import (INK, MUTED, OKABE_ITO, PALETTE, chart_style, finish, legend_below,
                                  money_axis, new_axes, percent_axis, titles)
from planner.format import value_text

LOW, HIGH = OKABE_ITO["sky"], OKABE_ITO["blue"]


def _d(result) -> dict:
    return result if isinstance(result, dict) else result.to_dict()


def input_label(path: str) -> str:
    """A short label for a key path: ``segments.smb.acquisition.cac`` -> ``smb: acquisition.cac``."""
    for prefix in ("segments.", "funding.plans."):
        if path.startswith(prefix):
            head, _, rest = path[len(prefix):].partition(".")
            return f"{head.split('[')[0]}: {rest}"
    return path


def _input_text(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _value_axis(axis, unit: str, currency: str) -> None:
    if unit == "money":
        money_axis(axis, currency)
    elif unit == "fraction":
        percent_axis(axis)


def _subtitle(d: dict, extra: str) -> str:
    return f"{d['scenario']} · plan {d['plan']} · {d['paths']:,} paths, seed {d['seed']} · {extra}"


def plot_tornado(result, *, top: int = 12, ax: Axes | None = None) -> Axes:
    """Bars of the statistic with each input at its low and its high value, ranked by swing.

    Parameters
    ----------
    result : Tornado or dict
        :func:`planner.sweep.tornado.tornado`.
    top : int
        Bars shown (the largest swings).
    ax : Axes, optional

    Returns
    -------
    Axes
        One row per input (largest swing on top), a bar from the base value to the
        statistic at the input's low value and one to its high value (input values
        written at the bar ends), and the base value as a vertical line.
    """
    d = _d(result)
    rows = d["rows"][:top]
    lo_p, hi_p = (round(100 * p) for p in d["percentiles"])
    with chart_style():
        ax = new_axes(ax)
        base, unit, cur = d["base"], d["unit"], d["currency"]
        y = np.arange(len(rows))[::-1]
        for yi, row in zip(y, rows):
            if row["swing"] == 0:
                ax.annotate("no effect", (base, yi), xytext=(6, 0), textcoords="offset points",
                            va="center", fontsize=9, color=MUTED)
                continue
            for value, at, colour in ((row["low"], row["at_low"], LOW), (row["high"], row["at_high"], HIGH)):
                ax.barh(yi, at - base, left=base, height=0.62, color=colour, linewidth=0)
                ax.annotate(_input_text(value), (at, yi), xytext=(4 if at >= base else -4, 0),
                            textcoords="offset points", ha="left" if at >= base else "right",
                            va="center", fontsize=9, color=INK, annotation_clip=False)
        ax.axvline(base, color=INK, linewidth=1.2)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_yticks(y, [input_label(r["input"]) + (" (range given)" if r["kind"] == "varied" else "")
                          for r in rows])
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        _value_axis(ax.xaxis, unit, cur)
        ax.margins(x=0.12)
        ax.set_xlabel(f"{d['statistic']} with one input at its P{lo_p} or P{hi_p}, every other "
                      "input on its own draws")
        titles(ax, f"What drives {d['statistic']}", _subtitle(d, "tornado"))
        legend_below(ax, [Patch(color=LOW), Patch(color=HIGH), Line2D([], [], color=INK, linewidth=1.2)],
                     [f"input low (P{lo_p} or given)", f"input high (P{hi_p} or given)",
                      f"base {value_text(base, unit, cur)} (own draws)"])
        return finish(ax)


def plot_spider(result, *, top: int = 8, ax: Axes | None = None) -> Axes:
    """The statistic as each input moves through its percentiles, one line per input.

    Parameters
    ----------
    result : Spider or dict
        :func:`planner.sweep.tornado.spider`.
    top : int
        Lines drawn (the inputs whose line spans the most).

    Returns
    -------
    Axes
        x: the input's percentile; y: the statistic; the base value as a dashed line.
    """
    d = _d(result)
    x = 100 * np.asarray(d["percentiles"])
    with chart_style():
        ax = new_axes(ax)
        moving = [r for r in d["rows"] if max(r["statistic"]) > min(r["statistic"])]
        for k, row in enumerate(moving[:top]):
            ax.plot(x, row["statistic"], marker="o", markersize=4, linewidth=2,
                    color=PALETTE[k % len(PALETTE)], label=input_label(row["input"]))
        ax.axhline(d["base"], color=MUTED, linestyle="--", linewidth=1, label="base")
        ax.set_xticks(x, [f"P{v:g}" for v in x])
        ax.set_xlabel("percentile of the input's own distribution")
        _value_axis(ax.yaxis, d["unit"], d["currency"])
        titles(ax, f"{d['statistic']} as each input moves through its range",
               _subtitle(d, "one input at a time, others on their own draws; inputs with no effect left out"))
        legend_below(ax, ncols=2)
        return finish(ax)


def plot_sobol(result, *, top: int = 12, ax: Axes | None = None) -> Axes:
    """First- and total-order Sobol indices with their bootstrap intervals.

    Parameters
    ----------
    result : SobolResult or dict
        :func:`planner.sweep.sobol.sobol_indices`.

    Returns
    -------
    Axes
        Two bars per input or group (first order, total order) as shares of the
        outcome's variance, with interval whiskers; groups are labelled as such.
    """
    d = _d(result)
    shown = [r for r in d["rows"] if _finite(r["total_ci"][1]) >= NEGLIGIBLE]
    rows = shown[:top]
    hidden = len(d["rows"]) - len(rows)
    with chart_style():
        ax = new_axes(ax)
        y = np.arange(len(rows))[::-1]
        for offset, key, colour, label in ((0.19, "first", OKABE_ITO["orange"], "first order (alone)"),
                                           (-0.19, "total", OKABE_ITO["blue"], "total order (with interactions)")):
            values = np.array([max(_finite(r[key]), 0.0) for r in rows])
            ci = np.array([[_finite(v) for v in r[f"{key}_ci"]] for r in rows]).reshape(-1, 2)
            err = np.abs(np.vstack([values - np.clip(ci[:, 0], 0, None), np.clip(ci[:, 1], 0, None) - values]))
            ax.barh(y + offset, values, height=0.36, color=colour, label=label, linewidth=0,
                    xerr=err, error_kw={"ecolor": INK, "elinewidth": 0.8, "capsize": 2})
        labels = [input_label(r["name"]) if r["kind"] == "input" else
                  "process noise" if r["kind"] == "process noise" else
                  " + ".join(input_label(i) for i in r["inputs"]) + " (correlated)"
                  if r["kind"] == "correlated" else f"{r['name']} (group)" for r in rows]
        ax.set_yticks(y, [_wrap(t) for t in labels])
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", visible=True)
        ax.set_xlim(0, max(1.0, ax.get_xlim()[1]))
        percent_axis(ax.xaxis)
        ax.set_xlabel(f"share of the variance of {d['outcome']} ({round(100 * d['confidence'])}% "
                      "bootstrap intervals)"
                      + (f"\n{hidden} more with no measurable share (under 0.5%) not shown" if hidden else ""))
        titles(ax, f"Which inputs explain the spread of {d['outcome']}",
               f"{d['scenario']} · plan {d['plan']} · Sobol, {d['base_samples']:,} base samples")
        legend_below(ax)
        return finish(ax)


#: a total-order interval whose top is below this share is "no measurable share"
NEGLIGIBLE = 0.005


def _finite(value) -> float:
    return float(value) if value is not None and np.isfinite(value) else 0.0


def _wrap(text: str, width: int = 48) -> str:
    if len(text) <= width:
        return text
    cut = text.rfind(" + ", 0, width)
    return text if cut < 0 else text[:cut] + " +\n" + _wrap(text[cut + 3:], width)
