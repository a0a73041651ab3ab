"""The workbook a CFO keeps working in: statements of one path with live formulas that
recompute to planner's own numbers, ranges, numbers that stay numbers, page setup."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess

import numpy as np
import pytest
from openpyxl import load_workbook

import planner
from planner.report.inputs import report_inputs
from planner.report.workbook import build_workbook, write_workbook
from planner.report.workbook_cases import CASES, case_paths

from conftest import FIXTURES, ROOT

MIDMARKET = ROOT / "scenarios" / "series_a_midmarket.yaml"
CASH_TIGHT = next(p for p in FIXTURES if p.stem == "cash_tight")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """36 months of a cash-tight plan with a loan and a runway-triggered round (debt,
    interest, equity move; paths run out of cash), on 64 paths: small enough to recompute
    every formula."""
    sc = planner.load_scenario(CASH_TIGHT)
    result = planner.simulate(sc, paths=64, seed=11, plan="rescue")
    comparison = planner.compare(sc, paths=64, seed=11)
    parts = dataclasses.replace(report_inputs(result, comparison=comparison), sensitivity={})
    path = write_workbook(parts, tmp_path_factory.mktemp("wb") / "short.xlsx")
    return result, path


def _recalculated(path) -> dict[tuple[str, str], object]:
    """Every cell's value as the `formulas` package computes it: (SHEET, A1) -> value."""
    formulas = pytest.importorskip("formulas", reason="the formulas package (pip install formulas) recomputes the workbook")
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, value in solution.items():
        m = re.fullmatch(r"'\[[^\]]+\](.+)'!([A-Z]+\d+)", key)
        if m:
            v = value.value[0, 0] if hasattr(value, "value") else value
            out[(m.group(1).upper(), m.group(2))] = v
    return out


def _expected_lines(r, k: int) -> dict[str, tuple[np.ndarray, str]]:
    """What planner computed for each formula line of path ``k``: (monthly values, year rule)."""
    t = lambda name: r.total(name)[k]  # noqa: E731
    opening = {n: float(v[k]) for n, v in r.opening.items()}
    prev = lambda x, first: np.concatenate([[first], x[:-1]])  # noqa: E731
    cash, dr, ar = t("cash"), t("deferred_revenue"), t("receivables")
    money = {
        "Total revenue": t("revenue"), "Cost of revenue (COGS)": t("cogs"), "Gross profit": t("gross_profit"),
        "Sales & marketing": t("sm_expense"), "Research & development": t("rnd_expense"),
        "Customer success": t("cs_expense"), "General & administrative": t("ga_expense"),
        "Total operating expenses": t("opex"), "EBITDA": t("ebitda"), "Interest": t("interest"),
        "Debt arrangement fees": t("debt_fees"), "Net income": t("net_income"),
        "New customers": t("new_customers"),
        "Increase in deferred revenue": dr - prev(dr, opening["deferred_revenue"]),
        "Decrease in receivables": prev(ar, opening["receivables"]) - ar,
        "Cash from operations": t("operating_cash_flow") - t("interest") - t("debt_fees"),
        "Equity raised": t("equity_raised"), "Debt drawn": t("debt_drawn"), "Debt repaid": -t("debt_repaid"),
        "Cash from financing": t("equity_raised") + t("debt_drawn") - t("debt_repaid"),
        "Net change in cash": t("net_cash_flow"),
        "Net burn (operating, interest in; positive = burning)": t("net_burn"),
    }
    out = {label: (v, "sum") for label, v in money.items()}
    out |= {f"Revenue, {s}": (r.segment("revenue", s)[k], "sum") for s in r.segments}
    out |= {label: (v, "last") for label, v in {
        "ARR (12 x MRR), month end": t("arr"), "Customers, month end": t("customers"),
        "Headcount, month end": t("headcount"), "Cash at the end of the month": cash, "Cash": cash,
        "Receivables": ar, "Deferred revenue": dr, "Debt": t("debt_balance"),
        "Total assets": cash + ar, "Total liabilities": dr + t("debt_balance"),
        "Book equity": t("equity_book"), "Total liabilities and equity": dr + t("debt_balance") + t("equity_book"),
        "Check: assets - liabilities - equity (0 = balances)": np.zeros_like(cash)}.items()}
    out["Cash at the start of the month"] = (prev(cash, opening["cash"]), "first")
    for label, num in (("Gross margin", "gross_profit"), ("EBITDA margin", "ebitda"), ("Net margin", "net_income")):
        out[label] = ((t(num), t("revenue")), "ratio")
    return out


def _year_value(values, rule: str, first: int, last: int) -> float:
    if rule == "ratio":
        num, den = (float(v[first:last + 1].sum()) for v in values)
        return num / den
    return {"sum": lambda: float(values[first:last + 1].sum()), "last": lambda: float(values[last]),
            "first": lambda: float(values[first])}[rule]()


