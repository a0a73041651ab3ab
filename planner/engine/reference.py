"""A plain-loop reference implementation of the model: the test oracle.

One path at a time, one month at a time, each cohort a small state machine (customers,
MRR per customer, age, last invoice); a funnel one stage at a time over the months,
each stage's arrivals leaving through its delay weights. Slow and obvious on purpose:
the vectorised engine must match it path by path. It shares only the input draws with
the engine.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from planner.engine.sampling import draw_inputs
from planner.scenario.model import (MAX_DELAY, Lag, Retention, Role, SalesCapacity, Scenario, Segment,
                                    Series, SpeedToLead)
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
    elif seg.coterm_expansion:  # the change, invoiced (or credited) for the rest of the period
        row["billings"] += c.n * (c.each - c.billed_each) * (f - c.age % f)
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
    slices = []
    if seg.opening_slices is not None:  # the book from actuals: its own ages and sizes
        slices = [(age, n, mrr / n if n > 0 else 0.0) for age, n, mrr in seg.opening_slices]
    for j in range(m if seg.opening_slices is None else 0):
        # the age nearest the book's average at which this slice renews in month j
        candidates = [a for a in range(seg.opening_age + m + 1) if (a + j + 1) % m == 0]
        age = min(candidates, key=lambda a: (abs(a - seg.opening_age), -a))
        slices.append((age, n0 / m, mrr0 / n0 if n0 > 0 else 0.0))
    cohorts, deferred, prior = [], 0.0, [0.0] * 13
    for age, n, each in slices:
        cohorts.append(_Cohort(n, each, age))
        deferred += n * each * (f - 1 - age % f)
        for k in range(13):
            a = age + 1 + (k - 13)
            if a >= 0 and a % f == 0:
                prior[k] += n * each * f
    return cohorts, deferred, prior


def _price(seg: Segment, p: _Path, t: int) -> float:
    """MRR of a customer won in month ``t``: ARPA raised by ``annual_increase`` every 12 months."""
    return p.v(seg.arpa) * (1 + p.v(seg.annual_increase)) ** (t // 12)


def _segment_path(seg: Segment, sc: Scenario, p: _Path, new_customers: list[float]) -> dict:
    """Cohorts of one segment; ``new_customers[t]`` start a cohort in month ``t``."""
    T = sc.horizon
    names = ("customers", "new_customers", "churned_customers", "mrr", "new_mrr", "expansion_mrr",
             "contraction_mrr", "churned_mrr", "revenue", "cogs", "billings", "collections",
             "deferred_revenue", "bad_debt")
    rows = [{n: 0.0 for n in names} for _ in range(T)]
    cohorts, deferred_open, prior = _opening(seg, p)
    for t in range(T):
        row = rows[t]
        for c in cohorts:
            _step(seg, c, p, row)
        new = new_customers[t]
        price = _price(seg, p, t)
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


# --- acquisition: the go-to-market funnel (docs/funnel.md) ---------------------------------


def _plain_acquisition(seg: Segment, sc: Scenario, p: _Path) -> dict:
    """New customers of a segment without a funnel: a number per month, or budget / CAC.

    Its funnel series are 0, except ``wins`` (its new customers, all sales-led).
    """
    T = sc.horizon
    out = {name: [0.0] * T for name in FLOW_NAMES}
    out["spend"] = [p.series(seg.marketing_budget, t) for t in range(T)]
    if seg.marketing_budget is not None:
        out["new_customers"] = [out["spend"][t] / p.v(seg.cac) for t in range(T)]
    else:
        out["new_customers"] = [p.series(seg.new_customers, t) for t in range(T)]
    out["wins"] = list(out["new_customers"])
    out["opening_open"] = 0.0
    return out


def _delay_weights(lag: Lag, p: _Path) -> list[float]:
    """``w[k]``, k = 0..MAX_DELAY: the share of a month's arrivals that leaves k months later.

    Explicit weights as given (already normalised); a gamma (mean, sd > 0) discretised to
    whole months with the tail in the last month; otherwise a fixed delay, a fraction split
    between the two neighbouring months.
    """
    w = [0.0] * (MAX_DELAY + 1)
    if lag.weights is not None:
        for month, share in lag.weights:
            w[month] += share
        return w
    mean, sd = p.v(lag.mean), p.v(lag.sd)
    if sd > 0 and mean > 0:
        shape, scale = (mean / sd) ** 2, sd * sd / mean

        def cdf(x: float) -> float:
            return float(stats.gamma.cdf(x, shape, scale=scale))

        w[0] = cdf(0.5)
        for m in range(1, MAX_DELAY):
            w[m] = cdf(m + 0.5) - cdf(m - 0.5)
        w[MAX_DELAY] = 1.0 - cdf(MAX_DELAY - 0.5)
        return w
    whole = math.floor(mean)
    frac = mean - whole
    w[min(whole, MAX_DELAY)] += 1.0 - frac
    if frac > 0:
        w[min(whole + 1, MAX_DELAY)] += frac
    return w


def _stage(arrivals: list[float], rates: list[float], w: list[float], level: float = 0.0,
           level_rate: float = 0.0) -> tuple[list, list, list, float]:
    """One stage: (converted, lost, still in the stage at month end) per month, and what is
    still in the stage at the end of the month before the start.

    Of the units arriving in month s, ``rates[s]`` convert and the rest are lost, both
    leaving ``k`` months later with weight ``w[k]``. Before the start ``level`` units
    arrived every month at rate ``level_rate`` (the warm start; 0 for an empty funnel):
    the months -MAX_DELAY..-1 are all that can still be in the stage at the start.
    """
    before, T = MAX_DELAY, len(arrivals)
    a = [level] * before + list(arrivals)  # index j is month j - before
    r = [level_rate] * before + list(rates)
    converted, lost, still_in = [0.0] * len(a), [0.0] * len(a), [0.0] * len(a)
    for t in range(len(a)):
        for s in range(t + 1):
            k = t - s
            if k <= MAX_DELAY:
                converted[t] += w[k] * r[s] * a[s]
                lost[t] += w[k] * (1 - r[s]) * a[s]
            still_in[t] += a[s] * sum(w[k + 1:])
    assert len(converted[before:]) == T
    return converted[before:], lost[before:], still_in[before:], still_in[before - 1]


def _curve_multiplier(curve: tuple, minutes: float) -> float:
    """The speed-to-lead odds multiplier at ``minutes``: log(multiplier) linear in
    log(minutes) between the curve's points, flat beyond its ends."""
    if minutes <= curve[0][0]:
        return curve[0][1]
    if minutes >= curve[-1][0]:
        return curve[-1][1]
    for (m0, f0), (m1, f1) in zip(curve, curve[1:]):
        if m0 <= minutes <= m1:
            x = (math.log(minutes) - math.log(m0)) / (math.log(m1) - math.log(m0))
            return math.exp((1 - x) * math.log(f0) + x * math.log(f1))
    raise AssertionError("curve points are sorted")


