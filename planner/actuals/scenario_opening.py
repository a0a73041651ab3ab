"""``opening: {from_actuals: ledger.csv, as_of: 2027-06}``: a scenario's opening book from a ledger.

Each segment's book becomes slices ``(age, customers, MRR)`` that the engine layers like
cohorts (:func:`planner.engine.revenue.opening_slices`): the book's real age distribution
instead of one average age renewing evenly. The engine renews a slice when its age is a
multiple of the segment's ``term_months``, so each customer's age (months since its
first month-end MRR) is moved to the nearest age with the renewal month of its contract
(its largest subscription's start plus whole terms), at most half a term away; on
monthly terms that is its age itself.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from planner.actuals.readers import Ledger, load_format, read_ledger
from planner.errors import ScenarioError

__all__ = ["engine_slices", "opening_from_actuals"]


def engine_slices(ledger: Ledger, as_of, term_months: dict, book=None) -> dict:
    """The book at the close of ``as_of`` as engine slices, per segment.

    Parameters
    ----------
    ledger : Ledger
    as_of : str or datetime64
        The last closed month (the month before the scenario's start).
    term_months : dict of str -> int
        Contract term of each segment (the renewal period of its slices).
    book : CustomerMrr, optional
        ``ledger.monthly_mrr(as_of)`` if already computed.

    Returns
    -------
    dict of str -> (customers, mrr, mean age, slices)
        ``slices`` a tuple of ``(age, customers, MRR)`` sorted by age; ages in months the
        month before the start, MRR in currency.
    """
    month = np.datetime64(as_of, "M")
    book = ledger.monthly_mrr(month) if book is None or book.months[-1] != month else book
    last = book.cents[:, -1]
    paying = last > 0
    cohort = np.where(book.cents > 0, np.arange(book.cents.shape[1])[None, :], 10**9).min(axis=1)
    age = len(book.months) - 1 - cohort
    contract_age = _contract_ages(ledger, month, len(book.customers))
    out = {}
    for s, name in enumerate(book.segments):
        sel = paying & (book.customer_segment == s)
        term = int(term_months.get(name, 1))
        snapped = _snap(age[sel], contract_age[sel], term)
        slices = tuple((int(a), float((snapped == a).sum()), float(last[sel][snapped == a].sum()) / 100.0)
                       for a in np.unique(snapped))
        out[name] = (int(sel.sum()), float(last[sel].sum()) / 100.0, float(age[sel].mean()) if sel.any() else 0.0,
                     slices)
    return out


def _contract_ages(ledger: Ledger, month: np.datetime64, customers: int) -> np.ndarray:
    """Months from the start of each customer's largest subscription in the book to ``month``."""
    in_book = ((ledger.start.astype("datetime64[M]") <= month) & (ledger.mrr_cents > 0)
               & (np.isnat(ledger.end) | (ledger.end.astype("datetime64[M]") > month)))
    rows = np.flatnonzero(in_book)
    order = rows[np.lexsort((-ledger.mrr_cents[rows], ledger.customer[rows]))]
    first = order[np.r_[True, ledger.customer[order][1:] != ledger.customer[order][:-1]]] if order.size else order
    out = np.zeros(customers, dtype=int)
    out[ledger.customer[first]] = (month - ledger.start[first].astype("datetime64[M]")).astype(int)
    return out


def _snap(age: np.ndarray, contract_age: np.ndarray, term: int) -> np.ndarray:
    """The age nearest ``age`` that renews when the contract does (ties to the older), >= 0."""
    if term <= 1:
        return age
    delta = (contract_age - age) % term
    delta = np.where(2 * delta > term, delta - term, delta)
    out = age + delta
    return np.where(out < 0, out + term, out)


def opening_from_actuals(segments: tuple, opening: dict, start: np.datetime64, ctx) -> tuple:
    """Segments with their opening book from ``opening.from_actuals`` (unchanged without it).

    Problems (the ledger's own, a wrong ``as_of``, segments the scenario lacks, an
    opening book given twice) are recorded in ``ctx``, all of them.
    """
    name = opening.get("from_actuals") if isinstance(opening, dict) else None
    if not isinstance(name, str):
        return segments
    as_of = opening.get("as_of")
    as_of = start - 1 if not isinstance(as_of, np.datetime64) else as_of
    if as_of != start - 1:
        ctx.error(("opening", "as_of"), f"must be {start - 1}, the month before start: the plan starts "
                  "from the book at that close", str(as_of))
        return segments
    base = Path(ctx.lines.source).parent if Path(ctx.lines.source).is_file() else Path.cwd()
    mapping = opening.get("mapping")
    key = (str((base / name).resolve()), str((base / mapping).resolve()) if isinstance(mapping, str) else None)
    try:
        ledger = ctx.ledgers.get(key)  # already read (a reforecast reads it once)
        ledger, book = ledger if isinstance(ledger, tuple) else (ledger, None)  # (Ledger, its month-end book)
        if ledger is None:
            ledger = read_ledger(base / name, load_format(base / mapping) if isinstance(mapping, str) else None)
    except ScenarioError as err:
        ctx.problems.extend(err.problems)
        return segments
    names = [s.name for s in segments if s is not None]
    extra = [s for s in ledger.segments if s not in names]
    if extra:
        ctx.error(("opening", "from_actuals"), f"the ledger has segment(s) {', '.join(extra)} that the scenario "
                  f"does not ({', '.join(names)}): add them, or place their rows with plan_segments or "
                  "default_segment in the mapping")
    for seg in segments:
        if seg is not None and (seg.opening_customers != 0 or seg.opening_mrr != 0):
            ctx.error(("segments", seg.name, "opening"), "comes from opening.from_actuals: leave out "
                      "customers and mrr here")
    if extra or ctx.problems:
        return segments
    books = engine_slices(ledger, as_of, {s.name: s.term_months for s in segments}, book)
    return tuple(_with_book(seg, books.get(seg.name)) for seg in segments)


def _with_book(segment, book):
    if book is None:  # no customer of this segment in the ledger: an empty book
        return dataclasses.replace(segment, opening_customers=0.0, opening_mrr=0.0, opening_slices=())
    customers, mrr, age, slices = book
    return dataclasses.replace(segment, opening_customers=float(customers), opening_mrr=mrr,
                               opening_age=int(round(age)), opening_slices=slices)
