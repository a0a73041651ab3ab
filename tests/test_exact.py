"""planner.scenario.exact gives scipy.stats' ppf, cdf and sf to the bit."""
import numpy as np
import pytest
from scipy import stats

from planner.scenario import exact

# many probabilities, tails included (what sampling feeds in: [1e-12, 1 - 1e-12])
_Q = np.concatenate([np.linspace(0.0, 1.0, 20001), np.geomspace(1e-300, 1e-3, 400),
                     1 - np.geomspace(1e-16, 1e-3, 400), [1e-12, 1 - 1e-12, 0.5, 0.9, 0.95],
                     np.random.default_rng(7).random(20000)])

_CASES = [
    ("norm", (0.0, 1.0), {}), ("norm", (0.02, 0.005), {}), ("norm", (-3.5, 120.0), {}),
    ("lognorm", (), {"s": 0.3, "scale": 1200.0}), ("lognorm", (), {"s": 1.7, "scale": 0.02}),
    ("uniform", (), {"loc": 0.01, "scale": 0.02}), ("uniform", (), {"loc": -5.0, "scale": 13.0}),
    ("triang", (), {"c": 0.25, "loc": 10.0, "scale": 15.0}), ("triang", (), {"c": 0.0, "loc": 1.0, "scale": 2.0}),
    ("triang", (), {"c": 1.0, "loc": 1.0, "scale": 2.0}), ("triang", (), {"c": 0.5, "loc": -1.0, "scale": 3.0}),
    ("beta", (1.8, 3.2), {"loc": 10.0, "scale": 15.0}), ("beta", (1.0, 5.0), {"loc": 0.0, "scale": 1.0}),
    ("beta", (2.5, 40.0), {}), ("beta", (0.4, 0.7), {}),
]


def _points(ref):
    low, high = ref.ppf(1e-6), ref.ppf(1 - 1e-6)
    width = high - low
    return np.concatenate([np.linspace(low - width, high + width, 5001), ref.ppf(_Q[1:-1]),
                           [-np.inf, np.inf, np.nan, low, high, ref.support()[0], ref.support()[1]]])


@pytest.mark.filterwarnings("ignore:Error in function boost:RuntimeWarning")  # scipy warns alike
@pytest.mark.parametrize("name, args, kwargs", _CASES)
def test_ppf_cdf_sf_match_scipy_to_the_bit(name, args, kwargs):
    ref = getattr(stats, name)(*args, **kwargs)
    ours = exact.make(name, args, kwargs)
    assert ours is not None
    with np.errstate(all="ignore"):
        assert np.array_equal(ours.ppf(_Q), ref.ppf(_Q), equal_nan=True)
        x = _points(ref)
        assert np.array_equal(ours.cdf(x), ref.cdf(x), equal_nan=True)
        assert np.array_equal(ours.sf(x), ref.sf(x), equal_nan=True)
        for scalar in (0.3, 1e-12):
            assert ours.ppf(scalar) == ref.ppf(scalar)
        assert ours.cdf(float(x[2000])) == ref.cdf(float(x[2000]))


def test_unknown_families_are_left_to_scipy():
    assert exact.make("truncnorm", (-1.0, 1.0), {}) is None
    assert exact.make("poisson", (3.0,), {}) is None


@pytest.mark.parametrize("a, scale", [(2.0, 1.5), (0.3, 10.0), (50.0, 0.1), (1.0, 1.0)])
def test_gamma_cdf_matches_scipy(a, scale):
    x = np.concatenate([np.linspace(-2, 60, 3001), [0.0, np.inf, np.nan]])
    with np.errstate(all="ignore"):
        assert np.array_equal(exact.gamma_cdf(x, a, scale), stats.gamma.cdf(x, a, scale=scale),
                              equal_nan=True)


def test_gamma_cdf_matches_scipy_broadcast_and_bad_parameters():
    rng = np.random.default_rng(3)
    shape = np.concatenate([rng.gamma(2.0, 3.0, (200, 1)), [[0.0], [np.inf], [np.nan], [-1.0]]])
    scale = np.concatenate([rng.gamma(1.0, 1.0, (200, 1)), [[1.0], [0.0], [1.0], [1.0]]])
    edges = (np.arange(24) + 0.5)[None, :]
    with np.errstate(all="ignore"):
        assert np.array_equal(exact.gamma_cdf(edges, shape, scale), stats.gamma.cdf(edges, shape, scale=scale),
                              equal_nan=True)


@pytest.mark.parametrize("spec", [
    {"dist": "normal", "mean": 0.02, "sd": 0.005}, {"dist": "lognormal", "median": 1200, "p90": 1800},
    {"dist": "lognormal", "mean": 50, "sd": 20}, {"dist": "triangular", "low": 10, "mode": 14, "high": 25},
    {"dist": "pert", "low": 10, "mode": 14, "high": 25}, {"dist": "uniform", "low": 0.01, "high": 0.03},
    {"dist": "beta", "mean": 0.3, "sd": 0.1}, {"dist": "truncnorm", "mean": 1, "sd": 2, "low": 0, "high": 5},
    {"dist": "poisson", "mean": 3.5},
])
def test_scenario_distributions_sample_as_scipy(spec):
    from planner.scenario.distributions import parse_distribution

    dist, problems = parse_distribution(spec)
    assert not problems
    frozen = dist.frozen
    ref = getattr(stats, frozen.name)(*frozen.args, **frozen.kwargs)
    u = _Q[1:-1]
    assert np.array_equal(dist.ppf(u), ref.ppf(u))
    x = ref.ppf(u[::7])
    assert np.array_equal(frozen.cdf(x), ref.cdf(x)) and np.array_equal(frozen.sf(x), ref.sf(x))
    assert frozen.cdf(-np.inf) == ref.cdf(-np.inf) and frozen.cdf(np.inf) == ref.cdf(np.inf)
