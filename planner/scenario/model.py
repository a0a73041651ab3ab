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
#: longest delay of a funnel stage or sales cycle, months (longer tails end here)
MAX_DELAY = 36


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
class Lag:
    """A delay in whole months: ``weights`` (month, share) pairs, or ``mean`` and ``sd``.

    ``sd = 0``: every unit takes ``mean`` months, a fractional mean split between the two
    neighbouring months; ``sd > 0``: a gamma distribution of that mean and standard
    deviation, discretised to months (month ``m`` takes the mass in ``[m - 0.5, m + 0.5)``,
    the tail beyond :data:`MAX_DELAY` months goes to the last month).
    """

    mean: Value = 0.0
    sd: Value = 0.0
    weights: tuple[tuple[int, float], ...] | None = None


@dataclass(frozen=True)
class Stage:
    """A funnel stage conversion: the share ``rate`` converts after ``delay``; the rest is lost."""

    rate: Value
    delay: Lag = Lag()


@dataclass(frozen=True)
class SpeedToLead:
    """Response time and what it does to one stage's conversion.

    ``response_minutes`` set: that response time for every lead. Otherwise SDRs of role
    ``sdr_role`` contact up to ``leads_per_sdr`` arrivals each per month within
    ``base_minutes``; arrivals beyond that wait ``overflow_minutes``. ``curve`` is
    (minutes, odds multiplier) pairs; the stage's rate was measured at ``measured_at``.
    """

    applies_to: str
    measured_at: float
    curve: tuple[tuple[float, float], ...]
    response_minutes: Value | None = None
    sdr_role: str | None = None
    leads_per_sdr: Value = 0.0
    base_minutes: Value = 5.0
    overflow_minutes: Value = 1440.0


@dataclass(frozen=True)
class SalesCapacity:
    """Account executives of ``ae_role``: wins per month are at most their capacity.

    A fully ramped AE closes ``quota_deals`` deals (or ``quota_new_arr`` of new ARR) a
    month times ``attainment``; a new hire ramps linearly over ``ramp_months``. Deals
    beyond capacity are carried over to the next month (``carry_over``) or lost.
    """

    ae_role: str
    ramp_months: int
    quota_deals: Value | None
    quota_new_arr: Value | None
    attainment: Value
    carry_over: bool


@dataclass(frozen=True)
class SelfServe:
    """Trials started per month, a share converting to paying customers after ``delay``."""

    trials: Series
    conversion: Value
    delay: Lag = Lag()


@dataclass(frozen=True)
class Funnel:
    """Bottom-up acquisition of one segment.

    Leads (``paid_spend / cost_per_lead + inbound``) pass the ``mql``, ``sql`` and
    ``opportunity`` stages; opportunities close after ``sales_cycle``, a share
    ``win_rate`` won, capped by ``capacity``. ``self_serve`` trials convert on their own
    (a qualification policy has already set the sql rate and the win rate).
    """

    paid_spend: Series | None
    cost_per_lead: Value | None
    inbound: Series | None
    self_serve: SelfServe | None
    mql: Stage
    sql: Stage
    opportunity: Stage
    win_rate: Value
    sales_cycle: Lag
    speed: SpeedToLead | None = None
    capacity: SalesCapacity | None = None
    #: the funnel ran at its first month's level before the start (a pipeline in flight)
    warm_start: bool = True

    @property
    def has_leads(self) -> bool:
        return self.paid_spend is not None or self.inbound is not None


@dataclass(frozen=True)
class Commission:
    """Sales commission: ``rate`` x first-year ACV of sales-led wins, paid evenly over
    ``paid_over_months`` months from the win."""

    rate: Value
    paid_over_months: int = 1


@dataclass(frozen=True)
class Driver:
    """A role sized by a driver: ``max(minimum, ceil(value / per))`` people, following the
    driver's value ``lag_months`` earlier (the first month's before that)."""

    of: str
    per: Value
    segment: str | None = None
    lag_months: int = 0
    minimum: int = 0


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
    funnel: Funnel | None = None
    commission: Commission | None = None
    #: the opening book as (age the month before the start, customers, MRR) slices, from
    #: actuals (``opening.from_actuals``); None = ``term`` slices renewing evenly
    opening_slices: tuple[tuple[int, float, float], ...] | None = None
    #: a change in MRR between prepaid invoices is invoiced (or credited) for the rest of
    #: the billing period at once (``contract.expansion_billing: coterm``), not monthly
    coterm_expansion: bool = False


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
    driver: Driver | None = None
    #: the segment the role works for (S&M roles count in that segment's CAC)
    segment: str | None = None


@dataclass(frozen=True)
class OpexLine:
    """A non-headcount operating expense."""

    name: str
    department: str
    monthly: Series
    pct_of_revenue: Value
    segment: str | None = None


@dataclass(frozen=True)
class Round:
    """A committed, dated equity inflow (part of every plan; valuation not modelled).

    ``arrives_when_insolvent``: the money arrives even on a path whose cash fell below
    zero earlier (a signed round is bridged); the path still counts as having run out of
    cash in the month it did.
    """

    name: str
    month: int
    amount: Value
    arrives_when_insolvent: bool = True


@dataclass(frozen=True)
class Valuation:
    """How an equity round is priced: a pre-money value or a multiple of ARR at close."""

    pre_money: Value | None = None
    arr_multiple: Value | None = None
    option_pool: Value = 0.0


@dataclass(frozen=True)
class EquityRound:
    """A dated equity round of a plan (by default it does not close on an insolvent path)."""

    name: str
    month: int
    amount: Value
    valuation: Valuation = Valuation()
    arrives_when_insolvent: bool = False


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
    #: things the user should know that are not errors: values outside their ordinary
    #: range, a repaired correlation matrix; each ``file:line: key.path: message``
    warnings: tuple[str, ...] = ()

    @property
    def months(self) -> np.ndarray:
        return self.start + np.arange(self.horizon)

    @property
    def has_funnel(self) -> bool:
        return any(s.funnel is not None for s in self.segments)

    def role(self, name: str) -> Role:
        return next(r for r in self.roles if r.role == name)

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
