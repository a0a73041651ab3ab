"""The reforecast: a scenario restarted from the last closed month's actual book.

``reforecast("plan.yaml", "ledger.csv", financials="fin.csv", as_of="2027-06")`` reads
the scenario's YAML tree, moves its start to the month after ``as_of`` keeping its end
(:func:`planner.scenario.rebase.rebase`: schedules, growth, hires, rounds, loans), takes
each segment's opening book from the ledger (``opening.from_actuals``, the ledger read
once), the opening cash from the financials, optionally each segment's retention refitted
from the ledger's cohorts, and validates the result like any scenario file. The closed
months (the plan's original start to ``as_of``) come back as :class:`ClosedMonths`, which
the run's charts draw as actuals before the simulated fan.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planner.actuals.movements import movements
from planner.actuals.opening import closing_cash
from planner.actuals.readers import load_format, read_financials, read_ledger
from planner.errors import PlannerError, Problem, ScenarioError
from planner.format import count, money
from planner.scenario.loader import read_text, scenario_from_data
from planner.scenario.overrides import apply_overrides
from planner.scenario.rebase import WARNING, RebaseError, rebase
from planner.scenario.spec import parse_month
from planner.scenario.yamltree import parse_yaml

__all__ = ["ClosedMonths", "Reforecast", "closed_months", "reforecast"]

#: the plan's cost lines compared with the financials at the close (series of ``track``)
COST_SERIES = ("headcount", "sm_expense", "rnd_expense", "cs_expense", "ga_expense")
#: a difference within this share of the plan's P50 is a note, not a warning
COST_TOLERANCE = 0.05
#: a refit whose ln alpha or ln beta has a larger standard error is not used (95% CI wider
#: than a factor of about 7 either way)
MAX_LOG_SD = 1.0
#: paths of the original plan simulated for that comparison
COMPARE_PATHS = 500


@dataclass(frozen=True, eq=False)
class ClosedMonths:
    """The actual months before a reforecast's start: from the plan's original start
    (or the ledger's first month, if later) to ``as_of``, company totals.

    Attributes
    ----------
    months : ndarray of datetime64[M], shape (n,)
    currency : str
    arr, customers : ndarray, shape (n,)
        12 x closing MRR (currency) and paying customers at each month end.
    cash : ndarray, shape (n,)
        The financials' cash balance at each month end; NaN where not reported (all NaN
        without financials).
    flows : dict of str -> ndarray, shape (n,)
        The MRR movements named as the plan's series: ``new_mrr`` (new business and
        reactivation), ``expansion_mrr``, ``contraction_mrr``, ``churned_mrr``.
    """

    months: np.ndarray
    currency: str
    arr: np.ndarray
    customers: np.ndarray
    cash: np.ndarray
    flows: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        num = (lambda x: None if not np.isfinite(x) else float(x))
        return {"months": [str(m) for m in self.months], "arr": [float(x) for x in self.arr],
                "customers": [int(x) for x in self.customers], "cash": [num(x) for x in self.cash]}


@dataclass(frozen=True, eq=False)
class Reforecast:
    """A scenario restarted from the actuals, and what was done to get it.

    Attributes
    ----------
    scenario : Scenario
        Starts the month after ``as_of``, ends where the original did.
    notes : list of str
        Every change made to the scenario, and what was kept as written.
    warnings : list of str
        What the user should act on: an input that could not be rebased exactly, the
        financials' headcount or spend at the close far from the plan's.
    as_of : datetime64[M]
    closed : ClosedMonths
    refits : list of dict
        With ``refit_retention``: per segment refitted, ``segment``, ``alpha``, ``beta``,
        their 95% intervals, ``period``, ``cohorts``, ``customers``.
    original_start : datetime64[M]
        The plan's own start (its fiscal years start in that month).
    cash_from_financials : bool
        Whether ``opening.cash`` is the financials' cash at the close.
    """

    scenario: object
    notes: list
    warnings: list
    as_of: np.datetime64
    closed: ClosedMonths
    refits: list = field(default_factory=list)
    original_start: np.datetime64 | None = None
    cash_from_financials: bool = False

    def summary(self) -> dict:
        """JSON-ready, for summary.json's ``reforecast`` key."""
        return {"as_of": str(self.as_of), "notes": list(self.notes), "warnings": list(self.warnings),
                "refitted_retention": list(self.refits), "original_start": str(self.original_start),
                "closed_months": self.closed.to_dict()}

    def opening_line(self) -> str:
        """``Reforecast from the close of 2027-06 (actuals): ARR $4.1M, 312 customers, cash $8.8M``."""
        sc, cur = self.scenario, self.closed.currency
        arr = 12.0 * sum(s.opening_mrr for s in sc.segments)
        n = sum(s.opening_customers for s in sc.segments)
        cash = f", cash {money(float(sc.opening_cash), cur)}" if self.cash_from_financials else ""
        return (f"Reforecast from the close of {self.as_of} (actuals): ARR {money(arr, cur)}, "
                f"{count(n)} customers{cash}; simulated from {self.as_of + 1}")


