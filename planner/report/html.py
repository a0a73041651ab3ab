"""The report's HTML: one document, inline style sheet, images as data URLs, no script.

The document reads on a screen (charts at the column's width, each opening full size
when clicked: a CSS ``:target`` view, no script) and prints (``@media print``: margins
that fit A4 and Letter, each part on a new page, no table row or figure split).
"""
from __future__ import annotations

from html import escape

from planner.format import count, money, percent
from planner.report.text import funding_text
from planner.report.assumptions import format_quantile
from planner.report.content import REPORT_DPI, Notice, data_url, metric_number, png_size
from planner.analysis.funding_events import funding_events
from planner.report.executive import executive_summary
from planner.report.funding import funding_events_html
from planner.report.yearly import BALANCES, YearlyPnl, yearly_pnl
from planner.report.funnel import funnel_tables
from planner.actuals.chart import plot_tracking
from planner.charts.files import figure_bytes
from planner.charts.sensitivity import plot_sobol, plot_tornado
from planner.report.sensitivity import sensitivity_tables
from planner.report.unit_economics import (FORMULA_HEADING, VERDICT_ROWS, repeats_cohort, formula_note,
                                            row_label, scope_keys)
from planner.analysis.targets import TargetResult, format_statistic

#: the yearly P&L lines that are balances at the year's end (drawn under a rule)
BALANCE_KEYS = tuple(name for name, _ in BALANCES)

CSS = """
:root { --ink:#222; --muted:#666; --line:#ddd; --bad:#D55E00; --good:#009E73; --fair:#0072B2; --warn:#E69F00; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1120px; padding: 24px 32px 48px; line-height: 1.45; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 4px; } h2 { font-size: 21px; margin: 36px 0 10px; padding-top: 8px;
     border-top: 2px solid var(--ink); } h3 { font-size: 16px; margin: 22px 0 6px; }
h2, h3 { break-after: avoid; }
.lede { color: var(--muted); margin: 0 0 4px; } .meta { color: var(--muted); font-size: 13px; }
nav { margin: 14px 0 0; font-size: 13px; } nav a { margin-right: 14px; color: var(--fair); text-decoration: none; }
.executive { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 4px 18px 8px; margin: 18px 0; }
.executive h2 { border-top: none; margin: 10px 0 4px; padding-top: 0; }
.executive p { margin: 6px 0 10px; } .executive strong { display: block; font-size: 14px; margin-bottom: 1px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.card .value { font-size: 24px; font-weight: 700; margin: 2px 0; } .card .range { font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13.5px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; } td:first-child { min-width: 200px; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; } thead { display: table-header-group; } .keep { break-inside: avoid; }
tr.section td { background: #fafafa; font-weight: 600; padding-top: 10px; }
table.aligned { table-layout: fixed; } table.aligned th:first-child { width: 36%; }
table.pnl td, table.pnl th { white-space: nowrap; } table.pnl tr.total td { font-weight: 700; border-top: 1px solid #999; }
table.pnl tr.ratio td, table.pnl tr.range td { color: var(--muted); font-size: 12.5px; font-style: italic; }
table.pnl tr.first td { border-top: 2px solid #999; }
td .share { font-size: 12px; color: var(--muted); }
.warnings { border-left: 4px solid var(--bad); background: #fdf3ee; padding: 8px 14px; margin: 16px 0; }
.notes { border-left: 4px solid var(--fair); background: #f1f6fb; padding: 8px 14px; margin: 16px 0; font-size: 14px; }
.warnings ul, .notes ul { margin: 4px 0; padding-left: 18px; }
figure { margin: 18px 0 26px; break-inside: avoid; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); }
figure a.zoom { cursor: zoom-in; } figure a.close { display: none; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; max-width: 960px; }
.listing { columns: 2 420px; column-gap: 28px; } .listing table { break-inside: auto; margin-top: 0; }
.listing td:first-child { min-width: 0; width: 58%; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; }
.v-good { background: var(--good); } .v-fair { background: var(--fair); } .v-poor { background: var(--warn); color: #222; }
.v-bad { background: var(--bad); } .v-none { background: #999; }
footer { margin-top: 20px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
@media screen {
  figure:target { position: fixed; inset: 0; z-index: 10; margin: 0; padding: 44px 16px 16px; background: #fff;
                  overflow: auto; }
  figure:target img { width: auto; max-width: none; } figure:target a.zoom { cursor: default; }
  figure:target a.close { display: block; position: fixed; top: 10px; right: 20px; font-size: 14px; color: var(--fair); }
}
@page { margin: 13mm 12mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; line-height: 1.35; }
  nav, figure a.close { display: none; }
  a { color: inherit; text-decoration: none; }
  section.part { break-before: page; }
  h2 { font-size: 15pt; margin: 0 0 6px; } section h2 ~ h2 { margin-top: 16px; } h3 { font-size: 11.5pt; margin: 10px 0 4px; }
  h1 { font-size: 20pt; } .executive { margin: 10px 0; } .executive p { margin: 3px 0 7px; }
  .cards { grid-template-columns: repeat(5, 1fr); gap: 5px; } .card { padding: 4px 6px; }
  .card .value { font-size: 14pt; } .card .label, .card .range { font-size: 7.5pt; }
  table { font-size: 8.5pt; margin: 4px 0 10px; } th, td { padding: 2px 5px; } td:first-child { min-width: 0; }
  table.pnl tr.ratio td, table.pnl tr.range td { font-size: 8pt; }
  .listing { columns: 2; column-gap: 16px; } .listing table { font-size: 7pt; line-height: 1.25; margin-bottom: 6px; }
  .listing th, .listing td { padding: 0.5px 4px; }
  .verdict { font-size: 7.5pt; padding: 0 5px; }
  table.ue { font-size: 8pt; line-height: 1.25; } table.ue td, table.ue th { padding: 1px 4px; }
  table.ue td:first-child { width: 25%; } table.ue td:last-child { width: 30%; }
  figure { margin: 6px 0 12px; } figure img { max-height: 100mm; width: auto; border: none; }
  figcaption { font-size: 8.5pt; max-width: none; }
  .warnings, .notes { font-size: 9pt; padding: 4px 10px; margin: 8px 0; }
  footer { margin-top: 8px; font-size: 8pt; padding-top: 4px; }
}
"""


