"""Correlation matrices checked at load time: rank to normal correlation, the smallest
eigenvalue, and the nearest valid correlation matrix (the sampling itself is in
:mod:`planner.engine.correlation`)."""
from __future__ import annotations

import numpy as np


def normal_correlation(rank: np.ndarray) -> np.ndarray:
    """Pearson correlation of normal scores giving Spearman correlation ``rank``: 2 sin(pi r / 6)."""
    out = 2.0 * np.sin(np.pi * np.asarray(rank) / 6.0)
    np.fill_diagonal(out, 1.0)
    return out


def smallest_eigenvalue(matrix: np.ndarray) -> float:
    return float(np.linalg.eigvalsh(matrix).min())


def nearest_correlation(matrix: np.ndarray, *, iterations: int = 200, floor: float = 1e-8) -> np.ndarray:
    """Nearest valid correlation matrix (Higham 2002, alternating projections with Dykstra's correction).

    Parameters
    ----------
    matrix : ndarray, shape (k, k)
        Symmetric, unit diagonal, possibly not positive semidefinite.

    Returns
    -------
    ndarray, shape (k, k)
        Positive definite (eigenvalues >= ``floor``), unit diagonal.
    """
    y = np.array(matrix, dtype=float)
    correction = np.zeros_like(y)
    for _ in range(iterations):
        r = y - correction
        values, vectors = np.linalg.eigh(r)
        x = (vectors * np.maximum(values, floor)) @ vectors.T
        correction = x - r
        y = x.copy()
        np.fill_diagonal(y, 1.0)
        if smallest_eigenvalue(y) >= 0 and np.abs(y - x).max() < 1e-10:
            break
    values, vectors = np.linalg.eigh(y)
    y = (vectors * np.maximum(values, floor)) @ vectors.T
    d = np.sqrt(np.diag(y))
    return y / np.outer(d, d)
