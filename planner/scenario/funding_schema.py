"""The ``funding:`` block: committed rounds, named funding plans and their instruments."""
from __future__ import annotations

from planner.scenario.spec import Flag, ListOf, MapOf, Month, Number, OneOf, Record, Text

INSTRUMENTS = ("equity", "venture_debt", "milestone_equity", "runway_equity")


def _valuation() -> dict:
    return {
        "pre_money": Number("pre-money valuation", low=0.0, low_open=True, default=None,
                            unit="currency", typical=(1e5, 1e12)),
        "pre_money_arr_multiple": Number("pre-money valuation as a multiple of ARR at close",
                                         low=0.0, low_open=True, default=None,
                                         typical=(0.5, 100.0)),
        "option_pool": Number("option-pool top-up, as a share of the post-money, created "
                              "before the round (dilutes existing holders only)",
                              low=0.0, high=0.5, default=0.0),
    }


def _arrives(default: bool) -> Flag:
    return Flag("the money arrives even if cash fell below zero before its month (a signed "
                "round, bridged); the path still counts as having run out of cash then. "
                "false: the round does not happen on such a path", default=default)


def _equity() -> Record:
    return Record({
        "type": Text("a dated equity round", choices=("equity",)),
        "name": Text("round name"),
        "month": Month("month the cash arrives"),
        "amount": Number("cash raised", low=0.0, unit="currency"),
        **_valuation(),
        "arrives_when_insolvent": _arrives(False),
    }, "an equity round on a fixed month")


def _venture_debt() -> Record:
    return Record({
        "type": Text("a venture-debt facility", choices=("venture_debt",)),
        "name": Text("facility name"),
        "month": Month("month the loan is drawn (before the start: outstanding at it, its schedule goes on)"),
        "amount": Number("principal drawn", low=0.0, unit="currency"),
        "annual_rate": Number("interest rate per year on the outstanding principal", low=0.0,
                              high=1.0, typical=(0.0, 0.25)),
        "interest_only_months": Number("months of interest only after the draw", low=0,
                                       limit=120, integer=True, dist=False, default=0),
        "amortisation_months": Number("months of equal principal repayments after that", low=1,
                                      limit=240, integer=True, dist=False),
        "fee": Number("arrangement fee as a share of the principal, paid at the draw", low=0.0,
                      high=0.2, default=0.0),
    }, "a venture-debt loan: drawn on a month, interest only, then equal repayments")


def _milestone() -> Record:
    return Record({
        "type": Text("an equity round raised when ARR reaches a milestone",
                     choices=("milestone_equity",)),
        "name": Text("round name"),
        "amount": Number("cash raised", low=0.0, unit="currency"),
        "arr_at_least": Number("ARR the round needs", low=0.0, unit="currency"),
        "not_before": Month("earliest month it can close"),
        "deadline": Month("if the milestone is not met by this month, the round does not happen"),
        **_valuation(),
    }, "an equity round that closes the first month ARR reaches arr_at_least")


def _runway() -> Record:
    return Record({
        "type": Text("an equity round raised when runway gets short", choices=("runway_equity",)),
        "name": Text("round name"),
        "amount": Number("cash raised", low=0.0, unit="currency"),
        "runway_below_months": Number("raise when cash / average net burn of the last 3 months "
                                      "falls below this many months", low=0.0, low_open=True,
                                      high=60.0),
        "not_before": Month("earliest month it can close", default=None),
        **_valuation(),
    }, "an equity round that closes when runway falls below runway_below_months")


def _instrument() -> OneOf:
    options = {"equity": _equity(), "venture_debt": _venture_debt(),
               "milestone_equity": _milestone(), "runway_equity": _runway()}
    return OneOf(lambda v: v.get("type") if isinstance(v, dict) else None, options,
                 "a mapping with type: " + ", ".join(INSTRUMENTS), key="type")


def funding_spec() -> Record:
    """The ``funding:`` block."""
    return Record({
        "minimum_cash": Number("cash the company must keep; plans and the minimum raise are "
                               "judged against it", low=0.0, default=0.0, unit="currency"),
        "rounds": ListOf(Record({
            "name": Text("round name"),
            "month": Month("month the cash arrives"),
            "amount": Number("cash raised", low=0.0, unit="currency"),
            "arrives_when_insolvent": _arrives(True),
        }, "a committed equity inflow: name, month and amount"), "committed equity inflows, part of every plan (valuation not modelled)", default=[],
            named_by="name"),
        "plans": MapOf(ListOf(_instrument(), named_by="name"),
                       "plan name -> its instruments (in addition to "
                       "the committed rounds); `planner compare` compares them", default={}),
        "plan": Text("the plan `planner run` uses (default: the first)", default=None),
    }, "money raised: committed rounds, the cash floor and alternative funding plans",
        default={})
