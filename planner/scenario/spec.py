"""A small declarative schema: one definition gives validation, defaults and JSON Schema.

Each field type checks a YAML value, records problems with their line and key path in a
:class:`Context`, and returns the normalised value (numbers as float or :class:`Param`,
records as dicts with defaults filled in). The same objects emit JSON Schema, so
``planner schema`` can never drift from what the loader accepts.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from planner.errors import Problem
from planner.scenario.distributions import Distribution, parse_distribution, parse_interval
from planner.scenario.schema_parts import (FLAG_WORDS, enum_schema, flag_schema,
                                           interval_schema, number_schema)
from planner.scenario.yamltree import LineMap, dotted, grouped_number

class _Invalid:
    """What a field returns when its value had a problem (already recorded).

    Reading a key of it gives it back, so a cross-key check that looks inside a block
    which failed (``stages["mql"]["months"]``) sees INVALID, not a TypeError.
    """

    def __getitem__(self, key):
        return self

    def get(self, key, default=None):
        return self

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()
_MISSING = object()


@dataclass(frozen=True)
class Param:
    """An uncertain input: a distribution sampled once per path.

    Attributes
    ----------
    index : int
        Column of this input in the draws matrix (order of appearance in the file).
    path : str
        Dotted key path, the input's name (e.g. ``segments.smb.price.arpa``).
    dist : Distribution
    low, high : float or None
        The input's valid range; draws are clipped to it.
    key : str or None
        What its random stream is keyed by (:mod:`planner.engine.sampling`): the key path
        with each position in a named list replaced by the item's name, e.g.
        ``costs.headcount['Engineer'].salary`` for ``costs.headcount[3].salary``, so
        reordering list items keeps every input's draws. None: the path itself.
    """

    index: int
    path: str
    dist: Distribution
    low: float | None
    high: float | None
    key: str | None = None

    @property
    def draw_key(self) -> str:
        """The name of this input's random stream: ``key``, or ``path`` when it has none."""
        return self.path if self.key is None else self.key

    @cached_property
    def valid_range(self) -> tuple[float, float]:
        """``(low, high)``, infinite where the input has no bound."""
        return (-np.inf if self.low is None else self.low, np.inf if self.high is None else self.high)

    @cached_property
    def valid_mass(self) -> tuple[float, float]:
        """``(P(X < low), P(X <= high))`` of the distribution: the range its uniforms are
        mapped into so that no draw falls outside the valid range (computed once, not per
        block of paths)."""
        low, high = self.valid_range
        return self.dist.frozen.cdf(np.nextafter(low, -np.inf)), self.dist.frozen.cdf(high)

    def at(self, u: np.ndarray) -> np.ndarray:
        """The input's values at uniforms ``u`` in (0, 1) (any shape): its distribution
        truncated to the valid range, so no value lands outside it and none piles up on a
        bound."""
        f_low, f_high = self.valid_mass
        return np.clip(self.dist.ppf(f_low + u * (f_high - f_low)), *self.valid_range)


class Context:
    """Where validation collects problems and uncertain inputs."""

    def __init__(self, lines: LineMap):
        self.lines = lines
        self.problems: list[Problem] = []
        #: implausible but possible values: shown, not fatal (see :meth:`warn`)
        self.warnings: list[Problem] = []
        self.params: list[Param] = []
        self.item_names: dict[tuple, str] = {}  # key path of a named list item -> its name
        self.ledgers: dict = {}  # ledgers already read, for opening.from_actuals (loader)

    def _locate(self, path: tuple, message: str, got: Any) -> Problem:
        if got is not _MISSING:
            message = f"{message} (got {_show(got)})"
        override = self.lines.override(path)
        if override is not None:
            return Problem(override, None, dotted(path), message)
        return Problem(self.lines.source, self.lines.line(path), dotted(path), message)

    def error(self, path: tuple, message: str, got: Any = _MISSING) -> None:
        """Record a problem: the scenario is invalid."""
        self.problems.append(self._locate(path, message, got))

    def warn(self, path: tuple, message: str, got: Any = _MISSING) -> None:
        """Record a warning: the value is possible but outside the ordinary range."""
        self.warnings.append(self._locate(path, message, got))

    def add_param(self, path: tuple, dist: Distribution, low, high) -> Param:
        param = Param(len(self.params), dotted(path), dist, low, high, self.draw_key(path))
        self.params.append(param)
        return param

    def draw_key(self, path: tuple) -> str:
        """``path`` dotted, with each named list item's position replaced by its quoted name."""
        out = ""
        for i, part in enumerate(path):
            name = self.item_names.get(path[:i + 1])
            if name is not None:
                out += f"[{name!r}]"
            elif isinstance(part, int):
                out += f"[{part}]"
            else:
                out += ("." if out else "") + str(part)
        return out

    def name_items(self, path: tuple, items: list, field: str) -> None:
        """Remember the items of the list at ``path`` by their ``field`` (a role, a name),
        for the draw keys of the inputs inside them; items whose name is missing or not
        unique in the list keep their position."""
        names = [item.get(field) if isinstance(item, dict) else None for item in items]
        for i, name in enumerate(names):
            if isinstance(name, str) and names.count(name) == 1:
                self.item_names[path + (i,)] = name


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and abs(value) >= 10 ** 16:
        return f"a number of {len(str(abs(value)))} digits"
    return str(value)


