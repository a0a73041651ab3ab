"""What the terminal shows: the run summary, funding, plan comparison and funnel blocks."""
from __future__ import annotations

import textwrap

import numpy as np

from planner.analysis.funnel import FLOWS
from planner.format import count, money, percent
from planner.report.funding import funding_events_text
from planner.report.sensitivity import drivers_text
from planner.report.unit_economics import unit_economics_text


def _minutes(v: float) -> str:
    if v < 90:
        return f"{v:.0f} min"
    return f"{v / 60:.1f} h" if v < 48 * 60 else f"{v / 1440:.1f} days"


def _cell(b: dict | None, fmt) -> str:
    if b is None:
        return "n/a"
    text = fmt(b["p50"])
    return text if np.isclose(b["p10"], b["p90"], rtol=1e-3) else \
        f"{text} [{fmt(b['p10'])}..{fmt(b['p90'])}]"


def funnel_text(summary: dict, currency: str) -> str:
    """The funnel block ``planner run`` prints (empty without a funnel)."""
    if not summary["segments"]:
        return ""
    lines = [f"Go-to-market funnel: P50 [P10..P90] per plan year, {summary['paths']:,} paths"]
    for name, years in summary["segments"].items():
        labels = [y["label"] for y in years]
        lines.append(f"{name:<29}" + "".join(f"{label:<36}" for label in labels))
        rows = [(label, key, count) for key, label in FLOWS.items()]
        rows += [("Response to a new lead", "response_minutes", _minutes),
                 ("SDR capacity / arrivals", "sdr_coverage", lambda v: f"{100 * v:.0f}%"),
                 ("AE capacity used", "ae_utilisation", lambda v: f"{100 * v:.0f}%"),
                 ("Open pipeline at year end", "pipeline_open_end", count),
                 ("CAC (fully loaded)", "cac", lambda v: money(v, currency))]
        for label, key, fmt in rows:
            cells = [y[key] for y in years]
            if all(c is None or c["p90"] == 0 for c in cells):
                continue  # a stage or tool this segment does not use
            lines.append(f"  {label:<27}" + "".join(f"{_cell(c, fmt):<36}" for c in cells))
    return "\n".join(lines) + "\n"


def _row(label: str, bands: dict, fmt) -> str:
    return f"  {label:<30}" + "".join(f"{fmt(bands[k]):>12}" for k in ("p10", "p50", "p90"))


def _year_label(what: str, year: dict) -> str:
    """``Revenue 2027-04 to 2028-03``; a partial year says how many months it has."""
    text = f"{what} {year['from']} to {year['to']}"
    return text if year["months"] == 12 else f"{text} ({year['months']} mo)"


#: columns the terminal output fits in
WIDTH = 100


def fit(text: str, width: int = WIDTH) -> str:
    """Wrap every line longer than ``width`` at spaces, continuation lines indented two
    more than the line's own indent (tables are laid out to fit before they get here)."""
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line.strip(), width=width, initial_indent=indent,
                             subsequent_indent=indent + "  ", break_on_hyphens=False) or [line]
    return "\n".join(out)


def summary_text(summary: dict, *, drivers: bool = True) -> str:
    """The short summary ``planner run`` prints: the headline table, cash, Monte Carlo
    error, the funding plan told in full (every event, ownership after it, runway,
    breakeven, minimum raise) and, with ``drivers``, what drives the range."""
    cur = summary["currency"]
    m = lambda v: money(v, cur)  # noqa: E731
    lines = [f"{summary['scenario']}: {summary['paths']:,} paths, seed {summary['seed']}, "
             f"{summary['start']} to {summary['end']} ({cur})",
             f"  {'':<30}{'P10':>12}{'P50':>12}{'P90':>12}",
             _row(f"ARR at {summary['end']}", summary["arr_end"], m),
             _row("Customers at the end", summary["customers_end"], count)]
    years = summary["revenue_by_year"]
    for year in (years[:1] + years[-1:]) if len(years) > 1 else years:
        lines.append(_row(_year_label("Revenue", year), year, m))
    last = summary["ebitda_by_year"][-1]
    lines.append(_row(_year_label("EBITDA", last), last, m))
    lines.append(_row(f"Cash at {summary['end']}", summary["cash_end"], m))
    lines.append(_row("Cash trough (lowest balance)", summary["cash_trough"], m))
    lines.append(_cash_out_line(summary["cash_out"]))
    if "monte_carlo_error" in summary:
        lines.append(_precision_line(summary["monte_carlo_error"], cur))
    if "funding" in summary:
        lines.append(funding_text(summary["funding"], cur, summary["end"],
                                  events=summary.get("funding_events"),
                                  ownership=summary.get("ownership_after")))
    if drivers and summary.get("drivers"):
        lines.append(drivers_text(summary["drivers"], cur))
    for note in summary.get("approximations", []):
        lines.append(f"  Note: {note}.")
    sampling = summary.get("sampling")
    if sampling and (sampling["method"] != "monte_carlo" or sampling["correlations"]):
        lines.append(f"  Sampling: {sampling['method'].replace('_', ' ')}" + "".join(
            f"; {c['inputs'][0]} ~ {c['inputs'][1]}: rank correlation {c['target']:+.2f} target, "
            f"{c['achieved']:+.2f} achieved" for c in sampling["correlations"]))
    return fit("\n".join(lines))


