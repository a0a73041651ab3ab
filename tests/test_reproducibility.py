"""Same seed -> identical arrays; paths do not depend on how many are run."""
from __future__ import annotations

import numpy as np
import pytest

import planner
from planner.engine.sampling import BLOCK, sample_params

from conftest import BUNDLED, FIXTURES


@pytest.fixture(scope="module")
def scenario():
    return planner.load_scenario(FIXTURES[0])


def test_same_seed_identical_results(scenario):
    a = planner.simulate(scenario, paths=300, seed=5)
    b = planner.simulate(scenario, paths=300, seed=5)
    for name in a.names:
        assert np.array_equal(a.total(name), b.total(name)), name


def test_different_seeds_differ(scenario):
    a = planner.simulate(scenario, paths=50, seed=5)
    b = planner.simulate(scenario, paths=50, seed=6)
    assert not np.array_equal(a.total("cash"), b.total("cash"))


def test_seed_zero_is_a_seed(scenario):
    a = planner.simulate(scenario, paths=20, seed=0)
    b = planner.simulate(scenario, paths=20, seed=scenario.seed)
    assert scenario.seed != 0
    assert not np.array_equal(a.total("cash"), b.total("cash"))


def test_a_path_depends_only_on_seed_and_index(scenario):
    big = planner.simulate(scenario, paths=BLOCK + 300, seed=9)
    small = planner.simulate(scenario, paths=BLOCK + 7, seed=9)
    for name in big.names:
        assert np.array_equal(big.total(name)[: BLOCK + 7], small.total(name)), name


def test_draws_are_chunk_independent(scenario):
    whole = sample_params(scenario.params, 4, 0, 3000)
    parts = np.concatenate([sample_params(scenario.params, 4, a, b)
                            for a, b in ((0, 1), (1, 1500), (1500, 2049), (2049, 3000))])
    assert np.array_equal(whole, parts)


def test_scenario_defaults_are_used():
    scenario = planner.load_scenario(BUNDLED[0])
    result = planner.simulate(scenario)
    assert result.paths == scenario.paths and result.seed == scenario.seed


def test_keep_and_by_segment_give_the_same_totals(scenario):
    full = planner.simulate(scenario, paths=100, seed=2)
    lean = planner.simulate(scenario, paths=100, seed=2, keep=["arr", "cash"], by_segment=False)
    assert np.array_equal(full.total("arr"), lean.total("arr"))
    assert np.array_equal(full.total("cash"), lean.total("cash"))
    with pytest.raises(KeyError, match="not kept"):
        lean.total("ebitda")
