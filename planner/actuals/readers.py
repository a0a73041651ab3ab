"""Readers of actuals: a subscription ledger, an MRR table, monthly financials.

Each reader takes a CSV file (or a pandas DataFrame of strings) and a column mapping,
checks every row, and either returns a typed, array-backed object or raises one
:class:`planner.errors.ScenarioError` listing every bad row, one line each
(``ledger.csv:1234: column 'end': not a date (got '2027-13-01')``). What a reader
handles on purpose rather than refuses is written into the object's ``notes``, so that
nothing is dropped silently. The formats and every decision: docs/actuals.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from planner.actuals.ledger import (INTERVALS, LEDGER_FIELDS, Ledger, LedgerFormat, combine_ledgers,
                                    load_format)
from planner.actuals.ledger_rows import _LedgerRows, _selector
from planner.actuals.parsing import Field, normalise_name, parse_money, parse_months, read_csv, resolve_columns
from planner.errors import Problem, ScenarioError
from planner.actuals.mrr import CustomerMrr

__all__ = ["LedgerFormat", "Ledger", "read_ledger", "read_mrr_table", "read_financials",
           "Financials", "load_format", "combine_ledgers", "actuals_kind", "read_books", "INTERVALS"]


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
    return _mrr_book(table.loc[rows.keep], problems.source, (fmt.currency or "USD").upper(), notes)


def _mrr_book(table: pd.DataFrame, source: str, currency: str, notes: list[str]):
    """Checked MRR-table rows (c, m, seg, line, cents) as a :class:`CustomerMrr`; the first
    month becomes the opening book."""

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
        raise ScenarioError([Problem(source, None, "", "the MRR table covers one month only: "
                                     "movements need at least two months (the first is the opening book)")])
    notes.append(f"{firsts.shape[0] - int((grid[:, 0] > 0).sum()):,} customers first appear after "
                 f"{first_month}, the opening month: each is new business (or a "
                 "reactivation after a gap)")
    return CustomerMrr(source=source, currency=currency,
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


def actuals_kind(path) -> str:
    """``mrr`` when a file's header looks like an MRR table (month and mrr, no start), else ``ledger``."""

    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            header = {normalise_name(h) for h in f.readline().split(",")}
    except OSError:
        return "ledger"  # the ledger reader reports the error
    months = [h for h in header if len(h) >= 7 and h[:4].isdigit() and h[4] == "_" and h[5:7].isdigit()]
    mrr = any(a in header for a in MRR_FIELDS[2].aliases) and any(a in header for a in MRR_FIELDS[1].aliases)
    mrr = mrr or bool(months)  # a wide table: one column per month
    return "mrr" if mrr and not any(a in header for a in LEDGER_FIELDS[4].aliases) else "ledger"


def read_books(paths, mapping: str | None = None, as_of=None):
    """Subscription ledgers (combined) or one MRR table, told apart by their header.

    Parameters
    ----------
    paths : sequence of path-like
    mapping : path-like, optional
        YAML file of the column mapping and reading decisions (docs/actuals.md).
    as_of : str or datetime64, optional
        Last closed month of a ledger's monthly MRR (default: its latest month).

    Returns
    -------
    (CustomerMrr, Ledger or None)
        Each customer's month-end MRR, and the ledger (None for an MRR table).
    """
    fmt = load_format(mapping) if mapping else {}
    kinds = {p: actuals_kind(p) for p in paths}
    if "mrr" in kinds.values():
        if len(paths) > 1:
            raise ScenarioError([Problem(str(p), None, "", f"is {'an MRR table' if k == 'mrr' else 'a ledger'}: "
                                         "give one MRR table, or one or more ledgers") for p, k in kinds.items()])
        return read_mrr_table(paths[0], fmt), None
    problems, ledgers = [], []
    for path in paths:  # every file's problems at once
        try:
            ledgers.append(read_ledger(path, fmt))
        except ScenarioError as err:
            problems += err.problems
    if problems:
        raise ScenarioError(problems)
    ledger = combine_ledgers(ledgers)
    return ledger.monthly_mrr(None if as_of is None else np.datetime64(as_of, "M")), ledger
