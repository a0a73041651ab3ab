"""The C allocator's settings for a ``planner`` process: keep freed pages for reuse.

The engine allocates and frees many temporaries of 0.1-2 MB per 1,024-path block. glibc
serves each one above its mmap threshold (dynamic, starting at 128 KiB) with a fresh
``mmap`` and returns it with ``munmap`` on free, so every block faults the same pages in
again (10-20% of the engine's time was in the kernel). Raising the mmap threshold to its
maximum and the trim threshold well above one block's working set lets freed memory be
reused from the heap instead.

These are process-wide settings, so the library never makes them: the ``planner``
command does, for its own process, before any command runs (``planner.cli.entry``).
Elsewhere (a notebook, a service) the same can be had with the environment variables
``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_``.
"""
from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameters, from glibc's <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 2**20  #: bytes; glibc's upper limit on 64-bit systems
TRIM_THRESHOLD = 128 * 2**20  #: bytes of free memory at the heap's top kept, not returned


def keep_freed_pages() -> bool:
    """Ask glibc to reuse freed blocks of up to 32 MiB instead of unmapping them.

    Does nothing off Linux, where the C library has no ``mallopt`` (musl's ignores it),
    or where the user has set either threshold or any malloc tunable in the environment
    (their choice stands).

    Returns
    -------
    bool
        True if both settings were made.
    """
    if not sys.platform.startswith("linux") or _users_own_settings(os.environ):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no C library to open, or no mallopt in it
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def _users_own_settings(environ) -> bool:
    """Whether the environment already sets glibc's malloc thresholds or tunables."""
    return ("MALLOC_MMAP_THRESHOLD_" in environ or "MALLOC_TRIM_THRESHOLD_" in environ
            or "glibc.malloc." in environ.get("GLIBC_TUNABLES", ""))
