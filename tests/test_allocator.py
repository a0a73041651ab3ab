"""The planner command keeps freed pages for reuse (glibc's mallopt), and leaves a user's
own allocator settings alone."""
import platform
import subprocess
import sys

import pytest

from planner.cli import allocator


@pytest.mark.parametrize("name, value", [("MALLOC_MMAP_THRESHOLD_", "131072"),
                                         ("MALLOC_TRIM_THRESHOLD_", "0"),
                                         ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0")])
def test_a_users_own_settings_stand(name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    assert allocator.keep_freed_pages() is False


@pytest.mark.parametrize("platform_name", ["win32", "darwin"])
def test_nothing_is_tried_off_linux(platform_name, monkeypatch):
    def no_call(*args):
        raise AssertionError("ctypes.CDLL must not be called off Linux")

    monkeypatch.setattr(allocator.sys, "platform", platform_name)
    monkeypatch.setattr(allocator.ctypes, "CDLL", no_call)
    assert allocator.keep_freed_pages() is False


@pytest.mark.parametrize("error", [OSError, AttributeError, TypeError])
def test_a_c_library_without_mallopt_is_no_error(error, monkeypatch):
    def fails(*args):
        raise error("no C library here")

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(allocator.sys, "platform", "linux")
    monkeypatch.setattr(allocator.ctypes, "CDLL", fails)
    assert allocator.keep_freed_pages() is False


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="mallopt's parameters are glibc's")
def test_glibc_takes_both_settings(monkeypatch):
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
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
