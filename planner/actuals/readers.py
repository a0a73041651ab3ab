"""Readers of actuals: a subscription ledger, an MRR table, monthly financials.

Each reader takes a CSV file (or a pandas DataFrame of strings) and a column mapping,
checks every row, and either returns a typed, array-backed object or raises one
:class:`planner.errors.ScenarioError` listing every bad row, one line each
(``ledger.csv:1234: column 'end': not a date (got '2027-13-01')``). What a reader
handles on purpose rather than refuses is written into the object's ``notes``, so that
nothing is dropped silently. The formats and every decision: docs/actuals.md.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from planner.actuals.parsing import (Field, Problems, did_you_mean, first_filled, normalise_name, parse_dates,
                                     parse_money, parse_months, per_value, read_csv, resolve_columns)
from planner.errors import Problem, ScenarioError

__all__ = ["LedgerFormat", "Ledger", "read_ledger", "read_mrr_table", "read_financials",
           "Financials", "load_format", "INTERVALS"]

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
        from planner.actuals.mrr import ledger_mrr

        return ledger_mrr(self, last)


def read_ledger(path, fmt: LedgerFormat | Mapping | None = None) -> Ledger:
    """Read and check a subscription ledger (a Stripe subscriptions export, or alike).

    Parameters
    ----------
    path : path-like or pandas.DataFrame
        CSV with one row per subscription (or subscription item, or version of one).
    fmt : LedgerFormat or dict, optional
        Column mapping and the decisions of :class:`LedgerFormat`.

    Returns
    -------
    Ledger

    Raises
    ------
    ScenarioError
        Every bad row, one line each, all at once.
    """
    fmt = LedgerFormat.from_dict(fmt)
    frame, problems = read_csv(path, "ledger", _selector(LEDGER_FIELDS, fmt))
    cols = resolve_columns(frame, LEDGER_FIELDS, dict(fmt.columns), problems, "ledger")
    problems.raise_if_any()
    rows = _LedgerRows(frame, cols, fmt, problems)
    rows.parse()
    rows.check_duplicates()
    rows.check_overlaps()
    problems.raise_if_any()
    return rows.build()


class _LedgerRows:
    """The parsing state of one ledger: columns as arrays, problems, notes."""

    def __init__(self, frame: pd.DataFrame, cols: dict, fmt: LedgerFormat, problems: Problems):
        self.frame, self.cols, self.fmt, self.problems = frame, cols, fmt, problems
        self.lines = frame["_line"].to_numpy()
        self.notes: list[str] = []
        self.keep = np.ones(len(frame), dtype=bool)

    def col(self, name: str) -> str | None:
        return self.cols[name][0] if name in self.cols else None

    def bad(self, mask: np.ndarray, column: str | None, template: str, *arrays) -> None:
        """One problem per row of ``mask``: ``template.format(*values of arrays at the row)``."""
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        values = [np.asarray(a, dtype=object)[idx] for a in arrays]
        messages = [template.format(*v) for v in zip(*values)] if values else [template] * idx.size
        self.problems.add_rows(self.lines[idx], column, messages)

    def text(self, name: str) -> np.ndarray:
        return self.frame[self.col(name)].to_numpy(dtype=object)

    def parse(self) -> None:
        self.customer = self.text("customer")
        self.customer_code, self.customer_names = pd.factorize(self.customer)
        self.bad(self.customer == "", self.col("customer"), "is empty: expected a customer id")
        self.start = self._dates(self.col("start"), required=True)
        self._parse_end()
        self._parse_amount()
        self._parse_interval()
        self._parse_status()
        self._parse_segment()
        self._parse_currency()

    def _dates(self, column: str, required: bool) -> np.ndarray:
        values = self.frame[column]
        dates, bad = parse_dates(values, self.fmt.date_format)
        empty = (values == "").to_numpy()
        self.bad(bad & ~empty, column, "not a date (got {0!r})", values.to_numpy())
        if required:
            self.bad(empty, column, "is empty: expected a date")
        return dates

    def _parse_end(self) -> None:
        n = len(self.frame)
        if "end" not in self.cols:
            self.end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
            return
        names = list(self.cols["end"])
        if len(names) == 1:
            values, origin = self.frame[names[0]], None
        else:
            values, origin = first_filled(self.frame, names)
            origin = origin.to_numpy(dtype=object)
        if "cancel_at_period_end" in self.cols and "current_period_end" in self.cols:
            values, origin = self._at_period_end(values, origin, names)
        dates, bad = parse_dates(values, self.fmt.date_format)
        bad &= (values != "").to_numpy()
        before = ~np.isnat(dates) & ~np.isnat(self.start) & (dates < self.start)
        for name in names:
            here = True if origin is None else origin == name
            self.bad(bad & here, name, "not a date (got {0!r})", values.to_numpy())
            self.bad(before & here, name, "is before the start {0} (got {1!r})", self.start, values.to_numpy())
        self.end = dates

    def _at_period_end(self, values: pd.Series, origin, names: list[str]):
        """Stripe's ``cancel_at_period_end``: a cancellation requested (``canceled_at``) but
        not yet ended ends at ``current_period_end``, the end of the paid period."""
        flag = per_value(self.frame[self.col("cancel_at_period_end")],
                         lambda v: v.strip().lower() in ("true", "1", "yes", "y", "t"), bool)
        origin = np.full(len(values), names[0], dtype=object) if origin is None else origin
        requested = np.isin(np.array([normalise_name(o) for o in names], dtype=object), _REQUESTED)
        asked = np.isin(origin, np.array(names, dtype=object)[requested]) | (values == "").to_numpy()
        swap = flag & asked
        if swap.any():
            column = self.col("current_period_end")
            values = values.where(~swap, self.frame[column])
            origin = np.where(swap, column, origin)
            self.notes.append(f"{int(swap.sum()):,} subscription{'s' if swap.sum() > 1 else ''} cancelled at "
                              f"period end: each ends at its {column}, the end of the paid period (ChartMogul's churn date)")
        if column_names := [c for c in (self.col("current_period_end"),) if c not in names]:
            names.extend(column_names)
        return values, origin

    def _parse_amount(self) -> None:
        name = self.col("amount")
        values = self.frame[name].to_numpy(dtype=object)
        amount, bad = parse_money(self.frame[name], self.problems.delimiter == ";")
        empty = values == ""
        self.bad(empty, name, "is empty: expected an amount")
        self.bad(bad & ~empty, name, "not an amount (got {0!r})", values)
        self.bad(~bad & (amount < 0), name, "is negative (got {0!r}): a refund or credit is not recurring "
                 "revenue; leave it out of the ledger (it belongs in the financials) or end the "
                 "subscription", values)
        quantity = np.ones(len(values))
        if "quantity" in self.cols:
            qname, qvalues = self.col("quantity"), self.frame[self.col("quantity")]
            parsed, qbad = _parse_few(qvalues)
            qbad |= ~qbad & (parsed < 0)
            self.bad(qbad, qname, "not a quantity >= 0 (got {0!r})", qvalues.to_numpy())
            quantity = np.where(qbad, 0.0, parsed)
        self.total = amount * (quantity if self.fmt.amount == "unit" else 1.0) / (100.0 if self.fmt.amount_in_cents else 1.0)

    def _parse_interval(self) -> None:
        n = len(self.frame)
        self.unit = np.full(n, INTERVALS["month"][0])
        self.count = np.ones(n, dtype=int)
        if "interval" not in self.cols:
            self.notes.append("no interval column: every amount is taken as monthly")
        else:
            name, values = self.col("interval"), self.frame[self.col("interval")]
            unit = per_value(values, lambda v: INTERVALS.get(_INTERVAL_WORDS.get(v.lower(), v.lower()), (-1,))[0], int)
            self.bad(unit < 0, name, "not a billing interval (got {0!r}): expected one of " + ", ".join(INTERVALS),
                     self.text("interval"))
            self.unit = np.where(unit < 0, INTERVALS["month"][0], unit)
        if "interval_count" in self.cols:
            name, values = self.col("interval_count"), self.frame[self.col("interval_count")]
            parsed, bad = _parse_few(values)
            bad |= ~bad & ((parsed < 1) | (parsed != np.round(parsed)))
            self.bad(bad, name, "not a whole number >= 1 (got {0!r})", values.to_numpy())
            self.count = np.where(bad, 1, parsed).astype(int)

    def _parse_status(self) -> None:
        if "status" not in self.cols:
            return
        name = self.col("status")
        values = per_value(self.frame[name], str.lower)
        lowered = pd.Series(values)
        known = per_value(self.frame[name], lambda v: v.lower() in PAID_STATUSES + UNPAID_STATUSES, bool)
        self.bad(~known, name, "unknown status (got {0!r}): expected one of "
                 + ", ".join(s for s in PAID_STATUSES + UNPAID_STATUSES if s), self.text("status"))
        ended = per_value(self.frame[name], lambda v: v.lower() in _ENDED, bool) & np.isnat(self.end) & ~np.isnat(self.start)
        self.bad(ended, self.cols.get("end", ["end"])[0],
                 "is empty but the status is {0!r}: a cancelled subscription needs its end date", values)
        tally = lowered.value_counts()
        for status in UNPAID_STATUSES:
            k = int(tally.get(status, 0))
            if k:
                self.notes.append(f"{k:,} row{'s' if k > 1 else ''} with status {status!r} left out: "
                                  "not paid, so not MRR")
        self.keep &= ~per_value(self.frame[name], lambda v: v.lower() in UNPAID_STATUSES, bool)

    def _parse_segment(self) -> None:
        n = len(self.frame)
        seg = self.text("segment") if "segment" in self.cols else np.full(n, "", dtype=object)
        plans = self.text("plan") if "plan" in self.cols else np.full(n, "", dtype=object)
        rule = dict(self.fmt.plan_segments)
        if rule and "plan" not in self.cols:
            self.problems.add(1, None, "plan_segments is given but the ledger has no plan column "
                              "(name it in columns: plan: YOUR_HEADER)")
            rule = {}
        if rule:
            lookup = {p: _plan_segment(p, rule) for p in set(plans[seg == ""].tolist())}
            seg = np.where(seg == "", np.array([lookup.get(p, "") for p in plans.tolist()], dtype=object), seg)
        default = self.fmt.default_segment or ("all" if "segment" not in self.cols and not rule else None)
        if "segment" not in self.cols and not rule:
            self.notes.append(f"no segment column and no plan_segments rule: every customer is in segment {default!r}")
        if default is not None:
            seg = np.where(seg == "", default, seg)
        missing = (seg == "") & self.keep
        where = self.col("segment") or self.col("plan")
        if rule:
            self.bad(missing, where, "no segment: plan {0!r} matches no plan_segments rule (set "
                     "default_segment to place such rows)", plans)
        else:
            self.bad(missing, where, "is empty: expected a segment (or set default_segment)")
        self.segment = seg

    def _parse_currency(self) -> None:
        n = len(self.frame)
        self.rate = np.ones(n)
        if "currency" not in self.cols:
            self.currency = (self.fmt.currency or "USD").upper()
            return
        name = self.col("currency")
        codes, uniques = pd.factorize(self.frame[name])
        cur = np.array([str(u).upper() for u in uniques], dtype=object)[codes] if len(uniques) else np.array([], dtype=object)
        self.bad(cur == "", name, "is empty: expected a currency code such as USD")
        present = sorted(set(cur[(cur != "") & self.keep].tolist()))
        target = (self.fmt.currency or (present[0] if len(present) == 1 else "")).upper()
        if not target:
            self.problems.add(None, name, f"the ledger mixes currencies ({', '.join(present)}) and no "
                              "reporting currency is set: set currency: (the reporting currency) and "
                              "rates: {CODE: units of it per unit of CODE} in the mapping")
            return
        rates = {k.upper(): float(v) for k, v in dict(self.fmt.rates).items()} | {target: 1.0}
        missing = (cur != "") & ~pd.Series(cur).isin(list(rates)).to_numpy() & self.keep
        self.bad(missing, name, "no exchange rate for {0!r} to the reporting currency " + target
                 + " (add rates: {{{0}: ...}} to the mapping)", cur)
        if set(present) - {target}:
            lookup = pd.Series(rates)
            self.rate = lookup.reindex(cur).fillna(1.0).to_numpy(dtype=float)
            self.notes.append(f"converted to {target} at fixed rates: " + ", ".join(
                f"1 {c} = {rates[c]:g} {target}" for c in present if c != target and c in rates))
        self.currency = target

    def check_duplicates(self) -> None:
        """Rows identical in every column read: refused (default) or dropped with a note."""
        used = [c for names in self.cols.values() for c in names]
        codes = self.customer_code
        day = np.where(np.isnat(self.start), -1, self.start.astype(np.int64))
        pairs = pd.DataFrame({"c": codes, "d": day})
        candidates = pairs.duplicated(keep=False).to_numpy() & self.keep  # same customer and start
        if not candidates.any():
            return
        part = self.frame.loc[candidates, used + ["_line"]]
        dup_rows = part.duplicated(subset=used, keep="first").to_numpy()
        if not dup_rows.any():
            return
        if self.fmt.duplicates == "drop":
            self.notes.append(f"{int(dup_rows.sum()):,} duplicate row{'s' if dup_rows.sum() > 1 else ''} "
                              "dropped (identical in every column read; duplicates: drop)")
            self.keep[np.flatnonzero(candidates)[dup_rows]] = False
            return
        first = part.groupby(used, sort=False)["_line"].transform("min").to_numpy()
        lines = part["_line"].to_numpy()
        for line, orig in zip(lines[dup_rows], first[dup_rows]):
            self.problems.add(int(line), None, f"duplicate of line {orig}: identical in every column read "
                              "(a double export? set duplicates: drop; two real subscriptions? give them "
                              "ids, or one row with quantity 2)")

    def check_overlaps(self) -> None:
        """Rows of one subscription id must not overlap; several subscriptions may (or not)."""
        if "subscription" in self.cols:
            subs = self.text("subscription")
            codes = pd.factorize(np.where(subs == "", None, subs), use_na_sentinel=True)[0]
            self._overlap(codes, subs, "subscription", "one subscription cannot be counted twice")
        if self.fmt.overlaps == "error":
            self._overlap(self.customer_code, self.customer, "customer",
                          "overlaps: error refuses concurrent subscriptions")
        else:
            k = self._overlap(self.customer_code, self.customer, None, "")
            if k:
                self.notes.append(f"{k:,} customer{'s hold' if k > 1 else ' holds'} more than one subscription at "
                                  "once: their MRR is the sum (ChartMogul counts an added subscription as expansion)")

    def _overlap(self, codes: np.ndarray, key: np.ndarray, what: str | None, why: str) -> int:
        """Report (or count, ``what=None``) rows that start before an earlier row of their key ends.

        Rows are sorted by (key, start); a running maximum of the end, offset by the key's
        code so that it never carries over from one key to the next, gives the latest
        end of the earlier rows of the same key.
        """
        rows = np.flatnonzero(self.keep & (codes >= 0) & ~np.isnat(self.start))
        if rows.size < 2:
            return 0
        start = self.start[rows].astype(np.int64)
        end = np.where(np.isnat(self.end[rows]), 4_000_000, self.end[rows].astype(np.int64))
        order = np.lexsort((rows, start, codes[rows]))
        code = codes[rows][order].astype(np.int64)
        span = 10_000_000
        latest = np.maximum.accumulate(code * span + end[order])
        hit = np.zeros(rows.size, dtype=bool)
        hit[1:] = (code[1:] == code[:-1]) & (code[1:] * span + start[order][1:] < latest[:-1])
        if what is None:
            return int(np.unique(code[hit]).size)
        for i in rows[order][hit]:
            self.problems.add(int(self.lines[i]), self.col("start"), f"{what} {key[i]!r} is already counted on "
                              f"{self.start[i]} by an earlier row that has not ended: {why}")
        return int(hit.sum())

    def build(self) -> Ledger:
        """The counted rows as a :class:`Ledger` (customers sorted by segment, then first row)."""
        k = self.keep
        per_month = np.array([v[2] for v in sorted(INTERVALS.values())])[self.unit]
        mrr = self.total * self.rate * per_month / self.count
        cents = np.floor(mrr * 100 + 0.5).astype(np.int64)
        codes, labels = pd.factorize(self.customer_code[k])
        labels = np.asarray(self.customer_names, dtype=object)[labels]
        start = self.start[k].astype(np.int64)
        order = np.lexsort((self.lines[k], start, codes))
        head = order[np.r_[True, codes[order][1:] != codes[order][:-1]]]  # first row of each customer
        seg_of = np.empty(len(labels), dtype=object)
        seg_of[codes[head]] = self.segment[k][head]
        segments = tuple(sorted(set(seg_of.tolist())))
        group = pd.Categorical(seg_of, categories=segments).codes.astype(int)
        first_line = np.empty(len(labels), dtype=np.int64)
        first_line[codes[head]] = self.lines[k][head]
        rank = np.lexsort((first_line, group))  # customers by segment, then by their first row
        position = np.empty_like(rank)
        position[rank] = np.arange(rank.size)
        moved = int((self.segment[k] != seg_of[codes]).sum())
        if moved:
            self.notes.append(f"{moved:,} rows are in another segment than their customer's first subscription: "
                              "a customer is counted in the segment of its first subscription")
        zero = int((cents[k] == 0).sum())
        if zero:
            self.notes.append(f"{zero:,} rows have an MRR of 0 (free plans, 100% discounts): "
                              "not paying, so not counted as customers")
        return Ledger(source=self.problems.source, currency=self.currency, segments=segments,
                      customers=np.asarray(labels, dtype=object)[rank], customer_segment=group[rank],
                      customer=position[codes], start=self.start[k], end=self.end[k], mrr_cents=cents[k],
                      invoice=(self.total * self.rate)[k], unit=self.unit[k], count=self.count[k],
                      line=self.lines[k], payment_terms_days=float(self.fmt.payment_terms_days),
                      notes=tuple(self.notes))


def _parse_few(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_money` of a column with few distinct values (quantities, counts), empty = 1."""
    codes, uniques = pd.factorize(values)
    parsed, bad = parse_money(pd.Series(np.asarray(uniques, dtype=object)).replace("", "1"))
    return parsed[codes], bad[codes]


