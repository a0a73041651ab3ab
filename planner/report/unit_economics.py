"""Unit economics for people: a JSON-ready summary with verdicts, a terminal block, a CSV table.

``unit_economics_summary(result)`` gives, per segment and blended, P10/P50/P90 across
paths of every metric of :mod:`planner.analysis.unit_economics` over the first and the last full
fiscal year, with the benchmark verdict (:mod:`planner.analysis.benchmark_bands`) of the P50.
Everything in it is a plain float, str, bool or None (``json.dumps(...,
allow_nan=False)`` works): an undefined value is None with a ``note`` saying why, and an
unbounded one (LTV when expansion >= churn, a burn multiple when ARR shrinks while
burning) is a dict ``{"unbounded": true, "reason": ..., ...}``, never inf or a huge number.
"""
from __future__ import annotations

import math
import textwrap

import numpy as np

from planner.analysis.benchmark_bands import has_benchmark, tier_of, verdict, verdict_level
from planner.analysis.metric_specs import METRIC_SPECS
from planner.analysis.stats import QUANTILES, quantiles_across_paths
from planner.format import money, percent
from planner.results import SimulationResult
from planner.analysis.unit_economics import period_metrics, period_quantiles

LABELS = ("p10", "p50", "p90")

#: rows of the terminal block and the report, board order: the simulated cohort's LTV,
#: LTV:CAC and payback first (the figures with a verdict), the formula values after
#: them, for comparison, with no verdict: the LTV capped at the LTV horizon, the uncapped
#: one (segments only, with the lifetime it implies), LTV:CAC on the capped LTV, payback
COHORT_ROWS = ("ltv_cohort", "ltv_to_cac_cohort", "cac_payback_cohort")
FORMULA_ROWS = ("ltv_capped", "ltv", "ltv_to_cac_capped", "cac_payback")
TEXT_ROWS = {
    "segment": COHORT_ROWS + ("cac", "cac_programme", "commission_per_new_customer", "acv",
                              "magic_number", "nrr", "grr") + FORMULA_ROWS,
    "blended": COHORT_ROWS + ("cac", "magic_number", "nrr", "grr", "gross_margin", "ebitda_margin",
                              "burn_multiple", "rule_of_40", "sm_share", "rnd_share", "cs_share",
                              "ga_share") + FORMULA_ROWS,
}
#: cost-structure rows, shown with ``detail``
COST_ROWS = ("sm_share", "rnd_share", "cs_share", "ga_share")
#: formula metrics with bands that get no verdict: one verdict a question, the cohort's
NO_VERDICT = frozenset(("ltv_to_cac", "cac_payback"))
#: rows whose verdict the terminal and the report show
VERDICT_ROWS = frozenset(("ltv_to_cac_cohort", "cac_payback_cohort", "magic_number", "nrr", "grr",
                          "ebitda_margin", "burn_multiple", "rule_of_40", "sm_share", "rnd_share",
                          "cs_share", "ga_share"))
#: short row labels (the verdict then fits beside them in 100 columns)
ROW_LABELS = {"ltv_cohort": "LTV, cohort {h} months", "ltv_to_cac_cohort": "LTV:CAC, cohort",
              "cac_payback_cohort": "Payback months, cohort", "cac": "CAC (fully loaded)",
              "cac_programme": "CAC (programme only)", "commission_per_new_customer": "Commission / new customer",
              "acv": "ACV (new customers)", "nrr": "NRR (TTM)", "grr": "GRR (TTM)",
              "ltv_capped": "LTV, capped {h} months", "ltv": "LTV, uncapped",
              "ltv_to_cac_capped": "LTV:CAC, capped LTV", "cac_payback": "Payback months"}
