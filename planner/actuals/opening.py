"""The opening book from a ledger: who pays at the close of ``as_of``, how old the book is,
when it renews, and the deferred revenue and receivables its billing terms imply.

Conventions (docs/actuals.md): a subscription is in the book when it is in the month-end
book of ``as_of`` (see :mod:`planner.actuals.mrr`); the close is the first instant of
the next month, ``E``. Invoices are issued in advance on the subscription's start date
and every billing interval after it (the day of the month kept, clipped to the month's
last day). The deferred revenue of a subscription is its current invoice times the
share of the current period still to serve after ``E`` (in days); the receivables are
the invoices issued within ``payment_terms_days`` before ``E`` (not yet due, so unpaid).
A customer's age is in months since its first month-end MRR (0 = won in ``as_of``), the
scenario's ``age_months``; its renewal month is the next invoice date on or after ``E``
of its largest subscription.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.actuals.readers import INTERVALS, Ledger

__all__ = ["OpeningBook", "opening_book", "opening_yaml"]

_DAY_UNITS = {INTERVALS["day"][0]: 1, INTERVALS["week"][0]: 7}
_MONTH_UNITS = {INTERVALS["month"][0]: 1, INTERVALS["quarter"][0]: 3, INTERVALS["year"][0]: 12}


@dataclass(frozen=True, eq=False)
class OpeningBook:
    """The book at the close of ``as_of``, per segment (arrays of shape (n_segments,)).

    Attributes
    ----------
    source, currency : str
    as_of : numpy.datetime64 (month)
    segments : tuple of str
    customers : ndarray of int
    mrr, deferred_revenue, receivables : ndarray of float
        Currency.
    average_age : ndarray of float
        Mean age of the customers, months.
    ages : list of dict
        Per segment: age in months -> (customers, MRR).
    renewals : list of dict
        Per segment: renewal month ``YYYY-MM`` -> (customers, MRR).
    payment_terms_days : float
    """

    source: str
    currency: str
    as_of: np.datetime64
    segments: tuple[str, ...]
    customers: np.ndarray
    mrr: np.ndarray
    deferred_revenue: np.ndarray
    receivables: np.ndarray
    average_age: np.ndarray
    ages: list
    renewals: list
    payment_terms_days: float = 0.0

    def to_dict(self) -> dict:
        """JSON-ready: per segment, the totals and both distributions."""
        out = {"source": self.source, "currency": self.currency, "as_of": str(self.as_of), "segments": {}}
        for s, name in enumerate(self.segments):
            out["segments"][name] = {
                "customers": int(self.customers[s]), "mrr": round(float(self.mrr[s]), 2),
                "average_age_months": round(float(self.average_age[s]), 2),
                "deferred_revenue": round(float(self.deferred_revenue[s]), 2),
                "receivables": round(float(self.receivables[s]), 2),
                "ages": {str(a): {"customers": c, "mrr": round(m, 2)} for a, (c, m) in self.ages[s].items()},
                "renewals": {k: {"customers": c, "mrr": round(m, 2)} for k, (c, m) in self.renewals[s].items()},
            }
        return out


def _add_months(dates: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Dates plus whole months, the day kept and clipped to the target month's last day."""
    first = dates.astype("datetime64[M]")
    day = (dates - first.astype("datetime64[D]")).astype(int)
    target = first + months
    last_day = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(int) - 1
    return target.astype("datetime64[D]") + np.minimum(day, last_day)


