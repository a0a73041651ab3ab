"""Unit economics of a simulation: per segment and blended, by month, quarter or fiscal year.

:func:`period_metrics` computes every metric on every path for every period; the
output helpers (:mod:`planner.report.unit_economics`) turn that into P10/P50/P90 with
benchmark verdicts. The formulas are those of :mod:`planner.analysis.metrics`.

Definitions (``P`` = a period, months ``first..last``; ``t = -1`` = the month before the
start, rebuilt from the MRR and customer bridges of month 0):

- **CAC** (fully loaded): S&M expense (sales + marketing departments, marketing
  programme spend included) of months ``t - lag`` for ``t`` in ``P``, over the new
  customers of those months ``t``. Months ``t < lag`` are left out (their spend fell
  before the start); a period with none left is ``nan``. A segment's CAC uses the S&M
  attributed to it (the engine's ``sm_direct``, docs/funnel.md): its **direct** S&M
  (programme spend or paid funnel spend, commissions, S&M roles and opex lines of the
  segment, its funnel's SDR and AE teams) of those months ``t - lag``, plus a share of
  the **shared** S&M (company S&M - all segments' direct S&M) of the same months in
  proportion to its new MRR of month ``t`` (``allocation = "new_mrr"``, as the engine's
  ``acquisition_cost`` and the ``cac`` series) or its new customers
  (``"new_customers"``); equal shares in a month without new business. The segments' spend adds up to the company's. A
  result kept without ``sm_direct`` shares all S&M that way (no direct part), as does
  a scenario where nothing is tagged to a segment. ``cac_programme``: the programme
  spend alone (segments with a ``marketing_budget``, or a funnel with paid leads) over
  those segments' new customers, no lag. ``commission_per_new_customer``: commissions
  paid in ``P`` / new customers won in ``P`` (segments with a ``commission``; self-serve
  wins count as customers, though they earn no commission).
- **ARPA**: MRR / customers at the end of ``P`` (the book); **new ARPA** and **ACV**
  (= 12 x new ARPA): new MRR / new customers won in ``P``.
- **Gross margin**: gross profit / revenue over ``P``.
- **Churn rate** and **expansion rate** (monthly, from the trailing twelve months at
  ``last``, cohort-based like NRR): the book of twelve months earlier keeps a share
  ``R`` of its customers and ``NRR`` of its MRR; churn = ``1 - R**(1/12)``, net
  expansion of a surviving customer's MRR = ``(NRR / R)**(1/12) - 1`` (0 if ``R = 0``).
  With constant monthly churn ``c`` and MRR growth ``g`` these give back ``c`` and
  ``g`` exactly; and, unlike churned / customer-months, they are not biased low for
  annual contracts in a growing book (new customers cannot churn before renewal).
  ``nan`` before month 11.
- **LTV** = new ARPA (book ARPA when ``P`` has no new customers) x gross margin /
  (churn - expansion): ``inf`` when expansion >= churn; ``ltv_capped`` sums
  ``ltv_horizon_months`` months, ``ltv_discounted`` discounts at
  ``discount_rate_annual`` over the same ``ltv_horizon_months`` (so it never exceeds
  ``ltv_capped``). ``lifetime_years`` = 1 / churn, ``ltv_lifetime_years`` = 1 / (churn -
  expansion): the lifetime the formula counts (``inf`` when expansion >= churn). Blended
  LTVs are the segments' weighted by their share of the new customers (the expected LTV
  of a customer won; one formula on blended rates would mix logo churn dominated by
  small customers with MRR dominated by large ones); the blended formula ``ltv`` is the
  blend of the segments' **capped** LTVs, so one small segment whose expansion beats its
  churn cannot make it unbounded (``ltv_unbounded_share``: the new-customer share of
  segments whose uncapped LTV is unbounded). The blended expansion rate is the
  segments' weighted by their book's MRR; blended NRR and GRR are of the company's book
  (MRR-weighted by construction). **ltv_cohort** (simulated): cumulative gross margin per
  customer of the cohorts won in ``P`` over their first ``ltv_horizon_months`` months
  (ages beyond the plan follow the same trajectory).
- **LTV:CAC** = LTV / CAC (also on the capped and discounted LTV and the cohort LTV).
- **CAC payback** = CAC / (new ARPA x gross margin); **cac_payback_cohort**
  (simulated): months until the cumulative gross margin per customer of ``P``'s
  cohorts covers the CAC (``inf``: not within the modelled ages).
- **Magic number**: ARR added over ``P`` / S&M of the months three earlier (a quarter's
  ARR change over the previous quarter's spend; a year's is the sum of its quarters';
  a month's is that of the quarter ending with it, from month 5).
  The first three months lack the earlier spend: they are left out (``nan`` if
  nothing is left). Segments use their attributed spend of those months, like CAC:
  direct S&M plus the shared S&M in proportion to the new-business mix of the months
  whose ARR change is measured.
- **NRR / GRR** (trailing twelve months at ``last``, cohort-based): the book of
  twelve months earlier (MRR at ``last - 12``) and what its own customers did since:
  expansion, contraction and churn over the twelve months minus those of the cohorts
  won in them. ``nan`` before month 11.
- Company only ("blended"): **growth** = revenue of ``last`` / revenue twelve months
  earlier - 1 (monthly revenue is MRR, so this is ARR growth); **EBITDA margin** over
  ``P``; **Rule of 40** = growth + EBITDA margin; **net burn** = the ``net_burn``
  series over ``P`` (-(operating cash flow - interest): financing flows - equity, debt
  drawn, principal repaid, arrangement fees - excluded, interest in); **burn multiple** = net burn / (ARR at ``last`` - ARR at
  ``first - 1``); **sm/rnd/cs/ga share** = department expense / revenue over ``P``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from planner.analysis import metrics as fm
from planner.analysis.periods import Period, periods
from planner.analysis.stats import QUANTILES, quantiles_across_paths
from planner.arrays import ratio
from planner.analysis.cohorts import ALLOCATIONS, CohortModel, cohort_models, lagged, payback_age_by_blocks
from planner.results import SimulationResult

NRR_MONTHS = 12
#: stored series the metrics read, per segment where available
SEGMENT_INPUTS = ("new_customers", "new_mrr", "mrr", "customers", "churned_customers",
                  "churned_mrr", "expansion_mrr", "contraction_mrr", "revenue", "cogs")
#: segment series read when kept: S&M attributed to a segment (without it all S&M is
#: allocated), commissions (without them no ``commission_per_new_customer``)
OPTIONAL_SEGMENT_INPUTS = ("sm_direct", "commissions")
COMPANY_INPUTS = ("sm_expense", "rnd_expense", "cs_expense", "ga_expense", "net_burn")
#: what to pass to ``simulate(keep=...)`` for the unit economics
UNIT_ECONOMICS_SERIES = SEGMENT_INPUTS + OPTIONAL_SEGMENT_INPUTS + COMPANY_INPUTS + ("ebitda",)


@dataclass
class _Scope:
    """One segment's (or the company's) series, shape (paths, months), and its cohorts."""

    name: str
    s: dict[str, np.ndarray]
    opening: dict[str, float | np.ndarray]
    models: list[CohortModel]
    alloc: np.ndarray | None  # this scope's allocation base (None: the whole company)
    programme: np.ndarray | None = None
    #: direct S&M of the segment, unlagged and lagged (zeros without ``sm_direct``)
    direct: np.ndarray | None = None
    direct_lag: np.ndarray | None = None
    commissions: np.ndarray | None = None
    #: S&M set against each month's wins (direct + shared by allocation), lagged
    attributed: np.ndarray | None = None
    #: trailing twelve-month sums of the book's flows, by series (see :func:`_trailing`)
    trailing: dict = field(default_factory=dict)


@dataclass
class PeriodMetrics:
    """Every metric on every path for every period.

    Attributes
    ----------
    periods : list of Period
    values : dict of str -> dict of str -> ndarray, shape (paths, periods)
        ``values[scope][metric]``; scopes are ``blended`` then the segments. Units:
        money for cac/ltv/arpa/acv/net burn, ratios, months for payback, fractions for
        rates, margins and shares, counts for new customers.
    settings : dict
        The options used.
    """

    periods: list[Period]
    values: dict[str, dict[str, np.ndarray]]
    settings: dict = field(default_factory=dict)


def _bridge_opening(s: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """MRR and customers the month before the start, from month 0's bridges, shape (paths,)."""
    mrr = (s["mrr"][:, 0] - s["new_mrr"][:, 0] - s["expansion_mrr"][:, 0]
           + s["contraction_mrr"][:, 0] + s["churned_mrr"][:, 0])
    customers = s["customers"][:, 0] - s["new_customers"][:, 0] + s["churned_customers"][:, 0]
    return {"mrr": mrr, "customers": customers}


