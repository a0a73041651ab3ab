"""The board report: assumptions, the self-contained HTML, its executive summary, yearly
P&L and notices, and the workbook (the HTML in a real browser: tests/test_report_browser.py)."""
from __future__ import annotations

import base64
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.report import assumption_rows, chart_images, render_html, report_warnings, write_report
from planner.report.assumptions import format_quantile, format_value
from planner.report.summary import summarise
from test_report_browser import CHROMIUM, open_in_chromium

#: tests/test_funnel_presentation.py imports the browser helpers from here
BROWSER = (CHROMIUM, open_in_chromium)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def seed_stage():
    sc = planner.load_scenario(ROOT / "scenarios" / "seed_selfserve_smb.yaml")
    result = planner.simulate(sc, paths=200, seed=5)
    return result, planner.compare(sc, paths=200, seed=5)


@pytest.fixture(scope="module")
def written(seed_stage, tmp_path_factory):
    result, comparison = seed_stage
    out = tmp_path_factory.mktemp("report")
    return write_report(result, out, comparison=comparison)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_uncertain_input_is_in_the_assumptions(path):
    sc = planner.load_scenario(path)
    rows = assumption_rows(sc)
    shown = {a.value.index for a in rows if a.uncertain}
    internal = {p.index for p in sc.params if ".log_cov.z_" in p.path}   # carried by the log_cov row
    assert shown | internal == {p.index for p in sc.params}
    for a in rows:
        assert a.text(sc.currency)
        if a.uncertain:
            low, mid, high = a.quantiles()
            assert low <= mid <= high


def test_assumption_formats():
    assert format_value(41600, "money", "USD") == "$41,600"
    assert format_value(85.5, "money", "EUR") == "€85.50"
    assert format_value(1200, "money", "CHF") == "1,200 CHF"
    assert format_value(0.035, "percent", "USD") == "3.5%"
    assert format_value(12, "months", "USD") == "12 months"
    assert format_quantile(1694.1176, "money", "USD") == "$1,690"
    assert format_quantile(0.0023416, "percent", "USD") == "0.234%"


class _Page(HTMLParser):
    """Collects images, links, scripts and element ids of an HTML document."""

    def __init__(self):
        super().__init__()
        self.images, self.external, self.scripts, self.ids = [], [], 0, set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.ids.add(attrs.get("id"))
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if re.match(r"(https?:)?//", value):
                self.external.append(value)


def test_html_is_self_contained_with_every_section(written, seed_stage):
    result, comparison = seed_stage
    html = written[0].read_text(encoding="utf-8")
    page = _Page()
    page.feed(html)
    assert page.external == [] and page.scripts == 0 and "@import" not in html
    assert {"headline", "warnings", "charts", "funding", "unit-economics", "comparison", "assumptions"} <= page.ids
    assert len(page.images) == 11                    # 8 charts of the result + the plan comparison
    assert "drivers" in page.ids                     # + the tornado and the Sobol indices
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    summary = summarise(result)
    assert planner.format.money(summary["arr_end"]["p50"], "USD") in html
    assert "lognormal(median=420, p90=650)" in html              # an uncertain input with its distribution
    assert "Cash runs out on" in html                            # a warning: the seed plan can run dry
    assert all(r["plan"] in html for r in comparison.rows)
    assert html.count('class="verdict') > 5


def test_warnings_name_the_risks(seed_stage):
    result, _ = seed_stage
    summary = summarise(result)
    warnings = report_warnings(result, summary, None)
    assert any(w.startswith("Cash runs out on") and "'no_new_money'" in w for w in warnings)
    assert any("without segment series" in w for w in warnings)
    assert any("no go-to-market funnel" in w for w in warnings)


def test_report_of_a_result_without_segments_leaves_out_what_it_cannot_show(seed_stage):
    result, _ = seed_stage
    from planner.report.summary import RUN_SERIES
    run = planner.simulate(result.scenario, paths=50, seed=5, keep=RUN_SERIES, by_segment=False)
    html = render_html(run, generated="2030-01-01")
    assert 'id="unit-economics"' not in html and "Generated by planner on 2030-01-01" in html
    assert "chart-unit_economics" not in html and "chart-arr_fan" in html
    assert [kind for kind, _, _ in chart_images(run)] == ["arr_fan", "cash_fan", "mrr_bridge", "cohort_layers", "retention",
                                                          "pnl", "headcount"]


