"""Funding told in full: run headline, summary.json, HTML table and the workbook's Funding sheet."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

import planner
from planner.report.funding import funding_events_html, funding_events_text, write_funding_sheet
from planner.report.text import headline_text, run_text
from planner.run import run_scenario

SCENARIO = "scenarios/series_a_midmarket.yaml"


@pytest.fixture(scope="module")
def staged():
    return run_scenario(planner.load_scenario(SCENARIO), paths=300, plan="staged", detail_paths=100)


def test_summary_lists_every_event_with_dates(staged):
    events = staged.summary["funding_events"]
    json.dumps(staged.summary, allow_nan=False)
    assert [e["instrument"] for e in events] == ["equity", "milestone_equity"]
    b, c = events
    assert b["month"] == "2028-01" and b["probability"] == 1.0 and b["amount"] == 15e6
    assert c["month"] is None and c["trigger"] == "ARR >= $15.0M, 2029-01 to 2030-06"
    assert all("2029-01" <= m <= "2030-06" for m in c["months"])
    # the ownership after the plan is the product of what each event leaves
    kept = np.prod(staged.result.per_path["funding_kept"], axis=1)
    assert staged.summary["ownership_after"]["p50"] == pytest.approx(np.median(kept))
    assert b["dilution"] == pytest.approx(np.median(1 - staged.result.per_path["funding_kept"][:, 0]))
    # the dilution is amount / post-money plus the scenario's 5% option-pool top-up
    assert b["option_pool"] == pytest.approx(0.05)
    post = b["pre_money"] + b["amount"]
    assert b["dilution"] == pytest.approx(b["amount"] / post + 0.05, abs=0.01)


def test_headline_tells_the_funding_in_full(staged):
    text = headline_text(staged)
    assert "Funding plan: staged\n" in text  # no trailing colon after the name
    assert "Series B (equity), 2028-01: $15.0M at $" in text and "pre-money, dilution" in text
    assert "(incl. a 5.0% option-pool top-up)" in " ".join(text.split())
    c = staged.summary["funding_events"][1]
    one_line = " ".join(text.split())
    assert (f"Series C (equity on an ARR milestone), if ARR >= $15.0M, 2029-01 to 2030-06: on "
            f"{100 * c['probability']:.1f}% of paths, arriving {' / '.join(c['months'])} (P10 / P50 / P90)"
            ) in one_line
    assert "Existing holders own" in text
    assert "What drives the range" not in text and "Unit economics" not in text
    assert max(len(line) for line in text.splitlines()) <= 100
    full = run_text(staged)
    assert full.startswith(text.splitlines()[0]) and "What drives the range" in full
    assert max(len(line) for line in full.splitlines()) <= 100


def test_no_events_and_probability_wording():
    assert "No funding events" in funding_events_text([])
    event = {"label": "Rescue (equity when runway is short)", "instrument": "runway_equity",
             "amount": 2e6, "month": None, "trigger": "runway < 6 months", "probability": 0.0,
             "months": None, "pre_money": None, "dilution": None, "plan": "p"}
    text = funding_events_text([event])
    assert "if runway < 6 months: on 0.0% of paths; $2.0M." in " ".join(text.split())


def test_html_table_is_escaped_and_complete(staged):
    events = staged.summary["funding_events"]
    html = funding_events_html(events, "USD", staged.summary["ownership_after"])
    assert html.count("<tr>") == 1 + len(events)
    assert "if ARR &gt;= $15.0M" in html and "2028-01" in html and "Existing holders own" in html
    assert "(incl. a 5.0% option-pool top-up)</td>" in html
    assert "No funding events" in funding_events_html([])


def test_funding_sheet_numbers_and_dates(staged):
    from openpyxl import Workbook

    events = staged.summary["funding_events"]
    wb = Workbook()
    ws = wb.active
    write_funding_sheet(ws, events, "USD", staged.summary["ownership_after"])
    header = [c.value for c in ws[1]]
    assert header[:3] == ["Event", "Instrument", "Month"]
    b = [c.value for c in ws[2]]
    assert b[2] == dt.date(2028, 1, 1) and b[4] == 15e6 and b[7] == 1.0
    assert b[6] == pytest.approx(events[0]["dilution"])
    assert header[11].startswith("Option-pool top-up") and b[11] == pytest.approx(0.05)
    assert "option-pool top-up" in ws.cell(row=2, column=7).comment.text
    c = [c.value for c in ws[3]]
    assert c[2] is None and c[3].startswith("ARR >= $15.0M")
    assert c[8] <= c[9] <= c[10] and c[8] >= dt.date(2029, 1, 1)
    assert ws.cell(row=2, column=5).number_format.startswith('"$"')
    assert ws.page_setup.orientation == "landscape"


def test_one_segment_run_prints_one_table_in_100_columns():
    run = run_scenario(planner.load_scenario("tests/scenarios/cash_tight.yaml"), paths=60)
    text = run_text(run)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert len(lines) <= 48     # headline, drivers, one unit-economics table
    assert text.count("LTV, cohort 60 months") == 1 and "app (SMB, only segment)" in text
    assert "Segments," not in text and "S&M / revenue" not in text
    # no row repeats another: the capped formula LTV and LTV:CAC equal the cohort's here
    assert "LTV, capped" not in text and "LTV:CAC, capped" not in text
    # burn multiple without burn: n/a, no verdict
    burn = next(line for line in lines if line.startswith("  Burn multiple"))
    assert burn.rstrip().endswith("n/a (no burn)")
    detail = run_text(run, detail=True)
    assert "S&M / revenue" in detail and detail.count("LTV, cohort 60 months") == 1


def test_several_segments_one_line_each_unless_detail():
    run = run_scenario(planner.load_scenario(SCENARIO), paths=200, detail_paths=200)
    text = run_text(run)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert text.count("LTV, cohort 60 months") == 1 and "Segments, FY2031 P50" in text
    for segment in ("smb", "midmarket", "enterprise"):
        assert f"\n  {segment} " in text
    assert "SMB" in text and "too slow for SMB" in text   # smb's cohort payback ~19 months
    detail = run_text(run, detail=True)
    assert max(len(line) for line in detail.splitlines()) <= 100
    assert detail.count("LTV, cohort 60 months") == 4
    # the formula's lifetime is shown beside the uncapped LTV of a segment, never for the
    # blend (of capped LTVs); the enterprise formula LTV is unbounded, its discounted
    # value below its capped one
    midmarket = detail.split("  midmarket (")[1].split("  enterprise (")[0]
    uncapped = next(line for line in midmarket.splitlines() if line.startswith("  LTV, uncapped"))
    assert "implies a 30." in uncapped and "-year customer lifetime" in uncapped
    assert "LTV, uncapped" not in detail.split("  smb (")[0]
    # one verdict a question: no formula row of any table has a verdict
    for table in detail.split("Formula (ARPA")[1:]:
        rows = table.split("\n\n")[0].splitlines()[1:]
        assert not any(w in row for row in rows for w in ("excellent", "good", "problematic", "too slow"))
    enterprise = run.summary["unit_economics"]["scopes"]["enterprise"]["last_year"]["ltv"]["p50"]
    assert enterprise["unbounded"] and enterprise["discounted"] < enterprise["capped"]