def _rate_at(speed: SpeedToLead, rate: float, minutes: float) -> float:
    """The stage rate (measured at ``speed.measured_at`` minutes) at a response of ``minutes``:
    its odds multiplied by curve(minutes) / curve(measured_at)."""
    if rate >= 1.0:
        return 1.0
    ratio = _curve_multiplier(speed.curve, minutes) / _curve_multiplier(speed.curve, speed.measured_at)
    odds = rate / (1 - rate) * ratio
    return odds / (1 + odds)


def _speed_rates(speed: SpeedToLead, rate: float, arrivals: list[float], sdrs: list[float] | None,
                 p: _Path) -> tuple[list, list, list]:
    """(stage rate, response_minutes, sdr_capacity) per month of the stage speed applies to.

    ``sdr_capacity = SDRs x leads_per_sdr`` whenever there is an SDR team (0 without).
    Direct ``response_minutes``: that time every month, whatever the coverage. Otherwise
    the share ``s = min(1, capacity / arrivals)`` is contacted within base minutes, the
    rest after overflow minutes (``s = 1`` in a month without arrivals: nobody waits).
    """
    T = len(arrivals)
    capacity = [0.0 if sdrs is None else sdrs[t] * p.v(speed.leads_per_sdr) for t in range(T)]
    if speed.response_minutes is not None:
        minutes = p.v(speed.response_minutes)
        return [_rate_at(speed, rate, minutes)] * T, [minutes] * T, capacity
    base, overflow = p.v(speed.base_minutes), p.v(speed.overflow_minutes)
    r_base, r_overflow = _rate_at(speed, rate, base), _rate_at(speed, rate, overflow)
    rates, response = [], []
    for t in range(T):
        s = 1.0 if arrivals[t] <= 0 else min(1.0, capacity[t] / arrivals[t])
        rates.append(s * r_base + (1 - s) * r_overflow)
        response.append(s * base + (1 - s) * overflow)
    return rates, response, capacity


