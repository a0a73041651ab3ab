"""Unit economics and efficiency metrics as pure, vectorised formulas.

Every function takes scalars or numpy arrays (broadcast against each other) and returns
the broadcast shape: a scalar in gives a numpy float64 scalar out (a ``float``), an
array in gives an array out. Rates are fractions (0.02 = 2%) per the period the caller
chooses (monthly throughout ``planner``); money is in the scenario's currency.

Undefined or unbounded cases never appear silently: each function documents exactly
when it returns ``nan`` (undefined - e.g. CAC with no new customers) or ``inf``
(unbounded - e.g. LTV when expansion keeps up with churn), and nothing else produces
them (``nan`` inputs propagate).

References
----------
.. [1] D. Skok, "SaaS Metrics 2.0 - A Guide to Measuring and Improving what Matters",
   forEntrepreneurs, 2013 (CAC, LTV, LTV:CAC, CAC payback).
.. [2] D. Sacks, "The Burn Multiple", Craft Ventures, 2020.
.. [3] Scale Venture Partners, "The Magic Number", 2008; and D. Skok, op. cit.
.. [4] B. Feld, "The Rule of 40% for a Healthy SaaS Company", 2015.
.. [5] KeyBanc Capital Markets / Sapphire Ventures, "Private SaaS Company Survey"
   (definitions of net and gross revenue retention).
"""
from __future__ import annotations

import numpy as np

from planner.arrays import divide

#: 10% a year as a monthly rate, the default discount rate of :func:`ltv_discounted`
MONTHLY_DISCOUNT_10PCT = 1.10 ** (1.0 / 12.0) - 1.0


def _out(value: np.ndarray):
    """A 0-d array as a numpy scalar, anything else unchanged."""
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def _arrays(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in np.broadcast_arrays(*values)]


def cac(sm_spend, new_customers):
    """Customer acquisition cost: S&M spend per new customer.

    ``CAC = sm_spend / new_customers``

    Parameters
    ----------
    sm_spend : float or ndarray
        Sales and marketing spend that bought the customers (money), fully loaded:
        salaries, commissions, programmes, tools, allocated overhead.
    new_customers : float or ndarray
        New paying customers won with it (count; fractional counts are expected values).

    Returns
    -------
    float or ndarray
        Money per new customer. ``nan`` where ``new_customers <= 0``: CAC is undefined
        when no customer was acquired (printed "n/a (no new customers)"); not ``inf``,
        because spend without wins in one period usually buys wins in a later one.

    References
    ----------
    Skok (2013) [1]_.
    """
    spend, new = _arrays(sm_spend, new_customers)
    return _out(divide(spend, new, new > 0, np.nan))


def ltv(arpa, gross_margin, churn, expansion=0.0):
    """Customer lifetime value: gross margin per customer over an expected lifetime.

    ``LTV = arpa * gross_margin / (churn - expansion)``; with no expansion this is
    ``arpa * gross_margin * lifetime``, lifetime = ``1 / churn`` periods.

    Parameters
    ----------
    arpa : float or ndarray
        Recurring revenue per customer per period (money / period).
    gross_margin : float or ndarray
        Gross margin as a fraction of revenue.
    churn : float or ndarray
        Customer churn rate per period (fraction of customers lost).
    expansion : float or ndarray, default 0
        Net expansion rate per period of a surviving customer's revenue (expansion
        minus contraction; fraction).

    Returns
    -------
    float or ndarray
        Money per customer. When ``expansion >= churn`` (zero churn included) the
        margin never decays and the sum has no finite value: ``inf`` (``math.inf``) if
        ``arpa * gross_margin > 0``, ``-inf`` if it is negative, 0 if it is 0. Use
        :func:`ltv_capped` or :func:`ltv_discounted` for a finite figure then.

    References
    ----------
    Skok (2013) [1]_.
    """
    arpa, gm, churn, expansion = _arrays(arpa, gross_margin, churn, expansion)
    margin = arpa * gm
    decay = churn - expansion
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(decay > 0, margin / np.where(decay > 0, decay, 1.0), np.sign(margin) * np.inf)
    out = np.where((decay <= 0) & (margin == 0), 0.0, out)
    return _out(np.where(np.isnan(margin) | np.isnan(decay), np.nan, out))


