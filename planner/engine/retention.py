"""Retention and per-customer MRR by cohort age, and a cohort's trajectory through time.

Ages are in months since acquisition. A cohort's base survival ``S(a)`` comes from the
retention model; contracts of ``term`` months churn only at renewal, so the effective
survival is ``S(term * floor(a / term))``.
"""
from __future__ import annotations

import numpy as np
from scipy.special import betaln

from planner.engine.sampling import Inputs
from planner.scenario.model import Retention, Segment


def base_survival(retention: Retention, ages: np.ndarray, inputs: Inputs) -> np.ndarray:
    """Share of a cohort still active at each age, before renewal stepping.

    Parameters
    ----------
    retention : Retention
    ages : ndarray, shape (n,)
        Ages in months (>= 0).
    inputs : Inputs

    Returns
    -------
    ndarray, shape (paths, n) or (1, n) when certain
        S(0) = 1, non-increasing in age.
    """
    ages = np.asarray(ages, dtype=float)[None, :]
    if retention.model == "constant":
        return constant_survival(inputs.value(retention.monthly_churn), ages)
    if retention.model == "curve":
        return _curve_survival(retention.curve, ages[0])[None, :]
    alpha, beta = sbg_parameters(retention, inputs)
    return np.exp(betaln(alpha, beta + ages / retention.period_months) - betaln(alpha, beta))


