"""Turn a validated scenario mapping into :class:`Scenario`, checking what spans keys.

Field-level checks live in the schema; here are the ones that need the whole file:
dates inside the horizon, references to segments, contract and billing consistency,
curves that make sense.
"""
from __future__ import annotations

import difflib

import numpy as np
from scipy import stats

from planner.scenario.distributions import Distribution
from planner.scenario.model import (OpexLine, Retention, Role, Round, Scenario, Segment, Series)
from planner.scenario.schema import BILLING_NAMES
from planner.scenario.spec import Context


class _Builder:
    def __init__(self, spec: dict, ctx: Context):
        self.spec, self.ctx = spec, ctx
        self.start = spec["start"]
        self.horizon = spec["horizon_months"]

    def month_index(self, month: np.datetime64, path: tuple) -> int | None:
        index = int((month - self.start).astype(int))
        if not 0 <= index < self.horizon:
            last = self.start + self.horizon - 1
            self.ctx.error(path, f"month {month} is outside the horizon {self.start} to {last}")
            return None
        return index

    def series(self, value, path: tuple) -> Series | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return Series("constant", value=value)
        if "schedule" in value:
            steps = []
            for month, amount in sorted(value["schedule"].items()):
                index = self.month_index(month, path + ("schedule", str(month)))
                if index is not None:
                    steps.append((index, amount))
            return Series("schedule", steps=tuple(steps))
        annual = value.get("annual_growth") is not None
        growth = value["annual_growth"] if annual else value["monthly_growth"]
        return Series("growth", start=value["start"], monthly_growth=growth, growth_is_annual=annual)


def _curve(mapping: dict, path: tuple, ctx: Context, what: str, *, falling: bool) -> tuple | None:
    points = sorted(mapping.items())
    if points[0][0] != 0 or points[0][1] != 1.0:
        ctx.error(path, f"{what} must start at age 0 with 1.0", points[0][1] if points[0][0] == 0
                  else f"first age {points[0][0]}")
        return None
    if falling:
        for (a0, s0), (a1, s1) in zip(points, points[1:]):
            if s1 > s0:
                ctx.error(path + (a1,), f"survival cannot rise with age ({s0:g} at age {a0}, "
                                        f"{s1:g} at age {a1})")
                return None
        if points[-1][1] <= 0:
            ctx.error(path, "the last survival value must be > 0 (it is extended past the last age)")
            return None
    return tuple((int(a), float(s)) for a, s in points)


def _retention(value: dict, path: tuple, ctx: Context) -> Retention:
    model = value["model"]
    if model == "constant":
        if value["monthly_churn"] is not None:
            return Retention("constant", monthly_churn=value["monthly_churn"])
        annual = value["annual_churn"]
        if isinstance(annual, float):
            return Retention("constant", monthly_churn=1 - (1 - annual) ** (1 / 12))
        ctx.error(path + ("annual_churn",), "a distribution here must be given as monthly_churn")
        return Retention("constant")
    if model == "curve":
        curve = _curve(value["curve"], path + ("curve",), ctx, "the survival curve", falling=True)
        return Retention("curve", curve=curve or ((0, 1.0), (1, 1.0)))
    period = 12 if value["period"] == "year" else 1
    cov, zs = _log_cov(value, path, ctx)
    return Retention("sbg", alpha=value["alpha"], beta=value["beta"], period_months=period,
                     log_cov=cov, z_params=zs)


def _log_cov(value: dict, path: tuple, ctx: Context):
    raw = value["log_cov"]
    if raw is None:
        return None, None
    where = path + ("log_cov",)
    matrix = np.array(raw, dtype=float) if all(isinstance(r, list) for r in raw) else None
    if matrix is None or matrix.shape != (2, 2):
        ctx.error(where, "must be a 2x2 matrix [[var_a, cov], [cov, var_b]]")
        return None, None
    if not np.allclose(matrix, matrix.T) or np.linalg.eigvalsh(matrix).min() < -1e-12:
        ctx.error(where, "must be symmetric and positive semidefinite")
        return None, None
    if not all(isinstance(value[k], float) for k in ("alpha", "beta")):
        ctx.error(where, "needs alpha and beta as numbers (the fitted estimates), not distributions")
        return None, None
    std = Distribution("normal", {"mean": 0.0, "sd": 1.0}, stats.norm())
    zs = (ctx.add_param(where + ("z_alpha",), std, None, None),
          ctx.add_param(where + ("z_beta",), std, None, None))
    return tuple(map(tuple, matrix.tolist())), zs


