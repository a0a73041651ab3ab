"""Rank correlation between uncertain inputs: Iman-Conover reordering of the uniforms.

Iman & Conover (1982), "A distribution-free approach to inducing rank correlation among
input variables": each column of a sample is reordered so that its ranks follow those
of correlated normal scores. The values in every column are untouched, so marginals
(and Latin-hypercube stratification) are exactly preserved.

The correlated inputs are split into groups (connected components of the non-zero
correlations, :func:`groups`); each group is reordered on its own, with scores shuffled
by a stream keyed by its members' key paths (see :mod:`planner.engine.sampling`), so a
group's draws do not change when an unrelated input or group is added.
"""
from __future__ import annotations

import numpy as np
from scipy import stats


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


def impose(u: np.ndarray, columns: tuple[int, ...], target: np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    """Reorder ``u[:, columns]`` so their rank correlations approach ``target`` (Iman-Conover).

    Parameters
    ----------
    u : ndarray, shape (n, k)
        Uniform numbers, one column per input (changed copy returned).
    columns : tuple of int
        Columns that take part, in the order of ``target``.
    target : ndarray, shape (len(columns), len(columns))
        Pearson correlation of the normal scores (see :func:`normal_correlation`).
    rng : numpy.random.Generator
        Shuffles the scores (the group's own stream in the block).

    Returns
    -------
    ndarray, shape (n, k)
    """
    n, m = u.shape[0], len(columns)
    base = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    scores = np.column_stack([rng.permutation(base) for _ in range(m)])
    current = np.corrcoef(scores, rowvar=False) if m > 1 else np.eye(1)
    transform = np.linalg.solve(np.linalg.cholesky(current), np.eye(m)).T @ np.linalg.cholesky(target).T
    correlated = scores @ transform
    out = u.copy()
    for j, column in enumerate(columns):
        ranks = stats.rankdata(correlated[:, j], method="ordinal").astype(int) - 1
        out[:, column] = np.sort(u[:, column])[ranks]
    return out


def groups(columns: tuple[int, ...], target: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """Split correlated inputs into independent groups: connected components of ``target != 0``.

    Parameters
    ----------
    columns : tuple of int
        Draw columns, in the order of ``target``.
    target : ndarray, shape (len(columns), len(columns))

    Returns
    -------
    list of (tuple of int, ndarray)
        Each group's columns (in the order of ``columns``) and its block of ``target``,
        shape (k, k); groups ordered by their first column.
    """
    linked = np.asarray(target) != 0
    label = list(range(len(columns)))

    def root(i: int) -> int:
        while label[i] != i:
            i = label[i]
        return i

    for i, j in zip(*np.nonzero(linked)):
        label[root(int(i))] = root(int(j))
    members: dict[int, list[int]] = {}
    for i in range(len(columns)):
        members.setdefault(root(i), []).append(i)
    out = [(tuple(columns[i] for i in m), np.asarray(target)[np.ix_(m, m)]) for m in members.values()]
    return sorted(out, key=lambda g: g[0][0])


def achieved(draws: np.ndarray, columns: tuple[int, ...]) -> np.ndarray:
    """Spearman rank correlation of the drawn inputs, shape (len(columns), len(columns))."""
    if len(columns) < 2:
        return np.eye(len(columns))
    statistic = stats.spearmanr(draws[:, list(columns)]).statistic
    if np.ndim(statistic) == 0:  # two columns: scipy returns the one coefficient
        return np.array([[1.0, statistic], [statistic, 1.0]])
    return np.asarray(statistic)
