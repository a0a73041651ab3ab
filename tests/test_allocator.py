"""The planner command keeps freed pages for reuse (glibc's mallopt), and leaves a user's
own allocator settings alone."""
import platform
import subprocess
import sys

import pytest

from planner.cli import allocator


def test_a_users_thresholds_stand(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert allocator.keep_freed_pages() is False


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt's parameters are glibc's")
def test_glibc_takes_both_settings(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert allocator.keep_freed_pages() is True


CALLED_BY_ENTRY = """
import atexit, sys
import planner.cli.allocator as allocator
made = []
allocator.keep_freed_pages = lambda: made.append(True)
atexit.register(lambda: print("made" if made else "not made"))
sys.argv = ["planner", "--help"]
from planner.cli import entry
entry()
"""


def test_the_planner_command_makes_the_settings_before_it_runs():
    done = subprocess.run([sys.executable, "-c", CALLED_BY_ENTRY], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("made") and "not made" not in done.stdout
