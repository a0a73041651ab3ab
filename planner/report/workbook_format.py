"""How the workbook's cells look and print: number formats, values, notes, page setup.

Every sheet of the workbook goes through :class:`Sheet` (rows with formats, a styled frozen
header, widths fitted to the content) and :func:`print_setup` (landscape, fitted to a
number of pages wide, header rows and the label column repeated on every page). A value
that is not a finite number never becomes text in a numeric column: an undefined or
unbounded value is an empty cell, and :func:`note` says why on the cell itself.
"""
from __future__ import annotations

import datetime as _dt
import math

import numpy as np

from planner.format import SYMBOLS

UNIT_FORMATS = {"fraction": "0.0%", "percent": "0.0%", "ratio": "0.00", "months": "0.0", "count": "#,##0",
                "days": "0", "text": "@", "volume": "#,##0.0", "minutes": "#,##0"}
HEADER_FILL = "F2F2F2"
TOTAL_FILL = "DDEBF7"
#: Excel's format of a month
MONTH_FORMAT = "mmm yyyy"
#: author of the cell notes
NOTE_AUTHOR = "planner"


def money_format(currency: str) -> str:
    """Excel number format for whole amounts of ``currency``: ``"$"#,##0;-"$"#,##0`` or ``#,##0 "CHF"``."""
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f'"{symbol}"#,##0;-"{symbol}"#,##0'
    return f'#,##0 "{currency}";-#,##0 "{currency}"'


def number_format(kind: str, currency: str) -> str:
    """The Excel format of a value of ``kind`` (money, fraction, count, months ...)."""
    return money_format(currency) if kind == "money" else UNIT_FORMATS.get(kind, "General")


def censored_format(horizon: int, digits: int = 0) -> str:
    """A months format that shows the horizon (a censored runway) as ``>60``; the cell keeps the number."""
    body = "0" if digits == 0 else "0." + "0" * digits
    return f'[>={horizon}]">"0;{body}'


def cell_value(value):
    """A number for Excel: a finite float as is, nan, inf and None as an empty cell
    (:func:`why_empty` says which, for a note)."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def why_empty(value) -> str | None:
    """The note of a value :func:`cell_value` leaves empty: unbounded (inf) or undefined (nan)."""
    if isinstance(value, (float, np.floating)) and math.isinf(value):
        return "unbounded: no finite value (e.g. expansion at least as large as churn)" if value > 0 \
            else "unbounded below"
    return None


def month_date(month) -> _dt.date:
    """``numpy.datetime64('2027-03')`` -> ``date(2027, 3, 1)``."""
    return np.datetime64(month, "D").astype(_dt.date)


def note(cell, text: str, width: int = 320, height: int = 110) -> None:
    """Attach a note (Excel comment) to ``cell``."""
    from openpyxl.comments import Comment

    comment = Comment(text, NOTE_AUTHOR)
    comment.width, comment.height = width, height
    cell.comment = comment


def print_setup(ws, *, title_rows: str | None = None, title_columns: str | None = "A",
                pages_wide: int = 1, landscape: bool = True) -> None:
    """Page setup of a sheet: landscape, ``pages_wide`` pages across (as many down as it
    takes), the header rows (``"1:3"``) and label columns (``"A"`` or ``"A:B"``) printed on
    every page, the sheet's name and page number in the footer."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = max(1, int(pages_wide))
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    if title_columns:
        first, _, last = title_columns.partition(":")
        ws.print_title_cols = f"{first}:{last or first}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"


class Sheet:
    """Rows appended to an openpyxl worksheet with formats, a styled frozen header and widths."""

    def __init__(self, wb, title: str, currency: str):
        self.ws = wb.create_sheet(title)
        self.currency = currency
        self.widths: dict[int, int] = {}
        self.header_row = 0

    def header(self, labels, freeze_columns: int = 1) -> None:
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        self.row(labels)
        row = self.ws.max_row
        for cell in self.ws[row]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        self.ws.freeze_panes = f"{get_column_letter(freeze_columns + 1)}{row + 1}"  # ws.cell() would add a row
        self.header_row = row

    def row(self, values, formats=None, notes=None) -> int:
        """Append one row; a date gets the month format, an empty numeric cell the note of
        why it is empty (or ``notes[i]``); returns the row number."""
        self.ws.append([cell_value(v) for v in values])
        row = self.ws.max_row
        for i, value in enumerate(values, start=1):
            cell = self.ws.cell(row=row, column=i)
            fmt = formats[i - 1] if formats is not None and i <= len(formats) else None
            if isinstance(value, _dt.date):
                fmt = fmt if fmt and ("y" in fmt) else MONTH_FORMAT
            if fmt and isinstance(cell.value, (int, float, _dt.date)):
                cell.number_format = fmt
            text = (notes[i - 1] if notes is not None and i <= len(notes) else None) or why_empty(value)
            if text:
                note(cell, text)
            shown = value.strftime("%b %Y") if isinstance(value, _dt.date) else (
                f"{cell.value:,.2f}" if isinstance(cell.value, float) else str(cell.value or ""))
            self.widths[i] = max(self.widths.get(i, 0), min(len(shown) + 2, 60))
        return row

    def finish(self, first_width: int | None = None, pages_wide: int = 1, title_columns: str | None = "A") -> None:
        """Column widths, and the page setup (header rows and ``title_columns`` on every page)."""
        from openpyxl.utils import get_column_letter

        for i, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(i)].width = max(9, width)
        if first_width:
            self.ws.column_dimensions["A"].width = first_width
        rows = f"1:{self.header_row}" if self.header_row else None
        print_setup(self.ws, title_rows=rows, title_columns=title_columns, pages_wide=pages_wide)
