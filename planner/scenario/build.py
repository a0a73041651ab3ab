"""Turn a validated scenario mapping into :class:`Scenario`, checking what spans keys.

Field-level checks live in the schema; here are the ones that need the whole file:
dates inside the horizon, references to segments, contract and billing consistency,
curves that make sense. They run even when some fields had problems (those fields are
:data:`~planner.scenario.spec.INVALID` and their dependent checks are skipped), so a
user sees every problem of a file at once.
"""
from __future__ import annotations

import difflib

import numpy as np

from planner.scenario.distributions import standard_normal
from planner.scenario.model import (OpexLine, Retention, Role, Round, Scenario, Segment, Series)
from planner.scenario.build_correlation import build_correlation
from planner.scenario.build_funding import build_plans
from planner.scenario.build_funnel import build_commission, build_driver, build_funnel
from planner.scenario.schema import BILLING_NAMES
from planner.scenario.spec import INVALID, Context


def _valid(*values) -> bool:
    """True when none of ``values`` had a field-level problem (already reported)."""
    return all(v is not INVALID for v in values)


class _Builder:
    def __init__(self, spec: dict, ctx: Context):
        self.spec, self.ctx = spec, ctx
        self.start = spec["start"]
        self.horizon = spec["horizon_months"]

    def month_index(self, month: np.datetime64, path: tuple) -> int | None:
        if not _valid(self.start, self.horizon, month):
            return None
        index = int((month - self.start).astype(int))
        if not 0 <= index < self.horizon:
            last = self.start + self.horizon - 1
            self.ctx.error(path, f"month {month} is outside the horizon {self.start} to {last}")
            return None
        return index

    def series(self, value, path: tuple) -> Series | None:
        if value is None or value is INVALID:
            return None
        if not isinstance(value, dict):
            return Series("constant", value=value)
        if "schedule" in value:
            if value["schedule"] is INVALID:
                return None
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
    if mapping is INVALID or not mapping or not _valid(*mapping.values()):
        return None
    points = sorted(mapping.items())
    if points[0][0] != 0:
        ctx.error(path, f"{what} must start at age 0 with 1.0 (got first age {points[0][0]})")
        return None
    if points[0][1] != 1.0:
        ctx.error(path, f"{what} must start at age 0 with 1.0", points[0][1])
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


def _retention(value: dict, path: tuple, ctx: Context) -> Retention | None:
    if value is INVALID:
        return None
    model = value["model"]
    if model == "constant":
        if value["monthly_churn"] is not None:
            return Retention("constant", monthly_churn=value["monthly_churn"])
        annual = value["annual_churn"]
        if isinstance(annual, float):
            return Retention("constant", monthly_churn=1 - (1 - annual) ** (1 / 12))
        if annual is not None and annual is not INVALID:
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
    if raw is None or raw is INVALID or not all(isinstance(r, list) and _valid(*r) for r in raw):
        return None, None
    where = path + ("log_cov",)
    if len(raw) != 2 or any(len(row) != 2 for row in raw):
        ctx.error(where, "must be a 2x2 matrix [[var_a, cov], [cov, var_b]]")
        return None, None
    matrix = np.array(raw, dtype=float)
    if not np.allclose(matrix, matrix.T) or np.linalg.eigvalsh(matrix).min() < -1e-12:
        ctx.error(where, "must be symmetric and positive semidefinite")
        return None, None
    if not _valid(value["alpha"], value["beta"]):
        return None, None
    if not all(isinstance(value[k], float) for k in ("alpha", "beta")):
        ctx.error(where, "needs alpha and beta as numbers (the fitted estimates), not distributions")
        return None, None
    std = standard_normal()
    zs = (ctx.add_param(where + ("z_alpha",), std, None, None),
          ctx.add_param(where + ("z_beta",), std, None, None))
    return tuple(map(tuple, matrix.tolist())), zs


def _per_segment(value, names: tuple[str, ...] | None, path: tuple, ctx: Context) -> dict:
    if names is None:  # the segments themselves had a problem
        return {}
    if not isinstance(value, dict):
        return {name: value for name in names}
    for key in value:
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else f"; segments are {', '.join(names)}"
            ctx.error(path + (key,), f"no segment named {key!r}{extra}")
    missing = [name for name in names if name not in value]
    if missing:
        ctx.error(path, f"no value for segment{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} (give every segment a value, 0 if none)")
    return {name: value.get(name, 0.0) for name in names}


def _check_opening(opening, path: tuple, ctx: Context) -> None:
    """An opening book has both customers and MRR, or neither."""
    if opening is INVALID or not _valid(opening["customers"], opening["mrr"]):
        return
    customers, mrr = opening["customers"], opening["mrr"]
    if isinstance(customers, float) and isinstance(mrr, float) and (customers > 0) != (mrr > 0):
        ctx.error(path, f"customers and mrr must both be 0 or both be > 0 "
                        f"(got customers={customers:g}, mrr={mrr:g})")


def _months(n: int) -> str:
    return f"{n} month{'' if n == 1 else 's'}"


