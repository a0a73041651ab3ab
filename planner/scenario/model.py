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
    bad_debt_rate: Value
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
    """A committed, dated equity inflow (part of every plan; valuation not modelled)."""

    name: str
    month: int
    amount: Value


@dataclass(frozen=True)
class Valuation:
    """How an equity round is priced: a pre-money value or a multiple of ARR at close."""

    pre_money: Value | None = None
    arr_multiple: Value | None = None
    option_pool: Value = 0.0


@dataclass(frozen=True)
class EquityRound:
    """A dated equity round."""

    name: str
    month: int
    amount: Value
    valuation: Valuation = Valuation()


@dataclass(frozen=True)
class VentureDebt:
    """A loan drawn at ``month``: interest only, then equal principal repayments."""

    name: str
    month: int
    amount: Value
    annual_rate: Value
    interest_only_months: int
    amortisation_months: int
    fee: Value = 0.0


@dataclass(frozen=True)
class MilestoneRound:
    """Equity raised in the first month in [not_before, deadline] in which ARR >= the milestone."""

    name: str
    amount: Value
    arr_at_least: Value
    not_before: int
    deadline: int
    valuation: Valuation = Valuation()


@dataclass(frozen=True)
class RunwayRound:
    """Equity raised in the first month (from ``not_before``) that starts with runway below a limit."""

    name: str
    amount: Value
    runway_below_months: Value
    not_before: int
    valuation: Valuation = Valuation()


Instrument = EquityRound | VentureDebt | MilestoneRound | RunwayRound


@dataclass(frozen=True)
class Plan:
    """A named funding plan: instruments on top of the committed rounds."""

    name: str
    instruments: tuple[Instrument, ...] = ()


@dataclass(frozen=True)
class Correlation:
    """Rank correlations between uncertain inputs.

    Attributes
    ----------
    columns : tuple of int
        Draw columns (``Param.index``) that take part.
    rank : ndarray, shape (k, k)
        Target Spearman correlations (after repair, if asked for).
    normal : ndarray, shape (k, k)
        The normal-score correlation that produces them (positive definite).
    """

    columns: tuple[int, ...]
    rank: np.ndarray = field(compare=False)
    normal: np.ndarray = field(compare=False)


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
    plans: tuple[Plan, ...] = (Plan("committed rounds only"),)
    default_plan: str = "committed rounds only"
    minimum_cash: Value = 0.0
    sampling: str = "monte_carlo"
    process_noise: bool = False
    correlation: Correlation | None = None
    #: things the user should know that are not errors (e.g. a repaired correlation matrix)
    warnings: tuple[str, ...] = ()

    @property
    def months(self) -> np.ndarray:
        return self.start + np.arange(self.horizon)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)

    @property
    def plan_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.plans)

    def plan(self, name: str | None = None) -> Plan:
        """The plan called ``name`` (None: the default plan).

        Raises
        ------
        KeyError
            With the available names, if there is no such plan.
        """
        name = self.default_plan if name is None else name
        for plan in self.plans:
            if plan.name == name:
                return plan
        raise KeyError(f"no funding plan named {name!r}; plans: {', '.join(self.plan_names)}")
