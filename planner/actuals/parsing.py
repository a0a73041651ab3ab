"""Reading actuals CSV files into string tables, and parsing their cells, vectorised.

Shared by the ledger, MRR-table and financials readers (:mod:`planner.actuals.readers`).
Every reader collects its problems in a :class:`Problems` list and raises them once as a
:class:`planner.errors.ScenarioError`, one line per bad cell:
``ledger.csv:1234: column 'end': not a date (got '2027-13-01')``.

Decisions made here, for every format (docs/actuals.md):

- the file is read as UTF-8; a byte-order mark is skipped;
- header names and cells are stripped of leading and trailing spaces;
- blank lines are skipped (line numbers still count them);
- header names are matched case-insensitively, ignoring spaces, punctuation and a
  ``(UTC)`` suffix, so ``Customer ID`` matches ``customer_id``;
- dates are ISO 8601 (``2027-01-15``, ``2027-01-15 10:22``, ``2027-01-15T10:22:00Z``)
  or, with ``date_format`` given, that ``strptime`` format as well; anything else (an
  ambiguous ``01/02/2027``) is refused, never guessed;
- amounts are plain decimals (``1234.56``, ``1,234.56``); anything else is refused.
"""
from __future__ import annotations

import csv as csv_module
import difflib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.errors import Problem, ScenarioError

#: at most this many problem lines are listed; a last line counts the rest
MAX_PROBLEMS = 1000
_ISO_REST = re.compile(r"^([T ]\d{1,2}(:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?)?$")
_SPACED = re.compile(rb" ,|, | \r?\n|\n |\t|\xc2\xa0")
_MONEY = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?$|^[+-]?\.\d+$")


@dataclass
class Problems:
    """Problems of one input file, raised together by :meth:`raise_if_any`.

    Attributes
    ----------
    source : str
        The file name shown at the start of every line.
    items : list of Problem
    """

    source: str
    items: list[Problem] = field(default_factory=list)
    delimiter: str = ","  # of the file: ";" means decimal commas (a European export)

    def add(self, line: int | None, column: str | None, message: str) -> None:
        """Record one problem (``column`` is the header as written in the file)."""
        self.items.append(Problem(self.source, line, f"column {column!r}" if column else "", message))

    def add_rows(self, lines: np.ndarray, column: str | None, messages) -> None:
        """Record one problem per row: ``lines`` (n,) int and ``messages`` (n,) str or one str."""
        messages = np.broadcast_to(np.asarray(messages, dtype=object), np.shape(lines))
        for line, message in zip(np.asarray(lines).tolist(), messages.tolist()):
            self.add(int(line), column, message)

    def raise_if_any(self) -> None:
        """Raise every problem recorded so far, sorted by line, as one ScenarioError."""
        if not self.items:
            return
        items = sorted(self.items, key=lambda p: (p.line or 0, p.path))
        if len(items) > MAX_PROBLEMS:
            rest = len(items) - MAX_PROBLEMS
            items = items[:MAX_PROBLEMS] + [Problem(self.source, None, "", f"... and {rest:,} more "
                                                    "problems like these (fix the ones above first)")]
        raise ScenarioError(items)


def normalise_name(name: str) -> str:
    """A header as a key: lower case, ``(UTC)`` dropped, runs of other characters as ``_``."""
    text = re.sub(r"\(\s*utc\s*\)", "", str(name).strip().lower())
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def read_csv(path, what: str, select=None) -> tuple[pd.DataFrame, Problems]:
    """Read a CSV file as a table of stripped strings with a ``_line`` column.

    Parameters
    ----------
    path : path-like or pandas.DataFrame
        The file; a DataFrame is taken as already read (lines counted as in a file
        with a header: the first row is line 2).
    what : str
        What the file is, for messages ("ledger", "MRR table", "financials").
    select : callable, optional
        ``select(headers) -> headers to read`` (or None for all): exports have many
        columns a reader never looks at, and each costs a string per row.

    Returns
    -------
    (DataFrame, Problems)
        String cells (``""`` when empty), columns as in the header (stripped), plus
        ``_line`` (int, the 1-based line of each row); blank rows dropped.

    Raises
    ------
    ScenarioError
        When the file cannot be read, is not UTF-8 text, is empty, or is not CSV.
    """
    if isinstance(path, pd.DataFrame):
        source, frame, spaced = "<table>", path.fillna("").astype(str).astype(object), True
        lines, delimiter = None, ","
    else:
        source = str(path)
        frame, spaced = _read_file(Path(path), source, what, select)
        lines = frame.attrs.pop("lines", None)
        delimiter = frame.attrs.pop("delimiter", ",")
    problems = Problems(source, delimiter=delimiter)
    frame.columns = [str(c).strip() for c in frame.columns]
    if spaced:  # strip cells only when the file has spaces next to a delimiter (it is costly)
        for name in frame.columns:
            frame[name] = frame[name].astype(str).str.strip()
    frame["_line"] = np.arange(2, len(frame) + 2) if lines is None else lines
    columns = [c for c in frame.columns if c != "_line"]
    maybe = (frame[columns[0]] == "").to_numpy() if columns else np.zeros(len(frame), dtype=bool)
    if maybe.any():  # a blank row has an empty first cell: check the others on those rows only
        rows = np.flatnonzero(maybe)
        blank = np.zeros(len(frame), dtype=bool)
        blank[rows] = (frame.iloc[rows][columns] == "").all(axis=1).to_numpy()
        frame = frame.loc[~blank].reset_index(drop=True)
    if frame.empty:
        raise ScenarioError([Problem(source, 1, "", f"the {what} has a header but no data rows")])
    return frame, problems


