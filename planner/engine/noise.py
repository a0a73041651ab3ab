"""Process noise: whole customers, Poisson wins and binomial churn, month by month.

With ``simulation.process_noise: true`` a path is no longer an expected value: each
month's new customers are a Poisson draw around the expected number, and each cohort's
survivors a binomial draw with the cohort's monthly keep-probability ``S(a) / S(a-1)``.
MRR per surviving customer, expansion, contraction and deferred revenue per customer
follow the same per-unit trajectory as without noise, so the two modes agree on average.

New cohorts are stepped month by month, vectorised over paths and cohorts (no loop over
paths), their churn drawn by the exact vectorised binomial of
:mod:`planner.engine.binomial`; each opening slice's exits over the horizon are one
multinomial draw (the same distribution as a binomial each month). The draws are keyed (:class:`Noise`): each segment's each stage has its own
stream per block of paths, ``SeedSequence(seed, spawn_key=(block, NOISE, *words(segment),
*words(stage)))``, so a path's numbers still depend only on the seed and its index, and
adding, removing or reordering segments leaves every other segment's noise unchanged.
All process noise is per segment; none is company-level.
"""
from __future__ import annotations

from functools import partial
from typing import Callable

import numpy as np

from planner.engine.binomial import binomial
from planner.engine.retention import stepped_survival, trajectory
from planner.engine.sampling import BLOCK, Inputs
from planner.engine.streams import NOISE, stream
from planner.scenario.model import Segment

#: the process-noise stages of a segment, each drawn from its own stream
STAGES = ("leads", "trials", "new_customers", "cohorts", "opening")

#: ``noise(stage) -> Generator``: a segment's process-noise streams (see :class:`Noise`)
SegmentNoise = Callable[[str], np.random.Generator]


class Noise:
    """The process-noise streams of one block of paths, keyed by segment and stage.

    Parameters
    ----------
    seed : int
    start : int
        First path of the block (its block is ``start // BLOCK``).

    Notes
    -----
    Stages (:data:`STAGES`): ``leads`` and ``trials`` (the funnel's Poisson arrivals),
    ``new_customers`` (Poisson wins), ``cohorts`` (binomial churn of the cohorts won
    during the horizon) and ``opening`` (binomial churn of the opening book). Each
    (segment, stage) stream is used once per block, so a change in one stage (say the
    opening book) leaves the other stages' draws unchanged.
    """

    def __init__(self, seed: int, start: int):
        self.seed, self.block = seed, start // BLOCK

    def generator(self, segment: str, stage: str) -> np.random.Generator:
        """A fresh generator of ``stage`` of ``segment`` in this block."""
        if stage not in STAGES:
            raise ValueError(f"unknown process-noise stage {stage!r}")
        return stream(self.seed, self.block, NOISE, segment, stage)

    def segment(self, name: str) -> SegmentNoise:
        """``noise(stage) -> Generator`` for the segment called ``name``."""
        return partial(self.generator, name)


_MONEY = (("mrr", "mrr"), ("expansion", "expansion_mrr"), ("contraction", "contraction_mrr"),
          ("deferred", "deferred_revenue"))
SERIES = ("customers", "churned_customers", "churned_mrr") + tuple(n for _, n in _MONEY)


