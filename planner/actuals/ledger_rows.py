"""Parsing the rows of a ledger (or an MRR table) into arrays, every bad cell one problem."""
from __future__ import annotations

import fnmatch

import numpy as np
import pandas as pd

from planner.actuals.ledger import (_ENDED, _INTERVAL_WORDS, _REQUESTED, INTERVALS, PAID_STATUSES,
                                    UNPAID_STATUSES, Ledger, LedgerFormat)
from planner.actuals.parsing import (Problems, first_filled, normalise_name, parse_dates, parse_money,
                                     per_value, resolve_columns)


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
