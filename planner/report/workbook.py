"""The Excel workbook of a simulation (openpyxl): statements a CFO keeps working in, and
the report's content as tables.

Sheets: ``Summary`` (headline P10/P50/P90); for each case P50, P10, P90 (one path, the
one nearest that quantile on every yearly line, :mod:`planner.report.workbook_cases`) a
``P&L P50 case`` and a ``Cash & balance P50 case`` sheet whose totals, margins, EBITDA, cash flow, balances and
check row are live formulas (:mod:`planner.report.workbook_statements`); ``Ranges``
(each line's own P10/P50/P90 by month and fiscal year, :mod:`planner.report.workbook_ranges`);
``Assumptions`` (every input, with the distribution and P10/P50/P90 of uncertain ones),
``As typed`` (the scenario file's values as written, next to what planner made of them),
``Segments`` (P50 by segment), ``Funnel`` and ``Funnel by year`` (when the scenario has
a funnel), ``Unit economics`` (by fiscal year, with verdicts), ``Cohorts`` (per monthly
cohort: size, CAC, payback and revenue retention by age), ``Logo retention`` (the
triangle), ``Plan comparison``, ``Funding`` (every event of the chosen plan: month or
trigger, amount, pre-money, dilution, share of paths), ``What drives the range`` and ``Plan vs actual`` (with
actuals). Months are real dates, money has the scenario's currency format, header rows
are frozen, every sheet prints landscape with its headers repeated
(:mod:`planner.report.workbook_format`). Numbers are never text: an undefined or
unbounded value is an empty cell with a note, a runway that reaches the horizon is the
horizon, shown ``>60``, with a note.
"""
from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

import numpy as np

from planner.analysis.cohorts import cohort_models, cohort_payback, logo_retention, revenue_retention
from planner.analysis.metric_specs import METRIC_SPECS
from planner.analysis.periods import plan_years
from planner.analysis.stats import QUANTILES, quantiles_across_paths
from planner.analysis.unit_economics import period_metrics
from planner.format import value_text
from planner.io import write_bytes
from planner.report.assumptions import assumption_rows
from planner.report.funnel import funnel_tables
from planner.report.inputs import report_inputs, with_sensitivity
from planner.report.sensitivity import sensitivity_tables
from planner.report.workbook_cases import cases, detail_cash
from planner.report.workbook_format import (Sheet, cell_value, censored_format, money_format, month_date,
                                            number_format)
from planner.report.workbook_ranges import ranges_sheet
from planner.report.workbook_statements import write_case
from planner.report.workbook_typed import typed_sheet
from planner.series import SERIES_SPECS
from planner.sweep.compare import compare

#: per-segment series of the Segments sheet (P50)
SEGMENT_SHEET = ("arr", "revenue", "customers", "new_customers")
#: per-segment series of the Funnel sheet; a series that is zero on every path and month of
#: a segment (no paid leads, no trials ...) is left out for it
FUNNEL_SHEET = ("leads", "mqls", "sqls", "opportunities", "wins", "trials", "trial_wins",
                "pipeline_lost", "pipeline_open", "response_minutes", "sdr_capacity", "ae_capacity",
                "commissions", "sm_direct", "acquisition_cost", "cac")
#: the sheet writer's name before the split into workbook_format (kept for sheet writers elsewhere)
_Sheet = Sheet
#: catalogue unit (planner.series) -> format kind of this workbook
_UNIT_KINDS = {"money": "money", "count": "count", "people": "count", "volume": "volume",
               "minutes": "minutes", "flag": "fraction"}


def _described(names) -> list[tuple[str, str, str]]:
    """(series, title, format kind) of each name, from the series catalogue."""
    return [(n, SERIES_SPECS[n].label, _UNIT_KINDS[SERIES_SPECS[n].unit]) for n in names]


