"""Costs: people by role (dated hires or a driver), what they cost, opex lines and COGS.

S&M cost that works for one segment (its programme spend, commissions, and roles and
opex lines tagged with it) is kept apart as that segment's direct cost, for its CAC.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from planner.engine.funnel import spread, warm_extend
from planner.engine.sampling import Inputs
from planner.engine.totals import segment_total
from planner.scenario.model import Commission, Driver, Role, Scenario
from planner.scenario.schema import DEPARTMENTS

SM_DEPARTMENTS = ("sales", "marketing")


def role_headcount(role: Role, months: int) -> np.ndarray:
    """People in a role with dated hires at the end of each month, shape (months,)."""
    changes = np.zeros(months)
    for month, count in role.hires:
        changes[month] += count
    return role.start + np.cumsum(changes)


def driven_headcount(driver: Driver, value: np.ndarray, inputs: Inputs) -> np.ndarray:
    """People sized by a driver: ``max(minimum, ceil(value(t - lag) / per))``.

    Parameters
    ----------
    value : ndarray, shape (paths or 1, months)
        The driver each month (before ``lag`` months of history: the first month's).

    Returns
    -------
    ndarray, shape (paths or 1, months)
    """
    months = value.shape[1]
    lagged = value[:, np.maximum(np.arange(months) - driver.lag_months, 0)]
    # a hair below the whole number so 300 leads at 300 per person is 1 person, not 2
    people = np.ceil(lagged / inputs.value(driver.per) - 1e-9)
    return np.maximum(people, float(driver.minimum))


def role_counts(scenario: Scenario, inputs: Inputs, metric: Callable[[str, str | None], np.ndarray],
                known: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """People in every role at month end, (paths or 1, months) each.

    ``metric(of, segment)`` gives a driver's value (segment None: all segments added);
    ``known`` holds counts already computed (the funnel's teams).
    """
    return {role.role: known[role.role] if role.role in known else role_count(role, inputs, metric)
            for role in scenario.roles}


def role_count(role: Role, inputs: Inputs, metric: Callable[[str, str | None], np.ndarray]
               ) -> np.ndarray:
    """People in one role at month end, (paths or 1, months); see :func:`role_counts`."""
    if role.driver is None:
        return role_headcount(role, inputs.horizon)[None, :]
    return driven_headcount(role.driver, metric(role.driver.of, role.driver.segment), inputs)


def pay(role: Role, inputs: Inputs) -> np.ndarray:
    """Monthly fully loaded cost of one person in a role, shape (paths or 1, months).

    ``salary / 12 * (1 + burden)``, raised by ``annual_raise`` every 12 months.
    """
    years = np.arange(inputs.horizon) // 12
    monthly = inputs.value(role.salary) / 12.0 * (1.0 + inputs.value(role.burden))
    return monthly * (1.0 + inputs.value(role.annual_raise)) ** years


def commissions(commission: Commission | None, sales_new_mrr: np.ndarray, inputs: Inputs,
                warm_start: bool = True) -> np.ndarray:
    """Commission paid each month on sales-led new business, shape (paths, months).

    ``rate`` x first-year ACV (12 x new MRR), in equal parts over ``paid_over_months``
    months from the win. With ``warm_start`` the business also won deals at its first
    month's level before the start, and their later instalments fall in the plan.
    """
    if commission is None:
        return np.zeros_like(sales_new_mrr)
    earned = inputs.value(commission.rate) * 12.0 * sales_new_mrr
    n = commission.paid_over_months
    before = n - 1 if warm_start else 0
    return spread(warm_extend(earned, before), np.full((1, n), 1.0 / n))[:, before:]


def department_rows(scenario: Scenario, inputs: Inputs, counts: dict[str, np.ndarray],
                    revenue: np.ndarray, programme_spend: list[np.ndarray],
                    commission: list[np.ndarray]) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
    """:func:`department_costs` before it is broadcast to every path: one row where an
    expense is the same on every path.

    Returns
    -------
    departments : dict of department -> ndarray, shape (paths or 1, months or 1)
    direct : list of ndarray, shape (paths or 1, months or 1)
        Each segment's direct S&M.
    """
    names = scenario.segment_names
    out = {dept: np.zeros((1, inputs.horizon)) for dept in DEPARTMENTS}
    direct = [spend + paid for spend, paid in zip(programme_spend, commission)]
    for role in scenario.roles:
        cost = counts[role.role] * pay(role, inputs)
        out[role.department] = out[role.department] + cost
        if role.segment is not None and role.department in SM_DEPARTMENTS:
            direct[names.index(role.segment)] = direct[names.index(role.segment)] + cost
    for line in scenario.opex:
        cost = inputs.series(line.monthly) + inputs.value(line.pct_of_revenue) * revenue
        out[line.department] = out[line.department] + cost
        if line.segment is not None and line.department in SM_DEPARTMENTS:
            direct[names.index(line.segment)] = direct[names.index(line.segment)] + cost
    out["marketing"] = out["marketing"] + sum(programme_spend)
    out["sales"] = out["sales"] + sum(commission)
    return out, direct


def department_costs(scenario: Scenario, inputs: Inputs, counts: dict[str, np.ndarray],
                     revenue: np.ndarray, programme_spend: list[np.ndarray],
                     commission: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Operating expense by department (COGS excluded), and each segment's direct S&M.

    Parameters
    ----------
    counts : dict of role name -> ndarray, shape (paths or 1, months)
    revenue : ndarray, shape (paths, months)
        Total revenue, for opex lines given as a share of revenue.
    programme_spend, commission : list of ndarray, shape (paths, months)
        Per segment: marketing programme spend (reported in marketing) and commissions
        (reported in sales).

    Returns
    -------
    dict
        ``<department>`` -> ndarray (paths, months) for each of sales, marketing, rnd, cs,
        ga; ``headcount`` -> (paths, months); ``sm_direct`` -> (paths, months, segments).
    """
    depts, direct = department_rows(scenario, inputs, counts, revenue, programme_spend, commission)
    out = {key: inputs.full(_months(value, inputs)) for key, value in depts.items()}
    out["headcount"] = inputs.full(headcount(counts, inputs))
    out["sm_direct"] = np.stack([np.broadcast_to(_months(d, inputs), (inputs.paths, inputs.horizon))
                                 for d in direct], axis=2)
    return out


def headcount(counts: dict[str, np.ndarray], inputs: Inputs) -> np.ndarray:
    """People in all roles at month end, shape (paths or 1, months)."""
    return sum(counts.values(), np.zeros((1, inputs.horizon)))


def _months(value: np.ndarray, inputs: Inputs) -> np.ndarray:
    """``value`` (rows, 1 or months) as (rows, months): what ``value * np.ones((1, months))``
    gives, without the multiplication (by 1: the same numbers)."""
    return np.broadcast_to(value, (value.shape[0], inputs.horizon))


def acquisition_cost(sm_expense: np.ndarray, direct: np.ndarray, new_mrr: np.ndarray) -> np.ndarray:
    """Each segment's S&M: its direct cost plus a share of the shared S&M by new MRR.

    Parameters
    ----------
    sm_expense : ndarray, shape (paths, months)
    direct, new_mrr : ndarray, shape (paths, months, segments)

    Returns
    -------
    ndarray, shape (paths, months, segments)
        Adds up over segments to ``sm_expense``; a month without new MRR shares equally.
    """
    shared = sm_expense - segment_total(direct)
    total = segment_total(new_mrr)[:, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, new_mrr / total, 1.0 / new_mrr.shape[2])
    return direct + shared[:, :, None] * share


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
