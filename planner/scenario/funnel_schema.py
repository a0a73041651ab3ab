"""The go-to-market part of the scenario format: the funnel, commissions, driven roles.

See ``docs/funnel.md`` for what each key means in the engine.
"""
from __future__ import annotations

from planner.scenario.spec import Flag, MapOf, Number, OneOf, Record, Text, series

#: what a driven role can follow (funnel flows, segment series)
DRIVERS = ("leads", "mqls", "sqls", "opportunities", "wins", "trials", "new_customers",
           "customers")
DRIVER_MEANINGS = {
    "leads": "leads a month", "mqls": "marketing qualified leads a month",
    "sqls": "sales qualified leads a month", "opportunities": "opportunities a month",
    "wins": "deals won a month (sales-led)", "trials": "self-serve trials started a month",
    "new_customers": "new customers a month (every channel)",
    "customers": "active customers at month end",
}
#: qualification presets: (share of MQLs passed to sales, win rate of what passes).
#: The classic example: of 100 MQLs strict BANT passes 8 and wins 7, looser ANUM
#: passes 20 and wins 10.
QUALIFICATION = {"bant": (0.08, 0.875), "anum": (0.20, 0.50)}
#: default speed-to-lead curve: response minutes -> multiplier on the odds of converting,
#: 1.0 for contact 10 minutes to an hour after the lead arrives (see docs/funnel.md)
DEFAULT_DECAY = {1: 4.9, 5: 4.9, 10: 1.0, 60: 1.0, 1440: 0.7, 10080: 0.5}


def _shape(value) -> str:
    if isinstance(value, dict):
        return "number" if "dist" in value else "map"
    if isinstance(value, bool):
        return "other"
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else "other"


def _stage(doc: str) -> Record:
    return Record({
        "rate": Number(f"share that converts: {doc}", low=0.0, high=1.0, default=None),
        "months": Number("months in the stage before converting or being lost (fractions are "
                         "split between the neighbouring months)", low=0.0, high=36.0,
                         default=0.0),
    }, doc, default={})


def _sales_cycle() -> Record:
    return Record({
        "mean_months": Number("average months from opportunity to close", low=0.0, high=36.0,
                              default=0.0),
        "sd_months": Number("spread of the sales cycle (a gamma distribution discretised to "
                            "months; 0 = every deal takes mean_months)", low=0.0, high=36.0,
                            default=0.0),
        "weights": MapOf(Number(low=0.0, dist=False), "months from opportunity to close -> share "
                         "of deals (normalised; replaces mean_months and sd_months)",
                         key=Number(low=0, high=36, integer=True, dist=False), default=None),
    }, "how long opportunities take to close: spreads wins over later months", default={})


def _speed_to_lead() -> Record:
    return Record({
        "applies_to": Text("the stage conversion that response time multiplies",
                           choices=("mql", "sql"), default="mql",
                           meanings={"mql": "lead -> MQL conversion",
                                     "sql": "MQL -> SQL conversion"}),
        "measured_at_minutes": Number("response time at which that stage's rate was measured "
                                      "(default with sdr_role: base_minutes)", low=0.0,
                                      low_open=True, dist=False, default=None),
        "response_minutes": Number("response time set directly (an instant-response tool or "
                                   "policy); replaces the SDR coverage model", low=0.0,
                                   low_open=True, default=None),
        "sdr_role": Text("the headcount role whose people contact new leads", default=None),
        "leads_per_sdr": Number("leads one SDR contacts per month within base_minutes",
                                low=0.0, low_open=True, default=None),
        "base_minutes": Number("response time while SDRs keep up", low=0.0, low_open=True,
                               default=5.0),
        "overflow_minutes": Number("response time of leads beyond SDR capacity", low=0.0,
                                   low_open=True, default=1440.0),
        "curve": MapOf(Number(low=0.0, low_open=True, dist=False),
                       "response minutes -> multiplier on the odds of converting (interpolated "
                       "log-log, flat beyond the ends)", key=Number(low=0.0, low_open=True,
                                                                    dist=False),
                       default=dict(DEFAULT_DECAY), min_items=2),
    }, "conversion that depends on how fast leads are contacted", default=None)


