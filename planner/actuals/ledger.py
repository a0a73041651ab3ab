"""The subscription ledger: its fields, reading decisions (:class:`LedgerFormat`) and the
checked, array-backed :class:`Ledger` (read by :func:`planner.actuals.readers.read_ledger`)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from planner.actuals.parsing import Field, did_you_mean
from planner.errors import Problem, ScenarioError
from planner.actuals.mrr import ledger_mrr

__all__ = ["LEDGER_FIELDS", "INTERVALS", "LedgerFormat", "Ledger", "load_format", "combine_ledgers"]

LEDGER_FIELDS = (
    Field("customer", ("customer", "customer_id", "customer_name", "account", "account_id"), True),
    Field("subscription", ("subscription", "subscription_id", "id")),
    Field("segment", ("segment",)),
    Field("plan", ("plan", "plan_id", "plan_name", "price_id", "product", "product_name")),
    Field("start", ("start", "start_date", "started_at", "start_at", "created", "created_at"), True),
    Field("end", ("ended_at", "end", "end_date", "cancel_at", "canceled_at", "cancelled_at"), several=True),
    Field("amount", ("amount", "unit_amount", "plan_amount", "price"), True),
    Field("interval", ("interval", "billing_interval", "plan_interval")),
    Field("interval_count", ("interval_count", "plan_interval_count")),
    Field("quantity", ("quantity", "qty", "seats")),
    Field("currency", ("currency",)),
    Field("status", ("status",)),
    Field("cancel_at_period_end", ("cancel_at_period_end",)),
    Field("current_period_end", ("current_period_end",)),
)
_REQUESTED = ("canceled_at", "cancelled_at")  # when a cancellation was asked for, not when it ends
#: billing interval -> (code, months of one interval, MRR per unit of amount)
INTERVALS = {"day": (0, 12 / 365, 365 / 12), "week": (1, 12 / 52, 52 / 12), "month": (2, 1.0, 1.0),
             "quarter": (3, 3.0, 1 / 3), "year": (4, 12.0, 1 / 12)}
_INTERVAL_WORDS = {"daily": "day", "days": "day", "weekly": "week", "weeks": "week", "monthly": "month",
                   "months": "month", "quarterly": "quarter", "quarters": "quarter", "yearly": "year",
                   "annual": "year", "annually": "year", "years": "year"}
#: statuses counted in MRR, and those left out (with a note) because they are not paid
PAID_STATUSES = ("active", "past_due", "unpaid", "canceled", "cancelled", "ended", "")
UNPAID_STATUSES = ("trialing", "trial", "incomplete", "incomplete_expired", "paused")
_ENDED = ("canceled", "cancelled", "ended")


@dataclass(frozen=True)
class LedgerFormat:
    """How to read a subscription ledger (every key optional; see docs/actuals.md).

    Attributes
    ----------
    columns : dict of str -> str or list of str
        Field -> header(s) in the file, for headers the aliases do not find. ``end``
        may list several headers: the first non-empty cell of a row is taken.
    plan_segments : dict of str -> str
        Plan (glob patterns allowed, first match wins) -> segment, when the file has no
        ``segment`` column or a row's segment cell is empty.
    default_segment : str
        Segment of rows that neither rule places (default ``all`` when the file has no
        segment column and no plan rule).
    currency : str
        Reporting currency; needed when the ledger mixes currencies.
    rates : dict of str -> float
        Currency -> units of the reporting currency per unit of it.
    date_format : str
        A ``strptime`` format accepted besides ISO 8601 (e.g. ``%d/%m/%Y``).
    duplicates : {"error", "drop"}
        Rows identical in every column read: refused, or all but the first dropped.
    overlaps : {"sum", "error"}
        Different subscriptions of one customer at the same time: their MRR is summed,
        or they are refused. Rows of one subscription id must never overlap.
    amount : {"unit", "total"}
        ``amount`` is the price of one unit (times ``quantity``), or the line's total.
    payment_terms_days : float
        Days between an invoice and its payment, for the receivables of the opening book.
    amount_in_cents : bool
        Amounts are in cents (as Stripe's API gives them), not in currency units.
    """

    columns: Mapping[str, object] = field(default_factory=dict)
    plan_segments: Mapping[str, str] = field(default_factory=dict)
    default_segment: str | None = None
    currency: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)
    date_format: str | None = None
    duplicates: str = "error"
    overlaps: str = "sum"
    amount: str = "unit"
    payment_terms_days: float = 0.0
    amount_in_cents: bool = False

    @classmethod
    def from_dict(cls, data: Mapping | None, source: str = "mapping") -> "LedgerFormat":
        """Build from a plain mapping (e.g. YAML), refusing unknown keys and bad choices."""
        if data is None:
            return cls()
        if isinstance(data, LedgerFormat):
            return data
        names = [f.name for f in fields(cls)]
        problems = [Problem(source, None, str(k), f"unknown key{did_you_mean(k, names)}; keys are {', '.join(names)}")
                    for k in data if k not in names]
        for key, choices in (("duplicates", ("error", "drop")), ("overlaps", ("sum", "error")),
                             ("amount", ("unit", "total"))):
            if key in data and data[key] not in choices:
                problems.append(Problem(source, None, key, f"must be one of {', '.join(choices)} (got {data[key]!r})"))
        for cur, rate in dict(data.get("rates") or {}).items():
            if not isinstance(rate, (int, float)) or not math.isfinite(rate) or rate <= 0:
                problems.append(Problem(source, None, f"rates.{cur}", f"must be a number > 0 (got {rate!r})"))
        if problems:
            raise ScenarioError(problems)
        return cls(**{k: v for k, v in data.items() if v is not None})


def load_format(path) -> dict:
    """Read a mapping file (YAML) as a plain dict; ScenarioError if unreadable."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise ScenarioError([Problem(str(path), None, "", f"cannot read the mapping ({err.strerror or err})")]) from None
    except yaml.YAMLError as err:
        raise ScenarioError([Problem(str(path), None, "", f"not valid YAML ({err})")]) from None
    if data is not None and not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), None, "", "must be a mapping of keys such as columns:, currency:")])
    return data or {}


