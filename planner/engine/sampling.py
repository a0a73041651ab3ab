"""Draw every uncertain input once per path, and resolve inputs into arrays.

Draws are keyed by input. Paths come in fixed blocks of :data:`BLOCK`; in block ``b``
the uniforms of an input come from its own stream
``SeedSequence(seed, spawn_key=(b, INPUT, *words(key)))`` (:mod:`planner.engine.streams`),
where ``key`` is the input's key path (``Param.draw_key``: positions in named lists are
replaced by the item's name). So:

- path ``i``'s draws depend only on the seed and ``i`` (any chunking of the paths gives
  bit-identical results);
- an input's draws depend only on the seed, its key path and its own distribution:
  adding, removing or reordering other inputs, or changing another input's distribution,
  leaves them bit-identical (common random numbers between variants of a scenario).
  Under ``sobol`` this holds only in the narrower sense given below.

Sampling methods, per block:

``monte_carlo``
    ``BLOCK`` independent uniforms per input from its stream.
``latin_hypercube``
    Each input stratified on its own (written here in numpy, not with
    ``scipy.stats.qmc.LatinHypercube``, whose columns share one generator): a random
    permutation of the ``BLOCK`` strata, then a uniform jitter inside each stratum, both
    from the input's stream. Every stratum ``[k / BLOCK, (k + 1) / BLOCK)`` holds exactly
    one point per block. Independent permutations per column are what scipy's
    (unoptimised) Latin hypercube does too.
``sobol``
    One joint low-discrepancy design: the first ``BLOCK`` points of the Sobol sequence in
    ``n_inputs`` dimensions, dimension ``d`` given to the input whose key is ``d``-th in
    sorted order, then scrambled per dimension (Matousek's linear matrix scramble plus a
    digital shift, as scipy does) with a matrix and shift drawn from the input's own
    stream. So an input's Sobol draws depend on the seed, its key and its *rank* among
    the sorted keys: they are bit-identical between two variants when the same number of
    input keys sort before it (reordering the file, changing distributions, adding or
    removing inputs whose keys sort after it); adding or removing an input whose key
    sorts before it moves it to another dimension, and then nothing is shared.

Correlated inputs (``simulation.correlations``) are then reordered by Iman-Conover
inside each block, one group (connected component of the correlations) at a time, the
scores shuffled by a stream keyed by the group's sorted member keys: a group's draws do
not change when an unrelated input is added. (BLOCK = 1,024 is a power of 2, as Sobol
wants.)
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from planner.engine.correlation import groups, impose
from planner.engine.streams import CORRELATION, INPUT, stream
from planner.scenario.model import Correlation, Scenario, Series, Value
from planner.scenario.spec import Param

BLOCK = 1024  # paths per random block; changing it changes the draws
_BITS = 30  # binary digits of a Sobol point


def latin_column(rng: np.random.Generator) -> np.ndarray:
    """One input's Latin-hypercube block: one point in each of the ``BLOCK`` strata.

    Returns
    -------
    ndarray, shape (BLOCK,)
        ``(strata + jitter) / BLOCK``, strata a permutation of ``0..BLOCK-1``, jitter in [0, 1).
    """
    strata = rng.permutation(BLOCK)
    jitter = rng.random(BLOCK)
    # (k + jitter) can round up to k + 1 when jitter is within 2**-43 of 1: stay in stratum k
    return np.minimum((strata + jitter) / BLOCK, np.nextafter((strata + 1) / BLOCK, 0.0))


#: place value of each binary digit of a Sobol point, most significant first, and the
#: more significant digits of each (the lower triangle of a linear matrix scramble)
_PLACES = np.uint64(1) << np.arange(_BITS - 1, -1, -1, dtype=np.uint64)
_ABOVE = ~((_PLACES << np.uint64(1)) - np.uint64(1)) & np.uint64(2 ** _BITS - 1)


@lru_cache(maxsize=8)
def _sobol_basis(n_dims: int) -> np.ndarray:
    """Unscrambled Sobol points ``2**j`` (``j < log2(BLOCK)``) as ``_BITS``-bit integers,
    shape (n_dims, log2(BLOCK)), read-only; dimension ``d`` does not depend on ``n_dims``.

    The first ``BLOCK`` Sobol points are linear in the bits of their index over GF(2):
    point ``i`` is the XOR of the basis points of the bits set in ``i``.
    """
    from scipy.stats import qmc  # imports scipy.stats (~0.7 s): only for Sobol sampling

    points = qmc.Sobol(n_dims, scramble=False, bits=_BITS).random(BLOCK)
    basis = np.rint(points[1 << np.arange(BLOCK.bit_length() - 1)] * 2.0 ** _BITS)
    out = np.ascontiguousarray(basis.astype(np.uint64).T)
    out.flags.writeable = False
    return out


def _span(basis: np.ndarray) -> np.ndarray:
    """Every XOR combination of ``basis`` (shape (m,)), point ``i`` from the bits of ``i``;
    shape (2**m,)."""
    points = np.zeros(1, dtype=np.uint64)
    for vector in basis:
        points = np.concatenate([points, points ^ vector])
    return points


def _parity(x: np.ndarray) -> np.ndarray:
    """1 where an unsigned integer has an odd number of set bits, else 0 (same shape, uint64)."""
    for shift in (32, 16, 8, 4, 2, 1):
        x = x ^ (x >> np.uint64(shift))
    return x & np.uint64(1)


def scrambled_sobol_column(basis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One Sobol dimension scrambled from one input's stream (linear matrix scramble + shift).

    Parameters
    ----------
    basis : ndarray of uint64, shape (log2(BLOCK),)
        The dimension's unscrambled points ``1, 2, 4, ...`` (:func:`_sobol_basis`).
    rng : numpy.random.Generator
        The input's stream: the scramble's random lower triangle and shift.

    Returns
    -------
    ndarray, shape (BLOCK,)
        Output digit ``k`` (most significant first) is digit ``k`` plus a random
        combination of the more significant digits, plus a random shift, mod 2
        (Matousek 1998, as ``scipy.stats.qmc.Sobol`` scrambles): the net's
        stratification is kept. The scramble is linear, so it is applied to the basis.
    """
    feeds = (rng.integers(0, 2 ** _BITS, size=_BITS, dtype=np.uint64) & _ABOVE) | _PLACES
    shift = rng.integers(0, 2 ** _BITS, dtype=np.uint64)
    scrambled = (_parity(basis[:, None] & feeds[None, :]) * _PLACES).sum(axis=1)
    return (_span(scrambled) ^ shift) * 2.0 ** -_BITS


