"""Probability distributions for uncertain scenario inputs.

Every distribution is a frozen :mod:`scipy.stats` object and is sampled by its
inverse CDF (``ppf``) from uniform numbers, so that plain Monte Carlo, Latin hypercube
and quasi-random sampling all go through the same code.

YAML forms (``dist`` names the family)::

    {dist: normal, mean: 0.02, sd: 0.005}
    {dist: lognormal, median: 1200, p90: 1800}      # or mean + sd
    {dist: triangular, low: 10, mode: 14, high: 25}
    {dist: pert, low: 10, mode: 14, high: 25}
    {dist: uniform, low: 0.01, high: 0.03}
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from scipy import stats

_Z90 = stats.norm.ppf(0.9)


@dataclass(frozen=True)
class Distribution:
    """A validated, frozen distribution of one scenario input.

    Attributes
    ----------
    family : str
        ``normal``, ``lognormal``, ``triangular``, ``pert`` or ``uniform``.
    params : dict
        The parameters as written in the scenario.
    frozen : scipy.stats frozen distribution
        What is sampled.
    """

    family: str
    params: dict
    frozen: Any = field(compare=False, repr=False)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF of uniform numbers ``u`` in (0, 1); same shape out."""
        return self.frozen.ppf(u)

    def mean(self) -> float:
        return float(self.frozen.mean())

    def median(self) -> float:
        return float(self.frozen.ppf(0.5))

    def mass_outside(self, low: float | None, high: float | None) -> float:
        """Probability of drawing below ``low`` or above ``high`` (None: unbounded)."""
        below = 0.0 if low is None else float(self.frozen.cdf(low))
        above = 0.0 if high is None else float(self.frozen.sf(high))
        return below + above

    def describe(self) -> str:
        """Short text such as ``lognormal(median=1200, p90=1800)``."""
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{self.family}({inner})"


def _fmt(value: float) -> str:
    return f"{value:g}"


def _normal(p: dict) -> tuple[Any, list[str]]:
    errors = [] if p["sd"] > 0 else [f"sd must be > 0 (got {_fmt(p['sd'])})"]
    return (None if errors else stats.norm(p["mean"], p["sd"])), errors


def _lognormal(p: dict) -> tuple[Any, list[str]]:
    if "median" in p:
        median, p90 = p["median"], p["p90"]
        if median <= 0:
            return None, [f"median must be > 0 (got {_fmt(median)})"]
        if p90 <= median:
            return None, [f"p90 must be > median (got p90={_fmt(p90)}, median={_fmt(median)})"]
        sigma = math.log(p90 / median) / _Z90
        return stats.lognorm(s=sigma, scale=median), []
    mean, sd = p["mean"], p["sd"]
    if mean <= 0 or sd <= 0:
        return None, [f"mean and sd must be > 0 (got mean={_fmt(mean)}, sd={_fmt(sd)})"]
    sigma2 = math.log1p((sd / mean) ** 2)
    return stats.lognorm(s=math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2)), []


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
    return stats.triang(c=(p["mode"] - p["low"]) / width, loc=p["low"], scale=width), []


def _pert(p: dict) -> tuple[Any, list[str]]:
    errors = _low_mode_high(p)
    if errors:
        return None, errors
    low, mode, high = p["low"], p["mode"], p["high"]
    width = high - low
    a = 1 + 4 * (mode - low) / width
    b = 1 + 4 * (high - mode) / width
    return stats.beta(a, b, loc=low, scale=width), []


def _uniform(p: dict) -> tuple[Any, list[str]]:
    if not p["low"] < p["high"]:
        return None, [f"needs low < high (got low={_fmt(p['low'])}, high={_fmt(p['high'])})"]
    return stats.uniform(loc=p["low"], scale=p["high"] - p["low"]), []


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too long for a float
        return False


Builder = Callable[[dict], tuple[Any, list[str]]]

#: family -> (alternative sets of parameter names, builder)
FAMILIES: dict[str, tuple[tuple[tuple[str, ...], ...], Builder]] = {
    "normal": ((("mean", "sd"),), _normal),
    "lognormal": ((("median", "p90"), ("mean", "sd")), _lognormal),
    "triangular": ((("low", "mode", "high"),), _triangular),
    "pert": ((("low", "mode", "high"),), _pert),
    "uniform": ((("low", "high"),), _uniform),
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
    if family not in FAMILIES:
        import difflib

        hint = difflib.get_close_matches(str(family), FAMILIES, n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        return None, [("dist", f"unknown distribution (got {family!r}); expected one of "
                               f"{', '.join(FAMILIES)}{extra}")]
    shapes, builder = FAMILIES[family]
    given = {k for k in spec if k != "dist"}
    shape = next((s for s in shapes if set(s) == given), None)
    if shape is None:
        expected = " or ".join("{" + ", ".join(s) + "}" for s in shapes)
        return None, [("", f"{family} takes {expected} (got {{{', '.join(sorted(map(str, given)))}}})")]
    problems = [(k, f"must be a number (got {spec[k]!r})") for k in shape
                if not _finite_number(spec[k])]
    if problems:
        return None, problems
    params = {k: float(spec[k]) for k in shape}
    frozen, errors = builder(params)
    if errors:
        return None, [("", e) for e in errors]
    dist = Distribution(family, params, frozen)
    with np.errstate(all="ignore"):
        tails = np.asarray(frozen.ppf([0.001, 0.999]), dtype=float)
    if not np.isfinite(tails).all():
        return None, [("", f"{dist.describe()} is too wide to compute with (its 0.1% to 99.9% range "
                           f"overflows); check the parameters")]
    return dist, []