def ltv_capped(arpa, gross_margin, churn, expansion=0.0, horizon_periods=60):
    """LTV summed over a finite horizon: always finite.

    ``sum_{k=0}^{H-1} arpa * gross_margin * r**k`` with ``r = 1 - churn + expansion``,
    i.e. ``arpa * gm * (1 - r**H) / (1 - r)``, and ``arpa * gm * H`` when ``r = 1``.
    As ``H`` grows it tends to :func:`ltv` when ``churn > expansion``.

    Parameters
    ----------
    arpa, gross_margin, churn, expansion : float or ndarray
        As in :func:`ltv` (per period).
    horizon_periods : int or ndarray, default 60
        Number of periods counted (60 months = 5 years).

    Returns
    -------
    float or ndarray
        Money per customer, finite for finite inputs.
    """
    arpa, gm, churn, expansion, horizon = _arrays(arpa, gross_margin, churn, expansion,
                                                  horizon_periods)
    r = 1.0 - churn + expansion
    near_one = np.abs(1.0 - r) < 1e-12
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        factor = np.where(near_one, horizon, (1.0 - r ** horizon) / np.where(near_one, 1.0, 1.0 - r))
    return _out(arpa * gm * factor)


def ltv_discounted(arpa, gross_margin, churn, expansion=0.0, discount_rate=MONTHLY_DISCOUNT_10PCT,
                   horizon_periods=None):
    """LTV as the present value of the margin stream, first period undiscounted.

    ``sum_{k>=0} arpa * gm * ((1 - churn + expansion) / (1 + d))**k
    = arpa * gm * (1 + d) / (d + churn - expansion)``; with ``horizon_periods`` ``H``
    the sum stops at ``k = H - 1`` (as :func:`ltv_capped`), so for ``d >= 0`` it never
    exceeds :func:`ltv_capped` over the same horizon.

    Parameters
    ----------
    arpa, gross_margin, churn, expansion : float or ndarray
        As in :func:`ltv` (per period).
    discount_rate : float or ndarray, default 10% a year as a monthly rate
        Discount rate per period (``d``); pass ``0.10`` with annual rates.
    horizon_periods : int or ndarray, optional
        Periods counted; None: all (the infinite sum).

    Returns
    -------
    float or ndarray
        Money per customer; finite whenever ``discount_rate + churn > expansion``,
        else unbounded as in :func:`ltv` (``inf``, ``-inf`` or 0 by the sign of the
        margin). With ``d = 0`` it equals :func:`ltv`.
    """
    arpa, gm, churn, expansion, d = _arrays(arpa, gross_margin, churn, expansion, discount_rate)
    if horizon_periods is not None:
        kept = (1.0 - churn + expansion) / (1.0 + d)  # discounted share of a period carried on
        return _out(ltv_capped(arpa, gm, 1.0 - kept, 0.0, horizon_periods))
    return _out(ltv(arpa * gm * (1.0 + d), 1.0, d + churn, expansion))


def lifetime(churn, expansion=0.0):
    """Expected lifetime the LTV formula implies, in periods: ``1 / (churn - expansion)``.

    With no expansion this is the expected customer lifetime ``1 / churn``; with
    expansion it is how long the formula counts a customer's first-period margin
    (``ltv = arpa * gross_margin * lifetime``). ``inf`` when ``expansion >= churn``.
    """
    churn, expansion = _arrays(churn, expansion)
    decay = churn - expansion
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(decay > 0, 1.0 / np.where(decay > 0, decay, 1.0), np.inf)
    return _out(np.where(np.isnan(decay), np.nan, out))


def ltv_to_cac(ltv, cac):
    """LTV:CAC, the value of a customer per unit of the cost to acquire it.

    Parameters
    ----------
    ltv : float or ndarray
        Money per customer (may be ``inf`` when unbounded).
    cac : float or ndarray
        Money per customer (``nan`` when undefined).

    Returns
    -------
    float or ndarray
        Ratio. ``nan`` when CAC is ``nan`` (no new customers) or when both are 0;
        ``inf`` when LTV is ``inf`` or CAC is 0 with a positive LTV (free customers).

    References
    ----------
    Skok (2013) [1]_: 3 or more is healthy.
    """
    value, cost = _arrays(ltv, cac)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(cost > 0, value / np.where(cost > 0, cost, 1.0), np.sign(value) * np.inf)
    out = np.where((cost <= 0) & (value == 0), np.nan, out)
    out = np.where(cost < 0, np.nan, out)
    return _out(np.where(np.isnan(value) | np.isnan(cost), np.nan, out))


def cac_payback_months(cac, monthly_arpa, gross_margin):
    """Months of a new customer's gross margin needed to recover its CAC (ignoring churn).

    ``payback = cac / (monthly_arpa * gross_margin)``

    Parameters
    ----------
    cac : float or ndarray
        Money per new customer.
    monthly_arpa : float or ndarray
        Monthly recurring revenue per new customer (money / month).
    gross_margin : float or ndarray
        Fraction of revenue.

    Returns
    -------
    float or ndarray
        Months. ``inf`` when the monthly margin is <= 0 (never pays back) and CAC > 0;
        0 when CAC is 0; ``nan`` when CAC is ``nan`` (no new customers).

    References
    ----------
    Skok (2013) [1]_.
    """
    cost, arpa, gm = _arrays(cac, monthly_arpa, gross_margin)
    margin = arpa * gm
    out = divide(cost, margin, margin > 0, np.inf)
    return _out(np.where(cost == 0, 0.0, out))


