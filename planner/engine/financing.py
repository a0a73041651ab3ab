"""The funding overlay: a plan's instruments applied to the operating cash flow.

Operations (revenue, costs, collections) do not depend on cash, so they are simulated
once and every funding plan is applied on top of the same paths: plan comparisons use
common random numbers by construction. Instruments whose timing depends on the path
(milestone and runway-triggered rounds) are decided month by month, vectorised over
paths.

A path whose cash falls below zero is insolvent from that month on: it receives no
further funding (its cash then shows the gap) except signed rounds that arrive when
insolvent (``arrives_when_insolvent``, the default for committed rounds); loans drawn
before go on being serviced, loans it could not draw do not exist on it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.arrays import TILE_MONTHS, by_month, month_tiles
from planner.engine.sampling import Inputs
from planner.scenario.model import (EquityRound, MilestoneRound, Plan, Round, RunwayRound,
                                    Scenario, Valuation, VentureDebt)

BURN_WINDOW = 3  # months of net burn averaged for runway


@dataclass
class Financing:
    """Financing series of one plan, each (paths, months) unless noted."""

    equity_raised: np.ndarray
    debt_drawn: np.ndarray
    debt_repaid: np.ndarray
    interest: np.ndarray       # interest on the outstanding principal
    debt_fees: np.ndarray      # arrangement fees, paid with the draw
    debt_balance: np.ndarray
    cash: np.ndarray
    insolvent: np.ndarray      # bool
    ownership: np.ndarray      # (paths,) existing holders' share after the plan's rounds
    arrival: np.ndarray        # (paths, instruments) int month index of arrival, -1 never
    amount: np.ndarray         # (paths, instruments) amount raised or drawn (0 if never)
    pre_money: np.ndarray      # (paths, instruments) pre-money valuation, NaN if none
    kept: np.ndarray           # (paths, instruments) share existing holders keep (1 if none)


#: the per-path records of each instrument (:func:`instruments`), each (paths, instruments)
ARRIVAL_RECORDS = ("arrival", "amount", "pre_money", "kept")


def instruments(scenario: Scenario, plan: Plan) -> tuple:
    """The scenario's committed rounds then the plan's instruments: the columns of
    :data:`ARRIVAL_RECORDS`."""
    return tuple(scenario.rounds) + tuple(plan.instruments)


#: the series of a loan, each (paths, months)
DEBT_FLOWS = ("drawn", "repaid", "interest", "fees", "balance")


def net_burn(operating_cash_flow: np.ndarray, interest: np.ndarray) -> np.ndarray:
    """Net burn: cash out minus cash in from operations, financing excluded.

    ``net_burn = -(operating_cash_flow - interest)``: interest paid counts, as in the
    operating cash flow of US GAAP (ASC 230); equity raised, loans drawn, principal
    repaid and arrangement fees (financing flows) do not. Positive = burning. The one
    definition behind the burn multiple, runway-triggered rounds and the ``net_burn``
    series.
    """
    return -(operating_cash_flow - interest)


def debt_schedule(debt: VentureDebt, amount: np.ndarray, months: int, inputs: Inputs) -> dict:
    """Draw, repayments, interest, fee and balance of a venture-debt facility if drawn.

    Interest for a month is charged on the balance at the end of the previous month at
    ``annual_rate / 12``; after ``interest_only_months`` the principal is repaid in
    ``amortisation_months`` equal instalments; the fee is paid with the draw. A loan
    drawn before the start (``debt.month < 0``) is outstanding at it: no draw or fee, its
    interest and repayments go on.

    Parameters
    ----------
    amount : ndarray, shape (paths, 1)

    Returns
    -------
    dict of ndarray, shape (paths, months)
        :data:`DEBT_FLOWS`: ``drawn``, ``repaid``, ``interest``, ``fees``, ``balance``.
    """
    t = np.arange(months)[None, :]
    d, io, n = debt.month, debt.interest_only_months, debt.amortisation_months
    def balance_at(m):  # principal at the end of month m (d < 0: drawn before the start)
        return np.where(m >= d, amount * (1.0 - np.clip(m - d - io, 0, n) / n), 0.0)

    balance = balance_at(t)
    repaid = np.where((t > d + io) & (t <= d + io + n), amount / n, 0.0)
    before = balance_at(t - 1)
    interest = before * inputs.value(debt.annual_rate) / 12.0
    drawn = np.where(t == d, amount, 0.0)
    return {"drawn": drawn, "repaid": repaid, "interest": interest,
            "fees": drawn * inputs.value(debt.fee), "balance": balance}


def pre_money(valuation: Valuation, arr_at_close: np.ndarray, inputs: Inputs) -> np.ndarray:
    """Pre-money valuation of a round closing at ARR ``arr_at_close`` (paths,); NaN when
    the round gives no valuation."""
    if valuation.pre_money is not None:
        return np.broadcast_to(inputs.value(valuation.pre_money)[:, 0], arr_at_close.shape)
    if valuation.arr_multiple is not None:
        return inputs.value(valuation.arr_multiple)[:, 0] * arr_at_close
    return np.full(arr_at_close.shape, np.nan)  # valuation not given: no dilution counted


def dilution_factor(valuation: Valuation, amount: np.ndarray, arr_at_close: np.ndarray,
                     inputs: Inputs) -> np.ndarray:
    """Share of their stake existing holders keep: ``1 - amount / post_money - option_pool``."""
    pre = pre_money(valuation, arr_at_close, inputs)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = 1.0 - amount / (pre + amount) - inputs.value(valuation.option_pool)[:, 0]
    return np.where(np.isnan(pre), 1.0, np.clip(kept, 0.0, 1.0))


def apply_plan(scenario: Scenario, plan: Plan, inputs: Inputs, operating_cash_flow: np.ndarray,
               arr, opening_cash: np.ndarray, *, block_when_insolvent: bool = True,
               insolvency: bool = True, cash_into: np.ndarray | None = None) -> Financing:
    """Cash, debt and ownership of one funding plan over the operating paths.

    Parameters
    ----------
    operating_cash_flow : ndarray, shape (paths, months)
        Collections minus cash COGS and opex, before financing.
    arr : ndarray, shape (paths, months), or a callable that returns it
        ARR at the end of each month (milestones, ARR-multiple valuations); a callable is
        called only if the plan has money coming in.
    opening_cash : ndarray, shape (paths,)
    block_when_insolvent : bool
        If False, every planned inflow arrives even on insolvent paths (used to compute
        the minimum raise exactly).
    insolvency : bool
        False: a plan with no money coming in leaves ``insolvent`` None (not asked for).
    cash_into : ndarray, shape (paths, months), optional
        Where the cash of a plan with no money coming in is written; with
        ``operating_cash_flow`` None, where it was written already (the lean engine
        accumulates it while it makes the flows).
    """
    paths, months = (cash_into if operating_cash_flow is None else operating_cash_flow).shape
    dated = [(x, np.broadcast_to(inputs.value(x.amount)[:, 0], paths))
             for x in scenario.rounds + tuple(x for x in plan.instruments
                                              if isinstance(x, EquityRound))]
    triggered = [x for x in plan.instruments if isinstance(x, (MilestoneRound, RunwayRound))]
    debts = [(x, debt_schedule(x, np.broadcast_to(inputs.value(x.amount), (paths, 1)), months,
                               inputs)) for x in plan.instruments if isinstance(x, VentureDebt)]
    if not (dated or triggered or debts):
        return _no_financing(operating_cash_flow, opening_cash, insolvency, cash_into)
    if operating_cash_flow is None:
        raise ValueError("a plan with money coming in needs the operating cash flow")
    arr = arr() if callable(arr) else arr
    state = _State(paths, months, opening_cash, len(triggered), len(debts), len(dated))
    for t in range(months):
        _month(state, t, plan, inputs, operating_cash_flow, arr, dated, triggered, debts,
               block_when_insolvent)
    out = {name: sum((s[name] * state.drawn_ok[:, k, None] for k, (_, s) in enumerate(debts)),
                     np.zeros((paths, months))) for name in DEBT_FLOWS}
    kept = {}
    for k, (x, amount) in enumerate(dated):
        if isinstance(x, EquityRound):
            kept[k] = dilution_factor(x.valuation, amount, arr[:, x.month], inputs)
            state.ownership *= np.where(state.round_ok[:, k], kept[k], 1.0)
    records = _arrivals(state, scenario, plan, inputs, arr, dated, kept, debts)
    return Financing(state.equity, out["drawn"], out["repaid"], out["interest"], out["fees"],
                     out["balance"], state.cash, state.insolvent, state.ownership, *records)


def _arrivals(st: "_State", scenario: Scenario, plan: Plan, inputs: Inputs, arr: np.ndarray,
              dated: list, kept_dated: dict, debts: list) -> tuple[np.ndarray, ...]:
    """:data:`ARRIVAL_RECORDS` of every instrument (:func:`instruments` order), each
    (paths, instruments): month of arrival (-1 never), amount, pre-money, share kept."""
    paths, months = st.cash.shape
    index = {"dated": iter(range(len(dated))), "debt": iter(range(len(debts))),
             "triggered": iter(range(st.fired.shape[1]))}
    nan = np.full(paths, np.nan)
    columns = []
    for x in instruments(scenario, plan):
        if isinstance(x, (Round, EquityRound)):
            k = next(index["dated"])
            amount, on = dated[k][1], st.round_ok[:, k] & (0 <= x.month < months)
            arrival = np.where(on, x.month, -1)
            if isinstance(x, EquityRound):
                pre, kept = pre_money(x.valuation, arr[:, x.month], inputs), kept_dated[k]
            else:
                pre, kept = nan, 1.0
        elif isinstance(x, VentureDebt):
            k = next(index["debt"])
            amount = np.broadcast_to(inputs.value(x.amount), (paths, 1))[:, 0]
            on = st.drawn_ok[:, k] & (0 <= x.month < months)
            arrival, pre, kept = np.where(on, x.month, -1), nan, 1.0
        else:
            k = next(index["triggered"])
            amount = np.broadcast_to(inputs.value(x.amount)[:, 0], paths)
            arrival, pre, kept = st.fired_at[:, k], st.fired_pre[:, k], st.fired_kept[:, k]
            on = arrival >= 0
        columns.append((arrival, np.where(on, amount, 0.0), np.where(on, pre, np.nan),
                        np.where(on, kept, 1.0)))
    if not columns:
        return (np.full((paths, 0), -1), np.zeros((paths, 0)), np.zeros((paths, 0)),
                np.ones((paths, 0)))
    return tuple(np.stack([c[i] for c in columns], axis=1) for i in range(4))


def _no_financing(operating_cash_flow: np.ndarray, opening_cash: np.ndarray,
                  insolvency: bool = True, out: np.ndarray | None = None) -> Financing:
    """:func:`apply_plan` of a plan with no money coming in: cash is the opening balance
    plus the operating cash flow, accumulated month by month in the same order as the
    monthly pass (so the same numbers), and a path is insolvent from its first month
    below zero (None unless ``insolvency``); no instrument, so the
    :data:`ARRIVAL_RECORDS` have no column. ``out``: the array cash is written into;
    with ``operating_cash_flow`` None, the cash written there already."""
    if operating_cash_flow is None:
        cash = out
        paths, months = cash.shape
    else:
        paths, months = operating_cash_flow.shape
        # the flows' layout: their columns may be contiguous
        cash = np.empty_like(operating_cash_flow, dtype=float) if out is None else out
        _accumulate(operating_cash_flow, opening_cash, cash)
    insolvent = _insolvent(cash) if insolvency else None

    def zero():  # read-only: nothing adds to the flows of a plan without money in
        return np.broadcast_to(np.zeros(1), (paths, months))

    none = (np.full((paths, 0), -1), np.zeros((paths, 0)), np.zeros((paths, 0)), np.ones((paths, 0)))
    return Financing(zero(), zero(), zero(), zero(), zero(), zero(), cash, insolvent,
                     np.ones(paths), *none)


def _accumulate(operating_cash_flow: np.ndarray, opening_cash: np.ndarray, cash: np.ndarray) -> None:
    """``cash`` (paths, months) = ``opening_cash`` (paths,) plus the flows (paths,
    months) month by month (np.cumsum adds in this order too, but along a row per path,
    slower)."""
    paths, months = cash.shape
    balance = opening_cash.astype(float)  # a copy
    if by_month(operating_cash_flow) and not by_month(cash):
        # the flows months-major, cash by path: a tile of months made months-major, then copied
        tile = np.empty((TILE_MONTHS, paths))
        for first, stop in month_tiles(months):
            balance = running_balance(balance, operating_cash_flow[:, first:stop].T, tile)
            cash[:, first:stop] = tile[:stop - first].T
    else:
        for t in range(months):
            balance += operating_cash_flow[:, t]
            cash[:, t] = balance


def running_balance(balance: np.ndarray, flows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The balance after each month: ``out[t] = out[t - 1] + flows[t]`` (paths,) from the
    opening ``balance`` (paths,), for the months-major ``flows`` (months, paths) into
    ``out`` (at least as many rows); returns the last (a row of ``out``)."""
    for t in range(flows.shape[0]):
        balance = np.add(balance, flows[t], out=out[t])
    return balance


