"""Statistics across paths, defined once: the P10/P50/P90 bands and quantiles that skip
undefined values."""
from __future__ import annotations

import numpy as np

#: the quantiles every table and chart reports
QUANTILES = (0.1, 0.5, 0.9)


def bands(values: np.ndarray) -> dict[str, float]:
    """P10 / P50 / P90 of a per-path array."""
    q = np.quantile(values, QUANTILES)
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


def defined_bands(values: np.ndarray) -> dict[str, float] | None:
    """:func:`bands` over the paths where ``values`` is defined (finite), None if none is."""
    kept = values[np.isfinite(values)]
    return bands(kept) if kept.size else None


def quantiles_across_paths(values: np.ndarray, q=(0.1, 0.5, 0.9)) -> np.ndarray:
    """Quantiles along axis 0 (paths) that skip ``nan`` and treat ``inf`` as a value.

    numpy's quantile returns ``nan`` when it interpolates next to ``inf``; here a
    quantile between a finite value and ``inf`` is ``inf`` (linear interpolation, as
    numpy's default method, otherwise).

    Parameters
    ----------
    values : ndarray, shape (paths, ...)
    q : sequence of float
        Probabilities in [0, 1].

    Returns
    -------
    ndarray, shape (len(q), ...)
        ``nan`` where every path is ``nan``.
    """
    values = np.asarray(values, dtype=float)
    if values.shape[0] and not np.isnan(values).any():
        return _quantiles_of_complete(values, q)
    ordered = np.sort(values, axis=0)  # nan last
    count = (~np.isnan(values)).sum(axis=0)
    out = []
    for p in np.atleast_1d(q):
        h = p * np.maximum(count - 1, 0)
        lo = np.floor(h).astype(int)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        frac = h - lo
        a = np.take_along_axis(ordered, lo[None], axis=0)[0]
        b = np.take_along_axis(ordered, hi[None], axis=0)[0]
        with np.errstate(invalid="ignore"):
            v = np.where((frac == 0) | (a == b), a, a + (b - a) * frac)
        out.append(np.where(count > 0, v, np.nan))
    return np.array(out)


def _quantiles_of_complete(values: np.ndarray, q) -> np.ndarray:
    """:func:`quantiles_across_paths` of values without ``nan``: every column has the same
    ranks to read, so a partition at those ranks stands in for the full sort (the same
    order statistics, the same numbers)."""
    last = values.shape[0] - 1
    ranks = []
    for p in np.atleast_1d(q):
        h = p * last
        lo = int(np.floor(h))
        ranks.append((lo, min(lo + 1, last), h - lo))
    ordered = np.partition(values, sorted({r for lo, hi, _ in ranks for r in (lo, hi)}), axis=0)
    out = []
    for lo, hi, frac in ranks:
        a, b = ordered[lo], ordered[hi]
        with np.errstate(invalid="ignore"):
            out.append(np.where((frac == 0) | (a == b), a, a + (b - a) * frac))
    return np.array(out)


def mean_across_paths(values: np.ndarray) -> np.ndarray:
    """Mean along axis 0 skipping ``nan`` paths; ``nan`` where every path is ``nan``."""
    values = np.asarray(values, dtype=float)
    count = (~np.isnan(values)).sum(axis=0)
    total = np.where(np.isnan(values), 0.0, values).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