def _e(text) -> str:
    return escape(str(text), quote=True)


def verdict_badge(verdict: str, level: str = "none") -> str:
    """A coloured pill for a benchmark verdict, by its level (good green ... bad vermillion;
    grey for descriptive bands such as cost shares, and for n/a)."""
    if not verdict or verdict == "n/a":
        return '<span class="verdict v-none">n/a</span>'
    return f'<span class="verdict v-{_e(level)}">{_e(verdict)}</span>'


def verdict_trend(entries: list[dict]) -> str:
    """One badge when the years agree, else ``first -> last``; ``entries`` are summary
    entries with ``verdict`` and ``level``."""
    if not entries:
        return ""
    badges = [verdict_badge(e["verdict"], e.get("level", "none")) for e in entries]
    if len({e["verdict"] for e in entries}) == 1:
        return badges[0]
    return " &rarr; ".join(badges)


def table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), raw: bool = False,
          css_class: str = "") -> str:
    """An HTML table; columns in ``numeric`` right-aligned; cells escaped unless ``raw``;
    ``css_class`` the table's class (``aligned``: fixed layout, so consecutive tables line up)."""
    cls = lambda i: ' class="num"' if i in numeric else ""  # noqa: E731
    head = "".join(f"<th{cls(i)}>{_e(h)}</th>" for i, h in enumerate(header))
    body = []
    for row in rows:
        if isinstance(row, str):  # a section row
            body.append(f'<tr class="section"><td colspan="{len(header)}">{_e(row)}</td></tr>')
            continue
        body.append("<tr>" + "".join(f"<td{cls(i)}>{c if raw else _e(c)}</td>" for i, c in enumerate(row)) + "</tr>")
    attr = f' class="{_e(css_class)}"' if css_class else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _card(label: str, value: str, note: str = "") -> str:
    return (f'<div class="card"><div class="label">{_e(label)}</div><div class="value">{_e(value)}</div>'
            f'<div class="range">{_e(note)}</div></div>')


def _range(bands: dict, fmt) -> str:
    return f"P10 {fmt(bands['p10'])} · P90 {fmt(bands['p90'])}"


