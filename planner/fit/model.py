"""Fit the shifted-beta-geometric (sBG) retention model to a cohort history.

Each customer churns at the end of any period with her own probability ``theta``;
``theta`` varies across customers as Beta(alpha, beta). A cohort then survives as

    S(t) = B(alpha, beta + t) / B(alpha, beta),   t = age in periods,

and the share churning in period ``t >= 1`` is
``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)``. Retention improves with
age because the customers who stay are the loyal ones.

The fit is maximum likelihood over all cohorts together (full information): every
customer who churned between ages ``t - 1`` and ``t`` contributes ``ln P(T = t)``
and every customer still active at her cohort's last observed age ``T`` contributes
``ln S(T)`` (right censoring). The log-likelihood, its gradient and its Hessian are
exact (digamma / trigamma), the optimisation runs on ``(ln alpha, ln beta)``, and
standard errors come from the observed information.

References
----------
Fader, P. S. and Hardie, B. G. S. (2007), "How to Project Customer Retention",
Journal of Interactive Marketing, 21(1), 76-90.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, ndtri, polygamma

from planner.errors import Problem, ScenarioError
from planner.fit.choices import MODELS, PERIODS
from planner.fit.history import CohortHistory, RevenueRetention, read_history, revenue_retention

__all__ = [
    "RetentionFit", "CohortHistory", "LikelihoodCounts", "fit_retention", "loglik_derivatives", "read_history", "sbg_loglik",
    "sbg_survival",
]

_LOG_BOUNDS = (-9.0, 14.0)  # ln alpha, ln beta; a fit on a bound is a degenerate history


def sbg_survival(t, alpha: float, beta: float) -> np.ndarray:
    """sBG survival ``S(t) = B(alpha, beta + t) / B(alpha, beta)``.

    Parameters
    ----------
    t : array_like of float
        Ages in periods (>= 0; need not be whole).
    alpha, beta : float
        Beta-distribution parameters of the churn probability (> 0).

    Returns
    -------
    ndarray, shape of ``t``
        Share of a cohort still active at each age (1.0 at age 0).
    """
    t = np.asarray(t, dtype=float)
    return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))


@dataclass(frozen=True)
class LikelihoodCounts:
    """Sufficient statistics of a history for the sBG likelihood.

    ``churned[t]``: customers who churned in period ``t`` (``t >= 1``; index 0 unused);
    ``survivors[T]``: customers still active at their cohort's last observed age ``T``.
    Both have shape ``(max_age + 1,)``.
    """

    churned: np.ndarray
    survivors: np.ndarray

    @classmethod
    def of(cls, active: np.ndarray) -> "LikelihoodCounts":
        seen = ~np.isnan(active)
        drops = np.where(seen[:, 1:], active[:, :-1] - active[:, 1:], 0.0)
        churned = np.concatenate([[0.0], drops.sum(axis=0)])
        last = seen.sum(axis=1) - 1
        survivors = np.bincount(last, weights=active[np.arange(len(active)), last], minlength=active.shape[1])
        return cls(churned=churned, survivors=survivors.astype(float))

    def terms(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weighted ln-Beta terms ``w * ln B(alpha + p, beta + q)`` as arrays ``(p, q, w)``."""
        t = np.arange(len(self.churned), dtype=float)
        p = np.concatenate([np.ones_like(t), np.zeros_like(t)])
        q = np.concatenate([t - 1.0, t])
        w = np.concatenate([self.churned, self.survivors])
        keep = w > 0
        return p[keep], q[keep], w[keep]


