"""The go-to-market funnel of one segment, vectorised over paths (see docs/funnel.md).

Leads pass the MQL, SQL and opportunity stages, each a share converting after a delay;
opportunities close after the sales cycle, capped by account-executive capacity;
self-serve trials convert on their own. Stage flows are convolutions of arrivals with
the delay weights; only the capacity backlog needs a month-by-month loop.

With a warm start the arrays carry ``history`` months before the start (index
``history`` is month 0), so the pipeline in flight at the start resolves in the plan.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from planner.engine.revenue import development_matrix
from planner.engine.sampling import Inputs
from planner.scenario.exact import gamma_cdf
from planner.scenario.model import MAX_DELAY, Funnel, Lag, SalesCapacity, Segment, SpeedToLead

if TYPE_CHECKING:
    from planner.engine.noise import SegmentNoise

#: (role name, metrics so far of this segment) -> people in the role, (paths or 1, months)
TeamCount = Callable[[str, dict], np.ndarray]


def delay_weights(lag: Lag, inputs: Inputs) -> np.ndarray:
    """Share of units leaving after 0..MAX_DELAY months, shape (paths or 1, MAX_DELAY + 1)."""
    out_len = MAX_DELAY + 1
    if lag.weights is not None:
        w = np.zeros((1, out_len))
        for month, share in lag.weights:
            w[0, month] += share
        return w
    mean, sd = inputs.value(lag.mean), inputs.value(lag.sd)
    rows = max(mean.shape[0], sd.shape[0])
    mean, sd = np.broadcast_to(mean, (rows, 1)), np.broadcast_to(sd, (rows, 1))
    fixed = _fixed_weights(mean[:, 0], out_len)
    if not (sd > 0).any():
        return fixed
    edges = np.arange(out_len) + 0.5  # upper edge of month m
    with np.errstate(divide="ignore", invalid="ignore"):
        shape, scale = (mean / sd) ** 2, sd ** 2 / mean
        cdf = gamma_cdf(edges[None, :-1], shape, scale)  # scipy.stats.gamma.cdf to the bit
    gamma = np.diff(np.concatenate([np.zeros((rows, 1)), cdf, np.ones((rows, 1))], axis=1), axis=1)
    return np.where((sd > 0) & (mean > 0), gamma, fixed)


def _fixed_weights(mean: np.ndarray, out_len: int) -> np.ndarray:
    """A fixed delay split between the two neighbouring months, shape (rows, out_len)."""
    low = np.minimum(np.floor(mean).astype(int), out_len - 1)
    frac = np.where(low < out_len - 1, mean - low, 0.0)
    rows = np.arange(mean.shape[0])
    w = np.zeros((mean.shape[0], out_len + 1))
    w[rows, low] += 1.0 - frac
    w[rows, low + 1] += frac
    return w[:, :out_len]


def spread(amount: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``out[:, t] = sum_k weights[:, k] * amount[:, t - k]``: what leaves each month.

    Parameters
    ----------
    amount : ndarray, shape (paths, months)
    weights : ndarray, shape (paths or 1, K)

    Returns
    -------
    ndarray, shape (paths, months)
    """
    months = amount.shape[1]
    lags = np.flatnonzero(weights.any(axis=0))
    lags = lags[lags < months]
    if weights.shape[0] == 1 and lags.size > 4:
        # the same weights on every path: one BLAS product, as cohorts are layered
        return amount @ development_matrix(weights[0], months)
    out = np.zeros(np.broadcast_shapes(amount.shape, (weights.shape[0], amount.shape[1])))
    for k in lags:
        if k < months:
            out[:, k:] += weights[:, k:k + 1] * amount[:, :months - k]
    return out


