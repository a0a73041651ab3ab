"""Costs: COGS by segment, headcount and other operating expenses by department."""
from __future__ import annotations

import numpy as np

from planner.engine.sampling import Inputs
from planner.scenario.model import Role, Scenario
from planner.scenario.schema import DEPARTMENTS


def role_headcount(role: Role, months: int) -> np.ndarray:
    """People in a role at the end of each month, shape (months,)."""
    changes = np.zeros(months)
    for month, count in role.hires:
        changes[month] += count
    return role.start + np.cumsum(changes)


def role_cost(role: Role, inputs: Inputs) -> np.ndarray:
    """Monthly fully loaded cost of a role, shape (paths, months).

    ``salary / 12 * (1 + burden)`` per person, raised by ``annual_raise`` every 12 months.
    """
    years = np.arange(inputs.horizon) // 12
    monthly = inputs.value(role.salary) / 12.0 * (1.0 + inputs.value(role.burden))
    raised = monthly * (1.0 + inputs.value(role.annual_raise)) ** years
    return raised * role_headcount(role, inputs.horizon)[None, :]


def department_costs(scenario: Scenario, inputs: Inputs, revenue: np.ndarray,
                     programme_spend: np.ndarray) -> dict[str, np.ndarray]:
    """Operating expense by department (COGS excluded).

    Parameters
    ----------
    revenue : ndarray, shape (paths, months)
        Total revenue, for opex lines given as a share of revenue.
    programme_spend : ndarray, shape (paths, months)
        Marketing programme spend that buys customers (reported in marketing).

    Returns
    -------
    dict
        ``<department>`` -> ndarray (paths, months) for each of sales, marketing, rnd, cs,
        ga; and ``headcount`` -> ndarray (months,).
    """
    out = {dept: np.zeros((1, inputs.horizon)) for dept in DEPARTMENTS}
    headcount = np.zeros(inputs.horizon)
    for role in scenario.roles:
        out[role.department] = out[role.department] + role_cost(role, inputs)
        headcount += role_headcount(role, inputs.horizon)
    for line in scenario.opex:
        out[line.department] = (out[line.department] + inputs.series(line.monthly)
                                + inputs.value(line.pct_of_revenue) * revenue)
    out["marketing"] = out["marketing"] + programme_spend
    out = {key: inputs.full(value) for key, value in out.items()}
    out["headcount"] = headcount
    return out


def segment_cogs(hosting_pct: np.ndarray, cost_per_customer: np.ndarray, revenue: np.ndarray,
                 customers: np.ndarray) -> np.ndarray:
    """Cost of revenue: hosting as a share of revenue plus a cost per customer per month.

    Parameters
    ----------
    hosting_pct, cost_per_customer : ndarray, shape (paths, 1)
    revenue, customers : ndarray, shape (paths, months)

    Returns
    -------
    ndarray, shape (paths, months)
    """
    return hosting_pct * revenue + cost_per_customer * customers
