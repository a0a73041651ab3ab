"""The Excel workbook of a simulation (openpyxl): the report's content as tables.

Sheets: ``Summary`` (headline P10/P50/P90), ``Assumptions`` (every input, with the
distribution and P10/P50/P90 of uncertain ones), ``Monthly`` (P10/P50/P90 of every
series by month), ``Segments`` (P50 by segment), ``Funnel`` and ``Funnel by year`` (the
go-to-market funnel of each segment that has one: monthly P50, and the report's tables
by plan year), ``Unit economics`` (by fiscal year, with verdicts), ``Cohorts`` (per
monthly cohort: size, CAC, payback and revenue retention by age), ``Logo retention``
(the triangle) and ``Plan comparison``. Months are real dates, money has the scenario's
currency format, header rows are frozen and columns sized to their content. Numbers are
values, not text, so they can be charted and summed; an undefined value is an empty
cell, an unbounded one the text ``unbounded``.
"""
from __future__ import annotations

import datetime as _dt
import io
import math
from pathlib import Path

import numpy as np

from planner.analysis.stats import QUANTILES
from planner.analysis.cohorts import cohort_models, cohort_payback, logo_retention, revenue_retention
from planner.analysis.stats import quantiles_across_paths
from planner.analysis.unit_economics import period_metrics
from planner.format import SYMBOLS, value_text
from planner.report.assumptions import assumption_rows
from planner.report.funnel import funnel_tables
from planner.report.inputs import report_inputs, with_sensitivity
from planner.analysis.metric_specs import METRIC_SPECS
from planner.report.sensitivity import sensitivity_tables
from planner.sweep.compare import compare
from planner.report.summary import MONTHLY_SERIES
from planner.series import SERIES_SPECS
from planner.io import write_bytes

#: per-segment series of the Segments sheet (P50)
SEGMENT_SHEET = ("arr", "revenue", "customers", "new_customers")
#: per-segment series of the Funnel sheet; a series that is zero on every path and month of
#: a segment (no paid leads, no trials ...) is left out for it
FUNNEL_SHEET = ("leads", "mqls", "sqls", "opportunities", "wins", "trials", "trial_wins",
                "pipeline_lost", "pipeline_open", "response_minutes", "sdr_capacity", "ae_capacity",
                "commissions", "sm_direct", "acquisition_cost", "cac")
#: catalogue unit (planner.series) -> format kind of this workbook
_UNIT_KINDS = {"money": "money", "count": "count", "people": "count", "volume": "volume",
               "minutes": "minutes", "flag": "fraction"}


def _described(names) -> list[tuple[str, str, str]]:
    """(series, title, format kind) of each name, from the series catalogue."""
    return [(n, SERIES_SPECS[n].label, _UNIT_KINDS[SERIES_SPECS[n].unit]) for n in names]


UNIT_FORMATS = {"fraction": "0.0%", "percent": "0.0%", "ratio": "0.00", "months": "0.0", "count": "#,##0",
                "days": "0", "text": "@", "volume": "#,##0.0", "minutes": "#,##0"}
HEADER_FILL = "F2F2F2"


def money_format(currency: str) -> str:
    """Excel number format for whole amounts of ``currency``: ``"$"#,##0;-"$"#,##0`` or ``#,##0 "CHF"``."""
    symbol = SYMBOLS.get(currency)
    if symbol:
        return f'"{symbol}"#,##0;-"{symbol}"#,##0'
    return f'#,##0 "{currency}";-#,##0 "{currency}"'


def number_format(kind: str, currency: str) -> str:
    return money_format(currency) if kind == "money" else UNIT_FORMATS.get(kind, "General")


