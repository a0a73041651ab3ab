"""The exact vectorised binomial sampler of process noise (planner/engine/binomial.py)."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from planner.engine import binomial as sampler
from planner.engine.binomial import INVERSION_MEAN, MIN_CELLS, binomial

DRAWS = 40_000  # per (n, p): well above MIN_CELLS, so the vectorised inversion is used


def _chi_square_p(draws: np.ndarray, n: int, p: float) -> float:
    """Goodness of fit of whole-number draws to Binomial(n, p), the bins pooled so each
    expects at least 5 draws (the tails pooled into the first and last bin)."""
    support = np.arange(n + 1)
    expected = stats.binom.pmf(support, n, p) * draws.size
    observed = np.bincount(draws.astype(np.int64), minlength=n + 1)
    assert observed.size == n + 1, "a draw above n"
    edges, total = [0], 0.0
    for k in range(n + 1):  # left to right, close a bin once it expects 5
        total += expected[k]
        if total >= 5:
            edges.append(k + 1)
            total = 0.0
    edges[-1] = n + 1  # the last, short bin joins the one before it
    obs = np.add.reduceat(observed, edges[:-1])
    exp = np.add.reduceat(expected, edges[:-1])
    if obs.size < 2:
        return 1.0
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


GRID = [(n, p) for n in (1, 3, 12, 40, 200, 2_000) for p in (0.002, 0.03, 0.2, 0.5, 0.8, 0.995)]


@pytest.mark.parametrize("n, p", GRID)
def test_draws_fit_the_binomial_pmf(n, p):
    rng = np.random.default_rng(11)
    draws = binomial(rng, np.full(DRAWS, float(n)), np.array(p))
    assert _chi_square_p(draws, n, p) > 1e-4
    mean, var = n * p, n * p * (1 - p)
    assert draws.mean() == pytest.approx(mean, abs=5 * np.sqrt(var / DRAWS) + 1e-12)


def test_cells_of_different_n_and_p_in_one_call():
    """The engine's use: a row per cohort (its own p), a column per path (its own n)."""
    rng = np.random.default_rng(5)
    p = np.array([[0.0], [0.01], [0.047], [0.3], [0.9], [1.0]])
    n = np.tile(np.repeat([0.0, 1.0, 7.0, 30.0, 400.0], 4_000), (p.shape[0], 1))
    draws = binomial(rng, n, p)
    assert draws.shape == n.shape and np.array_equal(draws, np.round(draws))
    assert (draws >= 0).all() and (draws <= n).all()
    np.testing.assert_array_equal(draws[0], 0.0)    # p = 0: nobody
    np.testing.assert_array_equal(draws[-1], n[-1])  # p = 1: everybody
    np.testing.assert_array_equal(draws[:, n[0] == 0], 0.0)
    for row, q in enumerate(p[1:-1, 0], start=1):
        for size in (1, 7, 30, 400):
            cells = draws[row, n[row] == size]
            assert _chi_square_p(cells, size, q) > 1e-4, (size, q)


def test_large_means_are_drawn_exactly_too():
    """Above INVERSION_MEAN the cells go to NumPy's sampler, mixed with inverted ones."""
    rng = np.random.default_rng(8)
    n = np.concatenate([np.full(DRAWS, 100_000.0), np.full(DRAWS, 20.0)])
    p = 0.3
    assert 100_000 * p > INVERSION_MEAN > 20 * p
    draws = binomial(rng, n, np.array(p))
    big, small = draws[:DRAWS], draws[DRAWS:]
    assert big.mean() == pytest.approx(30_000, abs=5 * np.sqrt(21_000 / DRAWS))
    assert big.var() == pytest.approx(21_000, rel=0.05)
    assert _chi_square_p(small, 20, p) > 1e-4


def test_small_arrays_go_to_numpy_and_fit_too():
    rng = np.random.default_rng(2)
    draws = np.concatenate([binomial(rng, np.full(MIN_CELLS - 1, 25.0), np.array(0.04))
                            for _ in range(10)])
    assert _chi_square_p(draws, 25, 0.04) > 1e-4


@pytest.mark.parametrize("n, p", [(40, 0.03), (7, 0.5), (300, 0.02)])
def test_inversion_is_the_binomial_quantile_of_its_uniform(n, p):
    """Exact: each cell is the smallest k with cdf(k) >= u (away from rounding at the jumps)."""
    u = np.random.default_rng(4).random(MIN_CELLS)
    k = np.zeros(u.size)
    sampler._invert(u.copy(), np.full(u.size, float(n)), np.array(p), k)
    quantile = stats.binom.ppf(u, n, p)
    near_a_jump = np.abs(stats.binom.cdf(quantile, n, p) - u) < 1e-12
    np.testing.assert_array_equal(k[~near_a_jump], quantile[~near_a_jump])


def test_a_uniform_past_the_rounded_cdf_stops_at_n():
    u = np.array([0.0, np.nextafter(1.0, 0.0)])
    k = np.zeros(2)
    sampler._invert(u, np.array([3.0, 3.0]), np.array(0.5), k)
    np.testing.assert_array_equal(k, [0.0, 3.0])


def test_same_generator_state_same_draws():
    n, p = np.full((8, 1_000), 30.0), np.linspace(0.0, 0.2, 8)[:, None]
    a = binomial(np.random.default_rng(3), n, p)
    b = binomial(np.random.default_rng(3), n, p)
    c = binomial(np.random.default_rng(4), n, p)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("n, p", [(np.array([2.5]), 0.1), (np.array([-1.0]), 0.1),
                                  (np.array([3.0]), 1.5), (np.array([3.0]), np.nan)])
def test_fractional_customers_and_bad_probabilities_are_errors(n, p):
    with pytest.raises(ValueError):
        binomial(np.random.default_rng(0), n, np.array(p))