#: the heading of the formula rows
FORMULA_HEADING = "Formula (ARPA x margin / churn), for comparison, no verdict"
#: the one-line-a-segment table of the default terminal output (last year, P50)
SEGMENT_LINE = (("acv", "ACV"), ("cac", "CAC"), ("ltv_cohort", "LTV cohort"),
                ("ltv_to_cac_cohort", "LTV:CAC"), ("cac_payback_cohort", "payback"),
                ("nrr", "NRR"), ("grr", "GRR"))
TIER_NAMES = {"smb": "SMB", "midmarket": "mid-market", "enterprise": "enterprise", None: "-"}


def _float(x) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _unbounded(key: str, value: float, companions: dict[str, float], settings: dict,
               ltv_finite: bool = False) -> dict:
    """The JSON form of an infinite quantile (with capped/discounted companions for LTV)."""
    if key == "cac_payback_cohort":
        reason = f"not paid back within {settings['max_age']} months"
    elif value < 0:
        reason = "negative gross margin that never decays (expansion >= churn)"
    elif key == "ltv_to_cac" and ltv_finite:
        reason = "zero CAC (no S&M spend)"
    else:
        reason = METRIC_SPECS[key].unbounded or "unbounded"
    out = {"unbounded": True, "reason": reason}
    for name, companion in companions.items():
        out[name] = None if np.isinf(companion) else _float(companion)
        if np.isinf(companion):
            out[f"{name}_note"] = "unbounded too"
    return out


def _entry(key: str, data: dict[str, np.ndarray], j: int, settings: dict, tier: str | None = None) -> dict:
    """P10/P50/P90, verdict and notes of metric ``key`` in period ``j``."""
    values = data[key][:, j]
    q = quantiles_across_paths(values, QUANTILES)
    companions = {}
    if key in ("ltv", "ltv_to_cac"):
        companions = {name: quantiles_across_paths(data[f"{key}_{name}"][:, j], QUANTILES)
                      for name in ("capped", "discounted")}
    ltv_q = quantiles_across_paths(data["ltv"][:, j], QUANTILES) if key == "ltv_to_cac" else q
    entry: dict = {"unit": METRIC_SPECS[key].unit}
    for i, label in enumerate(LABELS):
        entry[label] = (_unbounded(key, q[i], {k: v[i] for k, v in companions.items()}, settings,
                                   ltv_finite=bool(np.isfinite(ltv_q[i])))
                        if np.isinf(q[i]) else _float(q[i]))
    defined = float(np.mean(~np.isnan(values)))
    if defined < 1.0:
        entry["paths_defined"] = defined
    if defined == 0.0:
        entry["note"] = _why_undefined(key, data, j)
    if has_benchmark(key) and key not in NO_VERDICT:
        entry["verdict"], entry["level"] = _verdict(key, q[1], tier)
    return entry


def _why_undefined(key: str, data: dict[str, np.ndarray], j: int) -> str:
    """Why ``key`` is undefined on every path in period ``j``: what it depends on that is missing."""
    needs_wins = key.startswith(("cac", "ltv_to_cac")) or key in ("acv", "ltv_cohort",
                                                                  "commission_per_new_customer")
    if needs_wins and not (data["new_customers"][:, j] > 0).any():
        return "no new customers"
    if key.startswith(("cac", "ltv_to_cac")) and key != "cac_programme" and np.isnan(data["cac"][:, j]).all():
        return "no S&M spend known for these months (spend lag)"
    if key.startswith(("ltv", "ltv_to_cac")) and key not in ("ltv_cohort", "ltv_to_cac_cohort"):
        if np.isnan(data["churn_rate"][:, j]).all():
            return "needs 12 months of history"
    return METRIC_SPECS[key].undefined


def _verdict(key: str, p50: float, tier: str | None = None) -> tuple[str, str]:
    """The verdict of the P50 and its level (good ... bad, none), in the tier's bands; a
    burn multiple of 0 (no burn) has none."""
    if key == "burn_multiple" and p50 == 0:
        return "n/a", "none"
    return verdict(key, p50, tier), verdict_level(key, p50, tier)


