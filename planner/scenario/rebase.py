"""Move a scenario's start forward and keep its end: the data tree of a reforecast.

:func:`rebase` works on the parsed YAML tree (before validation), so the result is
checked like any scenario file. Every change is returned as a human-readable note.
What it does (docs/actuals.md, "The reforecast"):

- ``start`` becomes the new start and ``horizon_months`` shrinks so the end month is
  the same;
- a dated schedule ``{schedule: {month: value}}`` anywhere: the steps before the new
  start collapse into one step at the new start with the latest earlier value;
- a growth series ``{start: X, monthly_growth | annual_growth: g}``: X advanced by the
  elapsed k months, ``(1+g)^k`` (monthly) or ``(1+g)^(k/12)`` (annual), as the engine
  grows it; a distribution X is scaled by that factor (each path keeps its draw); when g
  is uncertain the start is kept as written, with a :data:`WARNING` note;
- a list price or salary with an ``annual_increase`` / ``annual_raise``: the increases
  of the whole years elapsed are applied to it (later ones fall 12 months after the new
  start);
- a headcount role's hires before the new start join its ``start`` count;
- funding rounds and dated equity before the new start are dropped (their money is in
  the actual cash), milestone rounds whose deadline has passed likewise; a venture loan
  drawn before it is kept (outstanding at the start: its schedule goes on);
  a ``not_before`` before the new start moves to it;
- with ``ledger``: ``opening.from_actuals`` / ``as_of`` / ``mapping`` set and each
  segment's typed-in book (``customers``, ``mrr``) removed; with ``cash``,
  ``opening.cash`` replaced.

Nothing here reads the actuals: the caller (:mod:`planner.actuals.reforecast`) does.
"""
from __future__ import annotations

import copy

import numpy as np

from planner.errors import PlannerError
from planner.scenario.spec import read_month
from planner.scenario.yamltree import dotted

__all__ = ["WARNING", "RebaseError", "rebase"]

#: prefix of a note the user must act on (an input that could not be rebased exactly)
WARNING = "WARNING "

_GROWTH = ("monthly_growth", "annual_growth")


class RebaseError(PlannerError):
    """The new start does not fit the scenario (one line)."""


def _month(value, what: str) -> np.datetime64:
    month, problem = read_month(value)
    if month is None:
        raise RebaseError(f"{what} {problem} (got {value!r})")
    return month


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _uncertain(value) -> bool:
    return (isinstance(value, dict) and "dist" in value) or (isinstance(value, str) and " to " in value)


def _fmt(value) -> str:
    return f"{value:,.6g}" if isinstance(value, float) else str(value)


def rebase(data: dict, new_start, *, ledger: str | None = None, as_of=None, mapping: str | None = None,
           cash: float | None = None) -> tuple[dict, list[str]]:
    """A copy of the scenario tree ``data`` that starts at ``new_start`` and ends where it did.

    Parameters
    ----------
    data : dict
        The parsed scenario (:func:`planner.scenario.yamltree.parse_yaml`); not changed.
    new_start : str or datetime64
        ``YYYY-MM``, the first month to simulate (the month after the last closed one).
    ledger, mapping : str, optional
        The ledger (and its column mapping) each segment's opening book comes from: set
        as ``opening.from_actuals`` and ``opening.mapping``; ``as_of`` (default: the month
        before ``new_start``) as ``opening.as_of``.
    cash : float, optional
        The actual cash at the close of ``as_of`` (``opening.cash``).

    Returns
    -------
    data : dict
    notes : list of str
        Every change made, and what was kept that the caller should know about.

    Raises
    ------
    RebaseError
        The new start after the scenario's last month, or more than one month before its
        start; ``start`` or ``horizon_months`` unreadable.
    """
    out = copy.deepcopy(data)
    notes: list[str] = []
    old = _month(out.get("start"), "start")
    horizon = out.get("horizon_months")
    if not _is_number(horizon) or int(horizon) != horizon or horizon < 1:
        raise RebaseError(f"horizon_months must be a whole number of months (got {horizon!r})")
    end = old + int(horizon) - 1
    new = _month(new_start, "the new start")
    if new > end:
        raise RebaseError(f"as_of {new - 1} is at or after the scenario's last month {end}: "
                          "nothing is left to simulate")
    if new < old:
        raise RebaseError(f"as_of {new - 1} is before {old - 1}, the month before the scenario's start "
                          f"{old}: a reforecast starts at or after the plan's start")
    k = int((new - old).astype(int))
    out["start"] = str(new)
    out["horizon_months"] = int(horizon) - k
    if k:
        notes.append(f"start {old} -> {new}, horizon_months {int(horizon)} -> {int(horizon) - k} "
                     f"(the end month {end} is unchanged)")
        _walk(out, (), new, k, notes)
        _headcount(out, new, k, notes)
        _funding(out, new, notes)
        _prices(out, k, notes)
    else:
        notes.append(f"start {new} is the scenario's own: no dated input moved")
    _opening(out, new, ledger, as_of, mapping, cash, notes)
    return out, notes


