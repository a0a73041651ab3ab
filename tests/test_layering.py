"""Layering cohorts: the geometric recursion equals the convolution it replaces."""
import numpy as np
import pytest
from scipy import fft

from planner.engine.revenue import geometric_tail, layer, layer_geometric


def convolve(new, profile):
    """The development-triangle sum by FFT, whatever the profile."""
    months = new.shape[-1]
    n = 2 * fft.next_fast_len(months)
    return fft.irfft(fft.rfft(new, n, axis=-1) * fft.rfft(profile, n, axis=-1), n, axis=-1)[..., :months]


def geometric(head, scale, ratio, months):
    ages = np.arange(months)
    tail = scale[..., None] * ratio[..., None] ** np.maximum(ages - 1, 0)
    return np.where(ages == 0, head[..., None], tail)


@pytest.mark.parametrize("rows", [1, 50])
def test_geometric_profile_is_layered_by_recursion_to_the_convolution(rows):
    rng = np.random.default_rng(3)
    months = 60
    head, scale = rng.uniform(0.5, 1.5, (rows, 4)), rng.uniform(0.0, 0.2, (rows, 4))
    ratio = rng.uniform(0.8, 1.02, (rows, 4))
    profile = geometric(head, scale, ratio, months)
    new = rng.poisson(30.0, (50, 4, months)).astype(float)
    found = geometric_tail(profile)
    assert found is not None
    np.testing.assert_allclose(found[1], ratio, rtol=1e-12)
    expected = convolve(new, profile)
    np.testing.assert_allclose(layer(new, profile), expected, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(layer_geometric(new, head, scale, ratio), expected, rtol=1e-10, atol=1e-9)


def test_zero_tail_is_geometric_and_other_profiles_are_not():
    months = 24
    zero = np.zeros((1, 2, months))
    zero[..., 0] = 1.0
    assert geometric_tail(zero) is not None
    stepped = (0.9 ** (12 * (np.arange(months) // 12)))[None, None, :]  # annual renewals
    assert geometric_tail(stepped) is None
    bent = geometric(np.ones((1, 1)), np.ones((1, 1)), np.full((1, 1), 0.95), months)
    bent[..., 10] *= 1 + 1e-6
    assert geometric_tail(bent) is None
    new = np.random.default_rng(0).uniform(0, 10, (3, 1, months))
    np.testing.assert_allclose(layer(new, stepped), convolve(new, stepped), rtol=1e-10, atol=1e-9)
