"""A plain-loop reference implementation of the model: the test oracle.

One path at a time, one month at a time, each cohort a small state machine (customers,
MRR per customer, age, last invoice). Slow and obvious on purpose: the vectorised
engine must match it path by path. It shares only the input draws with the engine.
"""
from __future__ import annotations

import math

import numpy as np

from planner.engine.sampling import draw_inputs
from planner.scenario.model import Retention, Scenario, Segment, Series
from planner.scenario.spec import Param

DAYS_PER_MONTH = 365.25 / 12


class _Path:
    """Input values of one path."""

    def __init__(self, draws: np.ndarray):
        self.draws = draws

    def v(self, value) -> float:
        return float(self.draws[value.index]) if isinstance(value, Param) else float(value)

    def series(self, s: Series | None, t: int) -> float:
        if s is None:
            return 0.0
        if s.kind == "constant":
            return self.v(s.value)
        if s.kind == "growth":
            step = t / 12.0 if s.growth_is_annual else t
            return self.v(s.start) * (1.0 + self.v(s.monthly_growth)) ** step
        level = 0.0
        for month, amount in s.steps:
            if month <= t:
                level = self.v(amount)
        return level


def _survival(ret: Retention, age: float, p: _Path) -> float:
    if ret.model == "constant":
        return (1.0 - p.v(ret.monthly_churn)) ** age
    if ret.model == "curve":
        pts = ret.curve
        for (a0, s0), (a1, s1) in zip(pts, pts[1:]):
            if age <= a1:
                w = (age - a0) / (a1 - a0)
                return math.exp((1 - w) * math.log(s0) + w * math.log(s1))
        (a0, s0), (a1, s1) = pts[-2], pts[-1]
        return math.exp(math.log(s1) + (math.log(s1) - math.log(s0)) / (a1 - a0) * (age - a1))
    alpha, beta = p.v(ret.alpha), p.v(ret.beta)
    if ret.log_cov is not None:
        (va, cab), (_, vb) = ret.log_cov
        la = math.sqrt(va)
        lb = cab / la if la > 0 else 0.0
        lc = math.sqrt(max(vb - lb * lb, 0.0))
        z1, z2 = p.v(ret.z_params[0]), p.v(ret.z_params[1])
        alpha, beta = alpha * math.exp(la * z1), beta * math.exp(lb * z1 + lc * z2)
    t = age / ret.period_months

    def lbeta(a, b):
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp(lbeta(alpha, beta + t) - lbeta(alpha, beta))


