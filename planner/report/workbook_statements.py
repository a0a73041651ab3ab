"""The statements of one case: a P&L and a cash flow with balance sheet, as live formulas.

Lines down, months across, each fiscal year's months followed by its total column
(``FY2028``, the period rule of :mod:`planner.analysis.periods`). Line items (revenue by
segment, COGS, the departments, interest, balances, funding) hold planner's values for
the case's path; every total, gross profit, EBITDA, net income, margin, the cash flow's
subtotals, the cash balance, equity and the check row are Excel formulas over them, so
a CFO can change a month and see the rest follow. Flows' year columns are ``=SUM`` of
the year's months, balances' the year's last month.

Each line is a :class:`Line`: its values, or a formula template in which ``{key}`` is the
cell of line ``key`` in the same column, ``{key@prev}`` the cell a month before (in the
first month: the line's opening balance, a line of its own) and ``{pnl.key}`` the cell of the P&L sheet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from planner.analysis.periods import plan_years
from planner.report.workbook_format import (MONTH_FORMAT, TOTAL_FILL, money_format, month_date, note,
                                            print_setup)

PERCENT = "0.0%"
MONEY, RATIO, COUNT = "money", "percent", "count"


@dataclass
class Line:
    """One line of a statement.

    Attributes
    ----------
    key : str
        Name other lines' formulas use.
    label : str
    values : ndarray, shape (months,), optional
        Planner's values (a line item); None for a formula line.
    formula : str, optional
        Template (see the module notes), e.g. ``"={revenue}-{cogs}"``.
    year : {"sum", "last", "first", "same"}
        The year column: the sum of the months, the last or first month, or the formula
        itself applied to the year column (ratios).
    kind : {"money", "percent", "count"}
    bold : bool
        A total line.
    before : str, optional
        The key of the opening line that holds this line's value before the first month
        (what ``{key@prev}`` means in the first month).
    first_only : bool
        An opening line: one cell, in the first month's column, no year total.
    note : str, optional
        A note on the label cell.
    """

    key: str
    label: str
    values: np.ndarray | None = None
    formula: str | None = None
    year: str = "sum"
    kind: str = MONEY
    bold: bool = False
    before: str | None = None
    first_only: bool = False
    note: str | None = None


@dataclass
class Heading:
    """A section title row (``Operating expenses``)."""

    label: str


@dataclass
class Layout:
    """Where each month, year total and the opening balance sit on a statement sheet."""

    months: np.ndarray
    first_row: int = 5
    years: list = field(init=False)

    def __post_init__(self):
        self.years = plan_years(self.months)

    def month_column(self, i: int) -> int:
        """1-based column of month ``i``."""
        year = next(y for y, p in enumerate(self.years) if p.first <= i <= p.last)
        return 2 + i + year

    def year_column(self, y: int) -> int:
        return self.month_column(self.years[y].last) + 1

    @property
    def last_column(self) -> int:
        return self.year_column(len(self.years) - 1)


_TOKEN = re.compile(r"\{(pnl\.)?([a-z_0-9]+)(@prev)?\}")


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


class _Writer:
    """Writes lines into a sheet and resolves formula templates to cell addresses."""

    def __init__(self, ws, layout: Layout, pnl: "_Writer | None" = None, pnl_title: str | None = None):
        self.ws, self.layout, self.pnl, self.pnl_title = ws, layout, pnl, pnl_title
        self.rows: dict[str, int] = {}
        self.before: dict[str, str] = {}

    def address(self, key: str, where: tuple, prev: bool = False, on_pnl: bool = False) -> str:
        """The cell of line ``key`` at ``where`` (("month", i) or ("year", y))."""
        if on_pnl:
            ref = self.pnl.address(key, where)
            return f"'{self.pnl_title}'!{ref}"
        lay = self.layout
        if prev:
            if where[0] != "month":
                raise ValueError("@prev is only for month columns")
            if where[1] == 0:
                key = self.before[key]
            else:
                where = ("month", where[1] - 1)
        col = lay.month_column(where[1]) if where[0] == "month" else lay.year_column(where[1])
        return f"{_letter(col)}{self.rows[key]}"

    def resolve(self, template: str, where: tuple) -> str:
        return _TOKEN.sub(lambda m: self.address(m.group(2), where, prev=bool(m.group(3)),
                                                 on_pnl=bool(m.group(1))), template)

    def write(self, items, currency: str) -> None:
        from openpyxl.styles import Font, PatternFill

        money = money_format(currency)
        row = self.layout.first_row
        for item in items:
            if isinstance(item, Heading):
                self.ws.cell(row=row, column=1, value=item.label).font = Font(bold=True, italic=True)
                row += 1
                continue
            self.rows[item.key] = row
            if item.before:
                self.before[item.key] = item.before
            row += 1
        for item in items:
            if isinstance(item, Line):
                self._line(item, {MONEY: money, RATIO: PERCENT, COUNT: "#,##0"}[item.kind], Font, PatternFill)

    def _line(self, line: Line, fmt: str, Font, PatternFill) -> None:
        lay, r = self.layout, self.rows[line.key]
        label = self.ws.cell(row=r, column=1, value=line.label)
        label.font = Font(bold=line.bold)
        if line.note:
            note(label, line.note)
        cells = []
        for i in range(1 if line.first_only else len(lay.months)):
            value = (float(line.values[i]) if line.values is not None
                     else self.resolve(line.formula, ("month", i)))
            cells.append(self.ws.cell(row=r, column=lay.month_column(i), value=value))
        for y, period in enumerate([] if line.first_only else lay.years):
            first = lay.month_column(period.first)
            last = lay.month_column(period.last)
            formula = {"sum": lambda: f"=SUM({_letter(first)}{r}:{_letter(last)}{r})",
                       "last": lambda: f"={_letter(last)}{r}",
                       "first": lambda: f"={_letter(first)}{r}",
                       "same": lambda: self.resolve(line.formula, ("year", y))}[line.year]()
            cell = self.ws.cell(row=r, column=lay.year_column(y), value=formula)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=TOTAL_FILL)
            cells.append(cell)
        for cell in cells:
            cell.number_format = fmt
            if line.bold:
                cell.font = Font(bold=True)


def _header(ws, layout: Layout, title: str, subtitle: str, currency: str) -> None:
    """Title, subtitle, and the column headings row (months as dates, year totals)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    for offset, text in enumerate(subtitle.split("\n")[:2]):
        ws.cell(row=2 + offset, column=1, value=text).alignment = Alignment(wrap_text=False)
    r = layout.first_row - 1
    heading = ws.cell(row=r, column=1, value=currency)
    for i, month in enumerate(layout.months):
        cell = ws.cell(row=r, column=layout.month_column(i), value=month_date(month))
        cell.number_format = MONTH_FORMAT
    for y, period in enumerate(layout.years):
        ws.cell(row=r, column=layout.year_column(y), value=period.title)
    for col in range(1, layout.last_column + 1):
        cell = ws.cell(row=r, column=col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F2F2F2")
        cell.alignment = Alignment(horizontal="center" if col > 1 else "left", wrap_text=True)
    heading.alignment = Alignment(horizontal="left")
    ws.freeze_panes = f"B{r + 1}"


def _finish(ws, layout: Layout, label_width: int) -> None:
    from openpyxl.worksheet.pagebreak import Break

    ws.column_dimensions["A"].width = label_width
    for col in range(2, layout.last_column + 1):
        ws.column_dimensions[_letter(col)].width = 12
    for y in range(len(layout.years) - 1):
        ws.col_breaks.append(Break(id=layout.year_column(y)))
    print_setup(ws, title_rows=f"1:{layout.first_row - 1}", title_columns="A",
                pages_wide=len(layout.years))


def pnl_lines(case) -> list:
    """The P&L of a case: revenue by segment, COGS, gross profit, departments, EBITDA,
    interest, net income, margins, and memo lines (ARR, customers, headcount)."""
    r = case.result
    seg = list(r.segments)
    path = lambda values: np.asarray(values)[0]  # noqa: E731 - the case's only path
    rev_keys = [f"revenue_{i}" for i in range(len(seg))]
    items = [Heading("Revenue")]
    items += [Line(k, f"Revenue, {s}", path(r.segment("revenue", s))) for k, s in zip(rev_keys, seg)]
    items += [
        Line("revenue", "Total revenue", formula=f"=SUM({{{rev_keys[0]}}}:{{{rev_keys[-1]}}})", bold=True),
        Line("cogs", "Cost of revenue (COGS)", path(r.total("cogs")),
             note="Hosting (share of revenue) and cost per customer, every segment."),
        Line("gross_profit", "Gross profit", formula="={revenue}-{cogs}", bold=True),
        Line("gross_margin", "Gross margin", formula='=IF({revenue}=0,"",{gross_profit}/{revenue})',
             year="same", kind=RATIO),
        Heading("Operating expenses"),
        Line("sm", "Sales & marketing", path(r.total("sm_expense")),
             note="People, commissions (expensed as paid, not capitalised) and programme spend."),
        Line("rnd", "Research & development", path(r.total("rnd_expense"))),
        Line("cs", "Customer success", path(r.total("cs_expense"))),
        Line("ga", "General & administrative", path(r.total("ga_expense")),
             note="Includes bad debt (invoices written off)."),
        Line("opex", "Total operating expenses", formula="=SUM({sm}:{ga})", bold=True),
        Line("ebitda", "EBITDA", formula="={gross_profit}-{opex}", bold=True),
        Line("ebitda_margin", "EBITDA margin", formula='=IF({revenue}=0,"",{ebitda}/{revenue})',
             year="same", kind=RATIO),
        Line("interest", "Interest", path(r.total("interest"))),
        Line("debt_fees", "Debt arrangement fees", path(r.total("debt_fees"))),
        Line("net_income", "Net income", formula="={ebitda}-{interest}-{debt_fees}", bold=True,
             note="EBITDA less interest and fees; no depreciation or tax is modelled."),
        Line("net_margin", "Net margin", formula='=IF({revenue}=0,"",{net_income}/{revenue})',
             year="same", kind=RATIO),
        Heading("Memo"),
        Line("arr", "ARR (12 x MRR), month end", 12.0 * path(r.total("mrr")), year="last"),
        Line("customers", "Customers, month end", path(r.total("customers")), year="last", kind=COUNT),
        Line("new_customers", "New customers", path(r.total("new_customers")), kind=COUNT),
        Line("headcount", "Headcount, month end", path(r.total("headcount")), year="last", kind=COUNT),
    ]
    return items


def cash_lines(case) -> list:
    """The cash flow (indirect, from the P&L's net income) and the balance sheet of a case,
    after the opening balances (the month before the start), with the check row assets -
    liabilities - equity."""
    r = case.result
    path = lambda values: np.asarray(values)[0]  # noqa: E731
    opening = {k: float(v[0]) for k, v in r.opening.items()}
    before = month_date(r.months[0] - 1).strftime("%b %Y")
    return [
        Heading(f"Opening balances, end of {before} (in the first month's column)"),
        Line("open_cash", "Opening cash", np.array([opening["cash"]]), first_only=True),
        Line("open_receivables", "Opening receivables", np.array([opening["receivables"]]), first_only=True),
        Line("open_deferred", "Opening deferred revenue", np.array([opening["deferred_revenue"]]), first_only=True),
        Line("open_debt", "Opening debt", np.array([0.0]), first_only=True),
        Line("open_equity", "Opening book equity (net assets)",
             formula="={open_cash}+{open_receivables}-{open_deferred}-{open_debt}", first_only=True),
        Heading("Cash flow"),
        Line("net_income", "Net income", formula="={pnl.net_income}"),
        Line("d_deferred", "Increase in deferred revenue", formula="={deferred}-{deferred@prev}",
             note="Billed in advance, not yet earned: cash in before revenue."),
        Line("d_receivables", "Decrease in receivables", formula="={receivables@prev}-{receivables}",
             note="Invoiced, not yet paid: revenue before cash (bad debt leaves through G&A)."),
        Line("cfo", "Cash from operations", formula="=SUM({net_income}:{d_receivables})", bold=True,
             note="After interest and debt fees (interest paid counts as operating, ASC 230)."),
        Line("equity_raised", "Equity raised", path(r.total("equity_raised")),
             note=_funding_note(r)),
        Line("debt_drawn", "Debt drawn", path(r.total("debt_drawn"))),
        Line("debt_repaid", "Debt repaid", -path(r.total("debt_repaid"))),
        Line("cff", "Cash from financing", formula="=SUM({equity_raised}:{debt_repaid})", bold=True),
        Line("net_change", "Net change in cash", formula="={cfo}+{cff}", bold=True),
        Line("cash_start", "Cash at the start of the month", formula="={cash_end@prev}", year="first"),
        Line("cash_end", "Cash at the end of the month", formula="={cash_start}+{net_change}", year="last",
             bold=True, before="open_cash"),
        Line("net_burn", "Net burn (operating, interest in; positive = burning)",
             formula="=-({cfo}+{pnl.debt_fees})",
             note="Cash out less cash in from operations; equity, loans, principal and fees left out."),
        Heading("Balance sheet, month end"),
        Line("cash", "Cash", formula="={cash_end}", year="last"),
        Line("receivables", "Receivables", path(r.total("receivables")), year="last", before="open_receivables"),
        Line("assets", "Total assets", formula="={cash}+{receivables}", year="same", bold=True),
        Line("deferred", "Deferred revenue", path(r.total("deferred_revenue")), year="last",
             before="open_deferred"),
        Line("debt", "Debt", path(r.total("debt_balance")), year="last", before="open_debt"),
        Line("liabilities", "Total liabilities", formula="={deferred}+{debt}", year="same", bold=True),
        Line("equity", "Book equity", formula="={equity@prev}+{net_income}+{equity_raised}", year="last",
             before="open_equity",
             note="Opening net assets, plus net income and equity raised since (not a plug)."),
        Line("liabilities_equity", "Total liabilities and equity", formula="={liabilities}+{equity}",
             year="same", bold=True),
        Line("check", "Check: assets - liabilities - equity (0 = balances)",
             formula="=ROUND({assets}-{liabilities_equity},2)", year="same"),
    ]


def _funding_note(result) -> str:
    """The chosen plan's instruments, for the equity row's note."""
    plan = result.scenario.plan(result.plan)
    rounds = [f"committed: {x.name}" for x in result.scenario.rounds]
    rounds += [getattr(x, "name", type(x).__name__) for x in plan.instruments]
    return f"Funding plan {plan.name}" + (f": {', '.join(rounds)}" if rounds else ": no new money") + \
        ". The plan's inflows on this path, in the month they arrive."


def write_case(wb, case, currency: str) -> tuple[str, str]:
    """The P&L and cash flow/balance sheet sheets of one case; returns their titles."""
    r = case.result
    months = r.months
    pnl_title, cash_title = f"P&L {case.label} case", f"Cash & balance {case.label} case"
    why = (f"{case.label} case: one simulated path, {case.description}; ARR at the horizon "
           f"{case.arr_end:,.0f} {currency}.\nEvery line is that one path's (not the line's own {case.label}), "
           f"so the totals, margins and "
           f"statements add up (live formulas); each line's own P10/P50/P90 is on the Ranges sheet.")
    ws = wb.create_sheet(pnl_title)
    lay = Layout(months)
    _header(ws, lay, f"{r.scenario.name}: profit and loss, {case.label} case, plan {r.plan}", why, currency)
    pnl = _Writer(ws, lay)
    pnl.write(pnl_lines(case), currency)
    _finish(ws, lay, 34)
    ws2 = wb.create_sheet(cash_title)
    lay2 = Layout(months)
    _header(ws2, lay2, f"{r.scenario.name}: cash flow and balance sheet, {case.label} case, plan {r.plan}",
            why, currency)
    cash = _Writer(ws2, lay2, pnl=pnl, pnl_title=pnl_title)
    cash.write(cash_lines(case), currency)
    _finish(ws2, lay2, 44)
    return pnl_title, cash_title
