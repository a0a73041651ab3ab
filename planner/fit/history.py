"""Reading and validating cohort retention histories (CSV) for :mod:`planner.fit`.

Three layouts are recognised from the header row:

``long``
    columns ``cohort, age, active`` (optionally ``mrr`` and ``segment``), one row per
    cohort and age; cohorts may have different lengths.
``single``
    columns ``age, active`` (optionally ``mrr`` and ``segment``): one cohort.
``wide``
    a development triangle: first column the cohort label, then one column per age
    ``0, 1, 2, ...``; blank cells at the end of a row are ages not yet observed.

Every problem in a file is collected and raised once as a
:class:`planner.errors.ScenarioError`, one line per problem:
``history.csv:7: active: must not exceed the count at age 2 (got 120 > 110)``.
"""
from __future__ import annotations

import csv
import difflib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from planner.errors import Problem, ScenarioError

__all__ = ["CohortHistory", "RevenueRetention", "read_history", "revenue_retention"]

_LONG_COLUMNS = ("cohort", "age", "active", "mrr", "segment")
_HEADER_HELP = (
    "expected a header row for one of: long format (cohort, age, active[, mrr]), "
    "single cohort (age, active[, mrr]) or wide triangle (cohort, 0, 1, 2, ...)"
)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


@dataclass(frozen=True, eq=False)
class CohortHistory:
    """Active customers of each cohort by age, as a cohort x age triangle.

    Attributes
    ----------
    source : str
        File name (or a label) used in error messages.
    cohorts : tuple of str
        Cohort labels, in file order, length ``n_cohorts``.
    active : ndarray, shape (n_cohorts, n_ages), float64
        Customers still active at each age (age 0 = acquisition), NaN where the
        cohort is not (yet) observed. Observed ages of a cohort run ``0..last_age``.
    mrr : ndarray, shape (n_cohorts, n_ages), float64, or None
        Cohort MRR at each age (currency per month), NaN where unobserved; None when
        the file has no ``mrr`` column.
    segments : tuple of str, or None
        Segment of each cohort, or None when the file has no ``segment`` column.
    layout : {"long", "single", "wide", "memory"}
        The layout the history was read from.
    """

    source: str
    cohorts: tuple[str, ...]
    active: np.ndarray
    mrr: np.ndarray | None
    segments: tuple[str, ...] | None
    layout: str

    @property
    def n_cohorts(self) -> int:
        """Number of cohorts."""
        return len(self.cohorts)

    @property
    def n_customers(self) -> int:
        """Customers acquired across all cohorts (sum of the age-0 counts)."""
        return int(np.nansum(self.active[:, 0]))

    @property
    def last_age(self) -> np.ndarray:
        """Last observed age of each cohort, shape (n_cohorts,), int."""
        return (~np.isnan(self.active)).sum(axis=1) - 1

    @classmethod
    def from_counts(
        cls,
        counts: Sequence[Sequence[float]],
        *,
        cohorts: Sequence[str] | None = None,
        mrr: Sequence[Sequence[float]] | None = None,
        source: str = "<counts>",
    ) -> "CohortHistory":
        """Build a history from in-memory counts, with the same checks as a CSV file.

        Parameters
        ----------
        counts : sequence of sequences of int
            ``counts[c][a]`` = customers of cohort ``c`` active at age ``a``; cohorts
            may have different lengths.
        cohorts : sequence of str, optional
            Cohort labels (default ``"1", "2", ...``).
        mrr : sequence of sequences of float, optional
            Cohort MRR by age, same lengths as ``counts``.
        source : str
            Label used in error messages.
        """
        labels = list(cohorts) if cohorts is not None else [str(i + 1) for i in range(len(counts))]
        if len(labels) != len(counts) or (mrr is not None and list(map(len, mrr)) != list(map(len, counts))):
            raise ValueError("counts, cohorts and mrr must have one entry per cohort (and mrr one per age)")
        records, problems = [], []
        for c, row in enumerate(counts):
            for age, value in enumerate(row):
                money = None if mrr is None else _number(str(mrr[c][age]), problems, source, None, "mrr", False)
                n = _number(str(value), problems, source, None, "active", True)
                records.append(_Record(("", labels[c]), age, n, money, None, "active"))
        return _assemble(records, problems, source, "memory", has_mrr=mrr is not None, has_segment=False)

    def select(self, segment: str | None) -> "CohortHistory":
        """Return the cohorts of one segment.

        Parameters
        ----------
        segment : str or None
            Segment name; None keeps everything, which is only allowed when the file
            has at most one segment.

        Raises
        ------
        ScenarioError
            When the segment is unknown, given for a file without a ``segment``
            column, or omitted for a file that mixes several segments.
        """
        names = sorted(set(self.segments or ()))
        if segment is None:
            if len(names) > 1:
                self._fail(f"the file holds several segments ({', '.join(names)}): choose one with --segment")
            return self
        if self.segments is None:
            self._fail(f"segment {segment!r} requested but the file has no 'segment' column")
        if segment not in names:
            self._fail(f"unknown segment {segment!r}{_did_you_mean(segment, names)}; "
                       f"the file has: {', '.join(names)}")
        keep = np.array([s == segment for s in self.segments])
        return CohortHistory(
            source=self.source,
            cohorts=tuple(c for c, k in zip(self.cohorts, keep) if k),
            active=self.active[keep],
            mrr=None if self.mrr is None else self.mrr[keep],
            segments=tuple(s for s, k in zip(self.segments, keep) if k),
            layout=self.layout,
        )

    def _fail(self, message: str) -> None:
        raise ScenarioError([Problem(self.source, None, "segment", message)])


