"""SciPy's ``ppf``, ``cdf`` and ``sf`` of the common families, to the bit, without scipy.stats.

Importing :mod:`scipy.stats` costs most of a second of a ``planner run``. Its
continuous distributions are thin wrappers: the generic ``rv_continuous.ppf`` /
``cdf`` / ``sf`` standardise by ``loc`` and ``scale``, mask the arguments outside the
support, and call the family's ``_ppf`` / ``_cdf`` / ``_sf``, which for the families
here are :mod:`scipy.special` functions or numpy arithmetic. This module repeats that
arithmetic operation for operation (read from scipy 1.17's ``_distn_infrastructure``
and ``_continuous_distns``), so draws are bit-identical to scipy.stats'
(tests/test_exact.py compares them with ``np.array_equal``). Families not here keep
scipy.stats (:class:`planner.scenario.distributions.Frozen`).
"""
from __future__ import annotations

import numpy as np
import scipy.special as sc
import scipy.special._ufuncs as scu

#: the ufunc scipy.stats.beta.ppf calls (scipy >= 1.15 keeps it in scipy.special; older
#: releases in scipy.stats._boost, which loads scipy.stats: used only then)
_BETA_PPF = getattr(scu, "_beta_ppf", None)

#: what scipy.stats returns for arguments outside the domain
_BAD = np.nan


class Continuous:
    """One frozen continuous family: standard ``_ppf``/``_cdf``/``_sf`` plus ``loc``, ``scale``.

    Subclasses give ``support`` (the standard family's (a, b)), ``_argok`` and the
    three standard functions of 1-d float arrays.
    """

    support = (-np.inf, np.inf)

    def __init__(self, *shapes: float, loc: float = 0.0, scale: float = 1.0):
        self.shapes = tuple(np.asarray(s) for s in shapes)
        self.loc, self.scale = np.asarray(loc), np.asarray(scale)

    def _argok(self) -> np.ndarray:
        return np.asarray(True)

    def ppf(self, q):
        """Inverse CDF of ``q`` (any shape), as ``rv_continuous.ppf``."""
        q = np.asarray(q)
        a, b = self.support
        cond0 = self._argok() & (self.scale > 0) & (self.loc == self.loc)
        cond1 = (0 < q) & (q < 1)
        if np.ndim(cond0) == 0 and cond0 and q.ndim and np.all(cond1):
            # every q inside (0, 1), as sampling gives them: what np.place below would write
            return self._ppf(q) * self.scale + self.loc
        cond = cond0 & cond1
        output = np.full(np.shape(cond), fill_value=_BAD)
        np.place(output, cond0 & (q == 0), a * self.scale + self.loc)
        np.place(output, cond0 & (q == 1), b * self.scale + self.loc)
        if np.any(cond):
            good = np.broadcast_to(q, cond.shape)[cond]
            np.place(output, cond, self._ppf(good) * self.scale + self.loc)
        return output[()] if output.ndim == 0 else output

    def _standardised(self, x):
        x = np.asarray(x)
        x = np.asarray((x - self.loc) / self.scale, dtype=np.promote_types(x.dtype, np.float64))
        a, b = self.support
        cond0 = self._argok() & (self.scale > 0)
        with np.errstate(invalid="ignore"):
            inside = (a < x) & (x < b) & (self.scale > 0)
        return x, cond0, inside

    def cdf(self, x):
        """Cumulative probability at ``x`` (any shape), as ``rv_continuous.cdf``."""
        x, cond0, inside = self._standardised(x)
        cond = cond0 & inside
        output = np.zeros(np.shape(cond), x.dtype)
        np.place(output, (1 - cond0) + np.isnan(x), _BAD)
        np.place(output, (x >= np.asarray(self.support[1])) & cond0, 1.0)
        if np.any(cond):
            np.place(output, cond, self._cdf(np.broadcast_to(x, cond.shape)[cond]))
        return output[()] if output.ndim == 0 else output

    def sf(self, x):
        """Survival probability at ``x`` (any shape), as ``rv_continuous.sf``."""
        x, cond0, inside = self._standardised(x)
        cond = cond0 & inside
        output = np.zeros(np.shape(cond), x.dtype)
        np.place(output, (1 - cond0) + np.isnan(x), _BAD)
        np.place(output, cond0 & (x <= self.support[0]), 1.0)
        if np.any(cond):
            np.place(output, cond, self._sf(np.broadcast_to(x, cond.shape)[cond]))
        return output[()] if output.ndim == 0 else output

    def _sf(self, x):
        return 1.0 - self._cdf(x)


class Norm(Continuous):
    """``scipy.stats.norm(loc, scale)``."""

    def _ppf(self, q):
        return sc.ndtri(q)

    def _cdf(self, x):
        return sc.ndtr(x)

    def _sf(self, x):
        return sc.ndtr(-x)


