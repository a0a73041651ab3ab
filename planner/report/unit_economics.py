"""Unit economics for people: a JSON-ready summary with verdicts, a terminal block, a CSV table.

``unit_economics_summary(result)`` gives, per segment and blended, P10/P50/P90 across
paths of every metric of :mod:`planner.analysis.unit_economics` over the first and the last full
fiscal year, with the benchmark verdict (:mod:`planner.analysis.benchmark_bands`) of the P50.
Everything in it is a plain float, str, bool or None (``json.dumps(...,
allow_nan=False)`` works): an undefined value is None with a ``note`` saying why, and an
unbounded one (LTV when expansion >= churn, a burn multiple when ARR shrinks while
burning) is a dict ``{"unbounded": true, "reason": ..., ...}``, never inf or a huge number.
"""
from __future__ import annotations

import math

import numpy as np

from planner.analysis.benchmark_bands import has_benchmark, verdict, verdict_level
from planner.analysis.metric_specs import METRIC_SPECS
from planner.analysis.stats import QUANTILES, quantiles_across_paths
from planner.format import money, percent
from planner.results import SimulationResult
from planner.analysis.unit_economics import period_metrics

LABELS = ("p10", "p50", "p90")

#: rows of the terminal block
TEXT_ROWS = {
    "segment": ("cac", "cac_programme", "commission_per_new_customer", "ltv", "ltv_cohort", "ltv_to_cac",
                "ltv_to_cac_cohort", "cac_payback", "cac_payback_cohort", "magic_number", "nrr", "grr"),
    "blended": ("cac", "ltv", "ltv_cohort", "ltv_to_cac", "ltv_to_cac_cohort", "cac_payback", "cac_payback_cohort",
                "magic_number", "nrr", "grr", "gross_margin", "burn_multiple", "rule_of_40",
                "sm_share", "rnd_share", "cs_share", "ga_share"),
}


def _float(x) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _unbounded(key: str, value: float, companions: dict[str, float], settings: dict,
               ltv_finite: bool = False) -> dict:
    """The JSON form of an infinite quantile (with capped/discounted companions for LTV)."""
    if key == "cac_payback_cohort":
        reason = f"not paid back within {settings['max_age']} months"
    elif value < 0:
        reason = "negative gross margin that never decays (expansion >= churn)"
    elif key == "ltv_to_cac" and ltv_finite:
        reason = "zero CAC (no S&M spend)"
    else:
        reason = METRIC_SPECS[key].unbounded or "unbounded"
    out = {"unbounded": True, "reason": reason}
    for name, companion in companions.items():
        out[name] = None if np.isinf(companion) else _float(companion)
        if np.isinf(companion):
            out[f"{name}_note"] = "unbounded too"
    return out


def _entry(key: str, data: dict[str, np.ndarray], j: int, settings: dict) -> dict:
    """P10/P50/P90, verdict and notes of metric ``key`` in period ``j``."""
    values = data[key][:, j]
    q = quantiles_across_paths(values, QUANTILES)
    companions = {}
    if key in ("ltv", "ltv_to_cac"):
        companions = {name: quantiles_across_paths(data[f"{key}_{name}"][:, j], QUANTILES)
                      for name in ("capped", "discounted")}
    ltv_q = quantiles_across_paths(data["ltv"][:, j], QUANTILES) if key == "ltv_to_cac" else q
    entry: dict = {"unit": METRIC_SPECS[key].unit}
    for i, label in enumerate(LABELS):
        entry[label] = (_unbounded(key, q[i], {k: v[i] for k, v in companions.items()}, settings,
                                   ltv_finite=bool(np.isfinite(ltv_q[i])))
                        if np.isinf(q[i]) else _float(q[i]))
    defined = float(np.mean(~np.isnan(values)))
    if defined < 1.0:
        entry["paths_defined"] = defined
    if defined == 0.0:
        entry["note"] = _why_undefined(key, data, j)
    if has_benchmark(key):
        entry["verdict"], entry["level"] = _verdict(key, q[1], companions, settings)
    return entry


def _why_undefined(key: str, data: dict[str, np.ndarray], j: int) -> str:
    """Why ``key`` is undefined on every path in period ``j``: what it depends on that is missing."""
    needs_wins = key.startswith(("cac", "ltv_to_cac")) or key in ("acv", "ltv_cohort",
                                                                  "commission_per_new_customer")
    if needs_wins and not (data["new_customers"][:, j] > 0).any():
        return "no new customers"
    if key.startswith(("cac", "ltv_to_cac")) and key != "cac_programme" and np.isnan(data["cac"][:, j]).all():
        return "no S&M spend known for these months (spend lag)"
    if key.startswith(("ltv", "ltv_to_cac")) and key not in ("ltv_cohort", "ltv_to_cac_cohort"):
        if np.isnan(data["churn_rate"][:, j]).all():
            return "needs 12 months of history"
    return METRIC_SPECS[key].undefined


