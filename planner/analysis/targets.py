"""Outcomes, statistics and targets: the one small grammar the CLI and the library share.

An **outcome** is one number per path (shape ``(paths,)``); a **statistic** turns the
paths' outcomes into one number, with its Monte Carlo error; a **target** compares a
statistic with a threshold::

    target    := statistic OP number             P50(arr@2031-12) >= 50M
    statistic := Pnn(outcome) | mean(outcome)    P10(cash_trough), mean(ebitda:FY2030)
               | P(condition)                    P(cash_out by 2029-12), P(arr@2030-12 >= 30M)
    condition := flag | outcome OP number
    outcome   := series[:segment][@YYYY-MM | :FYnnnn]     arr, mrr:smb@2030-06, revenue:FY2029
               | metric:scope:FYnnnn                      cac:smb:FY2028, ltv_to_cac:blended:FY2029
               | cash_trough | cash_end | runway | raise_shortfall | ownership
               | cash_out [by YYYY-MM] | cash_below_minimum [by YYYY-MM]     (flags)
    OP        := >= | <= | > | <
    number    := [$€£]digits[_,.digits][K|M|B|%]     50M, $1.5B, 8K, 10%, 2_000

A bare series is read at the horizon; over a fiscal year (the plan's years, named as in
:mod:`planner.analysis.periods`) a flow is summed and a balance read at the year's last
month. Metrics come from :func:`planner.analysis.unit_economics.period_metrics` (NaN
where undefined; NaN paths are left out of quantiles and means, and fail conditions).
``runway`` is in months, censored at the horizon; ``raise_shortfall`` is the extra money
needed in the first month (``inf`` where impossible, see
:func:`planner.analysis.funding.raise_shortfall`).

>>> t = parse_target("P(cash_out by 2029-12) <= 10%", scenario)      # doctest: +SKIP
>>> t.evaluate(result)                                               # doctest: +SKIP
TargetResult(text='P(cash_out by 2029-12) <= 10%', value=0.04, error=0.004, met=True, ...)

Every class here is a plain dataclass, so outcomes, statistics and targets pickle (a
sweep sends them to worker processes).
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import asdict, dataclass

import numpy as np

from planner.analysis.funding import raise_shortfall
from planner.analysis.mc_error import Z95, proportion_interval, quantile_interval
from planner.analysis.metric_specs import METRIC_SPECS
from planner.analysis.periods import periods
from planner.analysis.stats import mean_across_paths, quantiles_across_paths
from planner.errors import Problem, ScenarioError
from planner.results import SimulationResult
from planner.series import SERIES_SPECS
from planner.analysis.unit_economics import UNIT_ECONOMICS_SERIES
from planner.format import money
from planner.format import plural

#: outcomes that are one number per path without a series name
NAMED = {"cash_trough": "money", "cash_end": "money", "runway": "months",
         "raise_shortfall": "money", "ownership": "fraction"}
#: outcomes that are a flag per path, optionally ``by YYYY-MM``
FLAGS = ("cash_out", "cash_below_minimum")
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "%": 0.01}
_NUMBER = re.compile(r"\s*([-+]?)\s*[$€£]?\s*([-+]?)(\d[\d_,]*(?:\.\d*)?|\.\d+)(?:e([-+]?\d+))?\s*([kKmMbB%]?)\s*$")
_MONTH = re.compile(r"(\d{4})-(\d{2})$")
_SERIES_UNITS = {"money": "money", "count": "count", "people": "count", "volume": "count",
                 "minutes": "count", "flag": "flag"}


class _Error(Exception):
    """A parse error at a character (0-based index into the whole text)."""

    def __init__(self, message: str, at: int, got: str | None = None, hint: str = ""):
        super().__init__(message)
        self.message, self.at, self.got, self.hint = message, at, got, hint


def _fail(source: str, text: str, err: _Error) -> ScenarioError:
    got = f" (got {err.got!r})" if err.got is not None else ""
    return ScenarioError([Problem(source, None, text,
                                  f"{err.message} at character {err.at + 1}{got}{err.hint}")])


# --------------------------------------------------------------------------- outcomes

@dataclass(frozen=True)
class Outcome:
    """A per-path outcome.

    Attributes
    ----------
    text : str
        As written (stripped).
    unit : {"money", "count", "months", "fraction", "ratio", "flag"}
    keep : tuple of str
        Series a simulation must keep to compute it.
    by_segment : bool
        Whether it needs series kept by segment.
    kind : {"series", "period", "metric", "named", "flag"}
    name : str
        Series, metric or named outcome.
    segment : str or None
        Segment (series) or scope (metric: ``blended`` or a segment).
    first, last : int
        Month indices (inclusive): the month read, or the fiscal year.
    flow : bool
        A flow (summed over ``first..last``) or a balance (read at ``last``).
    period : str
        Fiscal year label of a metric (``FY2028``).
    """

    text: str
    unit: str
    keep: tuple[str, ...]
    by_segment: bool
    kind: str
    name: str
    segment: str | None = None
    first: int = 0
    last: int = 0
    flow: bool = False
    period: str = ""

    def values(self, result: SimulationResult) -> np.ndarray:
        """The outcome on every path of ``result``, shape (paths,), float (flags 0/1)."""
        return np.asarray(_VALUES[self.kind](self, result), dtype=float)


def _series_values(o: Outcome, result: SimulationResult) -> np.ndarray:
    data = result.total(o.name) if o.segment is None else result.segment(o.name, o.segment)
    if o.flow:
        return data[:, o.first:o.last + 1].sum(axis=1)
    return data[:, o.last].copy()


def _metric_values(o: Outcome, result: SimulationResult) -> np.ndarray:
    from planner.analysis.unit_economics import period_metrics  # heavy: only when asked

    pm = period_metrics(result, "year")
    index = [p.label for p in pm.periods].index(o.period)
    return pm.values[o.segment][o.name][:, index]


def _named_values(o: Outcome, result: SimulationResult) -> np.ndarray:
    if o.name == "cash_trough":
        return result.cash_trough()
    if o.name == "cash_end":
        return result.total("cash")[:, -1].copy()
    if o.name == "runway":
        return result.runway_months().astype(float)
    if o.name == "raise_shortfall":
        return raise_shortfall(result, month=0)
    return result.ownership.copy()


def _flag_values(o: Outcome, result: SimulationResult) -> np.ndarray:
    cash = result.total("cash")[:, : o.last + 1]
    floor = 0.0 if o.name == "cash_out" else result.minimum_cash[:, None]
    return (cash < floor).any(axis=1)


_VALUES = {"series": _series_values, "period": _series_values, "metric": _metric_values,
           "named": _named_values, "flag": _flag_values}


def parse_outcome(text: str, scenario, *, source: str = "--target") -> Outcome:
    """Parse a per-path outcome (see the module notes for the vocabulary).

    Raises
    ------
    ScenarioError
        With the character the problem is at, and a suggestion for unknown names.
    """
    try:
        return _outcome(text, 0, scenario)
    except _Error as err:
        raise _fail(source, text.strip(), err) from None


def _outcome(whole: str, start: int, scenario, end: int | None = None) -> Outcome:
    """Parse ``whole[start:end]`` as an outcome; positions in errors are into ``whole``."""
    end = len(whole) if end is None else end
    raw = whole[start:end]
    lead = len(raw) - len(raw.lstrip())
    text, at = raw.strip(), start + lead
    if not text:
        raise _Error("expected an outcome (a series such as arr@2031-12, or cash_trough)", at)
    flag = re.match(r"(\w+)\s+by\s+(\S+)$", text)
    if flag:
        return _flag(text, flag, at, scenario)
    if text in FLAGS:
        return Outcome(text, "flag", ("cash",), False, "flag", text, last=scenario.horizon - 1)
    if text in NAMED:
        keep = ("cash_if_funded",) if text == "raise_shortfall" else ("cash",)
        return Outcome(text, NAMED[text], keep, False, "named", text)
    name_end = re.match(r"[A-Za-z_]\w*", text)
    if not name_end:
        raise _Error("expected a series or outcome name", at, text[:1])
    name, rest = name_end.group(0), text[name_end.end():]
    if rest.count(":") == 2 and "@" not in rest and name in METRIC_SPECS:
        return _metric(text, name, rest, at, scenario)
    return _series(text, name, rest, at, scenario)


def _flag(text: str, match: re.Match, at: int, scenario) -> Outcome:
    name = match.group(1)
    if name not in FLAGS:
        raise _Error(f"'by' applies to {' and '.join(FLAGS)}", at, name, _hint(name, FLAGS))
    last = _month_index(match.group(2), at + match.start(2), scenario)
    return Outcome(text, "flag", ("cash",), False, "flag", name, last=last)


def _metric(text: str, name: str, rest: str, at: int, scenario) -> Outcome:
    _, scope, period = rest.split(":")
    scopes = ("blended", *scenario.segment_names)
    scope_at = at + len(name) + 1
    if scope not in scopes:
        raise _Error("not a segment or 'blended'", scope_at, scope, _hint(scope, scopes))
    if METRIC_SPECS[name].company_only and scope != "blended":
        raise _Error(f"{name} is a company metric: use {name}:blended:...", scope_at, scope)
    year = _fiscal_year(period, scope_at + len(scope) + 1, scenario)
    unit = {"months": "months"}.get(METRIC_SPECS[name].unit, METRIC_SPECS[name].unit)
    return Outcome(text, unit, _unit_economics_series(scenario), True, "metric", name, scope,
                   year.first, year.last, False, year.label)


def _unit_economics_series(scenario) -> tuple[str, ...]:

    return tuple(UNIT_ECONOMICS_SERIES)


def _series(text: str, name: str, rest: str, at: int, scenario) -> Outcome:
    spec = SERIES_SPECS.get(name)
    if spec is None:
        choices = tuple(SERIES_SPECS) + tuple(NAMED) + FLAGS + tuple(METRIC_SPECS)
        raise _Error("no such series or outcome", at, name, _hint(name, choices))
    if spec.level == "role":
        raise _Error(f"{name} is per role; targets read company or segment series", at, name)
    pos, segment = at + len(name), None
    seg = re.match(r":([A-Za-z_][\w-]*)(?=$|@)", rest) if not re.match(r":FY", rest) else None
    if seg:
        segment = seg.group(1)
        if spec.level != "segment":
            raise _Error(f"{name} is a company-level series, not per segment", pos + 1, segment)
        if segment not in scenario.segment_names:
            raise _Error("no such segment", pos + 1, segment, _hint(segment, scenario.segment_names))
        rest, pos = rest[seg.end():], pos + seg.end()
    keep, by_segment, unit = (name,), segment is not None, _SERIES_UNITS.get(spec.unit, "count")
    if not rest:
        return Outcome(text, unit, keep, by_segment, "series", name, segment,
                       scenario.horizon - 1, scenario.horizon - 1)
    if rest.startswith("@"):
        month = _month_index(rest[1:], pos + 1, scenario)
        return Outcome(text, unit, keep, by_segment, "series", name, segment, month, month)
    if rest.startswith(":"):
        year = _fiscal_year(rest[1:], pos + 1, scenario)
        return Outcome(text, unit, keep, by_segment, "period", name, segment, year.first,
                       year.last, spec.flow, year.label)
    raise _Error("expected @YYYY-MM, :FYnnnn or :segment after the series name", pos, rest)


def _month_index(text: str, at: int, scenario) -> int:
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise _Error("not a month", at, text.strip())
    months = [str(m) for m in scenario.months]
    if text.strip() not in months:
        raise _Error(f"outside the plan ({months[0]} to {months[-1]})", at, text.strip())
    return months.index(text.strip())


def _fiscal_year(text: str, at: int, scenario):
    years = periods(scenario.months, "year")
    labels = [p.label for p in years]
    if not re.fullmatch(r"FY\d{4}", text):
        raise _Error(f"not a fiscal year (FY2028; this plan has {', '.join(labels)})", at, text)
    if text not in labels:
        raise _Error(f"outside the plan (its fiscal years are {', '.join(labels)})", at, text)
    return years[labels.index(text)]


def _hint(name: str, choices) -> str:
    hint = difflib.get_close_matches(name, list(choices), n=1)
    return f"; did you mean {hint[0]!r}?" if hint else ""


# --------------------------------------------------------------------------- statistics

@dataclass(frozen=True)
class Statistic:
    """One number from per-path outcomes.

    Attributes
    ----------
    text : str
    outcome : Outcome
    kind : {"quantile", "mean", "probability"}
    q : float
        The quantile (``P10`` -> 0.1).
    op : str or None
        The condition's operator (a probability of ``outcome OP threshold``); None: the
        outcome is a flag.
    threshold : float
        The condition's number.
    """

    text: str
    outcome: Outcome
    kind: str
    q: float = 0.5
    op: str | None = None
    threshold: float = 0.0

    @property
    def unit(self) -> str:
        """The statistic's unit: a probability is a fraction, else the outcome's."""
        return "fraction" if self.kind == "probability" else self.outcome.unit

    def value(self, result: SimulationResult) -> float:
        """The statistic on ``result``."""
        return self.of(self.outcome.values(result))

    def of(self, values: np.ndarray) -> float:
        """The statistic of per-path outcome values (shape (paths,))."""
        if self.kind == "probability":
            return float(self._hits(values).mean())
        if self.kind == "mean":
            return float(mean_across_paths(values))
        return float(quantiles_across_paths(values, (self.q,))[0])

    def error(self, values: np.ndarray) -> float:
        """Monte Carlo standard error of :meth:`of` (order-statistic interval for a
        quantile, Wilson for a probability, sd / sqrt(n) for a mean; half the 95%
        interval / 1.96)."""
        if self.kind == "probability":
            hits = self._hits(values)
            low, high = proportion_interval(int(hits.sum()), hits.size)
            return float((high - low) / (2 * Z95))
        finite = values[~np.isnan(values)]
        if finite.size < 2:
            return math.nan
        if self.kind == "mean":
            return float(finite.std(ddof=1) / math.sqrt(finite.size))
        low, high = quantile_interval(finite, self.q)
        if math.isinf(low) and low == high:
            return 0.0  # every path in the interval is impossible (inf): no doubt about it
        return float((high - low) / (2 * Z95)) if np.isfinite(high - low) else math.inf

    def _hits(self, values: np.ndarray) -> np.ndarray:
        if self.op is None:
            return values > 0.5
        return _compare(values, self.op, self.threshold)


def _compare(a, op: str, b):
    with np.errstate(invalid="ignore"):
        return {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less}[op](a, b)


def parse_statistic(text: str, scenario, *, source: str = "--target") -> Statistic:
    """Parse ``P50(...)``, ``Pnn(...)``, ``mean(...)`` or ``P(condition)``.

    Raises
    ------
    ScenarioError
        Pointing at the offending character.
    """
    try:
        _check_parentheses(text)
        return _statistic(text, 0, len(text), scenario)
    except _Error as err:
        raise _fail(source, text.strip(), err) from None


def _statistic(whole: str, start: int, end: int, scenario) -> Statistic:
    raw = whole[start:end]
    at = start + len(raw) - len(raw.lstrip())
    text = raw.strip()
    head = re.match(r"(P(\d{1,2}(?:\.\d+)?)?|mean|median)\s*\(", text, re.IGNORECASE)
    if not head:
        raise _Error("expected a statistic: Pnn(outcome), mean(outcome) or P(condition)", at,
                     text[:12])
    if not text.endswith(")"):
        raise _Error("missing ')'", at + len(text), text[-1:])
    inner_start, inner_end = at + head.end(), at + len(text) - 1
    word = head.group(1).lower()
    if word == "p":
        return _probability(text, whole, inner_start, inner_end, scenario)
    outcome = _outcome(whole, inner_start, scenario, inner_end)
    if outcome.unit == "flag":
        raise _Error(f"{outcome.name} is a yes/no outcome: use P({outcome.text})", inner_start,
                     outcome.text)
    if word == "mean":
        return Statistic(text, outcome, "mean")
    q = 50.0 if word == "median" else float(head.group(2))
    if not 0 < q < 100:
        raise _Error("a percentile is between P1 and P99", at, head.group(1))
    return Statistic(text, outcome, "quantile", q / 100)


def _probability(text: str, whole: str, start: int, end: int, scenario) -> Statistic:
    op, op_at = _find_operator(whole, start, end)
    if op is None:
        outcome = _outcome(whole, start, scenario, end)
        if outcome.unit != "flag":
            raise _Error("P(...) needs a condition, such as P(arr@2030-12 >= 30M), or a flag "
                         "(cash_out); for a percentile write P50(...)", start, outcome.text)
        return Statistic(text, outcome, "probability")
    outcome = _outcome(whole, start, scenario, op_at)
    if outcome.unit == "flag":
        raise _Error(f"{outcome.name} is a yes/no outcome: write P({outcome.name})", op_at, op)
    threshold = _number(whole, op_at + len(op), end)
    return Statistic(text, outcome, "probability", op=op, threshold=threshold)


def _find_operator(whole: str, start: int, end: int) -> tuple[str | None, int]:
    """The first comparison operator in ``whole[start:end]`` outside parentheses."""
    depth = 0
    for i in range(start, end):
        ch = whole[i]
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch in "<>=":
            two = whole[i:i + 2]
            if two in (">=", "<="):
                return two, i
            if ch in "<>":
                return ch, i
            raise _Error("expected >=, <=, > or <", i, whole[i:i + 2])
    return None, -1


def _number(whole: str, start: int, end: int) -> float:
    """A number with an optional currency symbol and K/M/B/% suffix."""
    text = whole[start:end]
    at = start + len(text) - len(text.lstrip())
    match = _NUMBER.match(text)
    if not match or (match.group(1) and match.group(2)):
        raise _Error("not a number (examples: 50M, $1.5B, 8K, 10%, 2_000)", at, text.strip())
    digits = match.group(3).replace("_", "").replace(",", "")
    value = float(digits) * 10.0 ** int(match.group(4) or 0) * _SUFFIX.get(match.group(5).lower(), 1.0)
    return -value if "-" in (match.group(1) + match.group(2)) else value


# --------------------------------------------------------------------------- targets

@dataclass(frozen=True)
class TargetResult:
    """A target evaluated on a simulation.

    Attributes
    ----------
    text : str
    value : float
        The statistic achieved (a probability as a fraction).
    error : float
        Its Monte Carlo standard error.
    met : bool
    threshold : float
    op : str
    unit : str
        The statistic's unit.
    paths : int
    """

    text: str
    value: float
    error: float
    met: bool
    threshold: float
    op: str = ">="
    unit: str = "money"
    paths: int = 0

    def to_dict(self) -> dict:
        """JSON-ready (non-finite numbers as None)."""
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Target:
    """A statistic, an operator and a threshold: ``P50(arr@2031-12) >= 50M``."""

    text: str
    statistic: Statistic
    op: str
    threshold: float

    @property
    def outcome(self) -> Outcome:
        return self.statistic.outcome

    def met_by(self, value: float) -> bool:
        """Whether a statistic value meets the target (NaN never does)."""
        return bool(_compare(value, self.op, self.threshold))

    def gap(self, value: float) -> float:
        """Signed distance to the threshold: >= 0 where ``value`` meets it (for >= and >)."""
        return value - self.threshold if self.op in (">=", ">") else self.threshold - value

    def evaluate_values(self, values: np.ndarray) -> TargetResult:
        """:class:`TargetResult` from per-path outcome values, shape (paths,)."""
        value = self.statistic.of(values)
        return TargetResult(self.text, value, self.statistic.error(values), self.met_by(value),
                            self.threshold, self.op, self.statistic.unit, int(values.size))

    def evaluate(self, result: SimulationResult) -> TargetResult:
        """The target on ``result`` (which must keep :attr:`Outcome.keep`)."""
        return self.evaluate_values(self.outcome.values(result))


def parse_target(text: str, scenario, *, source: str = "--target") -> Target:
    """Parse ``statistic OP number`` (see the module notes).

    Raises
    ------
    ScenarioError
        One :class:`~planner.errors.Problem` whose message names the character, e.g.
        ``--target: P50(arr@2031-13) >= 50M: not a month at character 9 (got '2031-13')``.
    """
    try:
        _check_parentheses(text)
        op, op_at = _find_operator(text, 0, len(text))
        if op is None:
            raise _Error("expected a comparison (>=, <=, > or <) and a number after the "
                         "statistic", len(text.rstrip()))
        statistic = _statistic(text, 0, op_at, scenario)
        threshold = _number(text, op_at + len(op), len(text))
        if statistic.kind == "probability" and not 0 <= threshold <= 1:
            raise _Error("a probability is between 0 and 1 (or 0% and 100%)",
                         op_at + len(op) + 1, text[op_at + len(op):].strip())
    except _Error as err:
        raise _fail(source, text.strip(), err) from None
    return Target(text.strip(), statistic, op, threshold)


def _check_parentheses(text: str) -> None:
    opened: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            opened.append(i)
        elif ch == ")":
            if not opened:
                raise _Error("')' without a matching '('", i, ")")
            opened.pop()
    if opened:
        raise _Error("'(' is never closed", opened[-1], "(")


def parse_targets(texts, scenario, *, source: str = "--target") -> list[Target]:
    """Parse several targets, reporting every problem at once."""
    out, problems = [], []
    for text in texts:
        if isinstance(text, Target):
            out.append(text)
            continue
        try:
            out.append(parse_target(text, scenario, source=source))
        except ScenarioError as err:
            problems += err.problems
    if problems:
        raise ScenarioError(problems)
    return out


def needs(targets) -> tuple[tuple[str, ...], bool]:
    """Series the targets' outcomes need, and whether any needs them by segment."""
    keep = tuple(dict.fromkeys(name for t in targets for name in t.outcome.keep))
    return keep, any(t.outcome.by_segment for t in targets)


