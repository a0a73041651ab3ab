"""Keeping few series skips work, never changes a number."""
import numpy as np
import pytest

import planner

from conftest import FIXTURES

SCENARIOS = [p for p in FIXTURES if p.stem in ("all_features", "cash_tight", "funnel_full")]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("by_segment", [True, False])
def test_a_lean_run_equals_the_full_run(path, by_segment):
    scenario = planner.load_scenario(path)
    full = planner.simulate(scenario, paths=300, seed=2)
    keep = ("arr", "cash", "customers", "new_mrr")
    lean = planner.simulate(scenario, paths=300, seed=2, keep=keep, by_segment=by_segment)
    for name in keep:
        np.testing.assert_array_equal(lean.total(name), full.total(name), err_msg=name)
        if by_segment and name in full.by_segment:
            np.testing.assert_array_equal(lean.by_segment[name], full.by_segment[name], err_msg=name)
    assert "churned_mrr" not in lean.names