def _verdict(key: str, p50: float, companions: dict, settings: dict) -> tuple[str, str]:
    """The verdict of the P50 and its level (good ... bad, none)."""
    if key == "ltv_to_cac" and p50 == math.inf and np.isfinite(companions["capped"][1]):
        capped = companions["capped"][1]
        return f"{verdict(key, capped)} (on capped LTV)", verdict_level(key, capped)
    return verdict(key, p50), verdict_level(key, p50)


def _year_indices(periods) -> dict[str, int]:
    """Index of the first and of the last full fiscal year (partial ones if none is full)."""
    full = [i for i, p in enumerate(periods) if p.full] or list(range(len(periods)))
    return {"first_year": full[0], "last_year": full[-1]}


def unit_economics_summary(result: SimulationResult, *, fiscal_year_start: int | None = None,
                           cac_lag_months: int = 0, allocation: str = "new_mrr",
                           ltv_horizon_months: int = 60, discount_rate_annual: float = 0.10) -> dict:
    """Unit economics over the first and the last full fiscal year, as a JSON-ready dict.

    Parameters
    ----------
    result : SimulationResult
        With the series of :data:`planner.analysis.unit_economics.UNIT_ECONOMICS_SERIES`
        (segments appear when kept by segment).
    fiscal_year_start : int, optional
        Calendar month (1-12) a fiscal year starts; default the plan's first month.
    cac_lag_months : int
        Months between S&M spend and the wins it buys.
    allocation : {"new_mrr", "new_customers"}
        How the shared S&M (all S&M for a result kept without ``sm_direct``) is shared
        between segments, on top of their direct S&M.
    ltv_horizon_months : int
        Horizon of the capped and the simulated cohort LTV.
    discount_rate_annual : float
        Discount rate of the discounted LTV.

    Returns
    -------
    dict
        ``scenario, currency, paths, seed, settings, years`` (``first_year`` and
        ``last_year``: label, from, to, months) and ``scopes``: ``blended`` then each
        segment -> ``first_year`` / ``last_year`` -> metric -> ``{unit, p10, p50, p90
        [, verdict][, paths_defined][, note]}``. See the module notes for None and
        unbounded values.
    """
    pm = period_metrics(result, "year", fiscal_year_start=fiscal_year_start, cac_lag_months=cac_lag_months,
                        allocation=allocation, ltv_horizon_months=ltv_horizon_months,
                        discount_rate_annual=discount_rate_annual)
    settings = dict(pm.settings, max_age=max(result.scenario.horizon, 120, ltv_horizon_months))
    picks = _year_indices(pm.periods)
    years = {name: {"label": pm.periods[j].label, "from": str(result.months[pm.periods[j].first]),
                    "to": str(result.months[pm.periods[j].last]),
                    "months": pm.periods[j].last - pm.periods[j].first + 1} for name, j in picks.items()}
    scopes = {scope: {name: {key: _entry(key, data, j, settings) for key in METRIC_SPECS if key in data}
                      for name, j in picks.items()}
              for scope, data in pm.values.items()}
    fys = fiscal_year_start or int(result.months[0].astype(int) % 12 + 1)
    return {
        "scenario": result.scenario.name, "currency": result.scenario.currency,
        "paths": int(result.paths), "seed": int(result.seed),
        "settings": {"fiscal_year_start": fys, "cac_lag_months": int(cac_lag_months),
                     "allocation": allocation, "segment_spend": pm.settings["segment_spend"],
                     "ltv_horizon_months": int(ltv_horizon_months),
                     "discount_rate_annual": float(discount_rate_annual)},
        "years": years,
        "scopes": scopes,
    }


def metric_number(value, unit: str, currency: str, months_word: bool = False) -> str:
    """One quantile of a unit-economics entry: money, percent, months (``14.5``, or
    ``14.5 months`` with ``months_word``), count or ratio; ``n/a`` or ``unbounded``."""
    if value is None:
        return "n/a"
    if isinstance(value, dict):
        return "unbounded"
    if unit == "money":
        return money(value, currency)
    if unit == "fraction":
        return percent(value)
    if unit == "months":
        return f"{value:.1f} months" if months_word else f"{value:.1f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _cell(key: str, entry: dict, currency: str) -> list[str]:
    """Lines of one cell: ``P50 [P10..P90]``, and below an unbounded LTV its capped and discounted values."""
    unit, p50 = entry["unit"], entry["p50"]
    if p50 is None:
        return [f"n/a ({entry.get('note', 'not defined')})"]
    if isinstance(p50, dict):
        head = f"unbounded ({p50['reason']})"
    elif key == "burn_multiple" and p50 == 0:
        head = "0.00 (no burn)"
    else:
        head = metric_number(p50, unit, currency)
    low, high = (metric_number(entry[k], unit, currency) for k in ("p10", "p90"))
    middle = metric_number(p50, unit, currency)
    if not isinstance(p50, dict) and (low, high) != (middle, middle):
        head += f" [{low}..{high}]"
    lines = [head]
    if isinstance(p50, dict) and "capped" in p50:
        fmt = (lambda v: "unbounded" if v is None else metric_number(v, unit, currency))  # noqa: E731
        lines.append(f"capped {fmt(p50['capped'])}, discounted {fmt(p50['discounted'])}")
    return lines