def _stepped(seg: Segment, age: int, p: _Path) -> float:
    return _survival(seg.retention, seg.term_months * (age // seg.term_months), p)


def _rates(seg: Segment, age: int, p: _Path) -> tuple[float, float]:
    if seg.mrr_curve is not None:
        def level(a):
            renewal = a - a % seg.term_months  # the curve moves at renewals only
            return float(np.interp(renewal, [k for k, _ in seg.mrr_curve], [v for _, v in seg.mrr_curve]))
        ratio = level(age) / level(max(age - 1, 0))
        return max(ratio - 1, 0.0), max(1 - ratio, 0.0)
    e, k = p.v(seg.expansion_rate), p.v(seg.contraction_rate)
    if seg.term_months > 1:
        k = 1 - (1 - k) ** seg.term_months if age % seg.term_months == 0 else 0.0
    return e, k


class _Cohort:
    def __init__(self, customers: float, mrr_each: float, age: int):
        self.n, self.each, self.age, self.billed_each = customers, mrr_each, age, mrr_each


def _step(seg: Segment, c: _Cohort, p: _Path, row: dict) -> None:
    """Age a cohort by one month and add its flows to ``row``."""
    c.age += 1
    before = _stepped(seg, c.age - 1, p)
    ratio = _stepped(seg, c.age, p) / before if before > 0 else 0.0
    churned = c.n * (1 - ratio)
    row["churned_customers"] += churned
    row["churned_mrr"] += churned * c.each
    c.n -= churned
    e, k = _rates(seg, c.age, p)
    row["expansion_mrr"] += c.n * c.each * e
    row["contraction_mrr"] += c.n * c.each * k
    c.each *= 1 + e - k
    _bill(seg, c, row)


def _bill(seg: Segment, c: _Cohort, row: dict) -> None:
    f = seg.billing_months
    if c.age % f == 0:
        row["billings"] += c.n * c.each * f
        c.billed_each = c.each
    else:
        row["billings"] += c.n * (c.each - c.billed_each)
    row["customers"] += c.n
    row["mrr"] += c.n * c.each
    row["deferred_revenue"] += c.n * c.billed_each * (f - 1 - c.age % f)


def _opening(seg: Segment, p: _Path) -> tuple[list[_Cohort], float, list[float]]:
    """Opening slices, opening deferred revenue, invoices of the 13 months before the start."""
    m, f = seg.term_months, seg.billing_months
    n0, mrr0 = p.v(seg.opening_customers), p.v(seg.opening_mrr)
    cohorts, deferred, prior = [], 0.0, [0.0] * 13
    for j in range(m):
        # the age nearest the book's average at which this slice renews in month j
        candidates = [a for a in range(seg.opening_age + m + 1) if (a + j + 1) % m == 0]
        age = min(candidates, key=lambda a: (abs(a - seg.opening_age), -a))
        each = mrr0 / n0 if n0 > 0 else 0.0
        cohorts.append(_Cohort(n0 / m, each, age))
        deferred += n0 / m * each * (f - 1 - age % f)
        for k in range(13):
            a = age + 1 + (k - 13)
            if a >= 0 and a % f == 0:
                prior[k] += n0 / m * each * f
    return cohorts, deferred, prior


def _segment_path(seg: Segment, sc: Scenario, p: _Path) -> dict:
    T = sc.horizon
    names = ("customers", "new_customers", "churned_customers", "mrr", "new_mrr", "expansion_mrr",
             "contraction_mrr", "churned_mrr", "revenue", "cogs", "billings", "collections",
             "deferred_revenue", "spend", "bad_debt")
    rows = [{n: 0.0 for n in names} for _ in range(T)]
    cohorts, deferred_open, prior = _opening(seg, p)
    for t in range(T):
        row = rows[t]
        for c in cohorts:
            _step(seg, c, p, row)
        if seg.marketing_budget is not None:
            row["spend"] = p.series(seg.marketing_budget, t)
            new = row["spend"] / p.v(seg.cac)
        else:
            new = p.series(seg.new_customers, t)
        price = p.v(seg.arpa) * (1 + p.v(seg.annual_increase)) ** (t // 12)
        cohort = _Cohort(new, price, 0)
        cohorts.append(cohort)
        row["new_customers"], row["new_mrr"] = new, new * price
        _bill(seg, cohort, row)
        row["revenue"] = row["mrr"]
        row["cogs"] = p.v(seg.hosting_pct) * row["revenue"] + p.v(seg.cost_per_customer) * row["customers"]
    lag = p.v(seg.payment_terms_days) / DAYS_PER_MONTH
    lo, frac = int(math.floor(lag)), lag - math.floor(lag)
    invoices = prior + [r["billings"] for r in rows]  # index 13 = month 0
    receivable = 0.0
    for k, amount in enumerate(prior):
        for delay, share in ((lo, 1 - frac), (lo + 1, frac)):
            if k - 13 + delay >= 0:
                receivable += amount * share
    bad = p.v(seg.bad_debt_rate)
    for t in range(T):
        for delay, share in ((lo, 1 - frac), (lo + 1, frac)):
            if 0 <= t - delay + 13 < len(invoices):
                due = invoices[t - delay + 13] * share
                rows[t]["collections"] += due * (1 - bad)
                rows[t]["bad_debt"] += due * bad
    return {"rows": rows, "deferred_open": deferred_open, "receivable_open": receivable}


def simulate_reference(scenario: Scenario, seed: int, paths: int, plans=None):
    """Simulate with plain loops; same keys and shapes as :func:`planner.engine.core.simulate_chunk`."""
    from planner.engine.core import FINANCING_SERIES, OPENING, OPERATING_SERIES, SEGMENT_SERIES

    plans = (scenario.plan(),) if plans is None else plans
    draws = draw_inputs(scenario, seed, 0, paths)
    T, S = scenario.horizon, len(scenario.segments)
    ops = {n: np.zeros((paths, T, S)) for n in SEGMENT_SERIES}
    ops |= {n: np.zeros((paths, T)) for n in OPERATING_SERIES}
    ops |= {n: np.zeros(paths) for n in OPENING}
    fin = {plan.name: {n: np.zeros((paths, T), dtype=bool if n == "insolvent" else float)
                       for n in FINANCING_SERIES} | {"ownership": np.ones(paths)} for plan in plans}
    for i in range(paths):
        p = _Path(draws[i])
        _one_path(scenario, p, i, ops)
        for plan in plans:
            _finance_path(scenario, plan, p, i, ops, fin[plan.name])
            unblocked = {n: np.zeros((1, T), dtype=a.dtype) for n, a in fin[plan.name].items()
                         if a.ndim == 2} | {"ownership": np.ones(1)}
            _finance_path(scenario, plan, p, 0, ops | {}, unblocked, block=False, row=i)
            fin[plan.name]["cash_if_funded"][i] = unblocked["cash"][0]
    return ops, fin


def _one_path(sc: Scenario, p: _Path, i: int, out: dict) -> None:
    T = sc.horizon
    spend = [0.0] * T
    for s, seg in enumerate(sc.segments):
        res = _segment_path(seg, sc, p)
        for t, row in enumerate(res["rows"]):
            for name in out:
                if out[name].ndim == 3:
                    out[name][i, t, s] = row[name]
            spend[t] += row["spend"]
            out["bad_debt"][i, t] += row["bad_debt"]
        out["opening_deferred_revenue"][i] += res["deferred_open"]
        out["opening_receivables"][i] += res["receivable_open"]
    depts = {d: [0.0] * T for d in ("sales", "marketing", "rnd", "cs", "ga")}
    for t in range(T):
        revenue = sum(out["revenue"][i, t, :])
        for role in sc.roles:
            count = role.start + sum(c for m, c in role.hires if m <= t)
            pay = p.v(role.salary) / 12 * (1 + p.v(role.burden)) * (1 + p.v(role.annual_raise)) ** (t // 12)
            depts[role.department][t] += count * pay
            out["headcount"][i, t] += count
        for line in sc.opex:
            depts[line.department][t] += p.series(line.monthly, t) + p.v(line.pct_of_revenue) * revenue
        depts["marketing"][t] += spend[t]
    out["opening_cash"][i] = p.v(sc.opening_cash)
    receivables = out["opening_receivables"][i]
    for t in range(T):
        out["sm_expense"][i, t] = depts["sales"][t] + depts["marketing"][t]
        out["rnd_expense"][i, t], out["cs_expense"][i, t] = depts["rnd"][t], depts["cs"][t]
        out["ga_expense"][i, t] = depts["ga"][t] + out["bad_debt"][i, t]
        cash_opex = sum(depts[d][t] for d in depts)
        collected = sum(out["collections"][i, t, :])
        out["operating_cash_flow"][i, t] = collected - sum(out["cogs"][i, t, :]) - cash_opex
        receivables += sum(out["billings"][i, t, :]) - collected - out["bad_debt"][i, t]
        out["receivables"][i, t] = receivables


def _finance_path(sc: Scenario, plan, p: _Path, i: int, ops: dict, fin: dict, block: bool = True,
                  row: int | None = None) -> None:
    """One plan on one path: a loan ledger and a cash account, month by month.

    ``i`` is the row written in ``fin``; ``row`` (default ``i``) the row read in ``ops``.
    Without ``block`` a path keeps receiving funding after it runs out of cash.
    """
    row = i if row is None else row
    from planner.scenario.model import EquityRound, MilestoneRound, RunwayRound, VentureDebt

    T = sc.horizon
    cash, dead, fired = p.v(sc.opening_cash), False, set()
    loans = []  # [instrument, balance]
    net_burn = []
    for t in range(T):
        arr = 12 * sum(ops["mrr"][row, t, :])
        inflow = equity = drawn = repaid = interest = 0.0
        for r in sc.rounds:
            if r.month == t and not dead:
                equity += p.v(r.amount)
        for k, x in enumerate(plan.instruments):
            if isinstance(x, EquityRound) and x.month == t and not dead:
                equity += p.v(x.amount)
                fin["ownership"][i] *= _kept(x, p, arr)
            elif isinstance(x, VentureDebt):
                if x.month == t and not dead:
                    drawn += p.v(x.amount)
                    interest += p.v(x.amount) * p.v(x.fee)
                    loans.append([x, p.v(x.amount), t])
            elif isinstance(x, (MilestoneRound, RunwayRound)) and k not in fired and not dead:
                if _fires(x, t, arr, cash, net_burn, p):
                    fired.add(k)
                    equity += p.v(x.amount)
                    fin["ownership"][i] *= _kept(x, p, arr)
        for x, balance, drawn_at in loans:
            if t > drawn_at:
                interest += balance * p.v(x.annual_rate) / 12
        for loan in loans:
            x, balance, drawn_at = loan
            if drawn_at + x.interest_only_months < t <= drawn_at + x.interest_only_months + x.amortisation_months:
                payment = p.v(x.amount) / x.amortisation_months
                repaid += payment
                loan[1] = balance - payment
        cash += ops["operating_cash_flow"][row, t] + equity + drawn - repaid - interest
        net_burn.append(-(ops["operating_cash_flow"][row, t] - repaid - interest))
        dead = (dead or cash < 0) if block else False
        fin["equity_raised"][i, t], fin["debt_drawn"][i, t] = equity, drawn
        fin["debt_repaid"][i, t], fin["interest"][i, t] = repaid, interest
        fin["debt_balance"][i, t] = sum(loan[1] for loan in loans)
        fin["cash"][i, t], fin["insolvent"][i, t] = cash, dead


def _kept(x, p: _Path, arr: float) -> float:
    v = x.valuation
    if v.pre_money is not None:
        pre = p.v(v.pre_money)
    elif v.arr_multiple is not None:
        pre = p.v(v.arr_multiple) * arr
    else:
        return 1.0
    amount = p.v(x.amount)
    kept = 1 - amount / (pre + amount) - p.v(v.option_pool) if pre + amount > 0 else 0.0
    return min(max(kept, 0.0), 1.0)


def _fires(x, t: int, arr: float, cash: float, net_burn: list, p: _Path) -> bool:
    from planner.scenario.model import MilestoneRound

    if isinstance(x, MilestoneRound):
        return x.not_before <= t <= x.deadline and arr >= p.v(x.arr_at_least)
    if t < max(x.not_before, 1):
        return False
    window = net_burn[max(0, t - 3):t]
    burn = sum(window) / len(window)
    return burn > 0 and cash / burn < p.v(x.runway_below_months)
