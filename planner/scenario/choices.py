"""A user's choice of funding plan or month, checked against a scenario.

The library takes ``plan="staged"`` and ``raise_month="2027-06"`` (or a month index) and
says what is wrong in the house error format; the CLI renames the argument to its option.
"""
from __future__ import annotations

from planner.errors import Problem, ScenarioError
from planner.scenario.model import Scenario
from planner.scenario.spec import parse_month


def resolve_plan(scenario: Scenario, name: str | None, *, option: str = "plan") -> str:
    """The name of funding plan ``name`` (None: the default), or a ScenarioError naming ``option``."""
    try:
        return scenario.plan(name).name
    except KeyError as err:
        raise ScenarioError([Problem(option, None, "", err.args[0])]) from None


def resolve_month(scenario: Scenario, month: int | str | None, *, option: str = "raise_month") -> int:
    """A month of the horizon given as an index or ``YYYY-MM`` -> its index (None: 0)."""
    if month is None:
        return 0
    index = month if isinstance(month, int) else None
    if isinstance(month, str):
        parsed = parse_month(month)
        index = None if parsed is None else int((parsed - scenario.start).astype(int))
    if index is None or not 0 <= index < scenario.horizon:
        raise ScenarioError([Problem(option, None, "", f"must be a month YYYY-MM from "
                                     f"{scenario.start} to {scenario.start + scenario.horizon - 1} "
                                     f"(got {month!r})")])
    return index