def _scopes(result: SimulationResult, models: dict[str, CohortModel], allocation: str,
            lag: int) -> list[_Scope]:
    """One scope per segment, then the blended one (the company)."""
    paid = any(_segment(result, seg).commission is not None for seg in result.segments)

    def build(name, get, scope_models, alloc):
        # contiguous: a segment is a strided view of (paths, months, segments), slow to sum over months
        s = {k: np.ascontiguousarray(get(k)) for k in SEGMENT_INPUTS}
        s["gross_profit"] = s["revenue"] - s["cogs"]
        buying = [m for m in scope_models if _has_programme(result, m.segment)]
        programme = None
        if buying:
            programme = np.stack([sum(m.programme_spend for m in buying), sum(m.new_customers for m in buying)])
        sc = _Scope(name, s, _bridge_opening(s), scope_models, alloc, programme)
        if alloc is not None:
            sc.direct = (np.ascontiguousarray(get("sm_direct")) if "sm_direct" in result.by_segment
                         else np.zeros_like(s["new_mrr"]))
            sc.direct_lag = lagged(sc.direct, lag)
        pays = paid if alloc is None else _segment(result, name).commission is not None
        if pays and "commissions" in result.by_segment:
            sc.commissions = np.ascontiguousarray(get("commissions"))
        return sc

    missing = [k for k in SEGMENT_INPUTS if k not in result.by_segment]
    if missing:
        raise KeyError(f"unit economics need segment series ({', '.join(missing)} not kept by segment); "
                       f"simulate with by_segment=True and keep=UNIT_ECONOMICS_SERIES (or all series)")
    key = "new_mrr" if allocation == "new_mrr" else "new_customers"
    out = [build(seg, lambda k, seg=seg: result.segment(k, seg), [models[seg]],
                 np.ascontiguousarray(result.segment(key, seg)))
           for seg in result.segments]
    return out + [build("blended", result.total, list(models.values()), None)]


