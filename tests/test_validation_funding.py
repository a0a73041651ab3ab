"""Bad funding blocks get clear, located errors."""
from __future__ import annotations

import pytest

import planner
from planner import ScenarioError

HEAD = """name: f
start: 2027-01
horizon_months: 24
opening: {cash: 1}
segments:
  s:
    price: {arpa: 10}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: 0.01}
funding:
"""


def problems(tmp_path, funding: str) -> list[str]:
    path = tmp_path / "f.yaml"
    path.write_text(HEAD + funding)
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(path)
    return [str(p).replace(str(path), "f.yaml") for p in info.value.problems]


@pytest.mark.parametrize("funding, expected", [
    pytest.param("  plans:\n    a:\n      - {type: equty, name: A, month: 2027-05, amount: 1}\n",
                 ["f.yaml:13: funding.plans.a[0].type: must be one of equity, venture_debt, milestone_equity, "
                  "runway_equity; did you mean 'equity'? (got 'equty')"], id="unknown-type"),
    pytest.param("  plans:\n    a:\n      - {type: equity, name: A, month: 2027-05, amount: 1, pre_money: 5,"
                 " pre_money_arr_multiple: 3}\n",
                 ["f.yaml:13: funding.plans.a[0]: give either pre_money or pre_money_arr_multiple, not both"],
                 id="two-valuations"),
    pytest.param("  plans:\n    a:\n      - {type: milestone_equity, name: M, amount: 1, arr_at_least: 5,"
                 " not_before: 2028-01, deadline: 2027-06}\n",
                 ["f.yaml:13: funding.plans.a[0].deadline: must not be before not_before (2028-01) "
                  "(got 2027-06)"], id="deadline-before-start"),
    pytest.param("  plan: b\n  plans:\n    a: []\n",
                 ["f.yaml:11: funding.plan: no plan named 'b'; plans are a"], id="unknown-default-plan"),
    pytest.param("  plans:\n    a:\n      - {type: venture_debt, name: L, month: 2027-05, amount: 1, "
                 "annual_rate: 1.5, amortisation_months: 0}\n",
                 ["f.yaml:13: funding.plans.a[0].amortisation_months: must be >= 1 (got 0)",
                  "f.yaml:13: funding.plans.a[0].annual_rate: must be between 0 and 1 (got 1.5)"],
                 id="debt-out-of-range"),
    pytest.param("  minimum_cash: -5\n", ["f.yaml:11: funding.minimum_cash: must be >= 0 (got -5)"],
                 id="negative-minimum-cash"),
])
def test_bad_funding(tmp_path, funding, expected):
    assert sorted(problems(tmp_path, funding)) == sorted(expected)