def _ae_capacity(cap: SalesCapacity, role: Role, aes: list[float], seg: Segment, p: _Path) -> list:
    """Deals the AEs can close each month, new hires ramping linearly.

    A hire is a month-on-month increase in the team (before month 0 the team is ``start``
    for a fixed role, its month-0 size for a driven one); productivity (k+1)/(ramp+1) in
    the k-th month after the hire. Never below 0.
    """
    T, ramp = len(aes), cap.ramp_months
    before = float(role.start) if role.driver is None else aes[0]
    hires = [max(0.0, aes[t] - (aes[t - 1] if t > 0 else before)) for t in range(T)]
    out = []
    for t in range(T):
        if cap.quota_deals is not None:
            per_ae = p.v(cap.quota_deals)
        else:
            per_ae = p.v(cap.quota_new_arr) / (12 * _price(seg, p, t))
        ramping = sum(hires[t - k] * (1 - (k + 1) / (ramp + 1)) for k in range(ramp) if t - k >= 0)
        out.append(max(0.0, aes[t] - ramping) * per_ae * p.v(cap.attainment))
    return out


def _funnel(seg: Segment, sc: Scenario, p: _Path) -> dict:
    """A funnel segment's flows by month: stages, speed to lead, closing, capacity, trials.

    Returns the :data:`FLOW_NAMES` series plus ``spend`` (paid programme spend),
    ``new_customers`` (wins + trial wins) and ``opening_open`` (the pipeline in flight at
    the start: with a warm start every stage ran at its month-0 level, arrivals and rate,
    before the start; the capacity backlog starts empty).
    """
    f, T = seg.funnel, sc.horizon
    out: dict = {"spend": [p.series(f.paid_spend, t) for t in range(T)]}
    out["leads"] = [(out["spend"][t] / p.v(f.cost_per_lead) if f.paid_spend is not None else 0.0)
                    + p.series(f.inbound, t) for t in range(T)]
    lost, still_in, opening = [0.0] * T, [0.0] * T, 0.0

    def team(name: str) -> list[float]:
        # only the series computed so far exist: a team sized on a later one fails loudly
        return _role_counts(sc.role(name), {seg.name: out}, p, T)

    def run(arrivals, rates, lag, level):
        """One stage, its losses and open units added to the segment's; (converted, level out)."""
        nonlocal lost, still_in, opening
        converted, gone, waiting, at_start = _stage(arrivals, rates, _delay_weights(lag, p),
                                                    level, rates[0])
        lost, still_in, opening = _add(lost, gone), _add(still_in, waiting), opening + at_start
        return converted, level * rates[0]

    arrivals = out["leads"]
    level = arrivals[0] if f.warm_start else 0.0
    for key, stage, flow in (("mql", f.mql, "mqls"), ("sql", f.sql, "sqls"),
                             ("opportunity", f.opportunity, "opportunities")):
        rates = [p.v(stage.rate)] * T
        if f.speed is not None and f.speed.applies_to == key:
            sdrs = team(f.speed.sdr_role) if f.speed.sdr_role is not None else None
            rates, out["response_minutes"], out["sdr_capacity"] = _speed_rates(
                f.speed, p.v(stage.rate), arrivals, sdrs, p)
            out["contacted"] = list(arrivals)
        out[flow], level = run(arrivals, rates, stage.delay, level)
        arrivals = out[flow]
    ready, _ = run(arrivals, [p.v(f.win_rate)] * T, f.sales_cycle, level)
    if f.capacity is not None:
        role = sc.role(f.capacity.ae_role)
        out["ae_capacity"] = _ae_capacity(f.capacity, role, team(role.role), seg, p)
    out["wins"], gone, waiting = _close(ready, out.get("ae_capacity"), f.capacity)
    lost, still_in = _add(lost, gone), _add(still_in, waiting)
    if f.self_serve is not None:
        serve = f.self_serve
        out["trials"] = [p.series(serve.trials, t) for t in range(T)]
        out["trial_wins"], _ = run(out["trials"], [p.v(serve.conversion)] * T, serve.delay,
                                   out["trials"][0] if f.warm_start else 0.0)
    out["pipeline_lost"], out["pipeline_open"], out["opening_open"] = lost, still_in, opening
    for name in FLOW_NAMES:
        out.setdefault(name, [0.0] * T)
    out["new_customers"] = _add(out["wins"], out["trial_wins"])
    return out


