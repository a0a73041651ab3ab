"""The HTML report in a real browser: Debian's headless ``chromium``, driven over the
DevTools protocol on a pipe (``--remote-debugging-pipe``: no port, no websocket library).

One report of the default scenario is built for the module; the page is loaded once
and printed to PDF on A4 and on Letter paper. Checked: no console error or exception,
every image decoded (``naturalWidth > 0``), a chart opens full size when clicked (its
figure the URL's target), and each print is at most 12 pages with the executive summary
on the first. Skipped, saying why, where chromium is not installed.
"""
from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import planner
from planner.report import write_report
from planner.run import run_scenario

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: paper sizes in inches
PAPER = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}
MAX_PAGES = 12

pytestmark = pytest.mark.skipif(CHROMIUM is None,
                                reason="chromium is not installed (Debian: apt-get install -y chromium)")


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
                events.remove(event)
                return event
        while True:
            event = read_message()
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            events.append(event)

    return send, wait_for, events


class Page:
    """One tab of a headless Chromium: ``goto(url)``, ``evaluate(js)``, ``pdf(paper)``, ``errors()``."""

    def __init__(self, send, wait_for, events, session):
        self._send, self._wait_for, self._events, self.session = send, wait_for, events, session

    def goto(self, url: str) -> None:
        self._send("Page.navigate", {"url": url}, self.session)
        self._wait_for("Page.loadEventFired", self.session)

    def evaluate(self, expression: str):
        reply = self._send("Runtime.evaluate", {"returnByValue": True, "expression": expression}, self.session)
        if "exceptionDetails" in reply:
            raise RuntimeError(json.dumps(reply["exceptionDetails"])[:500])
        return reply["result"].get("value")  # undefined has none

    def pdf(self, paper: str) -> bytes:
        width, height = PAPER[paper]
        reply = self._send("Page.printToPDF", {"paperWidth": width, "paperHeight": height, "printBackground": True,
                                               "displayHeaderFooter": False}, self.session)
        return base64.b64decode(reply["data"])

    def errors(self) -> list[str]:
        return [json.dumps(e["params"])[:300] for e in self._events
                if e.get("method") == "Runtime.exceptionThrown"
                or (e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") in ("error", "assert"))
                or (e.get("method") == "Log.entryAdded" and e["params"]["entry"].get("level") == "error")]


@contextlib.contextmanager
def chromium_page(profile: Path, timeout: float = 90.0):
    """A :class:`Page` of a headless Chromium started for the ``with`` block, closed after it."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds():  # Chromium reads commands on fd 3 and writes replies on fd 4
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_chrome_r, from_chrome_w)]
        os.dup2(high[0], 3)
        os.dup2(high[1], 4)

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
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
        yield Page(send, wait_for, events, session)
        send("Browser.close")
    finally:
        for fd in (to_chrome_w, from_chrome_r):
            os.close(fd)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def open_in_chromium(path: Path, tmp_path: Path, timeout: float = 90.0) -> tuple[dict, list[str]]:
    """Load ``path`` in headless Chromium; returns the page's image check (``images``,
    ``loaded``, ``height``, ``title``) and its console errors."""
    with chromium_page(tmp_path / "chromium-profile", timeout) as page:
        page.goto(path.resolve().as_uri())
        check = page.evaluate("""({
            images: document.images.length,
            loaded: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
            height: document.body.scrollHeight,
            title: document.title})""")
        return check, page.errors()


def page_count(pdf: bytes) -> int:
    """Pages of a PDF: its ``/Type /Page`` objects (Chromium writes them uncompressed)."""
    assert pdf[:5] == b"%PDF-"
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The default scenario's report (as ``planner report`` writes it), loaded in Chromium:
    (what the page says about itself, console errors, PDF bytes by paper, the report's path)."""
    out = tmp_path_factory.mktemp("browser")
    sc = planner.load_scenario(ROOT / "scenarios" / "series_a_midmarket.yaml")
    html = write_report(run_scenario(sc, paths=400), out, workbook=False)[0]
    with chromium_page(out / "profile") as page:
        page.goto(html.as_uri())
        check = page.evaluate("""({
            images: document.images.length,
            loaded: Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length,
            overflowing: Array.from(document.images).filter(i => i.getBoundingClientRect().width
                                                             > i.closest('body').clientWidth).length,
            title: document.title})""")
        pdfs = {paper: page.pdf(paper) for paper in PAPER}
        page.evaluate("document.querySelector('#chart-arr_fan a.zoom').click()")  # same page: no load event
        zoomed = page.evaluate("""(() => { const f = document.getElementById('chart-arr_fan');
            const img = f.querySelector('img');
            return {position: getComputedStyle(f).position, shown: img.clientWidth,
                    natural: img.naturalWidth}; })()""")
        errors = page.errors()
    return check | {"zoomed": zoomed}, errors, pdfs, html


def test_no_console_errors_and_every_image_loads(loaded):
    check, errors, _, _ = loaded
    assert errors == []
    assert check["images"] >= 9 and check["loaded"] == check["images"]   # 8 charts + tornado and Sobol
    assert check["overflowing"] == 0                                       # no image wider than the page
    assert check["title"] == "series-a-midmarket: plan one_round"


def test_a_chart_opens_full_size(loaded):
    zoomed = loaded[0]["zoomed"]
    assert zoomed["position"] == "fixed" and zoomed["shown"] == pytest.approx(zoomed["natural"], abs=1)


@pytest.mark.parametrize("paper", PAPER)
def test_prints_in_at_most_12_pages(loaded, paper, tmp_path):
    pdf = loaded[2][paper]
    pages = page_count(pdf)
    assert 4 <= pages <= MAX_PAGES, f"{pages} pages on {paper}"
    if shutil.which("pdftotext"):  # poppler: the first page holds the summary, not only the title
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True,
                               text=True, check=True).stdout
        assert "Executive summary" in first and "Headline numbers" in first
