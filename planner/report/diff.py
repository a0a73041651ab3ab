"""What ``planner diff`` prints and writes: changed assumptions, outcomes, attribution."""
from __future__ import annotations

import csv
import io

from planner.format import percent, plural, value_text

#: outcomes shown as columns of the attribution table in the terminal (all are in JSON/CSV)
ATTRIBUTION_COLUMNS = ("arr_end", "cash_trough", "cash_end", "cash_out", "runway", "minimum_raise")


def changes_text(data: dict) -> list[str]:
    """The changed assumptions, one per line."""
    changes = data["changes"]
    if not changes:
        return ["No assumption changed."]
    lines = [f"Changed assumptions ({len(changes)}):"]
    for c in changes:
        if c["kind"] == "added":
            lines.append(f"  {c['key']}: added {c['new']}")
        elif c["kind"] == "removed":
            lines.append(f"  {c['key']}: removed (was {c['old']})")
        else:
            lines.append(f"  {c['key']}: {c['old']} -> {c['new']}")
    return lines


def outcomes_text(data: dict) -> list[str]:
    """A, B, per-path B - A (P10 / P50 / P90) and P(B better), per headline outcome."""
    cur = data["currency"]
    head = ("Outcome", "A", "B", "B - A per path: P10 / P50 / P90", "P(B better)")
    table = [head]
    for row in data["outcomes"].values():
        d = row["difference"]
        spread = " / ".join(value_text(d[q], row["unit"], cur, signed=True) for q in ("p10", "p50", "p90"))
        if row["unit"] == "probability":  # per path it is 0 or 1: say on how many it flips
            spread = f"runs out in A only {percent(row['p_better'])}, B only {percent(row['p_worse'])}"
        stat = " (P50)" if row["statistic"] == "P50" else ""
        table.append((f"{row['label']}{stat}", value_text(row["a"], row["unit"], cur),
                      value_text(row["b"], row["unit"], cur), spread, percent(row["p_better"])))
    return _aligned(table)


def attribution_text(data: dict) -> list[str]:
    """Each changed group's share of the change in the headline statistics."""
    att = data["attribution"]
    if att is None:
        return []
    cur = data["currency"]
    rows = data["outcomes"]
    cols = [k for k in ATTRIBUTION_COLUMNS if k in rows]
    how = (f"exact Shapley over {plural(len(att['groups']), 'group')}, {plural(att['runs'], 'run')}"
           if att["method"] == "exact" else
           f"Shapley estimated from {plural(att['permutations'], 'random order')} "
           f"({plural(att['runs'], 'run')}); ± is one standard error")
    table = [("Change in", *[_short(rows[k]["label"]) for k in cols])]
    errors = att.get("standard_errors")
    for g in att["groups"]:
        cells = []
        for k in cols:
            text = value_text(att["contributions"][k][g], rows[k]["unit"], cur, signed=True)
            if errors is not None:
                text += " ± " + value_text(errors[k][g], rows[k]["unit"], cur).lstrip("+")
            cells.append(text)
        table.append((g, *cells))
    table.append(("Total (B - A)", *[value_text(rows[k]["change"], rows[k]["unit"], cur, signed=True)
                                     for k in cols]))
    return [f"Attribution of each change ({how}):"] + _aligned(table)


def _short(label: str) -> str:
    return label.replace("Cash-out probability", "Cash-out").split(" to ")[0].split(" (")[0]


def _aligned(table: list[tuple]) -> list[str]:
    widths = [max(len(str(r[i])) for r in table) for i in range(len(table[0]))]
    out = []
    for n, row in enumerate(table):
        cells = [f"{row[0]:<{widths[0]}}"] + [f"{c:>{w}}" for c, w in zip(row[1:], widths[1:])]
        out.append("  " + "  ".join(cells).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def diff_text(data: dict) -> str:
    """Everything ``planner diff`` prints (from :meth:`planner.sweep.diff.Diff.to_dict`)."""
    plans = data["plans"]
    plan = plans["a"] if plans["a"] == plans["b"] else f"{plans['a']} (A) / {plans['b']} (B)"
    lines = [f"A: {data['a']}", f"B: {data['b']}",
             f"{data['paths']:,} paths, seed {data['seed']}, same draws for A and B; plan {plan}; "
             f"{data['compared']['from']} to {data['compared']['to']}", ""]
    lines += changes_text(data) + [""] + outcomes_text(data)
    lines.append("  P(B better): share of paths where B is higher (lower for cash-out and the "
                 "minimum raise); runway is censored at the last month compared.")
    if data["attribution"] is not None:
        lines += [""] + attribution_text(data)
    if data["notes"]:
        lines += [""] + [f"Note: {n}" for n in data["notes"]]
    return "\n".join(lines)


def attribution_csv(data: dict) -> str:
    """One row per outcome: A, B, the change, then each group's contribution (and error)."""
    att = data["attribution"]
    groups = att["groups"] if att else []
    errors = (att or {}).get("standard_errors")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["outcome", "label", "statistic", "a", "b", "change", *groups,
                     *([f"{g} se" for g in groups] if errors else [])])
    for key, row in data["outcomes"].items():
        contrib = [att["contributions"][key][g] for g in groups] if att else []
        se = [errors[key][g] for g in groups] if errors else []
        writer.writerow([key, row["label"], row["statistic"], row["a"], row["b"], row["change"],
                         *contrib, *se])
    return out.getvalue()