def _summary_sheet(wb, result, summary: dict) -> None:
    cur = summary["currency"]
    s = Sheet(wb, "Summary", cur)
    s.header(["", "P10", "P50", "P90"])
    m = money_format(cur)
    lines = [(f"ARR at {summary['end']}", summary["arr_end"], m),
             ("ARR after 12 months", summary["arr_after_12_months"], m),
             (f"Customers at {summary['end']}", summary["customers_end"], "#,##0")]
    years = [p.title for p in plan_years(result.months)]
    lines += [(f"Revenue {fy} ({y['from']} to {y['to']})", y, m) for fy, y in zip(years, summary["revenue_by_year"])]
    lines += [(f"EBITDA {fy} ({y['from']} to {y['to']})", y, m) for fy, y in zip(years, summary["ebitda_by_year"])]
    lines += [(f"Cash at {summary['end']}", summary["cash_end"], m), ("Lowest cash balance", summary["cash_trough"], m)]
    fund = summary["funding"]
    horizon = len(result.months)
    for label, bands, fmt in lines:
        s.row([label, bands["p10"], bands["p50"], bands["p90"]], [None, fmt, fmt, fmt])
    runway = fund["runway_months"]
    never = f"{horizon} = the horizon: on these paths cash never runs out within the plan (runway at least {horizon} months)"
    s.row(["Runway, months", runway["p10"], runway["p50"], runway["p90"]], [None] + [censored_format(horizon)] * 3,
          notes=[None] + [never if runway[q] >= horizon else None for q in ("p10", "p50", "p90")])
    s.row([])
    need = fund["minimum_raise"]
    facts = [("Scenario", summary["scenario"], None, None), ("Funding plan", result.plan, None, None),
             ("Paths", summary["paths"], "#,##0", None), ("Seed", summary["seed"], "0", None),
             ("Cash runs out by the horizon (share of paths)", summary["cash_out"]["probability"], "0.0%", None),
             ("Cash below the minimum at some point", fund["below_minimum_cash_probability"], "0.0%", None),
             (f"Minimum extra raise in {need['month']} for {need['confidence']:.0%} of paths", need["amount"], m,
              "No amount is enough: the paths short of cash run out before the raise month."
              if need["amount"] is None else None),
             ("Generated", _dt.date.today(), "yyyy-mm-dd", None)]
    for label, value, fmt, why in facts:
        s.row([label, value], [None, fmt], notes=[None, why])
    s.row([])
    s.row(["The P&L and Cash & balance sheets are the statements of one path each (the P10, P50 and "
           "P90 of ARR at the horizon), with live formulas; Ranges holds each line's own P10/P50/P90."])
    s.finish(first_width=48)


def _as_month(text: str) -> _dt.date | None:
    """``"2027-01"`` -> ``date(2027, 1, 1)``; None for any other text."""
    try:
        return month_date(np.datetime64(text, "M")) if len(text) == 7 and text[4] == "-" else None
    except ValueError:
        return None


def _assumptions_sheet(wb, scenario) -> None:
    cur = scenario.currency
    s = Sheet(wb, "Assumptions", cur)
    s.header(["Section", "Input", "Value", "Distribution", "P10", "P50", "P90"], freeze_columns=2)
    for a in assumption_rows(scenario):
        fmt = number_format(a.kind, cur)
        if a.uncertain:
            s.row([a.section, a.name, None, a.value.dist.describe(), *a.quantiles()], [None] * 4 + [fmt] * 3)
        elif isinstance(a.value, str):
            month = _as_month(a.value)
            s.row([a.section, a.name, a.value if month is None else month])
        else:
            s.row([a.section, a.name, float(a.value)], [None, None, fmt])
    s.finish()


