"""Splitting the plan's months into periods: plan years, fiscal years and quarters."""
from __future__ import annotations




def year_spans(months: int) -> list[tuple[int, int]]:
    """12-month plan years from the start as (first, last) month indices, a partial last
    year kept."""
    return [(first, min(first + 12, months) - 1) for first in range(0, months, 12)]
