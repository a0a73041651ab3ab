"""Headline numbers of a simulation, as plain data (for the terminal, JSON and reports)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from planner.funding import bands
from planner.results import SimulationResult

QUANTILES = (0.1, 0.5, 0.9)
#: series of the monthly projection table, in column order
TABLE_SERIES = ("arr", "mrr", "customers", "new_customers", "revenue", "gross_profit", "opex",
                "ebitda", "operating_cash_flow", "net_cash_flow", "cash", "receivables",
                "deferred_revenue", "debt_balance", "headcount")
#: what a run keeps (the table plus what the summary needs)
RUN_SERIES = TABLE_SERIES + ("cash_if_funded", "equity_raised", "debt_drawn", "insolvent")
#: columns added to the table (and kept) when the scenario has a funnel
FUNNEL_TABLE_SERIES = ("leads", "opportunities", "wins", "trial_wins", "pipeline_open",
                       "commissions", "cac")


def table_series(scenario) -> tuple[str, ...]:
    """The projection table's series for ``scenario``."""
    return TABLE_SERIES + (FUNNEL_TABLE_SERIES if scenario.has_funnel else ())


def _month(result: SimulationResult, index: int) -> str:
    return str(result.months[index])


def year_spans(months: int) -> list[tuple[int, int]]:
    """12-month plan years from the start as (first, last) month indices, a partial last
    year kept."""
    return [(first, min(first + 12, months) - 1) for first in range(0, months, 12)]


def yearly(result: SimulationResult, name: str) -> list[dict]:
    """P10/P50/P90 of a flow summed over each 12-month plan year (partial last year kept)."""
    data = result.total(name)
    out = []
    for first, last in year_spans(data.shape[1]):
        entry = {"from": _month(result, first), "to": _month(result, last),
                 "months": last - first + 1}
        out.append(entry | bands(data[:, first:last + 1].sum(axis=1)))
    return out


def path_outcomes(result: SimulationResult, *, raise_month: int = 0,
                  until: str = "horizon") -> dict[str, np.ndarray]:
    """The per-path answers a summary is made of, each shape (paths,).

    ``arr_end``, ``customers_end``, ``cash_end``, ``cash_trough``, ``cash_out_month`` (-1:
    never), ``breakeven_month`` (-1: not within the horizon), ``capital_consumed``,
    ``raise_shortfall`` (for a raise in ``raise_month``), ``minimum_cash`` (the path's
    floor), ``below_minimum_cash`` (bool), ``ownership``. A streamed run keeps exactly
    these for every path.
    """
    from planner.funding import (_minimum_cash, breakeven_month, capital_consumed,
                                 raise_shortfall)

    floor = _minimum_cash(result)
    return {
        "arr_end": result.total("arr")[:, -1].copy(),
        "customers_end": result.total("customers")[:, -1].copy(),
        "cash_end": result.total("cash")[:, -1].copy(),
        "cash_trough": result.cash_trough(),
        "cash_out_month": result.cash_out_month(),
        "breakeven_month": breakeven_month(result),
        "capital_consumed": capital_consumed(result),
        "raise_shortfall": raise_shortfall(result, month=raise_month, until=until, floor=floor),
        "minimum_cash": floor,
        "below_minimum_cash": (result.total("cash") < floor[:, None]).any(axis=1),
        "ownership": result.ownership.copy(),
    }


def cash_out_info(cash_out_month: np.ndarray, months: np.ndarray) -> dict:
    """How often and when cash falls below zero, from per-path cash-out months (-1: never)."""
    out_paths = cash_out_month >= 0
    info: dict = {"probability": float(out_paths.mean())}
    for horizon in (12, 24):
        if horizon <= len(months):
            info[f"by_month_{horizon}"] = float((out_paths & (cash_out_month < horizon)).mean())
    if out_paths.any():
        first = np.quantile(cash_out_month[out_paths], QUANTILES, method="lower").astype(int)
        info["first_month"] = {k: str(months[i]) for k, i in zip(("p10", "p50", "p90"), first)}
    return info


