"""Benchmark bands for SaaS unit economics, and the verdict of a value against them.

One table, :data:`BANDS`, holds every band (the industry rules of thumb of DOMAIN.md);
:data:`TIER_BANDS` holds those that depend on a segment's tier (SMB, mid-market,
enterprise, by ACV: :func:`tier_of`).
Each metric has ascending thresholds ``t_1 < ... < t_n`` and ``n + 1`` labels; a value
``v`` gets label ``i`` where ``t_i <= v < t_{i+1}``.

**Boundary rule (the same for every metric): a value equal to a threshold gets the band
above it** (bands are closed below, open above). So an LTV:CAC of exactly 3 is "good",
a CAC payback of exactly 12 months "good" (not "excellent"), a magic number of exactly
1.0 "very efficient", a burn multiple of exactly 1.0 "great", a Rule of 40 of exactly
0.40 "strong", and an S&M share of exactly 50% is in the growth-stage band.

Ratios are plain numbers, months are months, and Rule of 40 and cost shares are
fractions of revenue (0.40 = 40%).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


#: how good a verdict is, best first; ``none``: a descriptive band, no judgement
LEVELS = ("good", "fair", "poor", "bad", "none")


@dataclass(frozen=True)
class Benchmark:
    """Bands of one metric.

    Attributes
    ----------
    title : str
        What the metric is, for tables.
    unit : str
        ``ratio``, ``months`` or ``fraction``.
    thresholds : tuple of float
        Ascending band boundaries; a value equal to one belongs to the band above.
    labels : tuple of str
        ``len(thresholds) + 1`` verdicts, lowest values first.
    levels : tuple of str
        One of :data:`LEVELS` per label: how good the band is (``none`` for descriptive
        bands such as cost shares). Reports colour and warn by level, never by wording.
    """

    title: str
    unit: str
    thresholds: tuple[float, ...]
    labels: tuple[str, ...]
    levels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.levels:
            object.__setattr__(self, "levels", ("none",) * len(self.labels))
        if len(self.levels) != len(self.labels) or not set(self.levels) <= set(LEVELS):
            raise ValueError(f"{self.title}: one level of {LEVELS} per label")


def _cost(department: str, low: float, high: float, mature: tuple[float, float] | None = None) -> Benchmark:
    """Cost-structure bands: typical (or growth-stage) ``low..high`` and an optional mature band."""
    def band(a: float, b: float) -> str:
        return f"{100 * a:.0f}-{100 * b:.0f}%"

    if mature is None:
        return Benchmark(f"{department} share of revenue", "fraction", (low, high),
                         (f"below typical ({band(low, high)})", f"typical ({band(low, high)})",
                          f"above typical ({band(low, high)})"))
    return Benchmark(
        f"{department} share of revenue", "fraction", (mature[0], mature[1], low, high, 0.8),
        (f"below mature ({band(*mature)})", f"mature ({band(*mature)})", "between mature and growth-stage",
         f"growth-stage ({band(low, high)})", f"above growth-stage ({band(low, high)})",
         "early-stage level (80%+)"))


#: The benchmark table: metric -> bands (from DOMAIN.md, "Unit economics" and "Cost structure").
BANDS: dict[str, Benchmark] = {
    "ltv_to_cac": Benchmark(
        "LTV:CAC", "ratio", (3.0, 4.0, 5.0),
        ("problematic", "good", "excellent", "excellent (may be under-investing)"),
        ("bad", "fair", "good", "good")),
    "cac_payback": Benchmark(
        "CAC payback", "months", (12.0, 18.0, 24.0),
        # a company's (blend's) band: "acceptable for enterprise" is the enterprise tier's
        ("excellent", "good", "slow", "problematic"),
        ("good", "fair", "poor", "bad")),
    "magic_number": Benchmark(
        "Magic number", "ratio", (0.5, 0.75, 1.0),
        ("inefficient", "moderate", "efficient", "very efficient"),
        ("bad", "poor", "fair", "good")),
    "burn_multiple": Benchmark(
        "Burn multiple", "ratio", (1.0, 1.5, 2.0, 3.0),
        ("amazing", "great", "good", "suspect", "bad"),
        ("good", "good", "fair", "bad", "bad")),
    "rule_of_40": Benchmark("Rule of 40", "fraction", (0.40,), ("below 40%", "strong"), ("bad", "good")),
    "sm_share": _cost("S&M", 0.50, 0.60, mature=(0.30, 0.40)),
    "rnd_share": _cost("R&D", 0.20, 0.30),
    "cs_share": _cost("CS & support", 0.10, 0.15),
    "ga_share": _cost("G&A", 0.10, 0.15),
}
_RETENTION = ("weak", "typical", "strong", "best-in-class")
_RETENTION_LEVELS = ("bad", "fair", "good", "good")

# NRR / GRR / operating margin for a company as a whole (no segment tier). Sources: the
# all-SaaS medians of KeyBanc Capital Markets' SaaS survey and Bessemer's State of the
# Cloud (median NRR ~100-105%, 120%+ top quartile; median GRR ~90%); operating margin:
# DOMAIN.md "Cost structure" (mature, profitable SaaS aims at 20-30%).
BANDS |= {  # company median NRR 100-105% inside "typical" (95-110%)
    "nrr": Benchmark("NRR (trailing 12 months)", "fraction", (0.95, 1.10, 1.20), _RETENTION,
                     _RETENTION_LEVELS),
    "grr": Benchmark("GRR (trailing 12 months)", "fraction", (0.85, 0.92, 0.95), _RETENTION,
                     _RETENTION_LEVELS),
    "ebitda_margin": Benchmark(
        "EBITDA (operating) margin", "fraction", (0.0, 0.20, 0.30),
        ("loss-making", "profitable, below mature (20-30%)", "mature (20-30%)",
         "above mature (30%+)"), ("poor", "fair", "good", "good")),
}
#: metrics that share another metric's bands
ALIASES = {"cac_payback_cohort": "cac_payback", "ltv_to_cac_cohort": "ltv_to_cac"}

#: segment tiers by ACV (annual contract value of new customers): below the first bound
#: ``smb``, below the second ``midmarket``, else ``enterprise`` (DOMAIN.md "Segments":
#: SMB ACV ~$5K, mid-market ~$25K, enterprise ~$150K)
TIERS = (("smb", 15_000.0), ("midmarket", 100_000.0), ("enterprise", math.inf))

#: bands that depend on the segment's tier (metric -> tier -> bands); a metric or tier
#: not listed uses :data:`BANDS`. CAC payback: an SMB segment must pay back within 12-18
#: months, enterprise may take 24+ (DOMAIN.md; Skok, "SaaS Metrics 2.0"). NRR: SaaStr's
#: "1.0 goals" (80% very small, 95% SMB, 120% enterprise) and ChartMogul / KeyBanc
#: medians by ACV (SMB ~97%, mid-market ~108%, enterprise ~118%). GRR: the same sources'
#: gross retention (SMB ~80%, mid-market ~88%, enterprise ~92%).
TIER_BANDS: dict[str, dict[str, Benchmark]] = {
    "cac_payback": {
        "smb": Benchmark("CAC payback (SMB)", "months", (12.0, 18.0),
                         ("excellent", "good", "too slow for SMB"), ("good", "fair", "bad")),
        "midmarket": Benchmark("CAC payback (mid-market)", "months", (12.0, 18.0, 24.0),
                               ("excellent", "good", "slow for mid-market", "problematic"),
                               ("good", "fair", "poor", "bad")),
        "enterprise": Benchmark("CAC payback (enterprise)", "months", (12.0, 24.0, 36.0),
                                ("excellent", "good", "acceptable for enterprise", "problematic"),
                                ("good", "good", "fair", "bad")),
    },
    # cut-offs put each cited median inside "typical": SMB NRR ~97% in 90-100%, mid-market
    # ~108% in 100-115%, enterprise ~118% in 110-125%; GRR ~80% in 75-85%, ~88% in
    # 85-92%, ~92% in 88-95%
    "nrr": {
        "smb": Benchmark("NRR (SMB)", "fraction", (0.90, 1.00, 1.10), _RETENTION, _RETENTION_LEVELS),
        "midmarket": Benchmark("NRR (mid-market)", "fraction", (1.00, 1.15, 1.25), _RETENTION,
                               _RETENTION_LEVELS),
        "enterprise": Benchmark("NRR (enterprise)", "fraction", (1.10, 1.25, 1.35), _RETENTION,
                                _RETENTION_LEVELS),
    },
    "grr": {
        "smb": Benchmark("GRR (SMB)", "fraction", (0.75, 0.85, 0.90), _RETENTION, _RETENTION_LEVELS),
        "midmarket": Benchmark("GRR (mid-market)", "fraction", (0.85, 0.92, 0.95), _RETENTION,
                               _RETENTION_LEVELS),
        "enterprise": Benchmark("GRR (enterprise)", "fraction", (0.88, 0.95, 0.97), _RETENTION,
                                _RETENTION_LEVELS),
    },
}


def tier_of(acv: float | None) -> str | None:
    """``smb``, ``midmarket`` or ``enterprise`` for an ACV (money a year; :data:`TIERS`);
    None when the ACV is unknown (no new customers)."""
    if acv is None or not np.isfinite(acv):
        return None
    return next(name for name, below in TIERS if acv < below)


def verdict(metric: str, value: float | None, tier: str | None = None) -> str:
    """The benchmark band a value falls in.

    Parameters
    ----------
    metric : str
        A key of :data:`BANDS` (or of :data:`ALIASES`).
    value : float or None
        In the metric's unit (see :data:`BANDS`); ``inf`` falls in the top band,
        ``-inf`` in the bottom one.
    tier : str, optional
        The segment's tier (:func:`tier_of`): its own bands where :data:`TIER_BANDS` has them.

    Returns
    -------
    str
        The band's label; ``"n/a"`` when ``value`` is None or nan.

    Raises
    ------
    KeyError
        For a metric without bands, naming the ones that have them.
    """
    bench = benchmark(metric, tier)
    if value is None or np.isnan(value):
        return "n/a"
    return bench.labels[_band(bench, value)]


def verdict_level(metric: str, value: float | None, tier: str | None = None) -> str:
    """The :data:`LEVELS` entry of :func:`verdict` (``none`` for n/a)."""
    bench = benchmark(metric, tier)
    if value is None or np.isnan(value):
        return "none"
    return bench.levels[_band(bench, value)]


def _band(bench: Benchmark, value: float) -> int:
    return int(np.searchsorted(bench.thresholds, float(value), side="right"))


def benchmark(metric: str, tier: str | None = None) -> Benchmark:
    """The :class:`Benchmark` of ``metric`` (aliases resolved), the tier's own where
    :data:`TIER_BANDS` has one; KeyError naming the known ones."""
    key = ALIASES.get(metric, metric)
    if key not in BANDS:
        raise KeyError(f"no benchmark for {metric!r}; benchmarks: {', '.join(BANDS)}")
    return TIER_BANDS.get(key, {}).get(tier, BANDS[key])


def has_benchmark(metric: str) -> bool:
    """Whether :func:`verdict` knows ``metric``."""
    return ALIASES.get(metric, metric) in BANDS


def bands_markdown() -> str:
    """The band table as markdown (one row per band), generated from :data:`BANDS`."""
    lines = ["| metric | band | verdict |", "|---|---|---|"]
    tiered = [(f"{key}, {tier}", b) for key, by_tier in TIER_BANDS.items() for tier, b in by_tier.items()]
    for key, bench in list(BANDS.items()) + tiered:
        fmt = _formatter(bench.unit)
        edges = (-math.inf,) + bench.thresholds + (math.inf,)
        for low, high, label in zip(edges[:-1], edges[1:], bench.labels):
            if low == -math.inf:
                band = f"< {fmt(high)}"
            elif high == math.inf:
                band = f">= {fmt(low)}"
            else:
                band = f"{fmt(low)} <= x < {fmt(high)}"
            lines.append(f"| {bench.title} (`{key}`) | {band} | {label} |")
    return "\n".join(lines)


def _formatter(unit: str):
    if unit == "fraction":
        return lambda x: f"{100 * x:g}%"
    if unit == "months":
        return lambda x: f"{x:g} months"
    return lambda x: f"{x:g}"