def loglik_derivatives(log_ab: np.ndarray, counts: LikelihoodCounts, order: int = 0):
    """sBG log-likelihood on ``(ln alpha, ln beta)``, with gradient and Hessian.

    ``l = sum_k w_k ln B(a + p_k, b + q_k) - N ln B(a, b)``, N = all customers.

    Returns
    -------
    float, or (float, ndarray (2,)), or (float, ndarray (2,), ndarray (2, 2))
        Value; plus gradient if ``order >= 1``; plus Hessian if ``order >= 2``
        (all with respect to the log-parameters).
    """
    a, b = np.exp(log_ab)
    p, q, w = counts.terms()
    n = w.sum()
    x, y = a + p, b + q
    value = float(np.dot(w, betaln(x, y)) - n * betaln(a, b))
    if order == 0:
        return value
    s = x + y
    g = np.array([
        np.dot(w, digamma(x) - digamma(s)) - n * (digamma(a) - digamma(a + b)),
        np.dot(w, digamma(y) - digamma(s)) - n * (digamma(b) - digamma(a + b)),
    ])
    scale = np.array([a, b])
    if order == 1:
        return value, g * scale
    tri = lambda z: polygamma(1, z)  # noqa: E731 - trigamma
    h_ab = -np.dot(w, tri(s)) + n * tri(a + b)
    h = np.array([
        [np.dot(w, tri(x) - tri(s)) - n * (tri(a) - tri(a + b)), h_ab],
        [h_ab, np.dot(w, tri(y) - tri(s)) - n * (tri(b) - tri(a + b))],
    ])
    return value, g * scale, h * np.outer(scale, scale) + np.diag(g * scale)


def sbg_loglik(alpha: float, beta: float, history: CohortHistory) -> float:
    """Full-information sBG log-likelihood of a history, survivors censored.

    Parameters
    ----------
    alpha, beta : float
        sBG parameters (> 0).
    history : CohortHistory
        Active customers by cohort and age.

    Returns
    -------
    float
        ``sum over churners ln P(T = t) + sum over survivors ln S(T_last)``.
    """
    return loglik_derivatives(np.log([alpha, beta]), LikelihoodCounts.of(history.active))


def _degenerate(source: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(source, None, "", message)])


def _check_identifiable(counts: LikelihoodCounts, source: str) -> None:
    """Raise for histories that cannot pin down two parameters, with the reason."""
    n = counts.churned.sum() + counts.survivors.sum()
    at_risk_2 = counts.churned[2:].sum() + counts.survivors[2:].sum()  # alive at age 1, seen at age 2
    if n == 0:
        raise _degenerate(source, "the history has no customers (every age-0 count is 0)")
    if len(counts.churned) < 2:
        raise _degenerate(source, "only age 0 is observed: the fit needs each cohort's active customers "
                                  "at later ages (at least ages 0, 1 and 2)")
    if counts.churned.sum() == 0:
        raise _degenerate(source, "no customer churned in this history, so churn cannot be estimated "
                                  "(the fit would claim customers never leave); add more history")
    if counts.churned[1] == n:
        raise _degenerate(source, "every customer churned in the first period, so there is nothing to learn "
                                  "about later retention; check the counts")
    if at_risk_2 == 0:
        raise _degenerate(source, "only one period of retention is observed (ages 0 and 1): one retention "
                                  "rate cannot determine both alpha and beta; the fit needs at least ages 0, 1 and 2")


def _constant_churn(counts: LikelihoodCounts) -> tuple[float, float, float]:
    """Churners, customer-periods at risk and their ratio: the constant-churn-rate MLE."""
    t = np.arange(len(counts.churned))
    churned = counts.churned.sum()
    exposure = np.dot(t, counts.churned) + np.dot(t, counts.survivors)
    return churned, exposure, churned / exposure


def _geometric_loglik(counts: LikelihoodCounts) -> float:
    """Log-likelihood of the constant-churn limit (alpha, beta -> inf), at its own MLE."""
    churned, exposure, p = _constant_churn(counts)
    return churned * np.log(p) + (exposure - churned) * np.log1p(-p) if p < 1 else 0.0