def _segments_sheet(wb, result) -> None:
    cur = result.scenario.currency
    series = [(n, t, k) for n, t, k in _described(SEGMENT_SHEET)
              if n in result.by_segment or n == "arr" and "mrr" in result.by_segment]
    if not series or len(result.segments) == 0:
        return
    s = Sheet(wb, "Segments", cur)
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
    s = Sheet(wb, "Funnel", cur)
    s.header(["Month"] + labels)
    for i, month in enumerate(result.months):
        s.row([month_date(month)] + [c[i] for c in columns], formats)
    s.finish(first_width=11)

    y = Sheet(wb, "Funnel by year", cur)
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
    s = Sheet(wb, "Unit economics", cur)
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
    s = Sheet(wb, "Cohorts", cur)
    s.header(["Cohort", "New customers (mean)", "New MRR (mean)", "CAC P50", "CAC payback P50, months",
              "Paid back (share of paths)"] + [f"Revenue retention P50, age {a}" for a in ages])
    fmts = [None, "#,##0.0", money_format(cur), money_format(cur), "0.0", "0%"] + ["0.0%"] * len(ages)
    for c, month in enumerate(revenue.cohorts):
        cac, months, share = ((payback.cac[1], payback.p50, payback.paid_back_share) if payback is not None
                              else (nan, nan, nan))
        s.row([month_date(month), new_c[c], new_m[c], cac[c], months[c], share[c]]
              + list(revenue.p50[c]), fmts)
    s.finish(first_width=11)
    _narrow(s, first=7, count=len(ages))
    t = Sheet(wb, "Logo retention", cur)
    t.header(["Cohort"] + [f"Age {a}" for a in ages])
    for c, month in enumerate(logo.cohorts):
        t.row([month_date(month)] + list(logo.p50[c]), [None] + ["0.0%"] * len(ages))
    t.finish(first_width=11)
    _narrow(t, first=2, count=len(ages))


def _narrow(sheet, first: int, count: int, width: int = 7) -> None:
    """Columns of a triangle (one per age) as narrow as a percentage: the header wraps, and
    the whole triangle prints on one page across."""
    from openpyxl.utils import get_column_letter

    for col in range(first, first + count):
        sheet.ws.column_dimensions[get_column_letter(col)].width = width


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


def _funding_sheet(wb, result, summary: dict) -> None:
    """``Funding``: every event of the chosen plan (:mod:`planner.report.funding`)."""
    from planner.report.funding import write_funding_sheet
    from planner.report.summary import funding_story

    story = summary if "funding_events" in summary else funding_story(result)
    write_funding_sheet(wb.create_sheet("Funding"), story["funding_events"], result.scenario.currency,
                        story.get("ownership_after"))


def _comparison_sheet(wb, comparison, currency: str, horizon: int) -> None:
    s = Sheet(wb, "Plan comparison", currency)
    s.header([f"{comparison.paths:,} paths, seed {comparison.seed}, same draws"] + [r["plan"] for r in comparison.rows])
    for label, get, kind in COMPARISON_ROWS:
        values = [get(r) for r in comparison.rows]
        fmt = censored_format(horizon, 1) if label.startswith("Runway") else number_format(kind, currency)
        notes = [None] + [_comparison_note(label, v, horizon) for v in values]
        s.row([label] + values, [None] + [fmt] * len(values), notes=notes)
    s.finish(first_width=44)


def _comparison_note(label: str, value, horizon: int) -> str | None:
    """Why a comparison cell is empty or censored."""
    if value is None and "raise" in label:
        return "Unreachable: no extra raise at this month keeps enough paths above the minimum cash."
    if label.startswith("Runway") and value is not None and value >= horizon:
        return f"{horizon} = the horizon: cash lasts at least that long (never runs out within the plan)."
    return None


def _tracking_sheet(wb, tracking) -> None:
    """``Plan vs actual``: per series and actual month, the actual, the plan's P10/P50/P90,
    the actual's percentile and the variances (month and year to date)."""
    if tracking is None:
        return
    cur = tracking.currency
    s = Sheet(wb, "Plan vs actual", cur)
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
    s = Sheet(wb, "What drives the range", cur)
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
    for case in cases(detail, detail_cash(result, detail)):
        write_case(wb, case, result.scenario.currency)
    ranges_sheet(wb, result)
    _assumptions_sheet(wb, result.scenario)
    typed_sheet(wb, result.scenario)
    _segments_sheet(wb, detail)
    _funnel_sheets(wb, detail)
    _unit_economics_sheet(wb, detail, parts.unit_economics)
    _cohorts_sheet(wb, detail)
    _comparison_sheet(wb, comparison, result.scenario.currency, len(result.months))
    _funding_sheet(wb, result, parts.summary)
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
