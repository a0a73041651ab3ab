"""Cohort retention history (logos and MRR) from actuals, in the form ``planner fit`` reads.

A customer's cohort is the month of its first month-end MRR. It is *active at age a*
while it has paid at every month end from its cohort month through ``cohort + a``: the
first churn ends its life for the history, and a later reactivation does not bring it
back, because the sBG model of ``planner fit`` is a model of the time to the first
churn (so counts never rise with age, as the fit requires). The cohort's MRR at age
``a`` is the MRR of its customers still active then (expansion and contraction
included). Customers already paying in the first month of an MRR table have an
unknown cohort and are left out (with a note).
"""
from __future__ import annotations

import csv
import io

import numpy as np

from planner.actuals.mrr import CustomerMrr
from planner.fit.history import CohortHistory
from planner.io import write_text

__all__ = ["cohort_history", "cohort_rows", "write_cohorts"]


def _alive(cents: np.ndarray, cohort: np.ndarray) -> np.ndarray:
    """(customers, ages) bool: paid at every month end from the cohort month to cohort + age."""
    n, months = cents.shape
    index = cohort[:, None] + np.arange(months)[None, :]
    inside = index < months
    paid = np.take_along_axis(cents, np.minimum(index, months - 1), axis=1) > 0
    return np.logical_and.accumulate(paid & inside, axis=1), inside


def cohort_history(book: CustomerMrr, period: str = "month") -> CohortHistory:
    """Active customers and MRR of each (segment, cohort) by age.

    Parameters
    ----------
    book : CustomerMrr
    period : {"month", "year"}
        Age step: months, or years (ages 0, 12, 24, ... months; for annual plans,
        fitted with ``planner fit --period year``).

    Returns
    -------
    CohortHistory
        One cohort per segment and month with new customers, labelled ``YYYY-MM``;
        ``active`` and ``mrr`` (currency) of shape (n_cohorts, n_ages), NaN where not
        yet observed; ``segments`` set.
    """
    step = 12 if period == "year" else 1
    months = len(book.months)
    paying = book.cents > 0
    known = book.opening == 0
    has = paying.any(axis=1) & known
    cohort = np.where(has, paying.argmax(axis=1), 0)
    keys = book.customer_segment * months + cohort
    rows = np.flatnonzero(has)
    rows = rows[np.argsort(keys[rows], kind="stable")]
    alive, inside = _alive(book.cents[rows], cohort[rows])
    index = np.minimum(cohort[rows][:, None] + np.arange(months)[None, :], months - 1)
    mrr = np.where(alive, np.take_along_axis(book.cents[rows], index, axis=1), 0)
    group_keys, starts = np.unique(keys[rows], return_index=True)
    active = np.add.reduceat(alive.astype(np.int64), starts, axis=0).astype(float) if rows.size else np.zeros((0, months))
    money = np.add.reduceat(mrr, starts, axis=0) / 100.0 if rows.size else np.zeros((0, months))
    observed = months - (group_keys % months)  # ages 0 .. months - 1 - cohort month
    ages = np.arange(months)
    active = np.where(ages[None, :] < observed[:, None], active, np.nan)[:, ::step]
    money = np.where(ages[None, :] < observed[:, None], money, np.nan)[:, ::step]
    keep = ~np.isnan(active[:, 0]) if active.size else np.zeros(0, dtype=bool)
    labels = tuple(str(book.months[k % months]) for k in group_keys[keep])
    segments = tuple(book.segments[k // months] for k in group_keys[keep])
    width = max(int((~np.isnan(active[keep])).sum(axis=1).max()) if keep.any() else 1, 1)
    return CohortHistory(source=book.source, cohorts=labels, active=active[keep][:, :width],
                         mrr=money[keep][:, :width], segments=segments, layout="memory")


def cohort_rows(history: CohortHistory) -> list[dict]:
    """The history in the long layout ``planner fit`` reads: segment, cohort, age, active, mrr."""
    out = []
    for c, label in enumerate(history.cohorts):
        for age in range(int(history.last_age[c]) + 1):
            out.append({"segment": history.segments[c] if history.segments else "", "cohort": label,
                        "age": age, "active": int(history.active[c, age]),
                        "mrr": round(float(history.mrr[c, age]), 2) if history.mrr is not None else ""})
    return out


def write_cohorts(history: CohortHistory, path) -> None:
    """Write :func:`cohort_rows` as CSV (atomically): a file ``planner fit`` reads as it is."""

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["segment", "cohort", "age", "active", "mrr"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(cohort_rows(history))
    write_text(path, buffer.getvalue())