def _maximise(counts: LikelihoodCounts, source: str) -> tuple[np.ndarray, float, np.ndarray]:
    """Maximum-likelihood ``(ln alpha, ln beta)``, the log-likelihood and its Hessian."""
    r1 = 1.0 - counts.churned[1] / (counts.churned[1:].sum() + counts.survivors[1:].sum())
    start = np.array([0.0, np.log(max(r1, 1e-3) / max(1.0 - r1, 1e-3))])  # alpha = 1, mean retention r1
    result = minimize(lambda x: tuple(-v for v in loglik_derivatives(x, counts, 1)), start, jac=True,
                      method="L-BFGS-B", bounds=[_LOG_BOUNDS] * 2, options={"ftol": 1e-14, "gtol": 1e-9})
    x = result.x
    for _ in range(20):  # Newton polish: exact Hessian, quadratic convergence near the optimum
        value, g, h = loglik_derivatives(x, counts, 2)
        if np.any(np.linalg.eigvalsh(h) >= 0):
            break
        step = -np.linalg.solve(h, g)
        inside = np.all((x + step >= _LOG_BOUNDS[0]) & (x + step <= _LOG_BOUNDS[1]))
        if not inside or loglik_derivatives(x + step, counts) < value:
            break
        x = x + step
        if np.max(np.abs(step)) < 1e-12:
            break
    value, _, h = loglik_derivatives(x, counts, 2)
    on_bound = np.any(np.isclose(x, _LOG_BOUNDS[0], atol=1e-3) | np.isclose(x, _LOG_BOUNDS[1], atol=1e-3))
    toward_constant = _geometric_loglik(counts) > value + 1e-6
    if on_bound or toward_constant or np.any(np.linalg.eigvalsh(h) >= 0):
        raise _degenerate(source, _boundary_message(counts, toward_constant or x.max() > 5))
    return x, value, h


def _boundary_message(counts: LikelihoodCounts, toward_constant: bool) -> str:
    if toward_constant:
        rate = _constant_churn(counts)[2]
        return ("retention does not improve with age in this history, so the sBG cannot tell loyal from "
                "fickle customers: the fit runs to its limit of a constant churn rate "
                f"({rate:.1%} per period); model retention as a constant churn rate or add more history")
    return ("the history looks like two groups, customers who churn at once and customers who never churn: "
            "the sBG fit runs to its boundary (alpha and beta -> 0); check the counts or add more history")


@dataclass(frozen=True, eq=False)
class ObservedSurvival:
    """What the history shows at each age, pooled across the cohorts observed there.

    Attributes
    ----------
    ages : ndarray, shape (n_ages,), int
        Ages in periods, ``0..max observed age``.
    cohorts : ndarray, shape (n_ages,), int
        Cohorts observed at each age.
    customers : ndarray, shape (n_ages,), float
        Customers acquired (age-0 count) by the cohorts observed at each age.
    active : ndarray, shape (n_ages,), float
        Customers of those cohorts still active at that age.
    survival : ndarray, shape (n_ages,), float
        Pooled (Kaplan-Meier) survival: product over ages of the share of customers
        retained from one age to the next, among cohorts observed at both.
    """

    ages: np.ndarray
    cohorts: np.ndarray
    customers: np.ndarray
    active: np.ndarray
    survival: np.ndarray

    @classmethod
    def of(cls, active: np.ndarray) -> "ObservedSurvival":
        seen = ~np.isnan(active)
        now = np.where(seen, active, 0.0)
        before = np.where(seen[:, 1:], active[:, :-1], 0.0).sum(axis=0)
        kept = now[:, 1:].sum(axis=0)
        rate = np.divide(kept, before, out=np.ones_like(kept), where=before > 0)
        return cls(
            ages=np.arange(active.shape[1]),
            cohorts=seen.sum(axis=0),
            customers=np.where(seen, active[:, :1], 0.0).sum(axis=0),
            active=now.sum(axis=0),
            survival=np.concatenate([[1.0], np.cumprod(rate)]),
        )


