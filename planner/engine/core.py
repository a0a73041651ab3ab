"""The engine: one block of paths through revenue, costs, then a funding plan and cash.

Axis order everywhere: ``(paths, months, segments)`` for segment series and
``(paths, months)`` for company series.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from planner.engine.costs import (acquisition_cost, commissions, department_costs, role_count,
                                  role_counts,
                                  segment_cogs)
from planner.engine.funnel import segment_funnel
from planner.engine.financing import ARRIVAL_RECORDS, apply_plan
from planner.engine.noise import Noise
from planner.engine.revenue import new_price, segment_revenue
from planner.engine.sampling import Inputs, draw_inputs
from planner.engine.totals import company_total, segment_total
from planner.scenario.model import Plan, Scenario
from planner.series import names as series_names

#: what the engine produces, named in the catalogue :mod:`planner.series`:
#: series per segment, shape (paths, months, segments); the go-to-market series
#: (docs/funnel.md) are zeros where a segment has no funnel (its wins are then its new
#: customers); commissions and S&M attribution exist for every segment
SEGMENT_SERIES = series_names("segment")
#: people in each role at month end, shape (paths, months, roles)
ROLE_SERIES = series_names("role")
#: operating series kept for the company only, shape (paths, months)
OPERATING_SERIES = series_names("company")
#: financing series (they depend on the funding plan), shape (paths, months)
FINANCING_SERIES = series_names("financing")
COMPANY_SERIES = OPERATING_SERIES + FINANCING_SERIES
OPENING = ("opening_cash", "opening_deferred_revenue", "opening_receivables", "opening_pipeline")


def operations(scenario: Scenario, inputs: Inputs, noise: Noise | None = None,
               into: dict[str, np.ndarray] | None = None, keep=None,
               totals=()) -> dict[str, np.ndarray]:
    """Everything that does not depend on funding: funnel, revenue, people, costs, collections.

    ``noise``: the block's process-noise streams (each segment draws from its own), or
    None for expected values. ``into``: arrays, shape (paths, months, segments), that
    segment series are written into (their final place, e.g. slices of a result) instead
    of new arrays; series not in it get new arrays. ``keep``: the segment series the
    caller reads (None: all), others may be left out (and ``role_headcount`` unless it is
    in ``keep``); ``totals``: those of them wanted
    only as company totals, returned summed over segments, shape (paths, months) (no
    (paths, months, segments) array is made for them).

    Returns
    -------
    dict of ndarray
        :data:`SEGMENT_SERIES` (paths, months, segments), :data:`OPERATING_SERIES`
        (paths, months), :data:`ROLE_SERIES` (paths, months, roles) and :data:`OPENING`
        (paths,).
    """
    teams: dict[str, np.ndarray] = {}

    def team(name: str, metrics: dict) -> np.ndarray:
        """A funnel's SDR or AE team: its dated plan, or its driver from this segment's funnel."""
        if name not in teams:
            teams[name] = role_count(scenario.role(name), inputs, lambda of, _: metrics[of])
        return teams[name]

    # series a driver sizes a team by are read whatever was kept
    needed = None if keep is None else set(keep) | {r.driver.of for r in scenario.roles if r.driver}
    per_segment = []
    for seg in scenario.segments:
        acquired = None
        own = None if noise is None else noise.segment(seg.name)
        if seg.funnel is not None:
            acquired = segment_funnel(seg, inputs, new_price(seg, inputs), team, own)
        revenue = segment_revenue(seg, inputs, own, acquired, needed)
        per_segment.append(revenue | _funnel_series(acquired, revenue, inputs))
    into = {} if into is None else into
    out = {}
    for name in SEGMENT_SERIES:
        if name in _COSTED or (keep is not None and name not in keep and name not in _USED):
            continue
        if name in totals and name not in _USED and name not in into:
            # as the kept segments would add up (np.sum's order), so by_segment=False
            # changes no bit of a total, however many segments
            out[name] = company_total([s[name] for s in per_segment])
        else:
            out[name] = np.stack([s[name] for s in per_segment], axis=2, out=into.get(name))
    cogs = [segment_cogs(inputs.value(seg.hosting_pct), inputs.value(seg.cost_per_customer),
                         s["revenue"], s["customers"]) for seg, s in zip(scenario.segments, per_segment)]
    out["cogs"] = np.stack(cogs, axis=2, out=into.get("cogs"))
    counts = role_counts(scenario, inputs, partial(_metric, scenario, per_segment), teams)
    paid = [commissions(seg.commission, s["sales_new_mrr"], inputs,
                        seg.funnel is None or seg.funnel.warm_start)
            for seg, s in zip(scenario.segments, per_segment)]
    # company totals from the segments' own (contiguous) arrays, as np.sum adds them
    revenue = company_total([s["revenue"] for s in per_segment], out["revenue"])
    depts = department_costs(scenario, inputs, counts, revenue,
                             [s["programme_spend"] for s in per_segment], paid)
    out["commissions"] = np.stack(paid, axis=2, out=into.get("commissions"))
    out["bad_debt"] = sum(s["bad_debt"] for s in per_segment)
    out["sm_expense"] = depts["sales"] + depts["marketing"]
    out["sm_direct"] = depts["sm_direct"]
    if keep is None or "acquisition_cost" in keep:
        out["acquisition_cost"] = acquisition_cost(out["sm_expense"], out["sm_direct"], out["new_mrr"])
    out["rnd_expense"], out["cs_expense"] = depts["rnd"], depts["cs"]
    out["ga_expense"] = depts["ga"] + out["bad_debt"]  # bad debt is reported in G&A
    out["headcount"] = depts["headcount"]
    if keep is None or "role_headcount" in keep:
        out["role_headcount"] = np.stack([inputs.full(counts[r.role] * np.ones((1, inputs.horizon)))
                                          for r in scenario.roles], axis=2) \
            if scenario.roles else np.zeros((inputs.paths, inputs.horizon, 0))
    out["opening_cash"] = inputs.full(inputs.value(scenario.opening_cash))[:, 0]
    out["opening_deferred_revenue"] = sum(s["opening_deferred"] for s in per_segment)
    out["opening_receivables"] = sum(s["opening_receivables"] for s in per_segment)
    out["opening_pipeline"] = sum(s["opening_open"] for s in per_segment)
    collections = company_total([s["collections"] for s in per_segment], out["collections"])
    out["receivables"] = out["opening_receivables"][:, None] + np.cumsum(
        company_total([s["billings"] for s in per_segment], out["billings"]) - collections - out["bad_debt"], axis=1)
    cash_opex = depts["sales"] + depts["marketing"] + depts["rnd"] + depts["cs"] + depts["ga"]
    out["operating_cash_flow"] = collections - company_total(cogs, out["cogs"]) - cash_opex
    return out


#: segment series computed with the costs, not per segment up front
_COSTED = ("cogs", "commissions", "sm_direct", "acquisition_cost")
#: segment series the engine itself reads by segment, made whatever was asked for
_USED = frozenset(("revenue", "collections", "billings", "new_mrr", "mrr"))
_FLOWS = ("leads", "mqls", "sqls", "opportunities", "trials", "trial_wins", "pipeline_lost",
          "pipeline_open", "contacted", "response_minutes", "sdr_capacity", "ae_capacity")


def _funnel_series(acquired: dict | None, revenue: dict, inputs: Inputs) -> dict[str, np.ndarray]:
    """A segment's funnel series (zeros without a funnel, whose wins are its new customers),
    and the new MRR that sales won (commissions are paid on it)."""
    new = revenue["new_customers"]
    if acquired is None:
        zero = np.zeros_like(new)
        return {name: zero for name in _FLOWS} | {"wins": new, "sales_new_mrr": revenue["new_mrr"],
                                                  "opening_open": np.zeros(inputs.paths)}
    with np.errstate(divide="ignore", invalid="ignore"):
        # the sales-led share of what was won (with process noise new customers are drawn)
        sales_share = np.where(acquired["new_customers"] > 0,
                               acquired["wins"] / acquired["new_customers"], 0.0)
    return {name: acquired[name] for name in _FLOWS + ("wins", "opening_open")} | {
        "sales_new_mrr": revenue["new_mrr"] * sales_share}


def _metric(scenario: Scenario, per_segment: list[dict], of: str, segment: str | None) -> np.ndarray:
    """A driver's value: a series of one segment, or of all segments added; (paths, months)."""
    if segment is not None:
        return per_segment[scenario.segment_names.index(segment)][of]
    return sum(s[of] for s in per_segment)