def reforecast(path: str | os.PathLike, ledger: str | os.PathLike, financials: str | os.PathLike | None = None,
               as_of: str | None = None, mapping: str | os.PathLike | None = None,
               overrides: list[str] | tuple[str, ...] = (), *, refit_retention: bool = False) -> Reforecast:
    """The scenario at ``path`` restarted from the ledger's book at the close of ``as_of``.

    Parameters
    ----------
    path : path-like
        The scenario YAML (``overrides``, ``--set`` items, are applied before the rebase).
    ledger : path-like
        The subscription ledger (CSV), read once: each segment's opening book, the closed
        months and the cohorts of a refit come from it.
    financials : path-like, optional
        Monthly financials: ``opening.cash`` becomes their cash at the close of ``as_of``;
        their headcount and spend at that close are compared with the plan's (a warning
        when outside its P10-P90).
    as_of : str, optional
        The last closed month ``YYYY-MM`` (default: the ledger's latest month with a start
        or an end). The simulation starts the month after and ends where the scenario does.
    mapping : path-like, optional
        The ledger's column mapping (YAML).
    refit_retention : bool
        Replace each segment's retention by an sBG fit to the ledger's cohorts
        (:func:`planner.fit.fit_retention`, its parameter covariance carried as ``log_cov``).

    Returns
    -------
    Reforecast

    Raises
    ------
    PlannerError
        A bad ``as_of`` (one line), or the ledger's, financials' or the rebased
        scenario's problems.
    """
    source = str(path)
    data, lines = parse_yaml(read_text(path), source)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, None, "", "the top level must be a mapping of keys")])
    data, sources = apply_overrides(data, overrides)
    lines.overrides.update(sources)
    ledger_path, mapping_path = Path(ledger).resolve(), Path(mapping).resolve() if mapping else None
    book = read_ledger(ledger_path, load_format(mapping_path) if mapping_path else None)
    month = _as_of(book, as_of)
    notes = []
    if month > book.last_event_month:
        notes.append(f"as_of {month} is after the ledger's last start or end ({book.last_event_month}): "
                     "the book is carried forward unchanged to its close")
    fin = cash = None
    if financials is not None:
        fin = read_financials(financials)
        cash = closing_cash(fin, month)
        if cash is None:
            raise PlannerError(f"{financials}: no cash balance for {month}, the as_of month")
    mrr = book.monthly_mrr(month)
    refits = _refit(data, mrr, notes) if refit_retention else []
    original = data
    data, changes = rebase(data, str(month + 1), ledger=str(ledger_path), as_of=str(month),
                           mapping=str(mapping_path) if mapping_path else None, cash=cash)
    warnings = [c[len(WARNING):] for c in changes if c.startswith(WARNING)]
    notes += [c for c in changes if not c.startswith(WARNING)]
    key = (str(ledger_path), str(mapping_path) if mapping_path else None)
    scenario = scenario_from_data(data, lines, ledgers={key: (book, mrr)})
    if fin is not None:
        more_notes, more_warnings = _cost_check(original, lines, fin, month, key, book)
        notes += more_notes
        warnings += more_warnings
    start = np.datetime64(str(original.get("start")), "M")
    return Reforecast(scenario, notes, warnings, month, closed_months(mrr, fin, start, month), refits, start,
                      cash is not None)


