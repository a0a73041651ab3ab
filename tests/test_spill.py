"""Series spilled to temporary files read back to the bit."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

from planner.sweep.spill import CACHED, SpilledSeries


def test_rows_appended_in_order_read_back_exactly():
    rng = np.random.default_rng(3)
    parts = [rng.standard_normal((n, 7)) for n in (5, 0, 11, 1)]
    spilled = SpilledSeries()
    for part in parts:
        spilled.append("cash", part)
        spilled.append("insolvent", part > 0)
    np.testing.assert_array_equal(spilled["cash"], np.concatenate(parts))
    assert spilled["insolvent"].dtype == bool
    np.testing.assert_array_equal(spilled["insolvent"], np.concatenate(parts) > 0)
    assert set(spilled) == {"cash", "insolvent"} and len(spilled) == 2 and "cash" in spilled
    assert spilled.nbytes() == 17 * 7 * 8 + 17 * 7


def test_a_read_series_is_read_only_and_later_rows_are_seen():
    spilled = SpilledSeries()
    spilled.append("arr", np.ones((2, 3)))
    first = spilled["arr"]
    with pytest.raises(ValueError):
        first[0, 0] = 5.0
    spilled.append("arr", np.zeros((1, 3)))
    assert spilled["arr"].shape == (3, 3)


def test_only_the_last_series_read_stay_in_memory():
    spilled = SpilledSeries()
    for k in range(CACHED + 2):
        spilled.append(str(k), np.full((4, 2), float(k)))
    for k in range(CACHED + 2):
        assert spilled[str(k)][0, 0] == k
    assert list(spilled._cache) == [str(k) for k in range(2, CACHED + 2)]


def test_rows_of_another_shape_are_refused():
    spilled = SpilledSeries()
    spilled.append("cash", np.zeros((2, 3)))
    with pytest.raises(ValueError, match="cash"):
        spilled.append("cash", np.zeros((2, 4)))
    with pytest.raises(KeyError):
        spilled["arr"]


def test_pickled_as_a_plain_dict():
    spilled = SpilledSeries()
    spilled.append("cash", np.arange(6.0).reshape(3, 2))
    back = pickle.loads(pickle.dumps(spilled))
    assert type(back) is dict
    np.testing.assert_array_equal(back["cash"], np.arange(6.0).reshape(3, 2))