def headline_section(summary: dict) -> str:
    """Cards for the key answers, then P10/P50/P90 by year."""
    cur = summary["currency"]
    m = lambda v: money(v, cur)  # noqa: E731
    fund = summary["funding"]
    runway = fund["runway_months"]
    censor = runway["censored_at"]
    months = lambda v: f">{censor:.0f}" if v >= censor else f"{v:.0f}"  # noqa: E731
    need = fund["minimum_raise"]
    raise_text = ("none needed" if need["amount"] == 0 else "no amount is enough" if need["amount"] is None
                  else m(need["amount"]))
    out = summary["cash_out"]
    last = summary["revenue_by_year"][-1]
    ebitda = summary["ebitda_by_year"][-1]
    cards = [_card(f"ARR at {summary['end']} (P50)", m(summary["arr_end"]["p50"]), _range(summary["arr_end"], m)),
             _card("ARR after 12 months (P50)", m(summary["arr_after_12_months"]["p50"]),
                   _range(summary["arr_after_12_months"], m)),
             _card(f"Revenue {last['from']} to {last['to']}", m(last["p50"]), _range(last, m)),
             _card(f"EBITDA {ebitda['from']} to {ebitda['to']}", m(ebitda["p50"]), _range(ebitda, m)),
             _card(f"Cash at {summary['end']} (P50)", m(summary["cash_end"]["p50"]), _range(summary["cash_end"], m)),
             _card("Lowest cash balance (P50)", m(summary["cash_trough"]["p50"]), _range(summary["cash_trough"], m)),
             _card("Cash runs out (share of paths)", percent(out["probability"]),
                   " · ".join(f"by month {n}: {percent(out[f'by_month_{n}'])}" for n in (12, 24)
                              if f"by_month_{n}" in out)),
             _card("Runway, months (P50)", months(runway["p50"]),
                   f"P10 {months(runway['p10'])} · P90 {months(runway['p90'])}"),
             _card(f"Minimum extra raise in {need['month']}", raise_text,
                   f"for cash >= {m(need['minimum_cash'])} on {percent(need['confidence'])} of paths"),
             _card(f"Customers at {summary['end']} (P50)", count(summary["customers_end"]["p50"]),
                   _range(summary["customers_end"], count))]
    return f'<h2 id="headline">Headline numbers</h2><div class="cards">{"".join(cards)}</div>'


def executive_section(summary: dict, unit_economics: dict | None, events: list[dict] | None = None) -> str:
    """The executive summary: each question of :data:`planner.report.executive.QUESTIONS`
    in bold, its answer after it."""
    answers = "".join(f"<p><strong>{_e(question)}</strong>{_e(answer)}</p>"
                      for question, answer in executive_summary(summary, unit_economics, events))
    return f'<div class="executive" id="summary"><h2>Executive summary</h2>{answers}</div>'


def notices_section(notices) -> str:
    """The Warnings box (risks and limits of the numbers), then the Notes (how the report
    was made); ``notices`` are :class:`~planner.report.content.Notice` (a plain string is a
    warning)."""
    notices = [n if isinstance(n, Notice) else Notice("warning", str(n)) for n in notices]
    out = []
    for level, css, title in (("warning", "warnings", "Warnings"), ("info", "notes", "Notes")):
        items = "".join(f"<li>{_e(n.text)}</li>" for n in notices if n.level == level)
        if items:
            out.append(f'<div class="{css}" id="{css}"><strong>{title}</strong><ul>{items}</ul></div>')
    return "".join(out)


def warnings_section(warnings) -> str:
    """:func:`notices_section` (the name it had when every notice was a warning)."""
    return notices_section(warnings)


def _yearly_cell(line, value, currency: str) -> str:
    if value is None:
        return "n/a"
    if line.unit == "range":
        return f"{money(value[0], currency)} to {money(value[1], currency)}"
    if line.unit == "fraction":
        return percent(value)
    if line.unit == "count":
        return count(value)
    return money(value, currency)