def cell_value(value):
    """A number for Excel: finite float as is, inf as ``unbounded``, nan/None as an empty cell."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "unbounded" if value > 0 else "-unbounded"
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def month_date(month) -> _dt.date:
    """``numpy.datetime64('2027-03')`` -> ``date(2027, 3, 1)``."""
    return np.datetime64(month, "D").astype(_dt.date)


class _Sheet:
    """Rows appended to an openpyxl worksheet with formats, a styled frozen header and widths."""

    def __init__(self, wb, title: str, currency: str):
        self.ws = wb.create_sheet(title)
        self.currency = currency
        self.widths: dict[int, int] = {}

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

    def row(self, values, formats=None) -> None:
        self.ws.append([cell_value(v) for v in values])
        row = self.ws.max_row
        for i, value in enumerate(values, start=1):
            cell = self.ws.cell(row=row, column=i)
            fmt = formats[i - 1] if formats is not None and i <= len(formats) else None
            if isinstance(value, _dt.date):
                fmt = "mmm yyyy"
            if fmt and isinstance(cell.value, (int, float, _dt.date)):
                cell.number_format = fmt
            text = value.strftime("%b %Y") if isinstance(value, _dt.date) else (
                f"{cell.value:,.2f}" if isinstance(cell.value, float) else str(cell.value or ""))
            self.widths[i] = max(self.widths.get(i, 0), min(len(text) + 2, 60))

    def finish(self, first_width: int | None = None) -> None:
        from openpyxl.utils import get_column_letter

        for i, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(i)].width = max(9, width)
        if first_width:
            self.ws.column_dimensions["A"].width = first_width


def _summary_sheet(wb, result, summary: dict) -> None:
    cur = summary["currency"]
    s = _Sheet(wb, "Summary", cur)
    s.header(["", "P10", "P50", "P90"])
    m = money_format(cur)
    lines = [(f"ARR at {summary['end']}", summary["arr_end"], m),
             ("ARR after 12 months", summary["arr_after_12_months"], m),
             (f"Customers at {summary['end']}", summary["customers_end"], "#,##0")]
    lines += [(f"Revenue {y['from']} to {y['to']}", y, m) for y in summary["revenue_by_year"]]
    lines += [(f"EBITDA {y['from']} to {y['to']}", y, m) for y in summary["ebitda_by_year"]]
    lines += [(f"Cash at {summary['end']}", summary["cash_end"], m), ("Lowest cash balance", summary["cash_trough"], m)]
    fund = summary["funding"]
    lines.append(("Runway, months (horizon = never runs out)", fund["runway_months"], "0"))
    for label, bands, fmt in lines:
        s.row([label, bands["p10"], bands["p50"], bands["p90"]], [None, fmt, fmt, fmt])
    s.row([])
    need = fund["minimum_raise"]
    facts = [("Scenario", summary["scenario"], None), ("Funding plan", result.plan, None),
             ("Paths", summary["paths"], "#,##0"), ("Seed", summary["seed"], "0"),
             ("Cash runs out by the horizon (share of paths)", summary["cash_out"]["probability"], "0.0%"),
             ("Cash below the minimum at some point", fund["below_minimum_cash_probability"], "0.0%"),
             (f"Minimum extra raise in {need['month']} for {need['confidence']:.0%} of paths",
              "no amount is enough" if need["amount"] is None else need["amount"], m),
             ("Generated", _dt.date.today(), "yyyy-mm-dd")]
    for label, value, fmt in facts:
        s.row([label, value], [None, fmt])
    s.finish(first_width=48)


def _assumptions_sheet(wb, scenario) -> None:
    cur = scenario.currency
    s = _Sheet(wb, "Assumptions", cur)
    s.header(["Section", "Input", "Value", "Distribution", "P10", "P50", "P90"], freeze_columns=2)
    for a in assumption_rows(scenario):
        fmt = number_format(a.kind, cur)
        if a.uncertain:
            s.row([a.section, a.name, None, a.value.dist.describe(), *a.quantiles()], [None] * 4 + [fmt] * 3)
        elif isinstance(a.value, str):
            s.row([a.section, a.name, a.value])
        else:
            s.row([a.section, a.name, float(a.value)], [None, None, fmt])
    s.finish()


def _monthly_sheet(wb, result) -> None:
    cur = result.scenario.currency
    s = _Sheet(wb, "Monthly", cur)
    series = [(n, t, k) for n, t, k in _described(MONTHLY_SERIES) if n in result.names]
    s.header(["Month"] + [f"{t} {p}" for _, t, _ in series for p in ("P10", "P50", "P90")])
    columns, formats = [], [None]
    for name, _, kind in series:
        columns.extend(result.quantiles(name, QUANTILES))
        formats += [number_format(kind, cur)] * 3
    for i, month in enumerate(result.months):
        s.row([month_date(month)] + [c[i] for c in columns], formats)
    s.finish(first_width=11)


def _segments_sheet(wb, result) -> None:
    cur = result.scenario.currency
    series = [(n, t, k) for n, t, k in _described(SEGMENT_SHEET)
              if n in result.by_segment or n == "arr" and "mrr" in result.by_segment]
    if not series or len(result.segments) == 0:
        return
    s = _Sheet(wb, "Segments", cur)
    s.header(["Month"] + [f"{t} P50, {seg}" for _, t, _ in series for seg in result.segments])
    columns, formats = [], [None]
    for name, _, kind in series:
        for seg in result.segments:
            columns.append(result.quantiles(name, 0.5, segment=seg)[0])
            formats.append(number_format(kind, cur))
    for i, month in enumerate(result.months):
        s.row([month_date(month)] + [c[i] for c in columns], formats)
    s.finish(first_width=11)


def _funnel_sheets(wb, result) -> None:
    """``Funnel``: the monthly P50 of each funnel segment's series (CAC skipping months
    without new customers); ``Funnel by year``: the report's funnel tables."""
    tables = funnel_tables(result)
    if tables is None:
        return
    cur = result.scenario.currency
    columns, formats, labels = [], [None], []
    for seg in tables["segments"]:
        for name, title, kind in _described(FUNNEL_SHEET):
            if name not in result.names:
                continue  # not kept in this result
            data = result.segment(name, seg)
            if name != "cac" and not np.any(data):
                continue
            columns.append(quantiles_across_paths(data, (0.5,))[0])
            formats.append(number_format(kind, cur))
            labels.append(f"{title} P50, {seg}")
    s = _Sheet(wb, "Funnel", cur)
    s.header(["Month"] + labels)
    for i, month in enumerate(result.months):
        s.row([month_date(month)] + [c[i] for c in columns], formats)
    s.finish(first_width=11)

    y = _Sheet(wb, "Funnel by year", cur)
    y.header(["Segment", "Metric"] + [f"{year} {q}" for year in tables["years"] for q in ("P10", "P50", "P90")]
             + [f"{year} share of the stage above, P50" for year in tables["years"]], freeze_columns=2)
    for seg, rows in tables["segments"].items():
        for row in rows:
            fmt = number_format("volume" if row.unit == "count" else row.unit, cur)
            values = [None if entry is None else entry[q] for entry in row.years for q in ("p10", "p50", "p90")]
            shares = list(row.conversion) or [None] * len(row.years)
            y.row([seg, row.label] + values + shares, [None, None] + [fmt] * len(values) + ["0.0%"] * len(shares))
    y.row([])
    y.row(["Plan years of 12 months from the start (a partial last year as it is); each figure is per path "
           "over the year, then P10/P50/P90 across paths, as planner run prints them. CAC = the segment's "
           "acquisition cost (direct S&M plus its share of shared S&M) / its new customers."])
    y.finish(first_width=14)