def _walk(node, path: tuple, new: np.datetime64, k: int, notes: list[str]) -> None:
    """Schedules and growth series anywhere in the tree."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, path + (i,), new, k, notes)
        return
    if not isinstance(node, dict):
        return
    if set(node) == {"schedule"} and isinstance(node["schedule"], dict):
        _schedule(node, path, new, notes)
        return
    if "start" in node and any(g in node for g in _GROWTH) and set(node) <= {"start", *_GROWTH}:
        _growth(node, path, k, notes)
        return
    for key, value in node.items():
        _walk(value, path + (key,), new, k, notes)


def _schedule(node: dict, path: tuple, new: np.datetime64, notes: list[str]) -> None:
    steps = node["schedule"]
    dated = []
    for key, value in steps.items():
        month, _ = read_month(key)
        if month is None:
            return  # the validation reports it
        dated.append((month, key, value))
    before = sorted((d for d in dated if d[0] < new), key=lambda d: d[0])
    if not before:
        return
    kept = {key: value for month, key, value in dated if month >= new}
    latest = before[-1][2]
    if str(new) not in {str(m) for m, _, _ in dated if m >= new}:
        kept = {str(new): latest, **kept}
        shown = ", ".join(str(m) for m, _, _ in before)
        notes.append(f"{dotted(path + ('schedule',))}: the step(s) before {new} ({shown}) collapse into "
                     f"{new}: {_fmt(latest) if not isinstance(latest, (dict, str)) else latest}")
    else:
        notes.append(f"{dotted(path + ('schedule',))}: the step(s) before {new} dropped "
                     f"({', '.join(str(m) for m, _, _ in before)}): a step at {new} follows them")
    node["schedule"] = dict(sorted(kept.items(), key=lambda kv: str(kv[0])))


def _growth(node: dict, path: tuple, k: int, notes: list[str]) -> None:
    annual = node.get("annual_growth") is not None
    g = node["annual_growth"] if annual else node.get("monthly_growth")
    x = node["start"]
    where = dotted(path + ("start",))
    how = f"{k} months of {'annual' if annual else 'monthly'} growth {g:g}" if _is_number(g) else ""
    if _is_number(x) and _is_number(g):
        factor = (1 + g) ** (k / 12 if annual else k)
        node["start"] = float(x) * factor
        notes.append(f"{where}: {_fmt(x)} -> {_fmt(node['start'])} ({how})")
    elif _is_number(g) and _uncertain(x):
        factor = (1 + g) ** (k / 12 if annual else k)
        scaled = _scaled(x, factor)
        if scaled is None:
            notes.append(f"{WARNING}{where}: kept as written, {k} months behind the original plan: its "
                         f"distribution cannot be scaled by the {how} (rewrite it for the new start)")
        else:
            node["start"] = scaled
            notes.append(f"{where}: {_shown(x)} -> {_shown(scaled)} (x {factor:.6g}: {how}; each path "
                         "keeps its draw, so it continues its own original ramp)")
    elif _uncertain(g):
        notes.append(f"{WARNING}{where}: kept as written, {k} months behind the original plan: its growth "
                     "rate is uncertain, so the start cannot be advanced exactly (give the growth as a "
                     "number, or rewrite the start for the new start)")


#: distribution families that a positive factor scales by scaling these parameters
_SCALE_KEYS = {"normal": ("mean", "sd"), "lognormal": ("median", "p90", "mean", "sd"),
               "triangular": ("low", "mode", "high"), "pert": ("low", "mode", "high"),
               "uniform": ("low", "high"), "truncnorm": ("mean", "sd", "low", "high"), "choice": ("values",)}


def _scaled(value, factor: float):
    """``value`` (a distribution mapping or a ``LOW to HIGH`` interval) times ``factor`` > 0, or
    None for a family that scaling its parameters does not scale (beta, poisson, binomial).

    The families above are location-scale (or scale) families in these parameters, so the
    quantile of every uniform is multiplied by ``factor``: a path keeps its draw."""
    if isinstance(value, str):
        low, high = (float(p) for p in value.split(" to "))
        return f"{low * factor:.6g} to {high * factor:.6g}"
    keys = _SCALE_KEYS.get(value.get("dist"))
    if keys is None or not all(_is_number(v) or isinstance(v, list) for k, v in value.items() if k in keys):
        return None
    out = dict(value)
    for key in keys:
        if key in out:
            out[key] = [float(v) * factor for v in out[key]] if isinstance(out[key], list) else \
                float(out[key]) * factor
    return out


def _shown(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt(v) if _is_number(v) else v}" for k, v in value.items()) + "}"
    return _fmt(value)


def _prices(data: dict, k: int, notes: list[str]) -> None:
    """List prices and salaries: the annual steps of the whole years elapsed."""
    years = k // 12
    targets = []
    for name, seg in (data.get("segments") or {}).items() if isinstance(data.get("segments"), dict) else ():
        price = seg.get("price") if isinstance(seg, dict) else None
        if isinstance(price, dict):
            targets.append((("segments", name, "price"), price, "arpa", "annual_increase"))
    roles = (data.get("costs") or {}).get("headcount") if isinstance(data.get("costs"), dict) else None
    for i, role in enumerate(roles if isinstance(roles, list) else []):
        if isinstance(role, dict):
            targets.append((("costs", "headcount", role.get("role", i)), role, "salary", "annual_raise"))
    for path, node, key, step in targets:
        rate, value = node.get(step), node.get(key)
        if rate in (None, 0, 0.0):
            continue
        where = dotted(path + (key,))
        if years and _is_number(rate) and _is_number(value):
            node[key] = float(value) * (1 + rate) ** years
            notes.append(f"{where}: {_fmt(value)} -> {_fmt(node[key])} ({years} yearly {step} of {rate:g})")
        elif years:
            notes.append(f"{where}: kept as written: it or its {step} is uncertain, so the "
                         f"{years} yearly step(s) elapsed are not applied")
        if k % 12:
            notes.append(f"{where}: the next {step} falls 12 months after the new start, "
                         f"not {12 - k % 12} months after it as in the original plan")


def _headcount(data: dict, new: np.datetime64, k: int, notes: list[str]) -> None:
    costs = data.get("costs")
    roles = costs.get("headcount") if isinstance(costs, dict) else None
    for i, role in enumerate(roles if isinstance(roles, list) else []):
        hires = role.get("hires") if isinstance(role, dict) else None
        if not isinstance(hires, dict) or not hires:
            continue
        early = {}
        for key, count in hires.items():
            month, _ = read_month(key)
            if month is not None and month < new and _is_number(count):
                early[key] = count
        if not early:
            continue
        start = role.get("start", 0)
        start = start if _is_number(start) else 0
        joined = int(start + sum(early.values()))
        name = role.get("role", i)
        role["start"] = max(joined, 0)
        role["hires"] = {key: v for key, v in hires.items() if key not in early}
        shown = ", ".join(f"{key}: {v:+d}" for key, v in early.items())
        notes.append(f"costs.headcount.{name}: the hires before {new} ({shown}) join the start: "
                     f"{start} -> {role['start']} people (the plan's, not the actual headcount)")
        if joined < 0:
            notes.append(f"costs.headcount.{name}: the departures would leave {joined}; the start is 0")


def _funding(data: dict, new: np.datetime64, notes: list[str]) -> None:
    funding = data.get("funding")
    if not isinstance(funding, dict):
        return
    rounds = funding.get("rounds")
    if isinstance(rounds, list):
        funding["rounds"] = [r for r in rounds if not _dropped(r, ("funding", "rounds"), new, notes)]
    plans = funding.get("plans")
    if isinstance(plans, dict):
        for name, items in plans.items():
            if isinstance(items, list):
                plans[name] = [r for r in items if not _dropped(r, ("funding", "plans", name), new, notes)]


def _dropped(item, path: tuple, new: np.datetime64, notes: list[str]) -> bool:
    if not isinstance(item, dict):
        return False
    where = dotted(path + (item.get("name", "?"),))
    month = read_month(item["month"])[0] if "month" in item else None
    if month is not None and month < new:
        if item.get("type") == "venture_debt":
            notes.append(f"{where}: drawn in {month}, before {new}: kept as a loan outstanding at the start"
                         f"{_loan_balance(item, month, new)}; its interest and repayments from {new} on are "
                         "modelled, its draw and fee are in the actual cash")
            return False
        else:
            notes.append(f"{where}: dated {month}, before {new}: dropped (its money is in the actual cash)")
        return True
    deadline = read_month(item["deadline"])[0] if "deadline" in item else None
    if deadline is not None and deadline < new:
        notes.append(f"{where}: its deadline {deadline} is before {new}: dropped (the window has closed)")
        return True
    not_before = read_month(item["not_before"])[0] if item.get("not_before") is not None else None
    if not_before is not None and not_before < new:
        item["not_before"] = str(new)
        notes.append(f"{where}: not_before {not_before} -> {new} (the months before are actuals)")
    return False


def _loan_balance(item: dict, month: np.datetime64, new: np.datetime64) -> str:
    """``" (principal outstanding 75,000.00 after 3 of 12 repayments)"``, or "" when not numbers."""
    amount, io, n = item.get("amount"), item.get("interest_only_months", 0), item.get("amortisation_months")
    if not (_is_number(amount) and _is_number(io) and _is_number(n) and n >= 1):
        return ""
    paid = min(max(int((new - 1 - month).astype(int)) - int(io), 0), int(n))
    return f" (principal outstanding {float(amount) * (1 - paid / n):,.2f} after {paid} of {int(n)} repayments)"


def _opening(data: dict, new: np.datetime64, ledger, as_of, mapping, cash, notes: list[str]) -> None:
    opening = data.get("opening")
    if not isinstance(opening, dict):
        opening = data["opening"] = {}
    as_of = new - 1 if as_of is None else _month(as_of, "as_of")
    if ledger is not None:
        opening["from_actuals"] = str(ledger)
        opening["as_of"] = str(as_of)
        if mapping is not None:
            opening["mapping"] = str(mapping)
        else:
            opening.pop("mapping", None)
        dropped = []
        for name, seg in (data.get("segments") or {}).items():
            book = seg.get("opening") if isinstance(seg, dict) else None
            if isinstance(book, dict) and ("customers" in book or "mrr" in book):
                book.pop("customers", None)
                book.pop("mrr", None)
                dropped.append(str(name))
        notes.append(f"opening: each segment's book (customers, MRR, ages) from {ledger} at the close of {as_of}"
                     + (f"; the typed-in books of {', '.join(dropped)} are replaced" if dropped else ""))
    if cash is not None:
        old = opening.get("cash")
        opening["cash"] = float(cash)
        notes.append(f"opening.cash: {_fmt(old) if _is_number(old) else old} -> {float(cash):,.2f} "
                     f"(the financials' cash at the close of {as_of})")
    else:
        notes.append(f"opening.cash: kept as written ({opening.get('cash')!r}), the cash at the plan's "
                     f"original start, not at the close of {as_of}: give the financials for the actual cash")