def constant_survival(churn: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """``(1 - churn) ** ages``, and where ``churn >= 1`` (everyone leaves in their first
    month) 1 at age 0 and 0 after.

    Parameters
    ----------
    churn, ages : ndarray
        Monthly churn (paths or 1, 1) and ages (float, (1, n)).

    Returns
    -------
    ndarray, their broadcast shape
    """
    with np.errstate(divide="ignore"):
        survival = (1.0 - churn) ** ages
    gone = churn >= 1.0
    if gone.any():  # rare: a np.where over every cell only then
        survival = np.where(gone, (ages == 0).astype(float), survival)
    return survival


def per_starter(surv: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Survival relative to the first age, ``surv / first`` (0 where nobody starts).

    ``first`` is ``surv`` at the first age, ``surv[:, :1]``.
    """
    if np.all(first > 0):  # the usual case: a plain division, the same numbers
        return surv / first
    return np.divide(surv, first, out=np.zeros_like(surv), where=first > 0)


def sbg_parameters(retention: Retention, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Per-path sBG (alpha, beta), shape (paths, 1) each; jointly lognormal when ``log_cov`` is set."""
    alpha, beta = inputs.value(retention.alpha), inputs.value(retention.beta)
    if retention.log_cov is None:
        return alpha, beta
    chol = np.linalg.cholesky(np.asarray(retention.log_cov) + 1e-15 * np.eye(2))
    z = np.hstack([inputs.value(retention.z_params[0]), inputs.value(retention.z_params[1])])
    shift = z @ chol.T
    return alpha * np.exp(shift[:, :1]), beta * np.exp(shift[:, 1:])


def _curve_survival(curve: tuple[tuple[int, float], ...], ages: np.ndarray) -> np.ndarray:
    """Log-linear interpolation of (age, survival) points, extended with the last slope."""
    knot_ages = np.array([a for a, _ in curve], dtype=float)
    log_s = np.log(np.array([s for _, s in curve], dtype=float))
    slope = (log_s[-1] - log_s[-2]) / (knot_ages[-1] - knot_ages[-2])
    inside = np.interp(ages, knot_ages, log_s)
    beyond = log_s[-1] + slope * (ages - knot_ages[-1])
    return np.exp(np.where(ages > knot_ages[-1], beyond, inside))


def stepped_survival(segment: Segment, ages: np.ndarray, inputs: Inputs) -> np.ndarray:
    """Survival with churn only at renewals: ``S(term * floor(a / term))``; shape (paths, n)."""
    term = segment.term_months
    renewal_ages = term * (np.asarray(ages) // term)
    return base_survival(segment.retention, renewal_ages, inputs)


def mrr_rates(segment: Segment, ages: np.ndarray, inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Gross expansion and contraction rates applied to a survivor's MRR in the month it reaches each age.

    With rates: expansion every month; contraction every month on monthly contracts and
    compounded into the renewal month on longer ones. With ``mrr_per_customer_curve``:
    the curve's month-on-month change, taken at renewals on longer contracts.

    Returns
    -------
    expansion, contraction : ndarray, shape (paths, n)
        Fractions of last month's MRR per customer; zero at age 0.
    """
    ages = np.asarray(ages)
    if segment.mrr_curve is not None:
        # on contracts longer than a month the curve moves only at renewals
        knots = np.array(segment.mrr_curve, dtype=float)
        term = segment.term_months
        level = np.interp(term * (ages // term), knots[:, 0], knots[:, 1])
        before = np.interp(term * (np.maximum(ages - 1, 0) // term), knots[:, 0], knots[:, 1])
        ratio = np.where(ages > 0, level / before, 1.0)[None, :]
        return np.maximum(ratio - 1, 0), np.maximum(1 - ratio, 0)
    grows = (ages > 0)[None, :]
    expansion = inputs.value(segment.expansion_rate) * grows
    contraction = inputs.value(segment.contraction_rate)
    term = segment.term_months
    if term > 1:
        renewal = ((ages % term == 0) & (ages > 0))[None, :]
        contraction = (1.0 - (1.0 - contraction) ** term) * renewal
    else:
        contraction = contraction * grows
    return expansion, contraction


def trajectory(segment: Segment, ages: np.ndarray, inputs: Inputs, keys=None) -> dict[str, np.ndarray]:
    """Per unit of a cohort (one customer, 1 of MRR), what happens at consecutive ages.

    Index 0 of ``ages`` is the reference state (acquisition for a new cohort, the month
    before the start for the opening book); flows at index ``i`` are the change from
    ``i - 1``.

    Parameters
    ----------
    segment : Segment
    ages : ndarray of int, shape (n,)
        Consecutive ages in months.
    inputs : Inputs
    keys : iterable of str, optional
        When only ``customers``, ``mrr`` and ``deferred`` are asked for, the flows are
        not computed (None: all).

    Returns
    -------
    dict of ndarray, each shape (paths, n), or (1, n) when nothing in it is uncertain
        ``customers`` (survivors per starting customer), ``churned_customers``,
        ``mrr``, ``expansion``, ``contraction``, ``churned_mrr`` (per 1 of starting MRR),
        ``deferred`` (billed but unearned revenue at the end of the month, per 1 of MRR).
    """
    surv = stepped_survival(segment, ages, inputs)
    surv = per_starter(surv, surv[:, :1])
    exp_rate, con_rate = mrr_rates(segment, ages, inputs)
    growth = 1.0 + exp_rate - con_rate
    rows = max(surv.shape[0], growth.shape[0])
    # each row's product is the same computed once or on every row: broadcast after it
    per_customer = np.cumprod(growth, axis=1) / growth[:, :1]
    mrr = surv * per_customer  # broadcasting the rows gives the same numbers as copying them
    surv = _rows(surv, rows)
    if keys is not None and set(keys) <= {"customers", "mrr"}:
        return {key: {"customers": surv, "mrr": mrr}[key] for key in keys}
    per_customer = _rows(per_customer, rows)
    out = {"customers": surv, "mrr": mrr}
    if keys is None or "deferred" in keys:
        out["deferred"] = _deferred(segment.billing_months, ages, surv, per_customer,
                                    segment.coterm_expansion)
    if keys is not None and not set(keys) - set(out):
        return {key: out[key] for key in keys}
    exp_rate, con_rate = _rows(exp_rate, rows), _rows(con_rate, rows)
    previous = np.concatenate([per_customer[:, :1], per_customer[:, :-1]], axis=1)
    surv_prev = np.concatenate([surv[:, :1], surv[:, :-1]], axis=1)
    out |= {
        "churned_customers": surv_prev - surv,
        "expansion": surv * previous * exp_rate,
        "contraction": surv * previous * con_rate,
        "churned_mrr": (surv_prev - surv) * previous,
    }
    for key in ("expansion", "contraction", "churned_mrr", "churned_customers"):
        out[key][:, 0] = 0.0
    return out


def _rows(array: np.ndarray, rows: int) -> np.ndarray:
    return array if array.shape[0] == rows else np.array(np.broadcast_to(array, (rows,) + array.shape[1:]))


def _deferred(billing: int, ages: np.ndarray, surv: np.ndarray, per_customer: np.ndarray,
              coterm: bool = False) -> np.ndarray:
    """Unearned revenue billed for the rest of the billing period, at each age; (rows, n).

    An invoice at each age divisible by ``billing`` covers ``billing`` months at that
    month's MRR. A change in MRR between invoices is either billed monthly as it is
    earned (the deferred balance stays at the invoiced MRR) or, with ``coterm``, invoiced
    or credited at once, prorated for the rest of the period (co-termed): the balance then
    follows the current MRR. Contracts churn only at renewal, so survivors are constant
    inside a billing period.
    """
    ages = np.asarray(ages)
    remaining = billing - 1 - ages % billing
    if coterm:
        return surv * per_customer * remaining[None, :]
    bill_age = billing * (ages // billing)
    bill_index = np.clip(bill_age - ages[0], 0, None)  # invoices before index 0 used the start MRR
    return surv * per_customer[:, bill_index] * remaining[None, :]
