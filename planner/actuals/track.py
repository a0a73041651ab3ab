"""Plan vs actual: where each actual month landed in the plan's range of outcomes.

For every month with actuals inside the plan's horizon and every tracked series, the
actual stands next to the plan's P10 / P50 / P90 across paths, its percentile in the
plan's distribution, and its variance against the P50 (the month and the year to date).
A calibration line says how many actuals fell inside P10-P90 (a calibrated plan puts
about 80% there) and whether the plan has been too optimistic: the mean of the
percentiles oriented so that 0 is "worse than every path", and a one-sided binomial
test of how many actuals were worse than the plan's median.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import binomtest

from planner.actuals.movements import Movements, movements
from planner.actuals.mrr import CustomerMrr
from planner.actuals.readers import Financials, Ledger, read_books, read_financials
from planner.format import count, money

__all__ = ["TRACKED", "Tracked", "Tracking", "track", "tracking_text"]

#: tracked series -> (label, kind: stock or flow, +1 higher is better / -1 lower / 0 neither, unit)
TRACKED = {
    "arr": ("ARR", "stock", 1, "money"),
    "customers": ("Customers", "stock", 1, "count"),
    "new_mrr": ("New MRR", "flow", 1, "money"),
    "churned_mrr": ("Churned MRR", "flow", -1, "money"),
    "revenue": ("Revenue", "flow", 1, "money"),
    "cash": ("Cash", "stock", 1, "money"),
    "opex": ("Operating spend", "flow", -1, "money"),
    "sm_expense": ("S&M spend", "flow", -1, "money"),
    "rnd_expense": ("R&D spend", "flow", -1, "money"),
    "cs_expense": ("CS spend", "flow", -1, "money"),
    "ga_expense": ("G&A spend", "flow", -1, "money"),
    "headcount": ("Headcount", "stock", 0, "count"),
}
BANDS = (0.10, 0.25, 0.50, 0.75, 0.90)


@dataclass(frozen=True, eq=False)
class Tracked:
    """One series, plan vs actual, over the ``n`` actual months (arrays of shape (n,)).

    Attributes
    ----------
    name, label, kind, unit, source : str
        ``source`` is where the actual came from (``ledger``, ``financials``, or
        ``ledger (MRR basis)`` for revenue without financials).
    better : int
        +1 when more is better, -1 when less is, 0 when neither.
    actual, p10, p50, p90, percentile, variance : ndarray of float
        ``percentile`` in [0, 1]: share of paths below the actual (ties count half);
        ``variance`` = actual - P50.
    ytd_actual, ytd_p50, ytd_variance : ndarray of float
        Flows: sums from the start of the (fiscal) year, the plan's as the median of
        its paths' sums; stocks: the month's level.
    fan : ndarray, shape (5, horizon)
        The plan's P10, P25, P50, P75, P90 over the whole horizon (for the chart).
    """

    name: str
    label: str
    kind: str
    unit: str
    source: str
    better: int
    actual: np.ndarray
    p10: np.ndarray
    p50: np.ndarray
    p90: np.ndarray
    percentile: np.ndarray
    variance: np.ndarray
    ytd_actual: np.ndarray
    ytd_p50: np.ndarray
    ytd_variance: np.ndarray
    fan: np.ndarray

    @property
    def inside(self) -> np.ndarray:
        """Whether each actual lies within the plan's P10-P90, shape (n,)."""
        return (self.actual >= self.p10) & (self.actual <= self.p90)


