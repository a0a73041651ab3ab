"""Company totals of segment series: the sum over the last axis, as ``np.sum`` adds it.

``np.sum(x, axis=-1)`` over a short axis is a strided reduction, several times slower
than adding the segment slices one after another, and for fewer than 8 terms numpy adds
them in that order from 0.0 (pairwise summation starts at 8), so the slices added in
order give the same bits, signed zeros included. Longer axes are left to ``np.sum``.
"""
from __future__ import annotations

import numpy as np

#: below this many terms numpy's pairwise summation is a plain left-to-right loop
PAIRWISE_FROM = 8


def segment_total(values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``np.sum(values, axis=-1, out=out)``, to the bit, faster for few segments.

    Parameters
    ----------
    values : ndarray, shape (..., segments)
    out : ndarray, shape (...), optional

    Returns
    -------
    ndarray, shape (...)
    """
    if values.shape[-1] >= PAIRWISE_FROM or values.shape[-1] == 0:
        return np.sum(_segments_inner(values), axis=-1, out=out)
    return add_in_order([values[..., k] for k in range(values.shape[-1])], out)


def company_total(terms, stacked: np.ndarray | None = None, out: np.ndarray | None = None) -> np.ndarray:
    """``np.sum(np.stack(terms, axis=-1), axis=-1)`` to the bit, from the segments' own
    arrays ``terms`` (all of one shape); ``stacked``, that stack if it exists already;
    into ``out`` when given."""
    if len(terms) < PAIRWISE_FROM:
        return add_in_order(terms, out)
    return np.sum(np.stack(terms, axis=-1) if stacked is None else _segments_inner(stacked), axis=-1,
                  out=out)


def _segments_inner(values: np.ndarray) -> np.ndarray:
    """``values`` with its last axis contiguous (a copy only if it is not): ``np.sum`` adds
    pairwise only along a contiguous axis, so this gives the same bits in any layout."""
    return values if values.strides[-1] == values.itemsize else np.ascontiguousarray(values)


def add_in_order(terms, out: np.ndarray | None = None) -> np.ndarray:
    """``0.0 + terms[0] + terms[1] + ...`` (what builtin ``sum`` and, for fewer than 8
    terms, ``np.sum`` compute) of float arrays that broadcast together, into ``out`` when
    given; at least one term."""
    first, *rest = terms
    total = np.add(first, 0.0, out=out)
    for term in rest:
        if out is None and total.shape != np.broadcast_shapes(total.shape, np.shape(term)):
            total = total + term
        else:
            np.add(total, term, out=total)
    return total