def _unit_economics_sheet(wb, result, unit_economics: dict | None) -> None:
    if unit_economics is None:
        return
    cur = result.scenario.currency
    pm = period_metrics(result, "year")
    s = _Sheet(wb, "Unit economics", cur)
    labels = [f"{p.label} {q}" + ("" if p.full else " (part year)") for p in pm.periods for q in ("P10", "P50", "P90")]
    s.header(["Scope", "Metric", "Unit"] + labels + ["Verdict, first year", "Verdict, last year"], freeze_columns=2)
    years = unit_economics["years"]
    for scope, data in pm.values.items():
        verdicts = unit_economics["scopes"].get(scope, {})
        for key, spec in METRIC_SPECS.items():
            if key not in data:
                continue
            title, unit = spec.title, spec.unit
            q = quantiles_across_paths(data[key], QUANTILES)  # (3, periods)
            values = [q[i, j] for j in range(q.shape[1]) for i in range(3)]
            verdict = [verdicts.get(y, {}).get(key, {}).get("verdict", "") for y in ("first_year", "last_year")]
            fmt = number_format("money" if unit == "money" else unit, cur)
            s.row([scope, title, unit] + values + verdict, [None, None, None] + [fmt] * len(values))
    s.row([])
    s.row([f"Verdicts are the benchmark band of the P50 (planner.analysis.benchmark_bands), first full year "
           f"{years['first_year']['label']}, last {years['last_year']['label']}."])
    s.finish()


