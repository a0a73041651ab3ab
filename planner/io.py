"""Atomic file output: write to a temporary file beside the target, then rename."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open ``path`` for writing so that readers never see a half-written file.

    The data goes to a temporary file in the same directory, which replaces ``path``
    with :func:`os.replace` only when the block exits without an exception.

    Parameters
    ----------
    path : path-like
        Final file path; its directory is created if missing.
    mode : {"w", "wb"}
        Text or binary mode.
    **kwargs
        Passed to :func:`open` (e.g. ``newline=""`` for CSV, ``encoding``).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; outputs are ordinary files
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
