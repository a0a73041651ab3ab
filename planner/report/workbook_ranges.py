"""The workbook's ``Ranges`` sheet: each line's own P10 / P50 / P90 by month and fiscal year.

The same layout as the statements (lines down, months across, each fiscal year's total
after its months), three rows a series. These are values, not formulas: each row is a
quantile across paths of that series alone (the P50 of revenue and the P50 of costs do
not come from the same path, so they do not add up to the P50 of EBITDA). A year column
is the quantile of each path's sum over the year (flows) or of its year-end value
(balances), as ``planner run`` and the Summary sheet compute them.
"""
from __future__ import annotations

import numpy as np

from planner.analysis.stats import QUANTILES
from planner.report.workbook_format import note, number_format
from planner.report.workbook_statements import Layout, _finish, _header
from planner.series import SERIES_SPECS

#: company series of the Ranges sheet, in row order
RANGE_SERIES = ("arr", "customers", "new_customers", "revenue", "gross_profit", "opex", "ebitda",
                "net_burn", "cash", "deferred_revenue", "receivables", "headcount")
_KINDS = {"money": "money", "count": "count", "people": "count"}


def year_values(data: np.ndarray, layout: Layout, flow: bool) -> np.ndarray:
    """Per path and fiscal year: the sum over the year's months (a flow) or the last
    month's value (a balance); (paths, months) -> (paths, years)."""
    return np.stack([data[:, p.first:p.last + 1].sum(axis=1) if flow else data[:, p.last]
                     for p in layout.years], axis=1)


def ranges_sheet(wb, result) -> None:
    """Write the ``Ranges`` sheet of ``result`` (every path it holds)."""
    from openpyxl.styles import Font

    cur = result.scenario.currency
    ws = wb.create_sheet("Ranges")
    lay = Layout(result.months)
    _header(ws, lay, f"{result.scenario.name}: each line's range, plan {result.plan}",
            f"P10 / P50 / P90 across {result.paths:,} paths of each line on its own (values).\nThese "
            f"do not add up across lines: the statements of one path are on the P&L sheets.", cur)
    row = lay.first_row
    for name in (n for n in RANGE_SERIES if n in result.names):
        spec = SERIES_SPECS[name]
        data = result.total(name)
        fmt = number_format(_KINDS.get(spec.unit, "money"), cur)
        months = np.quantile(data, QUANTILES, axis=0)
        years = np.quantile(year_values(data, lay, spec.flow), QUANTILES, axis=0)
        title = ws.cell(row=row, column=1, value=spec.label)
        title.font = Font(bold=True)
        if not spec.flow:
            note(title, "A balance: each year column is the value at the year's last month.")
        row += 1
        for q, label in enumerate(("P10", "P50", "P90")):
            ws.cell(row=row, column=1, value=f"  {label}")
            for i in range(len(lay.months)):
                ws.cell(row=row, column=lay.month_column(i), value=float(months[q, i])).number_format = fmt
            for y in range(len(lay.years)):
                cell = ws.cell(row=row, column=lay.year_column(y), value=float(years[q, y]))
                cell.number_format, cell.font = fmt, Font(bold=True)
            row += 1
    _finish(ws, lay, 30)
