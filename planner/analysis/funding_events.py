"""Every funding event of a result's plan: what arrives, when, how likely, at what price.

The engine records, per path and per instrument, the month the money arrived (-1 never),
the amount, the pre-money valuation and the share existing holders kept
(``result.per_path["funding_*"]``, see :data:`planner.engine.financing.ARRIVAL_RECORDS`).
This module summarises them per instrument, so the terminal, the report and the workbook
tell the same story: dated rounds with their month, triggered rounds with the share of
paths on which they happen and the range of months they arrive in.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from planner.engine.financing import instruments
from planner.engine.sampling import Inputs
from planner.format import money
from planner.results import SimulationResult
from planner.scenario.model import EquityRound, MilestoneRound, Round, RunwayRound, VentureDebt

#: instrument code -> the words a reader sees after the name
KINDS = {"round": "committed round", "equity": "equity", "venture_debt": "venture debt",
         "milestone_equity": "equity on an ARR milestone",
         "runway_equity": "equity when runway is short"}


@dataclass(frozen=True)
class FundingEvent:
    """One instrument of a plan as it plays out over the paths.

    Attributes
    ----------
    plan : str
    label : str
        ``"Series B (equity)"``, ``"Growth loan (venture debt)"``, ...
    instrument : str
        ``round`` (committed), ``equity``, ``venture_debt``, ``milestone_equity`` or
        ``runway_equity`` (the scenario's ``type``).
    amount : float
        P50 amount over the paths on which it happens (currency).
    month : int or None
        Month index of a dated round or draw; None for a triggered round.
    trigger : str or None
        The condition of a triggered round, e.g. ``"ARR >= $15.0M, 2029-01 to 2030-06"``.
    probability : float
        Share of paths on which it happens (insolvent paths receive nothing, as in the
        engine, except rounds that arrive when insolvent).
    months : tuple of int or None
        P10/P50/P90 month index of arrival over the paths on which it happens; None if
        it happens on none.
    pre_money : float or None
        P50 pre-money valuation (currency); None for debt, committed rounds and rounds
        without a valuation.
    dilution : float or None
        P50 share of the company existing holders give up in this event (amount /
        post-money + option pool); None where no valuation is given.
    option_pool : float or None
        P50 option-pool top-up included in ``dilution`` (share of the post-money); None
        where no valuation is given.
    """

    plan: str
    label: str
    instrument: str
    amount: float
    month: int | None
    trigger: str | None
    probability: float
    months: tuple[int, int, int] | None
    pre_money: float | None
    dilution: float | None
    option_pool: float | None = None

    def to_dict(self, month_names: np.ndarray | None = None) -> dict:
        """JSON-ready; with ``month_names`` (the result's months) dates as ``YYYY-MM``."""
        out = asdict(self)
        if month_names is not None:
            out["month"] = None if self.month is None else str(month_names[self.month])
            out["months"] = None if self.months is None else [str(month_names[m]) for m in self.months]
        return out


def funding_events(result: SimulationResult) -> list[FundingEvent]:
    """The funding events of ``result``'s plan (committed rounds included), in time order.

    Dated events sort by their month, triggered ones by their P50 month of arrival; an
    event that happens on no path comes last.
    """
    return [event for _, event in _events(result)]


def event_arrivals(result: SimulationResult) -> np.ndarray:
    """Month index each event of :func:`funding_events` arrived on each path, -1 never.

    Returns
    -------
    ndarray of int, shape (paths, events)
        Columns in the order of :func:`funding_events`.
    """
    columns = [column for column, _ in _events(result)]
    return result.per_path["funding_arrival"][:, columns]


def _events(result: SimulationResult) -> list[tuple[int, FundingEvent]]:
    """(column of the engine's records, event) of every event, in time order."""
    if "funding_arrival" not in result.per_path:
        raise ValueError("this result has no funding records (simulate it again with this "
                         "version of planner)")
    scenario = result.scenario
    inputs = Inputs(scenario, result.draws)
    names = result.months
    found = []
    for column, x in enumerate(instruments(scenario, scenario.plan(result.plan))):
        if isinstance(x, VentureDebt) and x.month < 0:
            continue  # drawn before the start: outstanding debt, not an event of the plan
        found.append((column, _event(result, column, x, inputs, names)))
    def when(item):
        event = item[1]
        if event.month is not None:
            return (0, event.month)
        return (0, event.months[1]) if event.months is not None else (1, 0)
    return sorted(found, key=when)


def _event(result: SimulationResult, column: int, x, inputs: Inputs, names) -> FundingEvent:
    arrival = result.per_path["funding_arrival"][:, column]
    on = arrival >= 0
    amount = result.per_path["funding_amount"][:, column]
    pre = result.per_path["funding_pre_money"][:, column][on]
    kept = result.per_path["funding_kept"][:, column][on]
    code = _code(x)
    dated = isinstance(x, (Round, EquityRound, VentureDebt))
    priced = on.any() and not np.isnan(pre).all()
    return FundingEvent(
        plan=result.plan, label=f"{x.name} ({KINDS[code]})", instrument=code,
        amount=float(np.median(amount[on])) if on.any() else _typed_amount(x, inputs),
        month=int(x.month) if dated else None,
        trigger=None if dated else _trigger(x, inputs, names, result.scenario.currency),
        probability=float(on.mean()),
        months=tuple(int(v) for v in np.quantile(arrival[on], (0.1, 0.5, 0.9),
                                                 method="inverted_cdf")) if on.any() else None,
        pre_money=float(np.nanmedian(pre)) if priced else None,
        dilution=float(np.median(1.0 - kept)) if priced else None,
        option_pool=_median_input(x.valuation.option_pool, inputs) if priced and hasattr(x, "valuation")
        else None)


def _code(x) -> str:
    if isinstance(x, Round):
        return "round"
    if isinstance(x, EquityRound):
        return "equity"
    if isinstance(x, VentureDebt):
        return "venture_debt"
    return "milestone_equity" if isinstance(x, MilestoneRound) else "runway_equity"


def _median_input(value, inputs: Inputs) -> float:
    return float(np.median(np.broadcast_to(inputs.value(value), (inputs.draws.shape[0], 1))))


def _typed_amount(x, inputs: Inputs) -> float:
    """The P50 amount an event would raise, for one that happens on no path."""
    return _median_input(x.amount, inputs)


def _trigger(x: MilestoneRound | RunwayRound, inputs: Inputs, names, currency: str) -> str:
    """The condition of a triggered round in words (P50 of an uncertain threshold)."""
    if isinstance(x, MilestoneRound):
        return (f"ARR >= {money(_median_input(x.arr_at_least, inputs), currency)}, "
                f"{names[x.not_before]} to {names[x.deadline]}")
    limit = _median_input(x.runway_below_months, inputs)
    since = f", from {names[x.not_before]}" if x.not_before > 0 else ""
    return f"runway < {limit:g} months{since}"
