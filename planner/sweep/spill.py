"""Series kept on disk, read one at a time: the monthly sample of a streamed run.

A streamed run's sample holds every kept series for some 50,000 paths, about 48 MB a
series at 120 months. Held in memory together they were most of a million-path run's
peak; spilled to temporary files as the chunks arrive, the peak is the one or two series
being read. The bytes written are the bytes read back: the numbers are unchanged.
"""
from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

#: series kept in memory after they are read (the most recently read ones)
CACHED = 2


class SpilledSeries(Mapping):
    """A mapping of series name -> ndarray (rows, ...) whose arrays live in temporary files.

    Rows are appended in order with :meth:`append`; reading a series (``spilled[name]``)
    returns the whole array, read-only, from its file (the last :data:`CACHED` series read
    are kept). The files have no name on disk and go when this object does (or the
    process ends). Reads use ``os.pread``, so a forked process can read them too.

    Parameters
    ----------
    directory : str, optional
        Where the temporary files go (default: :func:`tempfile.gettempdir`).
    """

    def __init__(self, directory: str | None = None):
        self._directory = directory
        self._files: dict[str, object] = {}
        self._shapes: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
        self._rows: dict[str, int] = {}
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def append(self, name: str, rows: np.ndarray) -> None:
        """Add ``rows`` (shape (n, ...)) at the end of series ``name``."""
        rows = np.ascontiguousarray(rows)
        if name not in self._files:
            self._files[name] = tempfile.TemporaryFile(dir=self._directory)
            self._shapes[name] = (rows.shape[1:], rows.dtype)
            self._rows[name] = 0
        elif (rows.shape[1:], rows.dtype) != self._shapes[name]:
            raise ValueError(f"rows of {name!r} must have shape (n, {self._shapes[name][0]}) and "
                             f"dtype {self._shapes[name][1]} (got {rows.shape}, {rows.dtype})")
        self._files[name].write(rows.data)
        self._rows[name] += rows.shape[0]
        self._cache.pop(name, None)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._files:
            raise KeyError(name)
        if name in self._cache:
            self._cache.move_to_end(name)
            return self._cache[name]
        array = self._read(name)
        self._cache[name] = array
        while len(self._cache) > CACHED:
            self._cache.popitem(last=False)
        return array

    def _read(self, name: str) -> np.ndarray:
        """Series ``name`` from its file, whole; a new read-only array."""
        tail, dtype = self._shapes[name]
        self._files[name].flush()
        array = np.empty((self._rows[name],) + tail, dtype=dtype)
        view, fd, done = memoryview(array).cast("B"), self._files[name].fileno(), 0
        while done < view.nbytes:  # pread may return fewer bytes than asked
            got = os.preadv(fd, [view[done:]], done)
            if got == 0:
                raise OSError(f"the spilled series {name!r} ended after {done} of {view.nbytes} bytes")
            done += got
        array.flags.writeable = False
        return array

    def __contains__(self, name) -> bool:
        return name in self._files

    def __iter__(self):
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def nbytes(self) -> int:
        """Bytes the series take on disk."""
        return sum(self._rows[n] * int(np.prod(s, dtype=int)) * d.itemsize
                   for n, (s, d) in self._shapes.items())

    def __reduce__(self):
        # pickled (to another process) as the plain dict of its arrays
        return dict, (dict(self.items()),)

    def close(self) -> None:
        """Remove the files now (reading afterwards fails)."""
        for f in self._files.values():
            f.close()
        self._cache.clear()
