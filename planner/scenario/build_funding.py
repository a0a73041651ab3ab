"""Build the funding plans of a scenario, checking dates and valuations."""
from __future__ import annotations

from planner.scenario.model import (EquityRound, MilestoneRound, Plan, RunwayRound, Valuation,
                                    VentureDebt)
from planner.scenario.spec import INVALID

COMMITTED_ONLY = "committed rounds only"


#: the share of the company a priced round ordinarily sells (amount / post-money)
ORDINARY_SHARE_SOLD = (0.05, 0.5)


def _valuation(value: dict, path: tuple, ctx) -> Valuation:
    pre, multiple = value["pre_money"], value["pre_money_arr_multiple"]
    if pre is not None and multiple is not None:
        ctx.error(path, "give either pre_money or pre_money_arr_multiple, not both")
    amount = value["amount"]
    if isinstance(pre, float) and isinstance(amount, float) and amount > 0:
        sold = amount / (pre + amount)
        low, high = ORDINARY_SHARE_SOLD
        if not low <= sold <= high:
            ctx.warn(path + ("pre_money",), f"the round sells {sold:.1%} of the company (amount / "
                                            f"post-money); rounds ordinarily sell {low:.0%} to "
                                            f"{high:.0%}; check the amount and the valuation")
    return Valuation(pre_money=pre, arr_multiple=multiple, option_pool=value["option_pool"])


def _loan_month(b, month, path: tuple) -> int | None:
    """Month index of a loan's draw; negative before the start: the loan is outstanding at
    it (a reforecast's loan drawn before its new start), its schedule going on."""
    if month is not INVALID and b.start is not INVALID and month < b.start:
        return int((month - b.start).astype(int))
    return b.month_index(month, path)


def _instrument(b, value: dict, path: tuple):
    kind = value["type"]
    if kind == "equity":
        month = b.month_index(value["month"], path + ("month",))
        return None if month is None else EquityRound(
            value["name"], month, value["amount"], _valuation(value, path, b.ctx),
            value["arrives_when_insolvent"])
    if kind == "venture_debt":
        month = _loan_month(b, value["month"], path + ("month",))
        return None if month is None else VentureDebt(
            value["name"], month, value["amount"], value["annual_rate"],
            value["interest_only_months"], value["amortisation_months"], value["fee"])
    if kind == "milestone_equity":
        first = b.month_index(value["not_before"], path + ("not_before",))
        last = b.month_index(value["deadline"], path + ("deadline",))
        if first is None or last is None:
            return None
        if last < first:
            b.ctx.error(path + ("deadline",), f"must not be before not_before "
                                              f"({value['not_before']})", value["deadline"])
            return None
        return MilestoneRound(value["name"], value["amount"], value["arr_at_least"], first, last,
                              _valuation(value, path, b.ctx))
    first = 0 if value["not_before"] is None else b.month_index(value["not_before"],
                                                                path + ("not_before",))
    return None if first is None else RunwayRound(
        value["name"], value["amount"], value["runway_below_months"], first,
        _valuation(value, path, b.ctx))


def build_plans(b, funding: dict) -> tuple[tuple[Plan, ...], str]:
    """The scenario's plans and the default plan's name.

    Without ``plans`` there is one plan, the committed rounds only.
    """
    plans_spec = funding["plans"] if funding is not INVALID else INVALID
    if plans_spec is INVALID or not plans_spec:
        return (Plan(COMMITTED_ONLY),), COMMITTED_ONLY
    plans = []
    for name, items in plans_spec.items():
        path = ("funding", "plans", name)
        built = [] if items is INVALID else [
            _instrument(b, item, path + (i,)) for i, item in enumerate(items) if item is not INVALID]
        plans.append(Plan(str(name), tuple(x for x in built if x is not None)))
    names = [p.name for p in plans]
    default = funding["plan"]
    if default is None or default is INVALID:
        return tuple(plans), names[0]
    if default not in names:
        import difflib

        hint = difflib.get_close_matches(default, names, n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else f"; plans are {', '.join(names)}"
        b.ctx.error(("funding", "plan"), f"no plan named {default!r}{extra}")
    return tuple(plans), default