def _segment(result: SimulationResult, name: str):
    return next(s for s in result.scenario.segments if s.name == name)


def _has_programme(result: SimulationResult, name: str) -> bool:
    """Whether a segment buys customers with programme spend: a ``marketing_budget``, or a
    funnel with paid leads."""
    seg = _segment(result, name)
    return seg.marketing_budget is not None or (seg.funnel is not None and seg.funnel.paid_spend is not None)


def _sum(a: np.ndarray, first: int, last: int) -> np.ndarray:
    """Sum over months ``first..last`` (clipped to the horizon; empty -> 0), shape (paths,)."""
    if first == last and 0 <= first < a.shape[1]:  # a month: the column itself (what the sum gives), not a strided reduction
        return a[:, first].copy()
    return a[:, max(first, 0): last + 1].sum(axis=1)


def _at(a: np.ndarray, opening: np.ndarray, t: int) -> np.ndarray:
    """Value at month ``t``; ``t = -1`` is the opening value; earlier is nan."""
    if t >= 0:
        return a[:, t]
    return opening if t == -1 else np.full(a.shape[0], np.nan)


@dataclass
class _Company:
    """Company-level inputs, shape (paths, months)."""

    sm: np.ndarray
    sm_lag: np.ndarray
    shared: np.ndarray      # S&M no segment's direct cost: sm - all segments' sm_direct
    shared_lag: np.ndarray
    alloc: np.ndarray
    expense: dict[str, np.ndarray]
    ebitda: np.ndarray
    burn: np.ndarray
    segments: int = 1