def _tiers(pm, segments: tuple[str, ...], picks: dict[str, int]) -> dict[str, dict]:
    """Each scope's ACV (P50 over the years picked, the last one with new customers) and
    tier (:func:`planner.analysis.benchmark_bands.tier_of`); the blend of several segments
    has none (company bands), the blend of one segment is that segment."""
    out = {}
    for scope, data in pm.values.items():
        acv = None
        for j in sorted(set(picks.values()), reverse=True):
            q = quantiles_across_paths(data["acv"][:, j], QUANTILES)[1]
            if np.isfinite(q):
                acv = float(q)
                break
        out[scope] = {"acv": acv, "tier": tier_of(acv)}
    if len(segments) != 1:
        out["blended"]["tier"] = None
    return out


def _year_indices(periods) -> dict[str, int]:
    """Index of the first and of the last full fiscal year (partial ones if none is full)."""
    full = [i for i, p in enumerate(periods) if p.full] or list(range(len(periods)))
    return {"first_year": full[0], "last_year": full[-1]}


def unit_economics_summary(result: SimulationResult, *, fiscal_year_start: int | None = None,
                           cac_lag_months: int = 0, allocation: str = "new_mrr",
                           ltv_horizon_months: int = 60, discount_rate_annual: float = 0.10) -> dict:
    """Unit economics over the first and the last full fiscal year, as a JSON-ready dict.

    Parameters
    ----------
    result : SimulationResult
        With the series of :data:`planner.analysis.unit_economics.UNIT_ECONOMICS_SERIES`
        (segments appear when kept by segment).
    fiscal_year_start : int, optional
        Calendar month (1-12) a fiscal year starts; default the plan's first month.
    cac_lag_months : int
        Months between S&M spend and the wins it buys.
    allocation : {"new_mrr", "new_customers"}
        How the shared S&M (all S&M for a result kept without ``sm_direct``) is shared
        between segments, on top of their direct S&M.
    ltv_horizon_months : int
        Horizon of the capped and the simulated cohort LTV.
    discount_rate_annual : float
        Discount rate of the discounted LTV.

    Returns
    -------
    dict
        ``scenario, currency, paths, seed, settings, years`` (``first_year`` and
        ``last_year``: label, from, to, months), ``tiers`` (scope -> ``acv``, ``tier``:
        the bands its verdicts use) and ``scopes``: ``blended`` then each
        segment -> ``first_year`` / ``last_year`` -> metric -> ``{unit, p10, p50, p90
        [, verdict][, paths_defined][, note]}``. See the module notes for None and
        unbounded values.
    """
    pm = period_metrics(result, "year", fiscal_year_start=fiscal_year_start, cac_lag_months=cac_lag_months,
                        allocation=allocation, ltv_horizon_months=ltv_horizon_months,
                        discount_rate_annual=discount_rate_annual)
    settings = dict(pm.settings, max_age=max(result.scenario.horizon, 120, ltv_horizon_months))
    picks = _year_indices(pm.periods)
    years = {name: {"label": pm.periods[j].label, "from": str(result.months[pm.periods[j].first]),
                    "to": str(result.months[pm.periods[j].last]),
                    "months": pm.periods[j].last - pm.periods[j].first + 1} for name, j in picks.items()}
    tiers = _tiers(pm, result.segments, picks)
    scopes = {scope: {name: {key: _entry(key, data, j, settings, tiers[scope]["tier"])
                             for key in METRIC_SPECS if key in data}
                      for name, j in picks.items()}
              for scope, data in pm.values.items()}
    fys = fiscal_year_start or int(result.months[0].astype(int) % 12 + 1)
    return {
        "scenario": result.scenario.name, "currency": result.scenario.currency,
        "paths": int(result.paths), "seed": int(result.seed),
        "settings": {"fiscal_year_start": fys, "cac_lag_months": int(cac_lag_months),
                     "allocation": allocation, "segment_spend": pm.settings["segment_spend"],
                     "ltv_horizon_months": int(ltv_horizon_months),
                     "discount_rate_annual": float(discount_rate_annual),
                     # what ``ltv`` (and ``ltv_to_cac``) means in each scope
                     "ltv_basis": {"segment": "uncapped formula LTV",
                                   "blended": "new-customer mix of the segments' capped LTVs"}},
        "years": years,
        "tiers": tiers,
        "scopes": scopes,
    }


