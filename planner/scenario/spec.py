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
from typing import Any

import numpy as np

from planner.errors import Problem
from planner.scenario.distributions import (FAMILIES, Distribution, parse_distribution,
                                            parse_interval)
from planner.scenario.yamltree import LineMap, dotted

INVALID = object()  # returned by a field whose value had a problem (already recorded)
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


class Context:
    """Where validation collects problems and uncertain inputs."""

    def __init__(self, lines: LineMap):
        self.lines = lines
        self.problems: list[Problem] = []
        self.params: list[Param] = []
        self.item_names: dict[tuple, str] = {}  # key path of a named list item -> its name

    def error(self, path: tuple, message: str, got: Any = _MISSING) -> None:
        if got is not _MISSING:
            message = f"{message} (got {_show(got)})"
        override = self.lines.override(path)
        if override is not None:
            self.problems.append(Problem(override, None, dotted(path), message))
        else:
            self.problems.append(Problem(self.lines.source, self.lines.line(path), dotted(path),
                                         message))

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
        return repr(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


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
                 dist: bool = True, default: Any = _MISSING, unit: str = ""):
        self.doc, self.low, self.high, self.low_open = doc, low, high, low_open
        self.high_open = high_open
        self.integer, self.dist, self.default, self.unit = integer, dist, default, unit

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
        return int(value) if self.integer else float(value)

    def _check_dist(self, value, path, ctx):
        dist, problems = parse_distribution(value)
        for key, message in problems:
            ctx.error(path + ((key,) if key else ()), message)
        if dist is None:
            return INVALID
        return self._accept_dist(dist, path, ctx)

    def _accept_dist(self, dist, path, ctx):
        """Range checks of a parsed distribution; the input becomes a :class:`Param`."""
        if not math.isfinite(dist.frozen.ppf(0.999999)) or not math.isfinite(dist.frozen.ppf(1e-6)):
            ctx.error(path, f"{dist.describe()} is too wide to simulate")
            return INVALID
        reaches = self._reaches_open_bound(dist)
        if reaches:
            ctx.error(path, f"{dist.describe()} can draw {reaches}, but this input must be "
                            f"{self._range_text()} on every path (a divisor or a rate that cannot "
                            f"reach its limit); use a lognormal, or a triangular, pert or uniform "
                            f"strictly inside the range")
            return INVALID
        outside = dist.mass_outside(self.low, self.high)
        if outside > 0.01:
            ctx.error(path, f"{dist.describe()} puts {outside:.1%} of its draws outside the valid "
                            f"range ({self._range_text()}); narrow it or pick a bounded distribution")
            return INVALID
        return ctx.add_param(path, dist, self.low, self.high)

    def _reaches_open_bound(self, dist) -> str:
        """Text such as 'values <= 0' when draws can come within 0.1% of an excluded bound.

        "Within 0.1%" is measured against the median's distance from the bound, at the
        most extreme draw the sampler makes (the 1e-12 quantile): a CAC drawn 1,000 times
        below its median, or a churn rate a hair from 100%, would swamp a simulation.
        """
        median = dist.median()
        if self.low_open and self.low is not None:
            if dist.frozen.ppf(1e-12) <= self.low + 1e-3 * (median - self.low):
                return f"values near or below {self.low:g}"
        if self.high_open and self.high is not None:
            if dist.frozen.ppf(1 - 1e-12) >= self.high - 1e-3 * (self.high - median):
                return f"values near or above {self.high:g}"
        return ""

    def schema(self):
        number: dict = {"type": "integer" if self.integer else "number"}
        if self.low is not None:
            number["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        if self.high is not None:
            number["exclusiveMaximum" if self.high_open else "maximum"] = self.high
        if not self.dist:
            return self._with_doc(number)
        interval = {"type": "string", "pattern": r"^\s*-?[0-9.eE+-]+\s+to\s+-?[0-9.eE+-]+\s*$",
                    "description": "a 90% interval 'LOW to HIGH' (lognormal if LOW > 0, else normal)"}
        return self._with_doc({"anyOf": [number, {"$ref": "#/$defs/distribution"}, interval]})


class Text(Field):
    """A string, optionally one of fixed choices."""

    def __init__(self, doc: str = "", *, choices: tuple[str, ...] | None = None,
                 default: Any = _MISSING):
        self.doc, self.choices, self.default = doc, choices, default

    def check(self, value, path, ctx):
        if not isinstance(value, str) or not value.strip():
            ctx.error(path, "must be a non-empty text", value)
            return INVALID
        if self.choices is not None and value not in self.choices:
            hint = difflib.get_close_matches(value, self.choices, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            ctx.error(path, f"must be one of {', '.join(self.choices)}{extra}", value)
            return INVALID
        return value

    def schema(self):
        out: dict = {"type": "string"}
        if self.choices:
            out["enum"] = list(self.choices)
        return self._with_doc(out)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: Any) -> np.datetime64 | None:
    """``"2027-03"``, ``"2027-03-01"`` or a YAML date -> ``datetime64[M]`` (None if not a month)."""
    if isinstance(value, _dt.date):
        return np.datetime64(f"{value.year:04d}-{value.month:02d}", "M")
    if isinstance(value, str):
        text = value.strip()
        match = _MONTH.match(text) or re.match(r"^(\d{4})-(\d{2})-(\d{2})$", text)
        if match and 1 <= int(match.group(2)) <= 12:
            return np.datetime64(f"{match.group(1)}-{match.group(2)}", "M")
    return None


class Flag(Field):
    """true or false."""

    def __init__(self, doc: str = "", *, default: Any = _MISSING):
        self.doc, self.default = doc, default

    def check(self, value, path, ctx):
        if not isinstance(value, bool):
            ctx.error(path, "must be true or false", value)
            return INVALID
        return value

    def schema(self):
        return self._with_doc({"type": "boolean"})


class Month(Field):
    """A calendar month, written ``YYYY-MM``."""

    def __init__(self, doc: str = "", *, default: Any = _MISSING):
        self.doc, self.default = doc, default

    def check(self, value, path, ctx):
        month = parse_month(value)
        if month is None:
            ctx.error(path, "must be a month written YYYY-MM", value)
            return INVALID
        return month

    def schema(self):
        return self._with_doc({"type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$"})


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
        kind = self.choose(value)
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
        hint = difflib.get_close_matches(str(value[self.key]), list(self.options), n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        ctx.error(path + (self.key,), f"must be one of {names}{extra}", value[self.key])

    def schema(self):
        return self._with_doc({"anyOf": [o.schema() for o in self.options.values()]})


def distribution_schema() -> dict:
    """JSON Schema of the ``{dist: ...}`` mapping."""
    variants = []
    for family, (shapes, _) in FAMILIES.items():
        for shape in shapes:
            kind = {"type": "array", "items": {"type": "number"}} if family == "choice" else \
                {"type": "number"}
            props = {"dist": {"const": family}} | {k: kind for k in shape}
            variants.append({"type": "object", "properties": props,
                             "required": ["dist", *shape], "additionalProperties": False})
    return {"description": "A distribution, sampled once per simulated path.", "oneOf": variants}
