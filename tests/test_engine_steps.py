"""Several blocks run as one array give exactly the numbers of one block at a time."""
import numpy as np
import pytest

import planner
import planner.simulation as simulation
from planner.engine.sampling import BLOCK

from conftest import FIXTURES

SCENARIOS = [p for p in FIXTURES if p.stem in ("all_features", "cash_tight", "funnel_full")]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_blocks_at_once_change_no_number(path, monkeypatch):
    scenario = planner.load_scenario(path)
    paths = 3 * BLOCK + 5  # a partial last block
    assert simulation.blocks_at_once(scenario, paths) > 1
    grouped = planner.simulate(scenario, paths=paths, seed=8)
    monkeypatch.setattr(simulation, "blocks_at_once", lambda *args: 1)
    single = planner.simulate(scenario, paths=paths, seed=8)
    for name in single.by_segment:
        np.testing.assert_array_equal(grouped.by_segment[name], single.by_segment[name], err_msg=name)
    for name in single.company:
        np.testing.assert_array_equal(grouped.company[name], single.company[name], err_msg=name)
    np.testing.assert_array_equal(grouped.draws, single.draws)
    np.testing.assert_array_equal(grouped.minimum_cash, single.minimum_cash)


def test_process_noise_runs_block_by_block():
    noisy = planner.load_scenario(next(p for p in FIXTURES if p.stem == "noisy"))
    assert simulation.blocks_at_once(noisy, 10 * BLOCK) == 1
