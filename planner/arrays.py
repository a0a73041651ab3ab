"""Element-wise division that says where it is undefined, and copies between array
layouts, shared by every layer."""
from __future__ import annotations

import numpy as np


def divide(num, den, ok, otherwise: float) -> np.ndarray:
    """``num / den`` where ``ok``, else ``otherwise``; nan inputs stay nan. Broadcasts."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok, num / np.where(ok, den, 1.0), otherwise)
    return np.where(np.isnan(num) | np.isnan(den), np.nan, out)


def ratio(num, den) -> np.ndarray:
    """``num / den``, ``nan`` where ``den <= 0`` (a CAC without wins, a margin without revenue)."""
    den = np.asarray(den, dtype=float)
    return divide(num, den, den > 0, np.nan)


def by_month(value: np.ndarray) -> bool:
    """Whether ``value`` (paths, months, ...) has each month's paths contiguous (a
    transposed view of the lean engine's months-major arrays)."""
    return value.ndim >= 2 and value.shape[0] > 1 and value.strides[0] == value.itemsize


#: months copied at once from a months-major array into one laid out by path: each
#: path's row then gets a cache line's worth of months per visit (one month a visit
#: writes a cache line for eight bytes of it), 1.5x faster than a month at a time
TILE_MONTHS = 10


def assign(target: np.ndarray, value: np.ndarray) -> None:
    """``target[...] = value`` into a result array (paths, months, ...), laid out by path;
    a months-major ``value`` :data:`TILE_MONTHS` months at a time (each tile a transposing
    copy small enough to stay in cache), which is four times faster than NumPy's
    transposing copy of the whole. The result arrays stay laid out by path, so that what
    is computed from them has the same bits whichever engine filled them (NumPy's sums
    add in an order that depends on the layout)."""
    if by_month(value):
        for t in range(0, value.shape[1], TILE_MONTHS):
            target[:, t:t + TILE_MONTHS] = value[:, t:t + TILE_MONTHS]
    else:
        target[...] = value


def month_tiles(months: int):
    """``(first, stop)`` of each tile of :data:`TILE_MONTHS` months in ``months``."""
    return ((t, min(months, t + TILE_MONTHS)) for t in range(0, months, TILE_MONTHS))
