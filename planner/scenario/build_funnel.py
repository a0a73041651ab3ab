"""Build a segment's funnel, commissions and driven roles, checking what spans keys.

The checks here need more than one key: a qualification policy and the stage rates it
sets, the roles a funnel names (they must exist, belong to the segment, and not be
sized by something that depends on themselves), speed to lead's two ways of setting a
response time.
"""
from __future__ import annotations

import difflib

from planner.scenario.funnel_schema import QUALIFICATION
from planner.scenario.model import (Commission, Driver, Funnel, Lag, SalesCapacity, SelfServe,
                                    SpeedToLead, Stage)
from planner.scenario.spec import INVALID

#: drivers an SDR or AE team may follow without depending on itself (see docs/funnel.md)
TEAM_DRIVERS = {"sdr": ("leads",), "sdr_sql": ("leads", "mqls"),
                "ae": ("leads", "mqls", "sqls", "opportunities")}
FUNNEL_DRIVERS = ("leads", "mqls", "sqls", "opportunities", "trials")


def _valid(*values) -> bool:
    return all(v is not INVALID for v in values)


def _delay(months) -> Lag:
    return Lag(mean=months, sd=0.0)


def _sales_cycle(value, path: tuple, ctx) -> Lag:
    if value is INVALID:
        return Lag()
    weights = value["weights"]
    if weights is INVALID or (weights is not None and not _valid(*weights.values())):
        return Lag()
    if weights is not None:
        if value["mean_months"] != 0.0 or value["sd_months"] != 0.0:
            ctx.error(path, "give either weights or mean_months/sd_months, not both")
        total = sum(weights.values())
        if total <= 0:
            ctx.error(path + ("weights",), "needs at least one weight above 0")
            return Lag()
        return Lag(weights=tuple(sorted((int(m), w / total) for m, w in weights.items())))
    return Lag(mean=value["mean_months"], sd=value["sd_months"])


def _rates(value: dict, path: tuple, ctx) -> tuple | None:
    """(mql, sql, opportunity, win) rates, with the qualification policy applied."""
    stages, qual = value["stages"], value["qualification"]
    if not _valid(stages, qual):
        return None
    sql_rate, win_rate = stages["sql"]["rate"], stages["won"]["rate"]
    if qual is not None:
        pass_rate, win = QUALIFICATION[qual] if isinstance(qual, str) else (qual["pass_rate"],
                                                                            qual["win_rate"])
        for key, given in (("sql", sql_rate), ("won", win_rate)):
            if given is not None:
                ctx.error(path + ("stages", key, "rate"), "is set by qualification; give one or "
                                                          "the other")
        sql_rate, win_rate = pass_rate, win
    rates = (stages["mql"]["rate"], sql_rate, stages["opportunity"]["rate"], win_rate)
    names = (("stages", "mql", "rate"), ("stages", "sql", "rate"),
             ("stages", "opportunity", "rate"), ("stages", "won", "rate"))
    missing = [n for n, r in zip(names, rates) if r is None]
    for name in missing:
        extra = " (or set qualification)" if name[1] in ("sql", "won") else ""
        ctx.error(path + name, f"is required when the funnel has leads{extra}")
    return None if missing or not _valid(*rates) else rates


def _role_index(name: str, roles: dict, path: tuple, ctx) -> dict | None:
    """The headcount role called ``name``, or an error with the closest name."""
    if name in roles:
        return roles[name]
    hint = difflib.get_close_matches(name, list(roles), n=1)
    extra = f"; did you mean '{hint[0]}'?" if hint else \
        (f"; roles are {', '.join(roles)}" if roles else "; costs.headcount has no roles")
    ctx.error(path, f"no headcount role named {name!r}{extra}")
    return None