def _company(result: SimulationResult, lag: int, allocation: str) -> _Company:
    expense = {d: result.total(f"{d}_expense") for d in ("sm", "rnd", "cs", "ga")}
    burn = result.total("net_burn")
    sm = expense["sm"]
    shared = sm - result.by_segment["sm_direct"].sum(axis=2) if "sm_direct" in result.by_segment else sm
    return _Company(sm, lagged(sm, lag), shared, lagged(shared, lag),
                    result.total("new_mrr" if allocation == "new_mrr" else "new_customers"),
                    expense, result.total("ebitda"), burn, len(result.segments))


def _spend(sc: _Scope, co: _Company, first: int, last: int, share_first: int, share_last: int,
           lagged: bool) -> np.ndarray:
    """S&M of months ``first..last`` (of ``t - lag`` for those ``t`` when ``lagged``) that
    belongs to the scope: all of it for the company; for a segment its direct S&M plus
    the shared S&M times its share of the allocation base over ``share_first..share_last``."""
    if sc.alloc is None:
        return _sum(co.sm_lag if lagged else co.sm, first, last)
    share = ratio(_sum(sc.alloc, share_first, share_last), _sum(co.alloc, share_first, share_last))
    direct, shared = (sc.direct_lag, co.shared_lag) if lagged else (sc.direct, co.shared)
    return _sum(direct, first, last) + _sum(shared, first, last) * share


def _attributed(sc: _Scope, co: _Company, first: int, last: int) -> np.ndarray:
    """S&M of months ``t - lag`` for ``t`` in ``first..last`` set against month ``t``'s wins:
    all of it for the company; for a segment its direct S&M plus the shared S&M times its
    share of month ``t``'s allocation base (equal shares in a month without any), as the
    engine's ``acquisition_cost`` does, so the two CACs agree."""
    if sc.alloc is None:
        return _sum(co.sm_lag, first, last)
    if sc.attributed is None:  # the same for every period: computed once per scope
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(co.alloc > 0, sc.alloc / np.where(co.alloc > 0, co.alloc, 1.0),
                             1.0 / co.segments)
        sc.attributed = sc.direct_lag + co.shared_lag * share
    return _sum(sc.attributed, first, last)


def _acquisition(sc: _Scope, co: _Company, p: Period, lag: int) -> dict[str, np.ndarray]:
    """New customers, CAC (fully loaded, lagged; programme), commissions, new ARPA and ACV."""
    s, first = sc.s, max(p.first, lag)
    spend = _attributed(sc, co, first, p.last)
    new_c = _sum(s["new_customers"], p.first, p.last)
    out = {"new_customers": new_c,
           "cac": fm.cac(spend, _sum(s["new_customers"], first, p.last)),
           "new_arpa": ratio(_sum(s["new_mrr"], p.first, p.last), new_c)}
    out["acv"] = 12.0 * out["new_arpa"]
    if sc.programme is not None:
        out["cac_programme"] = fm.cac(_sum(sc.programme[0], p.first, p.last),
                                      _sum(sc.programme[1], p.first, p.last))
    if sc.commissions is not None:
        out["commission_per_new_customer"] = fm.cac(_sum(sc.commissions, p.first, p.last), new_c)
    return out


def _rates(sc: _Scope, p: Period) -> dict[str, np.ndarray]:
    """Customers and ARPA of the book at the end of the period, gross margin over it."""
    s = sc.s
    return {
        "customers": s["customers"][:, p.last],
        "arpa": ratio(s["mrr"][:, p.last], s["customers"][:, p.last]),
        "gross_margin": ratio(_sum(s["gross_profit"], p.first, p.last), _sum(s["revenue"], p.first, p.last)),
    }


def _formula_ltv(base: dict, settings: dict) -> dict[str, np.ndarray]:
    """LTV by the formula (and capped, discounted) from one segment's ARPA, margin and rates."""
    monthly_discount = (1.0 + settings["discount_rate_annual"]) ** (1.0 / 12.0) - 1.0
    arpa = np.where(base["new_customers"] > 0, base["new_arpa"], base["arpa"])
    args = (arpa, base["gross_margin"], base["churn_rate"], base["expansion_rate"])
    horizon = settings["ltv_horizon_months"]
    return {"ltv": fm.ltv(*args), "ltv_capped": fm.ltv_capped(*args, horizon_periods=horizon),
            "ltv_discounted": fm.ltv_discounted(*args, discount_rate=monthly_discount,
                                                horizon_periods=horizon)}