def _close(ready: list[float], capacity: list[float] | None, cap: SalesCapacity | None
           ) -> tuple[list, list, list]:
    """(wins, lost for want of capacity, backlog at month end) per month.

    ``wins = min(ready + backlog carried in, capacity)``; the rest is carried over or lost.
    """
    T = len(ready)
    if cap is None:
        return list(ready), [0.0] * T, [0.0] * T
    wins, lost, backlog = [0.0] * T, [0.0] * T, [0.0] * T
    carried = 0.0
    for t in range(T):
        available = ready[t] + carried
        wins[t] = min(available, capacity[t])
        rest = available - wins[t]
        if cap.carry_over:
            carried = backlog[t] = rest
        else:
            lost[t], carried = rest, 0.0
    return wins, lost, backlog


def _add(a: list[float], b: list[float]) -> list[float]:
    return [x + y for x, y in zip(a, b)]


def _commissions(seg: Segment, flows: dict, p: _Path, T: int) -> list[float]:
    """Commission paid each month: rate x 12 x new MRR of sales-led wins, in equal parts over
    ``paid_over_months`` from the month of the win (parts beyond the horizon fall outside).
    Unless the funnel starts cold, wins at month 0's level in the months before the start
    are still being paid for."""
    out = [0.0] * T
    if seg.commission is None:
        return out
    rate, months = p.v(seg.commission.rate), seg.commission.paid_over_months
    sales_led = flows["wins"] if seg.funnel is not None else flows["new_customers"]
    warm = seg.funnel is None or seg.funnel.warm_start
    first = -(months - 1) if warm else 0  # a warm business also won deals before the start
    for won in range(first, T):
        month = max(won, 0)
        amount = rate * 12 * sales_led[month] * _price(seg, p, month)
        for t in range(max(won, 0), min(won + months, T)):
            out[t] += amount / months
    return out


# --- people ------------------------------------------------------------------------------


def _role_counts(role: Role, metrics: dict, p: _Path, T: int) -> list[float]:
    """People in ``role`` at each month end.

    Fixed: ``start`` plus the hires to date. Driven: ``max(minimum, ceil(D(t - lag) / per))``
    with D the driver's series of its segment (or all segments added), D(0) before ``lag``.
    """
    if role.driver is None:
        return [float(role.start + sum(c for m, c in role.hires if m <= t)) for t in range(T)]
    d = role.driver
    scope = [d.segment] if d.segment is not None else list(metrics)
    values = [sum(metrics[name][d.of][t] for name in scope) for t in range(T)]
    per = p.v(d.per)
    return [float(max(d.minimum, math.ceil(values[max(t - d.lag_months, 0)] / per - 1e-9)))
            for t in range(T)]