def _sales_capacity() -> Record:
    return Record({
        "ae_role": Text("the headcount role of the account executives who close this segment"),
        "ramp_months": Number("months for a new AE to reach full productivity (linear ramp)",
                              low=0, high=24, integer=True, dist=False, default=0),
        "quota_deals_per_month": Number("deals a fully ramped AE closes per month", low=0.0,
                                        low_open=True, default=None),
        "quota_new_arr_per_month": Number("new ARR a fully ramped AE closes per month (a $600K "
                                          "yearly quota is 50000)", low=0.0, low_open=True,
                                          default=None, unit="currency"),
        "attainment": Number("share of quota achieved", low=0.0, high=2.0, default=1.0),
        "unworked": Text("deals beyond capacity: carried over to next month or lost",
                         choices=("carry_over", "lost"), default="carry_over",
                         meanings={"carry_over": "wait for next month's capacity",
                                   "lost": "are lost"}),
    }, "account executives: wins are the lesser of pipeline and capacity", default=None,
        exclusive=(("quota_deals_per_month", "quota_new_arr_per_month"),))


def _qualification() -> OneOf:
    custom = Record({
        "pass_rate": Number("share of MQLs passed to sales (sets stages.sql.rate)", low=0.0,
                            high=1.0),
        "win_rate": Number("share of opportunities won (sets stages.won.rate)", low=0.0, high=1.0),
    }, "a custom qualification policy: the share passed to sales and the win rate")
    presets = Text("a qualification preset", choices=tuple(QUALIFICATION), meanings={
        "bant": "BANT, strict: 8% of MQLs passed to sales, 87.5% of them won",
        "anum": "ANUM, looser: 20% of MQLs passed to sales, 50% of them won"})
    return OneOf(_shape, {"text": presets, "map": custom},
                 "qualification policy: bant (strict: 8% of MQLs passed, 87.5% won), anum (looser: "
                 "20% passed, 50% won) or {pass_rate, win_rate}",
                 expected="bant, anum or {pass_rate, win_rate}", default=None)


def funnel_spec() -> Record:
    """``segments.<name>.acquisition.funnel``."""
    return Record({
        "leads": Record({
            "paid": Record({
                "spend": _series("marketing programme spend per month (counted in marketing)"),
                "cost_per_lead": Number("programme spend per lead", low=0.0, low_open=True,
                                        unit="currency"),
            }, "leads bought with programme spend", default=None),
            "inbound": _series("organic and inbound leads per month", default=None),
        }, "where leads come from", default={}),
        "self_serve": Record({
            "trials": _series("trials started per month"),
            "conversion": Number("share of trials that become paying customers", low=0.0,
                                 high=1.0),
            "months": Number("months from trial start to paying", low=0.0, high=36.0,
                             default=0.0),
        }, "trials converting to paid without sales", default=None),
        "stages": Record({
            "mql": _stage("lead -> marketing qualified lead"),
            "sql": _stage("MQL -> sales qualified lead (passed to sales)"),
            "opportunity": _stage("SQL -> opportunity"),
            "won": Record({
                "rate": Number("share of opportunities won (the win rate)", low=0.0, high=1.0,
                               default=None),
            }, "opportunity -> closed won", default={}),
        }, "conversion rates and durations", default={}),
        "sales_cycle": _sales_cycle(),
        "warm_start": Flag("the funnel ran at its first month's level before the start, so the "
                           "pipeline in flight then closes in the first months (false: a "
                           "funnel that starts empty)", default=True),
        "qualification": _qualification(),
        "speed_to_lead": _speed_to_lead(),
        "sales_capacity": _sales_capacity(),
    }, "bottom-up acquisition: leads -> MQL -> SQL -> opportunity -> won, and self-serve trials")


def commission_spec() -> Record:
    """``segments.<name>.acquisition.commission``."""
    return Record({
        "rate": Number("commission as a share of first-year ACV (12 x new MRR) of sales-led wins",
                       low=0.0, high=1.0),
        "paid_over_months": Number("months over which it is paid, from the month of the win "
                                   "(1 = at close)", low=1, high=36, integer=True, dist=False,
                                   default=1),
    }, "sales commission on new business (reported in sales)", default=None)


def driver_spec() -> Record:
    """``costs.headcount[i].driver``."""
    return Record({
        "of": Text("what the role's size follows", choices=DRIVERS, meanings=DRIVER_MEANINGS),
        "per": Number("one person per this many (per month for flows, at month end for "
                      "customers)", low=0.0, low_open=True),
        "segment": Text("only this segment's numbers (default: all segments)", default=None),
        "lag_months": Number("hiring lag: the team follows the driver of this many months "
                             "earlier", low=0, high=24, integer=True, dist=False, default=0),
        "minimum": Number("never fewer people than this", low=0, integer=True, dist=False,
                          default=0),
    }, "size the role from a driver, rounded up to whole people (replaces start and hires)",
        default=None)


def _series(doc: str, *, default=...):
    return series(doc, optional=default is None)
