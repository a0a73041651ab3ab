"""Customers and MRR by segment: new cohorts and the opening book, layered over time.

Every cohort of a segment follows the same per-unit trajectory by age (see
:func:`planner.engine.retention.trajectory`), scaled by its size; the company's series
are the sum over cohorts, i.e. a convolution of new business with that trajectory
along the month axis (the development-triangle sum): a recursion over months when the
trajectory is geometric (constant churn and expansion), else a Toeplitz product or an FFT.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from scipy import fft

from planner.engine.retention import trajectory
from planner.engine.sampling import Inputs
from planner.scenario.model import Segment

if TYPE_CHECKING:
    from planner.engine.noise import SegmentNoise

DAYS_PER_MONTH = 365.25 / 12
MAX_LAG = 13  # months; payment terms are at most 365 days

#: per-unit trajectory key -> (result series, scaled by new customers or by new MRR)
_LAYERED = {
    "customers": ("customers", "count"),
    "churned_customers": ("churned_customers", "count"),
    "mrr": ("mrr", "money"),
    "expansion": ("expansion_mrr", "money"),
    "contraction": ("contraction_mrr", "money"),
    "churned_mrr": ("churned_mrr", "money"),
    "deferred": ("deferred_revenue", "money"),
}


def development_matrix(profile: np.ndarray, months: int) -> np.ndarray:
    """Upper-triangular Toeplitz matrix of a by-age profile: ``[..., c, t] = profile[..., t - c]``
    for ``t >= c`` (0 beyond the profile's length), shape (..., months, months).

    ``amount @ development_matrix(profile, months)`` sums, for each month, what every
    earlier month's amount contributes at its age: a convolution as one BLAS product.
    """
    length = profile.shape[-1]
    if length < months:
        profile = np.concatenate([profile, np.zeros(profile.shape[:-1] + (months - length,))], axis=-1)
    age = np.arange(months)[None, :] - np.arange(months)[:, None]  # [from, to]
    return np.where(age >= 0, profile[..., np.clip(age, 0, None)], 0.0)


def layer(new: np.ndarray, profile: np.ndarray) -> np.ndarray:
    """Sum of cohorts: ``out[:, t] = sum_{c <= t} new[:, c] * profile[:, t - c]``.

    Parameters
    ----------
    new : ndarray, shape (paths, k, months)
        Size of the cohort started each month.
    profile : ndarray, shape (paths or 1, k, months)
        Per-unit value of a cohort by age.

    Returns
    -------
    ndarray, shape (paths, k, months)
    """
    months = new.shape[-1]
    tail = geometric_tail(profile)
    if tail is not None:
        return layer_geometric(new, profile[..., 0], *tail)
    if new.shape[1] > 1:
        # each of the k series by its own method, so that what is stacked with it (what
        # else is kept) never changes how it is layered: a near-cancelling flow that fails
        # the geometric test must not send the customers with it through the product
        geometric = [geometric_tail(profile[:, j:j + 1]) is not None for j in range(new.shape[1])]
        if any(geometric):
            out = np.empty(np.broadcast_shapes(new.shape, (profile.shape[0],) + new.shape[1:]))
            for chosen in (True, False):
                keys = [j for j, g in enumerate(geometric) if g == chosen]
                if keys:
                    out[:, keys] = layer(new[:, keys], profile[:, keys])
            return out
    if profile.shape[0] == 1:
        # same trajectory on every path: a matrix product with its (upper-triangular
        # Toeplitz) development matrix, exact and BLAS-fast
        matrix = development_matrix(profile[0], months)  # (k, cohort, month)
        return np.matmul(new.transpose(1, 0, 2), matrix).transpose(1, 0, 2)
    n = 2 * fft.next_fast_len(months)
    spectrum = fft.rfft(new, n, axis=-1) * fft.rfft(profile, n, axis=-1)
    return fft.irfft(spectrum, n, axis=-1)[..., :months]


#: relative tolerance of a geometric tail: a few rounding errors of a cumulative product
GEOMETRIC_RTOL = 1e-11


def geometric_tail(profile: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(scale, ratio)`` when every profile is geometric from age 1 on, else None.

    Geometric: ``profile[..., a] = scale * ratio ** (a - 1)`` for ``a >= 1`` (any value at
    age 0), as under constant churn and constant expansion and contraction on monthly
    contracts; a profile that is zero from age 1 on is geometric with ratio 0.

    Parameters
    ----------
    profile : ndarray, shape (rows, k, months)

    Returns
    -------
    scale, ratio : ndarray, shape (rows, k), or None
    """
    if profile.shape[-1] < 3:
        return None
    scale, second = profile[..., 1], profile[..., 2]
    ratio = np.divide(second, scale, out=np.zeros_like(scale), where=scale != 0)
    if not np.all(np.isfinite(ratio)) or np.any(ratio < 0):
        return None
    # month on month (a power per age would cost more than the FFT it saves); the first
    # ages first: a renewal, a curve or sBG churn usually shows there, and the rest is
    # then not looked at (the same answer: every age must pass)
    size = np.abs(profile[..., 1:]).max(axis=-1, keepdims=True)
    last = profile.shape[-1] - 1
    split = min(_FIRST_AGES, last)
    for low, high in ((1, split), (split, last)):  # ages a -> a + 1 for a in [low, high)
        step = np.abs(profile[..., low + 1:high + 1] - ratio[..., None] * profile[..., low:high])
        if not np.all(step <= GEOMETRIC_RTOL * size):
            return None
    return scale, ratio


#: ages checked first for a geometric profile: past a year's renewal
_FIRST_AGES = 14


def layer_geometric(new: np.ndarray, head: np.ndarray, scale: np.ndarray,
                    ratio: np.ndarray) -> np.ndarray:
    """:func:`layer` for a geometric profile, by a recursion over months.

    With ``stock[t] = stock[t-1] * ratio + new[t]`` (each earlier cohort's units carried
    one more month), ``out[t] = head * new[t] + scale * stock[t-1]``: one pass over the
    months instead of a convolution.

    Parameters
    ----------
    new : ndarray, shape (paths, k, months)
    head, scale, ratio : ndarray, shape (paths or 1, k)
        The profile at age 0, at age 1, and its month-on-month ratio.

    Returns
    -------
    ndarray, shape (paths, k, months)
    """
    months = new.shape[-1]
    steps = np.ascontiguousarray(np.moveaxis(new, -1, 0))  # (months, paths, k)
    out = np.multiply(head, steps, out=np.empty(steps.shape))  # the cohort of the month
    stock, carried = np.zeros(steps.shape[1:]), np.empty(steps.shape[1:])
    for t in range(months):  # four operations a month, in place
        out[t] += np.multiply(scale, stock, out=carried)
        stock *= ratio
        stock += steps[t]
    return np.moveaxis(out, 0, -1)


def new_price(segment: Segment, inputs: Inputs) -> np.ndarray:
    """Starting MRR of a customer won each month: ARPA raised every 12 months; (paths or 1, months)."""
    years = np.arange(inputs.horizon) // 12
    return inputs.value(segment.arpa) * (1.0 + inputs.value(segment.annual_increase)) ** years


def new_business(segment: Segment, inputs: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New customers (expected), their MRR and the marketing programme spend that bought them.

    For a segment with a funnel only the programme spend (its paid spend) is known here;
    its new customers come from :func:`planner.engine.funnel.segment_funnel`.

    Returns
    -------
    new_customers, new_mrr, programme_spend : ndarray, shape (paths or 1, months)
    """
    if segment.funnel is not None:  # its wins need the whole funnel: see engine.funnel
        spend = inputs.series(segment.funnel.paid_spend)
        customers = np.zeros((1, inputs.horizon))
    elif segment.marketing_budget is not None:
        spend = inputs.series(segment.marketing_budget)
        customers = spend / inputs.value(segment.cac)
    else:
        spend = np.zeros((inputs.paths, inputs.horizon))
        customers = inputs.series(segment.new_customers)
    return customers, customers * new_price(segment, inputs), spend


def opening_ages(segment: Segment) -> np.ndarray:
    """Age, the month before the start, of each of the ``term`` slices of the opening book.

    The book renews evenly: slice ``j`` renews in month ``j`` of the horizon (and every
    ``term`` months after), so its age ``a`` satisfies ``a + j + 1 = 0 (mod term)``;
    of those ages it takes the one nearest to ``opening_age``, so the slices' ages
    spread over one term around it and average about ``opening_age``.

    Returns
    -------
    ndarray of int, shape (term,)
    """
    term = segment.term_months
    phase = (-(np.arange(term) + 1)) % term  # smallest age with the right renewal month
    steps = np.floor((segment.opening_age - phase) / term + 0.5)  # nearest; ties to the older
    return phase + term * np.maximum(0, steps).astype(int)


def opening_slices(segment: Segment, inputs: Inputs) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The opening book as slices ``(age the month before the start, customers, MRR)``.

    From actuals (``segment.opening_slices``) the book's real ages and sizes; otherwise
    the ``term`` slices of :func:`opening_ages`, each an equal share of the book.
    Customers and MRR are arrays broadcasting to (paths, 1).
    """
    if segment.opening_slices is not None:
        return [(int(a), np.full((1, 1), float(c)), np.full((1, 1), float(m))) for a, c, m in segment.opening_slices]
    term = segment.term_months
    customers = inputs.value(segment.opening_customers) / term
    mrr = inputs.value(segment.opening_mrr) / term
    return [(int(a), customers, mrr) for a in opening_ages(segment)]


def opening_book(segment: Segment, inputs: Inputs, keys=None) -> dict[str, np.ndarray]:
    """The existing customers' series over the horizon, shape (paths or 1, months) each (of
    the per-unit trajectory ``keys``, default all of them; one row when the same on every
    path: they are added to the new cohorts' arrays).

    Also ``deferred_open`` (paths,) the unearned revenue at the start and
    ``prior_billings`` (paths, MAX_LAG) invoices of the ``MAX_LAG`` months before the
    start (oldest first), for the opening receivables.
    """
    billing, months = segment.billing_months, inputs.horizon
    layered = {k: v for k, v in _LAYERED.items() if keys is None or k in keys}
    out = {name: np.zeros((1, months)) for name, _ in layered.values()}
    out["deferred_open"] = np.zeros((1, 1))
    out["prior_billings"] = np.zeros((1, MAX_LAG))
    for start_age, customers, mrr in opening_slices(segment, inputs):
        path = trajectory(segment, np.arange(start_age, start_age + months + 1), inputs,
                          None if keys is None else list(keys) + ["deferred"])
        for key, (name, unit) in layered.items():
            out[name] = out[name] + path[key][:, 1:] * (customers if unit == "count" else mrr)
        out["deferred_open"] = out["deferred_open"] + path["deferred"][:, :1] * mrr
        billed = _billed_before(segment, start_age)
        out["prior_billings"] = out["prior_billings"] + mrr * billing * billed[None, :]
    return {key: inputs.full(value) if key in _PER_PATH else value for key, value in out.items()}


#: opening-book values read row by row, so made one per path
_PER_PATH = ("deferred_open", "prior_billings")


def collection_weights(segment: Segment, inputs: Inputs) -> np.ndarray:
    """Share of an invoice collected 0, 1, ..., MAX_LAG - 1 months after it is issued.

    Payment terms of ``d`` days are a lag of ``d / 30.44`` months, split between the two
    neighbouring whole months. Shape (paths, MAX_LAG); rows sum to 1.
    """
    lag = inputs.full(inputs.value(segment.payment_terms_days))[:, 0] / DAYS_PER_MONTH
    low = np.floor(lag).astype(int)
    frac = lag - low
    weights = np.zeros((inputs.paths, MAX_LAG + 1))
    rows = np.arange(inputs.paths)
    weights[rows, low] += 1.0 - frac
    weights[rows, low + 1] += frac
    return weights[:, :MAX_LAG]


def segment_revenue(segment: Segment, inputs: Inputs, noise: SegmentNoise | None = None,
                    acquired: dict[str, np.ndarray] | None = None,
                    needed=None) -> dict[str, np.ndarray]:
    """All revenue-side series of one segment, shape (paths, months) each.

    Keys: customers, new_customers, churned_customers, mrr, new_mrr, expansion_mrr,
    contraction_mrr, churned_mrr, revenue, billings, collections, bad_debt (invoices written
    off when due), deferred_revenue, programme_spend; and opening_deferred,
    opening_receivables (paths,). With ``noise``, the segment's process-noise streams
    (``noise(stage) -> Generator``, :class:`planner.engine.noise.Noise`): whole customers,
    Poisson wins and binomial churn; without: expected values.
    ``acquired``: the segment's funnel (``new_customers``, ``programme_spend``), which
    replaces its ``acquisition`` settings. ``needed``: the cohort series someone reads
    (None: all); without noise, the others (churn and expansion flows) are not layered.
    """
    if acquired is None:
        new_customers, new_mrr, spend = (inputs.full(a) for a in new_business(segment, inputs))
    else:
        new_customers, spend = acquired["new_customers"], acquired["programme_spend"]
        new_mrr = new_customers * new_price(segment, inputs)
    if noise is None:
        out, book = _expected_cohorts(segment, inputs, new_customers, new_mrr, needed)
    else:
        out, book, new_customers, new_mrr = _noisy_cohorts(segment, inputs, noise, new_customers)
    out["new_customers"], out["new_mrr"], out["programme_spend"] = new_customers, new_mrr, spend
    out["revenue"] = out["mrr"]
    deferred_before = np.concatenate([book["deferred_open"], out["deferred_revenue"][:, :-1]], axis=1)
    out["billings"] = out["revenue"] + out["deferred_revenue"] - deferred_before
    scheduled, out["opening_receivables"] = _collections(
        out["billings"], book["prior_billings"], collection_weights(segment, inputs))
    bad_debt = inputs.value(segment.bad_debt_rate)
    out["collections"], out["bad_debt"] = scheduled * (1.0 - bad_debt), scheduled * bad_debt
    out["opening_deferred"] = book["deferred_open"][:, 0]
    return out


def _expected_cohorts(segment: Segment, inputs: Inputs, new_customers: np.ndarray,
                      new_mrr: np.ndarray, needed=None) -> tuple[dict, dict]:
    """Cohort series as expected values: new business layered with the unit trajectory
    (only the series in ``needed``, when given, and always MRR, customers and deferred
    revenue, which revenue, costs and billings are made of)."""
    keys = [k for k in _LAYERED if needed is None or _LAYERED[k][0] in needed or k in _ALWAYS]
    unit = trajectory(segment, np.arange(inputs.horizon), inputs, keys)
    sizes = np.stack([new_customers if _LAYERED[k][1] == "count" else new_mrr for k in keys], axis=1)
    rows = max(unit[k].shape[0] for k in keys)
    profiles = np.stack([np.broadcast_to(unit[k], (rows, inputs.horizon)) for k in keys], axis=1)
    layered = layer(sizes, profiles)
    book = opening_book(segment, inputs, keys)
    return {_LAYERED[k][0]: layered[:, i] + book[_LAYERED[k][0]] for i, k in enumerate(keys)}, book


#: cohort series the engine reads itself
_ALWAYS = ("customers", "mrr", "deferred")


def _noisy_cohorts(segment: Segment, inputs: Inputs, noise: SegmentNoise,
                   expected: np.ndarray) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """Cohort series with whole customers: Poisson wins, binomial churn (a stream per stage)."""
    from planner.engine.noise import noisy_new_cohorts, noisy_opening

    new_customers = noise("new_customers").poisson(expected)
    price = inputs.full(new_price(segment, inputs) * np.ones((1, inputs.horizon)))
    cohorts = noisy_new_cohorts(segment, inputs, noise("cohorts"), new_customers, price)
    book = noisy_opening(segment, inputs, noise("opening"), opening_slices(segment, inputs),
                         partial(_billed_before, segment))
    out = {name: cohorts[name] + book[name] for name in cohorts}
    return out, book, new_customers.astype(float), new_customers * price


def _billed_before(segment: Segment, start_age: int) -> np.ndarray:
    """Which of the MAX_LAG months before the start invoiced a slice of age ``start_age``."""
    prior_ages = start_age + 1 + np.arange(-MAX_LAG, 0)
    return (prior_ages % segment.billing_months == 0) & (prior_ages >= 0)


def _collections(billings: np.ndarray, prior: np.ndarray, weights: np.ndarray):
    """Invoices falling due each month, from this and earlier months' billings.

    Returns
    -------
    due : ndarray, shape (paths, months)
        Collected, less the bad-debt share written off.
    opening_receivables : ndarray, shape (paths,)
        Invoices issued before the start and not yet paid then.
    """
    if np.all(weights[:, 0] == 1.0):  # all paid in the month billed (rows sum to 1)
        # what the loops below add up to then, bit for bit: nothing is paid late
        before = prior.sum(axis=1)
        return billings + 0.0, before - (0.0 + before)
    months = billings.shape[1]
    history = np.concatenate([prior, billings], axis=1)
    collected = np.zeros_like(billings)
    for lag in range(MAX_LAG):
        start = MAX_LAG - lag
        collected += weights[:, lag:lag + 1] * history[:, start:start + months]
    paid_before = np.zeros(prior.shape[0])
    for lag in range(MAX_LAG):
        # prior invoice k (k = 0 oldest, month k - MAX_LAG) is paid in month k - MAX_LAG + lag
        paid_before += (weights[:, lag:lag + 1] * prior[:, : MAX_LAG - lag]).sum(axis=1)
    return collected, prior.sum(axis=1) - paid_before