def _insolvent(cash: np.ndarray) -> np.ndarray:
    """From each path's first month below zero on, (paths, months) bool (``cash``'s layout)."""
    insolvent = np.less(cash, 0)
    for t in range(1, cash.shape[1]):
        np.logical_or(insolvent[:, t - 1], insolvent[:, t], out=insolvent[:, t])
    return insolvent


class _State:
    """What the month-by-month pass of :func:`apply_plan` carries from month to month."""

    def __init__(self, paths: int, months: int, opening_cash: np.ndarray, n_triggered: int,
                 n_debts: int, n_dated: int):
        self.cash = np.empty((paths, months))
        self.equity = np.zeros((paths, months))
        self.insolvent = np.zeros((paths, months), dtype=bool)
        self.burn = np.zeros((paths, months))    # net burn, for runway-triggered rounds
        self.fired = np.zeros((paths, n_triggered), dtype=bool)
        self.fired_at = np.full((paths, n_triggered), -1)       # month it closed, -1 never
        self.fired_pre = np.full((paths, n_triggered), np.nan)  # pre-money when it closed
        self.fired_kept = np.ones((paths, n_triggered))         # share kept when it closed
        self.drawn_ok = np.ones((paths, n_debts), dtype=bool)  # the loan was drawn
        self.round_ok = np.ones((paths, n_dated), dtype=bool)  # the dated round arrived
        self.dead = np.zeros(paths, dtype=bool)
        self.ownership = np.ones(paths)
        self.previous = opening_cash.astype(float).copy()


