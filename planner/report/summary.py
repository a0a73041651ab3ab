"""Headline numbers of a simulation, as plain data (for the terminal, JSON and reports)."""
from __future__ import annotations

import warnings

import numpy as np

from planner.analysis.funding import funding_block
from planner.analysis.funding_events import funding_events
from planner.analysis.outcomes import headline, path_outcomes
from planner.analysis.periods import plan_years
from planner.analysis.stats import QUANTILES, bands
from planner.results import SimulationResult

#: series of the monthly projection table, in column order
TABLE_SERIES = ("arr", "mrr", "customers", "new_customers", "revenue", "gross_profit", "opex",
                "ebitda", "operating_cash_flow", "net_cash_flow", "cash", "receivables",
                "deferred_revenue", "debt_balance", "headcount")
#: company series of the workbook's monthly sheets, in row order (P&L, then cash)
MONTHLY_SERIES = ("arr", "mrr", "customers", "new_customers", "churned_customers", "new_mrr",
                  "expansion_mrr", "contraction_mrr", "churned_mrr", "revenue", "cogs",
                  "gross_profit", "sm_expense", "rnd_expense", "cs_expense", "ga_expense", "opex",
                  "ebitda", "billings", "collections", "deferred_revenue", "receivables",
                  "operating_cash_flow", "funding", "net_cash_flow", "cash", "debt_balance",
                  "headcount")
#: what a run keeps of every path (the tables plus what the summary needs)
RUN_SERIES = tuple(dict.fromkeys(TABLE_SERIES + MONTHLY_SERIES + (
    "cash_if_funded", "equity_raised", "debt_drawn", "insolvent")))
#: columns added to the table (and kept) when the scenario has a funnel
FUNNEL_TABLE_SERIES = ("leads", "opportunities", "wins", "trial_wins", "pipeline_open",
                       "commissions", "cac")


def table_series(scenario) -> tuple[str, ...]:
    """The projection table's series for ``scenario``."""
    return TABLE_SERIES + (FUNNEL_TABLE_SERIES if scenario.has_funnel else ())


def run_series(scenario) -> tuple[str, ...]:
    """The company series a run keeps for every path of ``scenario``."""
    return RUN_SERIES + (FUNNEL_TABLE_SERIES if scenario.has_funnel else ())


def _month(result: SimulationResult, index: int) -> str:
    return str(result.months[index])


def yearly(result: SimulationResult, name: str) -> list[dict]:
    """P10/P50/P90 of a flow summed over each 12-month plan year (partial last year kept)."""
    data = result.total(name)
    out = []
    for year in plan_years(result.months):
        entry = {"from": _month(result, year.first), "to": _month(result, year.last),
                 "months": year.months}
        out.append(entry | bands(data[:, year.first:year.last + 1].sum(axis=1)))
    return out


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
        ``monte_carlo_error``; ``funding`` (see :func:`planner.analysis.funding.funding_block`);
        ``funding_events`` and ``ownership_after`` (:func:`funding_story`).
    """
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
        **funding_story(result, outcomes["ownership"]),
    }


def funding_story(result: SimulationResult, ownership: np.ndarray | None = None) -> dict:
    """``funding_events`` (:func:`planner.analysis.funding_events.funding_events`, JSON-ready,
    months as ``YYYY-MM``; for a streamed run, of its sample of paths) and
    ``ownership_after`` (P10/P50/P90 of the existing holders' share: of ``ownership``,
    shape (paths,), when given, e.g. every path of a streamed run)."""
    return {"funding_events": [e.to_dict(result.months) for e in funding_events(result)],
            "ownership_after": bands(result.ownership if ownership is None else ownership)}


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
        if not np.isnan(data).any():  # nanquantile's own numbers, without its column-by-column loop
            q = np.quantile(data, QUANTILES, axis=0)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-nan months stay nan
                q = np.nanquantile(data, QUANTILES, axis=0)
        for label, row in zip(("p10", "p50", "p90"), q):
            header.append(f"{name}_{label}")
            columns.append(row)
    rows = [[str(m)] + [float(c[i]) for c in columns] for i, m in enumerate(result.months)]
    return header, rows