@dataclass(frozen=True, eq=False)
class Tracking:
    """Plan vs actual for every tracked series.

    Attributes
    ----------
    scenario : str
    currency : str
    months : ndarray of datetime64[M], shape (n,)
        Months with actuals inside the plan's horizon.
    plan_months : ndarray of datetime64[M], shape (horizon,)
    paths, seed : int
    series : dict of str -> Tracked
    calibration : dict
        ``n``, ``inside``, ``inside_share``, ``expected_share`` (0.8),
        ``coverage_p_value``, ``mean_percentile`` (oriented: below 0.5 = worse than
        planned), ``worse_than_median``, ``optimism_p_value``, ``verdict``.
    notes : tuple of str
    """

    scenario: str
    currency: str
    months: np.ndarray
    plan_months: np.ndarray
    paths: int
    seed: int
    series: dict
    calibration: dict
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """JSON-ready: months, each series' rows, the calibration and the notes."""
        def num(x):
            return None if not np.isfinite(x) else round(float(x), 4)
        out = {"scenario": self.scenario, "currency": self.currency, "paths": self.paths, "seed": self.seed,
               "months": [str(m) for m in self.months], "series": {}, "calibration": self.calibration,
               "notes": list(self.notes)}
        for name, s in self.series.items():
            rows = []
            for i, month in enumerate(self.months):
                rows.append({"month": str(month), "actual": num(s.actual[i]), "p10": num(s.p10[i]),
                             "p50": num(s.p50[i]), "p90": num(s.p90[i]), "percentile": num(s.percentile[i]),
                             "inside_p10_p90": bool(s.inside[i]), "variance": num(s.variance[i]),
                             "ytd_actual": num(s.ytd_actual[i]), "ytd_p50": num(s.ytd_p50[i]),
                             "ytd_variance": num(s.ytd_variance[i])})
            out["series"][name] = {"label": s.label, "kind": s.kind, "unit": s.unit, "source": s.source,
                                   "better": s.better, "rows": rows}
        return out


def _actual_series(mv: Movements | None, fin: Financials | None, months: np.ndarray) -> dict:
    """Actual values of every series available, aligned on ``months`` (NaN = none); and sources."""
    out: dict[str, tuple[np.ndarray, str]] = {}
    if mv is not None:
        index = (mv.months - months[0]).astype(int)
        ok = (index >= 0) & (index < len(months))

        def place(values):
            a = np.full(len(months), np.nan)
            a[index[ok]] = values[ok]
            return a
        out["arr"] = (place(12.0 * mv.amount("closing")), "ledger")
        out["customers"] = (place(mv.count("closing").astype(float)), "ledger")
        out["new_mrr"] = (place(mv.amount("new") + mv.amount("reactivation")), "ledger")
        out["churned_mrr"] = (place(mv.amount("churned")), "ledger")
        out["revenue"] = (place(mv.amount("closing")), "ledger (MRR basis)")
    if fin is not None:
        index = (fin.months - months[0]).astype(int)
        ok = (index >= 0) & (index < len(months))
        for name, values in fin.values.items():
            a = np.full(len(months), np.nan)
            a[index[ok]] = values[ok]
            out[name] = (a, "financials")
        spend = [fin.values[k] for k in ("sm_expense", "rnd_expense", "cs_expense", "ga_expense") if k in fin.values]
        if len(spend) == 4:
            a = np.full(len(months), np.nan)
            a[index[ok]] = np.sum(spend, axis=0)[ok]
            out["opex"] = (a, "financials")
    return out


