"""BLAS threads held to one while the engine runs.

The engine's matrix products are many and tiny (a block of 1,024 paths times a 60 x 60
development matrix): OpenBLAS splitting each across threads spends more time
spin-waiting for them than multiplying, and on a busy machine those spinning threads
compete with everything else. One BLAS thread is faster there and never slower here.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS libraries (OpenBLAS, MKL, BLIS) to one thread inside the ``with`` block.

    The previous limits are restored on exit. Costs about 10 us (the loaded libraries
    are found once, on first use).
    """
    with _controller().limit(limits=1, user_api="blas"):
        yield


@lru_cache(maxsize=1)
def _controller():
    """The thread pools of the loaded libraries (numpy's BLAS is loaded by then).

    ``threadpoolctl`` is imported here, not at module import, so ``import planner``
    stays cheap; finding the libraries takes about 0.4 ms, hence once.
    """
    from importlib import import_module

    from threadpoolctl import ThreadpoolController

    import_module("numpy")  # its BLAS must be loaded to be found

    return ThreadpoolController()
