"""Human-readable numbers: money as $1.2M / $850K, percentages, and the run summary text."""
from __future__ import annotations

import math

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: float | None, currency: str = "USD") -> str:
    """``1234567`` -> ``$1.2M``; ``-850000`` -> ``-$850K``; other codes as ``1.2M CHF``.

    Rounds before choosing the unit (999,960 is ``$1.0M``, not ``$1000K``), never prints
    ``-$0``, writes amounts beyond a trillion in scientific notation, and ``n/a`` for a
    missing or non-finite value.
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    v = abs(value)
    text = f"{v:.0f}"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        digits = 1 if round(v / size, 1) < 100 else 0
        if round(v / size, digits) >= 1:
            text = f"{v / size:.{digits}f}{suffix}"
            break
    if v >= 1e15:
        text = f"{v:.1e}"
    sign = "-" if value < 0 and text.strip("0.KMBT") else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def count(value: float) -> str:
    """A number of customers or people: ``12,345``; scientific beyond a trillion."""
    return f"{value:.1e}" if abs(value) >= 1e12 else f"{value:,.0f}"


def plural(n: int, word: str) -> str:
    """``1 segment``, ``3 segments``, ``1,024 paths``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def value_text(value: float | None, unit: str, currency: str = "USD", signed: bool = False) -> str:
    """One number in its unit: ``money`` ($1.2M), ``fraction``/``probability``/``share``
    (percent; a signed change in points), ``months`` (``14.2 months``), anything else a
    plain number; ``n/a`` for a missing or non-finite value. ``signed`` marks rises with +."""
    if value is None or not math.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if unit == "money":
        return sign + money(value, currency)
    if unit in ("fraction", "probability", "share"):
        return f"{sign}{100 * value:.1f} pts" if signed else percent(value)
    if unit == "months":
        return f"{sign}{value:.1f} months"
    return f"{sign}{value:,.4g}" if abs(value) < 1e4 else sign + count(value)