def yearly_section(pnl: YearlyPnl, currency: str) -> str:
    """The yearly P&L table: fiscal years across, P50 of each line (ranges and ratios in
    grey under the line they belong to)."""
    header = "".join(f'<th class="num">{_e(y.title)}</th>' for y in pnl.years)
    body, balances = [], 0
    for line in pnl.lines:
        kind = ("total" if line.total else "ratio" if line.unit == "fraction" else "range" if line.unit == "range"
                else "balance" if line.key in BALANCE_KEYS else "line")
        if kind == "balance":
            balances += 1
            kind += " first" if balances == 1 else ""
        label = f"&nbsp;&nbsp;{_e(line.label)}" if kind in ("ratio", "range") else _e(line.label)
        cells = "".join(f'<td class="num">{_e(_yearly_cell(line, v, currency))}</td>' for v in line.values)
        body.append(f'<tr class="{kind}"><td>{label}</td>{cells}</tr>')
    return ('<h2 id="yearly">Yearly P&amp;L</h2>'
            f'<p class="meta">P50 across {pnl.paths:,} paths of each line on its own, so the lines need not add '
            "up exactly; margins and growth are the P50 of each path's own ratio; balances at each year's end. "
            "A fiscal year is named by the calendar year it ends in.</p>"
            f'<table class="pnl"><thead><tr><th>{_e(currency)}</th>{header}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


def figure_html(anchor: str, caption: str, png: bytes, back: str, dpi: int = REPORT_DPI) -> str:
    """One chart: shown at its size in inches (capped at the column's width), opening full
    size when clicked (the figure becomes the URL's target; "Close" goes back to ``back``)."""
    width, height = png_size(png)
    shown = round(width / dpi * 96)  # CSS pixels: 96 a CSS inch
    return (f'<figure id="{_e(anchor)}"><a class="zoom" href="#{_e(anchor)}" title="Open full size">'
            f'<img src="{data_url(png)}" alt="{_e(caption)}" width="{shown}" '
            f'height="{round(height * shown / width)}"></a><a class="close" href="#{_e(back)}">Close</a>'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def charts_section(charts) -> str:
    figures = "".join(figure_html(f"chart-{kind}", caption, png, "charts") for kind, caption, png in charts)
    return f'<h2 id="charts">Charts</h2>{figures}'


def funding_section(summary: dict, events: list[dict] | None = None) -> str:
    """Runway, cash-out, breakeven and the minimum raise of the plan, then its funding events
    (``events`` as in :func:`plan_events`; None: not shown) and the ownership after them."""
    cur, fund = summary["currency"], summary["funding"]
    m = lambda v: money(v, cur)  # noqa: E731
    p = fund["cash_out_probability"]
    be = fund["breakeven"]
    rows = [["Funding plan", fund["plan"]],
            ["Cash runs out by month 12 / 24 / the horizon",
             " / ".join("n/a" if p[k] is None else percent(p[k]) for k in ("by_month_12", "by_month_24", "by_horizon"))],
            ["Cash below the minimum balance at some point", percent(fund["below_minimum_cash_probability"])],
            ["Cash-flow breakeven within the horizon", percent(be["probability_within_horizon"])],
            ["Breakeven month P10 / P50 / P90",
             "not within the horizon" if be["month"] is None else " / ".join(be["month"][k] for k in ("p10", "p50", "p90"))],
            ["Operating cash consumed until breakeven, P50 / P90",
             f"{m(be['capital_consumed']['p50'])} / {m(be['capital_consumed']['p90'])}"]]
    lines = [line.strip() for line in funding_text(fund, cur, summary["end"]).splitlines()]
    statements = [line for line in lines if line.startswith(("Runway", "Minimum raise"))]
    text = "".join(f"<p>{_e(s)}</p>" for s in statements)
    story = ("" if events is None else '<h3>Funding events</h3>'
             + funding_events_html(events, cur, summary.get("ownership_after")))
    return f'<h2 id="funding">Funding needs</h2>{table(["", "Value"], rows)}{text}{story}'


def _ue_cell(entry: dict, currency: str, key: str = "") -> str:
    """``P50 [P10 .. P90]`` of a summary entry; ``n/a (<why>)``, ``unbounded (<why>)``, or
    ``n/a (no burn)`` for a burn multiple (``key``) of 0."""
    p50 = entry.get("p50")
    if p50 is None:
        return f"n/a ({entry.get('note', 'not defined')})"
    if key == "burn_multiple" and p50 == 0:
        return "n/a (no burn)"
    if isinstance(p50, dict):
        return f"unbounded ({p50['reason']})"
    unit = entry["unit"]  # months: the row title says so
    middle = metric_number(p50, unit, currency, months_word=False)
    low, high = (metric_number(entry[k], unit, currency, months_word=False) for k in ("p10", "p90"))
    return middle if low == high == middle else f"{middle} [{low} .. {high}]"


def _ue_rows(data: dict, names: list[str], keys: tuple[str, ...], currency: str, settings: dict) -> list:
    """Rows of one unit-economics table: label, one cell a year, the verdict (verdict rows)
    or what a formula row is (the lifetime the uncapped LTV implies)."""
    rows = []
    for key in keys:
        cells = [_e(_ue_cell(data[n][key], currency, key)) for n in names]
        if key in VERDICT_ROWS:
            verdicts = [{"verdict": data[n][key].get("verdict", "n/a"), "level": data[n][key].get("level", "none")}
                        for n in names]
            tail = "" if all(v["verdict"] == "n/a" for v in verdicts) else verdict_trend(verdicts)
        else:
            tail = _e(formula_note(key, data[names[-1]]))
        rows.append([_e(row_label(key, settings))] + cells + [tail])
    return rows


def unit_economics_section(ue: dict | None, currency: str) -> str:
    """Per scope, the cohort LTV, LTV:CAC and payback and the other key metrics, P50 [P10 .. P90]
    in the first and last full year with one verdict each; then the formula values for
    comparison, without verdicts (the rows and rules of the terminal block)."""
    if ue is None:
        return ""

    years, settings = ue["years"], ue["settings"]
    names = ["first_year"] if years["first_year"] == years["last_year"] else ["first_year", "last_year"]
    segments = [k for k in ue["scopes"] if k != "blended"]
    parts = ['<h2 id="unit-economics">Unit economics</h2>',
             f"<p class=\"meta\">P50 [P10 .. P90] across {ue['paths']:,} paths; the verdict is the P50's band "
             "(planner.analysis.benchmark_bands). CAC = fully loaded S&M / new customers; a segment's S&M is its own "
             "(spend, commissions, its teams) plus a share of the shared S&M. Cohort LTV: the gross margin a "
             f"simulated cohort earns in {settings['ltv_horizon_months']} months. Formula rows are for comparison "
             "and have no verdict.</p>"]
    scopes = ["blended"] if len(segments) == 1 else ["blended", *segments]
    for scope in scopes:
        data = ue["scopes"][scope]
        if len(segments) == 1:
            data = {n: data[n] | ue["scopes"][segments[0]][n] for n in names}
        main, formula = scope_keys(data, names, len(segments) > 1, segment=scope != "blended")
        formula = tuple(k for k in formula if not repeats_cohort(data, names, k))
        rows = _ue_rows(data, names, main, currency, settings)
        if formula:
            rows.append(FORMULA_HEADING)
            rows += _ue_rows(data, names, formula, currency, settings)
        header = ["Metric"] + [years[n]["label"] for n in names] + ["Verdict"]
        title = ("Blended (company)" if scope == "blended" and len(segments) > 1
                 else f"Segment {scope if scope != 'blended' else segments[0]}")
        parts.append(f"<h3>{_e(title)}</h3>" + table(header, rows, set(range(1, len(names) + 1)), raw=True,
                                                      css_class="ue"))
    return "".join(parts)


def _lower(label: str) -> str:
    """``Leads`` -> ``leads`` inside a sentence; acronyms (``MQLs``) as they are."""
    return label[:1].lower() + label[1:] if label[1:].islower() else label


def funnel_section(tables: dict | None, currency: str) -> str:
    """Per funnel segment, the first and last plan year: stage volumes with the share of the
    stage above, response time, SDR and AE capacity, open pipeline and CAC (P50 [P10 .. P90])."""
    if tables is None:
        return ""
    years = tables["years"]
    pipeline = tables["opening_pipeline"]
    opening = ("" if pipeline is None or not pipeline["p50"] else
               f" Leads and trials still open in the pipeline at the start (warm start): P50 "
               f"{count(pipeline['p50'])}.")
    parts = ['<h2 id="funnel">Go-to-market funnel</h2>',
             f'<p class="meta">P50 [P10 .. P90] across {tables["paths"]:,} paths of each plan year\'s total. '
             "Under a volume: the P50 share of the stage above in the same year (a flow ratio: stages take "
             "months). AE capacity used = sales-led wins / deals the account executives could close; SDR "
             "capacity / leads = leads the SDRs can reach in time / leads. CAC = the segment's sales and "
             "marketing cost (its own plus its share of shared S&amp;M) / its new customers."
             f"{_e(opening)} The funnel chart is with the other charts above.</p>"]
    for segment, rows in tables["segments"].items():
        body = []
        for row in rows:
            cells = []
            unit = "count" if row.unit == "minutes" else row.unit
            for i, entry in enumerate(row.years):
                cell = _e("n/a" if entry is None else _ue_cell(entry | {"unit": unit}, currency))
                share = row.conversion[i] if row.conversion else None
                if share is not None:
                    cell += f'<br><span class="share">{_e(percent(share))} of {_e(_lower(row.above))}</span>'
                cells.append(cell)
            body.append([_e(row.label)] + cells)
        parts.append(f"<h3>Segment {_e(segment)}</h3>"
                     + table(["Per plan year"] + years, body, set(range(1, len(years) + 1)), raw=True, css_class="aligned"))
    return "".join(parts)


def comparison_section(comparison, currency: str) -> str:
    """The plans side by side (same draws)."""
    if comparison is None:
        return ""
    m = lambda v: money(v, currency)  # noqa: E731
    runway = lambda r: " / ".join(f">{r['censored_at']:.0f}" if r[k] >= r["censored_at"] else f"{r[k]:.0f}"  # noqa: E731
                                  for k in ("p10", "p50", "p90"))
    lines = [("Cash runs out by month 12", lambda r: percent(r["cash_out_by_month_12"])),
             ("Cash runs out by month 24", lambda r: percent(r["cash_out_by_month_24"])),
             ("Cash runs out by the horizon", lambda r: percent(r["cash_out_by_horizon"])),
             ("Runway P10 / P50 / P90 (months)", lambda r: runway(r["runway_months"])),
             ("Cash trough P10", lambda r: m(r["cash_trough_p10"])),
             ("Cash below the minimum at some point", lambda r: percent(r["below_minimum_cash"])),
             ("Extra raise now for 90% safety", lambda r: "unreachable" if r["extra_raise_now_p90"] is None
              else m(r["extra_raise_now_p90"])),
             ("ARR at the horizon P50", lambda r: m(r["arr_end"]["p50"])),
             ("Total raised P50", lambda r: m(r["total_raised"]["p50"])),
             ("Dilution P50", lambda r: percent(r["dilution"]["p50"])),
             ("Existing holders after, P50", lambda r: percent(r["ownership_after"]["p50"]))]
    rows = [[label] + [cell(r) for r in comparison.rows] for label, cell in lines]
    header = [""] + [r["plan"] for r in comparison.rows]
    return (f'<div class="keep"><h2 id="comparison">Funding plans compared</h2><p class="meta">{comparison.paths:,} '
            f"paths, seed {comparison.seed}, the same draws for every plan.</p>"
            + table(header, rows, set(range(1, len(header)))) + "</div>")


def assumptions_section(rows, currency: str) -> str:
    """The uncertain inputs with their ranges, then every input by section."""
    uncertain = [[a.section, a.name, a.value.dist.describe()]
                 + [format_quantile(q, a.kind, currency) for q in a.quantiles()] for a in rows if a.uncertain]
    sections: dict[str, list] = {}
    for a in rows:
        sections.setdefault(a.section, []).append([a.name, a.text(currency)])
    listing = "".join(table([section, "Value or distribution"], items) for section, items in sections.items())
    return ('<h2 id="assumptions">Assumptions</h2><h3>Uncertain inputs (drawn once per path)</h3>'
            + (table(["Section", "Input", "Distribution", "P10", "P50", "P90"], uncertain, {3, 4, 5})
               if uncertain else "<p>None: every input is a single number.</p>")
            + f'<h3>Every input</h3><div class="listing">{listing}</div>')


def targets_section(summary: dict) -> str:
    """The targets of ``--target``: the statistic with its Monte Carlo error, met or not."""

    rows = [[r["text"], format_statistic(TargetResult(
                r["text"], float("nan") if r["value"] is None else r["value"],
                float("nan") if r["error"] is None else r["error"], r["met"], r["threshold"],
                r["op"], r["unit"], r["paths"]), summary["currency"]),
             "met" if r["met"] else "not met", f"{r['paths']:,}"] for r in summary.get("targets", [])]
    if not rows:
        return ""
    return ('<h2 id="targets">Targets</h2>' + table(["Target", "Achieved (± MC s.e.)", "", "Paths"], rows)
            + '<p class="meta">The statistic on the simulated paths, ± its Monte Carlo standard '
              'error (Crystal Ball calls the probability of a target its certainty).</p>')


def drivers_section(results: dict | None, drivers: dict | None, currency: str) -> str:
    """The report's "What drives the range" section: the tornado and Sobol charts, the
    Sobol table, and the run's cheap drivers estimate."""
    if not results and not drivers:
        return ""
    body = ['<h2 id="drivers">What drives the range</h2>']
    if results:
        for key, plot, caption in (("tornado", plot_tornado, "How far the outcome moves when one input is "
                                    "set to its P10 or its P90 while every other input keeps its own draws: "
                                    "the longest bars are the inputs that matter most."),
                                   ("sobol", plot_sobol, "The share of the outcome's spread each input "
                                    "explains on its own (first order) and together with the other inputs "
                                    "(total): what to pin down first to narrow the range.")):
            if key in results:
                png = figure_bytes(plot(results[key]), "png", REPORT_DPI)
                body.append(figure_html(f"chart-{key}", caption, png, "drivers"))
        if "sobol" in results:
            rows = sensitivity_tables(results)["sobol"][1:]
            body.append(table(["Input or group", "Kind", "First order", "95% interval", "Total order",
                               "95% interval"], [[str(c) for c in r[:2]] + [f"{r[2]:.3f}", r[3], f"{r[4]:.3f}", r[5]]
                                                 for r in rows], {2, 3, 4, 5}))
            body += [f'<p class="meta">{_e(n)}.</p>' for n in results["sobol"].notes]
    if drivers:
        rows = [[label, r["input"], f"{r['rank_correlation']:+.2f}", percent(r["share"])]
                for key, label in (("arr_end", "ARR at the horizon"), ("cash_trough", "Cash trough"))
                for r in drivers[key]]
        body.append(f"<h3>Quick estimate on the run's paths</h3><p class=\"meta\">{_e(drivers['method'])}; "
                    "linear in ranks and blind to interactions.</p>"
                    + table(["Outcome", "Input", "Rank correlation", "Share"], rows, {2, 3}))
    return "".join(body)


def tracking_section(tracking) -> str:
    """The "Plan vs actual" section: where each actual month landed in the plan's range
    (charts of ARR and new MRR, and cash when the financials have it), the calibration
    line, and the table of the last actual month."""
    if tracking is None:
        return ""
    cur = tracking.currency
    body = ['<h2 id="actuals">Plan vs actual</h2>',
            f'<p class="meta">{len(tracking.months)} actual month(s), {tracking.months[0]} to '
            f"{tracking.months[-1]}, against {tracking.paths:,} paths of the plan (seed {tracking.seed}).</p>",
            f"<p><strong>Calibration:</strong> {_e(tracking.calibration['verdict'])}.</p>"]
    for key in ("arr", "new_mrr", "cash"):
        if key in tracking.series:
            png = figure_bytes(plot_tracking(tracking, key), "png", REPORT_DPI)
            caption = (f"{tracking.series[key].label}: each actual month against the plan's P10 to P90 and "
                       "P25 to P75 bands and its P50")
            body.append(figure_html(f"chart-tracking-{key}", caption, png, "actuals"))
    last = len(tracking.months) - 1
    rows = []
    for s in tracking.series.values():
        fmt = (lambda v: money(v, cur)) if s.unit == "money" else count
        rows.append([s.label, fmt(s.actual[last]), fmt(s.p10[last]), fmt(s.p50[last]), fmt(s.p90[last]),
                     percent(s.percentile[last]), fmt(s.variance[last]), fmt(s.ytd_variance[last])])
    body.append(f"<h3>{_e(str(tracking.months[last]))}</h3>" + table(
        ["Series", "Actual", "P10", "P50", "P90", "Percentile", "vs P50", "Year to date vs P50"], rows,
        set(range(1, 8))))
    body += [f'<p class="meta">{_e(n)}</p>' for n in tracking.notes]
    return "".join(body)


def plan_events(result, summary: dict) -> list[dict] | None:
    """The plan's funding events (the summary's ``funding_events``, else from the result's
    funding records), as dicts with month names; None when the result has no funding records."""
    if summary.get("funding_events") is not None:
        return summary["funding_events"]
    try:
        return [e.to_dict(result.months) for e in funding_events(result)]
    except (ValueError, KeyError, AttributeError):  # a result without the engine's funding records
        return None


def _part(*sections: str) -> str:
    """Sections printed from a new page (empty sections leave no part)."""
    body = "".join(sections)
    return f'<section class="part">{body}</section>' if body else ""


def document(parts, charts, warnings, assumptions, generated: str) -> str:
    """The whole HTML document of :class:`~planner.report.inputs.ReportInputs` ``parts``.

    ``warnings`` are :class:`~planner.report.content.Notice` (from
    :func:`~planner.report.content.report_notices`; plain strings are warnings). In
    print, the title, executive summary, notices and headline cards share the first
    page; the yearly P&L with the funding needs and the plans compared, the charts, the
    drivers, the unit economics, the funnel and the assumptions each start a page.
    """
    result, summary, ue, comparison = parts.result, parts.summary, parts.unit_economics, parts.comparison
    sc = result.scenario
    funnel = funnel_tables(parts.detail)
    fiscal_start = (ue or {}).get("settings", {}).get("fiscal_year_start")
    events = plan_events(result, summary)
    nav = [("summary", "Summary"), ("headline", "Headline"), ("yearly", "Yearly P&L"), ("funding", "Funding"),
           ("comparison", "Plans compared") if comparison is not None else None, ("charts", "Charts"),
           ("drivers", "Drivers") if parts.sensitivity or summary.get("drivers") else None,
           ("unit-economics", "Unit economics") if ue else None, ("funnel", "Funnel") if funnel else None,
           ("assumptions", "Assumptions")]
    links = "".join(f'<a href="#{a}">{_e(t)}</a>' for a, t in filter(None, nav))
    # summary["paths"]: all the paths simulated, also when ``result`` is a streamed run's sample
    meta = (f"Plan {result.plan} · {summary.get('paths', result.paths):,} paths, seed {result.seed} · {summary['start']} to "
            f"{summary['end']} · {sc.currency}")
    body = "".join([
        f"<header><h1>{_e(sc.name)}</h1><p class=\"lede\">{_e(sc.description)}</p>"
        f"<p class=\"meta\">{_e(meta)}</p><nav>{links}</nav></header>",
        executive_section(summary, ue, events), notices_section(warnings), headline_section(summary),
        targets_section(summary),
        # on the first page: it says what every number after it means (and never prints alone)
        f"<footer>Generated by planner on {_e(generated)} from {_e(sc.source)}. P10 / P50 / P90 are "
        "quantiles across the simulated paths, of each figure separately: they do not add up across "
        "rows. Paths carry the uncertainty of the inputs (one draw per input per path).</footer>",
        _part(yearly_section(yearly_pnl(result, fiscal_start), sc.currency), funding_section(summary, events),
              comparison_section(comparison, sc.currency)),
        _part(charts_section(charts)),
        _part(drivers_section(parts.sensitivity or None, parts.summary.get("drivers"), sc.currency)),
        _part(tracking_section(parts.tracking)),
        _part(unit_economics_section(ue, sc.currency)), _part(funnel_section(funnel, sc.currency)),
        _part(assumptions_section(assumptions, sc.currency))])
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(sc.name)}: plan {_e(result.plan)}</title><style>{CSS}</style></head>"
            f"<body>{body}</body></html>\n")