@dataclass(frozen=True)
class _Record:
    """One observed (cohort, age) cell; ``active``/``mrr`` are None when unreadable."""

    key: tuple[str, str]  # (segment, cohort label)
    age: int | None  # None: the age cell was unreadable (reported already)
    active: float | None
    mrr: float | None
    line: int | None
    column: str  # header of the cell holding ``active`` (its age, in a wide triangle)


def read_history(path: str | os.PathLike) -> CohortHistory:
    """Read and validate a cohort retention history from a CSV file.

    Parameters
    ----------
    path : path-like
        CSV file in the long, single-cohort or wide-triangle layout (see module doc).

    Returns
    -------
    CohortHistory

    Raises
    ------
    ScenarioError
        Listing every problem in the file (line, column, what is wrong), or saying
        that the file cannot be read.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError([Problem(source, None, "", "cannot read the history: not a UTF-8 text (CSV) file")])
    except OSError as err:
        raise ScenarioError([Problem(source, None, "", f"cannot read the history file ({err.strerror or err})")])
    try:
        rows = [(n, [cell.strip() for cell in row]) for n, row in _csv_rows(text) if any(row)]
    except csv.Error as err:
        raise ScenarioError([Problem(source, None, "", f"cannot read the history as CSV ({err})")])
    if not rows:
        raise ScenarioError([Problem(source, None, "", f"the file is empty: {_HEADER_HELP}")])
    (header_line, header), body = rows[0], rows[1:]
    problems: list[Problem] = []
    names = [h.lower() for h in header]
    if "age" in names and "active" in names:
        layout = "long" if "cohort" in names else "single"
        records = _read_long(header_line, names, body, source, problems)
    elif _looks_wide(names):
        layout = "wide"
        records = _read_wide(header_line, header, body, source, problems)
    else:
        raise ScenarioError([_header_problem(names, source, header_line)])
    if not body:
        problems.append(Problem(source, header_line, "", "the file has a header but no data rows"))
    return _assemble(records, problems, source, layout,
                     has_mrr="mrr" in names, has_segment="segment" in names)


def _csv_rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """Yield ``(line number, cells)`` for each CSV record (line of its first cell)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    for row in reader:
        yield line, row
        line = reader.line_num + 1


def _looks_wide(names: list[str]) -> bool:
    return len(names) >= 2 and names[1] == "0"


