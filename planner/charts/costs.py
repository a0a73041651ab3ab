"""Cost charts: headcount by department, and the P&L stack (revenue against costs)."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes

from planner.charts.bridge import STATS, period_centres, period_slices
from planner.charts.style import (DEPARTMENTS, INK, MUTED, OKABE_ITO, chart_style, context_line, finish,
                                  legend_below, money_axis, month_axis, month_dates, new_axes, titles)
from planner.errors import PlannerError
from planner.format import money
from planner.engine.costs import role_headcount

#: P&L cost lines: series, label, colour (COGS first, then opex by department)
COST_LINES = (("cogs", "COGS", "#999999"), ("sm_expense", "Sales & marketing", OKABE_ITO["blue"]),
              ("rnd_expense", "R&D", OKABE_ITO["orange"]), ("cs_expense", "Customer success", OKABE_ITO["green"]),
              ("ga_expense", "G&A", OKABE_ITO["purple"]))


def driven_roles(scenario) -> bool:
    """Whether any role is sized by a driver (its headcount then differs from path to path)."""
    return any(role.driver is not None for role in scenario.roles)


def department_headcount(source) -> dict[str, np.ndarray]:
    """People by department at the end of each month.

    Parameters
    ----------
    source : SimulationResult or Scenario
        A result that kept ``role_headcount`` gives the P50 across paths of each
        department's simulated headcount (roles with a ``driver`` follow the simulated
        funnel or customers, so they differ by path); otherwise the scenario's dated
        plan (starting count and hires, the same on every path).

    Returns
    -------
    dict of str -> ndarray, shape (months,)
        Departments in :data:`planner.charts.style.DEPARTMENTS` order; those with no
        role are left out.

    Raises
    ------
    PlannerError
        For a scenario with driven roles and no simulated ``role_headcount`` (a driven
        role has no dated plan to fall back on).
    """

    scenario = getattr(source, "scenario", source)
    simulated = getattr(source, "by_role", {}).get("role_headcount")
    departments = [role.department for role in scenario.roles]
    out: dict[str, np.ndarray] = {}
    if simulated is not None:
        for dept in dict.fromkeys(departments):
            index = [i for i, d in enumerate(departments) if d == dept]
            out[dept] = np.median(simulated[:, :, index].sum(axis=2), axis=0)
    elif driven_roles(scenario):
        raise PlannerError("roles sized by a driver have no dated plan: headcount by department needs "
                           "the simulated role_headcount (simulate with keep=None)")
    else:
        for role in scenario.roles:
            out[role.department] = out.get(role.department, 0.0) + role_headcount(role, scenario.horizon)
    return {d: out[d] for d in DEPARTMENTS if d in out}


def plot_headcount(result, *, ax: Axes | None = None) -> Axes:
    """Headcount by department, month by month (stacked bars), with the total written at the end.

    Parameters
    ----------
    result : SimulationResult
        The simulated ``role_headcount`` when kept: each department's P50 across paths
        (with roles sized by a driver, the title says P50 and the bars need not add up
        to the P50 of the total); else the scenario's dated hiring plan.
    ax : Axes, optional

    Returns
    -------
    Axes
        One bar series per department (people at the end of each month).
    """
    with chart_style():
        ax = new_axes(ax)
        sc = result.scenario
        counts = department_headcount(result)
        driven = driven_roles(sc)
        x = month_dates(result.months)
        base = np.zeros(len(x))
        for dept, people in counts.items():
            label, colour = DEPARTMENTS[dept]
            ax.bar(x, people, 24, bottom=base, color=colour, label=label, linewidth=0, align="edge")
            base = base + people
        if base.size:
            ax.annotate(f"{base[-1]:,.0f}", (x[-1] + np.timedelta64(12, "D"), base[-1]), xytext=(0, 3),
                        textcoords="offset points", ha="center", va="bottom", fontweight="bold", color=INK)
        ax.set_ylim(0, max(1.0, float(base.max()) * 1.1) if base.size else 1.0)
        month_axis(ax, result.months)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_ylabel("People (end of month)" + (", P50" if driven else ""))
        legend_below(ax, ncols=len(counts) or 1)
        start = f"{base[0]:,.0f}" if base.size else "0"
        if driven:
            names = ", ".join(r.role for r in sc.roles if r.driver is not None)
            title = "Headcount by department (P50)"
            basis = f"{context_line(result, plan=False)} · P50 across paths of each department"
            ax.text(0.01, 0.98, textwrap.fill(f"Sized by drivers: {names}", 60), transform=ax.transAxes,
                    ha="left", va="top", fontsize=9.5, color=MUTED, gid="note",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
        else:
            title = "Headcount by department"
            basis = f"{sc.name} · hiring plan (the same on every path)"
        titles(ax, title, f"{basis} · {start} people at {result.months[0]}, {base[-1]:,.0f} at {result.months[-1]}")
        return finish(ax)


def pnl_totals(result, freq: str = "quarter", stat: str = "mean"):
    """Revenue, cost lines and EBITDA summed over each period, one statistic across paths.

    Returns
    -------
    slices : list of (label, first, last)
    values : dict of str -> ndarray, shape (periods,)
        ``revenue``, each of :data:`COST_LINES` and ``ebitda`` (money per period).
    """
    if stat not in STATS:
        raise ValueError(f"stat must be one of {', '.join(STATS)} (got {stat!r})")
    slices = period_slices(result.months, freq)
    reduce = (lambda a: a.mean(axis=0)) if stat == "mean" else (lambda a: np.median(a, axis=0))
    out = {}
    for name in ("revenue", "ebitda") + tuple(c[0] for c in COST_LINES):
        data = result.total(name)
        out[name] = reduce(np.stack([data[:, a:b + 1].sum(axis=1) for _, a, b in slices], axis=1))
    return slices, out


def plot_pnl(result, *, freq: str = "quarter", stat: str = "mean", ax: Axes | None = None) -> Axes:
    """The P&L stack: COGS and opex by department (stacked bars) against revenue, by period.

    Parameters
    ----------
    result : SimulationResult
        Needs revenue, COGS and the four department expense series.
    freq : {"quarter", "month", "year"}
    stat : {"mean", "p50"}
        Mean across paths (the default: the bars add up, and revenue minus the stack is
        the mean EBITDA) or the P50 of each line.
    ax : Axes, optional

    Returns
    -------
    Axes
        Five stacked cost bar series, the revenue line and the EBITDA line.
    """
    with chart_style():
        ax = new_axes(ax)
        cur = result.scenario.currency
        slices, v = pnl_totals(result, freq, stat)
        x, width = period_centres(result.months, slices)
        base = np.zeros(len(slices))
        for name, label, colour in COST_LINES:
            ax.bar(x, v[name], width, bottom=base, color=colour, label=label, linewidth=0)
            base = base + v[name]
        ax.plot(x, v["revenue"], color=INK, linewidth=2.4, marker="o", markersize=4, label="Revenue")
        ax.plot(x, v["ebitda"], color=OKABE_ITO["vermillion"], linewidth=1.6, linestyle="--", marker="s",
                markersize=3.5, label="EBITDA")
        ax.axhline(0, color=INK, linewidth=0.8)
        money_axis(ax.yaxis, cur)
        month_axis(ax, result.months)
        ax.set_ylabel(f"Per {freq} ({cur})")
        legend_below(ax, ncols=4)
        word = "mean" if stat == "mean" else "P50"
        titles(ax, f"P&L by {freq}: revenue against COGS and operating costs ({word})",
               context_line(result, plan=False) + f" · {STATS[stat]} · last {freq} EBITDA "
               f"{money(float(v['ebitda'][-1]), cur)} on revenue {money(float(v['revenue'][-1]), cur)}")
        return finish(ax)