def test_workbook_sheets_headers_and_values(written, seed_stage):
    from openpyxl import load_workbook

    result, comparison = seed_stage
    wb = load_workbook(written[1])
    assert wb.sheetnames == ["Summary", "P&L P50 case", "Cash & balance P50 case", "P&L P10 case",
                             "Cash & balance P10 case", "P&L P90 case", "Cash & balance P90 case", "Ranges", "Assumptions", "As typed", "Segments",
                             "Unit economics", "Cohorts", "Logo retention", "Plan comparison",
                             "Funding", "What drives the range"]
    ranges = wb["Ranges"]
    header = [c.value for c in ranges[4]]
    assert header[0] == "USD" and header[1] == dt.datetime(2027, 1, 1) and ranges["B4"].number_format == "mmm yyyy"
    assert ranges.freeze_panes == "B5"
    rows = {r[0].value.strip(): [c.value for c in r] for r in ranges.iter_rows(min_row=5, max_row=8)}
    assert list(rows) == ["ARR", "P10", "P50", "P90"]
    arr = result.quantiles("arr", (0.1, 0.5, 0.9))
    month = 35 + 35 // 12  # month 35, after the year-total columns of the years before it
    assert [rows[q][1 + month] for q in ("P10", "P50", "P90")] == pytest.approx(arr[:, 35].tolist())
    assert ranges["B6"].number_format.startswith('"$"#,##0')
    assumptions = wb["Assumptions"]
    assert [c.value for c in assumptions[1]] == ["Section", "Input", "Value", "Distribution", "P10", "P50", "P90"]
    cac = next(r for r in assumptions.iter_rows(values_only=True) if r[3] == "lognormal(median=420, p90=650)")
    assert cac[5] == pytest.approx(420)
    plans = wb["Plan comparison"]
    assert [c.value for c in plans[1]][1:] == [r["plan"] for r in comparison.rows]
    out_row = next(r for r in plans.iter_rows(values_only=True) if r[0] == "Cash runs out by the horizon")
    assert list(out_row[1:]) == pytest.approx([r["cash_out_by_horizon"] for r in comparison.rows])
    ue = wb["Unit economics"]
    rows = list(ue.iter_rows(values_only=True))
    assert rows[0][:4] == ("Scope", "Metric", "Unit", "FY2027 P10")
    # one verdict a question: the cohort payback has one, the formula's none
    payback = next(r for r in rows if r[0] == "blended" and r[1] == "CAC payback (cohort)")
    assert payback[-1] in ("excellent", "good", "slow", "problematic")
    formula = next(r for r in rows if r[0] == "blended" and r[1] == "CAC payback (formula)")
    assert formula[-1] in (None, "") and formula[-2] in (None, "")
    cohorts = wb["Cohorts"]
    assert cohorts["A2"].value == dt.datetime(2027, 1, 1) and cohorts.cell(row=2, column=7).value == pytest.approx(1.0)