def _month(st: _State, t: int, plan, inputs, ocf, arr, dated, triggered, debts, block) -> None:
    """One month of a plan on every path: what arrives, debt service, cash, insolvency.

    A path below zero at an earlier month end is insolvent: no loan is drawn and no
    round closes on it, except a dated round that ``arrives_when_insolvent`` (a signed
    tranche, bridged). Loans never drawn are never serviced.
    """
    alive = ~st.dead if block else np.ones_like(st.dead)
    for k, (x, amount) in enumerate(dated):
        if x.month == t:
            st.round_ok[:, k] = alive | x.arrives_when_insolvent
            st.equity[:, t] += np.where(st.round_ok[:, k], amount, 0.0)
    flows = dict.fromkeys(DEBT_FLOWS[:-1], 0.0)
    for k, (x, s) in enumerate(debts):
        if x.month == t:
            st.drawn_ok[:, k] = alive
        for name in flows:
            flows[name] = flows[name] + s[name][:, t] * st.drawn_ok[:, k]
    st.burn[:, t] = net_burn(ocf[:, t], flows["interest"])
    for k, x in enumerate(triggered):
        fire = alive & ~st.fired[:, k] & _condition(x, t, arr, st.previous, st.burn, inputs)
        st.fired[:, k] |= fire
        amount = np.broadcast_to(inputs.value(x.amount)[:, 0], alive.shape)
        st.equity[:, t] += np.where(fire, amount, 0.0)
        kept = dilution_factor(x.valuation, amount, arr[:, t], inputs)
        st.ownership *= np.where(fire, kept, 1.0)
        if fire.any():
            st.fired_at[fire, k] = t
            st.fired_kept[fire, k] = kept[fire]
            st.fired_pre[fire, k] = pre_money(x.valuation, arr[:, t], inputs)[fire]
    st.cash[:, t] = (st.previous + ocf[:, t] + st.equity[:, t] + flows["drawn"] - flows["repaid"]
                     - flows["interest"] - flows["fees"])
    st.dead |= st.cash[:, t] < 0
    st.insolvent[:, t] = st.dead
    st.previous = st.cash[:, t]


def _condition(x, t: int, arr, cash_before, burn_so_far, inputs) -> np.ndarray:
    """Whether a triggered round closes in month ``t``, per path."""
    if isinstance(x, MilestoneRound):
        if not x.not_before <= t <= x.deadline:
            return np.zeros(arr.shape[0], dtype=bool)
        return arr[:, t] >= inputs.value(x.arr_at_least)[:, 0]
    if t < max(x.not_before, 1):
        return np.zeros(arr.shape[0], dtype=bool)
    burn = burn_so_far[:, max(0, t - BURN_WINDOW):t].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        runway = np.where(burn > 0, cash_before / burn, np.inf)
    return runway < inputs.value(x.runway_below_months)[:, 0]