def _mix(parts: list[dict], key: str, weight: str) -> np.ndarray:
    """Average of the segments' ``key`` weighted by their ``weight`` (0-weight segments left out)."""
    total = sum(part[weight] for part in parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sum(np.where(part[weight] > 0, part[key] * (part[weight] / total), 0.0) for part in parts)


def _blend(parts: list[dict], base: dict) -> dict[str, np.ndarray]:
    """Blended LTVs: the segments' weighted by their share of new customers (of customers
    at the end when there are none), i.e. the expected LTV of a customer won; blended
    expansion: the segments' weighted by their book's MRR."""
    has = base["new_customers"] > 0
    weight = lambda key: np.where(has, _mix(parts, key, "new_customers"), _mix(parts, key, "customers"))  # noqa: E731
    out = {key: weight(key) for key in ("ltv_capped", "ltv_discounted")}
    # the formula's blend is of the segments' capped LTVs: one small segment whose
    # expansion beats its churn cannot make the company's LTV unbounded
    out["ltv"] = out["ltv_capped"]
    flags = [{"unbounded": np.isinf(part["ltv"]).astype(float), "new_customers": part["new_customers"],
              "customers": part["customers"]} for part in parts]
    out["ltv_unbounded_share"] = np.where(has, _mix(flags, "unbounded", "new_customers"),
                                          _mix(flags, "unbounded", "customers"))
    out["expansion_rate"] = _mix(parts, "expansion_rate", "book_mrr")
    return out


def _lifetime_value(sc: _Scope, p: Period, base: dict, settings: dict,
                    starts: dict | None = None) -> dict[str, np.ndarray]:
    """LTV (formula unless in ``base``, cohort), LTV:CAC and CAC payback (formula, cohort).

    ``starts`` keeps each segment's cohorts of the period (their MRR and customers at
    the start, shape (paths,)), so the blended scope does not sum them again.
    """
    horizon = settings["ltv_horizon_months"]
    out = {k: base[k] for k in ("ltv", "ltv_capped", "ltv_discounted") if k in base} or _formula_ltv(base, settings)
    out["lifetime_years"] = fm.lifetime(base["churn_rate"]) / 12.0
    out["ltv_lifetime_years"] = fm.lifetime(base["churn_rate"], base["expansion_rate"]) / 12.0
    starts = {} if starts is None else starts
    for m in sc.models:  # what each segment's cohorts of the period start with
        if m.segment not in starts:
            starts[m.segment] = (_sum(m.new_mrr, p.first, p.last), _sum(m.new_customers, p.first, p.last))
    has = base["new_customers"] > 0
    per = np.where(has, base["new_customers"], 1.0)

    def per_customer(ages: slice, rows) -> np.ndarray:
        """Cumulative gross margin per customer won in the period, by age, shape (rows, ages)."""
        total = None
        for m in sc.models:
            part = m.cumulative_margin(*starts[m.segment], ages=ages, rows=rows)
            total = part if total is None else np.add(total, part, out=total)
        total /= per[rows][:, None]
        return total

    # the cohort LTV reads one age, the payback the ages until it is reached: the
    # (paths, ages) array is built only where needed
    out["ltv_cohort"] = np.where(has, per_customer(slice(horizon - 1, horizon), slice(None))[:, 0], np.nan)
    cac = base["cac"]
    for name in ("ltv", "ltv_capped", "ltv_discounted", "ltv_cohort"):
        out[name.replace("ltv", "ltv_to_cac")] = fm.ltv_to_cac(out[name], cac)
    out["cac_payback"] = fm.cac_payback_months(cac, base["new_arpa"], base["gross_margin"])
    ages = sc.models[0].max_age
    out["cac_payback_cohort"] = np.where(has, payback_age_by_blocks(per_customer, np.where(has, cac, 0.0), ages),
                                         np.nan)
    return out


def _retention(sc: _Scope, p: Period, memo: dict) -> dict[str, np.ndarray]:
    """What the book of twelve months before ``last`` did since: NRR, GRR, logo
    retention, and the monthly churn and net expansion rates they imply.

    ``memo`` keeps each segment's flows from its last twelve cohorts by (segment,
    curve, month), so the blended scope adds the segments' instead of computing them again.
    """
    s, last = sc.s, p.last
    keys = ("book_mrr", "nrr", "grr", "logo_retention", "churn_rate", "expansion_rate")
    if last < NRR_MONTHS - 1:
        return {k: np.full(s["mrr"].shape[0], np.nan) for k in keys}
    w0 = last - NRR_MONTHS + 1
    cohorts = np.arange(w0, last + 1)
    book = {}
    for key, curve, size in (("expansion_mrr", "expansion", "new_mrr"), ("contraction_mrr", "contraction", "new_mrr"),
                             ("churned_mrr", "churned_mrr", "new_mrr"),
                             ("churned_customers", "churned_customers", "new_customers")):
        new = sum(_new_cohorts_flow(m, curve, size, last, cohorts, memo) for m in sc.models)
        book[key] = _trailing(sc, key)[:, w0] - new
    start = _at(s["mrr"], sc.opening["mrr"], last - NRR_MONTHS)
    out = {"book_mrr": start,
           "nrr": fm.nrr(start, book["expansion_mrr"], book["contraction_mrr"], book["churned_mrr"]),
           "grr": fm.grr(start, book["contraction_mrr"], book["churned_mrr"])}
    customers = _at(s["customers"], sc.opening["customers"], last - NRR_MONTHS)
    kept = np.clip(1.0 - ratio(book["churned_customers"], customers), 0.0, 1.0)
    out["logo_retention"] = kept
    out["churn_rate"] = 1.0 - kept ** (1.0 / NRR_MONTHS)
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.where(kept > 0, out["nrr"] / np.where(kept > 0, kept, 1.0), 1.0)
        out["expansion_rate"] = np.sign(growth) * np.abs(growth) ** (1.0 / NRR_MONTHS) - 1.0
    return out


def _trailing(sc: _Scope, key: str) -> np.ndarray:
    """Sums of series ``key`` over every run of twelve months, shape (paths, months - 11):
    column ``w`` is months ``w..w + 11``, the same numbers as summing that slice (each
    window is reduced on its own, in the same order), in one call for all the windows."""
    if key not in sc.trailing:
        sc.trailing[key] = sliding_window_view(sc.s[key], NRR_MONTHS, axis=1).sum(axis=-1)
    return sc.trailing[key]


def _new_cohorts_flow(m: CohortModel, curve: str, size: str, last: int, cohorts: np.ndarray,
                      memo: dict) -> np.ndarray:
    """Flow ``curve`` of segment ``m``'s cohorts ``cohorts`` (months) up to ``last``, shape (paths,)."""
    key = (m.segment, curve, last)
    if key not in memo:
        memo[key] = (getattr(m, size)[:, cohorts] * m.cumulative(curve)[:, last - cohorts]).sum(axis=1)
    return memo[key]


def _magic(sc: _Scope, co: _Company, p: Period) -> dict[str, np.ndarray]:
    """ARR added over the period per unit of S&M three months earlier (a month: over the
    quarter ending with it, against the quarter before, both inside the plan)."""
    s = sc.s
    if p.last - p.first < 2:
        first, last = p.last - 5, p.last - 3
    else:
        first, last = max(p.first - 3, 0), p.last - 3
    if last < first or first < 0:
        return {"magic_number": np.full(s["mrr"].shape[0], np.nan)}
    spend = _spend(sc, co, first, last, first + 3, p.last, lagged=False)
    arr_prev = 12.0 * _at(s["mrr"], sc.opening["mrr"], first + 2)
    return {"magic_number": fm.magic_number(12.0 * s["mrr"][:, p.last], arr_prev, spend)}


def _company_metrics(sc: _Scope, co: _Company, p: Period) -> dict[str, np.ndarray]:
    """Growth, EBITDA margin, Rule of 40, burn multiple and cost shares (company only)."""
    s = sc.s
    revenue = _sum(s["revenue"], p.first, p.last)
    year_ago = _at(s["revenue"], sc.opening["mrr"], p.last - 12)
    out = {"growth": ratio(s["revenue"][:, p.last], year_ago) - 1.0,
           "ebitda_margin": ratio(_sum(co.ebitda, p.first, p.last), revenue)}
    out["rule_of_40"] = fm.rule_of_40(out["growth"], out["ebitda_margin"])
    out["net_burn"] = _sum(co.burn, p.first, p.last)
    out["net_new_arr"] = 12.0 * (s["mrr"][:, p.last] - _at(s["mrr"], sc.opening["mrr"], p.first - 1))
    out["burn_multiple"] = fm.burn_multiple(out["net_burn"], out["net_new_arr"])
    for dept, expense in co.expense.items():
        out[f"{dept}_share"] = ratio(_sum(expense, p.first, p.last), revenue)
    return out


def segment_spend(result: SimulationResult) -> str:
    """How segments' S&M is found: ``"direct_plus_shared"`` (the engine's ``sm_direct``
    kept by segment) or ``"allocated"`` (all S&M shared by the allocation base)."""
    return "direct_plus_shared" if "sm_direct" in result.by_segment else "allocated"


def period_metrics(result: SimulationResult, freq: str = "year", *, fiscal_year_start: int | None = None,
                   cac_lag_months: int = 0, allocation: str = "new_mrr", ltv_horizon_months: int = 60,
                   discount_rate_annual: float = 0.10,
                   models: dict[str, CohortModel] | None = None, cache: bool = True,
                   only: tuple[int, int] | None = None) -> PeriodMetrics:
    """Every unit-economics metric, per path, per period, per segment and blended.

    Parameters
    ----------
    result : SimulationResult
        Needs the series of :data:`UNIT_ECONOMICS_SERIES`; segment scopes appear when
        they were kept by segment (``simulate(..., by_segment=True)``).
    freq : {"month", "quarter", "year"}
    fiscal_year_start : int, optional
        Calendar month (1-12) a fiscal year starts; default the plan's first month.
    cac_lag_months : int
        Months between S&M spend and the wins it buys (0: same month).
    allocation : {"new_mrr", "new_customers"}
        How the shared S&M (all of it without ``sm_direct``) is shared between segments
        for their CAC and magic number.
    ltv_horizon_months : int
        Months counted by ``ltv_capped`` and ``ltv_cohort``.
    discount_rate_annual : float
        Discount rate of ``ltv_discounted`` (0.10 = 10% a year).
    models : dict, optional
        From :func:`planner.analysis.cohorts.cohort_models` (built when not given).
    cache : bool
        Keep the answer on ``result`` and return it to a later call with the same
        options, so the terminal, workbook, charts and targets of one run compute each
        frequency once (False for a one-off, e.g. the large monthly table).
    only : (int, int), optional
        Only periods ``only[0]`` to ``only[1] - 1`` (a slice of the periods), with the
        numbers they have among all of them (see :func:`period_quantiles`).

    Returns
    -------
    PeriodMetrics
        See the module notes for the definitions.
    """
    settings = _settings(result, freq, fiscal_year_start, cac_lag_months, allocation, ltv_horizon_months,
                         discount_rate_annual)
    key = tuple(sorted(settings.items())) + (only,)
    cache = result.__dict__.setdefault("_period_metrics", {}) if cache and models is None else {}
    if key in cache:
        return cache[key]
    spans = periods(result.months, freq, fiscal_year_start)
    if only is not None:
        spans = spans[only[0]:only[1]]
    inputs = _Inputs.build(result, settings, models)
    cache[key] = PeriodMetrics(spans, inputs.values(spans), settings)
    return cache[key]


def _settings(result: SimulationResult, freq: str, fiscal_year_start: int | None = None,
              cac_lag_months: int = 0, allocation: str = "new_mrr", ltv_horizon_months: int = 60,
              discount_rate_annual: float = 0.10) -> dict:
    """The options of :func:`period_metrics`, checked, with the result's S&M basis."""
    if cac_lag_months < 0 or ltv_horizon_months < 1:
        raise ValueError(f"cac_lag_months must be >= 0 and ltv_horizon_months >= 1 "
                         f"(got {cac_lag_months} and {ltv_horizon_months})")
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {', '.join(ALLOCATIONS)} (got {allocation!r})")
    return {"freq": freq, "fiscal_year_start": fiscal_year_start, "cac_lag_months": int(cac_lag_months),
            "allocation": allocation, "segment_spend": segment_spend(result),
            "ltv_horizon_months": int(ltv_horizon_months), "discount_rate_annual": float(discount_rate_annual)}


@dataclass
class _Inputs:
    """What every period's metrics read: the scopes, the company and the blended
    retention's memo, built once for all the periods of a table."""

    result: SimulationResult
    settings: dict
    scopes: list[_Scope]
    company: _Company
    memo: dict = field(default_factory=dict)  # the segments' cohort flows, for the blended retention

    @classmethod
    def build(cls, result: SimulationResult, settings: dict,
              models: dict[str, CohortModel] | None = None) -> _Inputs:
        horizon, lag = settings["ltv_horizon_months"], settings["cac_lag_months"]
        if models is None or next(iter(models.values())).max_age < horizon:
            models = cohort_models(result, max(result.scenario.horizon, 120, horizon))
        allocation = settings["allocation"]
        return cls(result, settings, _scopes(result, models, allocation, lag), _company(result, lag, allocation))

    def values(self, spans: list[Period]) -> dict[str, dict[str, np.ndarray]]:
        """Every metric of every scope on every path for ``spans``: ``values[scope][metric]``,
        shape (paths, len(spans))."""
        lag, segments = self.settings["cac_lag_months"], self.result.segments
        values: dict[str, dict[str, np.ndarray]] = {sc.name: {} for sc in self.scopes}
        for j, p in enumerate(spans):
            starts: dict = {}  # each segment's cohorts of the period, for the blend
            # segments first: the blended LTV mixes theirs
            for sc in self.scopes:
                row = _acquisition(sc, self.company, p, lag) | _rates(sc, p) | _retention(sc, p, self.memo)
                if sc.alloc is None:
                    parts = [{k: v[:, j] for k, v in values[seg].items()} for seg in segments]
                    row |= _blend(parts, row) | _company_metrics(sc, self.company, p)
                row |= _lifetime_value(sc, p, row, self.settings, starts) | _magic(sc, self.company, p)
                _fill(values[sc.name], row, j, len(spans))
        return {name: values[name] for name in ["blended", *segments]}


def period_quantiles(result: SimulationResult, freq: str = "month", q=QUANTILES, *, chunk: int = 12,
                     scopes=None, metrics=None,
                     **options) -> tuple[list[Period], dict[str, dict[str, np.ndarray]]]:
    """Quantiles across paths of every metric of :func:`period_metrics`, per period.

    The same numbers as ``quantiles_across_paths`` of ``period_metrics(result, freq,
    **options)``, computed ``chunk`` periods at a time so that only those periods' per-path
    arrays are held (the monthly table of 2,000 paths: about 150 MB at once otherwise).
    ``scopes`` and ``metrics`` (default: all) choose the quantiles computed.

    Returns
    -------
    periods : list of Period
    values : dict of str -> dict of str -> ndarray, shape (len(q), periods)
        ``values[scope][metric]``, scopes and metrics in the order of :func:`period_metrics`.
    """
    inputs = _Inputs.build(result, _settings(result, freq, **options))
    spans = periods(result.months, freq, options.get("fiscal_year_start"))
    parts: dict[str, dict[str, list[np.ndarray]]] = {}
    for first in range(0, len(spans), chunk):
        for scope, data in inputs.values(spans[first:first + chunk]).items():
            if scopes is not None and scope not in scopes:
                continue
            into = parts.setdefault(scope, {})
            for key, values in data.items():
                if metrics is None or key in metrics:
                    into.setdefault(key, []).append(quantiles_across_paths(values, q))
    return spans, {scope: {key: np.concatenate(chunks, axis=1) for key, chunks in data.items()}
                   for scope, data in parts.items()}


def _fill(values: dict[str, np.ndarray], row: dict[str, np.ndarray], j: int, n: int) -> None:
    """Write period ``j``'s row into ``values`` (allocated (paths, n) on the first row), so
    the rows of every period are never held at once."""
    for k, v in row.items():
        if k not in values:  # (periods, paths) underneath: a period's row is contiguous
            values[k] = np.empty((n, v.shape[0]), dtype=np.result_type(v, float)).T
        values[k][:, j] = v