def finance(scenario: Scenario, plan: Plan, inputs: Inputs, ops: dict, *,
            block_when_insolvent: bool = True, keep=None,
            cash_into: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:data:`FINANCING_SERIES` (paths, months), ``ownership`` (paths,) and each
    instrument's ``funding_arrival`` / ``_amount`` / ``_pre_money`` / ``_kept`` (paths,
    instruments; :data:`~planner.engine.financing.ARRIVAL_RECORDS`) of one plan.

    ``cash_if_funded`` is the cash balance if every planned inflow arrived even on
    insolvent paths: adding money at a month shifts it exactly, which makes the minimum
    raise a quantile of it. ``keep``: the financing series the caller reads (None: all);
    ``cash_if_funded`` and ``equity_book``, which cost a pass of their own, are left out
    unless kept. ``cash_into``: (paths, months) where the cash of a plan with no money
    coming in is written (the result array, say).
    """
    args = (scenario, plan, inputs, ops["operating_cash_flow"],
            lambda: 12.0 * segment_total(ops["mrr"]), ops["opening_cash"])
    fin = apply_plan(*args, block_when_insolvent=block_when_insolvent,
                     insolvency=keep is None or "insolvent" in keep, cash_into=cash_into)
    out = {name: getattr(fin, name) for name in FINANCING_SERIES
           if name not in ("cash_if_funded", "equity_book") and getattr(fin, name) is not None}
    if keep is None or "cash_if_funded" in keep:
        # with no money planned to come in, insolvency blocks nothing: the same cash
        unblocked = not block_when_insolvent or not (scenario.rounds or plan.instruments)
        out["cash_if_funded"] = fin.cash if unblocked else \
            apply_plan(*args, block_when_insolvent=False).cash
    if keep is None or "equity_book" in keep:
        out["equity_book"] = equity_book(ops, fin)
    return out | {"ownership": fin.ownership} | {
        f"funding_{name}": getattr(fin, name) for name in ARRIVAL_RECORDS}


def equity_book(ops: dict, fin) -> np.ndarray:
    """Book equity rolled forward: the opening book's net assets, then each month's net
    income and equity raised; (paths, months).

    Opening equity = opening cash + receivables - deferred revenue - debt outstanding at the
    start (a loan drawn before it).
    Net income = revenue - COGS - operating expense (bad debt in G&A) - interest - debt
    fees. Because it is not a plug, assets (cash + receivables) = liabilities (deferred
    revenue + debt) + equity is a check on the engine, on every path.
    """
    opening_debt = fin.debt_balance[:, 0] - fin.debt_drawn[:, 0] + fin.debt_repaid[:, 0]  # drawn before
    opening = ops["opening_cash"] + ops["opening_receivables"] - ops["opening_deferred_revenue"] - opening_debt
    expense = ops["sm_expense"] + ops["rnd_expense"] + ops["cs_expense"] + ops["ga_expense"]
    income = (segment_total(ops["revenue"]) - segment_total(ops["cogs"]) - expense - fin.interest
              - fin.debt_fees)
    return opening[:, None] + np.cumsum(income + fin.equity_raised, axis=1)


def simulate_chunk(scenario: Scenario, seed: int, start: int, stop: int,
                   plans: tuple[Plan, ...] | None = None, *, block_when_insolvent: bool = True
                   ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """Simulate paths ``start..stop-1`` under one or more funding plans.

    Returns
    -------
    operations : dict of ndarray
        See :func:`operations`.
    financing : dict of plan name -> dict of ndarray
        See :func:`finance`; the plans share the operating paths.
    """
    inputs = Inputs(scenario, draw_inputs(scenario, seed, start, stop))
    return run_chunk(scenario, inputs, seed, start, plans, block_when_insolvent=block_when_insolvent)


def run_chunk(scenario: Scenario, inputs: Inputs, seed: int, start: int,
              plans: tuple[Plan, ...] | None = None, *, block_when_insolvent: bool = True,
              into: dict[str, np.ndarray] | None = None, keep=None, totals=(),
              keep_financing=None
              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """:func:`simulate_chunk` on inputs already drawn (``inputs.draws`` of paths from
    ``start``), so a caller can keep the draws without drawing them twice; ``into``,
    ``keep`` and ``totals`` as in :func:`operations`, ``keep_financing`` as ``keep`` in
    :func:`finance`."""
    # process noise has streams of its own (keyed by segment), independent of the input
    # draws, so switching it on does not change the inputs
    ops = operations(scenario, inputs, Noise(seed, start) if scenario.process_noise else None,
                     into, keep, totals)
    plans = (scenario.plan(),) if plans is None else plans
    return ops, {p.name: finance(scenario, p, inputs, ops, block_when_insolvent=block_when_insolvent,
                                 keep=keep_financing) for p in plans}
