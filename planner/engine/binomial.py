"""Exact binomial draws for many small cells at once: vectorised inversion.

Process noise draws one ``Binomial(n, p)`` per cohort and month, some twenty million for
10,000 paths of a monthly segment, nearly all with a mean ``n p`` of a customer or two.
NumPy's ``Generator.binomial`` draws them one at a time (about 60 ns each, most of it
per-draw set-up). :func:`binomial` draws a uniform ``U`` per cell and returns the
smallest ``k`` whose cumulative probability reaches it (inversion, the algorithm NumPy
itself uses for means up to 30), stepping all cells together: the first steps over
whole arrays, then only the cells still open. The pmf is built by the recurrence
``f(k) = f(k-1) (n-k+1)/k p/(1-p)`` from ``f(0) = (1-p)^n``, so the draw is exact up
to floating-point rounding of the cumulative sum, as NumPy's is. Cells with a mean above
:data:`INVERSION_MEAN`, where the search would be long, and arrays of fewer than
:data:`MIN_CELLS` cells, where NumPy's per-call overhead of each step would dominate,
are drawn by NumPy (only the cells that can move).
"""
from __future__ import annotations

import numpy as np

#: cells with a larger mean ``n min(p, 1-p)`` are drawn by ``Generator.binomial``
INVERSION_MEAN = 12.0
#: smaller arrays are drawn by ``Generator.binomial``
MIN_CELLS = 2048
#: search steps taken over the whole array before only the open cells are followed
_WHOLE_STEPS = 4


def binomial(rng: np.random.Generator, n: np.ndarray, p: np.ndarray, *,
             whole: bool = False) -> np.ndarray:
    """``Binomial(n, p)`` in every cell: exact, from ``rng`` only.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness: the same state gives the same draws.
    n : ndarray of float or int, shape (...)
        Trials: whole, non-negative numbers (customers), fractional ones are an error.
    p : ndarray, broadcastable to ``n``'s shape
        Success probability in [0, 1]; cheapest when it varies along few axes (say one
        probability per row, shape (rows, 1)): the set-up is done in ``p``'s own shape.
    whole : bool
        The caller knows ``n`` is whole and non-negative (the engine's customers): it is
        not checked again.

    Returns
    -------
    ndarray of float, shape of ``n``
        Whole numbers ``0 <= k <= n``.
    """
    n = np.asarray(n, dtype=float)
    p = np.asarray(p, dtype=float)
    if not whole and (np.any(n < 0) or np.any(n != np.floor(n))):
        raise ValueError("binomial trials must be whole and non-negative")
    if not (p.min(initial=0.0) >= 0 and p.max(initial=1.0) <= 1):  # NaN fails both
        raise ValueError("binomial probabilities must be in [0, 1]")
    flip = p > 0.5
    small = np.where(flip, 1.0 - p, p)  # draw the rarer outcome: short searches, no (1-p)^n underflow
    if n.size < MIN_CELLS:
        k = _numpy(rng, n, small)
        return np.where(flip, n - k, k) if flip.any() else k
    k = np.zeros(n.shape)
    u = rng.random(n.shape)
    large = None
    if n.max() * small.max() > INVERSION_MEAN:
        large = n * small > INVERSION_MEAN
        u[large] = 0.0  # resolved at k = 0 by the search, drawn by NumPy below
    _invert(u, n, small, k)
    if large is not None and large.any():
        k[large] = rng.binomial(n[large].astype(np.int64), np.broadcast_to(small, n.shape)[large])
    return np.where(flip, n - k, k) if flip.any() else k


def _numpy(rng: np.random.Generator, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``Binomial(n, p)`` by ``Generator.binomial``, drawn only where ``n > 0`` and ``p > 0``."""
    k = np.zeros(n.shape)
    p = np.broadcast_to(p, n.shape)
    live = (n > 0) & (p > 0)
    k[live] = rng.binomial(n[live].astype(np.int64), p[live])
    return k


def _invert(u: np.ndarray, n: np.ndarray, p: np.ndarray, k: np.ndarray) -> None:
    """Into ``k``: the smallest count whose ``Binomial(n, p)`` cdf is at least ``u``.

    ``u``, ``n``, ``k`` share one shape; ``p`` (all <= 1/2) broadcasts to it.
    """
    ratio = p / (1.0 - p)
    pmf = np.multiply(n, np.log1p(-p))
    np.exp(pmf, out=pmf)
    cdf = pmf.copy()
    np.greater(u, cdf, out=k, casting="unsafe")
    factor, above = np.empty(n.shape), np.empty(n.shape, dtype=bool)  # buffers: no temporaries
    for x in range(1, _WHOLE_STEPS):
        np.subtract(n, x - 1, out=factor)
        factor *= ratio / x
        pmf *= factor
        cdf += pmf
        np.greater(u, cdf, out=above)
        k += above
    open_ = np.flatnonzero(above)
    if open_.size:
        where = np.unravel_index(open_, n.shape)
        u -= cdf
        left = u.ravel()[open_]
        pmf_open, trials = pmf.ravel()[open_], n.ravel()[open_]
        step = np.broadcast_to(ratio, n.shape)[where]
        flat, x = k.reshape(-1), _WHOLE_STEPS
        while open_.size:
            pmf_open *= step * (trials - (x - 1)) / x
            left -= pmf_open
            # past k = n the rest of the mass is rounding: such a cell stops at n
            go = (left > 0) & (trials > x)
            open_, left, pmf_open, trials, step = (a[go] for a in (open_, left, pmf_open, trials, step))
            flat[open_] += 1.0
            x += 1
    np.minimum(k, n, out=k)