def _selector(fields_, fmt: LedgerFormat):
    """The headers a reader uses (None = read all, so that a header problem lists every column)."""
    def select(headers: list[str]):
        probe = Problems("")
        found = resolve_columns(pd.DataFrame(columns=headers), fields_, dict(fmt.columns), probe, "")
        if "plan" in found and "segment" in found and not fmt.plan_segments:
            del found["plan"]  # a plan column is read only for a plan -> segment rule
        return None if probe.items else [h for names in found.values() for h in names]
    return select


def _plan_segment(plan: str, rule: dict) -> str:
    if plan in rule:
        return rule[plan]
    for pattern, segment in rule.items():
        if fnmatch.fnmatchcase(plan, pattern):
            return segment
    return ""


MRR_FIELDS = (
    Field("customer", ("customer", "customer_id", "customer_name", "account", "account_id"), True),
    Field("month", ("month", "period", "date"), True),
    Field("mrr", ("mrr", "mrr_amount", "amount"), True),
    Field("segment", ("segment",)),
)


def read_mrr_table(path, fmt: LedgerFormat | Mapping | None = None):
    """Read and check an MRR table: one row per customer and month with MRR.

    Parameters
    ----------
    path : path-like or pandas.DataFrame
        CSV with columns customer, month (``YYYY-MM`` or any date in the month), mrr
        and optionally segment.
    fmt : LedgerFormat or dict, optional
        Only ``columns``, ``currency``, ``default_segment`` and ``duplicates``
        (``error``, or ``drop`` for rows identical in every column) apply.

    Returns
    -------
    CustomerMrr
        Months from the second month of the file to the last: the first month is the
        opening book (its movements are unknown); a customer absent from a month has
        MRR 0 that month.

    Raises
    ------
    ScenarioError
        Every bad row, one line each, all at once.
    """
    from planner.actuals.mrr import CustomerMrr

    fmt = LedgerFormat.from_dict(fmt)
    frame, problems = read_csv(path, "MRR table")
    frame, cell_column = _melt_wide(frame, fmt)
    cols = resolve_columns(frame, MRR_FIELDS, dict(fmt.columns), problems, "MRR table")
    problems.raise_if_any()
    rows = _LedgerRows(frame, cols, fmt, problems)
    customer = rows.text("customer")
    rows.bad(customer == "", rows.col("customer"), "is empty: expected a customer id")
    months, bad = parse_months(frame[rows.col("month")])
    empty = (frame[rows.col("month")] == "").to_numpy()
    rows.bad(empty, rows.col("month"), "is empty: expected a month (YYYY-MM)")
    rows.bad(bad & ~empty, rows.col("month"), "not a month (got {0!r}): expected YYYY-MM", rows.text("month"))
    values = rows.text("mrr")
    mrr, mbad = parse_money(frame[rows.col("mrr")], problems.delimiter == ";")
    for column in ([rows.col("mrr")] if cell_column is None else sorted(set(cell_column.tolist()))):
        here = True if cell_column is None else cell_column == column
        rows.bad(here & (values == ""), column, "is empty: expected an amount (0 if none)")
        rows.bad(here & mbad & (values != ""), column, "not an amount (got {0!r})", values)
        rows.bad(here & ~mbad & (mrr < 0), column, "is negative (got {0!r}): MRR is 0 or more", values)
    rows._parse_segment()
    table = pd.DataFrame({"c": customer, "m": months.astype(np.int64), "seg": rows.segment, "line": rows.lines,
                          "cents": np.floor(np.nan_to_num(mrr) * 100 + 0.5).astype(np.int64)})
    notes = _mrr_duplicates(table.loc[~bad], rows, fmt)
    problems.raise_if_any()
    table = table.loc[rows.keep]
    first_month = np.datetime64(int(table["m"].min()), "M")
    n = int(table["m"].max() - table["m"].min()) + 1
    firsts = table.sort_values(["c", "m", "line"], kind="stable").drop_duplicates("c")
    segments = tuple(sorted(set(firsts["seg"].tolist())))
    firsts = firsts.assign(g=pd.Categorical(firsts["seg"], categories=segments).codes).sort_values(["g", "c"], kind="stable")
    names = firsts["c"].to_numpy(dtype=object)
    grid = np.zeros((len(names), n), dtype=np.int64)
    col = table["m"].to_numpy() - int(table["m"].min())
    grid[pd.Index(names).get_indexer(table["c"]), col] = table["cents"].to_numpy()
    if n < 2:
        raise ScenarioError([Problem(problems.source, None, "", "the MRR table covers one month only: "
                                     "movements need at least two months (the first is the opening book)")])
    notes.append(f"{firsts.shape[0] - int((grid[:, 0] > 0).sum()):,} customers first appear after "
                 f"{first_month}, the opening month: each is new business (or a "
                 "reactivation after a gap)")
    return CustomerMrr(source=problems.source, currency=(fmt.currency or "USD").upper(),
                       months=first_month + np.arange(1, n), segments=segments,
                       customers=names, customer_segment=firsts["g"].to_numpy(dtype=int),
                       cents=grid[:, 1:], opening=grid[:, 0], notes=tuple(notes))