def _periods(start: np.ndarray, unit: np.ndarray, count: np.ndarray, close: np.datetime64):
    """Invoice index ``n`` and period bounds ``p0 < close <= p1`` of each subscription, and a
    function giving the ``k``-th invoice date."""
    days = np.vectorize(lambda u: _DAY_UNITS.get(u, 0))(unit) * count
    months = np.vectorize(lambda u: _MONTH_UNITS.get(u, 0))(unit) * count

    def invoice(k):
        by_day = start + (k * np.maximum(days, 1)).astype("timedelta64[D]")
        return np.where(days > 0, by_day, _add_months(start, k * np.maximum(months, 1)))
    elapsed_days = (close - start).astype(int)
    elapsed_months = ((close.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(int))
    n = np.where(days > 0, -(-elapsed_days // np.maximum(days, 1)) - 1, elapsed_months // np.maximum(months, 1))
    for _ in range(2):  # settle n so that invoice(n) < close <= invoice(n + 1)
        n = np.where(invoice(n) >= close, n - 1, n)
        n = np.where(invoice(n + 1) < close, n + 1, n)
    return n, invoice


def opening_book(ledger: Ledger, as_of) -> OpeningBook:
    """The book at the close of ``as_of`` (``YYYY-MM``) per segment.

    Parameters
    ----------
    ledger : Ledger
    as_of : str or datetime64
        The last closed month.

    Returns
    -------
    OpeningBook
    """
    month = np.datetime64(as_of, "M")
    close = (month + 1).astype("datetime64[D]")
    book = ledger.monthly_mrr(month)
    last = book.cents[:, -1]
    paying = last > 0
    cohort = np.where(book.cents > 0, np.arange(book.cents.shape[1])[None, :], 10**9).min(axis=1)
    age = len(book.months) - 1 - cohort
    in_book = ((ledger.start.astype("datetime64[M]") <= month)
               & (np.isnat(ledger.end) | (ledger.end.astype("datetime64[M]") > month)) & (ledger.mrr_cents > 0))
    n, invoice = _periods(ledger.start, ledger.unit, ledger.count, close)
    p0, p1 = invoice(n), invoice(n + 1)
    share = (p1 - close).astype(int) / np.maximum((p1 - p0).astype(int), 1)
    deferred = np.where(in_book, ledger.invoice * share, 0.0)
    receivable = _receivables(ledger, invoice, n, close)
    renewal = _renewal_months(ledger, in_book, p1, len(book.customers))
    seg = book.customer_segment
    n_seg = len(book.segments)
    row_seg = seg[ledger.customer]
    return OpeningBook(
        source=ledger.source, currency=ledger.currency, as_of=month, segments=book.segments,
        customers=np.bincount(seg[paying], minlength=n_seg),
        mrr=np.bincount(seg, weights=last, minlength=n_seg) / 100.0,
        deferred_revenue=np.bincount(row_seg, weights=deferred, minlength=n_seg),
        receivables=np.bincount(row_seg, weights=receivable, minlength=n_seg),
        average_age=np.array([age[paying & (seg == s)].mean() if (paying & (seg == s)).any() else 0.0
                              for s in range(n_seg)]),
        ages=[_tally(age[paying & (seg == s)], last[paying & (seg == s)]) for s in range(n_seg)],
        renewals=[_tally(renewal[paying & (seg == s)], last[paying & (seg == s)]) for s in range(n_seg)],
        payment_terms_days=ledger.payment_terms_days)


def _receivables(ledger: Ledger, invoice, n: np.ndarray, close: np.datetime64) -> np.ndarray:
    """Invoices issued in the ``payment_terms_days`` before the close (and while in service)."""
    out = np.zeros(len(ledger.start))
    terms = np.timedelta64(int(round(ledger.payment_terms_days)), "D")
    if terms <= np.timedelta64(0, "D"):
        return out
    k = n.copy()
    for _ in range(400):  # at most one invoice a day over at most a year of terms
        date = invoice(k)
        live = (k >= 0) & (date >= close - terms) & (date < close)
        live &= np.isnat(ledger.end) | (date < ledger.end)
        if not live.any() and (date < close - terms).all():
            break
        out += np.where(live, ledger.invoice, 0.0)
        k = k - 1
    return out


def _renewal_months(ledger: Ledger, in_book: np.ndarray, p1: np.ndarray, customers: int) -> np.ndarray:
    """Each customer's renewal month (``YYYY-MM``): the next invoice of its largest subscription."""
    rows = np.flatnonzero(in_book)
    order = rows[np.lexsort((-ledger.mrr_cents[rows], ledger.customer[rows]))]
    first = order[np.r_[True, ledger.customer[order][1:] != ledger.customer[order][:-1]]] if order.size else order
    out = np.full(customers, "", dtype=object)
    out[ledger.customer[first]] = p1[first].astype("datetime64[M]").astype(str)
    return out


def _tally(keys: np.ndarray, cents: np.ndarray) -> dict:
    """key -> (customers, MRR in currency), keys sorted."""
    out = {}
    for key in sorted(set(keys.tolist())):
        sel = keys == key
        out[key if isinstance(key, str) else int(key)] = (int(sel.sum()), float(cents[sel].sum()) / 100.0)
    return out


def opening_yaml(book: OpeningBook, cash: float | None = None) -> str:
    """The scenario blocks for this opening book (``opening:`` and each segment's ``opening:``).

    The distributions are written as comments: today's scenario format takes an average
    age (``age_months``) and spreads the book evenly over one term (docs/actuals.md).
    """
    lines = [f"# Opening book from {book.source} at the close of {book.as_of} "
             f"(start the scenario in {book.as_of + 1}); amounts in {book.currency}."]
    if cash is not None:
        lines += ["opening:", f"  cash: {cash:.2f}"]
    lines.append("segments:")
    for s, name in enumerate(book.segments):
        ages = ", ".join(f"{a}: {c}" for a, (c, _) in book.ages[s].items())
        renewals = ", ".join(f"{k}: {c}" for k, (c, _) in book.renewals[s].items())
        lines += [f"  {name}:",
                  f"    opening: {{customers: {int(book.customers[s])}, mrr: {book.mrr[s]:.2f}, "
                  f"age_months: {int(round(book.average_age[s]))}}}",
                  f"    # customers by age in months: {{{ages}}}",
                  f"    # customers by renewal month: {{{renewals}}}",
                  f"    # deferred revenue {book.deferred_revenue[s]:.2f}, receivables {book.receivables[s]:.2f}"
                  f" (payment terms {book.payment_terms_days:g} days)"]
    return "\n".join(lines) + "\n"


def closing_cash(financials, month) -> float | None:
    """The cash balance the financials report at the close of ``month``, or None if they
    have no cash figure for it."""
    month = np.datetime64(month, "M")
    cash = financials.values.get("cash")
    if cash is None:
        return None
    hit = (financials.months == month) & np.isfinite(cash)
    return float(cash[hit][0]) if hit.any() else None