def _read_file(path: Path, source: str, what: str, select=None) -> tuple[pd.DataFrame, bool]:
    def fail(message: str, line: int | None = None):
        raise ScenarioError([Problem(source, line, "", message)]) from None
    try:
        if path.stat().st_size == 0:
            fail(f"the {what} file is empty: expected a header row")
        raw = path.read_bytes()
        raw.decode("utf-8")
        body = raw.find(b"\n") + 1
        spaced = (raw.count(b" ", body) > 0 or raw.count(b"\t") > 0 or raw.count(b"\xa0") > 0
                  or _SPACED.search(raw[:body]) is not None or raw[:4].strip() != raw[:4])
        first_line = raw[:65536].decode("utf-8-sig", "replace").split("\n")[0]
        sep = max((",", ";", "\t"), key=first_line.count)  # a European Excel export uses ';'
        usecols = None
        if select is not None:
            header = next(csv_module.reader(io.StringIO(first_line), delimiter=sep), [])
            usecols = select([h.strip() for h in header])
            if usecols is not None and len(set(usecols)) < len(header):
                usecols = [i for i, h in enumerate(header) if h.strip() in set(usecols)]
                ragged = _ragged_rows(raw.decode("utf-8-sig"), source, sep) if _has_ragged(raw, len(header), sep) else []
                if ragged:
                    raise ScenarioError(ragged)
            else:
                usecols = None
        frame = pd.read_csv(io.BytesIO(raw), dtype=object, keep_default_na=False, encoding="utf-8-sig",
                            usecols=usecols, sep=sep,
                            skip_blank_lines=False, na_filter=False, skipinitialspace=True, index_col=False,
                            engine="c")
        frame.attrs["delimiter"] = sep
        physical = raw.count(b"\n") + (not raw.endswith(b"\n"))
        if physical != len(frame) + 1:  # quoted cells spanning lines: find each record's first line
            frame.attrs["lines"] = _record_lines(raw.decode("utf-8-sig"), sep)[: len(frame)]
        return frame, spaced
    except ScenarioError:
        raise
    except UnicodeDecodeError:
        fail(f"cannot read the {what}: not UTF-8 text (save it as CSV UTF-8)")
    except pd.errors.EmptyDataError:
        fail(f"the {what} file is empty: expected a header row")
    except pd.errors.ParserError as err:
        ragged = _ragged_rows(raw.decode("utf-8-sig"), source, sep)
        if ragged:
            raise ScenarioError(ragged) from None
        fail(f"cannot read the {what} as CSV ({err})")
    except OSError as err:
        fail(f"cannot read the {what} file ({err.strerror or err})")


def _record_lines(text: str, sep: str) -> np.ndarray:
    """The line each record (after the header) starts on, for files with multi-line cells."""
    reader = csv_module.reader(io.StringIO(text, newline=""), delimiter=sep)
    next(reader, None)
    out, line = [], reader.line_num + 1
    for _ in reader:
        out.append(line)
        line = reader.line_num + 1
    return np.asarray(out, dtype=np.int64)


def _has_ragged(raw: bytes, columns: int, sep: str = ",") -> bool:
    """Cheap test before reading only some columns (pandas then ignores extra cells): more
    delimiters in the file than its lines allow. Quoted commas make it say yes (then the exact
    scan runs); a long row offset by short ones is missed (its shifted cells fail their checks)."""
    lines = raw.count(b"\n") + (not raw.endswith(b"\n"))
    return raw.count(sep.encode()) > (columns - 1) * lines


def _ragged_rows(text: str, source: str, sep: str = ",") -> list[Problem]:
    """Every row with more cells than the header, one problem each (pandas stops at the first)."""
    reader = csv_module.reader(io.StringIO(text, newline=""), skipinitialspace=True, delimiter=sep)
    header = next(reader, [])
    out, line = [], 2
    for row in reader:
        if len(row) > len(header):
            out.append(Problem(source, line, "", f"has {len(row)} cells but the header has {len(header)}"))
        line = reader.line_num + 1
    return out


@dataclass(frozen=True)
class Field:
    """One field of a format: its canonical name, the headers it is found under, whether required."""

    name: str
    aliases: tuple[str, ...]
    required: bool = False
    several: bool = False  # several columns allowed: the first non-empty cell is taken