def _melt_wide(frame: pd.DataFrame, fmt: LedgerFormat):
    """A wide MRR table (customer, [segment,] 2027-01, 2027-02, ...) as long rows; (frame, column
    of each cell or None). Empty cells of a wide table are months without MRR."""
    headers = [c for c in frame.columns if c != "_line"]
    _, not_month = parse_months(pd.Series(headers, dtype=object))
    month_headers = [h for h, bad in zip(headers, not_month) if not bad]
    has_month = "month" in dict(fmt.columns) or any(normalise_name(h) in MRR_FIELDS[1].aliases for h in headers)
    if has_month or not month_headers:
        return frame, None
    keys = [h for h in headers if h not in month_headers]
    long = frame.melt(id_vars=keys + ["_line"], value_vars=month_headers, var_name="month", value_name="mrr")
    long["mrr"] = long["mrr"].where(long["mrr"] != "", "0")
    long = long.sort_values(["_line", "month"], kind="stable").reset_index(drop=True)
    return long, long["month"].to_numpy(dtype=object)


def _mrr_duplicates(table: pd.DataFrame, rows: "_LedgerRows", fmt: LedgerFormat) -> list[str]:
    """Rows of one customer and month: identical ones refused or dropped, different ones refused."""
    dup = table.duplicated(["c", "m"], keep=False).to_numpy()
    if not dup.any():
        return []
    part = table.loc[dup]
    first = part.groupby(["c", "m"])["line"].transform("min").to_numpy()
    same = part.duplicated(["c", "m", "cents"], keep="first").to_numpy() & (part["line"].to_numpy() != first)
    notes = []
    for (_, row), orig, identical in zip(part.iterrows(), first, same):
        if row["line"] == orig:
            continue
        if identical and fmt.duplicates == "drop":
            rows.keep[row.name] = False
            continue
        what = "identical to" if identical else "another MRR for the same customer and month as"
        rows.problems.add(int(row["line"]), rows.col("month"), f"{what} line {orig} (customer {row['c']!r}, "
                          f"{np.datetime64(int(row['m']), 'M')}): one row per customer and month"
                          + (" (set duplicates: drop for a double export)" if identical else ""))
    dropped = int((~rows.keep).sum())
    if dropped:
        notes.append(f"{dropped:,} duplicate rows dropped (duplicates: drop)")
    return notes


