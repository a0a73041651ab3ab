"""Probability distributions for uncertain scenario inputs.

Every distribution is a frozen :mod:`scipy.stats` object and is sampled by its
inverse CDF (``ppf``) from uniform numbers, so that plain Monte Carlo, Latin hypercube
and quasi-random sampling all go through the same code. The SciPy object is made when
first needed (:class:`Frozen`): the common families are sampled with SciPy's
arithmetic on :mod:`scipy.special` (:mod:`planner.scenario.exact`, bit for bit), so a
run does not import scipy.stats; validation asks only for scalar quantiles and tail
probabilities, which the common families answer in closed form
(:mod:`planner.scenario.closed_forms`), so ``planner validate`` does not import SciPy.

YAML forms (``dist`` names the family)::

    {dist: normal, mean: 0.02, sd: 0.005}
    {dist: lognormal, median: 1200, p90: 1800}      # or mean + sd
    {dist: triangular, low: 10, mode: 14, high: 25}
    {dist: pert, low: 10, mode: 14, high: 25}
    {dist: uniform, low: 0.01, high: 0.03}
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from planner.scenario import closed_forms

#: scipy.stats.norm.ppf(0.9) and (0.95), to the bit (tests/test_closed_forms.py checks
#: them): lognormal widths depend on them, and statistics.NormalDist differs in the last digit
_Z90 = 1.2815515655446004
Z95 = 1.6448536269514722


class Frozen:
    """A :mod:`scipy.stats` frozen distribution, made on first use.

    ``Frozen("lognorm", s=0.3, scale=1200)`` stands for ``scipy.stats.lognorm(s=0.3,
    scale=1200)``: every attribute (``ppf``, ``cdf``, ``mean``...) is the SciPy object's.
    ``closed``, when given, answers scalar ``ppf``/``cdf``/``sf`` without SciPy (see
    :meth:`Distribution.quantile`).
    """

    def __init__(self, name: str, *args, closed=None, **kwargs):
        self.name, self.args, self.kwargs, self.closed = name, args, kwargs, closed

    def arrays(self):
        """What answers ``ppf``/``cdf``/``sf`` on arrays: the family's stand-in from
        :mod:`planner.scenario.exact` (SciPy's numbers to the bit, importing only
        scipy.special, and only on first use: validation needs no SciPy), else SciPy's."""
        made = self.__dict__.get("_exact")
        if made is None:
            from planner.scenario import exact

            made = self.__dict__["_exact"] = exact.make(self.name, self.args, self.kwargs) or self.scipy()
        return made

    def ppf(self, q):
        """Inverse CDF of ``q`` (SciPy's, bit for bit)."""
        return self.arrays().ppf(q)

    def cdf(self, x):
        """Cumulative probability at ``x`` (SciPy's, bit for bit)."""
        return self.arrays().cdf(x)

    def sf(self, x):
        """Survival probability at ``x`` (SciPy's, bit for bit)."""
        return self.arrays().sf(x)

    def scipy(self):
        """The SciPy frozen distribution (imports scipy.stats the first time)."""
        made = self.__dict__.get("_made")
        if made is None:
            from scipy import stats

            made = self.__dict__["_made"] = getattr(stats, self.name)(*self.args, **self.kwargs)
        return made

    def __getattr__(self, attr: str):
        if attr.startswith("_"):  # pickling and copying look for dunders before __init__ ran
            raise AttributeError(attr)
        return getattr(self.scipy(), attr)

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("_made", "_exact")}


@dataclass(frozen=True)
class Distribution:
    """A validated, frozen distribution of one scenario input.

    Attributes
    ----------
    family : str
        ``normal``, ``lognormal``, ``triangular``, ``pert`` or ``uniform``.
    params : dict
        The parameters as written in the scenario.
    frozen : Frozen or scipy.stats frozen distribution
        What is sampled.
    """

    family: str
    params: dict
    frozen: Any = field(compare=False, repr=False)
    #: what is possible but unusual about it (shown as scenario warnings)
    warnings: tuple[str, ...] = field(default=(), compare=False)

    #: scalar quantiles and probabilities already computed (validation asks for the same
    #: few points many times; SciPy's calls cost milliseconds each)
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF of uniform numbers ``u`` in (0, 1); same shape out."""
        return self.frozen.ppf(u)

    def _scalar(self, how: str, x: float) -> float:
        key = (how, float(x))
        if key not in self._memo:
            closed = getattr(self.frozen, "closed", None)
            if closed is not None:
                self._memo[key] = float(getattr(closed, how)(float(x)))
            else:
                with np.errstate(all="ignore"):
                    self._memo[key] = float(getattr(self.frozen, how)(x))
        return self._memo[key]

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (one number, remembered; closed form when the family has one)."""
        return self._scalar("ppf", q)

    def mean(self) -> float:
        return float(self.frozen.mean())

    def median(self) -> float:
        return self.quantile(0.5)

    def mass_outside(self, low: float | None, high: float | None) -> float:
        """Probability of drawing below ``low`` or above ``high`` (None: unbounded)."""
        # P(X < low): just below the bound, so a discrete value on the bound is inside
        below = 0.0 if low is None else self._scalar("cdf", np.nextafter(low, -np.inf))
        above = 0.0 if high is None else self._scalar("sf", high)
        return below + above

    def describe(self) -> str:
        """Short text such as ``lognormal(median=1200, p90=1800)``."""
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{self.family}({inner})"


