"""Segment totals added slice by slice equal numpy's sum to the bit."""
import numpy as np
import pytest

from planner.engine.totals import add_in_order, company_total, segment_total


def _same_bits(a, b):
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


@pytest.mark.parametrize("segments", range(1, 10))
@pytest.mark.parametrize("shape", [(1, 1), (3, 12), (1024, 120)])
def test_segment_total_is_np_sum_to_the_bit(shape, segments):
    rng = np.random.default_rng(segments)
    x = rng.standard_normal(shape + (segments,)) * 10.0 ** rng.uniform(-8, 8, shape + (segments,))
    x[rng.random(x.shape) < 0.2] = -0.0  # signed zeros: 0.0 + -0.0 is +0.0
    x[rng.random(x.shape) < 0.01] = np.inf
    assert _same_bits(segment_total(x), np.sum(x, axis=-1))
    out = np.empty(shape)
    assert segment_total(x, out) is out and _same_bits(out, np.sum(x, axis=-1))
    strided = np.concatenate([x, x], axis=-1)[..., ::2]
    assert _same_bits(segment_total(strided), np.sum(strided, axis=-1))


def test_add_in_order_is_builtin_sum():
    terms = [np.array([-0.0, 1e16, 3.0]), np.array([-0.0, 1.0, -3.0]), np.array([-0.0, 1.0, 1e-300])]
    assert _same_bits(add_in_order(terms), sum(terms))
    assert _same_bits(add_in_order(terms[:1]), sum(terms[:1]))


@pytest.mark.parametrize("segments", [1, 3, 7, 8, 11])
def test_company_total_of_segment_arrays_is_np_sum_of_their_stack(segments):
    rng = np.random.default_rng(segments)
    terms = [rng.standard_normal((5, 9)) * 10.0 ** rng.uniform(-8, 8, (5, 9)) for _ in range(segments)]
    stacked = np.stack(terms, axis=2)
    assert _same_bits(company_total(terms), np.sum(stacked, axis=2))
    assert _same_bits(company_total(terms, stacked), np.sum(stacked, axis=2))
