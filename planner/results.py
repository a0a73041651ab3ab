"""SimulationResult: the simulated series as named arrays, with totals and quantiles.

Shapes: segment series are stored as (paths, months, segments), company series as
(paths, months). ``total(name)`` and ``segment(name, seg)`` always return
(paths, months); ``quantiles(name, q)`` returns (len(q), months).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from planner.arrays import ratio
from planner.engine.core import COMPANY_SERIES, ROLE_SERIES, SEGMENT_SERIES
from planner.engine.financing import net_burn
from planner.engine.sampling import Inputs
from planner.engine.totals import segment_total
from planner.scenario.model import Scenario
from planner.series import SERIES_SPECS



#: derived series -> (function of a getter, whether it exists per segment)
DERIVED = {
    "arr": (lambda get: 12.0 * get("mrr"), True),
    "gross_profit": (lambda get: get("revenue") - get("cogs"), True),
    "opex": (lambda get: get("sm_expense") + get("rnd_expense") + get("cs_expense")
             + get("ga_expense"), False),
    "ebitda": (lambda get: get("gross_profit") - get("opex"), False),
    "funding": (lambda get: get("equity_raised") + get("debt_drawn"), False),
    "net_cash_flow": (lambda get: get("operating_cash_flow") + get("equity_raised")
                      + get("debt_drawn") - get("debt_repaid") - get("interest")
                      - get("debt_fees"), False),
    # financing flows excluded, interest in (engine.financing.net_burn); positive = burning
    "net_burn": (lambda get: net_burn(get("operating_cash_flow"), get("interest")), False),
    "net_income": (lambda get: get("ebitda") - get("interest") - get("debt_fees"), False),
    "cac": (lambda get: ratio(get("acquisition_cost"), get("new_customers")), True),
}
#: segment series whose company figure is an average weighted by another series, not a sum
WEIGHTED = {name: spec.weighted_by for name, spec in SERIES_SPECS.items() if spec.weighted_by}


def weighted_total(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Company figure of a :data:`WEIGHTED` series from (paths, months, segments) arrays:
    the weighted average over the segments where it is modelled (non-zero), 0 where it is
    modelled nowhere; (paths, months)."""
    weights = weights * (values != 0)
    total = segment_total(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, segment_total(values * weights) / np.where(total > 0, total, 1.0), 0.0)


def runway_months_from(cash_out_month: np.ndarray, horizon: int) -> np.ndarray:
    """Months of cash from the start: the cash-out month's index, or ``horizon`` (censored)
    where cash never runs out (-1); shape (paths,)."""
    return np.where(cash_out_month >= 0, cash_out_month, horizon)


def _inputs_of(formula) -> tuple[str, ...]:
    """The stored series a derived formula reads (found by running it on a recorder)."""
    seen: list[str] = []

    def record(name: str):
        if name in DERIVED:
            for inner in _inputs_of(DERIVED[name][0]):
                seen.append(inner)
        else:
            seen.append(name)
        return 0.0
    formula(record)
    return tuple(dict.fromkeys(seen))


#: what each derived series is computed from (inferred, so it cannot drift)
DEPENDS = {name: _inputs_of(formula) for name, (formula, _) in DERIVED.items()}
SERIES = SEGMENT_SERIES + COMPANY_SERIES + tuple(DERIVED) + ROLE_SERIES



def base_series(names) -> set[str]:
    """The stored series needed to provide ``names`` (derived ones expanded)."""
    out: set[str] = set()
    for name in names:
        if name not in SERIES:
            raise KeyError(_unknown(name))
        out.update(DEPENDS.get(name, (name,)))
        if name in WEIGHTED:
            out.add(WEIGHTED[name])
    return out


def _unknown(name: str) -> str:
    import difflib

    hint = difflib.get_close_matches(name, SERIES, n=1)
    return f"no series named {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")


