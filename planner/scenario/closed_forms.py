"""Scalar quantiles and probabilities of the common families, without SciPy.

Validating a scenario asks each uncertain input for a few quantiles and tail
probabilities (is its 1e-12 quantile inside the valid range? how much of it falls
outside?). Importing :mod:`scipy.stats` for that costs most of a second, so the
families scenarios mostly use answer from here: the normal through
:class:`statistics.NormalDist` and :func:`math.erfc`, the lognormal, uniform and
triangular in closed form, the beta (and so the PERT) by a continued fraction of the
incomplete beta function inverted by bisection. They agree with SciPy to about 1e-13
relative (tests/test_closed_forms.py); sampling goes through SciPy's ``ppf`` on arrays
(bit for bit, :mod:`planner.scenario.exact`), so simulated numbers do not depend on this
module.

Every class takes SciPy's parameters (``loc``, ``scale`` and shapes) and offers
``ppf(q)``, ``cdf(x)`` and ``sf(x)`` of one float.
"""
from __future__ import annotations

import functools
import math

_SQRT2 = math.sqrt(2.0)


def _norm_cdf(z: float) -> float:
    # erfc keeps the lower tail's relative precision (1 + erf(z) would round it to 0)
    return 0.5 * math.erfc(-z / _SQRT2)


@functools.cache
def _standard():
    from statistics import NormalDist  # imports random: only when a quantile is asked for

    return NormalDist()


def _norm_ppf(q: float) -> float:
    if q <= 0.0:
        return -math.inf
    if q >= 1.0:
        return math.inf
    return _standard().inv_cdf(q)


class Normal:
    """Normal with mean ``loc`` and standard deviation ``scale``."""

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        self.loc, self.scale = float(loc), float(scale)

    def ppf(self, q: float) -> float:
        return self.loc + self.scale * _norm_ppf(q)

    def cdf(self, x: float) -> float:
        return _norm_cdf((x - self.loc) / self.scale)

    def sf(self, x: float) -> float:
        return _norm_cdf((self.loc - x) / self.scale)


class Lognormal:
    """Lognormal: ``scale * exp(s * Z)`` for a standard normal Z (SciPy's ``lognorm``)."""

    def __init__(self, s: float, scale: float = 1.0):
        self.s, self.scale = float(s), float(scale)

    def ppf(self, q: float) -> float:
        if q <= 0.0:
            return 0.0
        try:
            return self.scale * math.exp(self.s * _norm_ppf(q))
        except OverflowError:  # as SciPy: too wide to compute is infinite
            return math.inf

    def cdf(self, x: float) -> float:
        return 0.0 if x <= 0.0 else _norm_cdf(math.log(x / self.scale) / self.s)

    def sf(self, x: float) -> float:
        return 1.0 if x <= 0.0 else _norm_cdf(-math.log(x / self.scale) / self.s)


class Uniform:
    """Uniform on ``[loc, loc + scale]``."""

    def __init__(self, loc: float = 0.0, scale: float = 1.0):
        self.loc, self.scale = float(loc), float(scale)

    def ppf(self, q: float) -> float:
        return self.loc + self.scale * q

    def cdf(self, x: float) -> float:
        return min(max((x - self.loc) / self.scale, 0.0), 1.0)

    def sf(self, x: float) -> float:
        return 1.0 - self.cdf(x)


class Triangular:
    """Triangular on ``[loc, loc + scale]`` with its mode at ``loc + c * scale`` (SciPy's ``triang``)."""

    def __init__(self, c: float, loc: float = 0.0, scale: float = 1.0):
        self.c, self.loc, self.scale = float(c), float(loc), float(scale)

    def ppf(self, q: float) -> float:
        c = self.c
        x = math.sqrt(c * q) if q < c else 1.0 - math.sqrt((1.0 - c) * (1.0 - q))
        return self.loc + self.scale * x

    def cdf(self, x: float) -> float:
        u, c = (x - self.loc) / self.scale, self.c
        if u <= 0.0:
            return 0.0
        if u >= 1.0:
            return 1.0
        return u * u / c if u < c else 1.0 - (1.0 - u) ** 2 / (1.0 - c)

    def sf(self, x: float) -> float:
        u, c = (x - self.loc) / self.scale, self.c
        if u <= 0.0:
            return 1.0
        if u >= 1.0:
            return 0.0
        return 1.0 - u * u / c if u < c else (1.0 - u) ** 2 / (1.0 - c)


_TINY = 1e-300
_EPS = 1e-16


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + aa / c
            c = c if abs(c) > _TINY else _TINY
            step = d * c
            h *= step
        if abs(step - 1.0) < _EPS:
            break
    return h


def _beta_tails(a: float, b: float, x: float) -> tuple[float, float]:
    """``(P(X <= x), P(X > x))`` of a standard Beta(a, b), each to full relative precision."""
    if x <= 0.0:
        return 0.0, 1.0
    if x >= 1.0:
        return 1.0, 0.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        lower = front * _beta_fraction(a, b, x) / a
        return lower, 1.0 - lower
    upper = front * _beta_fraction(b, a, 1.0 - x) / b
    return 1.0 - upper, upper


def _beta_lower_quantile(a: float, b: float, q: float) -> float:
    """The x in [0, 1] with P(X <= x) = q for a standard Beta(a, b), by bisection."""
    lo, hi = 0.0, 1.0
    while True:
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            return hi if _beta_tails(a, b, hi)[0] - q < q - _beta_tails(a, b, lo)[0] else lo
        if _beta_tails(a, b, mid)[0] < q:
            lo = mid
        else:
            hi = mid


class Beta:
    """Beta with shapes ``a``, ``b`` on ``[loc, loc + scale]`` (SciPy's ``beta``; the PERT is one)."""

    def __init__(self, a: float, b: float, loc: float = 0.0, scale: float = 1.0):
        self.a, self.b, self.loc, self.scale = float(a), float(b), float(loc), float(scale)

    def ppf(self, q: float) -> float:
        if q <= 0.0:
            return self.loc
        if q >= 1.0:
            return self.loc + self.scale
        if q <= 0.5:
            u = _beta_lower_quantile(self.a, self.b, q)
        else:  # the upper tail as the lower tail of 1 - X ~ Beta(b, a), so 1 - 1e-12 stays exact
            u = 1.0 - _beta_lower_quantile(self.b, self.a, 1.0 - q)
        return self.loc + self.scale * u

    def cdf(self, x: float) -> float:
        return _beta_tails(self.a, self.b, (x - self.loc) / self.scale)[0]

    def sf(self, x: float) -> float:
        return _beta_tails(self.a, self.b, (x - self.loc) / self.scale)[1]
