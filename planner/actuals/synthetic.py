"""A synthetic subscription ledger from a known process (tests, benchmark, examples).

Customers are won each month per segment (Poisson); each has a churn probability
drawn from Beta(alpha, beta), so cohorts survive as the sBG model says; a customer's
first subscription lasts a geometric number of periods (months, or years for annual
plans) and ends mid-month; some change plan mid-life (a new row of the same
subscription id), some come back after churning (a new subscription), some buy an
add-on and are refunded within the month (never in a month-end book), some trial first
(a ``trialing`` row, left out). The generator also returns the *episodes*: what each
customer pays in month terms, so a test can rebuild the book without the readers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["SyntheticSegment", "synthetic_ledger"]


@dataclass(frozen=True)
class SyntheticSegment:
    """One segment of the synthetic process.

    Attributes
    ----------
    name : str
    new_per_month : float
        Mean of the Poisson number of customers won each month.
    price : float
        Amount invoiced per billing interval (currency).
    interval : {"month", "year"}
    alpha, beta : float
        Beta distribution of each customer's churn probability per period.
    """

    name: str
    new_per_month: float
    price: float
    interval: str = "month"
    alpha: float = 0.8
    beta: float = 8.0


def _add_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``dates`` (datetime64[D]) plus whole months, the day kept (all days are <= 28)."""
    month = dates.astype("datetime64[M]")
    day = (dates - month.astype("datetime64[D]")).astype(int)
    return (month + months).astype("datetime64[D]") + day


