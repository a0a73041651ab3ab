"""Variance-based (Sobol) indices of a per-path outcome, from the engine's own path axis.

Two independent draw matrices ``A`` and ``B`` (shape (N, inputs)) are the scenario's own
draws under two seeds (:func:`planner.engine.sampling.draw_inputs`: sampling method and
correlations as in a run). ``AB_g`` is ``A`` with the columns of group ``g`` taken from
``B``. Each matrix is simply N more paths of ``simulate(draws=...)``; the indices are
then, along the path axis (Saltelli et al. 2010, Table 2)::

    V      = var([f(A), f(B)])
    S_g    = mean(f(B) * (f(AB_g) - f(A))) / V           first order (Saltelli 2010)
    ST_g   = mean((f(A) - f(AB_g))**2) / (2 V)           total order (Jansen 1999)

``S_g`` is the share of the variance the group explains alone, ``ST_g`` alone plus all
its interactions; for an outcome additive in independent inputs they are equal.
Confidence intervals are percentile intervals of a bootstrap over paths (the same
resampled rows for A, B and every AB).

Groups (:func:`planner.sweep.sensitivity.input_groups`): a group's columns are swapped
together. The indices assume independent inputs, so inputs correlated with each other
(``simulation.correlations``) are always swapped, and reported, as one group; A and B
each keep the correlation, and so does every AB.

Process noise (``simulation.process_noise``): with ``draws=`` given, the simulation's
seed only selects the noise streams. A runs with seed ``s`` and B with seed ``s'``; AB_g
runs with seed ``s`` (A's noise) and one more matrix, ``AB_noise`` = A's inputs with B's
seed, treats the noise as one more input. Its total-order index is
``E[Var(Y | inputs)] / Var(Y)``: the share of the variance left when every input is
known, the part no assumption can explain.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from planner.engine.sampling import draw_inputs
from planner.errors import PlannerError
from planner.sweep.setup import Group, Setup, input_groups, uncertain_inputs

NOISE = "process noise"


@dataclass(frozen=True)
class SobolRow:
    """The indices of one input, group or the process noise.

    Attributes
    ----------
    name : str
    kind : {"input", "group", "correlated", "process noise"}
    inputs : tuple of str
    first, total : float
        First- and total-order index (NaN when the outcome does not vary).
    first_ci, total_ci : (float, float)
        Bootstrap percentile intervals.
    """

    name: str
    kind: str
    inputs: tuple[str, ...]
    first: float
    first_ci: tuple[float, float]
    total: float
    total_ci: tuple[float, float]


@dataclass
class SobolResult:
    """First- and total-order indices of one outcome.

    Attributes
    ----------
    scenario, plan, outcome, unit : str
    base_samples : int
        N: paths in each of A, B and every AB.
    evaluations : int
        Paths simulated, ``N * (groups + 2)``.
    mean, variance : float
        Of the outcome over A and B.
    confidence : float
    rows : list of SobolRow
        Largest total order first.
    notes : list of str
    """

    scenario: str
    plan: str
    outcome: str
    unit: str
    base_samples: int
    evaluations: int
    seed: int
    mean: float
    variance: float
    confidence: float
    rows: list[SobolRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def first_order_sum(self) -> float:
        """Sum of the first-order indices (1 minus the share of interactions)."""
        return float(np.nansum([r.first for r in self.rows]))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["first_order_sum"] = self.first_order_sum
        return out


def saltelli_jansen(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First-order (Saltelli 2010) and total-order (Jansen) indices along axis -1.

    Parameters
    ----------
    f_a, f_b : ndarray, shape (..., N)
        The outcome on A and on B.
    f_ab : ndarray, shape (groups, ..., N)
        The outcome on each AB.

    Returns
    -------
    first, total : ndarray, shape (groups, ...)
    """
    both = np.concatenate([f_a, f_b], axis=-1)
    var = both.var(axis=-1)
    # centred on the mean: the estimators are unbiased either way, but a large mean
    # (ARR in the tens of millions) would swamp the first-order products with noise
    centre = both.mean(axis=-1, keepdims=True)
    f_a, f_b, f_ab = f_a - centre, f_b - centre, f_ab - centre
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(f_b * (f_ab - f_a), axis=-1) / var
        total = 0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var
    return first, total