def test_report_command(tmp_path):
    from planner.cli import main
    from planner.cli.report import chart_command, report_command

    main.add_command(chart_command, "chart")
    main.add_command(report_command, "report")
    runner = CliRunner()
    out = tmp_path / "out"
    scenario = str(ROOT / "scenarios" / "seed_selfserve_smb.yaml")
    res = runner.invoke(main, ["report", scenario, "--paths", "60", "--out", str(out), "--no-workbook"])
    assert res.exit_code == 0, res.output
    assert res.output == f"Wrote {out / 'report.html'}\n"
    res = runner.invoke(main, ["chart", scenario, "--paths", "60", "--out", str(out), "--kind", "arr_fan",
                               "--kind", "plan_comparison", "--format", "svg"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["arr_fan.svg", "plan_comparison.svg", "report.html"]
    res = runner.invoke(main, ["chart", scenario, "--paths", "20", "--out", str(out), "--kind", "funnel"])
    assert res.exit_code == 1
    assert res.output.startswith("Error: this scenario has no funnel")
    res = runner.invoke(main, ["report", scenario, "--plan", "nope"])
    assert res.exit_code == 1 and "--plan: no funding plan named 'nope'" in res.output
    for command in ("chart", "report"):
        assert runner.invoke(main, [command, "--help"]).exit_code == 0


SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def bundled_run(request):
    from planner.run import run_scenario

    return run_scenario(planner.load_scenario(request.param), paths=200)


def test_executive_summary_answers_the_three_questions(bundled_run):
    from planner.analysis.funding_events import funding_events
    from planner.format import money, percent
    from planner.report.executive import QUESTIONS, executive_summary

    summary, result = bundled_run.summary, bundled_run.result
    events = [e.to_dict(result.months) for e in funding_events(result)]
    answers = dict(executive_summary(summary, events=events))
    assert list(answers) == list(QUESTIONS)
    where, cash, ue = answers.values()
    cur = summary["currency"]
    assert f"ARR reaches {money(summary['arr_end']['p50'], cur)} by {summary['end']}" in where
    assert money(summary["arr_end"]["p10"], cur) in where and money(summary["arr_end"]["p90"], cur) in where
    assert "breaks even" in where
    assert money(summary["cash_trough"]["p50"], cur) in cash
    out = summary["cash_out"]["probability"]
    if out > 0:
        assert f"Cash runs out on {percent(out)} of paths by {summary['end']}" in cash
    else:
        assert "Cash runs out on none of the 200 paths" in cash
    need = summary["funding"]["minimum_raise"]
    assert ("No extra money is needed" in cash) == (need["amount"] == 0)
    assert all(e["label"] in cash for e in events) and (events or "no funding events" in cash)
    blended = summary["unit_economics"]["scopes"]["blended"]["last_year"]
    assert summary["unit_economics"]["years"]["last_year"]["label"] in ue
    if isinstance(blended["ltv_to_cac_cohort"]["p50"], float):
        assert f"LTV:CAC of a simulated cohort {blended['ltv_to_cac_cohort']['p50']:.2f}x" in ue
    for text in answers.values():
        assert "None" not in text and "nan" not in text and "{" not in text


def test_the_seed_plan_says_cash_runs_out_on_a_third_of_paths():
    from planner.report.executive import money_answer
    from planner.run import run_scenario

    run = run_scenario(planner.load_scenario(ROOT / "scenarios" / "seed_selfserve_smb.yaml"), paths=400)
    out = run.summary["cash_out"]["probability"]
    assert 0.2 < out < 0.5
    text = " ".join(money_answer(run.summary))
    assert f"Cash runs out on {planner.format.percent(out)} of paths" in text and "within 12 months" in text
    # the ARR range counts the paths that ran out of cash as if they continued, and says so
    from planner.report.executive import where_it_goes
    from planner.analysis.stats import bands

    where = " ".join(where_it_goes(run.summary))
    assert f"count the {planner.format.percent(out)} of paths that run out of cash as if the business continued" \
        in where
    arr_end = run.result.total("arr")[:, -1]
    for q in ("p10", "p50", "p90"):
        assert run.summary["arr_end"][q] == pytest.approx(bands(arr_end)[q])
    dead = run.result.total("insolvent")[:, -1] > 0
    assert dead.any() and (arr_end[dead] > 0).all()   # not cut to zero


def test_yearly_pnl_is_the_p50_of_each_line_by_fiscal_year(seed_stage):
    from planner.analysis.periods import periods
    from planner.report.yearly import yearly_pnl

    result, _ = seed_stage
    pnl = yearly_pnl(result)
    lines = {line.key: line for line in pnl.lines}
    years = periods(result.months, "year")
    assert [y.label for y in pnl.years] == [y.label for y in years]
    revenue = np.stack([result.total("revenue")[:, y.first:y.last + 1].sum(axis=1) for y in years], axis=1)
    gross = np.stack([result.total("gross_profit")[:, y.first:y.last + 1].sum(axis=1) for y in years], axis=1)
    assert lines["revenue"].values == pytest.approx(np.median(revenue, axis=0).tolist())
    assert lines["gross_margin"].values == pytest.approx(np.median(gross / revenue, axis=0).tolist())
    assert lines["revenue_growth"].values[0] is None
    assert lines["revenue_growth"].values[1] == pytest.approx(np.median(revenue[:, 1] / revenue[:, 0] - 1))
    assert lines["cash"].values == pytest.approx([np.median(result.total("cash")[:, y.last]) for y in years])
    assert lines["revenue_range"].values[0] == pytest.approx(tuple(np.quantile(revenue[:, 0], (0.1, 0.9))))
    assert [k for k in lines if k in ("gross_profit", "opex", "ebitda", "ebitda_margin")] == [
        "gross_profit", "opex", "ebitda", "ebitda_margin"]
    shifted = yearly_pnl(result, fiscal_year_start=4)   # the plan starts in January: a 3-month first year
    assert shifted.years[0].title.endswith("(3 months)")
    growth = next(line for line in shifted.lines if line.key == "revenue_growth")
    assert growth.values[:2] == [None, None] and growth.values[2] is not None


def test_warnings_box_holds_only_warnings(written):
    html = written[0].read_text(encoding="utf-8")
    warnings = html[html.index('<div class="warnings"'):]
    warnings = warnings[:warnings.index("</div>")]
    notes = html[html.index('<div class="notes"'):]
    notes = notes[:notes.index("</div>")]
    assert "Cash runs out on" in warnings and "no go-to-market funnel" not in warnings
    assert "no go-to-market funnel" in notes
    assert html.index('id="summary"') < html.index('id="warnings"') < html.index('id="headline"')


def test_notices_have_levels(seed_stage):
    from planner.report.content import Notice, report_notices

    result, _ = seed_stage
    notices = report_notices(result, summarise(result), None)
    levels = {n.text.split(" ")[0]: n.level for n in notices}
    assert levels["Cash"] == "warning" and levels["Unit"] == "info" and levels["The"] == "info"
    assert [n.level for n in notices] == sorted((n.level for n in notices), key=("warning", "info").index)
    with pytest.raises(ValueError):
        Notice("note", "x")
    sampled = summarise(result) | {"sampling": {"method": "latin_hypercube", "correlations": []}}
    notes = [n for n in report_notices(result, sampled, None) if n.text.startswith("Sampling: Latin hypercube")]
    assert [n.level for n in notes] == ["info"]


def test_captions_are_for_readers(seed_stage):
    from planner.report.content import CAPTIONS, png_size

    result, comparison = seed_stage
    for kind, caption, png in chart_images(result, comparison, kinds=("arr_fan", "headcount")):
        assert caption == CAPTIONS[kind] and "(takes" not in caption
        width, height = png_size(png)
        assert width > height > 0
    assert all(kind in CAPTIONS for kind in planner.charts.CHARTS)


def test_charts_are_shown_at_their_size_and_open_full_size(written):
    html = written[0].read_text(encoding="utf-8")
    figure = re.search(r'<figure id="chart-arr_fan"><a class="zoom" href="#chart-arr_fan"[^>]*><img [^>]*'
                       r'width="(\d+)" height="(\d+)"></a><a class="close" href="#charts">', html)
    assert figure and 900 <= int(figure.group(1)) <= 1000       # a 10-inch chart at 96 CSS px an inch
    assert "@media print" in html and "break-before: page" in html and "@page" in html


def test_events_sentence_tells_dated_triggered_and_missed_events():
    from planner.report.executive import events_sentence

    dated = {"label": "Series B (equity)", "amount": 30e6, "month": "2028-07", "months": ["2028-07"] * 3,
             "trigger": None, "probability": 1.0, "pre_money": 120e6, "dilution": 0.2}
    triggered = {"label": "Growth (equity on an ARR milestone)", "amount": 20e6, "month": None,
                 "months": ["2029-03", "2029-09", "2030-02"], "trigger": "ARR >= $15.0M, 2029-01 to 2030-06",
                 "probability": 0.62, "pre_money": None, "dilution": None}
    missed = triggered | {"label": "Bridge (equity when runway is short)", "months": None, "probability": 0.0,
                          "trigger": "runway below 6 months"}
    text = events_sentence([dated, triggered, missed], "USD")
    assert text.startswith("Funding events: Series B (equity), $30.0M in 2028-07, at $120M pre-money, dilution 20.0% (P50)")
    assert ("Growth (equity on an ARR milestone), $20.0M when ARR >= $15.0M, 2029-01 to 2030-06: on 62.0% of "
            "paths, in 2029-09 at the P50 (2029-03 to 2030-02)") in text
    assert "Bridge (equity when runway is short), $20.0M when runway below 6 months: on no path" in text
    assert events_sentence([], "USD") == "The plan has no funding events."


def test_funding_needs_list_the_plans_events(bundled_run, tmp_path):
    from planner.report.html import funding_section

    summary = bundled_run.summary
    section = funding_section(summary, summary["funding_events"])
    assert '<table class="funding-events">' in section
    assert all(planner.format.money(e["amount"], summary["currency"]) in section for e in summary["funding_events"])
    assert (not summary["funding_events"]) == ("No funding events" in section)
    assert "funding-events" not in funding_section(summary)


def test_unit_economics_html_one_verdict_a_question():
    from planner.report.html import unit_economics_section
    from planner.report.unit_economics import unit_economics_summary

    sc = planner.load_scenario(ROOT / "scenarios" / "series_a_midmarket.yaml")
    ue = unit_economics_summary(planner.simulate(sc, paths=200, seed=3))
    html = unit_economics_section(ue, "USD")
    tables = {m.group(1): m.group(2) for m in re.finditer(r"<h3>([^<]+)</h3>(<table.*?</table>)", html)}
    assert list(tables) == ["Blended (company)", "Segment smb", "Segment midmarket", "Segment enterprise"]

    def rows(table):
        return {re.sub("<[^>]+>", "", r.split("</td>")[0]): r for r in table.split("<tr>")[2:]}

    for title, table in tables.items():
        main, _, formula = table.partition("no verdict")
        assert formula, title                                   # the formula rows come last
        assert 'class="verdict' not in formula                  # ... and carry no verdict
        assert main.count("LTV:CAC, cohort") == 1 and 'class="verdict' in rows(main)["LTV:CAC, cohort"]
    # the blend of capped LTVs has no uncapped LTV and no lifetime
    assert "LTV, uncapped" not in tables["Blended (company)"] and "lifetime" not in tables["Blended (company)"]
    uncapped = rows(tables["Segment midmarket"])["LTV, uncapped"]
    assert re.search(r"implies a \d+\.\d-year customer lifetime", uncapped)
    assert "LTV, capped 60 months" in tables["Segment midmarket"]
    # no burn in the last year: n/a, no badge saying otherwise
    burn = rows(tables["Blended (company)"])["Burn multiple"]
    last = ue["scopes"]["blended"]["last_year"]["burn_multiple"]
    assert last["p50"] == 0 and last["verdict"] == "n/a" and last["level"] == "none"
    assert "n/a (no burn)" in burn and "amazing" not in burn


def test_executive_unit_economics_names_the_formula_when_it_falls_back():
    from planner.report.executive import unit_economics_answer

    def scope(cohort: bool) -> dict:
        ratio = {"p50": 4.2, "unit": "ratio", "verdict": "excellent", "level": "good"}
        last = {"ltv_to_cac": {"p50": 3.0, "unit": "ratio"},
                "cac_payback": {"p50": 14.0, "unit": "months"}}
        if cohort:
            last["ltv_to_cac_cohort"] = ratio
        return {"last_year": last}

    ue = {"years": {"last_year": {"label": "FY2031"}}, "scopes": {"blended": scope(True), "a": scope(False)}}
    text = unit_economics_answer(ue, "USD")[0]
    assert "LTV:CAC of a simulated cohort 4.20x, excellent" in text
    assert "CAC payback by the formula (no cohort value) 14" in text
