"""Shapley decomposition of a change among k groups of edits, exact or by sampled permutations.

A *coalition* is a bit mask over the k groups (bit ``i`` set: group ``i``'s edits are
applied). The value of a coalition is a vector of statistics (one per outcome) of the
scenario with those edits applied. The Shapley value of group ``i`` is its marginal
effect ``v(S + i) - v(S)`` averaged over all orders in which the edits can be made; the
values add up to ``v(all) - v(none)`` exactly, whatever the statistic (a P50 is fine).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class ShapleyValues:
    """Contributions of each group to each statistic.

    Attributes
    ----------
    values : ndarray, shape (k, m)
        Contribution of group ``i`` to statistic ``j``.
    errors : ndarray, shape (k, m), or None
        Standard error of each contribution (sampled permutations); None when exact.
    method : {"exact", "sampled"}
    coalitions : int
        Distinct coalitions evaluated (simulations run).
    permutations : int or None
        Orders sampled (None when exact).
    """

    values: np.ndarray
    errors: np.ndarray | None
    method: str
    coalitions: int
    permutations: int | None = None


def exact_weights(k: int) -> np.ndarray:
    """Shapley weight ``|S|! (k - |S| - 1)! / k!`` of a coalition of each size 0..k-1."""
    return np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                     for s in range(k)])


def exact_shapley(values: np.ndarray) -> np.ndarray:
    """Exact Shapley values from the value of every coalition.

    Parameters
    ----------
    values : ndarray, shape (2**k, m)
        Row ``mask`` is the value of the coalition ``mask``.

    Returns
    -------
    ndarray, shape (k, m)
    """
    values = np.asarray(values, dtype=float)
    k = int(round(math.log2(values.shape[0])))
    if 2 ** k != values.shape[0]:
        raise ValueError(f"need 2**k rows of coalition values (got {values.shape[0]})")
    weights = exact_weights(k) if k else np.zeros(0)
    out = np.zeros((k, values.shape[1]))
    masks = np.arange(2 ** k)
    sizes = np.array([bin(m).count("1") for m in masks])
    for i in range(k):
        without = masks[(masks >> i) & 1 == 0]
        marginal = values[without | (1 << i)] - values[without]
        out[i] = (weights[sizes[without]][:, None] * marginal).sum(axis=0)
    return _close(out, values[-1] - values[0])


def _close(contributions: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Put the floating-point residual of the sum on the largest contribution, so the
    contributions add up to ``total`` exactly (it is a rounding error, ~1e-16 relative)."""
    if contributions.shape[0] == 0:
        return contributions
    residual = total - contributions.sum(axis=0)
    biggest = np.abs(contributions).argmax(axis=0)
    contributions[biggest, np.arange(contributions.shape[1])] += residual
    return contributions


def permutation_masks(orders: np.ndarray) -> list[int]:
    """Every coalition the chains of ``orders`` (shape (n, k)) pass through, sorted."""
    seen = {0}
    for order in orders:
        mask = 0
        for i in order:
            mask |= 1 << int(i)
            seen.add(mask)
    return sorted(seen)


def sampled_shapley(evaluate: Callable[[Sequence[int]], np.ndarray], k: int, permutations: int,
                    seed: int = 0) -> ShapleyValues:
    """Shapley values estimated from random orders of the k groups.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(masks) -> ndarray (len(masks), m)``: the value of each coalition (called
        once, with every coalition the sampled orders need, so it can run them in parallel).
    k : int
        Groups.
    permutations : int
        Orders sampled (uniformly, with a generator seeded by ``seed``).

    Returns
    -------
    ShapleyValues
        ``values`` the mean marginal effect over the orders (each order's effects add up to
        the total change, so the means do too), ``errors`` their standard errors.
    """
    rng = np.random.default_rng(seed)
    orders = np.array([rng.permutation(k) for _ in range(permutations)])
    masks = permutation_masks(orders)
    table = np.asarray(evaluate(masks), dtype=float)
    row = {m: j for j, m in enumerate(masks)}
    marginals = np.zeros((permutations, k, table.shape[1]))
    for p, order in enumerate(orders):
        mask = 0
        for i in order:
            nxt = mask | (1 << int(i))
            marginals[p, int(i)] = table[row[nxt]] - table[row[mask]]
            mask = nxt
    values = _close(marginals.mean(axis=0), table[row[(1 << k) - 1]] - table[row[0]])
    errors = marginals.std(axis=0, ddof=1) / math.sqrt(permutations) if permutations > 1 else None
    return ShapleyValues(values, errors, "sampled", len(masks), permutations)