@dataclass(frozen=True, eq=False)
class RetentionFit:
    """A maximum-likelihood sBG fit to a cohort history, with its uncertainty.

    Attributes
    ----------
    alpha, beta : float
        Maximum-likelihood estimates.
    loglik : float
        Log-likelihood at the estimates (natural log).
    se_alpha, se_beta : float
        Standard errors from the observed information (delta method from the
        log scale, where the fit is done).
    cov_log : ndarray, shape (2, 2)
        Covariance of ``(ln alpha, ln beta)``: the inverse of the negative Hessian
        of the log-likelihood on the log scale.
    n_cohorts, n_customers : int
        Cohorts fitted and customers they acquired.
    period : {"month", "year"}
        Unit of one sBG period (one age step of the history).
    observed : ObservedSurvival
        The history, pooled by age, for the fitted-vs-actual table.
    revenue : RevenueRetention or None
        Net revenue retention by age, when the history has MRR.
    model, segment, source : str
        ``"sbg"``, the segment fitted (or None) and the history file.
    notes : tuple of str
        Caveats worth reading before using the fit.
    """

    alpha: float
    beta: float
    loglik: float
    se_alpha: float
    se_beta: float
    cov_log: np.ndarray
    n_cohorts: int
    n_customers: int
    period: str
    observed: ObservedSurvival
    revenue: RevenueRetention | None = None
    model: str = "sbg"
    segment: str | None = None
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def horizon(self) -> int:
        """Last projected age: three times the last observed age (at least 12)."""
        return max(3 * int(self.observed.ages[-1]), 12)

    def survival(self, ages) -> np.ndarray:
        """Fitted survival ``S(t)`` at ages in periods; see :func:`sbg_survival`."""
        return sbg_survival(ages, self.alpha, self.beta)

    def survival_interval(self, ages, level: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
        """Interval for ``S(t)`` from the parameter uncertainty (delta method on ``ln S``).

        Parameters
        ----------
        ages : array_like of float
            Ages in periods.
        level : float
            Central coverage, e.g. 0.8 for the 10th to 90th percentile.

        Returns
        -------
        lower, upper : ndarray, shape of ``ages``
        """
        t = np.asarray(ages, dtype=float)
        a, b = self.alpha, self.beta
        grad = np.stack([  # d ln S(t) / d (ln a, ln b)
            a * (digamma(a + b) - digamma(a + b + t)),
            b * (digamma(b + t) - digamma(b) + digamma(a + b) - digamma(a + b + t)),
        ], axis=-1)
        sd = np.sqrt(np.einsum("...i,ij,...j->...", grad, self.cov_log, grad))
        z = ndtri(0.5 + level / 2)
        centre = np.log(self.survival(t))
        return np.exp(centre - z * sd), np.minimum(np.exp(centre + z * sd), 1.0)

    def table(self) -> list[dict]:
        """Fitted vs actual by observed age.

        Returns
        -------
        list of dict
            One row per age: ``age``, ``cohorts`` (observed at that age),
            ``customers`` (acquired by them), ``active`` (still active), ``expected``
            (active predicted by the fit), ``actual_survival`` (pooled) and
            ``fitted_survival``.
        """
        obs = self.observed
        fitted = self.survival(obs.ages)
        return [
            {"age": int(a), "cohorts": int(c), "customers": float(n), "active": float(k),
             "expected": float(n * f), "actual_survival": float(s), "fitted_survival": float(f)}
            for a, c, n, k, s, f in zip(obs.ages, obs.cohorts, obs.customers, obs.active, obs.survival, fitted)
        ]

    def projection(self, level: float = 0.8) -> list[dict]:
        """Projected survival for ages ``0..horizon`` with its interval (see :meth:`survival_interval`)."""
        ages = np.arange(self.horizon + 1)
        lower, upper = self.survival_interval(ages, level)
        return [{"age": int(a), "survival": float(s), "lower": float(lo), "upper": float(hi)}
                for a, s, lo, hi in zip(ages, self.survival(ages), lower, upper)]

    def to_dict(self) -> dict:
        """Everything about the fit as JSON-ready data (see the docs for the keys)."""
        return {
            "model": self.model, "source": self.source, "segment": self.segment, "period": self.period,
            "alpha": self.alpha, "beta": self.beta, "loglik": self.loglik,
            "se_alpha": self.se_alpha, "se_beta": self.se_beta, "cov_log": self.cov_log.tolist(),
            "n_cohorts": self.n_cohorts, "n_customers": self.n_customers,
            "last_observed_age": int(self.observed.ages[-1]),
            "fitted_vs_actual": self.table(),
            "projected": self.projection(), "projected_interval": 0.8,
            "revenue_retention": None if self.revenue is None else self.revenue.rows(),
            "mrr_per_customer_curve": None if self.revenue is None else
            {str(k): v for k, v in self.revenue.curve().items()},
            "scenario_yaml": self.scenario_block(),
            "notes": list(self.notes),
        }

    def scenario_block(self) -> str:
        """Ready-to-paste scenario YAML: ``retention:`` and, with MRR, ``mrr_per_customer_curve:``."""
        revenue = "" if self.revenue is None else self.revenue.scenario_block()
        return self.retention_block() + revenue

    def retention_block(self) -> str:
        """The ``retention:`` scenario block; ``log_cov`` carries the parameter uncertainty."""
        cov = _format_cov(self.cov_log)
        lines = [
            "retention:",
            "  model: sbg",
            _commented(f"  alpha: {_yaml_number(self.alpha, 4)}", "maximum-likelihood estimate"),
            f"  beta: {_yaml_number(self.beta, 4)}",
            _commented(f"  period: {self.period}", "month or year: the unit of one sBG period"),
            f"  log_cov: {cov}   # covariance of (ln alpha, ln beta) from the fit; "
            "the simulator draws (alpha, beta) jointly lognormal per path",
        ]
        return "\n".join(lines) + "\n"


def _commented(text: str, comment: str) -> str:
    return f"{text.ljust(max(22, len(text) + 2))}# {comment}"


def _yaml_number(x: float, digits: int) -> str:
    """A float YAML 1.1 reads as a float: ``1.5e-05`` (never ``1e-05``, a string there)."""
    text = f"{x:.{digits}g}"
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}e{exponent}" if exponent else mantissa


