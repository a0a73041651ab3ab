"""What a process forked from ``planner`` (a stream worker, the chart helper) does first.

A fork copies only the forking thread, but every lock in memory as it was at that
instant: a lock another thread held then stays held in the child for good. The one a
worker is sure to take is that of ``sys.stderr`` (and ``sys.stdout``): every process
flushes them as it exits, and the parent's progress display writes to stderr four times
a second. So a forked worker starts with stream objects of its own.
"""
from __future__ import annotations

import os
import sys


def own_std_streams() -> None:
    """New ``sys.stdout`` and ``sys.stderr`` objects on file descriptors 1 and 2 (line
    buffered; characters the terminal cannot show are escaped, not an error)."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        try:
            stream = open(fd, "w", buffering=1, closefd=False, errors="backslashreplace")
        except OSError:  # no such descriptor: nothing a worker writes is lost
            stream = open(os.devnull, "w")
        setattr(sys, name, stream)
