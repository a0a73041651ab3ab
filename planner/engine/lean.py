"""The lean engine: the operations of a geometric scenario, computing only what is kept.

A scenario is *geometric* when every segment is one the month loop a modeller would
write by hand: monthly contracts billed monthly and paid on invoice, constant churn and
constant expansion and contraction rates (so every cohort's per-unit trajectory is
geometric from age 1 on, :func:`planner.engine.revenue.geometric_tail`), no funnel, no
opening book from actuals, no process noise, and people on dated hires. For such a
scenario the full engine's deferred revenue is exactly zero, its billings equal its
revenue and everything invoiced is due in the month billed; its cohorts are layered by
the recursion :func:`~planner.engine.revenue.layer_geometric`.

The lean engine calls the same functions in the same order for the series it computes,
and leaves out what is exactly zero or not asked for (churn and expansion flows,
deferred revenue, the go-to-market series, receivables). The numbers are the full
engine's to the bit (``tests/test_lean_engine.py``), only fewer of them: on the simple
model of ``benchmarks/simple_model.py`` a block costs a third of the full engine's.
"""
from __future__ import annotations

import numpy as np

from planner.engine.costs import commissions, department_rows, headcount, role_counts, segment_cogs
from planner.engine.revenue import layer_geometric, new_business, opening_slices
from planner.engine.retention import trajectory
from planner.engine.sampling import Inputs
from planner.engine.totals import company_total
from planner.scenario.model import Scenario, Segment
from planner.scenario.spec import Param

#: segment series the lean engine computes, shape (paths, months, segments)
SEGMENT = frozenset(("customers", "new_customers", "mrr", "new_mrr", "revenue", "cogs",
                     "collections"))
#: company series it computes, shape (paths, months)
COMPANY = frozenset(("sm_expense", "rnd_expense", "cs_expense", "ga_expense", "bad_debt",
                     "headcount", "operating_cash_flow"))
#: financing series are computed by :func:`planner.engine.core.finance` from these
FINANCING = frozenset(("equity_raised", "debt_drawn", "debt_repaid", "interest", "debt_fees",
                       "debt_balance", "cash", "insolvent", "cash_if_funded", "equity_book"))


def applies(scenario: Scenario, wanted: set[str]) -> bool:
    """Whether the lean engine gives every series in ``wanted`` of ``scenario``."""
    return (not scenario.process_noise and scenario.horizon >= 3
            and wanted <= SEGMENT | COMPANY | FINANCING
            and all(role.driver is None for role in scenario.roles)
            and all(_geometric(segment) for segment in scenario.segments))


def _geometric(segment: Segment) -> bool:
    """Monthly terms and invoices paid when issued, constant rates, no funnel or actuals."""
    return (segment.funnel is None and segment.retention.model == "constant"
            and segment.term_months == 1 and segment.billing_months == 1
            and segment.mrr_curve is None and segment.opening_slices is None
            and _certain(segment.payment_terms_days, 0.0))


def _certain(value, number: float) -> bool:
    return not isinstance(value, Param) and float(value) == number