def per_survivor(unit: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-unit trajectory divided by survival: what one surviving customer carries.

    Returns
    -------
    dict of ndarray, shape (rows, n)
        ``mrr``, ``expansion``, ``contraction``, ``deferred`` per survivor (per 1 of
        starting MRR) and ``keep``: the probability of surviving from age a-1 to a.
    """
    surv = unit["customers"]
    alive = surv > 0
    out = {key: np.divide(unit[key], surv, out=np.zeros_like(unit[key]), where=alive)
           for key, _ in _MONEY}
    before = np.concatenate([surv[:, :1], surv[:, :-1]], axis=1)
    out["keep"] = np.divide(surv, before, out=np.zeros_like(surv), where=before > 0)
    return out


def noisy_new_cohorts(segment: Segment, inputs: Inputs, rng: np.random.Generator,
                      new_customers: np.ndarray, price: np.ndarray) -> dict[str, np.ndarray]:
    """Series of the cohorts won during the horizon, with binomial churn.

    Each month, only the cohorts that can move are drawn: those at an age where they can
    churn (on annual contracts only at renewal). Each draws its lost customers,
    ``Binomial(alive, 1 - keep)`` (:func:`planner.engine.binomial.binomial`): the same
    distribution as drawing the survivors, and cheaper where churn is rare. Cohorts are
    kept cohort-major, (cohorts, paths), so the cohorts drawn in a month are one block.

    Parameters
    ----------
    new_customers : ndarray of int, shape (paths, months)
    price : ndarray, shape (paths, months)
        Starting MRR of one customer of each month's cohort.

    Returns
    -------
    dict of ndarray, shape (paths, months)
        :data:`SERIES`.
    """
    paths, months = new_customers.shape
    ps = per_survivor(trajectory(segment, np.arange(months), inputs))
    churn = (1.0 - keep_probability(segment, np.arange(months), inputs)).T  # (age, 1 or paths)
    movable = (churn > 0).any(axis=1)
    # per survivor, oldest first: row months-1-a is age a, so month t's cohorts 0..t are
    # the last t+1 rows; (ages, keys, rows)
    money = np.ascontiguousarray(np.stack([ps[key] for key, _ in _MONEY], axis=1)[:, :, ::-1].transpose(2, 1, 0))
    mrr_by_age = np.ascontiguousarray(ps["mrr"].T)  # (age, rows)
    alive = np.zeros((months, paths))
    cost = np.ascontiguousarray(price.T)  # (cohorts, paths)
    wins = np.ascontiguousarray(new_customers.T, dtype=float)
    worth = np.empty((months, paths))
    customers, churned, churned_mrr = (np.zeros((months, paths)) for _ in range(3))
    carried = np.empty((months, len(_MONEY), paths))
    for t in range(months):
        cohorts = _movable(movable, t)
        if cohorts is not None:
            # cohorts 0..t-1 are at ages t..1: all of them a reversed slice, not a gather
            ages = slice(t, 0, -1) if isinstance(cohorts, slice) else t - cohorts
            lost = binomial(rng, alive[cohorts], churn[ages], whole=True)
            alive[cohorts] -= lost
            np.sum(lost, axis=0, out=churned[t])
            lost *= cost[cohorts]
            # what a leaver carried last month, per unit of price: ages t-1..0
            mrr = mrr_by_age[t - 1::-1] if isinstance(cohorts, slice) else mrr_by_age[ages - 1]
            churned_mrr[t] = mrr[:, 0] @ lost if mrr.shape[1] == 1 else np.einsum("cp,cp->p", mrr, lost)
        alive[t] = wins[t]
        customers[t] = (customers[t - 1] if t else 0.0) + (wins[t] - churned[t])
        np.multiply(alive[:t + 1], cost[:t + 1], out=worth[:t + 1])
        unit = money[months - 1 - t:]  # (cohort, keys, rows): cohort c at age t - c
        if unit.shape[2] == 1:
            np.matmul(unit[:, :, 0].T, worth[:t + 1], out=carried[t])
        else:
            np.einsum("cp,ckp->kp", worth[:t + 1], unit, out=carried[t])
    out = {"customers": customers.T, "churned_customers": churned.T,
           "churned_mrr": churned_mrr.T}
    out |= {name: carried[:, i].T for i, (_, name) in enumerate(_MONEY)}
    return {name: np.ascontiguousarray(a) for name, a in out.items()}


def keep_probability(segment: Segment, ages: np.ndarray, inputs: Inputs) -> np.ndarray:
    """The probability of surviving from age ``a - 1`` to ``a`` (1 at index 0), shape
    (1, n) when retention is certain, else (paths, n): :func:`per_survivor`'s ``keep``
    without broadcasting it to the rows of uncertain money.
    """
    surv = stepped_survival(segment, ages, inputs)
    surv = np.divide(surv, surv[:, :1], out=np.zeros_like(surv), where=surv[:, :1] > 0)
    before = np.concatenate([surv[:, :1], surv[:, :-1]], axis=1)
    return np.divide(surv, before, out=np.zeros_like(surv), where=before > 0)


def _exits(rng: np.random.Generator, customers: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Customers of one slice lost in each month, drawn at once: the months a customer
    leaves in (or that it stays) are ``Multinomial(customers, S(t-1) - S(t), ..., S(last))``
    over the months it can leave in, the same distribution as a binomial draw each month
    with probability ``1 - keep`` of the survivors.

    Parameters
    ----------
    customers : ndarray of int, shape (paths,)
    keep : ndarray, shape (rows, months)
        Probability of surviving each month, rows 1 or paths.

    Returns
    -------
    ndarray, shape (months, paths)
    """
    if keep.shape[0] > 1 and (keep == keep[:1]).all():
        keep = keep[:1]  # the same for every path (money, not retention, is uncertain)
    lost = np.zeros((keep.shape[1], customers.size))
    move = np.flatnonzero((keep < 1).any(axis=0))
    if move.size:
        surv = np.cumprod(keep, axis=1)
        before = np.concatenate([np.ones((keep.shape[0], 1)), surv[:, :-1]], axis=1)
        pvals = np.concatenate([(before - surv)[:, move], surv[:, move[-1]:move[-1] + 1]], axis=1)
        lost[move] = rng.multinomial(customers, pvals)[:, :-1].T
    return lost


def _movable(movable: np.ndarray, t: int):
    """The cohorts (won in months 0..t-1) that can churn in month ``t``: a slice when they
    are all of them, an index array when only some are, None when none are."""
    can = movable[t:0:-1]  # cohorts 0..t-1 are at ages t..1
    if t and can.all():
        return slice(0, t)
    return np.flatnonzero(can) if can.any() else None


def whole_slices(customers: np.ndarray, term: int) -> np.ndarray:
    """Spread whole customers (shape (paths,)) evenly over the ``term`` renewal slices.

    Customer ``k`` of ``N`` goes to slice ``floor((k + 1/2) term / N)`` (the middle of its
    share of the term), so slice ``j`` gets ``ceil((j+1) N / term - 1/2) - ceil(j N / term
    - 1/2)``: 12 customers on 36-month terms renew one every 3 months, not all in the
    first year, and on average when the even spread of the expected-value model does.

    Returns
    -------
    ndarray of int, shape (term, paths)
    """
    j = np.arange(term + 1)[:, None]
    edges = -((term - 2 * j * customers[None, :]) // (2 * term))  # ceil(j N / term - 1/2), in integers
    return np.diff(edges, axis=0)


def noisy_opening(segment: Segment, inputs: Inputs, rng: np.random.Generator,
                  slices: list, prior_ages_billed) -> dict[str, np.ndarray]:
    """The opening book with binomial churn (opening customers rounded to whole customers):
    each slice's exits over the horizon in one multinomial draw (:func:`_exits`).

    Parameters
    ----------
    slices : list of (int, ndarray, ndarray)
        :func:`planner.engine.revenue.opening_slices`: each slice's age the month before
        the start, customers and MRR. The book's whole customers are spread evenly over
        the ``term`` slices of an even book; a book from actuals keeps its slices' counts.
    prior_ages_billed : callable
        ``prior_ages_billed(start_age) -> bool ndarray (MAX_LAG,)``: which of the months
        before the start billed that slice.

    Returns
    -------
    dict of ndarray
        :data:`SERIES` (paths, months), ``deferred_open`` (paths, 1) and
        ``prior_billings`` (paths, MAX_LAG).
    """
    months, paths = inputs.horizon, inputs.paths
    if segment.opening_slices is None:
        total = np.rint(inputs.full(inputs.value(segment.opening_customers))[:, 0]).astype(np.int64)
        mrr = inputs.full(inputs.value(segment.opening_mrr))[:, 0]
        each = np.divide(mrr, total, out=np.zeros_like(mrr), where=total > 0)
        sized = [(n, each, age) for n, (age, _, _) in zip(whole_slices(total, segment.term_months), slices)]
    else:
        sized = [(np.full(paths, int(round(float(c[0, 0])))), np.full(paths, float(m[0, 0]) / max(float(c[0, 0]), 1e-12)), age)
                 for age, c, m in slices]
    # the slices stepped together: (paths, slices) customers and MRR per customer,
    # (rows, slices, months + 1) per-survivor trajectories from each slice's age
    n = np.stack([np.broadcast_to(c, (paths,)) for c, _, _ in sized], axis=1).astype(np.int64)
    each = np.stack([np.broadcast_to(e, (paths,)) for _, e, _ in sized], axis=1)
    tracks = [per_survivor(trajectory(segment, np.arange(age, age + months + 1), inputs))
              for _, _, age in sized]
    rows = max(v.shape[0] for track in tracks for v in track.values())
    ps = {key: np.stack([np.broadcast_to(track[key], (rows, months + 1)) for track in tracks], axis=1)
          for key in tracks[0]}
    value = n * each  # MRR of the book at the start, per slice
    deferred_open = (value * ps["deferred"][:, :, 0]).sum(axis=1)
    billed = np.stack([prior_ages_billed(age) for _, _, age in sized]).astype(float)  # (slices, MAX_LAG)
    prior = (value * segment.billing_months) @ billed
    # months first, (months, slices, paths): a month of every slice is one contiguous block
    lost = np.stack([_exits(rng, n[:, i], ps["keep"][:, i, 1:]) for i in range(n.shape[1])], axis=1)
    alive = np.empty_like(lost)
    np.subtract(n.T, lost[0], out=alive[0])
    for t in range(1, months):  # a running sum by month: cumsum along a strided axis is slower
        np.subtract(alive[t - 1], lost[t], out=alive[t])
    out = {"customers": np.einsum("tsp->pt", alive), "churned_customers": np.einsum("tsp->pt", lost)}
    alive *= each.T
    lost *= each.T
    for key, name in _MONEY + (("mrr", "churned_mrr"),):
        # a leaver's MRR is the month before's: index t of the track, the month before t + 1
        unit, flows = (ps[key][:, :, 1:], alive) if name != "churned_mrr" else (ps[key][:, :, :-1], lost)
        out[name] = (np.einsum("tsp,st->pt", flows, unit[0]) if rows == 1 else
                     np.einsum("tsp,pst->pt", flows, unit))
    out["deferred_open"] = deferred_open[:, None]
    out["prior_billings"] = prior
    return out