def waiting(amount: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Units that arrived up to each month and have not left yet, shape (paths, months)."""
    still = 1.0 - np.cumsum(weights, axis=1)  # still waiting k months after arriving
    return spread(amount, np.clip(still, 0.0, None))


def stage(arrivals: np.ndarray, rate: np.ndarray, weights: np.ndarray) -> dict[str, np.ndarray]:
    """One stage: of each month's arrivals a share ``rate`` converts, the rest is lost, both
    after the delay ``weights``; ``open`` is what is still in the stage at month end."""
    converted = spread(arrivals * rate, weights)
    return {"converted": converted, "lost": spread(arrivals, weights) - converted,
            "open": waiting(arrivals, weights)}


def decay(curve: tuple[tuple[float, float], ...], minutes: np.ndarray) -> np.ndarray:
    """Odds multiplier at a response time: the curve interpolated log-log, flat beyond its ends."""
    xs = np.log([m for m, _ in curve])
    ys = np.log([f for _, f in curve])
    return np.exp(np.interp(np.log(minutes), xs, ys))


def rate_at(rate: np.ndarray, speed: SpeedToLead, minutes: np.ndarray) -> np.ndarray:
    """A stage rate measured at ``speed.measured_at`` minutes, moved to ``minutes`` on odds."""
    factor = decay(speed.curve, minutes) / decay(speed.curve, np.array(speed.measured_at))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = rate / (1.0 - rate) * factor
        moved = odds / (1.0 + odds)
    return np.where(rate >= 1.0, 1.0, np.where(rate <= 0.0, 0.0, moved))


def speed_to_lead(rate: np.ndarray, speed: SpeedToLead, arrivals: np.ndarray,
                  sdrs: np.ndarray | None, inputs: Inputs) -> dict[str, np.ndarray]:
    """The speed-adjusted rate, response time and SDR capacity, shape (paths, months) each.

    Arrivals up to SDR capacity are contacted in ``base_minutes``, the rest in
    ``overflow_minutes``; the rate is the mix of the two groups' rates.
    """
    capacity = np.zeros_like(arrivals) if sdrs is None else \
        sdrs * inputs.value(speed.leads_per_sdr) * np.ones_like(arrivals)
    if speed.response_minutes is not None:
        minutes = inputs.value(speed.response_minutes) * np.ones_like(arrivals)
        return {"rate": rate_at(rate, speed, minutes), "response_minutes": minutes,
                "sdr_capacity": capacity}
    with np.errstate(divide="ignore", invalid="ignore"):
        prompt = np.where(arrivals > capacity, capacity / arrivals, 1.0)
    base, late = inputs.value(speed.base_minutes), inputs.value(speed.overflow_minutes)
    return {"rate": prompt * rate_at(rate, speed, base) + (1 - prompt) * rate_at(rate, speed, late),
            "response_minutes": prompt * base + (1 - prompt) * late, "sdr_capacity": capacity}


def ramped(count: np.ndarray, before: np.ndarray, ramp_months: int) -> np.ndarray:
    """Fully productive equivalents of a team whose new hires ramp linearly.

    Parameters
    ----------
    count : ndarray, shape (paths or 1, months)
        People at month end.
    before : ndarray, shape (paths or 1, 1)
        People (fully ramped) the month before the start.
    ramp_months : int
        A hire works at ``(k + 1) / (ramp_months + 1)`` in their ``k``-th month.
    """
    hires = np.maximum(np.diff(count, axis=1, prepend=before), 0.0)
    shortfall = np.zeros_like(count, dtype=float)
    for k in range(ramp_months):
        if k < count.shape[1]:
            shortfall[:, k:] += hires[:, :count.shape[1] - k] * (1.0 - (k + 1) / (ramp_months + 1))
    return np.maximum(count - shortfall, 0.0)


def ae_capacity(capacity: SalesCapacity, aes: np.ndarray, before: np.ndarray, price: np.ndarray,
                inputs: Inputs) -> np.ndarray:
    """Deals the AEs can close each month, shape (paths, months)."""
    if capacity.quota_deals is not None:
        per_ae = inputs.value(capacity.quota_deals)
    else:
        per_ae = inputs.value(capacity.quota_new_arr) / (12.0 * price)
    productive = ramped(aes, before, capacity.ramp_months)
    return inputs.full(productive * per_ae * inputs.value(capacity.attainment)
                       * np.ones((1, inputs.horizon)))


def close(ready: np.ndarray, capacity: np.ndarray, carry_over: bool) -> dict[str, np.ndarray]:
    """Wins under capacity, month by month: ``min(ready + backlog, capacity)``.

    Returns ``wins``, ``lost`` (beyond capacity, when not carried over) and ``backlog``
    (waiting for capacity at month end), shape (paths, months) each.
    """
    wins, lost, backlog = (np.zeros_like(ready) for _ in range(3))
    waiting_now = np.zeros(ready.shape[0])
    for t in range(ready.shape[1]):
        available = ready[:, t] + waiting_now
        wins[:, t] = np.minimum(available, capacity[:, t])
        excess = available - wins[:, t]
        if carry_over:
            waiting_now = excess
        else:
            lost[:, t], waiting_now = excess, np.zeros_like(excess)
        backlog[:, t] = waiting_now
    return {"wins": wins, "lost": lost, "backlog": backlog}


def segment_funnel(segment: Segment, inputs: Inputs, price: np.ndarray, team: TeamCount,
                   noise: SegmentNoise | None = None) -> dict[str, np.ndarray]:
    """Every funnel series of one segment, shape (paths, months) each.

    Parameters
    ----------
    price : ndarray, shape (paths or 1, months)
        MRR of a customer won each month (for quotas in new ARR).
    team : callable
        ``team(role, metrics)``: people in a role, given this segment's metrics so far.
    noise : callable, optional
        The segment's process-noise streams, ``noise(stage) -> Generator``
        (:class:`~planner.engine.noise.Noise`): whole leads and trials each month, Poisson
        around the plan (streams ``leads`` and ``trials``); the stages then convert them
        as expected values.

    Returns
    -------
    dict
        the go-to-market series of :data:`~planner.engine.core.SEGMENT_SERIES` except the cost series, plus
        ``new_customers``, ``programme_spend`` and ``opening_open`` (paths,).
    """
    f: Funnel = segment.funnel
    T, P = inputs.horizon, inputs.paths
    weights = _weights(f, inputs)
    h = _history(f, weights) if f.warm_start else 0
    out = {name: np.zeros((P, T)) for name in (
        "leads", "mqls", "sqls", "opportunities", "wins", "trials", "trial_wins",
        "contacted", "response_minutes", "sdr_capacity", "ae_capacity")}
    lost, open_ = np.zeros((P, T + h)), np.zeros((P, T + h))
    spend = inputs.full(inputs.series(f.paid_spend) * np.ones((1, T)))
    cap_lost = backlog = np.zeros((P, T))
    if f.has_leads:
        leads = inputs.full(inputs.series(f.inbound) * np.ones((1, T)))
        if f.paid_spend is not None:
            leads = leads + spend / inputs.value(f.cost_per_lead)
        if noise is not None:
            leads = noise("leads").poisson(leads).astype(float)
        chain = _lead_chain(f, inputs, leads, weights, team, h)
        out |= {k: v for k, v in chain.items() if k in out}
        lost, open_ = lost + chain["lost"], open_ + chain["open"]
        out["wins"] = chain["ready"]
        if f.capacity is not None:
            aes = team(f.capacity.ae_role, chain)
            out["ae_capacity"] = ae_capacity(f.capacity, aes, _before(inputs, f.capacity.ae_role, aes),
                                             price, inputs)
            done = close(chain["ready"], out["ae_capacity"], f.capacity.carry_over)
            out["wins"], cap_lost, backlog = done["wins"], done["lost"], done["backlog"]
    if f.self_serve is not None:
        trials = inputs.full(inputs.series(f.self_serve.trials) * np.ones((1, T)))
        if noise is not None:
            trials = noise("trials").poisson(trials).astype(float)
        conv = stage(warm_extend(trials, h), inputs.value(f.self_serve.conversion), weights["trial"])
        out["trials"], out["trial_wins"] = trials, conv["converted"][:, h:]
        lost, open_ = lost + conv["lost"], open_ + conv["open"]
    out["pipeline_lost"] = lost[:, h:] + cap_lost
    out["pipeline_open"] = open_[:, h:] + backlog
    out["opening_open"] = open_[:, h - 1] if h else np.zeros(P)
    out["new_customers"] = out["wins"] + out["trial_wins"]
    out["programme_spend"] = spend if f.paid_spend is not None else np.zeros((P, T))
    return out


_STAGES = (("mql", "mqls"), ("sql", "sqls"), ("opportunity", "opportunities"))


def _lead_chain(f: Funnel, inputs: Inputs, leads: np.ndarray, weights: dict, team: TeamCount,
                h: int) -> dict[str, np.ndarray]:
    """Leads -> MQL -> SQL -> opportunity -> ready to win, on ``h`` + months columns.

    Returns the flows over the horizon (leads, mqls, sqls, opportunities, ready, contacted,
    response_minutes, sdr_capacity) and ``lost`` and ``open`` with the history columns.
    """
    T = inputs.horizon
    out = {"leads": leads}
    arrivals = warm_extend(leads, h)
    lost = open_ = 0.0
    for name, flow in _STAGES:
        rate = inputs.value(getattr(f, name).rate) * np.ones((1, T))
        if f.speed is not None and f.speed.applies_to == name:
            sdrs = team(f.speed.sdr_role, out) if f.speed.sdr_role is not None else None
            fast = speed_to_lead(rate, f.speed, arrivals[:, h:], sdrs, inputs)
            rate = fast["rate"]
            out["response_minutes"], out["sdr_capacity"] = fast["response_minutes"], fast["sdr_capacity"]
            out["contacted"] = arrivals[:, h:]  # what SDRs respond to: this stage's arrivals
        done = stage(arrivals, warm_extend(rate, h), weights[name])
        lost, open_ = lost + done["lost"], open_ + done["open"]
        arrivals = done["converted"]
        out[flow] = arrivals[:, h:]
    closing = stage(arrivals, inputs.value(f.win_rate), weights["cycle"])
    out["ready"] = closing["converted"][:, h:]
    out["lost"], out["open"] = lost + closing["lost"], open_ + closing["open"]
    return out


def _weights(f: Funnel, inputs: Inputs) -> dict[str, np.ndarray]:
    """Delay weights of each stage, the sales cycle and the trial, (paths or 1, MAX_DELAY + 1)."""
    out = {name: delay_weights(getattr(f, name).delay, inputs) for name, _ in _STAGES}
    out["cycle"] = delay_weights(f.sales_cycle, inputs)
    if f.self_serve is not None:
        out["trial"] = delay_weights(f.self_serve.delay, inputs)
    return out


def _history(f: Funnel, weights: dict) -> int:
    """Months before the start that a warm start needs: the longest path through the delays."""
    def longest(w):
        return int(np.flatnonzero(w.any(axis=0)).max())
    chain = sum(longest(weights[k]) for k in ("mql", "sql", "opportunity", "cycle")) if f.has_leads else 0
    trial = longest(weights["trial"]) if "trial" in weights else 0
    return max(chain, trial, 1)


def warm_extend(x: np.ndarray, h: int) -> np.ndarray:
    """``x`` with ``h`` copies of its first month in front (the warm start)."""
    return np.concatenate([np.repeat(x[:, :1], h, axis=1), x], axis=1) if h else x


def _before(inputs: Inputs, role_name: str, count: np.ndarray) -> np.ndarray:
    """People in a role the month before the start: its ``start``, or a driven role's first month."""
    role = inputs.scenario.role(role_name)
    return count[:, :1] if role.driver is not None else np.full((1, 1), float(role.start))
