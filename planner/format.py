"""Human-readable numbers: money as $1.2M / $850K, percentages, and the run summary text."""
from __future__ import annotations

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: float, currency: str = "USD") -> str:
    """``1234567`` -> ``$1.2M``; ``-850000`` -> ``-$850K``; other codes as ``1.2M CHF``."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= size:
            digits = 1 if v / size < 100 else 0
            text = f"{v / size:.{digits}f}{suffix}"
            break
    else:
        text = f"{v:.0f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def _row(label: str, bands: dict, fmt) -> str:
    return f"  {label:<28}" + "".join(f"{fmt(bands[k]):>12}" for k in ("p10", "p50", "p90"))


def summary_text(summary: dict) -> str:
    """The short summary ``planner run`` prints."""
    cur = summary["currency"]
    m = lambda v: money(v, cur)  # noqa: E731
    lines = [f"{summary['scenario']}: {summary['paths']:,} paths, seed {summary['seed']}, "
             f"{summary['start']} to {summary['end']} ({cur})",
             f"  {'':<28}{'P10':>12}{'P50':>12}{'P90':>12}",
             _row(f"ARR at {summary['end']}", summary["arr_end"], m),
             _row("Customers at the end", summary["customers_end"], lambda v: f"{v:,.0f}")]
    for year in summary["revenue_by_year"][:1] + summary["revenue_by_year"][-1:]:
        lines.append(_row(f"Revenue {year['from']}..{year['to'][-2:]}", year, m))
    last = summary["ebitda_by_year"][-1]
    lines.append(_row(f"EBITDA {last['from']}..{last['to'][-2:]}", last, m))
    lines.append(_row(f"Cash at {summary['end']}", summary["cash_end"], m))
    lines.append(_row("Cash trough (lowest balance)", summary["cash_trough"], m))
    out = summary["cash_out"]
    if out["probability"] == 0:
        lines.append("  Cash runs out: on no path.")
    else:
        first = out["first_month"]
        lines.append(f"  Cash runs out: on {percent(out['probability'])} of paths "
                     f"(by month 12: {percent(out.get('by_month_12', 0))}, by month 24: "
                     f"{percent(out.get('by_month_24', 0))}); first month P10 {first['p10']}, "
                     f"P50 {first['p50']}, P90 {first['p90']} among those paths.")
    return "\n".join(lines)