FINANCIAL_FIELDS = (
    Field("month", ("month", "period", "date"), True),
    Field("revenue", ("revenue", "total_revenue", "recognised_revenue", "recognized_revenue")),
    Field("cash", ("cash", "cash_balance", "ending_cash", "closing_cash")),
    Field("sm_expense", ("sm_spend", "sm_expense", "s_m", "sales_and_marketing", "sales_marketing")),
    Field("rnd_expense", ("rnd_spend", "rnd_expense", "r_d", "rnd", "research_and_development")),
    Field("cs_expense", ("cs_spend", "cs_expense", "cs", "customer_success")),
    Field("ga_expense", ("ga_spend", "ga_expense", "g_a", "ga", "general_and_administrative")),
    Field("headcount", ("headcount", "employees", "fte", "people")),
)


@dataclass(frozen=True, eq=False)
class Financials:
    """Monthly financials (P&L and cash actuals).

    Attributes
    ----------
    source : str
    months : ndarray of datetime64[M], shape (n,)
        Sorted, distinct; gaps allowed.
    values : dict of str -> ndarray of float, shape (n,)
        Series named as the plan's (``revenue``, ``cash``, ``sm_expense``,
        ``rnd_expense``, ``cs_expense``, ``ga_expense``, ``headcount``); NaN where a
        month was not reported. Only the columns the file has.
    notes : tuple of str
    """

    source: str
    months: np.ndarray
    values: dict
    notes: tuple[str, ...] = ()


