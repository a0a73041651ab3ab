"""Random streams keyed by name: every source of randomness has its own generator.

A stream is ``Generator(PCG64(SeedSequence(seed, spawn_key=(block, domain, *words))))``,
where ``block`` is the block of :data:`~planner.engine.sampling.BLOCK` paths, ``domain``
says what kind of randomness it is (:data:`INPUT`, :data:`CORRELATION`, :data:`NOISE`)
and ``words`` are a stable hash of its names: the first 8 bytes of the BLAKE2b digest of
each name's UTF-8 text, as two little-endian 32-bit words. Python's ``hash`` is never
used (it is salted per process). So a stream depends only on the seed, the block and
its names: adding, removing or reordering other inputs or segments leaves it unchanged.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

#: the domains of :func:`stream`: an uncertain input's uniforms, the Iman-Conover scores
#: of a correlated group, process noise
INPUT, CORRELATION, NOISE = 0, 1, 2


@lru_cache(maxsize=4096)
def key_words(name: str) -> tuple[int, int]:
    """Two 32-bit words from the BLAKE2b digest of ``name`` (stable across processes and platforms)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")


def stream(seed: int, block: int, domain: int, *names: str) -> np.random.Generator:
    """The generator of ``names`` in block ``block`` of paths.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    block : int
        Block index: paths ``block * BLOCK .. (block + 1) * BLOCK - 1``.
    domain : int
        :data:`INPUT`, :data:`CORRELATION` or :data:`NOISE`.
    *names : str
        What the stream is for, e.g. an input's key path, or a segment name and a stage.

    Returns
    -------
    numpy.random.Generator
    """
    words = tuple(w for name in names for w in key_words(name))
    sequence = np.random.SeedSequence(seed, spawn_key=(block, domain, *words))
    return np.random.Generator(np.random.PCG64(sequence))
