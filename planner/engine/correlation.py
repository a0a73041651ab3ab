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
from scipy.special import ndtri


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
        Pearson correlation of the normal scores (see :func:`planner.scenario.correlation_matrix.normal_correlation`).
    rng : numpy.random.Generator
        Shuffles the scores (the group's own stream in the block).

    Returns
    -------
    ndarray, shape (n, k)
    """
    n, m = u.shape[0], len(columns)
    base = ndtri(np.arange(1, n + 1) / (n + 1))  # scipy.stats.norm.ppf to the bit
    scores = np.column_stack([rng.permutation(base) for _ in range(m)])
    current = np.corrcoef(scores, rowvar=False) if m > 1 else np.eye(1)
    transform = np.linalg.solve(np.linalg.cholesky(current), np.eye(m)).T @ np.linalg.cholesky(target).T
    correlated = scores @ transform
    out = u.copy()
    for j, column in enumerate(columns):
        ranks = ordinal_ranks(correlated[:, j])
        out[:, column] = np.sort(u[:, column])[ranks]
    return out


def ordinal_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1 of a 1-d array, ties in order of position: ``scipy.stats.rankdata(x,
    method="ordinal") - 1`` (a stable argsort inverted), without importing scipy.stats.

    Returns
    -------
    ndarray of int, shape (n,)
    """
    order = np.argsort(x, kind="stable")
    ranks = np.empty(order.size, dtype=int)
    ranks[order] = np.arange(order.size)
    return ranks


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
    from scipy import stats  # only asked for by reports of correlated scenarios

    statistic = stats.spearmanr(draws[:, list(columns)]).statistic
    if np.ndim(statistic) == 0:  # two columns: scipy returns the one coefficient
        return np.array([[1.0, statistic], [statistic, 1.0]])
    return np.asarray(statistic)
