"""The funding events of a plan for people: terminal lines, an HTML table, a workbook sheet.

Every function takes the events as they are in summary.json (``summary["funding_events"]``,
:meth:`planner.analysis.funding_events.FundingEvent.to_dict` with months as ``YYYY-MM``)
and, optionally, the existing holders' ownership after the plan (``summary["ownership_after"]``,
P10/P50/P90), so the terminal, the report and the workbook tell the same story.
"""
from __future__ import annotations

import html
import textwrap

from planner.format import money, percent

#: columns of the HTML table and the workbook sheet
COLUMNS = ("Event", "When", "Amount (P50)", "Pre-money (P50)", "Dilution (P50)",
           "Happens on", "Arrives P10 / P50 / P90")


def when(event: dict) -> str:
    """``2028-07`` for a dated event, ``if ARR >= $15.0M, 2029-01 to 2030-06`` for a triggered one."""
    return event["month"] if event["month"] is not None else f"if {event['trigger']}"


def arrives(event: dict) -> str:
    """``2029-02 / 2029-05 / 2029-09``; ``never`` when it happens on no path; empty when dated."""
    if event["months"] is None:
        return "never"
    return "" if event["month"] is not None else " / ".join(event["months"])


def pool_note(event: dict) -> str:
    """`` (incl. a 5.0% option-pool top-up)`` when the event's dilution includes one, else empty."""
    pool = event.get("option_pool")
    return f" (incl. a {percent(pool)} option-pool top-up)" if pool else ""


def dilution_text(event: dict) -> str:
    """``23.7% (incl. a 5.0% option-pool top-up)``; empty without a valuation."""
    if event["dilution"] is None:
        return ""
    return percent(event["dilution"]) + pool_note(event)


def price(event: dict, currency: str) -> str:
    """``at $168M pre-money, dilution 23.7% (incl. a 5.0% option-pool top-up)``; empty
    without a valuation."""
    if event["pre_money"] is None:
        return ""
    return f"at {money(event['pre_money'], currency)} pre-money, dilution {dilution_text(event)}"


def ownership_line(ownership: dict | None) -> str:
    """``Existing holders own 74.1% after the plan (P10 72.0%, P90 76.3%)``."""
    if ownership is None:
        return ""
    same = abs(ownership["p90"] - ownership["p10"]) < 5e-4
    spread = "" if same else f" (P10 {percent(ownership['p10'])}, P90 {percent(ownership['p90'])})"
    return f"Existing holders own {percent(ownership['p50'])} after the plan{spread}."


def funding_events_text(events: list[dict], currency: str = "USD", ownership: dict | None = None,
                        *, width: int = 100, indent: str = "    ") -> str:
    """One wrapped sentence per event, then the ownership after the plan.

    ``Series B (equity), 2028-07: $30.0M at $168M pre-money, dilution 20.9%.``
    ``Series C (equity on an ARR milestone), if ARR >= $15.0M, 2029-01 to 2030-06: on 62.0%
    of paths, arriving 2029-02 / 2029-05 / 2029-09 (P10 / P50 / P90); $25.0M at ...``
    """
    if not events:
        return f"{indent}No funding events: the plan raises nothing."
    lines = []
    for e in events:
        head = f"{e['label']}, {when(e)}: "
        if e["month"] is None:
            head += (f"on {percent(e['probability'])} of paths" + (
                f", arriving {arrives(e)} (P10 / P50 / P90); " if e["months"] else "; "))
        elif e["probability"] < 1:
            head += f"on {percent(e['probability'])} of paths (insolvent ones get nothing); "
        body = money(e["amount"], currency) + (f" {price(e, currency)}" if price(e, currency) else "")
        lines += textwrap.wrap(head + body + ".", width=width, initial_indent=indent,
                               subsequent_indent=indent + "  ")
    if ownership is not None:
        lines += textwrap.wrap(ownership_line(ownership), width=width, initial_indent=indent,
                               subsequent_indent=indent + "  ")
    return "\n".join(lines)


def funding_events_html(events: list[dict], currency: str = "USD", ownership: dict | None = None) -> str:
    """The events as an HTML ``<table class="funding-events">`` (escaped), then the
    ownership after the plan in a ``<p>``."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    rows = []
    for e in events:
        cells = (e["label"], when(e), money(e["amount"], currency),
                 "" if e["pre_money"] is None else money(e["pre_money"], currency),
                 dilution_text(e),
                 percent(e["probability"]) + " of paths", arrives(e))
        rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{len(COLUMNS)}">No funding events: the plan raises nothing.</td></tr>')
    table = (f'<table class="funding-events"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table>')
    return table + (f"\n<p>{esc(ownership_line(ownership))}</p>" if ownership else "")


def write_funding_sheet(ws, events: list[dict], currency: str = "USD", ownership: dict | None = None) -> None:
    """Fill an openpyxl worksheet with the events: numbers as numbers (amount, pre-money,
    dilution, probability), months as dates, a triggered event's condition as text.

    Columns: event, instrument, month (dated), trigger, amount, pre-money, dilution,
    share of paths, arrival P10 / P50 / P90 (dates), the option-pool top-up the dilution
    includes.
    """
    from planner.report.workbook_format import Sheet, money_format, month_date

    import numpy as np

    sheet = Sheet.__new__(Sheet)  # a Sheet on a worksheet the caller made
    sheet.ws, sheet.currency, sheet.widths, sheet.header_row = ws, currency, {}, 0
    sheet.header(["Event", "Instrument", "Month", "Trigger", "Amount (P50)", "Pre-money (P50)",
                  "Dilution (P50)", "Share of paths", "Arrives P10", "Arrives P50", "Arrives P90",
                  "Option-pool top-up in the dilution (P50)"])
    m = money_format(currency)
    date = lambda text: None if text is None else month_date(np.datetime64(text, "M"))  # noqa: E731
    for e in events:
        months = e["months"] or [None] * 3
        sheet.row([e["label"], e["instrument"], date(e["month"]), e["trigger"] or "", e["amount"],
                   e["pre_money"], e["dilution"], e["probability"]] + [date(x) for x in months]
                  + [e.get("option_pool")],
                  [None, None, None, None, m, m, "0.0%", "0.0%", None, None, None, "0.0%"],
                  notes=[None] * 5 + ["No valuation given (or debt): no dilution counted."
                                      if e["pre_money"] is None else None]
                        + [f"Amount / post-money plus the option-pool top-up{pool_note(e)}."
                           if e.get("option_pool") else None] + [None]
                        + ["Happens on no path." if e["months"] is None else None] * 3 + [None])
    if ownership is not None:
        sheet.row([])
        sheet.row(["Existing holders' share after the plan", "P10", "P50", "P90"])
        sheet.row(["", ownership["p10"], ownership["p50"], ownership["p90"]],
                  [None, "0.0%", "0.0%", "0.0%"])
    sheet.finish(first_width=40)