def _per_segment(value, names: tuple[str, ...], path: tuple, ctx: Context) -> dict:
    if not isinstance(value, dict):
        return {name: value for name in names}
    for key in value:
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f"; segments are {', '.join(names)}"
            ctx.error(path + (key,), f"no segment named {key!r}{extra}")
    return {name: value.get(name, 0.0) for name in names}


def _segment(b: _Builder, name: str, value: dict, costs: dict) -> Segment:
    path = ("segments", name)
    contract = value["contract"]
    billing = contract["billing"]
    billing_months = BILLING_NAMES[billing] if isinstance(billing, str) else billing
    term = contract["term_months"]
    if term % billing_months:
        b.ctx.error(path + ("contract", "billing"), f"the billing period ({billing_months} months) "
                    f"must divide the contract term ({term} months)")
    acq = value["acquisition"]
    if acq["marketing_budget"] is not None and acq["cac"] is None:
        b.ctx.error(path + ("acquisition", "cac"), "is required with marketing_budget")
    if acq["new_customers"] is not None and acq["cac"] is not None:
        b.ctx.error(path + ("acquisition", "cac"), "applies only with marketing_budget")
    exp = value["expansion"]
    curve = exp["mrr_per_customer_curve"]
    if curve is not None:
        curve = _curve(curve, path + ("expansion", "mrr_per_customer_curve"), b.ctx,
                       "mrr_per_customer_curve", falling=False)
        if exp["monthly_rate"] != 0.0 or exp["contraction_monthly_rate"] != 0.0:
            b.ctx.error(path + ("expansion",), "give either mrr_per_customer_curve or the monthly "
                                               "rates, not both")
    opening = value["opening"]
    return Segment(
        name=name, opening_customers=opening["customers"], opening_mrr=opening["mrr"],
        opening_age=opening["age_months"], arpa=value["price"]["arpa"],
        annual_increase=value["price"]["annual_increase"], term_months=term,
        billing_months=billing_months, payment_terms_days=contract["payment_terms_days"],
        new_customers=b.series(acq["new_customers"], path + ("acquisition", "new_customers")),
        marketing_budget=b.series(acq["marketing_budget"], path + ("acquisition", "marketing_budget")),
        cac=acq["cac"], retention=_retention(value["retention"], path + ("retention",), b.ctx),
        expansion_rate=exp["monthly_rate"], contraction_rate=exp["contraction_monthly_rate"],
        mrr_curve=curve, hosting_pct=costs["hosting"][name],
        cost_per_customer=costs["per_customer"][name])


def _role(b: _Builder, value: dict, path: tuple) -> Role:
    hires = []
    for month, count in sorted(value["hires"].items()):
        index = b.month_index(month, path + ("hires", str(month)))
        if index is not None:
            hires.append((index, count))
    total = value["start"]
    for index, count in hires:
        total += count
        if total < 0:
            b.ctx.error(path + ("hires",), f"headcount would fall below zero in "
                                           f"{b.start + index} (got {total})")
            break
    return Role(value["role"], value["department"], value["salary"], value["burden"],
                value["annual_raise"], value["start"], tuple(hires))


def build_scenario(spec: dict, ctx: Context) -> Scenario:
    """Build the :class:`Scenario` from a field-validated mapping, recording problems in ``ctx``."""
    b = _Builder(spec, ctx)
    names = tuple(spec["segments"])
    cogs = spec["costs"]["cogs"]
    costs = {"hosting": _per_segment(cogs["hosting_pct_of_revenue"], names,
                                     ("costs", "cogs", "hosting_pct_of_revenue"), ctx),
             "per_customer": _per_segment(cogs["per_customer_monthly"], names,
                                          ("costs", "cogs", "per_customer_monthly"), ctx)}
    segments = tuple(_segment(b, name, value, costs) for name, value in spec["segments"].items())
    roles = tuple(_role(b, r, ("costs", "headcount", i))
                  for i, r in enumerate(spec["costs"]["headcount"]))
    opex = tuple(OpexLine(o["name"], o["department"],
                          b.series(o["monthly"], ("costs", "opex", i, "monthly")),
                          o["pct_of_revenue"]) for i, o in enumerate(spec["costs"]["opex"]))
    rounds = []
    for i, r in enumerate(spec["funding"]["rounds"]):
        index = b.month_index(r["month"], ("funding", "rounds", i, "month"))
        if index is not None:
            rounds.append(Round(r["name"], index, r["amount"]))
    sim = spec["simulation"]
    return Scenario(
        name=spec["name"], description=spec["description"], source=ctx.lines.source,
        start=spec["start"], horizon=spec["horizon_months"], currency=spec["currency"],
        paths=sim["paths"], seed=sim["seed"], opening_cash=spec["opening"]["cash"],
        segments=segments, roles=roles, opex=opex, rounds=tuple(rounds), params=tuple(ctx.params))