def _check_team(role: dict, segment: str, allowed: tuple[str, ...], what: str, path: tuple,
                ctx) -> None:
    """A team named by a funnel works for that segment and is not sized by its own output."""
    if role is INVALID:
        return
    if role["department"] not in ("sales", "marketing", INVALID):
        ctx.error(path, f"the {what} role {role['role']!r} is in {role['department']}; a sales "
                        f"team belongs in sales or marketing (its cost is part of CAC)")
    if role["segment"] not in (None, segment, INVALID):
        ctx.error(path, f"role {role['role']!r} works for segment {role['segment']!r}, not "
                        f"{segment!r}")
    driver = role["driver"]
    if driver is None or driver is INVALID or not _valid(driver["of"], driver["segment"]):
        return
    if driver["segment"] != segment or driver["of"] not in allowed:
        circular = ", which depends on the team itself" if driver["of"] not in allowed else ""
        ctx.error(path, f"the {what} role {role['role']!r} must be driven by this segment's "
                        f"{' or '.join(allowed)} (it is driven by {driver['of']} of "
                        f"{driver['segment'] or 'all segments'}{circular})")


def _speed(value, roles: dict, segment: str, path: tuple, ctx) -> SpeedToLead | None:
    if value is None or value is INVALID:
        return None
    direct, role_name, per_sdr = value["response_minutes"], value["sdr_role"], value["leads_per_sdr"]
    if role_name is not None and per_sdr is None:
        ctx.error(path + ("leads_per_sdr",), "is required with sdr_role (leads one SDR contacts "
                                             "a month)")
    elif direct is None and (role_name is None or per_sdr is None):
        missing = [k for k, v in (("sdr_role", role_name), ("leads_per_sdr", per_sdr)) if v is None]
        ctx.error(path, f"needs response_minutes, or sdr_role and leads_per_sdr "
                        f"(missing {' and '.join(missing)})")
    if role_name is not None and role_name is not INVALID:
        role = _role_index(role_name, roles, path + ("sdr_role",), ctx)
        if role is not None:
            allowed = TEAM_DRIVERS["sdr_sql" if value["applies_to"] == "sql" else "sdr"]
            _check_team(role, segment, allowed, "SDR", path + ("sdr_role",), ctx)
    base, late = value["base_minutes"], value["overflow_minutes"]
    if isinstance(base, float) and isinstance(late, float) and late < base:
        ctx.error(path + ("overflow_minutes",), f"must not be shorter than base_minutes ({base:g}): "
                                                f"leads beyond SDR capacity wait longer", late)
    measured = _measured_at(value, role_name, path, ctx)
    curve = value["curve"]
    if measured is None or curve is INVALID or not _valid(value["applies_to"], *curve.values()):
        return None
    return SpeedToLead(value["applies_to"], measured,
                       tuple(sorted((float(m), float(f)) for m, f in curve.items())),
                       response_minutes=direct, sdr_role=role_name,
                       leads_per_sdr=0.0 if per_sdr is None else per_sdr,
                       base_minutes=value["base_minutes"], overflow_minutes=value["overflow_minutes"])


def _measured_at(value: dict, role_name, path: tuple, ctx) -> float | None:
    """Response time at which the stage rate was measured: given, or with SDR coverage
    the base response (the rate of a team that keeps up), else an error."""
    measured, base = value["measured_at_minutes"], value["base_minutes"]
    if measured is INVALID:
        return None
    if measured is not None:
        return measured
    if role_name is not None and isinstance(base, float):
        return base
    if role_name is None and value["response_minutes"] is None:
        return None  # no response time at all: reported already
    why = "base_minutes is uncertain" if role_name is not None else "the response time is set directly"
    ctx.error(path + ("measured_at_minutes",), f"is required when {why}: the response time at "
                                               f"which the stage's rate was measured")
    return None


def _capacity(value, roles: dict, segment: str, path: tuple, ctx) -> SalesCapacity | None:
    if value is None or value is INVALID:
        return None
    role = _role_index(value["ae_role"], roles, path + ("ae_role",), ctx) \
        if value["ae_role"] is not INVALID else None
    if role is not None:
        _check_team(role, segment, TEAM_DRIVERS["ae"], "AE", path + ("ae_role",), ctx)
    return SalesCapacity(value["ae_role"], value["ramp_months"], value["quota_deals_per_month"],
                         value["quota_new_arr_per_month"], value["attainment"],
                         value["unworked"] == "carry_over")