def block_uniforms(seed: int, block: int, keys: tuple[str, ...], method: str,
                   correlated: tuple = ()) -> np.ndarray:
    """The uniforms of block ``block`` of paths: column ``j`` from the stream of ``keys[j]``.

    Parameters
    ----------
    keys : tuple of str
        One draw key per column (unique).
    method : str
        ``monte_carlo``, ``latin_hypercube`` or ``sobol`` (module docstring).
    correlated : tuple of (columns, target, name)
        Correlated groups: their columns, normal-score correlation and stream name.

    Returns
    -------
    ndarray, shape (BLOCK, len(keys))
        Each column contiguous (the array is laid out by input); :func:`uniforms` returns
        its draws laid out by path.
    """
    rngs = [stream(seed, block, INPUT, key) for key in keys]
    u = np.empty((len(keys), BLOCK)).T  # a column per input, each contiguous
    if method == "sobol":
        basis = _sobol_basis(len(keys)) if keys else None
        for dim, column in enumerate(sorted(range(len(keys)), key=keys.__getitem__)):
            u[:, column] = scrambled_sobol_column(basis[dim], rngs[column])
    elif method == "monte_carlo":
        for column, rng in enumerate(rngs):
            rng.random(BLOCK, out=u[:, column])
    else:
        for column, rng in enumerate(rngs):
            u[:, column] = latin_column(rng)
    for columns, target, name in correlated:
        u = impose(u, columns, target, stream(seed, block, CORRELATION, name))
    return u


def correlated_groups(correlation: Correlation | None, keys: tuple[str, ...]) -> tuple:
    """The correlated groups of :func:`block_uniforms`, members ordered by key.

    Returns
    -------
    tuple of (tuple of int, ndarray shape (k, k), str)
        Columns ordered by their keys, the target in that order, and the stream name:
        the sorted member keys, one per line.
    """
    if correlation is None:
        return ()
    out = []
    for columns, target in groups(correlation.columns, correlation.normal):
        order = sorted(range(len(columns)), key=lambda i: keys[columns[i]])
        members = tuple(columns[i] for i in order)
        out.append((members, target[np.ix_(order, order)], "\n".join(keys[c] for c in members)))
    return tuple(out)


def uniforms(seed: int, inputs: int | tuple[str, ...], start: int, stop: int,
             method: str = "monte_carlo", correlation: Correlation | None = None) -> np.ndarray:
    """Uniform numbers in (0, 1) for paths ``start..stop-1``, keyed by input.

    Parameters
    ----------
    seed : int
    inputs : tuple of str, or int
        The draw key of each column (``Param.draw_key``); an int ``n`` stands for ``n``
        columns keyed by their position (``"0"``, ``"1"``, ...).
    start, stop : int
    method : str
        ``monte_carlo``, ``latin_hypercube`` or ``sobol``.
    correlation : Correlation, optional
        Correlated columns, reordered by Iman-Conover inside each block.

    Returns
    -------
    ndarray, shape (stop - start, len(inputs))
    """
    keys = tuple(str(j) for j in range(inputs)) if isinstance(inputs, (int, np.integer)) \
        else tuple(inputs)
    if len(set(keys)) != len(keys):
        raise ValueError("every input needs its own draw key")
    correlated = correlated_groups(correlation, keys)
    first, last = start // BLOCK, (stop - 1) // BLOCK
    blocks = [block_uniforms(seed, b, keys, method, correlated) for b in range(first, last + 1)]
    u = np.concatenate(blocks, axis=0)[start - first * BLOCK: stop - first * BLOCK]
    # keep the inverse CDFs finite at the edges; laid out by path, whatever the blocks'
    # layout (what callers compute from it keeps its bits)
    return np.clip(u, 1e-12, 1 - 1e-12, out=np.empty(u.shape))


def sample_params(params: tuple[Param, ...], seed: int, start: int, stop: int,
                  method: str = "monte_carlo", correlation: Correlation | None = None) -> np.ndarray:
    """Draw every uncertain input for paths ``start..stop-1``.

    Returns
    -------
    ndarray, shape (stop - start, len(params))
        Column ``param.index`` holds ``param``'s draws from its distribution truncated to
        the input's valid range (validation allows at most 1% of the mass outside it),
        from the uniforms of its own stream (keyed by ``param.draw_key``).
    """
    n = stop - start
    if not params:
        return np.empty((n, 0))
    keys = [""] * len(params)
    for param in params:
        keys[param.index] = param.draw_key
    u = uniforms(seed, tuple(keys), start, stop, method, correlation)
    out = np.empty_like(u)
    for param in params:
        out[:, param.index] = param.at(u[:, param.index])
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