def test_every_formula_recomputes_to_what_planner_computed(short):
    """Totals, gross profit, margins, EBITDA, net income, the cash flow, cash, equity and
    the check row: each formula cell, recomputed by the `formulas` package, equals
    planner's value for the case's path (month and fiscal-year columns, opening column)."""
    from openpyxl.utils import column_index_from_string
    from planner.analysis.periods import plan_years

    result, path = short
    values = _recalculated(path)
    wb = load_workbook(path)
    years = plan_years(result.months)
    picks = case_paths(result)
    checked, formulas_seen = 0, 0
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    formulas_seen += 1
        label = next((lab for lab, _ in CASES if ws.title.endswith(f" {lab} case")), None)
        if label is None or not ws.title.startswith(("P&L", "Cash & balance")):
            continue
        k = picks[label][0]
        expected = _expected_lines(result, k)
        month_cols = {}
        for cell in ws[4][1:]:
            if isinstance(cell.value, dt.datetime):
                month_cols[cell.column] = len(month_cols)
        year_cols = {c.column: i for i, c in enumerate(c for c in ws[4][1:] if isinstance(c.value, str)
                                                      and c.value.startswith("FY"))}
        for row in ws.iter_rows(min_row=5):
            lab = row[0].value
            for cell in row[1:]:
                if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                    continue
                assert lab in expected or lab.startswith("Opening"), f"{ws.title}!{cell.coordinate}: {lab!r}"
                series, rule = expected.get(lab, (None, None))
                got = values[(ws.title.upper(), cell.coordinate)]
                col = column_index_from_string(cell.column_letter)
                if lab == "Opening book equity (net assets)":
                    want = sum(sign * result.opening[n][k] for n, sign in
                               (("cash", 1), ("receivables", 1), ("deferred_revenue", -1)))
                elif col in month_cols:
                    i = month_cols[col]
                    want = series[0][i] / series[1][i] if rule == "ratio" else float(series[i])
                else:
                    y = years[year_cols[col]]
                    want = _year_value(series, rule, y.first, y.last)
                scale = max(1.0, abs(float(want)))
                assert float(got) == pytest.approx(float(want), rel=1e-9, abs=1e-6 * scale), \
                    f"{ws.title}!{cell.coordinate} {lab}"
                checked += 1
    assert checked == formulas_seen > 3 * 20 * len(result.months)  # every formula of the workbook


def test_statement_lines_are_the_path_of_their_case(short):
    result, path = short
    wb = load_workbook(path)
    arr_end = result.total("arr")[:, -1]
    for label, q in CASES:
        k, distance = case_paths(result)[label]
        assert abs(np.mean(arr_end < arr_end[k]) - q) <= distance + 1 / result.paths
        ws = wb[f"P&L {label} case"]
        rows = {r[0].value: r for r in ws.iter_rows(min_row=5)}
        app = [c.value for c in rows["Revenue, app"][1:13]]
        assert app == pytest.approx(result.segment("revenue", "app")[k, :12].tolist(), rel=1e-15)
        assert f"path {k + 1:,} of 64" in ws["A2"].value
        cash = wb[f"Cash & balance {label} case"]
        equity = next(r for r in cash.iter_rows(min_row=5) if r[0].value == "Equity raised")
        raised = [c.value for c in equity[1:] if isinstance(c.value, (int, float))]  # the months
        assert sum(raised) == pytest.approx(result.total("equity_raised")[k].sum())
        assert "Funding plan rescue" in equity[0].comment.text


def test_a_bare_result_without_balance_series_gets_its_case_paths_simulated_again():
    """A run's detail paths keep no balance sheet: the case's block is simulated again on its
    own draws, and the path is the same one (bit for bit)."""
    from planner.report.workbook_cases import path_result

    sc = planner.load_scenario(CASH_TIGHT)
    lean = planner.simulate(sc, paths=40, seed=3, plan="rescue", keep=("mrr", "revenue"))
    full = planner.simulate(sc, paths=40, seed=3, plan="rescue")
    again = path_result(lean, 17)
    for name in ("revenue", "cash", "equity_book", "debt_balance"):
        np.testing.assert_array_equal(again.total(name)[0], full.total(name)[17])


