"""The closed forms validation uses agree with scipy.stats, and the lazy SciPy objects sample as before."""
import pickle

import numpy as np
import pytest
from scipy import stats

from planner.scenario import closed_forms, distributions
from planner.scenario.distributions import Frozen, parse_distribution, parse_interval

QS = [1e-12, 1e-6, 0.001, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999, 1 - 1e-6, 1 - 1e-12]

CASES = [
    (closed_forms.Normal(0.02, 0.005), stats.norm(0.02, 0.005)),
    (closed_forms.Normal(-3.0, 40.0), stats.norm(-3.0, 40.0)),
    (closed_forms.Lognormal(0.27, 2400), stats.lognorm(s=0.27, scale=2400)),
    (closed_forms.Lognormal(1.5, 0.01), stats.lognorm(s=1.5, scale=0.01)),
    (closed_forms.Uniform(8, 6), stats.uniform(loc=8, scale=6)),
    (closed_forms.Triangular(0.3, 10, 15), stats.triang(c=0.3, loc=10, scale=15)),
    (closed_forms.Triangular(0.0, 1, 2), stats.triang(c=0.0, loc=1, scale=2)),
    (closed_forms.Triangular(1.0, 1, 2), stats.triang(c=1.0, loc=1, scale=2)),
    (closed_forms.Beta(3.0, 3.0, 4, 4), stats.beta(3.0, 3.0, loc=4, scale=4)),
    (closed_forms.Beta(1.0, 5.0, 0.025, 0.035), stats.beta(1.0, 5.0, loc=0.025, scale=0.035)),
    (closed_forms.Beta(4.2, 1.3), stats.beta(4.2, 1.3)),
    (closed_forms.Beta(30.0, 270.0), stats.beta(30.0, 270.0)),
]


@pytest.mark.parametrize("closed, scipy_dist", CASES)
def test_quantiles_agree_with_scipy(closed, scipy_dist):
    for q in QS:
        assert closed.ppf(q) == pytest.approx(float(scipy_dist.ppf(q)), rel=1e-11, abs=1e-300), q


@pytest.mark.parametrize("closed, scipy_dist", CASES)
def test_tail_probabilities_agree_with_scipy(closed, scipy_dist):
    lo, hi = scipy_dist.ppf(1e-9), scipy_dist.ppf(1 - 1e-9)
    width = hi - lo
    for x in np.concatenate([np.linspace(lo - 0.1 * width, hi + 0.1 * width, 41), [lo, hi]]):
        # abs: SciPy's triangular sf is 1 - cdf, good to 1e-16 absolute only
        assert closed.cdf(x) == pytest.approx(float(scipy_dist.cdf(x)), rel=1e-10, abs=1e-15), x
        assert closed.sf(x) == pytest.approx(float(scipy_dist.sf(x)), rel=1e-10, abs=1e-15), x


def test_normal_constants_are_scipys_to_the_bit():
    assert distributions._Z90 == stats.norm.ppf(0.9)
    assert distributions.Z95 == stats.norm.ppf(0.95)


SPECS = [
    {"dist": "normal", "mean": 0.02, "sd": 0.005},
    {"dist": "lognormal", "median": 1200, "p90": 1800},
    {"dist": "lognormal", "mean": 1200, "sd": 300},
    {"dist": "triangular", "low": 10, "mode": 14, "high": 25},
    {"dist": "pert", "low": 4, "mode": 6, "high": 8},
    {"dist": "uniform", "low": 0.01, "high": 0.03},
    {"dist": "beta", "mean": 0.1, "sd": 0.02},
    {"dist": "truncnorm", "mean": 1, "sd": 1, "low": 0, "high": 3},
    {"dist": "poisson", "mean": 3},
    {"dist": "binomial", "n": 10, "p": 0.3},
    {"dist": "choice", "values": [0.8, 1, 1.2], "weights": [0.2, 0.6, 0.2]},
]

SCIPY = {
    "normal": lambda: stats.norm(0.02, 0.005),
    "lognormal": None, "triangular": lambda: stats.triang(c=4 / 15, loc=10, scale=15),
    "pert": lambda: stats.beta(3.0, 3.0, loc=4, scale=4),
    "uniform": lambda: stats.uniform(loc=0.01, scale=0.03 - 0.01),
}


@pytest.mark.parametrize("spec", SPECS, ids=[s["dist"] for s in SPECS])
def test_lazy_distributions_sample_like_scipy_and_pickle(spec):
    dist, problems = parse_distribution(dict(spec))
    assert problems == []
    u = np.random.default_rng(3).random(1000)
    drawn = dist.ppf(u)
    again = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(again.ppf(u), drawn)
    assert again.quantile(0.3) == dist.quantile(0.3)
    if spec["dist"] in SCIPY and SCIPY[spec["dist"]] is not None:
        np.testing.assert_array_equal(drawn, SCIPY[spec["dist"]]().ppf(u))
    # a scalar quantile, closed form or SciPy, is the array one to rounding
    assert dist.quantile(0.3) == pytest.approx(float(dist.ppf(np.array([0.3]))[0]), rel=1e-12)


def test_intervals_sample_like_scipy():
    u = np.linspace(0.001, 0.999, 50)
    dist, _ = parse_interval("1500 to 2500")
    sigma = np.log(2500 / 1500) / (2 * stats.norm.ppf(0.95))
    np.testing.assert_array_equal(dist.ppf(u), stats.lognorm(s=sigma, scale=np.sqrt(1500 * 2500)).ppf(u))
    dist, _ = parse_interval("-10 to 30")
    np.testing.assert_array_equal(dist.ppf(u), stats.norm(10, 40 / (2 * stats.norm.ppf(0.95))).ppf(u))


def test_frozen_is_made_once_and_forwards_attributes():
    frozen = Frozen("norm", 1.0, 2.0)
    assert "_made" not in frozen.__dict__
    assert frozen.mean() == 1.0
    assert frozen.scipy() is frozen.scipy()
    with pytest.raises(AttributeError):
        frozen._private


def test_too_wide_lognormal_is_infinite_not_an_error():
    with np.errstate(over="ignore"):
        wide = float(stats.lognorm(s=300.0).ppf(1 - 1e-6))
    assert closed_forms.Lognormal(300.0, 1.0).ppf(1 - 1e-6) == wide == float("inf")
    assert closed_forms.Lognormal(300.0, 1.0).ppf(1e-6) == pytest.approx(0.0, abs=1e-300)
