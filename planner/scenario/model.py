"""The validated, normalised scenario: plain frozen dataclasses the engine reads.

Months are stored as indices into the horizon (0 = the start month). Every numeric
input is a :data:`Value`: a float, or a :class:`~planner.scenario.spec.Param` that the
sampler turns into one draw per path.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.scenario.spec import Param

Value = float | Param


@dataclass(frozen=True)
class Series:
    """A monthly amount over the horizon.

    ``kind`` is ``constant`` (``value`` every month), ``growth`` (``start`` compounding by
    ``monthly_growth`` each month) or ``schedule`` (``steps``: (month index, value) pairs,
    each value holding until the next; 0 before the first).
    """

    kind: str
    value: Value = 0.0
    start: Value = 0.0
    monthly_growth: Value = 0.0
    growth_is_annual: bool = False
    steps: tuple[tuple[int, Value], ...] = ()


@dataclass(frozen=True)
class Retention:
    """How customers of a cohort survive with age.

    ``model`` is ``constant`` (``monthly_churn``), ``curve`` (``curve``: (age in months,
    survival) pairs) or ``sbg`` (``alpha``, ``beta`` per ``period_months``-long period;
    optional ``log_cov`` 2x2 covariance of (ln alpha, ln beta) with ``z_params`` the two
    standard-normal inputs that carry it).
    """

    model: str
    monthly_churn: Value = 0.0
    curve: tuple[tuple[int, float], ...] = ()
    alpha: Value = 1.0
    beta: Value = 1.0
    period_months: int = 1
    log_cov: tuple[tuple[float, float], tuple[float, float]] | None = None
    z_params: tuple[Param, Param] | None = None


@dataclass(frozen=True)
class Segment:
    """One customer segment's economics."""

    name: str
    opening_customers: Value
    opening_mrr: Value
    opening_age: int
    arpa: Value
    annual_increase: Value
    term_months: int
    billing_months: int
    payment_terms_days: Value
    new_customers: Series | None
    marketing_budget: Series | None
    cac: Value | None
    retention: Retention
    expansion_rate: Value
    contraction_rate: Value
    mrr_curve: tuple[tuple[int, float], ...] | None
    hosting_pct: Value = 0.0
    cost_per_customer: Value = 0.0


@dataclass(frozen=True)
class Role:
    """A headcount line: people in one role and what they cost."""

    role: str
    department: str
    salary: Value
    burden: Value
    annual_raise: Value
    start: int
    hires: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class OpexLine:
    """A non-headcount operating expense."""

    name: str
    department: str
    monthly: Series
    pct_of_revenue: Value


@dataclass(frozen=True)
class Round:
    """A dated equity inflow."""

    name: str
    month: int
    amount: Value


@dataclass(frozen=True)
class Scenario:
    """A validated scenario, ready to sample and simulate.

    Attributes
    ----------
    months : ndarray of datetime64[M], shape (horizon,)
        The simulated calendar months.
    params : tuple of Param
        Every uncertain input, in file order; column ``i`` of the draws is ``params[i]``.
    """

    name: str
    description: str
    source: str
    start: np.datetime64
    horizon: int
    currency: str
    paths: int
    seed: int
    opening_cash: Value
    segments: tuple[Segment, ...]
    roles: tuple[Role, ...]
    opex: tuple[OpexLine, ...]
    rounds: tuple[Round, ...]
    params: tuple[Param, ...] = field(default=())

    @property
    def months(self) -> np.ndarray:
        return self.start + np.arange(self.horizon)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)
