"""Each customer's MRR at every month end: the book that movements, cohorts and tracking read.

A ledger row is in the book at the end of month ``m`` when it started on or before the
last day of ``m`` and had not ended by then (its end, the first day out of service, is
in a later month). MRR is counted in whole cents, so every sum of it is exact.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CustomerMrr", "ledger_mrr"]


@dataclass(frozen=True, eq=False)
class CustomerMrr:
    """MRR of every customer at the end of every month.

    Attributes
    ----------
    source : str
    currency : str
    months : ndarray of datetime64[M], shape (n_months,)
        Consecutive months.
    segments : tuple of str
    customers : ndarray of str, shape (n_customers,)
        Sorted by segment, so each segment's customers are one slice.
    customer_segment : ndarray of int, shape (n_customers,)
        Index into ``segments``, non-decreasing.
    cents : ndarray of int64, shape (n_customers, n_months)
        MRR at each month end, in cents.
    opening : ndarray of int64, shape (n_customers,)
        MRR at the end of the month before ``months[0]`` (all 0 for a ledger: nothing
        was billed before its first start).
    notes : tuple of str
    """

    source: str
    currency: str
    months: np.ndarray
    segments: tuple[str, ...]
    customers: np.ndarray
    customer_segment: np.ndarray
    cents: np.ndarray
    opening: np.ndarray
    notes: tuple[str, ...] = ()

    def segment_slices(self) -> list[slice]:
        """Row slice of each segment's customers, in ``segments`` order."""
        bounds = np.searchsorted(self.customer_segment, np.arange(len(self.segments) + 1))
        return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]

    def mrr(self) -> np.ndarray:
        """Closing MRR per segment and month (currency), shape (n_segments, n_months)."""
        return np.stack([self.cents[s].sum(axis=0) for s in self.segment_slices()]) / 100.0

    def customers_active(self) -> np.ndarray:
        """Paying customers per segment and month, shape (n_segments, n_months)."""
        return np.stack([(self.cents[s] > 0).sum(axis=0) for s in self.segment_slices()])

    def month_index(self, month) -> int:
        """Index of ``month`` (``"2027-06"`` or datetime64) in ``months``; ValueError if outside."""
        m = np.datetime64(month, "M")
        index = int((m - self.months[0]).astype(int))
        if not 0 <= index < len(self.months):
            raise ValueError(f"{m} is outside the actuals ({self.months[0]} to {self.months[-1]})")
        return index


def ledger_mrr(ledger, last=None) -> CustomerMrr:
    """Turn a ledger into each customer's MRR at every month end.

    Parameters
    ----------
    ledger : Ledger
    last : str or datetime64, optional
        Last month (``YYYY-MM``); default the month of the ledger's latest start or end.

    Returns
    -------
    CustomerMrr
        Months from the first start through ``last``; ``opening`` all zero.
    """
    first = ledger.first_month
    last = ledger.last_event_month if last is None else np.datetime64(last, "M")
    n_months = max(int((last - first).astype(int)) + 1, 1)
    start = (ledger.start.astype("datetime64[M]") - first).astype(int)
    ended = ~np.isnat(ledger.end)
    stop = np.where(ended, (ledger.end.astype("datetime64[M]") - first).astype(int), n_months)
    stop = np.minimum(stop, n_months)
    live = (start < stop) & (ledger.mrr_cents != 0)
    # a difference array, month-major so that the running sum adds whole contiguous rows;
    # filled and summed in place (fresh multi-hundred-MB temporaries cost more than the sums)
    diff = np.zeros((n_months + 1, len(ledger.customers)), dtype=np.int64)
    np.add.at(diff, (start[live], ledger.customer[live]), ledger.mrr_cents[live])
    np.add.at(diff, (stop[live], ledger.customer[live]), -ledger.mrr_cents[live])
    cents = np.cumsum(diff[:n_months], axis=0, out=diff[:n_months]).T  # (customers, months) view
    notes = list(ledger.notes)
    short = int(((start >= stop) & (start < n_months) & ended).sum())
    if short:
        notes.append(f"{short:,} subscription{'s' if short > 1 else ''} started and ended within one month: "
                     "never in a month-end book, so not in MRR")
    return CustomerMrr(source=ledger.source, currency=ledger.currency,
                       months=first + np.arange(n_months), segments=ledger.segments,
                       customers=ledger.customers, customer_segment=ledger.customer_segment,
                       cents=cents, opening=np.zeros(len(ledger.customers), dtype=np.int64),
                       notes=tuple(notes))
