"""``planner watch``: one re-run after a save (rerun), a real watcher thread, the command."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from planner.io import read_manifest
from planner.watch import HEADLINES, WatchState, change_text, headline_numbers, rerun, watch
from tests.test_cli import SMALL as CLI_SMALL

ROOT = Path(__file__).resolve().parent.parent

#: the CLI tests' small scenario, with more paths
SMALL = CLI_SMALL.replace("paths: 20", "paths: 40")


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(SMALL)
    return path


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_first_run_writes_the_outputs_and_prints_the_headline(scenario, tmp_path):
    out = tmp_path / "out"
    state, text = rerun(scenario, None, out_dir=out, charts=False, report=False)
    assert isinstance(state, WatchState) and state.runs == 1 and state.seed == 7 and state.paths == 40
    assert text.splitlines()[0] == "tiny: 40 paths, seed 7"
    assert len(text.splitlines()) == 1 + len(HEADLINES)
    assert {p.name for p in state.files} == {"projection.csv", "unit_economics.csv", "summary.json",
                                            "manifest.json"}
    assert state.headline == headline_numbers(state.summary)
    assert state.headline["arr_end"] > 0


def test_an_edit_shows_its_change_on_the_same_draws(scenario, tmp_path):
    out = tmp_path / "out"
    first, _ = rerun(scenario, None, out_dir=out, charts=False, report=False)
    same, text = rerun(scenario, first, out_dir=out, charts=False, report=False)
    assert "the same draws as the previous run" in text
    assert same.headline == first.headline  # same file, same draws: nothing moves
    assert text.count("unchanged") >= 4
    scenario.write_text(SMALL.replace("cash: 1000000", "cash: 1500000"))
    edited, text = rerun(scenario, same, out_dir=out, charts=False, report=False)
    assert edited.runs == 3
    lines = {line[:34].strip(): line for line in text.splitlines()[2:]}
    # 500K more opening cash on the same draws: the trough rises by exactly that, ARR does not move
    assert edited.headline["cash_trough"] - same.headline["cash_trough"] == pytest.approx(500_000)
    assert lines["Cash trough, P50"].endswith("+$500K (" + f"{500_000 / abs(same.headline['cash_trough']):+.1%})")
    assert lines["ARR at the end, P50"].endswith("unchanged")


def test_a_broken_save_prints_its_problems_and_keeps_the_last_good_outputs(scenario, tmp_path):
    out = tmp_path / "out"
    good, _ = rerun(scenario, None, out_dir=out, charts=False, report=False)
    before = _contents(out)
    scenario.write_text(SMALL.replace("arpa: 100", "arpa: -100"))
    kept, text = rerun(scenario, good, out_dir=out, charts=False, report=False)
    assert kept is good
    lines = text.splitlines()
    assert lines[0] == f"{scenario}:9: segments.smb.price.arpa: must be >= 0 (got -100)"
    assert lines[-1] == "1 problem found; the last good outputs are kept; fix the file and save again"
    assert _contents(out) == before
    scenario.write_text("name: [unclosed\n")
    kept, text = rerun(scenario, good, out_dir=out, charts=False, report=False)
    assert kept is good and text.startswith(f"{scenario}:") and _contents(out) == before


def test_the_report_is_rewritten_and_listed_in_the_manifest(scenario, tmp_path):
    out = tmp_path / "out"
    state, _ = rerun(scenario, None, out_dir=out, charts=False, report=True)
    assert (out / "report.html").exists()
    manifest = read_manifest(out)
    assert "report.html" in manifest["files"] and manifest["changed"] == []


def test_change_text_says_when_the_draws_differ():
    summary = {"scenario": "s", "paths": 100, "seed": 1, "currency": "USD",
               "arr_end": {"p50": 2e6}, "cash_trough": {"p50": -1e5}, "cash_end": {"p50": 0.0},
               "cash_out": {"probability": 0.25}}
    previous = WatchState(summary | {"seed": 2}, headline_numbers(summary | {"arr_end": {"p50": 1e6}}),
                          seed=2, paths=100)
    text = change_text(summary, previous)
    assert "not the previous run's draws (100 paths, seed 2)" in text
    arr = next(line for line in text.splitlines() if "ARR" in line)
    assert arr.split()[-2:] == ["+$1.0M", "(+100.0%)"]
    runway = next(line for line in text.splitlines() if "Runway" in line)
    assert runway.split()[-2:] == ["n/a", "n/a"]


def test_a_real_watcher_reruns_after_a_save(scenario, tmp_path):
    out = tmp_path / "out"
    runs, stop = [], threading.Event()

    def on_run(state, text, wrote):
        runs.append((state, text, wrote))
        if len(runs) >= 2:
            stop.set()

    thread = threading.Thread(target=watch, args=(scenario,), daemon=True, kwargs=dict(
        on_run=on_run, stop_event=stop, debounce_ms=50, out_dir=out, charts=False, report=False))
    thread.start()
    deadline = time.monotonic() + 60
    while not runs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runs, "the first run did not finish"
    # saved again until the watcher, which starts after the first run, has seen a save
    # (on a busy machine it may not be watching yet when the first save lands)
    while len(runs) < 2 and time.monotonic() < deadline:
        scenario.write_text(SMALL.replace("cash: 1000000", "cash: 2000000"))
        for _ in range(20):
            if len(runs) >= 2:
                break
            time.sleep(0.05)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert len(runs) >= 2, [t for _, t, _ in runs]
    (first, _, wrote_first), (second, text, wrote_second) = runs[:2]
    assert wrote_first and wrote_second and second.runs == 2
    assert second.headline["cash_trough"] - first.headline["cash_trough"] == pytest.approx(1_000_000)
    assert "+$1.0M" in text


def test_the_command_runs_once_in_a_subprocess(scenario, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "planner", "watch", str(scenario), "--once",
                             "--no-charts", "--no-report", "--out", str(out)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "tiny: 40 paths, seed 7"
    assert lines[-1] == f"Wrote 4 files to {out}{os.sep} (listed in manifest.json)"
    assert "Watching" not in result.stderr


def test_an_unwritable_output_folder_says_so_and_claims_no_outputs(scenario, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    seen = []
    state = watch(scenario, on_run=lambda st, text, wrote: seen.append((st, text, wrote)), max_runs=1,
                  out_dir=blocker / "out", charts=False, report=False)
    assert state is None
    [(st, text, wrote)] = seen
    assert st is None and not wrote
    assert text.startswith("Error: cannot write the outputs to ") and str(blocker) in text
    assert "last good outputs are kept" not in text and "no complete outputs were written" in text


def test_once_exits_non_zero_when_the_first_run_fails(scenario, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "planner", "watch", str(scenario), "--once",
                             "--no-charts", "--no-report", "--out", str(blocker / "out")], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Error: cannot write the outputs to" in result.stdout
    assert "last good outputs are kept" not in result.stdout + result.stderr