def _cohorts_sheet(wb, result) -> None:
    cur = result.scenario.currency
    models = cohort_models(result, max_age=max(len(result.months), 120))
    revenue, logo = revenue_retention(result, models=models), logo_retention(result, models=models)
    payback = cohort_payback(result, models=models) if "sm_expense" in result.names else None
    nan = np.full(len(result.months), np.nan)
    new_c = sum(m.new_customers for m in models.values()).mean(axis=0)
    new_m = sum(m.new_mrr for m in models.values()).mean(axis=0)
    ages = list(revenue.ages)
    s = _Sheet(wb, "Cohorts", cur)
    s.header(["Cohort", "New customers (mean)", "New MRR (mean)", "CAC P50", "CAC payback P50, months",
              "Paid back (share of paths)"] + [f"Revenue retention P50, age {a}" for a in ages])
    fmts = [None, "#,##0.0", money_format(cur), money_format(cur), "0.0", "0%"] + ["0.0%"] * len(ages)
    for c, month in enumerate(revenue.cohorts):
        cac, months, share = ((payback.cac[1], payback.p50, payback.paid_back_share) if payback is not None
                              else (nan, nan, nan))
        s.row([month_date(month), new_c[c], new_m[c], cac[c], months[c], share[c]]
              + list(revenue.p50[c]), fmts)
    s.finish(first_width=11)
    t = _Sheet(wb, "Logo retention", cur)
    t.header(["Cohort"] + [f"Age {a}" for a in ages])
    for c, month in enumerate(logo.cohorts):
        t.row([month_date(month)] + list(logo.p50[c]), [None] + ["0.0%"] * len(ages))
    t.finish(first_width=11)


#: plan comparison rows: (label, getter, format kind)
COMPARISON_ROWS = (
    ("Cash runs out by month 12", lambda r: r["cash_out_by_month_12"], "fraction"),
    ("Cash runs out by month 24", lambda r: r["cash_out_by_month_24"], "fraction"),
    ("Cash runs out by the horizon", lambda r: r["cash_out_by_horizon"], "fraction"),
    ("Runway P10, months", lambda r: r["runway_months"]["p10"], "months"),
    ("Runway P50, months", lambda r: r["runway_months"]["p50"], "months"),
    ("Runway P90, months", lambda r: r["runway_months"]["p90"], "months"),
    ("Cash trough P10", lambda r: r["cash_trough_p10"], "money"),
    ("Cash below the minimum at some point", lambda r: r["below_minimum_cash"], "fraction"),
    ("Extra raise now for 90% safety", lambda r: r["extra_raise_now_p90"], "money"),
    ("ARR at the horizon P10", lambda r: r["arr_end"]["p10"], "money"),
    ("ARR at the horizon P50", lambda r: r["arr_end"]["p50"], "money"),
    ("ARR at the horizon P90", lambda r: r["arr_end"]["p90"], "money"),
    ("Total raised P50", lambda r: r["total_raised"]["p50"], "money"),
    ("Dilution P50", lambda r: r["dilution"]["p50"], "fraction"),
    ("Existing holders after, P50", lambda r: r["ownership_after"]["p50"], "fraction"),
)


def _comparison_sheet(wb, comparison, currency: str) -> None:
    s = _Sheet(wb, "Plan comparison", currency)
    s.header([f"{comparison.paths:,} paths, seed {comparison.seed}, same draws"] + [r["plan"] for r in comparison.rows])
    for label, get, kind in COMPARISON_ROWS:
        values = [get(r) for r in comparison.rows]
        shown = ["unreachable" if v is None and "raise" in label else v for v in values]
        s.row([label] + shown, [None] + [number_format(kind, currency)] * len(values))
    s.finish(first_width=44)


def _tracking_sheet(wb, tracking) -> None:
    """``Plan vs actual``: per series and actual month, the actual, the plan's P10/P50/P90,
    the actual's percentile and the variances (month and year to date)."""
    if tracking is None:
        return
    cur = tracking.currency
    s = _Sheet(wb, "Plan vs actual", cur)
    s.header(["Series", "Month", "Actual", "P10", "P50", "P90", "Percentile", "Inside P10-P90",
              "vs P50", "YTD actual", "YTD P50", "YTD vs P50"], freeze_columns=2)
    for series in tracking.series.values():
        fmt = number_format("money" if series.unit == "money" else "count", cur)
        for i, month in enumerate(tracking.months):
            if not np.isfinite(series.actual[i]):
                continue
            values = [series.actual[i], series.p10[i], series.p50[i], series.p90[i], series.percentile[i],
                      bool(series.inside[i]), series.variance[i], series.ytd_actual[i], series.ytd_p50[i],
                      series.ytd_variance[i]]
            s.row([series.label, month_date(month)] + [cell_value(v) for v in values],
                  [None, "yyyy-mm"] + [fmt] * 4 + ["0%", None] + [fmt] * 4)
    s.row([])
    s.row([f"Calibration: {tracking.calibration['verdict']}."])
    s.finish(first_width=28)