def read_financials(path, columns: Mapping | None = None) -> Financials:
    """Read and check monthly financials (month, revenue, cash, spend by department, headcount).

    Parameters
    ----------
    path : path-like or pandas.DataFrame
    columns : dict of str -> str, optional
        Field -> header, for headers the aliases do not find.

    Raises
    ------
    ScenarioError
        Every bad cell, one line each, all at once.
    """
    frame, problems = read_csv(path, "financials")
    cols = resolve_columns(frame, FINANCIAL_FIELDS, dict(columns or {}), problems, "financials")
    if not set(cols) - {"month"} and not problems.items:
        problems.add(1, None, "no value columns: expected one or more of "
                     + ", ".join(f.name for f in FINANCIAL_FIELDS[1:]))
    problems.raise_if_any()
    rows = _LedgerRows(frame, cols, LedgerFormat(), problems)
    months, bad = parse_months(frame[rows.col("month")])
    rows.bad(bad, rows.col("month"), "not a month (got {0!r}): expected YYYY-MM", rows.text("month"))
    dup = pd.Series(months).duplicated(keep="first").to_numpy() & ~bad
    rows.bad(dup, rows.col("month"), "the month {0} appears twice: one row per month", months.astype(str))
    values, notes = {}, []
    for name in [f.name for f in FINANCIAL_FIELDS[1:] if f.name in cols]:
        text = rows.text(name)
        number, nbad = parse_money(frame[rows.col(name)], problems.delimiter == ";")
        filled = text != ""
        rows.bad(nbad & filled, rows.col(name), "not a number (got {0!r})", text)
        if name != "cash":
            rows.bad(~nbad & (number < 0), rows.col(name), "is negative (got {0!r})", text)
        if (~filled).any():
            notes.append(f"{rows.col(name)}: {int((~filled).sum())} empty cells are months not reported")
        values[name] = np.where(filled, number, np.nan)
    problems.raise_if_any()
    order = np.argsort(months)
    return Financials(problems.source, months[order], {k: v[order] for k, v in values.items()}, tuple(notes))


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


def actuals_kind(path) -> str:
    """``mrr`` when a file's header looks like an MRR table (month and mrr, no start), else ``ledger``."""
    from planner.actuals.parsing import normalise_name

    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            header = {normalise_name(h) for h in f.readline().split(",")}
    except OSError:
        return "ledger"  # the ledger reader reports the error
    months = [h for h in header if len(h) >= 7 and h[:4].isdigit() and h[4] == "_" and h[5:7].isdigit()]
    mrr = any(a in header for a in MRR_FIELDS[2].aliases) and any(a in header for a in MRR_FIELDS[1].aliases)
    mrr = mrr or bool(months)  # a wide table: one column per month
    return "mrr" if mrr and not any(a in header for a in LEDGER_FIELDS[4].aliases) else "ledger"