def _as_of(book, as_of) -> np.datetime64:
    if as_of is None:
        month = book.last_event_month
    else:
        month = parse_month(as_of)
        if month is None:
            raise RebaseError(f"as_of must be a month YYYY-MM (got {as_of!r})")
    if month < book.first_month:
        raise RebaseError(f"as_of {month} is before the ledger's first month {book.first_month}")
    return month


def closed_months(mrr, financials, original_start, as_of) -> ClosedMonths:
    """The company's actuals from ``original_start`` (or the book's first month) to ``as_of``.

    Parameters
    ----------
    mrr : CustomerMrr
        Each customer's MRR at every month end through ``as_of``.
    financials : Financials or None
    original_start, as_of : datetime64[M]

    Returns
    -------
    ClosedMonths
        Empty (no months) when ``as_of`` is before ``original_start``.
    """
    first = max(np.datetime64(original_start, "M"), mrr.months[0])
    j = mrr.month_index(as_of) + 1
    if first > as_of:
        empty = np.zeros(0)
        return ClosedMonths(mrr.months[:0], mrr.currency, empty, empty, empty,
                            {k: empty for k in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")})
    i = mrr.month_index(first)
    # only the closed months are classified (the ledger may hold years before them); a
    # return after a gap is then new rather than reactivation, and the two are added below
    mv = movements(dataclasses.replace(mrr, months=mrr.months[i:j], cents=mrr.cents[:, i:j],
                                       opening=mrr.cents[:, i - 1] if i > 0 else mrr.opening))
    months = mv.months
    cash = np.full(len(months), np.nan)
    if financials is not None and "cash" in financials.values:
        at = {m: v for m, v in zip(financials.months, financials.values["cash"])}
        cash = np.array([at.get(m, np.nan) for m in months], dtype=float)
    flows = {"new_mrr": mv.amount("new") + mv.amount("reactivation"), "expansion_mrr": mv.amount("expansion"),
             "contraction_mrr": mv.amount("contraction"), "churned_mrr": mv.amount("churned")}
    return ClosedMonths(months, mrr.currency, 12.0 * mv.amount("closing"), mv.count("closing").astype(float),
                        cash, flows)


def _refit(data: dict, mrr, notes: list[str]) -> list[dict]:
    """Each segment's ``retention`` replaced in ``data`` by an sBG fit to the ledger's cohorts."""
    from planner.actuals.cohorts import cohort_history
    from planner.fit import fit_retention

    out = []
    segments = data.get("segments") if isinstance(data.get("segments"), dict) else {}
    for name, seg in segments.items():
        if not isinstance(seg, dict) or name not in mrr.segments:
            continue
        contract = seg.get("contract") if isinstance(seg.get("contract"), dict) else {}
        period = "year" if contract.get("term_months", 1) == 12 else "month"  # annual contracts renew yearly
        try:
            fit = fit_retention(cohort_history(mrr, period), period=period, segment=str(name))
        except (ScenarioError, ValueError) as err:
            notes.append(f"segments.{name}.retention: kept as written, not refitted ({_first_line(err)})")
            continue
        sd = np.sqrt(np.diag(fit.cov_log))
        if not np.isfinite(sd).all() or sd.max() > MAX_LOG_SD:
            notes.append(f"segments.{name}.retention: kept as written, not refitted (sBG by {period}: the fit is "
                         f"too loosely determined to use, standard error of ln alpha {sd[0]:.3g}, ln beta "
                         f"{sd[1]:.3g}; {fit.notes[0] if fit.notes else 'more cohorts or a longer history narrow it'})")
            continue
        z = 1.959963984540054
        ci = {p: [float(np.exp(np.log(v) - z * np.sqrt(fit.cov_log[i, i]))),
                  float(np.exp(np.log(v) + z * np.sqrt(fit.cov_log[i, i])))]
              for i, (p, v) in enumerate((("alpha", fit.alpha), ("beta", fit.beta)))}
        seg["retention"] = {"model": "sbg", "alpha": float(fit.alpha), "beta": float(fit.beta), "period": period,
                            "log_cov": [[float(x) for x in row] for row in fit.cov_log]}
        out.append({"segment": str(name), "alpha": float(fit.alpha), "beta": float(fit.beta),
                    "alpha_95": ci["alpha"], "beta_95": ci["beta"], "period": period,
                    "cohorts": int(fit.n_cohorts), "customers": int(fit.n_customers)})
        notes.append(f"segments.{name}.retention: refitted from the ledger's cohorts (sBG by {period}, "
                     f"{fit.n_cohorts} cohorts, {fit.n_customers:,.0f} customers): alpha {fit.alpha:.3g} "
                     f"(95% CI {ci['alpha'][0]:.3g} to {ci['alpha'][1]:.3g}), beta {fit.beta:.3g} "
                     f"(95% CI {ci['beta'][0]:.3g} to {ci['beta'][1]:.3g}); each path draws (alpha, beta) "
                     "from that uncertainty")
    return out


def _first_line(err: Exception) -> str:
    if isinstance(err, ScenarioError) and err.problems:
        return err.problems[0].message
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _cost_check(original: dict, lines, fin, month, key, book) -> tuple[list[str], list[str]]:
    """The financials' headcount and spend at the close of ``month`` against the original
    plan's range there (:data:`COMPARE_PATHS` paths): a note per series, a warning instead
    when outside its P10-P90 and more than :data:`COST_TOLERANCE` from its P50. The plan's
    cost lines are kept: the reforecast does not replace them (its hires are assumed to
    have happened).

    Returns
    -------
    notes, warnings : list of str
    """
    wanted = [s for s in COST_SERIES if s in fin.values and np.isfinite(
        fin.values[s][fin.months == month]).any()]
    start = np.datetime64(str(original.get("start")), "M")
    if not wanted or month < start:
        return [], []
    from planner.actuals.track import track
    from planner.simulation import simulate

    plan = scenario_from_data(original, lines, ledgers={key: book})  # its own as_of: the ledger only
    result = simulate(plan, paths=min(plan.paths, COMPARE_PATHS), keep=wanted, by_segment=False)
    tracked = track(result, None, fin, series=wanted)
    i = int(np.flatnonzero(tracked.months == month)[0])
    notes, warnings = [], []
    for name in wanted:
        s = tracked.series[name]
        show = (lambda v: count(round(float(v)))) if s.unit == "count" else (lambda v: money(float(v), plan.currency))
        diff = float(s.actual[i] - s.p50[i])
        share = f", {diff / s.p50[i]:+.0%}" if s.p50[i] else ""
        spread = "" if s.p10[i] == s.p90[i] else f"; P10-P90 {show(s.p10[i])} to {show(s.p90[i])}"
        line = (f"financials at {month}: {s.label if name != 'headcount' else 'headcount'} {show(s.actual[i])}, "
                f"the plan's {show(s.p50[i])} (P50{spread}): {'+' if diff >= 0 else '-'}{show(abs(diff))}{share}")
        if s.inside[i] or abs(diff) <= COST_TOLERANCE * abs(float(s.p50[i])):
            notes.append(line)
        else:
            warnings.append(line + ": outside the plan's range, and the reforecast keeps the plan's cost "
                            "lines; edit costs to reforecast from the actual "
                            + ("team" if name == "headcount" else "spend"))
    return notes, warnings