def _shown(value) -> str:
    """A value as quoted in a message: text in quotes (shortened), lists and mappings named."""
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
    return {list: "a list", dict: "a mapping"}.get(type(value), repr(value)[:40])


def _fmt(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return f"{value:g}"


def _norm(loc: float = 0.0, scale: float = 1.0) -> Frozen:
    """``scipy.stats.norm(loc, scale)``, made on first use."""
    return Frozen("norm", loc, scale, closed=closed_forms.Normal(loc, scale))


def _lognorm(s: float, scale: float) -> Frozen:
    """``scipy.stats.lognorm(s=s, scale=scale)``, made on first use."""
    return Frozen("lognorm", s=s, scale=scale, closed=closed_forms.Lognormal(s, scale))


def standard_normal() -> "Distribution":
    """A standard normal input (a fitted model's z-scores)."""
    return Distribution("normal", {"mean": 0.0, "sd": 1.0}, _norm())


def _normal(p: dict) -> tuple[Any, list[str]]:
    errors = [] if p["sd"] > 0 else [f"sd must be > 0 (got {_fmt(p['sd'])})"]
    return (None if errors else _norm(p["mean"], p["sd"])), errors


def _lognormal(p: dict) -> tuple[Any, list[str]]:
    if "median" in p:
        median, p90 = p["median"], p["p90"]
        if median <= 0:
            return None, [f"median must be > 0 (got {_fmt(median)})"]
        if p90 <= median:
            return None, [f"p90 must be > median (got p90={_fmt(p90)}, median={_fmt(median)})"]
        sigma = math.log(p90 / median) / _Z90
        return _lognorm(sigma, median), []
    mean, sd = p["mean"], p["sd"]
    if mean <= 0 or sd <= 0:
        return None, [f"mean and sd must be > 0 (got mean={_fmt(mean)}, sd={_fmt(sd)})"]
    sigma2 = math.log1p((sd / mean) ** 2)
    return _lognorm(math.sqrt(sigma2), mean * math.exp(-sigma2 / 2)), []


def _low_mode_high(p: dict) -> list[str]:
    low, mode, high = p["low"], p["mode"], p["high"]
    if not low <= mode <= high:
        return [f"needs low <= mode <= high (got low={_fmt(low)}, mode={_fmt(mode)}, high={_fmt(high)})"]
    if low == high:
        return [f"needs low < high (got low = high = {_fmt(low)})"]
    return []


def _triangular(p: dict) -> tuple[Any, list[str]]:
    errors = _low_mode_high(p)
    if errors:
        return None, errors
    width = p["high"] - p["low"]
    c = (p["mode"] - p["low"]) / width
    return Frozen("triang", c=c, loc=p["low"], scale=width,
                  closed=closed_forms.Triangular(c, p["low"], width)), []


def _pert(p: dict) -> tuple[Any, list[str]]:
    errors = _low_mode_high(p)
    if errors:
        return None, errors
    low, mode, high = p["low"], p["mode"], p["high"]
    width = high - low
    a = 1 + 4 * (mode - low) / width
    b = 1 + 4 * (high - mode) / width
    return Frozen("beta", a, b, loc=low, scale=width, closed=closed_forms.Beta(a, b, low, width)), []


def _uniform(p: dict) -> tuple[Any, list[str]]:
    if not p["low"] < p["high"]:
        return None, [f"needs low < high (got low={_fmt(p['low'])}, high={_fmt(p['high'])})"]
    width = p["high"] - p["low"]
    return Frozen("uniform", loc=p["low"], scale=width, closed=closed_forms.Uniform(p["low"], width)), []


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too long for a float
        return False


def _truncnorm(p: dict) -> tuple[Any, list[str]]:
    if p["sd"] <= 0:
        return None, [f"sd must be > 0 (got {_fmt(p['sd'])})"]
    if not p["low"] < p["high"]:
        return None, [f"needs low < high (got low={_fmt(p['low'])}, high={_fmt(p['high'])})"]
    a, b = (p["low"] - p["mean"]) / p["sd"], (p["high"] - p["mean"]) / p["sd"]
    return Frozen("truncnorm", a, b, loc=p["mean"], scale=p["sd"]), []


def _beta(p: dict) -> tuple[Any, list[str]]:
    """Beta by mean and sd (method of moments), for rates in (0, 1)."""
    m, sd = p["mean"], p["sd"]
    if not 0 < m < 1:
        return None, [f"mean must be between 0 and 1 (got {_fmt(m)})"]
    if not 0 < sd ** 2 < m * (1 - m):
        return None, [f"sd must be > 0 and below sqrt(mean (1 - mean)) = {math.sqrt(m * (1 - m)):.4g} "
                      f"(got {_fmt(sd)})"]
    common = m * (1 - m) / sd ** 2 - 1
    a, b = m * common, (1 - m) * common
    return Frozen("beta", a, b, closed=closed_forms.Beta(a, b)), []


def _poisson(p: dict) -> tuple[Any, list[str]]:
    if p["mean"] <= 0:
        return None, [f"mean must be > 0 (got {_fmt(p['mean'])})"]
    return Frozen("poisson", p["mean"]), []


def _binomial(p: dict) -> tuple[Any, list[str]]:
    n, prob = p["n"], p["p"]
    if n < 1 or n != int(n):
        return None, [f"n must be a whole number >= 1 (got {_fmt(n)})"]
    if not 0 <= prob <= 1:
        return None, [f"p must be between 0 and 1 (got {_fmt(prob)})"]
    return Frozen("binom", int(n), prob), []


class _Choice:
    """A discrete choice between values with weights, as a frozen-distribution lookalike.

    The index of the chosen value is a :func:`scipy.stats.rv_discrete`; the values may
    be any numbers.
    """

    def __init__(self, values: np.ndarray, weights: np.ndarray):
        order = np.argsort(values, kind="stable")
        self.values = np.asarray(values, dtype=float)[order]
        probs = np.asarray(weights, dtype=float)[order]
        self.index = Frozen("rv_discrete", values=(np.arange(len(values)), probs / probs.sum()))

    def _value(self, index):
        return self.values[np.asarray(index, dtype=int)]

    def ppf(self, u):
        return self._value(self.index.ppf(u))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return self.index.cdf(np.searchsorted(self.values, x, side="right") - 1)

    def sf(self, x):
        return 1.0 - self.cdf(x)

    def mean(self):
        return float(self.values @ self.index.pk)

    def support(self):
        return float(self.values[0]), float(self.values[-1])


def _choice(spec: dict) -> tuple[Any, list[tuple[str, str]], dict]:
    values, weights = spec.get("values"), spec.get("weights")
    if set(spec) - {"dist"} != {"values", "weights"}:
        return None, [("", "choice takes {values, weights}, e.g. {dist: choice, values: [0.8, 1, 1.2], "
                           "weights: [0.2, 0.6, 0.2]}")], {}
    problems = [(k, "must be a list of numbers") for k, v in (("values", values), ("weights", weights))
                if not isinstance(v, list) or not v or not all(_finite_number(x) for x in v)]
    if problems:
        return None, problems, {}
    if len(values) != len(weights):
        return None, [("weights", f"needs one weight per value ({len(values)} values, "
                                  f"{len(weights)} weights)")], {}
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        return None, [("weights", "must be >= 0 and not all 0")], {}
    params = {"values": [float(v) for v in values], "weights": [float(w) for w in weights]}
    return _Choice(np.array(values), np.array(weights)), [], params


def _choice_warnings(weights: list[float]) -> tuple[str, ...]:
    total = math.fsum(weights)
    if abs(total - 1.0) <= 1e-6:
        return ()
    shares = ", ".join(f"{w / total:.3g}" for w in weights)
    return (f"the choice weights add up to {total:g}, not 1; they are used as shares "
            f"({shares}); write them as probabilities that add up to 1",)


#: a number as written in a scenario: ASCII digits, optional sign, point and exponent
_PLAIN_NUMBER = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$", re.ASCII)


def parse_interval(text: str) -> tuple[Distribution | None, str]:
    """``"1500 to 2500"``: a 90% interval (5th to 95th percentile).

    Lognormal when both ends are > 0 (strictly positive inputs), normal otherwise.

    Returns
    -------
    dist : Distribution or None
    problem : str
        Empty when the text was a valid interval.
    """
    parts = [p.strip() for p in text.split(" to ")]
    # ASCII only: float() would also read "١" or "１" (other scripts' digits)
    if len(parts) == 2 and all(_PLAIN_NUMBER.match(p) for p in parts):
        low, high = (float(p) for p in parts)
    else:
        low = high = None
    if low is None or not (math.isfinite(low) and math.isfinite(high)):
        return None, "must be a number, a distribution ({dist: ...}) or a 90% interval 'LOW to HIGH'"
    if not low < high:
        return None, f"the interval needs LOW < HIGH (got {text!r})"
    if low > 0:
        sigma = math.log(high / low) / (2 * Z95)
        median = math.sqrt(low * high)
        return Distribution("lognormal", {"p5": low, "p95": high},
                            _lognorm(sigma, median)), ""
    return Distribution("normal", {"p5": low, "p95": high},
                        _norm((low + high) / 2, (high - low) / (2 * Z95))), ""


Builder = Callable[[dict], tuple[Any, list[str]]]

#: family -> (alternative sets of parameter names, builder)
FAMILIES: dict[str, tuple[tuple[tuple[str, ...], ...], Builder]] = {
    "normal": ((("mean", "sd"),), _normal),
    "lognormal": ((("median", "p90"), ("mean", "sd")), _lognormal),
    "triangular": ((("low", "mode", "high"),), _triangular),
    "pert": ((("low", "mode", "high"),), _pert),
    "uniform": ((("low", "high"),), _uniform),
    "truncnorm": ((("mean", "sd", "low", "high"),), _truncnorm),
    "beta": ((("mean", "sd"),), _beta),
    "poisson": ((("mean",),), _poisson),
    "binomial": ((("n", "p"),), _binomial),
    "choice": ((("values", "weights"),), None),
}


def parse_distribution(spec: dict) -> tuple[Distribution | None, list[tuple[str, str]]]:
    """Build a :class:`Distribution` from its YAML mapping.

    Parameters
    ----------
    spec : dict
        Mapping with key ``dist`` and the family's parameters.

    Returns
    -------
    dist : Distribution or None
        None when there were problems.
    problems : list of (key, message)
        ``key`` is the offending sub-key ('' for the mapping itself).
    """
    family = spec.get("dist")
    if family is None:
        return None, [("dist", f"is required: the distribution family, one of {', '.join(FAMILIES)}")]
    if not isinstance(family, str) or family not in FAMILIES:
        import difflib

        shown = _shown(family)
        hint = difflib.get_close_matches(shown, FAMILIES, n=1) if isinstance(family, str) else []
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        return None, [("dist", f"unknown distribution (got {shown}); expected one of "
                               f"{', '.join(FAMILIES)}{extra}")]
    if family == "choice":
        frozen, problems, params = _choice(spec)
        if frozen is None:
            return None, problems
        return Distribution("choice", params, frozen, _choice_warnings(params["weights"])), problems
    shapes, builder = FAMILIES[family]
    given = {k for k in spec if k != "dist"}
    shape = next((s for s in shapes if set(s) == given), None)
    if shape is None:
        expected = " or ".join("{" + ", ".join(s) + "}" for s in shapes)
        return None, [("", f"{family} takes {expected} (got {{{', '.join(sorted(map(str, given)))}}})")]
    problems = [(k, f"must be a number (got {_shown(spec[k])})") for k in shape
                if not _finite_number(spec[k])]
    if problems:
        return None, problems
    params = {k: float(spec[k]) for k in shape}
    dist, problems = _continuous(family, tuple(params.items()))
    return dist, list(problems)


@functools.lru_cache(maxsize=4096)
def _continuous(family: str, items: tuple) -> tuple[Distribution | None, list[tuple[str, str]]]:
    """A parametric distribution from checked numbers (remembered: freezing costs ~2 ms)."""
    params = dict(items)
    frozen, errors = FAMILIES[family][1](params)
    if errors:
        return None, tuple(("", e) for e in errors)
    dist = Distribution(family, params, frozen)
    tails = np.array([dist.quantile(0.001), dist.quantile(0.999)])
    if not np.isfinite(tails).all():
        return None, (("", f"{dist.describe()} is too wide to compute with (its 0.1% to 99.9% range "
                           f"overflows); check the parameters"),)
    if family not in DISCRETE and not tails[1] > tails[0]:
        return None, (("", f"{dist.describe()} collapses to a single value when computed (its "
                           f"0.1% and 99.9% points are both {tails[0]:g}); check the parameters"),)
    return dist, ()


#: families whose draws are whole numbers (a point mass is then possible)
DISCRETE = ("poisson", "binomial", "choice")