def resolve_columns(frame: pd.DataFrame, fields: tuple[Field, ...], mapping: dict | None,
                    problems: Problems, what: str) -> dict[str, list[str]]:
    """Find the column(s) of each field: the mapping's choice, else the first alias present.

    Parameters
    ----------
    mapping : dict of str -> str or list of str, optional
        Field name -> header(s) in the file; overrides the aliases.

    Returns
    -------
    dict of str -> list of str
        Field name -> the header(s) found (fields not found are absent).
    """
    headers = [c for c in frame.columns if c != "_line"]
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(normalise_name(header), header)
    known = {f.name: f for f in fields}
    found: dict[str, list[str]] = {}
    for name, choice in (mapping or {}).items():
        if name not in known:
            problems.add(None, None, f"mapping: unknown field {name!r}{did_you_mean(name, known)}; "
                         f"the {what} fields are {', '.join(known)}")
            continue
        wanted = [choice] if isinstance(choice, str) else list(choice)
        missing = [w for w in wanted if w not in headers and normalise_name(w) not in by_key]
        for w in missing:
            problems.add(1, None, f"mapping: field {name!r} -> column {w!r}, but the file has no such column"
                         f"{did_you_mean(w, headers)} (it has {', '.join(headers)})")
        found[name] = [w if w in headers else by_key[normalise_name(w)] for w in wanted if w not in missing]
    for f in fields:
        if f.name in found:
            continue
        present = [by_key[a] for a in f.aliases if a in by_key]
        if present:
            found[f.name] = present if f.several else present[:1]
        elif f.required:
            problems.add(1, None, f"no column for {f.name!r}: expected one of {', '.join(f.aliases)}"
                         f"{did_you_mean(f.name, list(by_key))}, or name it in the mapping "
                         f"({f.name}: YOUR_HEADER); the file has {', '.join(headers)}")
    return found


def first_filled(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.Series, pd.Series]:
    """Per row, the first non-empty cell of ``columns`` and the header it came from."""
    values = frame[columns[0]].copy()
    origin = pd.Series(columns[0], index=frame.index, dtype=object)
    for name in columns[1:]:
        empty = values == ""
        values = values.where(~empty, frame[name])
        origin = origin.where(~(empty & (frame[name] != "")), name)
    return values, origin


def parse_dates(values: pd.Series, date_format: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse dates: ISO 8601 (date, or date and time), or ``date_format``.

    Parameters
    ----------
    values : Series of str, length n
        Non-empty cells (empty ones are not dates either).
    date_format : str, optional
        A ``strptime`` format accepted besides ISO 8601 (e.g. ``%d/%m/%Y``).

    Returns
    -------
    dates : ndarray of datetime64[D], shape (n,)
        NaT where not a date.
    bad : ndarray of bool, shape (n,)
    """
    text = values.astype(str)
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    other = dates.isna() & (text != "")
    if other.any():  # dates with a time: the date part, if the rest is a valid ISO time
        part = text[other]
        head = pd.to_datetime(part.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        fine = part.str.slice(10).str.match(_ISO_REST)
        dates = dates.where(~other, head.where(fine))
    left = dates.isna() & (text != "")
    if left.any():  # Unix time in seconds, as APIs export it
        epoch = text[left][text[left].str.fullmatch(r"\d{9,10}")]
        if len(epoch):
            dates = dates.where(~dates.index.isin(epoch.index), pd.to_datetime(epoch.astype(np.int64), unit="s"))
    if date_format is not None:
        other = dates.isna() & (text != "")
        if other.any():
            alt = pd.to_datetime(text[other], format=date_format, errors="coerce")
            dates = dates.where(~other, alt)
    out = dates.to_numpy(dtype="datetime64[D]")
    return out, np.isnat(out)


def parse_months(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse months ``YYYY-MM`` (or any ISO date in the month); (n,) datetime64[M] and bad mask."""
    text = values.astype(str)
    short = text.str.len() == 7
    padded = text.where(~short, text + "-01")
    dates, bad = parse_dates(padded)
    return dates.astype("datetime64[M]"), bad


def parse_money(values: pd.Series, decimal_comma: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Parse decimal amounts (``1234.56``, ``1,234.56``; with ``decimal_comma``, the European
    ``1.234,56`` and ``49,99`` instead); (n,) float64 (NaN if bad) and bad mask."""
    text = values.astype(str)
    if decimal_comma:
        text = text.where(~text.str.contains(",", regex=False),
                          text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    out = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(out)
    if bad.any():  # thousands separators: only on the rows that need it
        again = text[bad]
        ok = again.str.match(_MONEY).to_numpy()
        fixed = pd.to_numeric(again.str.replace(",", "", regex=False), errors="coerce").to_numpy(dtype=float)
        out[np.flatnonzero(bad)[ok]] = fixed[ok]
        bad = ~np.isfinite(out)
    return out, bad


def per_value(values: pd.Series, function, dtype=object) -> np.ndarray:
    """``function`` applied to each distinct value only, spread back over the rows; (n,)."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([function(u) for u in uniques], dtype=dtype)
    return mapped[codes] if len(uniques) else np.array([], dtype=dtype)


def did_you_mean(name: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def shown(values) -> np.ndarray:
    """Cells as they appear in a message: ``'2027-13-01'``, or ``an empty cell``."""
    return np.array([repr(v) if v != "" else "an empty cell" for v in values], dtype=object)