def _percentile(paths: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Share of paths below each actual, ties counted half; (paths, n), (n,) -> (n,)."""
    below = (paths < actual[None, :]).mean(axis=0)
    equal = (paths == actual[None, :]).mean(axis=0)
    return below + 0.5 * equal


def _year_to_date(values: np.ndarray, months: np.ndarray, first_month: int) -> np.ndarray:
    """Cumulative sums along the last axis restarting each (fiscal) year; NaN months skipped."""
    year = ((months.astype(int) % 12 - (first_month - 1)) % 12 == 0).cumsum()
    clean = np.nan_to_num(values)
    out = np.empty_like(clean, dtype=float)
    for y in np.unique(year):
        sel = year == y
        out[..., sel] = np.cumsum(clean[..., sel], axis=-1)
    return out


def track(result, actuals=None, financials: Financials | None = None, *,
          fiscal_year_start: int | None = None, series=None) -> Tracking:
    """Compare actual months with the plan's distribution.

    Parameters
    ----------
    result : SimulationResult
        The plan (``planner.simulate``); series read with ``result.total(name)``,
        shape (paths, months).
    actuals : Movements, CustomerMrr or Ledger, optional
        MRR actuals (a ledger or an MRR table, read and turned into movements).
    financials : Financials, optional
        Revenue, cash, spend by department and headcount.
    fiscal_year_start : int, optional
        Month (1-12) the year-to-date sums restart in; default the plan's start month.
    series : sequence of str, optional
        Series to track (default: every one with actuals and in the plan).

    Returns
    -------
    Tracking

    Raises
    ------
    ValueError
        When no actual month falls inside the plan's horizon, or nothing is given.
    """
    mv = _as_movements(actuals)
    if mv is None and financials is None:
        raise ValueError("track needs actuals: a ledger, an MRR table or financials")
    plan_months = result.months
    found = _actual_series(mv, financials, plan_months)
    wanted = [s for s in (series or TRACKED) if s in found and s in result.names]
    observed = np.zeros(len(plan_months), dtype=bool)
    for name in wanted:
        observed |= np.isfinite(found[name][0])
    if not observed.any():
        first = mv.months if mv is not None else financials.months
        raise ValueError(f"no actual month ({first[0]} to {first[-1]}) falls inside the plan "
                         f"({plan_months[0]} to {plan_months[-1]})")
    cols = np.flatnonzero(observed)
    start_month = fiscal_year_start or int(plan_months[0].astype(int) % 12) + 1
    out = {}
    for name in wanted:
        label, kind, better, unit = TRACKED[name]
        actual_all, source = found[name]
        paths = result.total(name)
        out[name] = _tracked(name, label, kind, better, unit, source, paths, actual_all, plan_months, cols,
                             start_month)
    notes = list(mv.notes if mv is not None else ()) + list(financials.notes if financials is not None else ())
    notes += _outside_notes(mv, financials, plan_months)
    months = plan_months[cols]
    return Tracking(result.scenario.name, result.scenario.currency, months, plan_months, result.paths,
                    result.seed, out, calibration(out), tuple(notes))


def track_files(result, actuals, financials=None, *, mapping=None, as_of=None,
                fiscal_year_start: int | None = None) -> Tracking:
    """:func:`track` of files: ledgers (combined) or one MRR table, and optional financials.

    Parameters
    ----------
    result : SimulationResult
    actuals : sequence of path-like
    financials : path-like, optional
    mapping : path-like, optional
        Column mapping and reading decisions (docs/actuals.md).
    as_of : str, optional
        Last closed month of the ledgers (default: their latest month).
    """
    book, _ = read_books(list(actuals), mapping, as_of)
    fin = read_financials(financials) if financials else None
    return track(result, movements(book), fin, fiscal_year_start=fiscal_year_start)


def _tracked(name, label, kind, better, unit, source, paths, actual_all, plan_months, cols,
             start_month) -> Tracked:
    actual = actual_all[cols]
    q = np.quantile(paths, BANDS, axis=0)
    pct = _percentile(paths[:, cols], actual)
    if kind == "flow":
        has = np.isfinite(actual_all)
        ytd_paths = _year_to_date(np.where(has[None, :], paths, 0.0), plan_months, start_month)[:, cols]
        ytd_actual = _year_to_date(actual_all, plan_months, start_month)[cols]
        ytd_p50 = np.median(ytd_paths, axis=0)
    else:
        ytd_actual, ytd_p50 = actual, q[2, cols]
    nan = ~np.isfinite(actual)
    return Tracked(name, label, kind, unit, source, better, actual, q[0, cols], q[2, cols], q[4, cols],
                   np.where(nan, np.nan, pct), actual - q[2, cols], np.where(nan, np.nan, ytd_actual),
                   ytd_p50, np.where(nan, np.nan, ytd_actual - ytd_p50), q)


def calibration(series: dict) -> dict:
    """Coverage of P10-P90 and the optimism test over every (series, month) with an actual."""
    inside, n, oriented = 0, 0, []
    for s in series.values():
        ok = np.isfinite(s.actual)
        inside += int(s.inside[ok].sum())
        n += int(ok.sum())
        if s.better:
            p = s.percentile[ok]
            oriented.extend((p if s.better > 0 else 1.0 - p).tolist())
    oriented = np.asarray(oriented)
    worse = int((oriented < 0.5).sum())
    out = {"n": n, "inside": inside, "inside_share": inside / n if n else None, "expected_share": 0.8,
           "coverage_p_value": float(binomtest(inside, n, 0.8).pvalue) if n else None,
           "mean_percentile": float(oriented.mean()) if oriented.size else None,
           "oriented_n": int(oriented.size), "worse_than_median": worse,
           "optimism_p_value": float(binomtest(worse, oriented.size, 0.5, alternative="greater").pvalue)
           if oriented.size else None}
    out["verdict"] = _verdict(out)
    return out


def _verdict(c: dict) -> str:
    if not c["n"]:
        return "no actuals to judge the plan by"
    parts = []
    share = c["inside_share"]
    if c["coverage_p_value"] < 0.05:
        parts.append(f"the plan's ranges look too {'narrow' if share < 0.8 else 'wide'}: "
                     f"{share:.0%} of actuals inside P10-P90, against the 80% a calibrated plan gives")
    else:
        parts.append(f"{share:.0%} of actuals inside P10-P90 (a calibrated plan gives about 80%)")
    if c["oriented_n"]:
        worse, n = c["worse_than_median"], c["oriented_n"]
        if c["optimism_p_value"] < 0.05:
            parts.append(f"the plan has been too optimistic: {worse} of {n} actuals worse than its P50 "
                         f"(mean percentile {c['mean_percentile']:.0%}, one-sided binomial p = {c['optimism_p_value']:.3f})")
        elif worse / n < 0.5 and binomtest(worse, n, 0.5, alternative="less").pvalue < 0.05:
            parts.append(f"the plan has been too cautious: only {worse} of {n} actuals worse than its P50")
        else:
            parts.append(f"no sign of optimism: {worse} of {n} actuals worse than the P50 "
                         f"(mean percentile {c['mean_percentile']:.0%})")
    return "; ".join(parts)


def _as_movements(actuals) -> Movements | None:
    if actuals is None or isinstance(actuals, Movements):
        return actuals
    if isinstance(actuals, Ledger):
        actuals = actuals.monthly_mrr()
    if isinstance(actuals, CustomerMrr):
        return movements(actuals)
    raise TypeError(f"actuals must be Movements, CustomerMrr or Ledger (got {type(actuals).__name__})")


def _outside_notes(mv, fin, plan_months) -> list[str]:
    notes = []
    for what, months in (("MRR actuals", None if mv is None else mv.months),
                         ("financials", None if fin is None else fin.months)):
        if months is None:
            continue
        outside = int(((months < plan_months[0]) | (months > plan_months[-1])).sum())
        if outside:
            notes.append(f"{outside} month{'s' if outside > 1 else ''} of {what} outside the plan "
                         f"({plan_months[0]} to {plan_months[-1]}) not compared")
    return notes


def tracking_text(tracking: Tracking) -> str:
    """The terminal view: one table per series, then the calibration line."""

    cur = tracking.currency
    lines = [f"{tracking.scenario}: plan vs actual, {tracking.months[0]} to {tracking.months[-1]} "
             f"({tracking.paths:,} paths, seed {tracking.seed})", ""]
    for s in tracking.series.values():
        fmt = (lambda v: money(v, cur)) if s.unit == "money" else (lambda v: count(v))
        lines.append(f"  {s.label} ({s.source})")
        lines.append(f"    {'month':<8} {'actual':>10} {'P10':>10} {'P50':>10} {'P90':>10} {'pct':>5} "
                     f"{'vs P50':>10} {'YTD vs P50':>11}")
        for i, month in enumerate(tracking.months):
            if not np.isfinite(s.actual[i]):
                continue
            flag = " " if s.inside[i] else "*"
            lines.append(f"    {str(month):<8} {fmt(s.actual[i]):>10} {fmt(s.p10[i]):>10} {fmt(s.p50[i]):>10} "
                         f"{fmt(s.p90[i]):>10} {s.percentile[i]:>4.0%}{flag} {_signed(fmt, s.variance[i]):>10} "
                         f"{_signed(fmt, s.ytd_variance[i]):>11}")
        lines.append("")
    lines.append("  * outside the plan's P10-P90")
    lines.append("Calibration: " + tracking.calibration["verdict"] + ".")
    lines += [f"Note: {n}" for n in tracking.notes]
    return "\n".join(lines) + "\n"


def _signed(fmt, value: float) -> str:
    text = fmt(abs(value))
    return ("+" if value >= 0 else "-") + text