def test_ranges_sheet_has_each_line_s_own_quantiles(short):
    result, path = short
    ws = load_workbook(path)["Ranges"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    cash = rows[[r[0] for r in rows].index("Cash") + 2]   # the P50 row
    assert cash[0].strip() == "P50"
    q = np.quantile(result.total("cash"), 0.5, axis=0)
    assert cash[1:13] == pytest.approx(q[:12].tolist())
    assert cash[13] == pytest.approx(float(np.quantile(result.total("cash")[:, 11], 0.5)))  # year end


def test_numbers_stay_numbers_with_notes_and_dates_are_dates(short):
    result, path = short
    wb = load_workbook(path)
    summary = {r[0].value: r for r in wb["Summary"].iter_rows() if r[0].value}
    runway = summary["Runway, months"]
    for cell in runway[1:4]:
        assert isinstance(cell.value, (int, float))
        if cell.value >= 36:
            assert cell.number_format == '[>=36]">"0;0' and "the horizon" in cell.comment.text
    for name in ("Summary", "Plan comparison", "Unit economics"):
        for row in wb[name].iter_rows(min_row=2, min_col=2 if name != "Unit economics" else 4):
            for cell in row:
                if name == "Unit economics" and cell.column > 3 + 3 * 3:
                    break  # the verdict columns are words
                assert not isinstance(cell.value, str) or name == "Summary" and cell.row > 12, \
                    f"{name}!{cell.coordinate}: {cell.value!r}"
    start = next(r for r in wb["Assumptions"].iter_rows() if r[1].value == "start month")
    assert start[2].value == dt.datetime(2027, 1, 1) and start[2].number_format == "mmm yyyy"
    header = wb["P&L P50 case"][4]
    assert header[1].value == dt.datetime(2027, 1, 1) and header[1].number_format == "mmm yyyy"
    assert [c.value for c in header if isinstance(c.value, str)][1:] == ["FY2027", "FY2028", "FY2029"]


def test_every_sheet_prints_landscape_fitted_with_titles(short):
    _, path = short
    wb = load_workbook(path)
    for ws in wb:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_cols and ws.print_title_rows, ws.title
    pnl = wb["P&L P50 case"]
    assert pnl.page_setup.fitToWidth == 3 and len(pnl.col_breaks.brk) == 2  # a page per fiscal year
    assert pnl.print_title_rows == "$1:$4" and pnl.print_title_cols == "$A:$A"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (Debian: apt-get install -y "
                                            "libreoffice-calc-nogui); it measures the printed pages")
def test_the_default_scenario_prints_in_a_few_dozen_pages(tmp_path):
    """LibreOffice prints the default scenario's workbook (60 months, 3 segments) to PDF;
    147 pages before the page setup."""
    run = planner.run_scenario(planner.load_scenario(MIDMARKET), paths=200)
    parts = dataclasses.replace(report_inputs(run), sensitivity={})
    path = write_workbook(parts, tmp_path / "default.xlsx")
    subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=240)
    pdf = (tmp_path / "default.pdf").read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 10 < pages <= 50  # 48 measured: 30 of them the six statements, a page per fiscal year


def test_build_workbook_keeps_the_sheets_consumers_read(short):
    _, path = short
    names = load_workbook(path).sheetnames
    assert names[:8] == ["Summary", "P&L P50 case", "Cash & balance P50 case", "P&L P10 case",
                         "Cash & balance P10 case", "P&L P90 case", "Cash & balance P90 case", "Ranges"]
    assert {"Assumptions", "Segments", "Unit economics", "Cohorts", "Plan comparison"} <= set(names)


def test_assumptions_as_typed_sit_next_to_what_they_mean():
    """`annual_churn: 0.10` is shown as written, with line, beside the monthly churn planner uses."""
    sc = planner.load_scenario(MIDMARKET)
    result = planner.simulate(sc, paths=20, seed=1)
    parts = dataclasses.replace(report_inputs(result, comparison=planner.compare(sc, paths=20, seed=1)),
                                sensitivity={})
    rows = {r[0]: r for r in build_workbook(parts)["As typed"].iter_rows(values_only=True) if r[0]}
    churn = rows["segments.midmarket.retention.annual_churn"]
    assert churn[1] == 0.1 and churn[3] == f"churn per month {100 * (1 - 0.9 ** (1 / 12)):.4g}%"
    assert MIDMARKET.read_text().splitlines()[churn[2] - 1].strip().startswith("annual_churn: 0.10")
    assert rows["segments.smb.acquisition.cac.median"][1] == 2400


def test_the_p50_case_sits_inside_the_interquartile_range_of_every_yearly_line():
    """The default scenario's P50 case does not contradict the report's P50 table: each
    year's revenue (and EBITDA, ARR and cash at year end) of the case's one path lies
    between that year's P25 and P75 over the detail paths, and the P10 / P90 cases sit
    on their own side of the median every year."""
    from planner.analysis.periods import plan_years
    from planner.run import run_scenario
    from planner.report.workbook_cases import cases, detail_cash

    run = run_scenario(planner.load_scenario(MIDMARKET), paths=1000, seed=7)
    detail, result = run.detail, run.result
    cash = detail_cash(result, detail)
    assert cash is not None  # the detail paths are the run's first ones
    picked = {c.label: c for c in cases(detail, cash)}
    lines = {"revenue": detail.total("revenue"), "ebitda": detail.total("ebitda")}
    for year in plan_years(detail.months):
        span = slice(year.first, year.last + 1)
        yearly = {name: x[:, span].sum(axis=1) for name, x in lines.items()}
        yearly |= {"arr": 12.0 * detail.total("mrr")[:, year.last], "cash": cash[:, year.last]}
        for name, values in yearly.items():
            p25, p50, p75 = np.quantile(values, [0.25, 0.5, 0.75])
            k = picked["P50"].path
            assert p25 <= values[k] <= p75, (year.label, name)
            assert values[picked["P10"].path] <= p50 <= values[picked["P90"].path], (year.label, name)
    case = picked["P50"].result
    assert case.total("revenue")[0] == pytest.approx(detail.total("revenue")[picked["P50"].path])