@dataclass(frozen=True, eq=False)
class Ledger:
    """A checked subscription ledger, one entry per counted row (arrays of length ``n``).

    Attributes
    ----------
    source : str
    currency : str
        Reporting currency of ``mrr_cents`` and ``invoice``.
    segments : tuple of str
        Segment names, sorted.
    customers : ndarray of str, shape (n_customers,)
        Customer labels, sorted by (segment, label).
    customer_segment : ndarray of int, shape (n_customers,)
        Index into ``segments`` of each customer (the segment of its first subscription).
    customer : ndarray of int, shape (n,)
        Index into ``customers`` of each row.
    start, end : ndarray of datetime64[D], shape (n,)
        Service start, and end (the first day no longer in service; NaT = open-ended).
    mrr_cents : ndarray of int64, shape (n,)
        MRR of the row in cents of ``currency``, rounded to the cent.
    invoice : ndarray of float, shape (n,)
        Amount invoiced each billing period (currency).
    unit, count : ndarray of int, shape (n,)
        Billing interval: code of :data:`INTERVALS` and how many of them.
    line : ndarray of int, shape (n,)
        Line of the row in the file.
    payment_terms_days : float
    notes : tuple of str
        What was handled rather than refused (rows left out, conversions, overlaps).
    """

    source: str
    currency: str
    segments: tuple[str, ...]
    customers: np.ndarray
    customer_segment: np.ndarray
    customer: np.ndarray
    start: np.ndarray
    end: np.ndarray
    mrr_cents: np.ndarray
    invoice: np.ndarray
    unit: np.ndarray
    count: np.ndarray
    line: np.ndarray
    payment_terms_days: float = 0.0
    notes: tuple[str, ...] = ()

    @property
    def first_month(self) -> np.datetime64:
        """Month of the earliest start."""
        return self.start.min().astype("datetime64[M]")

    @property
    def last_event_month(self) -> np.datetime64:
        """Month of the latest start or end."""
        ends = self.end[~np.isnat(self.end)]
        last = self.start.max() if ends.size == 0 else max(self.start.max(), ends.max())
        return last.astype("datetime64[M]")

    def monthly_mrr(self, last=None):
        """Each customer's MRR at every month end; see :func:`planner.actuals.mrr.ledger_mrr`."""

        return ledger_mrr(self, last)


def combine_ledgers(ledgers) -> Ledger:
    """One ledger from several checked ones (e.g. one export per year or per currency).

    Rows are concatenated and customers matched by label; a customer's segment is the
    one of its earliest subscription across the files. The files must share a currency.
    """
    ledgers = list(ledgers)
    if len(ledgers) == 1:
        return ledgers[0]
    currencies = sorted({l.currency for l in ledgers})
    if len(currencies) > 1:
        raise ScenarioError([Problem(l.source, None, "", f"reports in {l.currency}; the files mix "
                                     f"{', '.join(currencies)}: set one currency and rates in the mapping")
                             for l in ledgers])
    labels = np.concatenate([l.customers[l.customer] for l in ledgers])
    segment = np.concatenate([np.asarray(l.segments, dtype=object)[l.customer_segment[l.customer]] for l in ledgers])
    start = np.concatenate([l.start for l in ledgers])
    codes, names = pd.factorize(labels)
    order = np.lexsort((np.arange(len(codes)), start.astype(np.int64), codes))
    head = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]
    seg_of = np.empty(len(names), dtype=object)
    seg_of[codes[head]] = segment[head]
    segments = tuple(sorted(set(seg_of.tolist())))
    group = pd.Categorical(seg_of, categories=segments).codes.astype(int)
    rank = np.lexsort((np.asarray(names, dtype=object).astype(str), group))
    position = np.empty_like(rank)
    position[rank] = np.arange(rank.size)
    cat = lambda name: np.concatenate([getattr(l, name) for l in ledgers])  # noqa: E731
    return Ledger(source=", ".join(l.source for l in ledgers), currency=currencies[0], segments=segments,
                  customers=np.asarray(names, dtype=object)[rank], customer_segment=group[rank],
                  customer=position[codes], start=start, end=cat("end"), mrr_cents=cat("mrr_cents"),
                  invoice=cat("invoice"), unit=cat("unit"), count=cat("count"), line=cat("line"),
                  payment_terms_days=ledgers[0].payment_terms_days,
                  notes=tuple(f"{l.source}: {n}" for l in ledgers for n in l.notes))
