"""The progress display: phases, counts, the estimate of time left, drawing only when asked."""
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

from planner.cli.progress import Progress, progress_for


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr("planner.cli.progress.time.monotonic", fake)
    return fake


def test_time_left_follows_the_counted_blocks_then_the_expected_phases(clock):
    shown = Progress(["simulate", "charts"], tty=False, expected={"simulate": 1.0, "charts": 4.0},
                     stream=io.StringIO())
    shown.stage("simulate")
    assert shown.remaining() == pytest.approx(1.0 + 4.0)
    clock.now += 2.0
    shown(1, 4)  # a quarter of the paths in 2 s: 6 s more of simulating
    assert shown.remaining() == pytest.approx(6.0 + 4.0)
    clock.now += 6.0
    shown.stage("charts")  # simulate took 8 s, 8x expected: the rest is expected 8x slower, capped at 5x
    assert shown.durations == {"simulate": pytest.approx(8.0)}
    assert shown.remaining() == pytest.approx(4.0 * 5.0)
    clock.now += 10.0
    assert shown.remaining() == pytest.approx(10.0)
    assert "charts (2/2) | 18.0 s elapsed | ~10.0 s left" in shown.line()
    clock.now += 20.0  # past what was expected: a tenth of the phase's time so far, not 0
    assert shown.remaining() == pytest.approx(3.0)
    shown.close()
    assert shown.remaining() == 0.0


def test_off_a_terminal_verbose_prints_a_line_per_phase(clock):
    out = io.StringIO()
    shown = Progress(["a", "b"], tty=False, verbose=True, expected={}, stream=out)
    shown.stage("a")
    clock.now += 1.5
    shown(3, 3)
    shown.stage("b")
    clock.now += 0.3
    shown.close()
    assert out.getvalue().splitlines() == ["  a: 1.5 s", "  b: 0.3 s", "  done in 1.8 s"]


def test_on_a_terminal_one_line_is_redrawn_and_cleared(clock):
    out = io.StringIO()
    shown = Progress(["simulate"], tty=True, stream=out)
    shown.stage("simulate")
    shown(500, 2000)
    shown.close()
    text = out.getvalue()
    assert "\n" not in text
    assert "\r  simulate 500/2,000 | " in text
    assert text.endswith("\r")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_for_shows_on_a_terminal_or_with_verbose_only():
    assert progress_for([], stream=io.StringIO()) is None
    assert progress_for([], stream=Terminal(), quiet=True) is None
    terminal = progress_for([], stream=Terminal())
    assert terminal is not None and terminal.tty
    terminal.close()
    verbose = progress_for([], stream=io.StringIO(), verbose=True)
    assert verbose is not None and not verbose.tty
    verbose.close()


def test_run_scenario_reports_its_phases_to_a_hook():
    import planner
    from planner.run import run_scenario, write_outputs

    class Hook:
        def __init__(self):
            self.events = []

        def stage(self, name):
            self.events.append(name)

        def __call__(self, done, total):
            self.events.append((done, total))

    hook = Hook()
    sc = planner.load_scenario(ROOT / "scenarios" / "seed_selfserve_smb.yaml")
    run = run_scenario(sc, paths=50, progress=hook, with_comparison=True)
    assert hook.events[0] == "simulate" and hook.events[1] == (50, 50)
    assert hook.events[2:] == ["unit economics", "comparison"]
    del hook.events[:]
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        write_outputs(run, out, charts=False, progress=hook)
    assert hook.events == ["tables", "files"]
