"""Splitting the plan's months into periods, and naming them: one rule for every output.

Fiscal years start in the plan's first month unless told otherwise, so a plan's years
are the 12-month spans from its start (the plan years of ``planner run``). A fiscal year
is named by the calendar year it ends in (``FY2028`` = April 2027 to March 2028), its
quarters ``FY2028 Q1`` ... ``Q4``; a period cut short by the horizon says how many months
it has (``FY2031 (6 months)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np





FREQS = ("month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    """A month, fiscal quarter or fiscal year of the plan.

    Attributes
    ----------
    label : str
        ``2027-03``, ``FY2027 Q1`` or ``FY2027`` (a fiscal year is named by the
        calendar year it ends in).
    first, last : int
        Month indices (inclusive) inside the horizon.
    full : bool
        Whether the whole period lies inside the horizon.
    """

    label: str
    first: int
    last: int
    full: bool

    @property
    def months(self) -> int:
        return self.last - self.first + 1

    @property
    def title(self) -> str:
        """The label, with the number of months when the period is cut short."""
        if self.full:
            return self.label
        return f"{self.label} ({self.months} month{'s' if self.months != 1 else ''})"


def periods(months: np.ndarray, freq: str = "year", fiscal_year_start: int | None = None) -> list[Period]:
    """Split the plan's months into months, fiscal quarters or fiscal years.

    Parameters
    ----------
    months : ndarray of datetime64[M], shape (months,)
    freq : {"month", "quarter", "year"}
    fiscal_year_start : int, optional
        Calendar month (1-12) a fiscal year starts in; default the plan's first month.

    Returns
    -------
    list of Period
        In time order; the first and last may be partial (``full`` False).
    """
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)} (got {freq!r})")
    calendar = months.astype("datetime64[M]").astype(int)  # months since 1970-01
    fys = int(calendar[0] % 12 + 1 if fiscal_year_start is None else fiscal_year_start)
    if not 1 <= fys <= 12:
        raise ValueError(f"fiscal_year_start must be a month number 1-12 (got {fys})")
    offset = (calendar % 12 + 1 - fys) % 12          # month of the fiscal year, 0-11
    end_year = 1970 + (calendar + 11 - offset) // 12  # calendar year of the fiscal year's last month
    size = {"month": 1, "quarter": 3, "year": 12}[freq]
    keys = [(y, o // size) for y, o in zip(end_year, offset)]
    out, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            year, part = keys[start]
            label = {"month": str(months[start]), "quarter": f"FY{year} Q{part + 1}", "year": f"FY{year}"}[freq]
            out.append(Period(label, start, i - 1, i - start == size))
            start = i
    return out


def plan_years(months: np.ndarray) -> list[Period]:
    """The plan's years: fiscal years starting in its first month, a partial last one kept."""
    return periods(months, "year")