def _check_contract(contract, path: tuple, ctx: Context) -> int | None:
    """Billing period in months; an error if it does not divide the contract term."""
    if contract is INVALID or not _valid(contract["billing"], contract["term_months"]):
        return None
    billing, term = contract["billing"], contract["term_months"]
    billing_months = BILLING_NAMES[billing] if isinstance(billing, str) else billing
    if term % billing_months:
        ctx.error(path + ("billing",), f"the billing period ({_months(billing_months)}) "
                                       f"must divide the contract term ({_months(term)})")
    return billing_months


def _coterm(setting: str | None, billing_months: int) -> bool:
    """Whether MRR changes between prepaid invoices are invoiced co-termed (prorated for
    the rest of the billing period): by default for annual and longer prepaid terms."""
    return billing_months >= 12 if setting is None else setting == "coterm"


def _check_cac(acq, path: tuple, ctx: Context) -> None:
    """cac goes with marketing_budget, and only with it."""
    if acq is INVALID:
        return
    given = [k for k in ("new_customers", "marketing_budget") if acq[k] is not None]
    if given == ["marketing_budget"] and acq["cac"] is None:
        ctx.error(path + ("cac",), "is required with marketing_budget")
    if given == ["new_customers"] and acq["cac"] is not None:
        ctx.error(path + ("cac",), "applies only with marketing_budget")


def _segment(b: _Builder, name: str, value: dict, costs: dict, roles: dict) -> Segment | None:
    if value is INVALID:
        return None
    path = ("segments", name)
    funnel = commission = None
    if value["acquisition"] is not INVALID:
        funnel = build_funnel(value["acquisition"]["funnel"], roles, name,
                              path + ("acquisition", "funnel"), b.ctx, b.series)
        commission = build_commission(value["acquisition"]["commission"])
    contract, acq, exp = value["contract"], value["acquisition"], value["expansion"]
    billing_months = _check_contract(contract, path + ("contract",), b.ctx)
    _check_cac(acq, path + ("acquisition",), b.ctx)
    curve = None
    if exp is not INVALID and exp["mrr_per_customer_curve"] is not None:
        curve = _curve(exp["mrr_per_customer_curve"], path + ("expansion", "mrr_per_customer_curve"),
                       b.ctx, "mrr_per_customer_curve", falling=False)
        if exp["monthly_rate"] != 0.0 or exp["contraction_monthly_rate"] != 0.0:
            b.ctx.error(path + ("expansion",), "give either mrr_per_customer_curve or the monthly "
                                               "rates, not both")
    retention = _retention(value["retention"], path + ("retention",), b.ctx)
    opening, price = value["opening"], value["price"]
    _check_opening(opening, path + ("opening",), b.ctx)
    if not _valid(contract, acq, exp, opening, price):
        return None
    return Segment(
        name=name, opening_customers=opening["customers"], opening_mrr=opening["mrr"],
        opening_age=opening["age_months"], arpa=price["arpa"],
        annual_increase=price["annual_increase"], term_months=contract["term_months"],
        billing_months=billing_months, payment_terms_days=contract["payment_terms_days"],
        coterm_expansion=_coterm(contract["expansion_billing"], billing_months),
        bad_debt_rate=contract["bad_debt_rate"],
        new_customers=b.series(acq["new_customers"], path + ("acquisition", "new_customers")),
        marketing_budget=b.series(acq["marketing_budget"], path + ("acquisition", "marketing_budget")),
        cac=acq["cac"], retention=retention,
        expansion_rate=exp["monthly_rate"], contraction_rate=exp["contraction_monthly_rate"],
        mrr_curve=curve, hosting_pct=costs["hosting"][name],
        cost_per_customer=costs["per_customer"][name], funnel=funnel, commission=commission)


def _role(b: _Builder, value: dict, path: tuple, segments: dict, teams: dict) -> Role | None:
    if value is INVALID:
        return None
    driver = build_driver(value["driver"], value, segments, path + ("driver",), b.ctx)
    segment = value["segment"]
    if segment is not None and segment is not INVALID and segment not in segments:
        b.ctx.error(path + ("segment",), f"no segment named {segment!r}; segments are "
                                         f"{', '.join(segments)}")
    segment = teams.get(value["role"], segment)
    hires = []
    if value["hires"] is not INVALID:
        for month, count in sorted(value["hires"].items()):
            index = b.month_index(month, path + ("hires", str(month)))
            if index is not None:
                hires.append((index, count))
    total = value["start"]
    for index, count in hires:
        if not _valid(total, count):
            break
        total += count
        if total < 0:
            b.ctx.error(path + ("hires",), f"headcount would fall below zero in "
                                           f"{b.start + index} (got {total})")
            break
    return Role(value["role"], value["department"], value["salary"], value["burden"],
                value["annual_raise"], value["start"], tuple(hires), driver, segment)