@dataclass
class SimulationResult:
    """The outcome of :func:`planner.simulate`.

    Attributes
    ----------
    scenario : Scenario
    seed : int
    months : ndarray of datetime64[M], shape (months,)
    segments : tuple of str
    by_segment : dict of str -> ndarray (paths, months, segments)
    company : dict of str -> ndarray (paths, months)
        Company series, and segment series kept only as totals.
    opening : dict of str -> ndarray (paths,)
        ``cash``, ``deferred_revenue`` and ``receivables`` the month before the start.
    per_path : dict of str -> ndarray (paths,) or (paths, instruments)
        ``ownership``: existing holders' share after the plan's priced rounds;
        ``minimum_cash``; per instrument of the plan (committed rounds first,
        :func:`planner.engine.financing.instruments`) ``funding_arrival`` (month index,
        -1 never), ``funding_amount``, ``funding_pre_money`` (NaN: none) and
        ``funding_kept`` (share existing holders keep), read by
        :mod:`planner.analysis.funding_events`.
    plan : str
        The funding plan simulated.
    first_path : int
        Index of the first path (non-zero for a slice of a streamed run).
    by_role : dict of str -> ndarray (paths, months, roles)
        ``role_headcount``: people in each of the scenario's roles (when kept).
    draws : ndarray, shape (paths, inputs)
        The value each uncertain input took on each path, columns in the order of
        :attr:`input_names` (``scenario.params``); analysis reads them instead of drawing
        the inputs again.
    sampled_from : int
        For the sample of a streamed run (:func:`planner.simulate_stream`), how many paths
        were simulated, of which these are every k-th; 0 otherwise.
    """

    scenario: Scenario
    seed: int
    by_segment: dict[str, np.ndarray]
    company: dict[str, np.ndarray]
    opening: dict[str, np.ndarray] = field(default_factory=dict)
    per_path: dict[str, np.ndarray] = field(default_factory=dict)
    plan: str = ""
    first_path: int = 0
    by_role: dict[str, np.ndarray] = field(default_factory=dict)
    draws: np.ndarray | None = None
    sampled_from: int = 0

    def __post_init__(self) -> None:
        if self.draws is None:
            self.draws = np.empty((self.paths, len(self.scenario.params)))
            self.draws.fill(np.nan)

    @property
    def input_names(self) -> tuple[str, ...]:
        """Dotted key path of each column of :attr:`draws`."""
        return tuple(p.path for p in self.scenario.params)

    @property
    def minimum_cash(self) -> np.ndarray:
        """Each path's minimum cash balance (``funding.minimum_cash``, drawn if uncertain),
        shape (paths,), currency."""
        if "minimum_cash" in self.per_path:
            return self.per_path["minimum_cash"]
        value = Inputs(self.scenario, self.draws).value(self.scenario.minimum_cash)
        return np.broadcast_to(value, (self.paths, 1))[:, 0].copy()

    @property
    def months(self) -> np.ndarray:
        return self.scenario.months

    @property
    def segments(self) -> tuple[str, ...]:
        return self.scenario.segment_names

    @property
    def paths(self) -> int:
        return next(iter(self.opening.values())).shape[0]

    @property
    def names(self) -> tuple[str, ...]:
        """Series available from this result."""
        have = set(self.by_segment) | set(self.company) | set(self.by_role)
        return tuple(n for n in SERIES if set(DEPENDS.get(n, (n,))) <= have)

    def role(self, name: str, role: str) -> np.ndarray:
        """One role's series (``role_headcount``), shape (paths, months)."""
        if name not in self.by_role:
            raise KeyError(_unknown(name) if name not in SERIES else
                           f"series {name!r} was not kept in this result")
        names = [r.role for r in self.scenario.roles]
        if role not in names:
            raise KeyError(f"no role named {role!r}; roles are {', '.join(names)}")
        return self.by_role[name][:, :, names.index(role)]

    def total(self, name: str) -> np.ndarray:
        """Company total of a series, shape (paths, months)."""
        if name in self.company:
            return self.company[name]
        if name in self.by_segment and name in WEIGHTED:
            return weighted_total(self.by_segment[name], self.by_segment[WEIGHTED[name]])
        if name in self.by_segment:
            return segment_total(self.by_segment[name])  # np.sum's bits in any layout
        if name in self.by_role:
            return self.by_role[name].sum(axis=2)
        if name in DERIVED:
            return DERIVED[name][0](self.total)
        raise KeyError(_unknown(name) if name not in SERIES else
                       f"series {name!r} was not kept in this result (see simulate(keep=...))")

    def segment(self, name: str, seg: str) -> np.ndarray:
        """One segment's series, shape (paths, months)."""
        if seg not in self.segments:
            raise KeyError(f"no segment named {seg!r}; segments are {', '.join(self.segments)}")
        index = self.segments.index(seg)
        if name in DERIVED and DERIVED[name][1]:
            return DERIVED[name][0](lambda n: self.segment(n, seg))
        if name in self.by_segment:
            return self.by_segment[name][:, :, index]
        if name in COMPANY_SERIES or name in DERIVED:
            raise KeyError(f"{name!r} is a company-level series; use total({name!r})")
        raise KeyError(_unknown(name) if name not in SERIES else
                       f"series {name!r} was not kept by segment in this result")

    def quantiles(self, name: str, q, segment: str | None = None) -> np.ndarray:
        """Quantiles across paths for each month.

        Parameters
        ----------
        name : str
        q : float or sequence of float
            Probabilities in [0, 1], e.g. ``(0.1, 0.5, 0.9)``.
        segment : str, optional
            A segment instead of the company total.

        Returns
        -------
        ndarray, shape (len(q), months)
        """
        data = self.total(name) if segment is None else self.segment(name, segment)
        return np.quantile(data, np.atleast_1d(np.asarray(q, dtype=float)), axis=0)

    def head(self, n: int) -> "SimulationResult":
        """The first ``n`` paths (views, no copy): identical to an ``n``-path run."""
        return SimulationResult(self.scenario, self.seed,
                                {k: v[:n] for k, v in self.by_segment.items()},
                                {k: v[:n] for k, v in self.company.items()},
                                {k: v[:n] for k, v in self.opening.items()},
                                {k: v[:n] for k, v in self.per_path.items()}, self.plan,
                                self.first_path, {k: v[:n] for k, v in self.by_role.items()},
                                self.draws[:n])

    def cash_out_month(self) -> np.ndarray:
        """Index of the first month with cash below zero, or -1 if never; shape (paths,)."""
        below = self.total("cash") < 0
        return np.where(below.any(axis=1), below.argmax(axis=1), -1)

    def runway_months(self) -> np.ndarray:
        """Months of cash from the start: the cash-out month's index, or the horizon
        (censored: cash lasts at least that long) where cash never runs out; shape (paths,)."""
        return runway_months_from(self.cash_out_month(), len(self.months))

    @property
    def ownership(self) -> np.ndarray:
        """Existing holders' share after the plan's priced rounds, shape (paths,)."""
        return self.per_path["ownership"]

    def cash_trough(self) -> np.ndarray:
        """Lowest cash balance over the horizon (opening included), shape (paths,)."""
        return np.minimum(self.total("cash").min(axis=1), self.opening["cash"])
