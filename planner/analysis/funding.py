"""How much money, when, and which plan: runway, cash-out, breakeven, minimum raise, comparison.

All functions work on :class:`~planner.results.SimulationResult` objects (per path, so
every answer is a distribution) and return plain dataclasses / dicts ready for JSON.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from planner.analysis.stats import QUANTILES, bands
from planner.results import SimulationResult, runway_months_from


def cash_out_share(cash_out_month: np.ndarray, horizon: int, within: int | None = None) -> float | None:
    """Share of paths whose cash falls below zero within the first ``within`` months.

    Parameters
    ----------
    cash_out_month : ndarray of int, shape (paths,)
        First month below zero, -1 for never (:meth:`SimulationResult.cash_out_month`).
    horizon : int
        Months simulated.
    within : int, optional
        None: the whole horizon. Longer than the horizon: None (not simulated, not known).
    """
    limit = horizon if within is None else within
    if limit > horizon:
        return None
    return float(((cash_out_month >= 0) & (cash_out_month < limit)).mean())


def cash_out_probability(result: SimulationResult, within: int | None = None) -> float | None:
    """:func:`cash_out_share` of a result."""
    return cash_out_share(result.cash_out_month(), len(result.months), within)


def breakeven_month(result: SimulationResult) -> np.ndarray:
    """First month from which operating cash flow stays >= 0 to the horizon; -1 if none.

    Returns
    -------
    ndarray of int, shape (paths,)
    """
    negative = result.total("operating_cash_flow") < 0
    months = negative.shape[1]
    last_negative = np.where(negative.any(axis=1), months - 1 - np.argmax(negative[:, ::-1], axis=1), -1)
    return np.where(last_negative == months - 1, -1, last_negative + 1)


def capital_consumed(result: SimulationResult) -> np.ndarray:
    """Deepest cumulative operating burn before breakeven (or over the horizon if none).

    The operating cash the business uses up before it funds itself: ``max(0,
    -min(cumsum(operating_cash_flow)))`` over months up to breakeven. Shape (paths,), currency.
    """
    cumulative = np.cumsum(result.total("operating_cash_flow"), axis=1)
    end = breakeven_month(result)
    months = np.arange(cumulative.shape[1])[None, :]
    window = months <= np.where(end < 0, cumulative.shape[1] - 1, end)[:, None]
    return np.maximum(0.0, -np.where(window, cumulative, np.inf).min(axis=1))


@dataclass(frozen=True)
class RaiseNeed:
    """The smallest extra raise that keeps cash >= the minimum on a share of paths.

    Attributes
    ----------
    amount : float or None
        Currency, rounded up to a whole unit; None when no amount can reach the
        confidence (too many paths fall below the minimum before ``month``).
    month : str
        Month the money arrives (YYYY-MM).
    confidence : float
        Required share of paths.
    until : str
        ``horizon`` or ``breakeven`` (each path's own breakeven month).
    minimum_cash : float
    survival_without : float
        Share of paths that keep cash >= minimum without the extra raise.
    reachable_share : float
        Share of paths an extra raise at ``month`` can still save.
    """

    amount: float | None
    month: str
    confidence: float
    until: str
    minimum_cash: float
    survival_without: float
    reachable_share: float


def raise_shortfall(result: SimulationResult, *, month: int = 0, until: str = "horizon",
                    floor: np.ndarray | None = None) -> np.ndarray:
    """Per path, the extra money needed at ``month`` to keep cash >= the minimum.

    Uses ``cash_if_funded`` (every planned inflow arrives), which an extra raise shifts
    exactly. ``inf`` where the path is already below the minimum before ``month``.

    Returns
    -------
    ndarray, shape (paths,), currency
    """
    if until not in ("horizon", "breakeven"):
        raise ValueError(f"until must be 'horizon' or 'breakeven' (got {until!r})")
    cash = result.total("cash_if_funded")
    floor = result.minimum_cash if floor is None else floor
    months = np.arange(cash.shape[1])[None, :]
    last = cash.shape[1] - 1
    if until == "breakeven":
        end = breakeven_month(result)
        last = np.where(end < 0, cash.shape[1] - 1, np.maximum(end, month))[:, None]
    window = (months >= month) & (months <= last)
    trough = np.where(window, cash, np.inf).min(axis=1)
    before = cash[:, :month].min(axis=1) if month > 0 else np.full(cash.shape[0], np.inf)
    shortfall = np.maximum(0.0, floor - trough)
    return np.where(before < floor, np.inf, shortfall)


def minimum_raise(result: SimulationResult, *, month: int = 0, confidence: float = 0.9,
                  until: str = "horizon") -> RaiseNeed:
    """The smallest amount raised at ``month`` that keeps cash >= ``funding.minimum_cash``
    through the horizon (or each path's breakeven) on at least ``confidence`` of paths.

    A quantile of the per-path shortfalls (:func:`raise_shortfall`), not trial runs:
    with ``k = ceil(confidence * paths)``, the amount is the k-th smallest shortfall,
    rounded up to a whole currency unit. Exact for plans whose rounds do not depend on
    cash; a runway-triggered round is taken as it fired without the extra raise.
    """
    floor = result.minimum_cash
    shortfall = raise_shortfall(result, month=month, until=until, floor=floor)
    return raise_need(shortfall, month=str(result.months[month]), confidence=confidence,
                      until=until, minimum_cash=float(np.median(floor)))


def raise_need(shortfall: np.ndarray, *, month: str, confidence: float, until: str,
               minimum_cash: float) -> RaiseNeed:
    """:class:`RaiseNeed` from per-path shortfalls (shape (paths,), see :func:`raise_shortfall`)."""
    if not 0 < confidence <= 1:
        raise ValueError(f"confidence must be in (0, 1] (got {confidence})")
    k = math.ceil(confidence * shortfall.size - 1e-9)
    needed = float(np.partition(shortfall, k - 1)[k - 1])
    return RaiseNeed(
        amount=None if math.isinf(needed) else float(math.ceil(needed)),
        month=month, confidence=confidence, until=until, minimum_cash=minimum_cash,
        survival_without=float((shortfall == 0).mean()),
        reachable_share=float(np.isfinite(shortfall).mean()))


def funding_block(outcomes: dict, months: np.ndarray, *, plan: str, raise_month: int,
                  confidence: float, until: str) -> dict:
    """The funding block from per-path outcomes (see :func:`planner.analysis.outcomes.path_outcomes`)."""
    n = len(months)
    cash_out = outcomes["cash_out_month"]
    end = outcomes["breakeven_month"]
    reached = end >= 0
    return {
        "plan": plan,
        "cash_out_probability": {"by_month_12": cash_out_share(cash_out, n, 12),
                                 "by_month_24": cash_out_share(cash_out, n, 24),
                                 "by_horizon": cash_out_share(cash_out, n)},
        "runway_months": bands(runway_months_from(cash_out, n)) | {"censored_at": n},
        "below_minimum_cash_probability": float(outcomes["below_minimum_cash"].mean()),
        "breakeven": {"probability_within_horizon": float(reached.mean()),
                      "month": _month_bands(months, end) if reached.any() else None,
                      "capital_consumed": bands(outcomes["capital_consumed"])},
        "minimum_raise": asdict(raise_need(outcomes["raise_shortfall"], month=str(months[raise_month]),
                                           confidence=confidence, until=until,
                                           minimum_cash=float(np.median(outcomes["minimum_cash"])))),
    }


def _month_bands(months: np.ndarray, index: np.ndarray) -> dict[str, str]:
    """P10/P50/P90 of a month index where -1 means 'not within the horizon'."""
    ranked = np.where(index < 0, np.iinfo(np.int64).max, index)
    q = np.quantile(ranked, QUANTILES, method="inverted_cdf")
    return {k: (str(months[int(v)]) if v < len(months) else "not within horizon")
            for k, v in zip(("p10", "p50", "p90"), q)}


@dataclass
class Comparison:
    """Funding plans side by side on the same paths.

    Attributes
    ----------
    rows : list of dict
        One per plan: see :func:`plan_row`.
    results : dict of str -> SimulationResult
    """

    scenario: str
    paths: int
    seed: int
    rows: list[dict] = field(default_factory=list)
    results: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {"scenario": self.scenario, "paths": self.paths, "seed": self.seed,
                "common_random_numbers": True, "plans": self.rows}


def plan_row(result: SimulationResult, label: str | None = None) -> dict:
    """One plan's line of the comparison table (JSON-ready)."""
    raised = (result.total("equity_raised") + result.total("debt_drawn")).sum(axis=1)
    floor = result.minimum_cash
    need = raise_need(raise_shortfall(result, month=0, floor=floor), month=str(result.months[0]),
                      confidence=0.9, until="horizon", minimum_cash=float(np.median(floor)))
    return {
        "plan": label or result.plan,
        "cash_out_by_month_12": cash_out_probability(result, 12),
        "cash_out_by_month_24": cash_out_probability(result, 24),
        "cash_out_by_horizon": cash_out_probability(result),
        "runway_months": bands(result.runway_months()) | {"censored_at": len(result.months)},
        "cash_trough_p10": float(np.quantile(result.cash_trough(), 0.1)),
        "below_minimum_cash": float((result.total("cash") < floor[:, None]).any(axis=1).mean()),
        "extra_raise_now_p90": need.amount,
        "arr_end": bands(result.total("arr")[:, -1]),
        "total_raised": bands(raised),
        "dilution": bands(1.0 - result.ownership),
        "ownership_after": bands(result.ownership),
    }


