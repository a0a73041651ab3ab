"""The board report: assumptions, the self-contained HTML (opened in headless Chromium) and the workbook.

The browser test drives Debian's ``chromium`` over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: no port, no websocket library): it loads the report,
collects console errors and exceptions, and asks the page whether every image loaded.
It is skipped, saying why, where chromium is not installed.
"""
from __future__ import annotations

import base64
import datetime as dt
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.report import assumption_rows, chart_images, render_html, report_warnings, write_report
from planner.report.assumptions import format_quantile, format_value
from planner.report.summary import summarise

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml")) + sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


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


def _cdp(cmd_in, cmd_out, deadline):
    """A DevTools-protocol session over Chromium's pipe: send(method, params, session) -> result."""
    buffer = b""
    counter = [0]
    events = []

    def read_message():
        nonlocal buffer
        while b"\0" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([cmd_out], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(cmd_out, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            buffer += chunk
        message, buffer = buffer.split(b"\0", 1)
        return json.loads(message)

    def send(method, params=None, session=None):
        counter[0] += 1
        message = {"id": counter[0], "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(cmd_in, json.dumps(message).encode() + b"\0")
        while True:
            reply = read_message()
            if reply.get("id") == counter[0]:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            events.append(reply)

    def wait_for(method, session):
        for event in events:
            if event.get("method") == method and event.get("sessionId") == session:
                return event
        while True:
            event = read_message()
            events.append(event)
            if event.get("method") == method and event.get("sessionId") == session:
                return event

    return send, wait_for, events


def open_in_chromium(path: Path, tmp_path: Path, timeout: float = 60.0) -> tuple[dict, list[str]]:
    """Load ``path`` in headless Chromium; returns the page's image check and its console errors."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'chromium-profile'}", "--remote-debugging-pipe", "about:blank"]
    proc = subprocess.Popen([CHROMIUM, *flags], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=child_fds, pass_fds=(3, 4))
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    try:
        send, wait_for, events = _cdp(to_chrome_w, from_chrome_r, time.monotonic() + timeout)
        target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            send(f"{domain}.enable", session=session)
        send("Page.navigate", {"url": path.resolve().as_uri()}, session)
        wait_for("Page.loadEventFired", session)
        check = send("Runtime.evaluate", {"returnByValue": True, "expression": """({
            images: document.images.length,
            loaded: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
            height: document.body.scrollHeight,
            title: document.title})"""}, session)["result"]["value"]
        send("Browser.close")
    finally:
        for fd in (to_chrome_w, from_chrome_r):
            os.close(fd)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    errors = [json.dumps(e["params"])[:300] for e in events
              if e.get("method") == "Runtime.exceptionThrown"
              or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
              or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")]
    return check, errors


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium)")
def test_report_renders_in_chromium_with_every_image_loaded(written, tmp_path):
    check, errors = open_in_chromium(written[0], tmp_path)
    assert errors == []
    assert check["images"] == 11 and check["loaded"] == check["images"]  # 9 + tornado and Sobol
    assert check["height"] > 5000 and check["title"] == "seed-selfserve-smb: plan no_new_money"


def test_workbook_sheets_headers_and_values(written, seed_stage):
    from openpyxl import load_workbook

    result, comparison = seed_stage
    wb = load_workbook(written[1])
    assert wb.sheetnames == ["Summary", "P&L P50", "Cash & balance P50", "P&L P10", "Cash & balance P10",
                             "P&L P90", "Cash & balance P90", "Ranges", "Assumptions", "As typed", "Segments",
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
    payback = next(r for r in rows if r[0] == "blended" and r[1] == "CAC payback (formula)")
    assert payback[-1] in ("excellent", "good", "acceptable for enterprise", "problematic")
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
