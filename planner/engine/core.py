"""The engine: one chunk of paths through revenue, costs and cash.

Axis order everywhere: ``(paths, months, segments)`` for segment series and
``(paths, months)`` for company series.
"""
from __future__ import annotations

import numpy as np

from planner.engine.costs import department_costs, segment_cogs
from planner.engine.revenue import segment_revenue
from planner.engine.sampling import Inputs, sample_params
from planner.scenario.model import Scenario

#: series kept per segment, shape (paths, months, segments)
SEGMENT_SERIES = ("customers", "new_customers", "churned_customers", "mrr", "new_mrr",
                  "expansion_mrr", "contraction_mrr", "churned_mrr", "revenue", "cogs",
                  "billings", "collections", "deferred_revenue")
#: series kept for the company only, shape (paths, months)
COMPANY_SERIES = ("sm_expense", "rnd_expense", "cs_expense", "ga_expense", "headcount",
                  "funding", "cash")


def simulate_chunk(scenario: Scenario, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Simulate paths ``start..stop-1``.

    Returns
    -------
    dict of ndarray
        Every name in :data:`SEGMENT_SERIES` (paths, months, segments), every name in
        :data:`COMPANY_SERIES` (paths, months), and the opening balances
        ``opening_cash``, ``opening_deferred_revenue``, ``opening_receivables`` (paths,).
    """
    inputs = Inputs(scenario, sample_params(scenario.params, seed, start, stop))
    per_segment = [segment_revenue(seg, inputs) for seg in scenario.segments]
    out = {name: np.stack([s[name] for s in per_segment], axis=2)
           for name in SEGMENT_SERIES if name != "cogs"}
    out["cogs"] = np.stack([
        segment_cogs(inputs.value(seg.hosting_pct), inputs.value(seg.cost_per_customer),
                     s["revenue"], s["customers"]) for seg, s in zip(scenario.segments, per_segment)],
        axis=2)
    revenue = out["revenue"].sum(axis=2)
    spend = sum(s["programme_spend"] for s in per_segment)
    depts = department_costs(scenario, inputs, revenue, spend)
    out["sm_expense"] = depts["sales"] + depts["marketing"]
    out["rnd_expense"], out["cs_expense"], out["ga_expense"] = depts["rnd"], depts["cs"], depts["ga"]
    out["headcount"] = np.broadcast_to(depts["headcount"], revenue.shape)
    out["funding"] = _funding(scenario, inputs)
    out["opening_cash"] = inputs.full(inputs.value(scenario.opening_cash))[:, 0]
    out["opening_deferred_revenue"] = sum(s["opening_deferred"] for s in per_segment)
    out["opening_receivables"] = sum(s["opening_receivables"] for s in per_segment)
    opex = out["sm_expense"] + out["rnd_expense"] + out["cs_expense"] + out["ga_expense"]
    net = out["collections"].sum(axis=2) - out["cogs"].sum(axis=2) - opex + out["funding"]
    out["cash"] = out["opening_cash"][:, None] + np.cumsum(net, axis=1)
    return out


def _funding(scenario: Scenario, inputs: Inputs) -> np.ndarray:
    """Equity cash in by month, shape (paths, months)."""
    out = np.zeros((inputs.paths, inputs.horizon))
    for round_ in scenario.rounds:
        out[:, round_.month] += inputs.value(round_.amount)[:, 0]
    return out