class Lognorm(Continuous):
    """``scipy.stats.lognorm(s, loc=loc, scale=scale)``."""

    support = (0.0, np.inf)

    def _argok(self):
        return self.shapes[0] > 0

    def _ppf(self, q):
        return np.exp(self.shapes[0] * sc.ndtri(q))

    def _cdf(self, x):
        return sc.ndtr(np.log(x) / self.shapes[0])

    def _sf(self, x):
        return sc.ndtr(-(np.log(x) / self.shapes[0]))


class Uniform(Continuous):
    """``scipy.stats.uniform(loc, scale)``."""

    support = (0.0, 1.0)

    def _ppf(self, q):
        return q

    def _cdf(self, x):
        return x

    def _sf(self, x):
        return 1 - x


class Triang(Continuous):
    """``scipy.stats.triang(c, loc=loc, scale=scale)``."""

    support = (0.0, 1.0)

    def _argok(self):
        c = self.shapes[0]
        return (c >= 0) & (c <= 1)

    def _ppf(self, q):
        c = self.shapes[0]
        return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))

    def _cdf(self, x):
        # scipy's _lazyselect: each case in turn, a later one overwriting an earlier
        c = float(self.shapes[0])
        out = np.zeros_like(x)
        cases = [(c == 0, lambda x: 2 * x - x * x), (x < c, lambda x: x * x / c),
                 ((x >= c) & (c != 1), lambda x: (x * x - 2 * x + c) / (c - 1)),
                 (c == 1, lambda x: x * x)]
        for cond, func in cases:
            cond = np.broadcast_to(cond, x.shape)
            if cond.any():
                np.place(out, cond, func(x[cond]))
        return out

    def _sf(self, x):
        return 1.0 - self._cdf(x)


class Beta(Continuous):
    """``scipy.stats.beta(a, b, loc=loc, scale=scale)``."""

    support = (0.0, 1.0)

    def _argok(self):
        a, b = self.shapes
        return (a > 0) & (b > 0)

    def _ppf(self, q):
        a, b = self.shapes
        if _BETA_PPF is None:  # an older SciPy: its own private home of the same function
            from scipy.stats._boost import _beta_ppf

            return _beta_ppf(q, a, b)
        return _BETA_PPF(q, a, b)

    def _cdf(self, x):
        a, b = self.shapes
        return sc.betainc(a, b, x)

    def _sf(self, x):
        a, b = self.shapes
        return sc.betaincc(a, b, x)


def gamma_cdf(x: np.ndarray, a: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``scipy.stats.gamma.cdf(x, a, scale=scale)`` to the bit (arrays broadcast together).

    Parameters
    ----------
    x, a, scale : array_like
        Points, shape parameters and scales; broadcast to one shape.

    Returns
    -------
    ndarray
        The broadcast shape; NaN where ``a <= 0``, ``scale <= 0`` or ``x`` is NaN.
    """
    x, a, scale = (np.asarray(v, dtype=float) for v in (x, a, scale))
    x = np.asarray(x / scale, dtype=np.float64)
    cond0 = (a > 0) & (scale > 0)
    with np.errstate(invalid="ignore"):
        cond1 = (0.0 < x) & (x < np.inf) & (scale > 0)
    cond = cond0 & cond1
    output = np.zeros(np.shape(cond))
    np.place(output, (1 - cond0) + np.isnan(x), _BAD)
    np.place(output, (x >= np.inf) & cond0, 1.0)
    if np.any(cond):
        shape = cond.shape
        np.place(output, cond, sc.gammainc(np.broadcast_to(a, shape)[cond],
                                           np.broadcast_to(x, shape)[cond]))
    return output[()] if output.ndim == 0 else output


#: scipy.stats family name -> exact class
FAMILIES = {"norm": Norm, "lognorm": Lognorm, "uniform": Uniform, "triang": Triang, "beta": Beta}

#: number of shape parameters of each family, in scipy's order
_SHAPES = {"norm": (), "lognorm": ("s",), "uniform": (), "triang": ("c",), "beta": ("a", "b")}


def make(name: str, args: tuple, kwargs: dict) -> Continuous | None:
    """The exact stand-in of ``scipy.stats.<name>(*args, **kwargs)``, or None when the
    family is not here (the caller then uses scipy.stats)."""
    if name not in FAMILIES:
        return None
    names = _SHAPES[name] + ("loc", "scale")
    if len(args) > len(names) or set(kwargs) - set(names):
        return None
    given = dict(zip(names, args)) | kwargs
    shapes = [given[n] for n in _SHAPES[name] if n in given]
    if len(shapes) != len(_SHAPES[name]):
        return None
    return FAMILIES[name](*shapes, loc=given.get("loc", 0.0), scale=given.get("scale", 1.0))
