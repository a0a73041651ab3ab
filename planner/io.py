"""File output: atomic writes (a temporary file beside the target, then a rename), an
early check that a folder can be written, and a manifest tying a run's files together.

Writes are atomic but not durable by default: no ``fsync``. The rename already means a
reader, or a run interrupted at any point, never sees a half-written file; ``fsync``
only adds survival of a power loss or kernel crash, at a cost of up to half a second a
file on a busy disk (nine files: 4.2 s of a 9 s run). Every file planner writes can be
written again from the scenario and seed, and after such a crash
:func:`read_manifest` names any file whose content no longer matches its run. A caller
writing something that cannot be regenerated passes ``durable=True``.
"""
from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterable, Iterator

#: name of the manifest a run writes into its output folder
MANIFEST = "manifest.json"


def _folder_error(err: OSError, folder: Path) -> OSError:
    """The same error, naming the folder (not a temporary file the user never asked for)."""
    return OSError(err.errno, err.strerror or str(err), str(folder))


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", *, durable: bool = False,
                **kwargs) -> Iterator[IO]:
    """Open ``path`` for writing so that readers never see a half-written file.

    The data goes to a temporary file in the same directory, which replaces ``path``
    with :func:`os.replace` only when the block exits without an exception. The
    temporary file is created inside the block that removes it, so an interruption
    (Ctrl-C) at any point leaves no ``.tmp`` behind.

    Parameters
    ----------
    path : path-like
        Final file path; its directory is created if missing.
    mode : {"w", "wb"}
        Text or binary mode.
    durable : bool
        Also ``fsync`` the file before the rename and its folder after, so the new
        content survives a power loss (slow on a busy disk; see the module notes).
    **kwargs
        Passed to :func:`open` (e.g. ``newline=""`` for CSV, ``encoding``).

    Raises
    ------
    OSError
        When the folder cannot be created or written, naming the folder.
    """
    target = Path(path)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    tmp = None
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as err:
            raise _folder_error(err, target.parent) from None
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; outputs are ordinary files
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, target)
        if durable:
            _sync_folder(target.parent)
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise


def _sync_folder(folder: Path) -> None:
    """``fsync`` a folder, so a rename into it is on disk (where the OS allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open a folder
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - a file system without folder fsync
        pass
    finally:
        os.close(fd)


def write_text(path: str | os.PathLike, text: str, *, durable: bool = False) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8); ``durable``: see :func:`atomic_open`."""
    with atomic_open(path, "w", durable=durable) as fh:
        fh.write(text)


def write_bytes(path: str | os.PathLike, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` atomically; ``durable``: see :func:`atomic_open`."""
    with atomic_open(path, "wb", durable=durable) as fh:
        fh.write(data)


def check_writable(folder: str | os.PathLike) -> Path:
    """Make sure ``folder`` can hold a run's files, before any work is done.

    Creates the folder if missing, checks that no part of its name is longer than the
    file system allows (with room for the longest temporary file name), and writes and
    removes a probe file in it.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    OSError
        Naming the folder: a name too long, no permission, a read-only file system, ...
    """
    folder = Path(folder)
    limit = _name_max(folder)
    for part in folder.parts:
        if len(os.fsencode(part)) > limit:
            raise OSError(errno.ENAMETOOLONG, f"a part of the folder name is longer than the "
                                              f"{limit} bytes the file system allows", str(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".planner-probe.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise _folder_error(err, folder) from None
    return folder


def _name_max(folder: Path) -> int:
    """Longest file name (bytes) the file system of ``folder`` (or its nearest existing
    ancestor) allows."""
    probe = folder.absolute()
    while not _exists(probe) and probe != probe.parent:
        probe = probe.parent
    try:
        return int(os.pathconf(probe, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not POSIX
        return 255


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long, a part that is a file, ...
        return False


def file_hash(path: str | os.PathLike) -> str:
    """SHA-256 of a file's content, as ``sha256:<hex>``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def write_manifest(folder: str | os.PathLike, seed: int, scenario_source: str,
                   files: Iterable[str | os.PathLike]) -> Path:
    """Write ``manifest.json``: which run produced each file in ``folder``.

    A re-run that is interrupted can leave new files next to an older run's; the
    manifest (written last, atomically) lists the files of one run with their content
    hashes, so a reader can tell which files belong together and that none changed.

    Parameters
    ----------
    folder : path-like
        The run's output folder.
    seed : int
        The run's seed.
    scenario_source : str
        The scenario file (its content hash is recorded when it is a readable file).
    files : iterable of path-like
        The files the run wrote (inside ``folder``).

    Returns
    -------
    Path
        The manifest's path.
    """
    folder = Path(folder)
    source = Path(scenario_source)
    entries = {}
    for f in files:
        path = Path(f)
        name = path.name if path.parent.resolve() == folder.resolve() else str(path)
        entries[name] = {"sha256": file_hash(path)[len("sha256:"):], "bytes": path.stat().st_size}
    manifest = {
        "seed": int(seed),
        "scenario": {"source": str(scenario_source),
                     "sha256": file_hash(source)[len("sha256:"):] if source.is_file() else None},
        "written": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "files": dict(sorted(entries.items())),
    }
    target = folder / MANIFEST
    write_text(target, json.dumps(manifest, indent=2) + "\n")
    return target


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest of ``folder`` and, under ``"changed"``, the files whose content no
    longer matches it (missing files included)."""
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    changed = [name for name, entry in manifest["files"].items()
               if not (folder / name).is_file()
               or file_hash(folder / name) != "sha256:" + entry["sha256"]]
    return manifest | {"changed": changed}