def metric_number(value, unit: str, currency: str, months_word: bool = False) -> str:
    """One quantile of a unit-economics entry: money, percent, months (``14.5``, or
    ``14.5 months`` with ``months_word``), count or ratio; ``n/a`` or ``unbounded``."""
    if value is None:
        return "n/a"
    if isinstance(value, dict):
        return "unbounded"
    if unit == "money":
        return money(value, currency)
    if unit == "fraction":
        return percent(value)
    if unit == "months":
        return f"{value:.1f} months" if months_word else f"{value:.1f}"
    if unit == "years":
        return f"{value:.1f} years"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _cell(key: str, entry: dict, currency: str, spread: bool = True) -> list[str]:
    """Lines of one cell: ``P50 [P10..P90]`` (the P50 alone without ``spread``);
    ``unbounded``, ``n/a (<why>)``, or ``n/a (no burn)`` for a burn multiple of 0."""
    unit, p50 = entry["unit"], entry["p50"]
    if p50 is None:
        return [f"n/a ({entry.get('note', 'not defined')})"]
    if key == "burn_multiple" and p50 == 0:
        return ["n/a (no burn)"]
    head = metric_number(p50, unit, currency)
    low, high = (metric_number(entry[k], unit, currency) for k in ("p10", "p90"))
    if spread and not isinstance(p50, dict) and (low, high) != (head, head) and not key.endswith("years"):
        head += f" [{low}..{high}]"
    return [head]


def row_label(key: str, settings: dict) -> str:
    """The short label of a row of the terminal block and the report."""
    spec = METRIC_SPECS[key]
    title = ROW_LABELS.get(key, spec.title).format(h=settings["ltv_horizon_months"])
    return title + (", months" if spec.unit == "months" and "months" not in title else "")


def formula_note(key: str, year: dict) -> str:
    """What a formula row is, in the verdict column: the lifetime the uncapped LTV implies."""
    if key != "ltv":
        return ""
    life = year.get("ltv_lifetime_years", {}).get("p50")
    if life is None:
        return ""
    if isinstance(life, dict):
        return ""  # the cell says unbounded, and why
    return f"implies a {life:.1f}-year customer lifetime"