def simulate_reference(scenario: Scenario, seed: int, paths: int, plans=None):
    """Simulate with plain loops; same keys and shapes as :func:`planner.engine.core.simulate_chunk`.

    Operations hold :data:`~planner.engine.core.SEGMENT_SERIES` (funnel series included),
    ``OPERATING_SERIES``, ``OPENING`` and ``role_headcount`` (paths, months, roles).
    """
    from planner.engine.core import FINANCING_SERIES, OPENING, OPERATING_SERIES, SEGMENT_SERIES

    plans = (scenario.plan(),) if plans is None else plans
    draws = draw_inputs(scenario, seed, 0, paths)
    T, S = scenario.horizon, len(scenario.segments)
    ops = {n: np.zeros((paths, T, S)) for n in SEGMENT_SERIES}
    ops |= {n: np.zeros((paths, T)) for n in OPERATING_SERIES}
    ops |= {n: np.zeros(paths) for n in OPENING}
    ops["role_headcount"] = np.zeros((paths, T, len(scenario.roles)))
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
    """Operations of path ``i``: acquisition, cohorts, people, costs, S&M attribution, cash."""
    T = sc.horizon
    metrics = {seg.name: (_funnel if seg.funnel is not None else _plain_acquisition)(seg, sc, p)
               for seg in sc.segments}
    for s, seg in enumerate(sc.segments):
        flows = metrics[seg.name]
        res = _segment_path(seg, sc, p, flows["new_customers"])
        flows["customers"] = [row["customers"] for row in res["rows"]]
        flows["commissions"] = _commissions(seg, flows, p, T)
        for t, row in enumerate(res["rows"]):
            for name in SEGMENT_NAMES:
                out[name][i, t, s] = row[name]
            for name in FLOW_NAMES + ("commissions",):
                out[name][i, t, s] = flows[name][t]
            out["bad_debt"][i, t] += row["bad_debt"]
        out["opening_deferred_revenue"][i] += res["deferred_open"]
        out["opening_receivables"][i] += res["receivable_open"]
        out["opening_pipeline"][i] += flows["opening_open"]
    counts = [_role_counts(role, metrics, p, T) for role in sc.roles]
    depts, direct = _costs(sc, p, i, out, metrics, counts)
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
    _attribute(sc, i, out, direct)


#: cohort series copied from a segment's rows into the output
SEGMENT_NAMES = ("customers", "new_customers", "churned_customers", "mrr", "new_mrr", "expansion_mrr",
                 "contraction_mrr", "churned_mrr", "revenue", "cogs", "billings", "collections",
                 "deferred_revenue")
#: funnel series a segment's acquisition produces (zeros where not modelled)
FLOW_NAMES = ("leads", "mqls", "sqls", "opportunities", "wins", "trials", "trial_wins",
              "pipeline_lost", "pipeline_open", "contacted", "response_minutes", "sdr_capacity",
              "ae_capacity")
DEPARTMENTS = ("sales", "marketing", "rnd", "cs", "ga")
SM_DEPARTMENTS = ("sales", "marketing")