def _header_problem(names: list[str], source: str, line: int) -> Problem:
    known = [n for n in names if n in _LONG_COLUMNS]
    if known:
        missing = [c for c in ("age", "active") if c not in names]
        hints = "".join(_did_you_mean(n, _LONG_COLUMNS) for n in names if n not in _LONG_COLUMNS)
        return Problem(source, line, "", f"missing column(s) {', '.join(missing)}{hints}: {_HEADER_HELP}")
    return Problem(source, line, "", f"unrecognised header {', '.join(names)}: {_HEADER_HELP}")


def _read_long(header_line, names, body, source, problems) -> list[_Record]:
    """Parse rows of the long and single-cohort layouts into records."""
    for n in names:
        if n not in _LONG_COLUMNS:
            problems.append(Problem(source, header_line, n, f"unknown column{_did_you_mean(n, _LONG_COLUMNS)}: "
                                    "expected cohort, age, active and optionally mrr, segment"))
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(source, header_line, dup, "column appears more than once"))
    col = {n: i for i, n in reversed(list(enumerate(names)))}
    records = []
    for line, row in body:
        if len(row) > len(names) and any(row[len(names):]):
            problems.append(Problem(source, line, "", f"has {len(row)} cells but the header has {len(names)}"))
        row = row + [""] * (len(names) - len(row))
        cohort = row[col["cohort"]] if "cohort" in col else "all"
        segment = row[col["segment"]] if "segment" in col else ""
        for name, value in (("cohort", cohort), ("segment", segment)):
            if name in col and not value:
                problems.append(Problem(source, line, name, "is empty: expected a label"))
        age = _age(row[col["age"]], problems, source, line, "age")
        active = _number(row[col["active"]], problems, source, line, "active", True)
        mrr = _number(row[col["mrr"]], problems, source, line, "mrr", False) if "mrr" in col else None
        if cohort and ("segment" not in col or segment):
            records.append(_Record((segment, cohort), age, active, mrr, line, "active"))
    return records


def _read_wide(header_line, header, body, source, problems) -> list[_Record]:
    """Parse a wide development triangle (cohort label, then ages 0, 1, 2, ...)."""
    for i, name in enumerate(header[1:]):
        if name != str(i):
            problems.append(Problem(source, header_line, name or f"column {i + 2}",
                                    f"wide triangle columns after the first must be the ages 0, 1, 2, ... "
                                    f"in order (expected {i}, got {name!r})"))
    if problems:
        return []
    first_col = header[0] or "cohort"
    records, seen = [], {}
    for line, row in body:
        label, cells = row[0], row[1:]
        if len(cells) > len(header) - 1 and any(cells[len(header) - 1:]):
            problems.append(Problem(source, line, "", f"has {len(row)} cells but the header has {len(header)}"))
        cells = cells[: len(header) - 1]
        if not label:
            problems.append(Problem(source, line, first_col, "is empty: expected a cohort label"))
            continue
        if label in seen:
            problems.append(Problem(source, line, first_col, f"duplicate cohort {label!r} (first at line {seen[label]})"))
            continue
        seen[label] = line
        last = max((i for i, cell in enumerate(cells) if cell), default=-1)
        gaps = [age for age in range(last + 1) if not cells[age]] or ([0] if last < 0 else [])
        for age in gaps:
            what = "the count at age 0 (acquisition)" if age == 0 else f"the count at age {age}"
            where = "" if last < 0 else ": only the end of a row may be blank"
            problems.append(Problem(source, line, header[age + 1], f"missing {what} for cohort {label!r}{where}"))
        if not gaps:
            for age in range(last + 1):
                active = _number(cells[age], problems, source, line, header[age + 1], True)
                records.append(_Record(("", label), age, active, None, line, header[age + 1]))
    return records