def _precision_line(err: dict, currency: str) -> str:
    """``Monte Carlo error (95%): ARR P50 +-$120K (0.4%), cash runs out +-0.6 points``."""
    arr = err["arr_end_p50"]
    half = (arr["ci95"][1] - arr["ci95"][0]) / 2
    relative = f" ({percent(half / abs(arr['estimate']))})" if arr["estimate"] else ""
    prob = err["cash_out_probability"]
    points = 100 * (prob["ci95"][1] - prob["ci95"][0]) / 2
    return (f"  Monte Carlo error (95%): ARR P50 +-{money(half, currency)}{relative}, "
            f"probability that cash runs out +-{points:.1f} points")


def _cash_out_line(out: dict) -> str:
    if out["probability"] == 0:
        return "  Cash runs out: on no path."
    first = out["first_month"]
    within = "; ".join(f"by month {n}: {percent(out[f'by_month_{n}'])}" for n in (12, 24)
                       if f"by_month_{n}" in out)
    return (f"  Cash runs out: on {percent(out['probability'])} of paths"
            + (f" ({within})" if within else "")
            + f"; first month P10 {first['p10']}, P50 {first['p50']}, P90 {first['p90']} "
              "among those paths.")


def _runway(bands: dict, key: str) -> str:
    value = bands[key]
    return f">{bands['censored_at']:.0f}" if value >= bands["censored_at"] else f"{value:.0f}"


def funding_text(funding: dict, currency: str, end: str, *, events: list[dict] | None = None,
                 ownership: dict | None = None) -> str:
    """The funding block ``planner run`` prints: the plan and, given, its events
    (:func:`planner.report.funding.funding_events_text`) and the ownership after it;
    runway, breakeven, minimum raise."""
    m = lambda v: money(v, currency)  # noqa: E731
    need = funding["minimum_raise"]
    runway = funding["runway_months"]
    lines = [f"  Funding plan: {funding['plan']}" + (
        " (no funding events: the plan raises nothing)." if events is not None and not events else "")]
    if events:
        lines.append(funding_events_text(events, currency, ownership, width=WIDTH))
    lines += [f"  Runway (months from the start, P10/P50/P90): {_runway(runway, 'p10')} / "
              f"{_runway(runway, 'p50')} / {_runway(runway, 'p90')}"]
    be = funding["breakeven"]
    if be["month"] is None:
        lines.append("  Cash-flow breakeven: not within the horizon on any path.")
    else:
        lines.append(f"  Cash-flow breakeven within the horizon on {percent(be['probability_within_horizon'])}"
                     f" of paths; month P10 {be['month']['p10']}, P50 {be['month']['p50']}, "
                     f"P90 {be['month']['p90']}; operating cash consumed until then P50 "
                     f"{m(be['capital_consumed']['p50'])} (P90 {m(be['capital_consumed']['p90'])}).")
    target = f"cash >= {m(need['minimum_cash'])} " + (
        f"through {end}" if need["until"] == "horizon" else "until breakeven")
    if need["amount"] is None:
        lines.append(f"  Minimum raise: no amount raised in {need['month']} keeps {target} on "
                     f"{percent(need['confidence'])} of paths ({percent(1 - need['reachable_share'])}"
                     f" fall below the minimum before then).")
    elif need["amount"] == 0:
        lines.append(f"  Minimum raise: none needed: {target} on {percent(need['survival_without'])}"
                     f" of paths already (target {percent(need['confidence'])}).")
    else:
        lines.append(f"  Minimum raise: {m(need['amount'])} more in {need['month']} keeps {target} on "
                     f"{percent(need['confidence'])} of paths (today: {percent(need['survival_without'])}).")
    return "\n".join(lines)