# --------------------------------------------------------------------------- text

def format_value(value: float, unit: str, currency: str = "USD") -> str:
    """A statistic's value as a person reads it: ``$34.2M``, ``12.5%``, ``18.0 months``."""

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a (undefined on every path)"
    if isinstance(value, float) and math.isinf(value):
        return "unbounded" if value > 0 else "-unbounded"
    if unit == "money":
        return money(value, currency)
    if unit == "fraction":
        return f"{100 * value:.2f}%" if 0 < abs(value) < 0.01 else f"{100 * value:.1f}%"
    if unit == "months":
        return f"{value:.1f} months"
    if unit == "ratio":
        return f"{value:.2f}x"
    return f"{value:,.1f}"


def format_statistic(result: TargetResult, currency: str = "USD") -> str:
    """``$34.2M ± $0.1M`` (the Monte Carlo standard error)."""
    shown = format_value(result.value, result.unit, currency)
    if result.error is None or not math.isfinite(result.error) or not math.isfinite(result.value):
        return shown
    return f"{shown} ± {format_value(result.error, result.unit, currency)}"


def target_line(result: TargetResult, currency: str = "USD") -> str:
    """One line per target: ``P50(arr@2031-12) >= 50M: $34.2M ± $0.1M  NOT MET``."""
    return f"{result.text}: {format_statistic(result, currency)}  {'met' if result.met else 'NOT MET'}"


def targets_text(rows: list[dict], currency: str = "USD") -> str:
    """The terminal block of ``planner run --target``: one line per target, from
    ``summary["targets"]`` (:meth:`TargetResult.to_dict` rows)."""

    lines = ["", "Targets (statistic ± Monte Carlo standard error):"]
    for row in rows:
        result = TargetResult(row["text"], _nan(row["value"]), _nan(row["error"]), row["met"],
                              row["threshold"], row["op"], row["unit"], row["paths"])
        lines.append(f"  {target_line(result, currency)}  ({plural(row['paths'], 'path')})")
    return "\n".join(lines)


def _nan(x) -> float:
    return math.nan if x is None else float(x)
