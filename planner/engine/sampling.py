"""Draw every uncertain input once per path, and resolve inputs into arrays.

Uniform numbers are drawn in fixed blocks of paths, each block from its own
``numpy.random.Generator`` seeded by ``SeedSequence(seed, spawn_key=(block,))``. So path
``i``'s draws depend only on the seed and ``i``: any chunking of the paths gives
bit-identical results.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import qmc

from planner.engine.correlation import impose

from planner.scenario.model import Correlation, Scenario, Series, Value
from planner.scenario.spec import Param

BLOCK = 1024  # paths per random block; changing it changes the draws


def _block_uniforms(rng: np.random.Generator, n_inputs: int, method: str) -> np.ndarray:
    """One block of ``BLOCK`` points in the unit cube, shape (BLOCK, n_inputs)."""
    if method == "monte_carlo":
        return rng.random((BLOCK, n_inputs))
    engine = qmc.LatinHypercube if method == "latin_hypercube" else qmc.Sobol
    try:
        sampler = engine(d=n_inputs, rng=rng)
    except TypeError:  # SciPy < 1.15 calls it seed
        sampler = engine(d=n_inputs, seed=rng)
    return sampler.random(BLOCK)


def uniforms(seed: int, n_inputs: int, start: int, stop: int, method: str = "monte_carlo",
             correlation: Correlation | None = None) -> np.ndarray:
    """Uniform numbers in (0, 1) for paths ``start..stop-1``.

    Each block of :data:`BLOCK` paths is a Monte Carlo, Latin-hypercube or scrambled
    Sobol sample of its own (``BLOCK`` is a power of 2, as Sobol wants), with the
    correlated columns reordered by Iman-Conover inside the block.

    Returns
    -------
    ndarray, shape (stop - start, n_inputs)
    """
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = []
    for block in range(first, last + 1):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
        u = _block_uniforms(rng, n_inputs, method)
        if correlation is not None:
            u = impose(u, correlation.columns, correlation.normal, rng)
        blocks.append(u)
    u = np.concatenate(blocks, axis=0)[start - first * BLOCK: stop - first * BLOCK]
    # keep the inverse CDFs finite at the edges
    return np.clip(u, 1e-12, 1 - 1e-12)


def sample_params(params: tuple[Param, ...], seed: int, start: int, stop: int,
                  method: str = "monte_carlo", correlation: Correlation | None = None) -> np.ndarray:
    """Draw every uncertain input for paths ``start..stop-1``.

    Returns
    -------
    ndarray, shape (stop - start, len(params))
        Column ``i`` holds ``params[i]``'s draws from its distribution truncated to the
        input's valid range (validation allows at most 1% of the mass outside it).
    """
    n = stop - start
    if not params:
        return np.empty((n, 0))
    u = uniforms(seed, len(params), start, stop, method, correlation)
    out = np.empty_like(u)
    for param in params:
        low = -np.inf if param.low is None else param.low
        high = np.inf if param.high is None else param.high
        # the distribution truncated to the input's valid range: uniforms mapped into
        # [F(low), F(high)], so no draw lands outside and none piles up on a bound
        f_low = param.dist.frozen.cdf(np.nextafter(low, -np.inf))  # P(X < low)
        f_high = param.dist.frozen.cdf(high)
        column = param.dist.ppf(f_low + u[:, param.index] * (f_high - f_low))
        out[:, param.index] = np.clip(column, low, high)
    return out


def draw_inputs(scenario: Scenario, seed: int, start: int, stop: int) -> np.ndarray:
    """The draws of every uncertain input of ``scenario`` for paths ``start..stop-1``,
    with its sampling method and correlations; shape (stop - start, len(scenario.params))."""
    return sample_params(scenario.params, seed, start, stop, scenario.sampling, scenario.correlation)


class Inputs:
    """Turns scenario values into arrays for one chunk of paths.

    Parameters
    ----------
    scenario : Scenario
    draws : ndarray, shape (paths, n_params)
    """

    def __init__(self, scenario: Scenario, draws: np.ndarray):
        self.scenario = scenario
        self.draws = draws
        self.paths = draws.shape[0]
        self.horizon = scenario.horizon

    def value(self, v: Value) -> np.ndarray:
        """A scalar input as shape (paths, 1), or (1, 1) when it is the same on every path.

        Keeping certain inputs at one row lets everything computed from them only
        (a fixed retention curve, say) be computed once and broadcast.
        """
        if isinstance(v, Param):
            return self.draws[:, v.index:v.index + 1]
        return np.full((1, 1), float(v))

    def full(self, array: np.ndarray) -> np.ndarray:
        """``array`` broadcast to ``paths`` rows (a copy, writable)."""
        return np.array(np.broadcast_to(array, (self.paths,) + array.shape[1:]))

    def series(self, s: Series | None) -> np.ndarray:
        """A monthly input as shape (paths, horizon), or (1, horizon) when certain."""
        t = np.arange(self.horizon)
        if s is None:
            return np.zeros((1, self.horizon))
        if s.kind == "constant":
            return np.repeat(self.value(s.value), self.horizon, axis=1)
        if s.kind == "growth":
            rate = self.value(s.monthly_growth)
            exponent = t / 12.0 if s.growth_is_annual else t
            return self.value(s.start) * (1.0 + rate) ** exponent
        rows = max((self.value(a).shape[0] for _, a in s.steps), default=1)
        out = np.zeros((rows, self.horizon))
        for month, amount in s.steps:
            out[:, month:] = self.value(amount)
        return out