def comparison_text(comparison: dict, currency: str) -> str:
    """The plan comparison table ``planner compare`` prints."""
    m = lambda v: money(v, currency)  # noqa: E731
    rows = comparison["plans"]
    lines = [f"{comparison['scenario']}: {comparison['paths']:,} paths, seed {comparison['seed']}, "
             "same draws for every plan"]
    table = [("Cash runs out by month 12", lambda r: percent(r["cash_out_by_month_12"])),
             ("Cash runs out by month 24", lambda r: percent(r["cash_out_by_month_24"])),
             ("Cash runs out by the horizon", lambda r: percent(r["cash_out_by_horizon"])),
             ("Runway P10 / P50 / P90 (months)", lambda r: " / ".join(
                 _runway(r["runway_months"], k) for k in ("p10", "p50", "p90"))),
             ("Cash trough P10", lambda r: m(r["cash_trough_p10"])),
             ("Cash below the minimum at some point", lambda r: percent(r["below_minimum_cash"])),
             ("Extra raise now for 90% safety", lambda r: "unreachable"
              if r["extra_raise_now_p90"] is None else m(r["extra_raise_now_p90"])),
             ("ARR at the horizon P10", lambda r: m(r["arr_end"]["p10"])),
             ("ARR at the horizon P50", lambda r: m(r["arr_end"]["p50"])),
             ("ARR at the horizon P90", lambda r: m(r["arr_end"]["p90"])),
             ("Total raised P50", lambda r: m(r["total_raised"]["p50"])),
             ("Dilution P50", lambda r: percent(r["dilution"]["p50"])),
             ("Existing holders after, P50", lambda r: percent(r["ownership_after"]["p50"]))]
    label_width = max(len(label) for label, _ in table)
    widths = [2 + max([len(r["plan"])] + [len(cell(r)) for _, cell in table]) for r in rows]
    for group in column_groups(widths, WIDTH - 2 - label_width):
        if len(lines) > 1:
            lines.append("")
        lines.append(f"  {'':<{label_width}}" + "".join(f"{rows[i]['plan']:>{widths[i]}}" for i in group))
        for label, cell in table:
            lines.append(f"  {label:<{label_width}}" + "".join(f"{cell(rows[i]):>{widths[i]}}" for i in group))
    return fit("\n".join(lines))


def column_groups(widths: list[int], room: int) -> list[list[int]]:
    """The columns (indices into ``widths``, in order) split into consecutive groups whose
    widths add up to at most ``room`` each (a column wider than ``room`` gets its own group),
    so a table with many plans is printed as several tables that each fit the terminal."""
    groups, used = [[]], 0
    for i, w in enumerate(widths):
        if groups[-1] and used + w > room:
            groups.append([])
            used = 0
        groups[-1].append(i)
        used += w
    return groups


def _summary_of(run) -> dict:
    """A :class:`planner.run.Run`'s summary, or the summary itself."""
    return run if isinstance(run, dict) else run.summary


def headline_text(run) -> str:
    """Only the headline block of ``planner run`` (its ``--quiet`` output): key numbers,
    cash, and the funding plan told in full. ``run``: a Run or its summary."""
    return summary_text(_summary_of(run), drivers=False)


def run_text(run, detail: bool = False) -> str:
    """Everything ``planner run`` prints before the list of files: the headline summary
    with what drives the range, the funnel (with one) and the unit economics, within
    :data:`WIDTH` columns.

    Parameters
    ----------
    run : Run or dict
        A :class:`planner.run.Run` or its summary.
    detail : bool
        Also the unit economics of each segment in full (by default one line a segment).
    """
    summary = _summary_of(run)
    parts = [summary_text(summary), ""]
    if "funnel" in summary:
        parts.append(fit(funnel_text(summary["funnel"], summary["currency"])))
    parts.append(unit_economics_text(summary["unit_economics"], summary["currency"], detail=detail,
                                     width=WIDTH))
    return "\n".join(parts)