def _role_specs(items: list, ctx: Context) -> dict:
    """Role name -> its checked mapping; two roles with one name are an error."""
    out: dict = {}
    for i, item in enumerate(items):
        if item is INVALID or item["role"] is INVALID:
            continue
        if item["role"] in out:
            ctx.error(("costs", "headcount", i, "role"), f"another role is already called "
                                                         f"{item['role']!r}; role names must differ")
        out[item["role"]] = item
    return out


def _teams(segments: tuple, ctx: Context) -> dict[str, str]:
    """Role name -> the segment whose funnel names it as its SDR or AE team."""
    out: dict[str, str] = {}
    for seg in segments:
        if seg is None or seg.funnel is None:
            continue
        f = seg.funnel
        named = [(f.speed.sdr_role if f.speed else None, "speed_to_lead", "sdr_role"),
                 (f.capacity.ae_role if f.capacity else None, "sales_capacity", "ae_role")]
        for role, block, key in named:
            if role is None or role is INVALID:
                continue
            if out.get(role, seg.name) != seg.name:
                ctx.error(("segments", seg.name, "acquisition", "funnel", block, key),
                          f"role {role!r} already works for segment {out[role]!r}; give each "
                          f"segment its own team")
            out[role] = seg.name
    return out


def _opex_line(b: _Builder, value: dict, path: tuple, segments: dict) -> OpexLine:
    segment = value["segment"]
    if segment is not None and segment is not INVALID and segment not in segments:
        b.ctx.error(path + ("segment",), f"no segment named {segment!r}; segments are "
                                         f"{', '.join(segments)}")
    return OpexLine(value["name"], value["department"], b.series(value["monthly"], path + ("monthly",)),
                    value["pct_of_revenue"], segment)


def _items(value) -> list:
    """The entries of a list field, or none when the field itself had a problem."""
    return [] if value is INVALID else list(value)


def build_scenario(spec: dict, ctx: Context) -> Scenario | None:
    """Build the :class:`Scenario` from a checked mapping, recording problems in ``ctx``.

    Fields that had a problem are :data:`~planner.scenario.spec.INVALID`; checks that need
    them are skipped, the others still run. Returns None when ``ctx`` holds any problem.
    """
    b = _Builder(spec, ctx)
    seg_specs = spec["segments"] if isinstance(spec["segments"], dict) else {}
    names = tuple(seg_specs) if spec["segments"] is not INVALID else None
    costs_spec = spec["costs"] if spec["costs"] is not INVALID else {
        "cogs": INVALID, "headcount": INVALID, "opex": INVALID}
    cogs = costs_spec["cogs"]
    if cogs is INVALID:
        cogs = {"hosting_pct_of_revenue": INVALID, "per_customer_monthly": INVALID}
    costs = {"hosting": _per_segment(cogs["hosting_pct_of_revenue"], names,
                                     ("costs", "cogs", "hosting_pct_of_revenue"), ctx),
             "per_customer": _per_segment(cogs["per_customer_monthly"], names,
                                          ("costs", "cogs", "per_customer_monthly"), ctx)}
    role_specs = _role_specs(_items(costs_spec["headcount"]), ctx)
    segments = tuple(_segment(b, name, value, costs, role_specs) for name, value in seg_specs.items())
    if spec["opening"] is not INVALID and spec["opening"].get("from_actuals") and spec["start"] is not INVALID:
        from planner.actuals.scenario_opening import opening_from_actuals  # pandas: only then

        segments = opening_from_actuals(segments, spec["opening"], spec["start"], ctx)
    teams = _teams(segments, ctx)
    roles = tuple(_role(b, r, ("costs", "headcount", i), seg_specs, teams)
                  for i, r in enumerate(_items(costs_spec["headcount"])))
    opex = tuple(_opex_line(b, o, ("costs", "opex", i), seg_specs)
                 for i, o in enumerate(_items(costs_spec["opex"])) if o is not INVALID)
    funding = spec["funding"]
    rounds = []
    for i, r in enumerate(_items(funding["rounds"]) if funding is not INVALID else []):
        index = None if r is INVALID else b.month_index(r["month"], ("funding", "rounds", i, "month"))
        if index is not None:
            rounds.append(Round(r["name"], index, r["amount"], r["arrives_when_insolvent"]))
    plans, default_plan = build_plans(b, funding)
    sim = spec["simulation"]
    correlation, warnings = build_correlation(sim, ctx) if sim is not INVALID else (None, ())
    if ctx.problems:
        return None
    return Scenario(
        name=spec["name"], description=spec["description"], source=ctx.lines.source,
        start=spec["start"], horizon=spec["horizon_months"], currency=spec["currency"],
        paths=sim["paths"], seed=sim["seed"], opening_cash=spec["opening"]["cash"],
        segments=segments, roles=roles, opex=opex, rounds=tuple(rounds), params=tuple(ctx.params),
        plans=plans, default_plan=default_plan, minimum_cash=funding["minimum_cash"],
        sampling=sim["sampling"], process_noise=sim["process_noise"], correlation=correlation,
        warnings=tuple(str(w) for w in ctx.warnings) + tuple(warnings))