def _drivers_sheet(wb, parts) -> None:
    """The "What drives the range" sheet: the tornado and Sobol tables of the report's own
    analysis (``parts.sensitivity``) and the run's cheap drivers estimate."""
    results = parts.sensitivity or None
    drivers = parts.summary.get("drivers")
    if not results and not drivers:
        return
    cur = parts.result.scenario.currency
    s = _Sheet(wb, "What drives the range", cur)
    tables = sensitivity_tables(results or {})
    s.header(["What drives the range", "", "", "", "", "", ""])
    if "tornado" in tables:
        t = results["tornado"]
        money = number_format(t.unit if t.unit in ("money", "fraction") else "number", cur)
        s.row([f"Tornado of {t.statistic}: base {value_text(t.base, t.unit, cur)}, {t.paths:,} paths, seed {t.seed}"])
        s.row(tables["tornado"][0])
        for row in tables["tornado"][1:]:
            s.row(row, [None, None, "0.####", "0.####", money, money, money])
        s.row([])
    if "sobol" in tables:
        sob = results["sobol"]
        s.row([f"Sobol indices of {sob.outcome}: {sob.base_samples:,} base samples, "
               f"{round(100 * sob.confidence)}% bootstrap intervals"])
        s.row(tables["sobol"][0])
        for row in tables["sobol"][1:]:
            s.row(row, [None, None, "0.000", None, "0.000", None])
        s.row([])
    if drivers:
        s.row([f"Quick estimate: {drivers['method']}"])
        s.row(["Outcome", "Input", "Rank correlation", "Share"])
        for key, label in (("arr_end", "ARR at the horizon"), ("cash_trough", "Cash trough")):
            for r in drivers[key]:
                s.row([label, r["input"], r["rank_correlation"], r["share"]], [None, None, "0.00", "0.0%"])
    s.finish(first_width=52)


def build_workbook(source, *, summary: dict | None = None, unit_economics: dict | None = None,
                   comparison=None):
    """The workbook as an :class:`openpyxl.Workbook` (see the module notes for the sheets).

    Parameters
    ----------
    source : Run, SimulationResult or ReportInputs
        As in :func:`planner.report.render_html`: a run's own numbers, or a result
        summarised on its paths (a full one gives every sheet; without segment series the
        unit economics and segment sheets are left out).
    summary, unit_economics : dict, optional
        Replace the source's.
    comparison : Comparison, optional
        The plan comparison; when neither this nor the source has one, the scenario's
        plans are compared on the result's paths and seed.
    """
    from openpyxl import Workbook

    parts = with_sensitivity(report_inputs(source, summary=summary, unit_economics=unit_economics,
                                           comparison=comparison))
    result, detail = parts.result, parts.detail
    comparison = parts.comparison
    if comparison is None:
        comparison = compare(result.scenario, paths=result.paths, seed=result.seed)
    wb = Workbook()
    wb.remove(wb.active)
    _summary_sheet(wb, result, parts.summary)
    _assumptions_sheet(wb, result.scenario)
    _monthly_sheet(wb, result)
    _segments_sheet(wb, detail)
    _funnel_sheets(wb, detail)
    _unit_economics_sheet(wb, detail, parts.unit_economics)
    _cohorts_sheet(wb, detail)
    _comparison_sheet(wb, comparison, result.scenario.currency)
    _drivers_sheet(wb, parts)
    _tracking_sheet(wb, parts.tracking)
    wb.properties.title = f"{result.scenario.name}: plan {result.plan}"
    wb.properties.creator = "planner"
    return wb


def write_workbook(source, path: str | Path, **kwargs) -> Path:
    """Write :func:`build_workbook` to ``path`` (``.xlsx``) atomically; returns the path."""
    buf = io.BytesIO()
    build_workbook(source, **kwargs).save(buf)
    write_bytes(path, buf.getvalue())
    return Path(path)