def name_of(value: Any) -> str | None:
    """``value`` if it is text (a kind such as ``dist:`` or ``model:``), else None.

    Lists, mappings and numbers where a name is expected are then reported as a wrong
    name, never looked up in a table (where a list would raise TypeError).
    """
    return value if isinstance(value, str) else None


#: the largest magnitude of any number in a scenario: ten trillion (money a month, a
#: valuation, people, leads). Every product the engine forms then stays far from float
#: overflow, and counts stay exact in 64-bit integers.
LIMIT = 1e13
#: the largest whole number (months, people, hires) unless a field sets its own bound
INT_LIMIT = 1_000_000
#: the smallest value of an input that must be > 0 because it divides (a CAC, a cost per
#: lead, people per driver): one cent for money, 1e-6 otherwise
MIN_DIVISOR = {"currency": 0.01, "": 1e-6}


def _g(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e7 else f"{x:g}"


class Field:
    """Base of all field types."""

    doc: str = ""
    default: Any = _MISSING

    @property
    def required(self) -> bool:
        return self.default is _MISSING

    def check(self, value: Any, path: tuple, ctx: Context) -> Any:  # pragma: no cover
        raise NotImplementedError

    def schema(self) -> dict:  # pragma: no cover
        raise NotImplementedError

    def _with_doc(self, schema: dict) -> dict:
        if self.doc:
            schema["description"] = self.doc
        if self.default is not _MISSING and self.default is not None:
            schema["default"] = self.default
        return schema


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """A real number that fits a float (YAML integers can be arbitrarily long)."""
    try:
        return _is_number(value) and math.isfinite(value)
    except OverflowError:
        return False


class Number(Field):
    """A number; with ``dist=True`` also a distribution (one draw per path)."""

    def __init__(self, doc: str = "", *, low: float | None = None, high: float | None = None,
                 low_open: bool = False, high_open: bool = False, integer: bool = False,
                 dist: bool = True, default: Any = _MISSING, unit: str = "",
                 typical: tuple[float, float] | None = None, limit: float | None = None):
        self.doc, self.low, self.high, self.low_open = doc, low, high, low_open
        self.high_open = high_open
        self.integer, self.dist, self.default, self.unit = integer, dist, default, unit
        #: the ordinary range: a value outside it is a warning, not an error
        self.typical = typical
        # the hard bounds every value meets on top of the declared range (see LIMIT); a
        # field may set its own magnitude ``limit``
        limit = limit if limit is not None else INT_LIMIT if integer else LIMIT
        self.floor = low if low is not None else -limit
        if low == 0 and low_open:
            self.floor = MIN_DIVISOR.get(unit, MIN_DIVISOR[""])
        self.ceiling = high if high is not None else limit

    def _range_text(self) -> str:
        if self.low is not None and self.high is not None:
            if self.high_open:
                return f">= {self.low:g} and < {self.high:g}"
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return f"{'<' if self.high_open else '<='} {self.high:g}"

    def _in_range(self, x: float) -> bool:
        if self.low is not None and (x < self.low or (self.low_open and x == self.low)):
            return False
        if self.high is not None and (x > self.high or (self.high_open and x == self.high)):
            return False
        return True

    def check(self, value, path, ctx):
        value = _ungrouped(value)
        if isinstance(value, dict) and self.dist:
            return self._check_dist(value, path, ctx)
        if isinstance(value, str) and self.dist and " to " in value:
            dist, problem = parse_interval(value)
            if dist is None:
                ctx.error(path, problem)
                return INVALID
            return self._accept_dist(dist, path, ctx)
        if not is_finite_number(value):
            expected = ("a number, a distribution ({dist: ...}) or a 90% interval 'LOW to HIGH'"
                        if self.dist else "a number")
            ctx.error(path, f"must be {expected}", value)
            return INVALID
        if self.integer and value != int(value):
            ctx.error(path, "must be a whole number", value)
            return INVALID
        if (self.low is not None or self.high is not None) and not self._in_range(value):
            ctx.error(path, f"must be {self._range_text()}", value)
            return INVALID
        if not self.floor <= value <= self.ceiling:
            ctx.error(path, f"must be {self._limit_text()}", value)
            return INVALID
        self._check_typical(value, path, ctx)
        return int(value) if self.integer else float(value)

    def _limit_text(self) -> str:
        """The hard bounds, for a value inside the declared range but beyond them."""
        if self.low == 0 and self.low_open:
            return f"at least {_g(self.floor)} (it divides other inputs) and at most {_g(self.ceiling)}"
        return f"between {_g(self.floor)} and {_g(self.ceiling)} (the largest value a scenario takes)"

    def _check_typical(self, value: float, path: tuple, ctx, what: str = "") -> None:
        if self.typical is None:
            return
        lo, hi = self.typical
        if not lo <= value <= hi:
            ctx.warn(path, f"{what}{_g(value)} is outside the ordinary range {_g(lo)} to {_g(hi)}; "
                           f"check the value")

    def _check_dist(self, value, path, ctx):
        value = {k: [_ungrouped(x) for x in v] if isinstance(v, list) else _ungrouped(v)
                 for k, v in value.items()}
        dist, problems = parse_distribution(value)
        for key, message in problems:
            ctx.error(path + ((key,) if key else ()), message)
        if dist is None:
            return INVALID
        return self._accept_dist(dist, path, ctx)

    def _accept_dist(self, dist, path, ctx):
        """Range checks of a parsed distribution; the input becomes a :class:`Param`."""
        if not math.isfinite(dist.quantile(0.999999)) or not math.isfinite(dist.quantile(1e-6)):
            ctx.error(path, f"{dist.describe()} is too wide to simulate")
            return INVALID
        reaches = self._reaches_open_bound(dist)
        if reaches:
            ctx.error(path, f"{dist.describe()} can draw {reaches}, but this input must be "
                            f"{self._range_text()} on every path (a divisor or a rate that cannot "
                            f"reach its limit); use a lognormal, or a triangular, pert or uniform "
                            f"strictly inside the range")
            return INVALID
        low, high = self.floor, self.ceiling
        outside = dist.mass_outside(low, high)
        if outside > 0.01:
            valid = self._range_text() if dist.mass_outside(self.low, self.high) > 0.01 else \
                self._limit_text()
            ctx.error(path, f"{dist.describe()} puts {outside:.1%} of its draws outside the valid "
                            f"range ({valid}); narrow it or pick a bounded distribution")
            return INVALID
        for note in dist.warnings:
            ctx.warn(path, note)
        self._check_typical(dist.median(), path, ctx, what="the median ")
        return ctx.add_param(path, dist, low, high)

    def _reaches_open_bound(self, dist) -> str:
        """Text such as 'values <= 0' when draws can come within 0.1% of an excluded bound.

        "Within 0.1%" is measured against the median's distance from the bound, at the
        most extreme draw the sampler makes (the 1e-12 quantile): a CAC drawn 1,000 times
        below its median, or a churn rate a hair from 100%, would swamp a simulation.
        """
        median = dist.median()
        if self.low_open and self.low is not None:
            if dist.quantile(1e-12) <= self.low + 1e-3 * (median - self.low):
                return f"values near or below {self.low:g}"
        if self.high_open and self.high is not None:
            if dist.quantile(1 - 1e-12) >= self.high - 1e-3 * (self.high - median):
                return f"values near or above {self.high:g}"
        return ""

    def schema(self):
        bounds = {}
        if self.low is not None:
            bounds["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        if self.high is not None:
            bounds["exclusiveMaximum" if self.high_open else "maximum"] = self.high
        # digits grouped with _ (14_000_000) are text to an editor: the schema checks their
        # form and sign, the loader their range; none fits a field below 1,000
        plain = number_schema(integer=self.integer, negative=self.floor < 0,
                              grouped=max(self.ceiling, -self.floor) >= 1000, **bounds)
        if not self.dist:
            return self._with_doc(plain)
        return self._with_doc({"anyOf": [*plain.get("anyOf", [plain]),
                                         {"$ref": "#/$defs/distribution"}, interval_schema()]})


def _ungrouped(value: Any) -> Any:
    """``value``, or the number it writes with grouped digits (``"14_000_000"``, quoted)."""
    number = grouped_number(value) if isinstance(value, str) else None
    return value if number is None else number


class Text(Field):
    """A string, optionally one of fixed choices."""

    def __init__(self, doc: str = "", *, choices: tuple[str, ...] | None = None,
                 meanings: dict[str, str] | None = None, default: Any = _MISSING):
        self.doc, self.choices, self.default = doc, choices, default
        #: choice -> what it means (shown by editors next to each value)
        self.meanings = meanings

    def check(self, value, path, ctx):
        if not isinstance(value, str) or not value.strip():
            ctx.error(path, "must be a non-empty text", value)
            return INVALID
        if self.choices is not None and value not in self.choices:
            hint = difflib.get_close_matches(value[:100], self.choices, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            ctx.error(path, f"must be one of {', '.join(self.choices)}{extra}", value)
            return INVALID
        return value

    def schema(self):
        if self.choices:
            return self._with_doc(enum_schema(self.choices, self.meanings, self.doc))
        return self._with_doc({"type": "string", "pattern": r"\S"})  # not blank


#: ``YYYY-MM`` or ``YYYY-MM-DD`` in ASCII digits (``\d`` would also match ``２０２７``)
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?$", re.ASCII)
#: the years a month may fall in (beyond them dates leave what Python's calendar handles)
YEARS = (1900, 2999)


def parse_month(value: Any) -> np.datetime64 | None:
    """``"2027-03"``, ``"2027-03-01"`` or a YAML date -> ``datetime64[M]`` (None if not a month).

    A day must exist (``2027-02-30`` and ``2027-01-32`` are not months), the digits must
    be ASCII, and the year within :data:`YEARS`.
    """
    month, _ = read_month(value)
    return month


def read_month(value: Any) -> tuple[np.datetime64 | None, str]:
    """:func:`parse_month` and, when it is not a month, what is wrong (for the message)."""
    if isinstance(value, _dt.date):
        year, month = value.year, value.month
    elif isinstance(value, str):
        match = _MONTH.match(value.strip())
        if match is None:
            return None, "must be a month written YYYY-MM"
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            return None, "must be a month written YYYY-MM"
        try:
            _dt.date(year, month, int(match.group(3) or 1))
        except ValueError as err:
            return None, f"is not a calendar date ({err})"
    else:
        return None, "must be a month written YYYY-MM"
    if not YEARS[0] <= year <= YEARS[1]:
        return None, f"the year must be between {YEARS[0]} and {YEARS[1]}"
    return np.datetime64(f"{year:04d}-{month:02d}", "M"), ""


#: ISO 4217 codes of the currencies in use (and the precious-metal / fund codes left out)
ISO_CURRENCIES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())


class Currency(Text):
    """A currency code: any short text, with a warning when it is not an ISO 4217 code."""

    def check(self, value, path, ctx):
        value = super().check(value, path, ctx)
        if value is INVALID:
            return INVALID
        if len(value) > 12:
            ctx.error(path, "must be a currency code such as USD or EUR", value)
            return INVALID
        if value not in ISO_CURRENCIES:
            ctx.warn(path, f"{value!r} is not an ISO 4217 currency code (USD, EUR, GBP, ...); "
                           f"outputs label money with it as written")
        return value

    def schema(self):
        return self._with_doc({"type": "string", "pattern": r"\S", "maxLength": 12})


class Flag(Field):
    """true or false."""

    def __init__(self, doc: str = "", *, default: Any = _MISSING):
        self.doc, self.default = doc, default

    def check(self, value, path, ctx):
        for flag, words in FLAG_WORDS.items():  # yes / off: text to YAML 1.2 and the loader
            if value in words:
                return flag
        if not isinstance(value, bool):
            ctx.error(path, "must be true or false", value)
            return INVALID
        return value

    def schema(self):
        return self._with_doc(flag_schema())


class Month(Field):
    """A calendar month, written ``YYYY-MM``."""

    def __init__(self, doc: str = "", *, default: Any = _MISSING,
                 typical: tuple[int, int] | None = None):
        self.doc, self.default = doc, default
        self.typical = typical  # ordinary years; outside them a warning

    def check(self, value, path, ctx):
        month, problem = read_month(value)
        if month is None:
            ctx.error(path, problem, value)
            return INVALID
        year = int(str(month)[:4])
        if self.typical is not None and not self.typical[0] <= year <= self.typical[1]:
            ctx.warn(path, f"the year {year} is outside the ordinary range {self.typical[0]} to "
                           f"{self.typical[1]}; check the value")
        return month

    def schema(self):
        return self._with_doc({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"})


class Record(Field):
    """A mapping with fixed keys; unknown keys are errors with a "did you mean"."""

    def __init__(self, fields: dict[str, Field], doc: str = "", *, default: Any = _MISSING,
                 exclusive: tuple[tuple[str, ...], ...] = ()):
        self.fields, self.doc, self.default, self.exclusive = fields, doc, default, exclusive

    def check(self, value, path, ctx):
        if value is None and self.default is not _MISSING:
            value = {}
        if not isinstance(value, dict):
            ctx.error(path, "must be a mapping of keys to values", value)
            return INVALID
        out: dict = {}
        for key in value:
            if key not in self.fields:
                hint = difflib.get_close_matches(str(key), list(self.fields), n=1)
                extra = f"; did you mean '{hint[0]}'?" if hint else \
                    f"; expected one of {', '.join(self.fields)}"
                ctx.error(path + (key,), f"unknown key{extra}")
        for name, spec in self.fields.items():
            if name in value:
                out[name] = spec.check(value[name], path + (name,), ctx)
            elif spec.required and not self._optional_by_group(name):
                ctx.error(path + (name,), f"is required{': ' + spec.doc if spec.doc else ''}")
                out[name] = INVALID
            elif isinstance(spec.default, dict):
                # fill the nested defaults of an omitted block
                out[name] = spec.check(dict(spec.default), path + (name,), ctx)
            else:
                out[name] = _copy_default(spec.default) if spec.default is not _MISSING else None
        self._check_exclusive(value, path, ctx)
        return out

    def _optional_by_group(self, name: str) -> bool:
        return any(name in group for group in self.exclusive)

    def _check_exclusive(self, value, path, ctx) -> None:
        for group in self.exclusive:
            present = [k for k in group if k in value]
            if len(present) != 1:
                got = ", ".join(present) if present else "none"
                ctx.error(path, f"needs exactly one of {', '.join(group)} (got {got})")

    def schema(self):
        props = {name: spec.schema() for name, spec in self.fields.items()}
        required = [n for n, s in self.fields.items() if s.required and not self._optional_by_group(n)]
        out: dict = {"type": "object", "properties": props, "additionalProperties": False}
        if required:
            out["required"] = required
        exactly_one = [{"oneOf": [{"required": [key]} for key in group]} for group in self.exclusive]
        if len(exactly_one) == 1:
            out.update(exactly_one[0])
        elif exactly_one:
            out["allOf"] = exactly_one
        return self._with_doc(out)


def _copy_default(value):
    return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value


class MapOf(Field):
    """A mapping from free names (or months) to values of one type."""

    def __init__(self, value: Field, doc: str = "", *, key: Field | None = None,
                 default: Any = _MISSING, min_items: int = 0):
        self.value, self.doc, self.key, self.default, self.min_items = value, doc, key, default, min_items

    def check(self, value, path, ctx):
        if not isinstance(value, dict):
            ctx.error(path, "must be a mapping", value)
            return INVALID
        if len(value) < self.min_items:
            ctx.error(path, f"needs at least {self.min_items} entr{'y' if self.min_items == 1 else 'ies'}")
            return INVALID
        out = {}
        for key, item in value.items():
            norm_key = key if self.key is None else self.key.check(key, path + (key,), ctx)
            checked = self.value.check(item, path + (key,), ctx)
            if norm_key is not INVALID:
                out[norm_key] = checked
        return out

    def schema(self):
        out: dict = {"type": "object", "additionalProperties": self.value.schema()}
        if self.min_items:
            out["minProperties"] = self.min_items
        return self._with_doc(out)


class ListOf(Field):
    """A list of values of one type."""

    def __init__(self, item: Field, doc: str = "", *, default: Any = _MISSING,
                 named_by: str | None = None):
        self.item, self.doc, self.default = item, doc, default
        self.named_by = named_by  # the item key that names an item (uncertain inputs' draw keys)

    def check(self, value, path, ctx):
        if not isinstance(value, list):
            ctx.error(path, "must be a list", value)
            return INVALID
        if self.named_by is not None:
            ctx.name_items(path, value, self.named_by)
        return [self.item.check(v, path + (i,), ctx) for i, v in enumerate(value)]

    def schema(self):
        return self._with_doc({"type": "array", "items": self.item.schema()})


class OneOf(Field):
    """A value that takes one of several shapes, chosen by the YAML type or a key."""

    def __init__(self, choose, options: dict[str, Field], doc: str = "", *, default: Any = _MISSING,
                 key: str | None = None, expected: str = ""):
        self.choose, self.options, self.doc, self.default = choose, options, doc, default
        self.key = key  # the mapping key that names the option (e.g. ``model``), if any
        self.expected = expected  # the shapes accepted, for the error message (default: doc)

    def check(self, value, path, ctx):
        kind = name_of(self.choose(value))
        if kind not in self.options:
            if self.key is not None and isinstance(value, dict):
                self._bad_key(value, path, ctx)
            else:
                expected = self.expected or self.doc or "one of " + ", ".join(self.options)
                ctx.error(path, f"must be {expected}", value)
            return INVALID
        return self.options[kind].check(value, path, ctx)

    def _bad_key(self, value: dict, path: tuple, ctx: Context) -> None:
        names = ", ".join(self.options)
        if self.key not in value:
            ctx.error(path + (self.key,), f"is required: one of {names}")
            return
        hint = difflib.get_close_matches(str(value[self.key])[:40], list(self.options), n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        ctx.error(path + (self.key,), f"must be one of {names}{extra}", value[self.key])

    def schema(self):
        return self._with_doc({"anyOf": [o.schema() for o in self.options.values()]})


# -- shared field builders (both schema modules use them) --

def value_shape(value) -> str:
    """Classify a YAML value for :class:`OneOf` fields that accept several shapes."""
    if isinstance(value, dict):
        if "dist" in value:
            return "number"
        if "start" in value:
            return "growth"
        if "schedule" in value:
            return "schedule"
        return "map"
    if isinstance(value, bool):
        return "other"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):  # "LOW to HIGH": a 90% interval; "14_000_000" (quoted)
        return "number" if " to " in value or grouped_number(value) is not None else "text"
    return "other"


def series(doc: str, *, low: float | None = 0.0, default=None, optional: bool = False) -> OneOf:
    """A monthly amount: constant, start + growth, or a dated step schedule.

    Required unless a ``default`` is given or it is ``optional`` (absent = None).
    """
    value = Number(low=low)
    options = {
        "number": Number(doc, low=low),
        "growth": Record({
            "start": Number("value in the first month", low=low),
            "monthly_growth": Number("compound growth per month, e.g. 0.03", low=-0.5, high=2.0,
                                     typical=(-0.1, 0.2)),
            "annual_growth": Number("compound growth per year, e.g. 0.4", low=-0.99, high=100.0,
                                    typical=(-0.5, 5.0)),
        }, f"{doc}: a start value growing at a compound rate (give monthly_growth or "
           f"annual_growth)",
            exclusive=(("monthly_growth", "annual_growth"),)),
        "schedule": Record({
            "schedule": MapOf(value, "month (YYYY-MM) -> value from that month on; before the "
                                     "first date the value is 0", key=Month(), min_items=1),
        }, f"{doc}: dated steps, each value holding from its month until the next"),
    }
    kw = {"default": default} if default is not None or optional else {}
    return OneOf(value_shape, options, doc + " (a number, a distribution, {start, monthly_growth} or "
                                        "{schedule: {YYYY-MM: value}})",
                 expected="a number, a distribution ({dist: ...}), {start, monthly_growth or "
                          "annual_growth} or {schedule: {YYYY-MM: value}}", **kw)


def per_segment(doc: str, **number_kw) -> OneOf:
    """One value for every segment, or a mapping segment name -> value."""
    default = number_kw.pop("default", 0.0)
    return OneOf(value_shape, {"number": Number(doc, **number_kw),
                          "map": MapOf(Number(**number_kw), "segment name -> value")},
                 doc + " (one value, or segment name -> value)", default=default,
                 expected="a number, a distribution ({dist: ...}) or a mapping segment name -> value")