def _costs(sc: Scenario, p: _Path, i: int, out: dict, metrics: dict, counts: list) -> tuple:
    """Department costs by month, and each segment's direct S&M cost by month.

    Writes ``role_headcount`` and ``headcount``. Direct S&M of a segment: its programme
    spend, its commissions, and sales/marketing roles and opex lines with its ``segment``
    (the scenario builder gives a funnel's SDR and AE teams that funnel's segment).
    """
    T = sc.horizon
    depts = {d: [0.0] * T for d in DEPARTMENTS}
    direct = {seg.name: [0.0] * T for seg in sc.segments}
    for t in range(T):
        revenue = sum(out["revenue"][i, t, :])
        for r, role in enumerate(sc.roles):
            count = counts[r][t]
            pay = p.v(role.salary) / 12 * (1 + p.v(role.burden)) * (1 + p.v(role.annual_raise)) ** (t // 12)
            depts[role.department][t] += count * pay
            if role.department in SM_DEPARTMENTS and role.segment is not None:
                direct[role.segment][t] += count * pay
            out["role_headcount"][i, t, r] = count
            out["headcount"][i, t] += count
        for line in sc.opex:
            cost = p.series(line.monthly, t) + p.v(line.pct_of_revenue) * revenue
            depts[line.department][t] += cost
            if line.department in SM_DEPARTMENTS and line.segment is not None:
                direct[line.segment][t] += cost
        for seg in sc.segments:
            flows = metrics[seg.name]
            depts["marketing"][t] += flows["spend"][t]  # programme spend: paid leads or budget
            depts["sales"][t] += flows["commissions"][t]
            direct[seg.name][t] += flows["spend"][t] + flows["commissions"][t]
    return depts, direct


def _attribute(sc: Scenario, i: int, out: dict, direct: dict) -> None:
    """``sm_direct`` and ``acquisition_cost``: direct cost plus the shared S&M cost split by
    new MRR (equal shares in a month without new MRR)."""
    S = len(sc.segments)
    for t in range(sc.horizon):
        total_direct = sum(direct[seg.name][t] for seg in sc.segments)
        shared = out["sm_expense"][i, t] - total_direct
        new_mrr = [out["new_mrr"][i, t, s] for s in range(S)]
        total_new = sum(new_mrr)
        for s, seg in enumerate(sc.segments):
            share = new_mrr[s] / total_new if total_new > 0 else 1.0 / S
            out["sm_direct"][i, t, s] = direct[seg.name][t]
            out["acquisition_cost"][i, t, s] = direct[seg.name][t] + shared * share


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
    book = cash + ops["opening_receivables"][row] - ops["opening_deferred_revenue"][row]
    loans = []  # [instrument, balance, month drawn]
    for x in plan.instruments:  # drawn before the start: outstanding at it
        if isinstance(x, VentureDebt) and x.month < 0:
            paid = min(max(-1 - x.month - x.interest_only_months, 0), x.amortisation_months)
            loans.append([x, p.v(x.amount) * (1 - paid / x.amortisation_months), x.month])
            book -= loans[-1][1]
    net_burn = []
    for t in range(T):
        arr = 12 * sum(ops["mrr"][row, t, :])
        equity = drawn = repaid = interest = fees = 0.0
        for r in sc.rounds:
            if r.month == t and (not dead or r.arrives_when_insolvent):
                equity += p.v(r.amount)
        for k, x in enumerate(plan.instruments):
            if isinstance(x, EquityRound) and x.month == t and (not dead or x.arrives_when_insolvent):
                equity += p.v(x.amount)
                fin["ownership"][i] *= _kept(x, p, arr)
            elif isinstance(x, VentureDebt):
                if x.month == t and not dead:
                    drawn += p.v(x.amount)
                    fees += p.v(x.amount) * p.v(x.fee)
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
        cash += ops["operating_cash_flow"][row, t] + equity + drawn - repaid - interest - fees
        net_burn.append(-(ops["operating_cash_flow"][row, t] - interest))  # financing excluded
        dead = (dead or cash < 0) if block else False
        fin["equity_raised"][i, t], fin["debt_drawn"][i, t] = equity, drawn
        fin["debt_repaid"][i, t], fin["interest"][i, t] = repaid, interest
        fin["debt_fees"][i, t] = fees
        fin["debt_balance"][i, t] = sum(loan[1] for loan in loans)
        fin["cash"][i, t], fin["insolvent"][i, t] = cash, dead
        expense = sum(ops[n][row, t] for n in ("sm_expense", "rnd_expense", "cs_expense", "ga_expense"))
        book += (sum(ops["revenue"][row, t, :]) - sum(ops["cogs"][row, t, :]) - expense - interest
                 - fees + equity)
        fin["equity_book"][i, t] = book


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
