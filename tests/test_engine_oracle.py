"""The vectorised engine matches the plain-loop reference implementation path by path."""
from __future__ import annotations

import numpy as np
import pytest

import planner
from planner.engine.core import simulate_chunk
from planner.engine.reference import simulate_reference

from conftest import ALL_SCENARIOS


@pytest.mark.parametrize("path", ALL_SCENARIOS, ids=lambda p: p.stem)
def test_engine_matches_reference_path_by_path(path):
    scenario = planner.load_scenario(path)
    paths = 12
    reference = simulate_reference(scenario, seed=11, paths=paths)
    engine = simulate_chunk(scenario, 11, 0, paths)
    assert set(reference) == set(engine)
    for name, expected in reference.items():
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(engine[name], expected, rtol=0, atol=1e-9 * scale, err_msg=name)


def test_reference_sees_the_uncertain_inputs():
    """Guards the oracle itself: different seeds give different reference paths."""
    scenario = planner.load_scenario(ALL_SCENARIOS[-1])
    a = simulate_reference(scenario, seed=1, paths=2)
    b = simulate_reference(scenario, seed=2, paths=2)
    assert not np.allclose(a["cash"], b["cash"])
