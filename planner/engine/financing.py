"""The funding overlay: a plan's instruments applied to the operating cash flow.

Operations (revenue, costs, collections) do not depend on cash, so they are simulated
once and every funding plan is applied on top of the same paths: plan comparisons use
common random numbers by construction. Instruments whose timing depends on the path
(milestone and runway-triggered rounds) are decided month by month, vectorised over
paths.

A path whose cash falls below zero is insolvent from that month on: it receives no
further funding (its cash then shows the gap), but debt service goes on.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.engine.sampling import Inputs
from planner.scenario.model import (EquityRound, MilestoneRound, Plan, RunwayRound, Scenario,
                                    Valuation, VentureDebt)

BURN_WINDOW = 3  # months of net burn averaged for runway


@dataclass
class Financing:
    """Financing series of one plan, each (paths, months) unless noted."""

    equity_raised: np.ndarray
    debt_drawn: np.ndarray
    debt_repaid: np.ndarray
    interest: np.ndarray       # interest and arrangement fees
    debt_balance: np.ndarray
    cash: np.ndarray
    insolvent: np.ndarray      # bool
    ownership: np.ndarray      # (paths,) existing holders' share after the plan's rounds


def debt_schedule(debt: VentureDebt, amount: np.ndarray, months: int, inputs: Inputs) -> dict:
    """Draw, repayments, interest and balance of a venture-debt facility.

    Interest for a month is charged on the balance at the end of the previous month at
    ``annual_rate / 12``; after ``interest_only_months`` the principal is repaid in
    ``amortisation_months`` equal instalments; the fee is paid with the draw.

    Parameters
    ----------
    amount : ndarray, shape (paths, 1)

    Returns
    -------
    dict of ndarray, shape (paths, months)
        ``drawn``, ``repaid``, ``interest``, ``balance``.
    """
    t = np.arange(months)[None, :]
    d, io, n = debt.month, debt.interest_only_months, debt.amortisation_months
    instalments = np.clip(t - d - io, 0, n)  # instalments paid by the end of month t
    balance = np.where(t >= d, amount * (1.0 - instalments / n), 0.0)
    repaid = np.where((t > d + io) & (t <= d + io + n), amount / n, 0.0)
    before = np.concatenate([np.zeros_like(balance[:, :1]), balance[:, :-1]], axis=1)
    interest = before * inputs.value(debt.annual_rate) / 12.0
    drawn = np.where(t == d, amount, 0.0)
    interest = interest + drawn * inputs.value(debt.fee)
    return {"drawn": drawn, "repaid": repaid, "interest": interest, "balance": balance}


def _pre_money(valuation: Valuation, arr_at_close: np.ndarray, inputs: Inputs) -> np.ndarray:
    if valuation.pre_money is not None:
        return np.broadcast_to(inputs.value(valuation.pre_money)[:, 0], arr_at_close.shape)
    if valuation.arr_multiple is not None:
        return inputs.value(valuation.arr_multiple)[:, 0] * arr_at_close
    return np.full(arr_at_close.shape, np.nan)  # valuation not given: no dilution counted


def _dilution_factor(valuation: Valuation, amount: np.ndarray, arr_at_close: np.ndarray,
                     inputs: Inputs) -> np.ndarray:
    """Share of their stake existing holders keep: ``1 - amount / post_money - option_pool``."""
    pre = _pre_money(valuation, arr_at_close, inputs)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = 1.0 - amount / (pre + amount) - inputs.value(valuation.option_pool)[:, 0]
    return np.where(np.isnan(pre), 1.0, np.clip(kept, 0.0, 1.0))


def apply_plan(scenario: Scenario, plan: Plan, inputs: Inputs, operating_cash_flow: np.ndarray,
               arr: np.ndarray, opening_cash: np.ndarray, *, block_when_insolvent: bool = True
               ) -> Financing:
    """Cash, debt and ownership of one funding plan over the operating paths.

    Parameters
    ----------
    operating_cash_flow : ndarray, shape (paths, months)
        Collections minus cash COGS and opex, before financing.
    arr : ndarray, shape (paths, months)
        ARR at the end of each month (milestones, ARR-multiple valuations).
    opening_cash : ndarray, shape (paths,)
    block_when_insolvent : bool
        If False, every planned inflow arrives even on insolvent paths (used to compute
        the minimum raise exactly).
    """
    paths, months = operating_cash_flow.shape
    zeros = np.zeros((paths, months))
    equity, drawn, repaid, interest, balance = (zeros.copy() for _ in range(5))
    for round_ in scenario.rounds:
        equity[:, round_.month] += np.broadcast_to(inputs.value(round_.amount)[:, 0], paths)
    fixed_equity = [x for x in plan.instruments if isinstance(x, EquityRound)]
    triggered = [x for x in plan.instruments if isinstance(x, (MilestoneRound, RunwayRound))]
    debts = [(x, debt_schedule(x, np.broadcast_to(inputs.value(x.amount), (paths, 1)), months,
                               inputs)) for x in plan.instruments if isinstance(x, VentureDebt)]
    for x in fixed_equity:
        equity[:, x.month] += np.broadcast_to(inputs.value(x.amount)[:, 0], paths)
    for _, s in debts:
        drawn, repaid, interest, balance = drawn + s["drawn"], repaid + s["repaid"], \
            interest + s["interest"], balance + s["balance"]
    return _month_by_month(plan, inputs, operating_cash_flow, arr, opening_cash, triggered,
                           equity, drawn, repaid, interest, balance, block_when_insolvent)


def _month_by_month(plan, inputs, ocf, arr, opening_cash, triggered, equity, drawn,
                    repaid, interest, balance, block) -> Financing:
    paths, months = ocf.shape
    cash = np.empty((paths, months))
    insolvent = np.zeros((paths, months), dtype=bool)
    fired = np.zeros((paths, len(triggered)), dtype=bool)
    dead = np.zeros(paths, dtype=bool)
    ownership = np.ones(paths)
    previous = opening_cash.astype(float).copy()
    net_burn = -(ocf - repaid - interest)
    dated = [x for x in plan.instruments if isinstance(x, EquityRound)]
    for t in range(months):
        alive = ~dead if block else np.ones(paths, dtype=bool)
        inflow = (equity[:, t] + drawn[:, t]) * alive
        for k, x in enumerate(triggered):
            fire = alive & ~fired[:, k] & _condition(x, t, arr, previous, net_burn, inputs)
            fired[:, k] |= fire
            amount = np.broadcast_to(inputs.value(x.amount)[:, 0], paths)
            equity[:, t] += np.where(fire, amount, 0.0)
            inflow = inflow + np.where(fire, amount, 0.0)
            ownership *= np.where(fire, _dilution_factor(x.valuation, amount, arr[:, t], inputs), 1.0)
        equity[:, t] *= alive
        drawn[:, t] *= alive
        cash[:, t] = previous + ocf[:, t] + inflow - repaid[:, t] - interest[:, t]
        dead |= cash[:, t] < 0
        insolvent[:, t] = dead
        previous = cash[:, t]
    for x in dated:
        got = equity_received(x, insolvent, block)
        amount = np.broadcast_to(inputs.value(x.amount)[:, 0], paths)
        ownership *= np.where(got, _dilution_factor(x.valuation, amount, arr[:, x.month], inputs), 1.0)
    return Financing(equity, drawn, repaid, interest, balance, cash, insolvent, ownership)


def equity_received(x: EquityRound, insolvent: np.ndarray, block: bool) -> np.ndarray:
    """Paths on which a dated round arrived (not insolvent before its month); shape (paths,)."""
    if not block or x.month == 0:
        return np.ones(insolvent.shape[0], dtype=bool)
    return ~insolvent[:, x.month - 1]


def _condition(x, t: int, arr, cash_before, net_burn, inputs) -> np.ndarray:
    """Whether a triggered round closes in month ``t``, per path."""
    if isinstance(x, MilestoneRound):
        if not x.not_before <= t <= x.deadline:
            return np.zeros(arr.shape[0], dtype=bool)
        return arr[:, t] >= inputs.value(x.arr_at_least)[:, 0]
    if t < max(x.not_before, 1):
        return np.zeros(arr.shape[0], dtype=bool)
    burn = net_burn[:, max(0, t - BURN_WINDOW):t].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        runway = np.where(burn > 0, cash_before / burn, np.inf)
    return runway < inputs.value(x.runway_below_months)[:, 0]