def headline(outcomes: dict, months: np.ndarray) -> dict:
    """The headline ranges and their Monte Carlo error, from per-path outcomes."""
    from planner.mc_error import headline_errors

    return {
        "arr_end": bands(outcomes["arr_end"]),
        "customers_end": bands(outcomes["customers_end"]),
        "cash_end": bands(outcomes["cash_end"]),
        "cash_trough": bands(outcomes["cash_trough"]),
        "cash_out": cash_out_info(outcomes["cash_out_month"], months),
        "monte_carlo_error": headline_errors(outcomes["arr_end"], outcomes["cash_trough"],
                                             outcomes["cash_out_month"] >= 0),
    }


def summarise(result: SimulationResult, *, raise_month: int = 0, confidence: float = 0.9,
              until: str = "horizon", outcomes: dict | None = None, paths: int | None = None
              ) -> dict:
    """Headline results as a JSON-ready dict.

    Parameters
    ----------
    result : SimulationResult
        Gives the monthly and yearly series (for a streamed run: its evenly spaced sample).
    outcomes : dict, optional
        Per-path outcomes of every path (:func:`path_outcomes`); None computes them from
        ``result``.
    paths : int, optional
        Paths behind ``outcomes`` (default: ``result.paths``).

    Returns
    -------
    dict
        ``scenario``, ``paths``, ``seed``, ``start``, ``end``, ``currency``;
        ``arr_end`` / ``cash_end`` / ``cash_trough`` / ``customers_end`` as {p10, p50, p90};
        ``arr_after_12_months``, ``revenue_by_year`` and ``ebitda_by_year``; ``cash_out``;
        ``monte_carlo_error``; ``funding`` (see :func:`planner.funding.funding_block`).
    """
    from planner.funding import funding_block

    sc = result.scenario
    if outcomes is None:
        outcomes = path_outcomes(result, raise_month=raise_month, until=until)
    return {
        "scenario": sc.name,
        "source": sc.source,
        "paths": result.paths if paths is None else paths,
        "seed": result.seed,
        "start": _month(result, 0),
        "end": _month(result, -1),
        "currency": sc.currency,
        **headline(outcomes, result.months),
        "arr_after_12_months": bands(result.total("arr")[:, min(11, len(result.months) - 1)]),
        "revenue_by_year": yearly(result, "revenue"),
        "ebitda_by_year": yearly(result, "ebitda"),
        "funding": funding_block(outcomes, result.months, plan=result.plan, raise_month=raise_month,
                                 confidence=confidence, until=until),
    }