def build_funnel(value, roles: dict, segment: str, path: tuple, ctx, series) -> Funnel | None:
    """A segment's :class:`Funnel` from its checked ``acquisition.funnel`` mapping.

    ``roles`` maps role names to their checked mappings (for the team checks);
    ``series(value, path)`` builds a monthly :class:`~planner.scenario.model.Series`.
    """
    if value is None or value is INVALID:
        return None
    leads, serve = value["leads"], value["self_serve"]
    if leads is INVALID or serve is INVALID:
        return None
    paid, inbound = leads["paid"], leads["inbound"]
    has_leads = paid is not None or inbound is not None
    if not has_leads and serve is None:
        ctx.error(path, "needs leads (paid or inbound) or self_serve trials")
        return None
    rates = _rates(value, path, ctx) if has_leads else (0.0, 0.0, 0.0, 0.0)
    if not has_leads:
        for key in _lead_only_keys(value):
            ctx.error(path + (key,), "applies only to a funnel with leads (this one has only "
                                     "self-serve trials)")
    speed = _speed(value["speed_to_lead"], roles, segment, path + ("speed_to_lead",), ctx)
    capacity = _capacity(value["sales_capacity"], roles, segment, path + ("sales_capacity",), ctx)
    cycle = _sales_cycle(value["sales_cycle"], path + ("sales_cycle",), ctx)
    stages = value["stages"]
    if rates is None or paid is INVALID or stages is INVALID:
        return None
    self_serve = None if serve is None else SelfServe(
        series(serve["trials"], path + ("self_serve", "trials")), serve["conversion"],
        _delay(serve["months"]))
    return Funnel(
        paid_spend=None if paid is None else series(paid["spend"], path + ("leads", "paid", "spend")),
        cost_per_lead=None if paid is None else paid["cost_per_lead"],
        inbound=series(inbound, path + ("leads", "inbound")), self_serve=self_serve,
        mql=Stage(rates[0], _delay(stages["mql"]["months"])),
        sql=Stage(rates[1], _delay(stages["sql"]["months"])),
        opportunity=Stage(rates[2], _delay(stages["opportunity"]["months"])),
        win_rate=rates[3], sales_cycle=cycle, speed=speed, capacity=capacity,
        warm_start=value["warm_start"] is not False)


def _lead_only_keys(value: dict) -> list[str]:
    """The keys given that mean something only with leads (stages, qualification, ...)."""
    out = [k for k in ("speed_to_lead", "sales_capacity", "qualification") if value[k] is not None]
    stages, cycle = value["stages"], value["sales_cycle"]
    if stages is not INVALID and any(v is not INVALID and v["rate"] is not None for v in stages.values()):
        out.append("stages")
    if cycle is not INVALID and (cycle["weights"] is not None or cycle["mean_months"] != 0.0
                                 or cycle["sd_months"] != 0.0):
        out.append("sales_cycle")
    return out


def build_commission(value) -> Commission | None:
    if value is None or value is INVALID:
        return None
    return Commission(value["rate"], value["paid_over_months"])


def build_driver(value, role: dict, segments: dict, path: tuple, ctx) -> Driver | None:
    """A role's :class:`Driver`; ``segments`` maps names to their checked mappings."""
    if value is None or value is INVALID:
        return None
    if role["start"] not in (0, INVALID) or (role["hires"] not in (INVALID,) and role["hires"]):
        ctx.error(path, "a driven role's size comes from its driver: remove start and hires "
                        "(use minimum for a floor)")
    seg = value["segment"]
    if seg is INVALID:
        return None
    if seg is not None and seg not in segments:
        hint = difflib.get_close_matches(seg, list(segments), n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else f"; segments are {', '.join(segments)}"
        ctx.error(path + ("segment",), f"no segment named {seg!r}{extra}")
        return None
    of = value["of"]
    if of in FUNNEL_DRIVERS and of is not INVALID:
        scope = [seg] if seg is not None else list(segments)
        with_funnel = [s for s in scope if _has_funnel(segments.get(s))]
        if not with_funnel:
            where = f"segment {seg!r} has no funnel" if seg is not None else "no segment has a funnel"
            ctx.error(path + ("of",), f"{where}, so there are no {of} to follow")
    if not _valid(of, value["per"], value["lag_months"], value["minimum"]):
        return None
    return Driver(of, value["per"], seg, value["lag_months"], value["minimum"])


def _has_funnel(segment) -> bool:
    if not isinstance(segment, dict):
        return False
    acq = segment.get("acquisition")
    return isinstance(acq, dict) and acq.get("funnel") not in (None, INVALID)