def _format_cov(cov: np.ndarray) -> str:
    """Covariance as a YAML flow list, with enough digits to stay positive definite."""
    for digits in (4, 6, 8, 12, 17):
        cells = [[_yaml_number(v, digits) for v in row] for row in cov]
        if np.all(np.linalg.eigvalsh(np.array(cells, dtype=float)) > 0):
            break
    return "[" + ", ".join("[" + ", ".join(row) + "]" for row in cells) + "]"


def fit_retention(
    history: CohortHistory | str | os.PathLike,
    *,
    period: str = "month",
    model: str = "sbg",
    segment: str | None = None,
) -> RetentionFit:
    """Fit the sBG retention model to a cohort history by maximum likelihood.

    Parameters
    ----------
    history : CohortHistory or path-like
        A parsed history, or a CSV file for :func:`read_history`.
    period : {"month", "year"}
        Unit of one age step in the history (and of one sBG period).
    model : {"sbg"}
        Retention model; only the shifted-beta-geometric for now.
    segment : str, optional
        Fit only this segment of a history with a ``segment`` column.

    Returns
    -------
    RetentionFit

    Raises
    ------
    ScenarioError
        For a malformed file, an unknown segment, or a history that cannot
        determine the two parameters (no churn at all, everyone churned in the first
        period, fewer than two periods observed, retention not improving with age).
    ValueError
        For an unknown ``period`` or ``model``.

    Examples
    --------
    >>> regular = CohortHistory.from_counts([[1000, 631, 468, 382, 326, 289, 262, 241]])
    >>> fit = fit_retention(regular, period="year")
    >>> round(fit.alpha, 3), round(fit.beta, 3), round(fit.loglik, 1)
    (0.704, 1.182, -1680.3)
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS} (got {period!r})")
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS} (got {model!r})")
    if not isinstance(history, CohortHistory):
        history = read_history(history)
    history = history.select(segment)
    counts = LikelihoodCounts.of(history.active)
    _check_identifiable(counts, history.source)
    log_ab, loglik, hessian = _maximise(counts, history.source)
    cov_log = np.linalg.inv(-hessian)
    alpha, beta = np.exp(log_ab)
    se_log = np.sqrt(np.diag(cov_log))
    return RetentionFit(
        alpha=float(alpha), beta=float(beta), loglik=float(loglik),
        se_alpha=float(alpha * se_log[0]), se_beta=float(beta * se_log[1]), cov_log=cov_log,
        n_cohorts=history.n_cohorts, n_customers=history.n_customers, period=period,
        observed=ObservedSurvival.of(history.active),
        revenue=revenue_retention(history, period),
        model=model, segment=segment, source=history.source,
        notes=_notes(alpha, beta, se_log),
    )


def _notes(alpha: float, beta: float, se_log: np.ndarray) -> tuple[str, ...]:
    notes = []
    if alpha + beta > 200:
        notes.append(f"alpha + beta = {alpha + beta:.0f} is large: customers churn at almost the same rate, "
                     "so retention barely improves with age (close to constant churn)")
    if np.max(se_log) > 0.5:
        notes.append(f"the parameters are loosely determined (SE of ln alpha {se_log[0]:.2f}, "
                     f"ln beta {se_log[1]:.2f}): the scenario's draws of (alpha, beta) will spread widely; "
                     "more cohorts or longer history narrow them")
    return tuple(notes)