def _number(text: str, problems: list[Problem], source: str, line: int | None,
            column: str, whole: bool) -> float | None:
    """Parse a count (``whole=True``) or an amount >= 0; record a problem and return None if bad."""
    expected = "a whole number of customers" if whole else "a number"
    if not text:
        problems.append(Problem(source, line, column, f"must be {expected} (got an empty cell)"))
        return None
    try:
        value = float(text.replace(",", "") if _THOUSANDS.match(text) else text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value):
        problems.append(Problem(source, line, column, f"must be {expected} (got {text!r})"))
        return None
    if value < 0:
        problems.append(Problem(source, line, column, f"must be >= 0 (got {text})"))
        return None
    if whole and value != int(value):
        problems.append(Problem(source, line, column, f"must be {expected} (got {text})"))
        return None
    return value


def _age(text: str, problems: list[Problem], source: str, line: int, column: str) -> int | None:
    """Parse an age in periods (whole number >= 0); record a problem and return None if bad."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or value < 0 or value != int(value):
        shown = "an empty cell" if not text else repr(text) if not np.isfinite(value) else text
        problems.append(Problem(source, line, column, f"must be a whole number of periods >= 0 (got {shown})"))
        return None
    return int(value)


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _label(key: tuple[str, str]) -> str:
    segment, cohort = key
    return f"{cohort!r} (segment {segment!r})" if segment else repr(cohort)


def _assemble(records: list[_Record], problems: list[Problem], source: str, layout: str,
              *, has_mrr: bool, has_segment: bool) -> CohortHistory:
    """Check cohorts as a whole (age 0, gaps, duplicates, falling counts) and build arrays."""
    cohorts: dict[tuple[str, str], dict[int, _Record]] = {}
    unreadable = set()
    for rec in records:
        ages = cohorts.setdefault(rec.key, {})
        if rec.age is None:
            unreadable.add(rec.key)
        elif rec.age in ages:
            first = ages[rec.age].line
            problems.append(Problem(source, rec.line, "age", f"duplicate row for cohort {_label(rec.key)}, "
                                    f"age {rec.age}" + (f" (first at line {first})" if first else "")))
        else:
            ages[rec.age] = rec
    for key, ages in cohorts.items():
        if ages:  # a missing age in a cohort with an unreadable age cell would only echo it
            _check_cohort(key, ages, problems, source, complete=key not in unreadable)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: p.line or 0))
    n_ages = max((max(ages) + 1 for ages in cohorts.values()), default=1)
    active = np.full((len(cohorts), n_ages), np.nan)
    mrr = np.full_like(active, np.nan) if has_mrr else None
    for c, ages in enumerate(cohorts.values()):
        for age, rec in ages.items():
            active[c, age] = rec.active
            if mrr is not None:
                mrr[c, age] = rec.mrr
    return CohortHistory(
        source=source,
        cohorts=tuple(label for _, label in cohorts),
        active=active,
        mrr=mrr,
        segments=tuple(segment for segment, _ in cohorts) if has_segment else None,
        layout=layout,
    )


def _check_cohort(key: tuple[str, str], ages: dict[int, _Record], problems: list[Problem], source: str,
                  *, complete: bool) -> None:
    """Age 0 present, no gaps (if ``complete``), counts not rising, MRR consistent with counts."""
    first = min(ages.values(), key=lambda r: r.line or 0)
    if complete and 0 not in ages:
        problems.append(Problem(source, first.line, "age", f"cohort {_label(key)} has no row for age 0: "
                                "every cohort needs its count at acquisition (age 0)"))
    for age in range(1, max(ages) + 1):
        rec, prev = ages.get(age), ages.get(age - 1)
        if rec is None and complete:
            after = ages[min(a for a in ages if a > age)]
            problems.append(Problem(source, after.line, "age", f"cohort {_label(key)} has no row for age {age}: "
                                    "ages must run 0, 1, 2, ... without gaps"))
        elif rec is not None and prev is not None and None not in (rec.active, prev.active) and rec.active > prev.active:
            problems.append(Problem(source, rec.line, rec.column, f"must not exceed {prev.active:g}, the count at "
                                    f"age {age - 1}: active customers cannot rise with age (got {rec.active:g})"))
    for rec in ages.values():
        if rec.active is None or rec.mrr is None:
            continue
        if rec.active == 0 and rec.mrr > 0:
            problems.append(Problem(source, rec.line, "mrr", f"must be 0 when no customer is active (got {rec.mrr:g})"))
        elif rec.active > 0 and rec.mrr == 0:
            problems.append(Problem(source, rec.line, "mrr", "must be > 0 while customers are active (got 0)"))


@dataclass(frozen=True, eq=False)
class RevenueRetention:
    """Revenue retention of a cohort history, pooled across cohorts by age.

    Attributes
    ----------
    ages : ndarray, shape (n_ages,), int
        Ages in periods, ``0..max observed age``.
    cohorts : ndarray, shape (n_ages,), int
        Cohorts observed at each age (only they enter that age's ratios).
    nrr : ndarray, shape (n_ages,), float
        Net revenue retention: MRR at age ``a`` over MRR at age 0 of the cohorts
        observed at ``a`` (pooled, i.e. weighted by starting MRR); 1.0 at age 0.
    mrr_per_customer : ndarray, shape (n_ages,), float
        MRR per surviving customer at age ``a`` relative to age 0, same cohorts;
        NaN where no customer survives.
    period : {"month", "year"}
        Unit of one age step.
    """

    ages: np.ndarray
    cohorts: np.ndarray
    nrr: np.ndarray
    mrr_per_customer: np.ndarray
    period: str

    def curve(self) -> dict[int, float]:
        """MRR per surviving customer by age in months (ages with survivors only)."""
        months = 12 if self.period == "year" else 1
        return {int(a) * months: float(v) for a, v in zip(self.ages, self.mrr_per_customer) if np.isfinite(v)}

    def rows(self) -> list[dict]:
        """The table as JSON-ready rows: age, cohorts, nrr, mrr_per_customer (None if undefined)."""
        return [
            {"age": int(a), "cohorts": int(c), "nrr": _finite(n), "mrr_per_customer": _finite(m)}
            for a, c, n, m in zip(self.ages, self.cohorts, self.nrr, self.mrr_per_customer)
        ]

    def scenario_block(self) -> str:
        """The ``mrr_per_customer_curve:`` scenario line (keys in months), with a comment."""
        items = ", ".join(f"{age}: {_ratio(v)}" for age, v in self.curve().items())
        converted = " (history ages in years x 12)" if self.period == "year" else ""
        return (f"mrr_per_customer_curve: {{{items}}}   # average MRR of a surviving customer relative to "
                f"its starting MRR, by age in months{converted}\n")


def revenue_retention(history: CohortHistory, period: str = "month") -> RevenueRetention | None:
    """Tabulate net revenue retention and MRR per surviving customer by age.

    Parameters
    ----------
    history : CohortHistory
        A history with an ``mrr`` column.
    period : {"month", "year"}
        Unit of one age step (used when converting ages to months).

    Returns
    -------
    RevenueRetention or None
        None when the history has no MRR.
    """
    if history.mrr is None:
        return None
    seen = ~np.isnan(history.active)  # (n_cohorts, n_ages)
    mrr = np.where(seen, history.mrr, 0.0)
    active = np.where(seen, history.active, 0.0)
    start_mrr = np.where(seen, history.mrr[:, :1], 0.0).sum(axis=0)
    start_active = np.where(seen, history.active[:, :1], 0.0).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        nrr = mrr.sum(axis=0) / start_mrr
        per_customer = (mrr.sum(axis=0) / active.sum(axis=0)) / (start_mrr / start_active)
    return RevenueRetention(
        ages=np.arange(history.active.shape[1]),
        cohorts=seen.sum(axis=0),
        nrr=np.where(np.isfinite(nrr), nrr, np.nan),
        mrr_per_customer=np.where(np.isfinite(per_customer) & (per_customer > 0), per_customer, np.nan),
        period=period,
    )


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _ratio(x: float) -> str:
    """Format a ratio with up to 3 decimals and at least one: 1.0, 1.01, 1.025."""
    text = f"{x:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