def operations(scenario: Scenario, inputs: Inputs, wanted: set[str],
               into: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """:func:`planner.engine.core.operations` of a geometric scenario (see :func:`applies`):
    the series in ``wanted`` and those cash and the funding plans are made of.

    ``into``: arrays, shape (paths, months, segments), that segment series are written
    into instead of new arrays.

    Returns
    -------
    dict of ndarray
        ``mrr``, ``revenue`` and ``cogs`` (paths, months, segments) and the other
        segment series in ``wanted``; :data:`COMPANY` (paths or 1, months: one row when
        the same on every path); the openings ``opening_cash``,
        ``opening_deferred_revenue``, ``opening_receivables``, ``opening_pipeline`` (paths,).
    """
    into = {} if into is None else into
    horizon = inputs.horizon
    per_segment = [_segment(segment, inputs, "customers" in wanted) for segment in scenario.segments]
    out = {name: _stack([s[name] for s in per_segment], into.get(name))
           for name in SEGMENT if name in wanted or name in ("mrr", "revenue", "cogs")}
    counts = role_counts(scenario, inputs, _no_driver, {})
    paid = [np.zeros((1, horizon)) if seg.commission is None else
            commissions(seg.commission, s["new_mrr"], inputs)
            for seg, s in zip(scenario.segments, per_segment)]
    depts, _ = department_rows(scenario, inputs, counts, _total([s["revenue"] for s in per_segment]),
                               [s["programme_spend"] for s in per_segment], paid)
    out["bad_debt"] = sum(s["bad_debt"] for s in per_segment)
    out["sm_expense"] = depts["sales"] + depts["marketing"]
    out["rnd_expense"], out["cs_expense"] = depts["rnd"], depts["cs"]
    out["ga_expense"] = depts["ga"] + out["bad_debt"]
    out["headcount"] = headcount(counts, inputs)
    out["opening_cash"] = inputs.full(inputs.value(scenario.opening_cash))[:, 0]
    # nothing unearned or unpaid at the start: billed monthly, paid when billed
    for name in ("opening_deferred_revenue", "opening_receivables", "opening_pipeline"):
        out[name] = np.zeros(inputs.paths)
    cash_opex = depts["sales"] + depts["marketing"] + depts["rnd"] + depts["cs"] + depts["ga"]
    out["operating_cash_flow"] = (_total([s["collections"] for s in per_segment])
                                  - _total([s["cogs"] for s in per_segment]) - cash_opex)
    return out


def _no_driver(of: str, segment: str | None) -> np.ndarray:  # pragma: no cover - guarded by applies
    raise AssertionError("the lean engine has no role sized by a driver")


def _stack(arrays: list[np.ndarray], out: np.ndarray | None) -> np.ndarray:
    """``np.stack(arrays, axis=2, out=out)``; of one array without ``out``, a view."""
    if out is None and len(arrays) == 1:
        return arrays[0][:, :, None]
    return np.stack(arrays, axis=2, out=out)


def _total(terms: list[np.ndarray]) -> np.ndarray:
    """:func:`~planner.engine.totals.company_total` of the segments' series; of one segment
    the series itself (``0.0 + x`` is ``x`` to the bit for the non-negative ``x`` here)."""
    return terms[0] if len(terms) == 1 else company_total(terms)


def _segment(segment: Segment, inputs: Inputs, customers_kept: bool) -> dict[str, np.ndarray]:
    """One geometric segment's series, shape (paths, months) each (programme spend: paths
    or 1 rows).

    As :func:`planner.engine.revenue.segment_revenue` computes them: deferred revenue is
    zero, so billings are the revenue, all collected in the month billed (the full
    engine's additions of 0.0 to these non-negative numbers change no bit). Customers
    are layered only when kept or costed per customer.
    """
    new_customers, new_mrr, spend = new_business(segment, inputs)
    new_customers, new_mrr = _paths(new_customers, inputs), _paths(new_mrr, inputs)
    per_customer = not _certain(segment.cost_per_customer, 0.0)
    keys = ["customers", "mrr"] if customers_kept or per_customer else ["mrr"]
    # a geometric profile is layered from its first three ages
    unit = trajectory(segment, np.arange(3), inputs, keys)
    (start_age, customers, mrr), = opening_slices(segment, inputs)  # one slice: monthly terms
    book = trajectory(segment, np.arange(start_age, start_age + inputs.horizon + 1), inputs, keys)
    out = {"new_customers": new_customers, "new_mrr": new_mrr, "programme_spend": spend}
    for key, new, opening in (("customers", new_customers, customers), ("mrr", new_mrr, mrr)):
        if key in keys:
            out[key] = _layered(new, unit[key]) + book[key][:, 1:] * opening
    out["revenue"] = revenue = out["mrr"]
    bad_debt = inputs.value(segment.bad_debt_rate)
    out["collections"], out["bad_debt"] = revenue * (1.0 - bad_debt), revenue * bad_debt
    hosting = inputs.value(segment.hosting_pct)
    # no cost per customer: the full engine adds 0.0 * customers, which changes no bit
    out["cogs"] = segment_cogs(hosting, inputs.value(segment.cost_per_customer), revenue,
                               out["customers"]) if per_customer else hosting * revenue
    return out


def _paths(array: np.ndarray, inputs: Inputs) -> np.ndarray:
    """``array`` with one row per path (a copy only if it has one row)."""
    return array if array.shape[0] == inputs.paths else inputs.full(array)


def _layered(new: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """The cohorts of ``new`` (paths, months) on the geometric ``profile`` (rows, >= 3 ages):
    :func:`~planner.engine.revenue.layer` as it runs on a geometric profile."""
    scale, second = profile[:, 1], profile[:, 2]
    ratio = np.divide(second, scale, out=np.zeros_like(scale), where=scale != 0)
    return layer_geometric(new[:, None, :], profile[:, None, 0], scale[:, None], ratio[:, None])[:, 0]