def synthetic_ledger(segments, months: int, *, start: str = "2025-01", seed=None,
                     change_rate: float = 0.15, reactivation_rate: float = 0.2,
                     refund_rate: float = 0.05, trial_rate: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a Stripe-shaped ledger and the episodes it was made from.

    Parameters
    ----------
    segments : sequence of SyntheticSegment
    months : int
        Months of history; the export is taken at the end of the last one.
    start : str
        First month (``YYYY-MM``).
    seed : int, Generator or None
    change_rate, reactivation_rate, refund_rate, trial_rate : float
        Share of customers with a plan change, a return after churn, a refunded
        add-on, a trial row.

    Returns
    -------
    ledger : DataFrame of str
        Columns id, customer, segment, plan, start, end, amount, interval, quantity,
        currency, status.
    episodes : DataFrame
        customer, segment, first, stop (month indices from ``start``: paid at the month
        ends ``first <= m < stop``), cents (MRR), theta (churn probability), life
        (periods of the first subscription), cohort.
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    first = np.datetime64(start, "M")
    rows, episodes = [], []
    offset = 0
    for seg in segments:
        won = rng.poisson(seg.new_per_month, size=months)
        cohort = np.repeat(np.arange(months), won)
        n = cohort.size
        ids = np.array([f"{seg.name}-{i + offset:07d}" for i in range(n)], dtype=object)
        offset += n
        theta = rng.beta(seg.alpha, seg.beta, size=n)
        life = rng.geometric(theta)  # periods until the first churn, >= 1
        period = 12 if seg.interval == "year" else 1
        day = rng.integers(1, 29, size=n)
        begin = (first + cohort).astype("datetime64[D]") + (day - 1)
        mrr = int(round(seg.price * 100 / period))
        changed = (rng.random(n) < change_rate) & (life * period >= 2)
        at = np.where(changed, period * rng.integers(1, np.maximum(life, 2)), 0)
        at = np.where(at >= life * period, period * (life - 1), at)
        changed &= (at > 0) & (cohort + at < months)
        factor = rng.choice([0.5, 2.0, 3.0], size=n)
        stop_first = cohort + life * period
        _rows_first(rows, episodes, seg, ids, begin, cohort, life, period, stop_first, changed, at, factor,
                    mrr, months, theta)
        churned = stop_first < months
        back = churned & (rng.random(n) < reactivation_rate)
        gap = rng.integers(1, 7, size=n)
        again = stop_first + gap
        back &= again < months
        life2 = rng.geometric(theta)
        _rows_back(rows, episodes, seg, ids[back], (first + again[back]).astype("datetime64[D]") + (day[back] - 1),
                   again[back], life2[back] * period, mrr, months)
        refund = rng.random(n) < refund_rate
        _rows_short(rows, seg, ids[refund], begin[refund], "canceled")
        trial = rng.random(n) < trial_rate
        _rows_short(rows, seg, ids[trial], begin[trial] - 14, "trialing")
    ledger = pd.concat(rows, ignore_index=True)
    ledger = ledger.sample(frac=1.0, random_state=np.random.RandomState(rng.integers(2**31))).reset_index(drop=True)
    return ledger, pd.concat(episodes, ignore_index=True)


def _frame(seg, sub, customer, begin, end, amount_cents_per_interval, status) -> pd.DataFrame:
    n = len(customer)
    end_text = np.where(np.isnat(end), "", end.astype(str))
    return pd.DataFrame({
        "id": sub, "customer": customer, "segment": seg.name, "plan": f"{seg.name}-{seg.interval}",
        "start": begin.astype(str), "end": end_text,
        "amount": [f"{c / 100:.2f}" for c in np.broadcast_to(amount_cents_per_interval, (n,))],
        "interval": seg.interval, "quantity": "1", "currency": "USD", "status": status})


def _rows_first(rows, episodes, seg, ids, begin, cohort, life, period, stop, changed, at, factor, mrr,
                months, theta) -> None:
    """First subscriptions: one row, or two rows (a plan change) of one subscription id."""
    open_end = stop >= months
    end = np.where(open_end, np.datetime64("NaT"), _add_months(begin, stop - cohort))
    status = np.where(open_end, "active", "canceled")
    interval_cents = mrr * period
    change_day = _add_months(begin, at)
    plain = ~changed
    rows.append(_frame(seg, "sub-" + ids[plain], ids[plain], begin[plain], end[plain], interval_cents, status[plain]))
    rows.append(_frame(seg, "sub-" + ids[changed], ids[changed], begin[changed], change_day[changed],
                       interval_cents, "canceled"))
    new_cents = np.floor(mrr * factor[changed] + 0.5).astype(np.int64)
    rows.append(_frame(seg, "sub-" + ids[changed], ids[changed], change_day[changed], end[changed],
                       new_cents * period, status[changed]))
    episodes.append(pd.DataFrame({"customer": ids, "segment": seg.name, "first": cohort,
                                  "stop": np.where(changed, cohort + at, np.minimum(stop, months)),
                                  "cents": mrr, "theta": theta, "life": life, "cohort": cohort}))
    episodes.append(pd.DataFrame({"customer": ids[changed], "segment": seg.name, "first": (cohort + at)[changed],
                                  "stop": np.minimum(stop, months)[changed], "cents": new_cents,
                                  "theta": theta[changed], "life": life[changed], "cohort": cohort[changed]}))


def _rows_back(rows, episodes, seg, ids, begin, first, length, mrr, months) -> None:
    """Returning customers: a new subscription after a gap."""
    stop = first + length
    open_end = stop >= months
    end = np.where(open_end, np.datetime64("NaT"), _add_months(begin, length))
    status = np.where(open_end, "active", "canceled")
    period = 12 if seg.interval == "year" else 1
    rows.append(_frame(seg, "sub2-" + ids, ids, begin, end, mrr * period, status))
    episodes.append(pd.DataFrame({"customer": ids, "segment": seg.name, "first": first,
                                  "stop": np.minimum(stop, months), "cents": mrr, "theta": np.nan,
                                  "life": -1, "cohort": -1}))


def _rows_short(rows, seg, ids, begin, status) -> None:
    """Rows that never reach a month end (a refunded add-on) or are not paid (a trial)."""
    if status == "canceled":  # bought on the 2nd, refunded and ended on the 21st of the month
        month_start = begin.astype("datetime64[M]").astype("datetime64[D]")
        start, end = month_start + 1, month_start + 20
    else:  # a 14-day trial before the first subscription
        start, end = begin - 14, begin
    rows.append(_frame(seg, f"{status}-" + ids, ids, start, end, 1000, status))
