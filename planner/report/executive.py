"""The executive summary: the report's three questions answered in a few sentences.

Where the plan goes (ARR and revenue, breakeven), how much money and when (the cash
trough, the chance cash runs out, the minimum raise, the funding events), and whether
the unit economics are sound (cohort LTV:CAC, CAC payback, NRR with their verdicts).
Every sentence is made from the summary dict of :func:`planner.report.summary.summarise`
(and the unit-economics summary), so it holds for any scenario; a figure the summary
does not have is left out, not guessed.
"""
from __future__ import annotations

from planner.format import money, percent
from planner.report.funding import dilution_text
from planner.report.unit_economics import metric_number

#: the questions, in order
QUESTIONS = ("Where the plan goes", "How much money, and when", "Whether the unit economics are sound")
#: the unit-economics answer: (preferred key, fallback key, how the sentence names each)
UNIT_ECONOMICS = (("ltv_to_cac_cohort", "ltv_to_cac", "LTV:CAC of a simulated cohort",
                   "LTV:CAC by the formula (no cohort value)"),
                  ("cac_payback_cohort", "cac_payback", "CAC payback of a simulated cohort",
                   "CAC payback by the formula (no cohort value)"),
                  ("nrr", None, "net revenue retention", None))
#: verdict levels a segment is named for in the unit-economics answer
WEAK = ("poor", "bad")


def executive_summary(summary: dict, unit_economics: dict | None = None,
                      events: list[str] | None = None) -> list[tuple[str, str]]:
    """The three answers.

    Parameters
    ----------
    summary : dict
        From :func:`planner.report.summary.summarise` (a run's own summary).
    unit_economics : dict, optional
        From :func:`planner.report.unit_economics.unit_economics_summary`; default the
        summary's ``unit_economics`` entry, if any.
    events : list of dict, optional
        The plan's funding events as :meth:`planner.analysis.funding_events.FundingEvent.to_dict`
        gives them with month names; default the summary's ``funding_events``, if any.
        None and no such entry: the answer does not list events.

    Returns
    -------
    list of (question, answer)
        In the order of :data:`QUESTIONS`; each answer is plain text of a few sentences.
    """
    ue = summary.get("unit_economics") if unit_economics is None else unit_economics
    events = summary.get("funding_events") if events is None else events
    return list(zip(QUESTIONS, (" ".join(where_it_goes(summary)), " ".join(money_answer(summary, events)),
                                " ".join(unit_economics_answer(ue, summary["currency"])))))


def where_it_goes(summary: dict) -> list[str]:
    """ARR at the horizon with its P10-P90 range (and, when some paths run out of cash,
    that they count as if they continued), revenue growth across the plan's full years,
    the last year's EBITDA, and cash-flow breakeven."""
    m = lambda v: money(v, summary["currency"])  # noqa: E731
    arr = summary["arr_end"]
    out = [f"ARR reaches {m(arr['p50'])} by {summary['end']} (P50); eight paths in ten end between "
           f"{m(arr['p10'])} and {m(arr['p90'])}."]
    out_of_cash = summary.get("cash_out", {}).get("probability", 0.0)
    if out_of_cash > 0:
        # the engine simulates operations independently of cash: an insolvent path's
        # business goes on (its cash shown below zero), so every range counts it
        out.append(f"These ranges, and the revenue and EBITDA below, count the {percent(out_of_cash)} of paths "
                   "that run out of cash as if the business continued on them (operations are simulated "
                   "whatever the cash; only funding stops).")
    full = [y for y in summary["revenue_by_year"] if y["months"] == 12]
    if len(full) >= 2 and full[0]["p50"] > 0 and full[-1]["p50"] > 0:
        n = len(full) - 1
        rate = (full[-1]["p50"] / full[0]["p50"]) ** (1 / n) - 1
        out.append(f"Revenue goes from {m(full[0]['p50'])} in the year to {full[0]['to']} to "
                   f"{m(full[-1]['p50'])} in the year to {full[-1]['to']}, {_signed_percent(rate)} a year "
                   f"compounded over {n} year{'s' if n != 1 else ''} (P50 of each year).")
    elif full:
        out.append(f"Revenue is {m(full[-1]['p50'])} in the year to {full[-1]['to']} (P50).")
    ebitda = summary["ebitda_by_year"][-1]
    out.append(f"EBITDA in the year to {ebitda['to']} is {m(ebitda['p50'])} (P50; P10 {m(ebitda['p10'])}, "
               f"P90 {m(ebitda['p90'])}).")
    out.append(_breakeven(summary["funding"]["breakeven"]))
    return out


def _breakeven(be: dict) -> str:
    share = be["probability_within_horizon"]
    if share == 0 or be["month"] is None:
        return "Cash flow does not break even within the horizon on any path." if share == 0 else (
            f"Cash flow breaks even within the horizon on {percent(share)} of paths.")
    month = be["month"]
    return (f"Cash flow breaks even within the horizon on {percent(share)} of paths, in {month['p50']} at the "
            f"P50 (P10 {month['p10']}, P90 {month['p90']}).")


