"""simulate(..., draws=...): the engine on input values given by the caller."""
import numpy as np
import pytest

import planner
from planner.engine.sampling import BLOCK

from conftest import ROOT

DEFAULT = ROOT / "scenarios" / "series_a_midmarket.yaml"


def test_the_scenario_s_own_draws_given_back_reproduce_the_run():
    sc = planner.load_scenario(DEFAULT)
    base = planner.simulate(sc, paths=BLOCK + 37, seed=3, keep=["arr", "cash"], by_segment=False)
    again = planner.simulate(sc, paths=BLOCK + 37, seed=3, keep=["arr", "cash"], by_segment=False,
                             draws=base.draws.copy())
    np.testing.assert_array_equal(again.total("arr"), base.total("arr"))
    np.testing.assert_array_equal(again.draws, base.draws)


def test_a_pinned_column_changes_only_that_input():
    sc = planner.load_scenario(DEFAULT)
    i = 0
    value = float(np.median(planner.simulate(sc, paths=200, seed=3, keep=["arr"]).draws[:, i]))

    def pin(block, first):
        block = block.copy()
        block[:, i] = value
        return block
    base = planner.simulate(sc, paths=200, seed=3, keep=["arr"], by_segment=False)
    pinned = planner.simulate(sc, paths=200, seed=3, keep=["arr"], by_segment=False, draws=pin)
    assert (pinned.draws[:, i] == value).all()
    np.testing.assert_array_equal(np.delete(pinned.draws, i, axis=1), np.delete(base.draws, i, axis=1))


def test_draws_of_the_wrong_shape_are_refused():
    sc = planner.load_scenario(DEFAULT)
    with pytest.raises(ValueError, match="draws must have shape"):
        planner.simulate(sc, paths=10, draws=np.zeros((9, len(sc.params))))