def scope_keys(data: dict, names: list[str], several_segments: bool, detail: bool = True,
               segment: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The rows of one table: (rows with verdicts and figures, formula rows). The blend of
    several segments has no uncapped formula LTV (it blends capped ones) and no lifetime."""
    keys = TEXT_ROWS["segment" if segment else "blended"]
    if not detail:
        keys = tuple(k for k in keys if k not in COST_ROWS)
    if several_segments and not segment:
        keys = tuple(k for k in keys if k != "ltv")
    keys = tuple(k for k in keys if k in data[names[0]])
    return (tuple(k for k in keys if k not in FORMULA_ROWS), tuple(k for k in keys if k in FORMULA_ROWS))


def _table(rows: list[tuple[str, list[list[str]], str]], header: list[str], width: int) -> list[str]:
    """Lay out ``(label, cells, verdict)`` rows in at most ``width`` columns: the label
    column, one column per year sized to its longest line (wrapped past a fair share),
    the verdict in what is left (wrapped)."""
    label_w = max([len(r[0]) for r in rows if any(r[1])] + [len(header[0])]) + 2
    n = len(header) - 2
    fair = max(14, (width - 2 - label_w - 18) // n)
    col_w = [min(fair, max([len(line) for r in rows for line in r[1][i]] + [len(header[1 + i])])) + 2
             for i in range(n)]
    verdict_w = max(12, width - 2 - label_w - sum(col_w))
    out = [("  " + header[0]).ljust(2 + label_w) + "".join(h.ljust(w) for h, w in zip(header[1:-1], col_w))
           + header[-1]]
    for label, cells, verdict_text in rows:
        if not any(cells):  # a heading across the table
            out.append(f"  {label}")
            continue
        columns = [[piece for line in cell for piece in (textwrap.wrap(line, w - 2) or [""])]
                   for cell, w in zip(cells, col_w)]
        tail = textwrap.wrap(verdict_text, verdict_w) if verdict_text else []
        for i in range(max([len(c) for c in columns] + [len(tail), 1])):
            text = "".join((c[i] if i < len(c) else "").ljust(w) for c, w in zip(columns, col_w))
            out.append((f"  {label if i == 0 else '':<{label_w}}{text}"
                        + (tail[i] if i < len(tail) else "")).rstrip())
    return out


def _scope_rows(data: dict, names: list[str], currency: str, settings: dict,
                keys: tuple[str, ...]) -> list[tuple[str, list[list[str]], str]]:
    rows = []
    for key in keys:
        entries = [data[n][key] for n in names]
        last = entries[-1]
        if key in VERDICT_ROWS:
            note = last.get("verdict", "")
        else:
            note = formula_note(key, data[names[-1]]) if key in FORMULA_ROWS else ""
        # the last year with its range, earlier years' P50 for the trend
        rows.append((row_label(key, settings), [_cell(key, e, currency, spread=e is last) for e in entries],
                     "" if note == "n/a" else note))
    return rows


def _rows_with_formula(data: dict, names: list[str], currency: str, settings: dict,
                       keys: tuple[tuple[str, ...], tuple[str, ...]]) -> list:
    main, formula = keys
    formula = tuple(k for k in formula if not repeats_cohort(data, names, k))
    rows = _scope_rows(data, names, currency, settings, main)
    if formula:
        rows += [(FORMULA_HEADING, [[] for _ in names], "")]
        rows += _scope_rows(data, names, currency, settings, formula)
    return rows


#: formula rows and the cohort rows they could repeat
TWINS = {"ltv_capped": "ltv_cohort", "ltv_to_cac_capped": "ltv_to_cac_cohort", "cac_payback": "cac_payback_cohort"}


def repeats_cohort(data: dict, names: list[str], key: str, rtol: float = 0.02) -> bool:
    """Whether formula row ``key`` is within ``rtol`` of its cohort twin at every quantile
    of every year (then it says nothing the cohort row does not)."""
    twin = TWINS.get(key)
    if twin is None or twin not in data[names[0]]:
        return False
    for n in names:
        for q in LABELS:
            a, b = data[n][key].get(q), data[n][twin].get(q)
            if not (isinstance(a, float) and isinstance(b, float)) or abs(a - b) > rtol * abs(b):
                return False
    return True


def _segment_lines(summary: dict, currency: str, width: int) -> list[str]:
    """One line a segment (the last year's P50, tier, ACV ...), its verdicts below."""
    name = "last_year"
    label = summary["years"][name]["label"]
    segments = [s for s in summary["scopes"] if s != "blended"]
    seg_w = max(len(s) for s in segments) + 2
    first = f"Segments, {label} P50"
    seg_w = max(seg_w, len(first) - 1)
    head = [first.ljust(seg_w + 2), "tier".ljust(12)]
    cells = {s: [] for s in segments}
    for key, title in SEGMENT_LINE:
        for s in segments:
            entry = summary["scopes"][s][name].get(key)
            cells[s].append("n/a" if entry is None or entry["p50"] is None else
                            metric_number(entry["p50"], entry["unit"], currency))
        w = max([len(title)] + [len(cells[s][-1]) for s in segments]) + 2
        head.append(title.ljust(w))
        for s in segments:
            cells[s][-1] = cells[s][-1].ljust(w)
    lines = ["", "".join(head).rstrip()]
    for s in segments:
        tier = TIER_NAMES[summary.get("tiers", {}).get(s, {}).get("tier")]
        lines.append(f"  {s:<{seg_w}}{tier:<12}" + "".join(cells[s]).rstrip())
        verdicts = [f"{METRIC_SPECS[k].title.split(' (')[0]} {summary['scopes'][s][name][k]['verdict']}"
                    for k in ("ltv_to_cac_cohort", "cac_payback_cohort", "nrr", "grr")
                    if summary["scopes"][s][name].get(k, {}).get("verdict", "n/a") != "n/a"]
        if verdicts:
            # indented under the name, not the tier column: the verdicts then fit on one line
            lines += textwrap.wrap("; ".join(verdicts), width, initial_indent=" " * 4,
                                   subsequent_indent=" " * 6)
    return lines


def _year_heads(years: dict, names: list[str]) -> list[str]:
    """``FY2027 P50`` for earlier years, ``FY2031 P50 [P10..P90]`` for the last."""
    return [years[n]["label"] + (" P50 [P10..P90]" if n == names[-1] else " P50") for n in names]


def unit_economics_text(summary: dict, currency: str = "USD", *, detail: bool = False,
                        width: int = 100) -> str:
    """The terminal block of :func:`unit_economics_summary`, within ``width`` columns.

    The company (blended) first: the simulated cohort's LTV, LTV:CAC and payback, then
    CAC, efficiency, retention and margins, each ``P50 [P10..P90]`` for the first and the
    last full fiscal year with the verdict of the last year's P50 (one verdict a row);
    then, under a heading, the formula values for comparison with no verdict: the LTV
    capped at the LTV horizon, a segment's uncapped LTV with the customer lifetime it
    implies (not for a blend, which mixes capped LTVs), LTV:CAC on the capped LTV and
    payback (a formula row within 2% of its cohort row is left out). The cost structure
    (department shares of revenue) with ``detail``. An unbounded value reads
    ``unbounded``, an undefined one ``n/a (<why>)``, a burn multiple without burn ``n/a
    (no burn)``. Then one line a segment (tier, ACV, CAC, cohort LTV, LTV:CAC, payback,
    NRR, GRR, with their verdicts), or with ``detail`` each segment's full table. A
    scenario with one segment prints one table (the segment's and the company's are the
    same).
    """
    years, s = summary["years"], summary["settings"]
    names = ["first_year"] if years["first_year"] == years["last_year"] else ["first_year", "last_year"]
    lag = f"{s['cac_lag_months']}-month spend lag" if s["cac_lag_months"] else "no spend lag"
    basis = {"new_mrr": "new MRR", "new_customers": "new customers"}.get(s["allocation"], s["allocation"])
    segments = [k for k in summary["scopes"] if k != "blended"]
    spend = (f"a segment's S&M = its direct S&M + shared S&M by {basis}"
             if s.get("segment_spend") == "direct_plus_shared" else f"segments share S&M by {basis}")
    last = years[names[-1]]["label"]
    intro = (f"Unit economics across {summary['paths']:,} paths; verdict of the "
             f"{last} P50. CAC = S&M / new customers ({lag}" + (f"; {spend}" if len(segments) > 1 else "")
             + f"). Cohort LTV: the margin a simulated cohort earns in {s['ltv_horizon_months']} months.")
    lines = textwrap.wrap(intro, width, subsequent_indent="  ")
    tiers = summary.get("tiers", {})
    one = len(segments) == 1
    title = (f"{segments[0]} ({TIER_NAMES[tiers.get(segments[0], {}).get('tier')]}, only segment)"
             if one else "company (blended)")
    data = summary["scopes"]["blended"]
    if one:
        # the segment's own values (its tier's verdicts, its uncapped LTV), company-only rows
        data = {n: data[n] | summary["scopes"][segments[0]][n] for n in names}
    main, formula = scope_keys(data, names, not one, detail)
    if one:
        own = tuple(k for k in ("cac_programme", "commission_per_new_customer", "acv")
                    if k in data[names[0]] and not (k == "cac_programme" and _same_as(data, names, k, "cac")))
        main = main[:4] + own + main[4:]  # the segment's own rows join the company's table
    header = [title] + _year_heads(years, names) + [f"verdict ({last})"]
    lines += [""] + _table(_rows_with_formula(data, names, currency, s, (main, formula)), header, width)
    share = data[names[-1]].get("ltv_unbounded_share")
    ltv_shown = any(k in formula and not repeats_cohort(data, names, k) and k in data[names[0]]
                    for k in ("ltv_capped", "ltv"))
    if not one and share and share["p50"] and ltv_shown:  # a note on a row that is shown
        lines += textwrap.wrap(
            f"  The formula LTV blends the segments' capped LTVs: {percent(share['p50'])} of new "
            f"customers are in segments whose uncapped formula LTV is unbounded (expansion >= churn).",
            width, subsequent_indent="    ")
    if one:
        return "\n".join(lines)
    if not detail:
        return "\n".join(lines + _segment_lines(summary, currency, width))
    for scope in segments:
        tier = TIER_NAMES[tiers.get(scope, {}).get("tier")]
        header = [f"{scope} ({tier})"] + _year_heads(years, names) + [f"verdict ({last})"]
        keys = scope_keys(summary["scopes"][scope], names, True, segment=True)
        lines += [""] + _table(_rows_with_formula(summary["scopes"][scope], names, currency, s, keys),
                               header, width)
    return "\n".join(lines)


def metric_series_table(result: SimulationResult, *, cac_lag_months: int = 0, allocation: str = "new_mrr",
                        ltv_horizon_months: int = 60,
                        discount_rate_annual: float = 0.10) -> tuple[list[str], list[list]]:
    """Monthly P10/P50/P90 of every metric, blended and per segment, for CSV export.

    Each month is its own period: CAC is that month's (lagged) S&M over its new
    customers, the magic number the ARR added over the last three months against the
    three months before, NRR/GRR and growth are trailing twelve months (empty before
    month 12).

    Returns
    -------
    header : list of str
        ``month`` then ``<scope>_<metric>_p10|p50|p90`` (scope ``blended`` or a segment).
    rows : list of list
        One row per month: the month (``YYYY-MM``) then floats; None where the value
        is undefined or unbounded on the quantile (an unbounded LTV has the finite
        ``ltv_capped`` and ``ltv_discounted`` columns beside it).
    """
    # read once (this table), the largest: a year of months at a time, not kept on the result
    _, quantiles = period_quantiles(result, "month", QUANTILES, cac_lag_months=cac_lag_months,
                                    allocation=allocation, ltv_horizon_months=ltv_horizon_months,
                                    discount_rate_annual=discount_rate_annual)
    header, columns = ["month"], []
    for scope, data in quantiles.items():
        for key, q in data.items():
            for label, row in zip(LABELS, q):
                header.append(f"{scope}_{key}_{label}")
                columns.append([float(v) if np.isfinite(v) else None for v in row])
    rows = [[str(m)] + [c[i] for c in columns] for i, m in enumerate(result.months)]
    return header, rows


def _same_as(data: dict, names: list[str], key: str, other: str) -> bool:
    """Whether row ``key`` shows the same P10/P50/P90 as row ``other`` in every year
    (a programme-only CAC that is the whole CAC is not worth a second row)."""
    def cells(k, n):
        entry = data[n].get(k)
        return None if not isinstance(entry, dict) else tuple(entry.get(q) for q in ("p10", "p50", "p90"))
    return all(cells(key, n) is not None and cells(key, n) == cells(other, n) for n in names)