def magic_number(arr_now, arr_prev, sm_spend_prev):
    """Sales efficiency: ARR added in a quarter per unit of the previous quarter's S&M spend.

    ``magic = (arr_now - arr_prev) / sm_spend_prev``, ARR at the end of this and of the
    previous quarter, S&M spend over the previous quarter.

    Parameters
    ----------
    arr_now, arr_prev : float or ndarray
        Annual recurring revenue (money).
    sm_spend_prev : float or ndarray
        Sales and marketing spend of the previous quarter (money).

    Returns
    -------
    float or ndarray
        Ratio (negative when ARR fell). ``nan`` when ``sm_spend_prev <= 0``: no spend
        to measure efficiency against.

    References
    ----------
    Scale Venture Partners (2008) [3]_; some use the quarterly revenue change x 4,
    which is the same number when revenue is MRR.
    """
    now, prev, spend = _arrays(arr_now, arr_prev, sm_spend_prev)
    return _out(divide(now - prev, spend, spend > 0, np.nan))


def burn_multiple(net_burn, net_new_arr):
    """Capital efficiency: cash burned per unit of ARR added.

    ``burn_multiple = net_burn / net_new_arr``

    Parameters
    ----------
    net_burn : float or ndarray
        Operating cash out minus cash in over the period, financing excluded (money;
        positive = burning).
    net_new_arr : float or ndarray
        ARR at the end minus ARR at the start of the period (money).

    Returns
    -------
    float or ndarray
        Ratio. 0 when ``net_burn <= 0`` ("no burn": the business funds itself, whatever
        ARR did). ``inf`` when burning and ``net_new_arr <= 0``: the multiple is not
        meaningful (money spent, no ARR added) and sorts as worse than any finite one.

    References
    ----------
    Sacks (2020) [2]_.
    """
    burn, added = _arrays(net_burn, net_new_arr)
    out = divide(burn, added, added > 0, np.inf)
    return _out(np.where(burn <= 0, 0.0, out))


def rule_of_40(growth_rate, profit_margin):
    """Rule of 40: growth plus profitability.

    ``rule_of_40 = growth_rate + profit_margin`` (fractions: 0.40 = 40%).

    Parameters
    ----------
    growth_rate : float or ndarray
        Year-on-year revenue growth (fraction).
    profit_margin : float or ndarray
        EBITDA (or free-cash-flow) margin (fraction of revenue).

    Returns
    -------
    float or ndarray
        Fraction; ``nan`` only when an input is ``nan``.

    References
    ----------
    Feld (2015) [4]_: 0.40 or more is strong.
    """
    growth, margin = _arrays(growth_rate, profit_margin)
    return _out(growth + margin)


def nrr(start_mrr, expansion, contraction, churned):
    """Net revenue retention of a book of customers over a period.

    ``nrr = (start_mrr + expansion - contraction - churned) / start_mrr``, the flows
    being those of the customers in the book at the start (new customers excluded).

    Parameters
    ----------
    start_mrr, expansion, contraction, churned : float or ndarray
        Money (contraction and churned as positive amounts).

    Returns
    -------
    float or ndarray
        Fraction (1.1 = 110%). ``nan`` where ``start_mrr <= 0`` (no book to retain).

    References
    ----------
    KeyBanc / Sapphire Ventures survey definitions [5]_.
    """
    start, exp, con, lost = _arrays(start_mrr, expansion, contraction, churned)
    return _out(divide(start + exp - con - lost, start, start > 0, np.nan))


def grr(start_mrr, contraction, churned):
    """Gross revenue retention: revenue kept from a book, expansion excluded.

    ``grr = (start_mrr - contraction - churned) / start_mrr`` (at most 1).

    Parameters
    ----------
    start_mrr, contraction, churned : float or ndarray
        Money (contraction and churned as positive amounts).

    Returns
    -------
    float or ndarray
        Fraction. ``nan`` where ``start_mrr <= 0`` (no book to retain).

    References
    ----------
    KeyBanc / Sapphire Ventures survey definitions [5]_.
    """
    start, con, lost = _arrays(start_mrr, contraction, churned)
    return _out(divide(start - con - lost, start, start > 0, np.nan))
