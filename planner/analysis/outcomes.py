"""Per-path outcomes of a simulation: the numbers a summary is made of, each shape (paths,)."""
from __future__ import annotations

import numpy as np

from planner.analysis.funding import breakeven_month, capital_consumed, cash_out_share, raise_shortfall
from planner.analysis.mc_error import headline_errors
from planner.analysis.stats import QUANTILES, bands
from planner.results import SimulationResult


def path_outcomes(result: SimulationResult, *, raise_month: int = 0,
                  until: str = "horizon") -> dict[str, np.ndarray]:
    """The per-path answers a summary is made of, each shape (paths,).

    ``arr_end``, ``customers_end``, ``cash_end``, ``cash_trough``, ``cash_out_month`` (-1:
    never), ``breakeven_month`` (-1: not within the horizon), ``capital_consumed``,
    ``raise_shortfall`` (for a raise in ``raise_month``), ``minimum_cash`` (the path's
    floor), ``below_minimum_cash`` (bool), ``ownership``. A streamed run keeps exactly
    these for every path.
    """
    floor = result.minimum_cash
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
    info: dict = {"probability": cash_out_share(cash_out_month, len(months))}
    for within in (12, 24):
        if within <= len(months):
            info[f"by_month_{within}"] = cash_out_share(cash_out_month, len(months), within)
    if out_paths.any():
        first = np.quantile(cash_out_month[out_paths], QUANTILES, method="lower").astype(int)
        info["first_month"] = {k: str(months[i]) for k, i in zip(("p10", "p50", "p90"), first)}
    return info


def headline(outcomes: dict, months: np.ndarray) -> dict:
    """The headline ranges and their Monte Carlo error, from per-path outcomes."""

    return {
        "arr_end": bands(outcomes["arr_end"]),
        "customers_end": bands(outcomes["customers_end"]),
        "cash_end": bands(outcomes["cash_end"]),
        "cash_trough": bands(outcomes["cash_trough"]),
        "cash_out": cash_out_info(outcomes["cash_out_month"], months),
        "monte_carlo_error": headline_errors(outcomes["arr_end"], outcomes["cash_trough"],
                                             outcomes["cash_out_month"] >= 0),
    }
