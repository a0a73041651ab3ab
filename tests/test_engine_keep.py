"""Work the engine skips when a series is not kept never changes what is kept."""
from pathlib import Path

import numpy as np
import pytest

import planner

from conftest import FIXTURES

ALL_FEATURES = next(p for p in FIXTURES if p.stem == "all_features")


@pytest.mark.parametrize("keep", [("role_headcount", "cash"), ("cac", "equity_book"),
                                  ("cash_if_funded", "arr")])
def test_series_computed_only_when_kept_equal_the_full_run(keep):
    scenario = planner.load_scenario(ALL_FEATURES)
    full = planner.simulate(scenario, paths=200, seed=5)
    lean = planner.simulate(scenario, paths=200, seed=5, keep=keep)
    for name in keep:
        if name in full.by_role:
            np.testing.assert_array_equal(lean.by_role[name], full.by_role[name], err_msg=name)
        else:
            np.testing.assert_array_equal(lean.total(name), full.total(name), err_msg=name)


def test_cash_if_funded_of_a_plan_with_no_inflow_is_its_cash():
    scenario = planner.load_scenario(Path(__file__).parents[1] / "benchmarks" / "simple_model.yaml")
    result = planner.simulate(scenario, paths=50, seed=1, keep=("cash", "cash_if_funded"))
    np.testing.assert_array_equal(result.total("cash_if_funded"), result.total("cash"))