def bootstrap_intervals(f_a, f_b, f_ab, *, resamples: int = 500, confidence: float = 0.95,
                        seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap intervals of :func:`saltelli_jansen`, resampling paths.

    Parameters
    ----------
    f_a, f_b : ndarray, shape (N,)
    f_ab : ndarray, shape (groups, N)

    Returns
    -------
    first_ci, total_ci : ndarray, shape (groups, 2)
    """
    n = f_a.shape[0]
    rng = np.random.default_rng([seed, 0x5EB0])
    alpha = (1 - confidence) / 2
    first_ci = np.empty((f_ab.shape[0], 2))
    total_ci = np.empty((f_ab.shape[0], 2))
    if np.concatenate([f_a, f_b]).var() == 0:  # nothing to split: undefined, no interval
        return np.full((f_ab.shape[0], 2), np.nan), np.full((f_ab.shape[0], 2), np.nan)
    rows = rng.integers(0, n, size=(resamples, n))
    a, b = f_a[rows], f_b[rows]
    for g in range(f_ab.shape[0]):
        first, total = saltelli_jansen(a, b, f_ab[g][rows][None])
        first_ci[g] = np.nanquantile(first[0], (alpha, 1 - alpha))
        total_ci[g] = np.nanquantile(total[0], (alpha, 1 - alpha))
    return first_ci, total_ci


def second_seed(seed: int) -> int:
    """The seed of matrix B (and of B's process noise): a fixed function of ``seed``."""
    return int(np.random.SeedSequence([int(seed), 0x50B0]).generate_state(1)[0])


def sobol_indices(setup: Setup, *, base_samples: int = 1024, groups: dict | None = None,
                  resamples: int = 500, confidence: float = 0.95) -> SobolResult:
    """First- and total-order Sobol indices of ``setup.outcome`` for every uncertain input.

    Parameters
    ----------
    setup : Setup
        :func:`planner.sweep.sensitivity.make_setup` (its ``paths`` is not used:
        ``base_samples`` paths per matrix).
    base_samples : int
        N, the paths of A, B and each AB; the run simulates ``N * (groups + 2)`` paths
        (one more N with process noise). Powers of 2 fill whole blocks.
    groups : dict of str -> str, optional
        ``{name: key prefix}``, reported as one index each.
    resamples, confidence
        Of the bootstrap intervals.

    Returns
    -------
    SobolResult
    """
    sc, n = setup.scenario, int(base_samples)
    if n < 16:
        raise PlannerError(f"Sobol indices need at least 16 base samples (got {n})")
    params = uncertain_inputs(sc, setup.plan)
    members = input_groups(sc, params, groups)
    seed_b = second_seed(setup.seed)
    a = draw_inputs(sc, setup.seed, 0, n)
    b = draw_inputs(sc, seed_b, 0, n)
    matrices = [a, b]
    for g in members:
        ab = a.copy()
        ab[:, g.columns] = b[:, g.columns]
        matrices.append(ab)
    if sc.process_noise:  # one run per matrix, its noise from its seed
        tasks = [setup.task(m, seed=s, paths=n, label=label) for m, s, label in
                 zip(matrices, [setup.seed, seed_b] + [setup.seed] * len(members),
                     ["A", "B"] + [g.name for g in members])]
        members = members + [Group(NOISE, (), NOISE, ())]
        tasks.append(setup.task(a, seed=seed_b, paths=n, label=NOISE))
        raw = setup.evaluate(tasks)
    else:  # stacked along the path axis
        raw = np.split(setup.evaluate_rows(np.concatenate(matrices)), len(matrices))
    values, notes = _finite(raw)
    f_a, f_b, f_ab = values[0], values[1], np.stack(values[2:]) if members else np.empty((0, n))
    first, total = saltelli_jansen(f_a, f_b, f_ab)
    first_ci, total_ci = bootstrap_intervals(f_a, f_b, f_ab, resamples=resamples,
                                             confidence=confidence, seed=setup.seed)
    rows = [SobolRow(g.name, g.kind, g.inputs, float(first[k]), tuple(map(float, first_ci[k])),
                     float(total[k]), tuple(map(float, total_ci[k]))) for k, g in enumerate(members)]
    rows.sort(key=lambda r: -np.nan_to_num(r.total, nan=-1.0))
    both = np.concatenate([f_a, f_b])
    notes += _notes(sc, setup, members, both)
    return SobolResult(sc.name, setup.plan, setup.outcome.text, setup.outcome.unit, n,
                       n * len(raw), setup.seed, float(both.mean()), float(both.var()),
                       confidence, rows, notes)


def _finite(values: list[np.ndarray]) -> tuple[list[np.ndarray], list[str]]:
    """Replace infinite outcomes (an impossible raise) by the largest finite one, and NaN
    (an undefined metric) by the mean, saying so."""
    stacked = np.stack(values)
    finite = np.isfinite(stacked)
    if finite.all():
        return values, []
    if not finite.any():
        raise PlannerError("the outcome is not finite on any path: no variance to split")
    top, bottom = stacked[finite].max(), stacked[finite].min()
    mean = stacked[finite].mean()
    fixed = np.where(np.isnan(stacked), mean, np.clip(stacked, bottom, top))
    share = 1 - finite.mean()
    return list(fixed), [f"{share:.1%} of evaluations had a non-finite outcome (set to the largest "
                         "or smallest finite value, NaN to the mean)"]


def _notes(sc, setup: Setup, members: list[Group], both: np.ndarray) -> list[str]:
    notes = []
    for g in (g for g in members if g.kind == "correlated"):
        notes.append(f"correlated inputs reported as one group (the indices assume independent "
                     f"inputs): {', '.join(g.inputs)}")
    skipped = [p.path for p in sc.params if p not in uncertain_inputs(sc, setup.plan)]
    if skipped:
        notes.append(f"inputs of other funding plans left out: {', '.join(skipped)}")
    if sc.process_noise:
        notes.append("process noise is one more input: its total order is the share of the "
                     "variance left when every input is known")
    if both.var() == 0:
        notes.append("the outcome does not vary: the indices are undefined")
    return notes