def projection_table(result: SimulationResult, names=None) -> tuple[list[str], list[list]]:
    """Monthly P10/P50/P90 of the key series (default :func:`table_series`).

    Quantiles skip the paths where a series is undefined (``cac`` in a month without
    new customers); a month where it is undefined on every path is ``nan``.

    Returns
    -------
    header : list of str
        ``month`` then ``<series>_p10``, ``<series>_p50``, ``<series>_p90`` per series.
    rows : list of list
        One row per month.
    """
    header = ["month"]
    columns = []
    for name in table_series(result.scenario) if names is None else names:
        data = result.total(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-nan months stay nan
            q = np.nanquantile(data, QUANTILES, axis=0)
        for label, row in zip(("p10", "p50", "p90"), q):
            header.append(f"{name}_{label}")
            columns.append(row)
    rows = [[str(m)] + [float(c[i]) for c in columns] for i, m in enumerate(result.months)]
    return header, rows


#: paths used for the unit economics of a run (they need series by segment)
UNIT_ECONOMICS_PATHS = 2_000
#: above this many paths a run streams (see :mod:`planner.stream`)
STREAM_ABOVE = 50_000


@dataclass
class Run:
    """What ``planner run`` computes: the result, its summary, and unit-economics inputs.

    ``unit_economics_result`` holds the first ``min(paths, UNIT_ECONOMICS_PATHS)`` paths
    by segment; they are the same paths as in ``result`` (a path depends only on the
    seed and its index).
    """

    result: SimulationResult
    summary: dict
    unit_economics_result: SimulationResult


def run_scenario(scenario, *, paths: int | str | None = None, seed: int | None = None,
                 plan: str | None = None, raise_month: int = 0, confidence: float = 0.9,
                 until: str = "horizon", fiscal_year_start: int | None = None,
                 cac_lag_months: int = 0, progress=None) -> Run:
    """Simulate a scenario and summarise it, as ``planner run`` does.

    The headline series of all paths are kept as company totals (bounded memory); the
    unit economics, which need series by segment, use the first
    :data:`UNIT_ECONOMICS_PATHS` paths. ``paths="auto"`` doubles the paths until the ARR
    P50 is known to 1% and the cash-out probability to 0.5 points (95% confidence).
    ``progress(done, total)`` is called after each block of paths.
    """
    from planner.simulate import simulate
    from planner.unit_economics import UNIT_ECONOMICS_SERIES
    from planner.unit_economics_report import unit_economics_summary

    rounds = None
    if paths == "auto":
        from planner.mc_error import choose_paths

        paths, rounds = choose_paths(scenario, seed=seed, plan=plan)
    total = scenario.paths if paths is None else int(paths)
    keep_run = RUN_SERIES + tuple(table_series(scenario)[len(TABLE_SERIES):])
    if total > STREAM_ABOVE:
        from planner.stream import simulate_stream

        streamed = simulate_stream(scenario, paths=total, seed=seed, plan=plan, keep=keep_run,
                                   raise_month=raise_month, until=until, progress=progress)
        result = streamed.sample
        summary = summarise(result, raise_month=raise_month, confidence=confidence, until=until,
                            outcomes=streamed.outcomes, paths=total)
        summary["sample_paths"] = result.paths
        summary["approximations"] = [
            f"monthly P10/P50/P90 tables, yearly revenue and EBITDA, and ARR after 12 months "
            f"are computed on every {_ordinal(streamed.every)} path ({result.paths:,} paths); all "
            f"other figures on all {total:,} paths"]
    else:
        result = simulate(scenario, paths=total, seed=seed, plan=plan, keep=keep_run,
                          by_segment=False, progress=progress)
        summary = summarise(result, raise_month=raise_month, confidence=confidence, until=until)
    from planner.funnel_report import FUNNEL_SUMMARY_SERIES, funnel_summary

    keep = UNIT_ECONOMICS_SERIES + (FUNNEL_SUMMARY_SERIES if scenario.has_funnel else ())
    if any(role.driver is not None for role in scenario.roles):
        keep += ("role_headcount",)  # the headcount chart: driven roles have no dated plan
    ue_result = simulate(scenario, paths=min(total, UNIT_ECONOMICS_PATHS), seed=result.seed,
                         plan=result.plan, keep=keep)
    if scenario.has_funnel:
        summary["funnel"] = funnel_summary(ue_result)
    summary["unit_economics"] = unit_economics_summary(
        ue_result, fiscal_year_start=fiscal_year_start, cac_lag_months=cac_lag_months)
    summary["unit_economics"]["paths"] = ue_result.paths
    summary["sampling"] = sampling_report(scenario, result.seed, result.paths)
    summary["warnings"] = list(scenario.warnings)
    if rounds is not None:
        summary["monte_carlo_error"]["auto_paths"] = rounds
    return Run(result, summary, ue_result)


def sampling_report(scenario, seed: int, paths: int, *, limit: int = 100_000) -> dict:
    """The sampling method and, per correlated pair, target vs achieved rank correlation.

    Achieved correlations are measured on the first ``min(paths, limit)`` paths' draws.
    """
    from planner.engine.correlation import achieved
    from planner.engine.sampling import draw_inputs

    out: dict = {"method": scenario.sampling, "correlations": []}
    corr = scenario.correlation
    if corr is None:
        return out
    draws = draw_inputs(scenario, seed, 0, min(paths, limit))
    got = achieved(draws, corr.columns)
    names = {p.index: p.path for p in scenario.params}
    for i, a in enumerate(corr.columns):
        for j in range(i + 1, len(corr.columns)):
            b = corr.columns[j]
            if corr.rank[i, j] != 0:
                out["correlations"].append({"inputs": [names[a], names[b]],
                                            "target": float(corr.rank[i, j]),
                                            "achieved": float(got[i, j])})
    return out


def _ordinal(n: int) -> str:
    """2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