def _verdicts(row: list[dict]) -> str:
    """``good``, or ``good -> excellent`` when the years differ."""
    found = [e["verdict"] for e in row if "verdict" in e]
    if all(v == "n/a" for v in found):
        return ""
    return found[0] if len(set(found)) == 1 else " -> ".join(found)


def _label(key: str) -> str:
    spec = METRIC_SPECS[key]
    return spec.title + (", months" if spec.unit == "months" else "")


def unit_economics_text(summary: dict, currency: str = "USD") -> str:
    """A compact terminal block of :func:`unit_economics_summary`.

    Per scope (blended, then each segment), one row per key metric: ``P50 [P10..P90]``
    for the first and the last full fiscal year, then the verdict of the P50
    (``first -> last`` when they differ). An unbounded LTV reads ``unbounded
    (expansion >= churn)`` with its capped and discounted values on the line below;
    an undefined value reads ``n/a (<why>)``, e.g. ``n/a (no new customers)``.
    """
    years, s = summary["years"], summary["settings"]
    names = ["first_year"] if years["first_year"] == years["last_year"] else ["first_year", "last_year"]
    lag = f"{s['cac_lag_months']}-month spend lag" if s["cac_lag_months"] else "no spend lag"
    basis = {"new_mrr": "new MRR", "new_customers": "new customers"}.get(s["allocation"], s["allocation"])
    segments = (f"a segment's S&M = its direct S&M + shared S&M by {basis}"
                if s.get("segment_spend") == "direct_plus_shared" else f"segments share S&M by {basis}")
    lines = [f"Unit economics: P50 [P10..P90] across {summary['paths']:,} paths, verdict of the P50",
             f"  CAC = S&M / new customers ({lag}; {segments});",
             f"  LTV capped at {s['ltv_horizon_months']} months, "
             f"discounted at {percent(s['discount_rate_annual'])} a year"]
    blocks = []
    for scope, data in summary["scopes"].items():
        rows = [k for k in TEXT_ROWS["blended" if scope == "blended" else "segment"] if k in data[names[0]]]
        blocks.append((scope, [(k, [_cell(k, data[n][k], currency) for n in names],
                                _verdicts([data[n][k] for n in names])) for k in rows]))
    width = max(len(line) for _, rows in blocks for _, cells, _ in rows for c in cells for line in c) + 3
    width = max(width, max(len(years[n]["label"]) for n in names) + 3)
    for scope, rows in blocks:
        lines += ["", (f"{scope:<32}" + "".join(f"{years[n]['label']:<{width}}" for n in names)
                       + "verdict").rstrip()]
        for key, cells, verdicts in rows:
            for i in range(max(len(c) for c in cells)):
                text = "".join(f"{(c[i] if i < len(c) else ''):<{width}}" for c in cells)
                label, tail = (_label(key), verdicts) if i == 0 else ("", "")
                lines.append(f"  {label:<30}{text}{tail}".rstrip())
    return "\n".join(lines)


def metric_series_table(result: SimulationResult, *, cac_lag_months: int = 0, allocation: str = "new_mrr",
                        ltv_horizon_months: int = 60,
                        discount_rate_annual: float = 0.10) -> tuple[list[str], list[list]]:
    """Monthly P10/P50/P90 of every metric, blended and per segment, for CSV export.

    Each month is its own period: CAC is that month's (lagged) S&M over its new
    customers, the magic number the ARR added over the last three months against the
    three months before, NRR/GRR and growth are trailing twelve months (empty before
    month 12).

    Returns
    -------
    header : list of str
        ``month`` then ``<scope>_<metric>_p10|p50|p90`` (scope ``blended`` or a segment).
    rows : list of list
        One row per month: the month (``YYYY-MM``) then floats; None where the value
        is undefined or unbounded on the quantile (an unbounded LTV has the finite
        ``ltv_capped`` and ``ltv_discounted`` columns beside it).
    """
    # read once (this table), the largest: not kept on the result
    pm = period_metrics(result, "month", cac_lag_months=cac_lag_months, allocation=allocation,
                        ltv_horizon_months=ltv_horizon_months, discount_rate_annual=discount_rate_annual,
                        cache=False)
    header, columns = ["month"], []
    for scope, data in pm.values.items():
        for key, values in data.items():
            q = quantiles_across_paths(values, QUANTILES)
            for label, row in zip(LABELS, q):
                header.append(f"{scope}_{key}_{label}")
                columns.append([float(v) if np.isfinite(v) else None for v in row])
    rows = [[str(m)] + [c[i] for c in columns] for i, m in enumerate(result.months)]
    return header, rows