def money_answer(summary: dict, events: list[dict] | None = None) -> list[str]:
    """The cash trough, the chance cash runs out (by 12 and 24 months), the chance it falls
    below the minimum balance, the minimum raise, and the plan's funding events."""
    cur = summary["currency"]
    m = lambda v: money(v, cur)  # noqa: E731
    fund, trough, out = summary["funding"], summary["cash_trough"], summary["cash_out"]
    sentences = [f"Under funding plan '{fund['plan']}' the lowest cash balance is {m(trough['p50'])} at the P50 "
                 f"({m(trough['p10'])} at the P10)."]
    if out["probability"] == 0:
        sentences.append(f"Cash runs out on none of the {summary['paths']:,} paths.")
    else:
        early = [f"{percent(out[f'by_month_{n}'])} within {n} months" for n in (12, 24) if f"by_month_{n}" in out]
        sentences.append(f"Cash runs out on {percent(out['probability'])} of paths by {summary['end']}"
                         + (f" ({', '.join(early)})." if early else "."))
    below = fund.get("below_minimum_cash_probability", 0.0)
    need = fund["minimum_raise"]
    if below > 0:
        sentences.append(f"It falls below the minimum balance of {m(need['minimum_cash'])} at some point on "
                         f"{percent(below)} of paths.")
    sentences.append(_minimum_raise(need, summary["end"], m))
    if events is not None:
        sentences.append(events_sentence(events, cur))
    owned = summary.get("ownership_after")
    if events and owned is not None:
        sentences.append(f"Existing holders own {percent(owned['p50'])} of the company after the plan (P50).")
    return sentences


def events_sentence(events: list[dict], currency: str) -> str:
    """The plan's funding events in one sentence: each with its amount, its month (dated) or
    trigger, the share of paths it happens on and its month range (triggered), and the
    pre-money valuation and dilution where it has a price."""
    if not events:
        return "The plan has no funding events."
    m = lambda v: money(v, currency)  # noqa: E731
    parts = []
    for e in events:
        text = f"{e['label']}, {m(e['amount'])}"
        if e["month"] is not None:
            text += f" in {e['month']}" + ("" if e["probability"] >= 1 else
                                          f" (arrives on {percent(e['probability'])} of paths)")
        elif e["months"] is None:
            text += f" when {e['trigger']}: on no path"
        else:
            low, mid, high = e["months"]
            text += (f" when {e['trigger']}: on {percent(e['probability'])} of paths, in {mid} at the P50 "
                     f"({low} to {high})")
        if e.get("pre_money") is not None and e.get("dilution") is not None:
            text += f", at {m(e['pre_money'])} pre-money, dilution {dilution_text(e)} (P50)"
        parts.append(text)
    return ("Funding events: " if len(parts) > 1 else "Funding event: ") + "; ".join(parts) + "."


def _minimum_raise(need: dict, end: str, m) -> str:
    until = f"through {end}" if need["until"] == "horizon" else "until breakeven"
    target = f"cash at or above {m(need['minimum_cash'])} {until} on {percent(need['confidence'])} of paths"
    if need["amount"] is None:
        return (f"No amount raised in {need['month']} keeps {target}: on "
                f"{percent(1 - need['reachable_share'])} of paths cash falls below the minimum before then.")
    if need["amount"] == 0:
        return (f"No extra money is needed: the plan keeps cash at or above {m(need['minimum_cash'])} {until} on "
                f"{percent(need['survival_without'])} of paths (target {percent(need['confidence'])}).")
    return (f"The minimum extra raise is {m(need['amount'])} in {need['month']}, to keep {target} "
            f"(without it: {percent(need['survival_without'])}).")


def unit_economics_answer(ue: dict | None, currency: str) -> list[str]:
    """The blended LTV:CAC of a simulated cohort, CAC payback and NRR in the last plan year
    with their verdicts, then the segments whose verdict on one of them is poor or bad."""
    if ue is None:
        return ["Unit economics are not in this report: the result was simulated without segment series."]
    label = ue["years"]["last_year"]["label"]
    blended = ue["scopes"]["blended"]["last_year"]
    parts = [text for text in (_metric(blended, keys, currency) for keys in UNIT_ECONOMICS) if text]
    if not parts:
        return [f"The unit economics of {label} are not defined on most paths."]
    out = [f"In {label}, for the company as a whole: " + "; ".join(parts) + "."]
    weak = []
    for scope, data in ue["scopes"].items():
        if scope == "blended":
            continue
        flagged = [_metric(data["last_year"], keys, currency) for keys in UNIT_ECONOMICS
                   if (_entry(data["last_year"], keys) or {}).get("level") in WEAK]
        if flagged:
            weak.append(f"{scope} ({'; '.join(flagged)})")
    segments = [s for s in ue["scopes"] if s != "blended"]
    if weak:
        out.append("Segments to watch (verdicts below the fair band): " + ", ".join(weak) + ".")
    elif len(segments) > 1:
        out.append(f"No segment ({', '.join(segments)}) has a poor or bad verdict on these measures.")
    return out


def _entry(scope: dict, keys: tuple) -> dict | None:
    """The scope's entry for the preferred key, else the fallback, when its P50 is a number."""
    return _chosen(scope, keys)[1]


def _chosen(scope: dict, keys: tuple) -> tuple[str, dict | None]:
    """(how the sentence names it, entry) of the preferred key, else of the fallback."""
    for key, name in zip(keys[:2], keys[2:]):
        entry = scope.get(key) if key else None
        if entry is not None and isinstance(entry.get("p50"), (int, float)):
            return name, entry
    return keys[2], None


def _metric(scope: dict, keys: tuple, currency: str) -> str:
    """``CAC payback of a simulated cohort 10.4 months, excellent``, or "" when the metric
    is not defined."""
    name, entry = _chosen(scope, keys)
    if entry is None:
        return ""
    value = metric_number(entry["p50"], entry["unit"], currency, months_word=True)
    if entry["unit"] == "ratio":
        value += "x"
    verdict = entry.get("verdict")
    return f"{name} {value}" + (f", {verdict}" if verdict and verdict != "n/a" else "")


def _signed_percent(rate: float) -> str:
    return ("-" if rate < 0 else "") + percent(abs(rate))
