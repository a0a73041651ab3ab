"""The report's yearly P&L: fiscal years across, the P&L lines, margins and growth down, P50.

Each figure is the P50 across the simulated paths of that figure on each path (a
year's revenue, a year's gross margin, the cash at the year's end), so the lines are
medians of their own and need not add up exactly; the margins and growth rates are
the P50 of each path's own ratio, not ratios of P50s. Years follow the period rule
of :mod:`planner.analysis.periods` (fiscal years from the plan's first month unless
told otherwise; a year cut short by the horizon says how many months it has).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.analysis.periods import Period, periods
from planner.analysis.stats import bands
from planner.arrays import ratio

#: (series, label) of the flow lines, in P&L order; costs are positive amounts
FLOWS = (("revenue", "Revenue"), ("cogs", "Cost of revenue"), ("gross_profit", "Gross profit"),
         ("sm_expense", "Sales & marketing"), ("rnd_expense", "R&D"), ("cs_expense", "Customer success"),
         ("ga_expense", "G&A"), ("opex", "Operating expenses"), ("ebitda", "EBITDA"))
#: (series, label) of the balances, at each year's last month
BALANCES = (("arr", "ARR at year end"), ("customers", "Customers at year end"),
            ("headcount", "Headcount at year end"), ("cash", "Cash at year end"))
#: flows shown with their P10 to P90 range on the line below
RANGES = ("revenue", "ebitda")
#: lines drawn as subtotals
TOTALS = ("gross_profit", "opex", "ebitda")


@dataclass(frozen=True)
class YearlyLine:
    """One row of the yearly P&L.

    Attributes
    ----------
    key : str
        The series (``revenue``), or ``revenue_growth``, ``gross_margin``, ``ebitda_margin``.
    label : str
    unit : {"money", "fraction", "count", "range"}
    values : list of float or None, or of (P10, P90) for a range
        The P50 of each year; None where it is not defined (growth of the first year, or
        of a year cut short; a margin where revenue is zero on most paths).
    total : bool
        A subtotal (gross profit, operating expenses, EBITDA).
    """

    key: str
    label: str
    unit: str
    values: list
    total: bool = False


@dataclass(frozen=True)
class YearlyPnl:
    """The yearly P&L of a result: ``years`` across, ``lines`` down, P50 of ``paths`` paths."""

    years: list[Period]
    lines: list[YearlyLine]
    paths: int


def _p50(values: np.ndarray) -> float | None:
    """The P50 across paths of ``values`` (paths,), skipping undefined (NaN) values; None when
    most paths have none (the P50 itself is then undefined)."""
    defined = values[np.isfinite(values)]
    if defined.size * 2 <= values.size:
        return None
    return float(np.median(defined))


def _band(values: np.ndarray) -> tuple[float, float]:
    """(P10, P90) across paths of ``values`` (paths,)."""
    b = bands(values)
    return b["p10"], b["p90"]


def yearly_pnl(result, fiscal_year_start: int | None = None) -> YearlyPnl:
    """The P50 yearly P&L of ``result``.

    Parameters
    ----------
    result : SimulationResult
        Needs the company series of :data:`FLOWS` and :data:`BALANCES` (a run keeps them);
        lines whose series the result does not keep are left out.
    fiscal_year_start : int, optional
        Calendar month (1-12) a fiscal year starts in; default the plan's first month.

    Returns
    -------
    YearlyPnl
        Lines: revenue (and its P10 to P90 range), its growth on the year before, cost of revenue, gross profit and
        margin, the departments' operating expenses, their total, EBITDA (and its range) and its margin,
        then ARR, customers, headcount and cash at each year's end.
    """
    years = periods(result.months, "year", fiscal_year_start)
    have = set(result.names)
    sums = {name: np.stack([result.total(name)[:, y.first:y.last + 1].sum(axis=1) for y in years], axis=1)
            for name, _ in FLOWS if name in have}  # (paths, years)
    lines = []
    for name, label in FLOWS:
        if name not in sums:
            continue
        lines.append(YearlyLine(name, label, "money", [_p50(sums[name][:, i]) for i in range(len(years))],
                                total=name in TOTALS))
        if name in RANGES:
            lines.append(YearlyLine(f"{name}_range", "P10 to P90", "range",
                                    [_band(sums[name][:, i]) for i in range(len(years))]))
        if name == "revenue":
            lines.append(YearlyLine("revenue_growth", "Growth on the year before", "fraction",
                                    _growth(sums["revenue"], years)))
        if name in ("gross_profit", "ebitda") and "revenue" in sums:
            margin = ratio(sums[name], sums["revenue"])
            lines.append(YearlyLine(name.replace("gross_profit", "gross") + "_margin",
                                    "Gross margin" if name == "gross_profit" else "EBITDA margin", "fraction",
                                    [_p50(margin[:, i]) for i in range(len(years))]))
    for name, label in BALANCES:
        if name in have:
            data = result.total(name)
            lines.append(YearlyLine(name, label, "count" if name in ("customers", "headcount") else "money",
                                    [_p50(data[:, y.last]) for y in years]))
    return YearlyPnl(years, lines, result.paths)


def _growth(revenue: np.ndarray, years: list[Period]) -> list[float | None]:
    """P50 of each path's revenue growth on the year before; None for the first year and for
    years that are not both full (a 6-month year against a 12-month one is no growth rate)."""
    out: list[float | None] = [None]
    for i in range(1, len(years)):
        if not (years[i].full and years[i - 1].full):
            out.append(None)
            continue
        out.append(_p50(ratio(revenue[:, i] - revenue[:, i - 1], revenue[:, i - 1])))
    return out
