"""The metric catalogue: one :class:`MetricSpec` per unit-economics metric.

A spec holds what every output needs to show a metric: its title, its unit, why it can
be undefined on every path, why it can be unbounded, and its benchmark bands
(:mod:`planner.analysis.benchmark_bands`, which also give each verdict a level: good,
fair, poor, bad or none). The summary, the terminal block, the report, the workbook and
the charts read this table, so a new metric is one line here plus its formula.

Bands and their sources: LTV:CAC, CAC payback, magic number, burn multiple, Rule of 40
and cost shares from DOMAIN.md (Skok, "SaaS Metrics 2.0"; Sacks, "The Burn Multiple";
Scale Venture Partners; Feld); NRR and GRR from KeyBanc Capital Markets' SaaS survey,
Bessemer's State of the Cloud, ChartMogul's benchmarks and SaaStr's NRR "1.0 goals" by
segment; EBITDA (operating) margin from DOMAIN.md ("mature, profitable SaaS aims at
20-30%"). CAC payback, NRR and GRR depend on the segment's tier by ACV (SMB below $15K,
mid-market below $100K, enterprise above: ``benchmark_bands.TIER_BANDS``).
"""
from __future__ import annotations

from dataclasses import dataclass

from planner.analysis.benchmark_bands import ALIASES, BANDS, Benchmark

_NO_WINS = "no new customers"
_HISTORY = "needs 12 months of history"


@dataclass(frozen=True)
class MetricSpec:
    """One metric.

    Attributes
    ----------
    key : str
    title : str
    unit : {"count", "money", "fraction", "ratio", "months", "years"}
    undefined : str
        Why it can be undefined on every path (shown instead of a number).
    unbounded : str or None
        Why it can be infinite (shown instead of inf), when it can be.
    company_only : bool
        Only the blended scope has it.
    """

    key: str
    title: str
    unit: str
    undefined: str = "not defined"
    unbounded: str | None = None
    company_only: bool = False

    @property
    def benchmark(self) -> Benchmark | None:
        """Its benchmark bands, or None."""
        return BANDS.get(ALIASES.get(self.key, self.key))


def _spec(key, title, unit, undefined="not defined", unbounded=None, company_only=False) -> MetricSpec:
    return MetricSpec(key, title, unit, undefined, unbounded, company_only)


#: every metric, in summary order
METRIC_SPECS: dict[str, MetricSpec] = {s.key: s for s in (
    _spec("new_customers", "New customers", "count"),
    _spec("cac", "CAC (fully loaded)", "money", _NO_WINS),
    _spec("cac_programme", "CAC (programme spend only)", "money", _NO_WINS),
    _spec("commission_per_new_customer", "Commission per new customer", "money", _NO_WINS),
    _spec("arpa", "ARPA (monthly, book)", "money"),
    _spec("acv", "ACV (new customers)", "money", _NO_WINS),
    _spec("gross_margin", "Gross margin", "fraction"),
    _spec("churn_rate", "Churn (monthly, from TTM)", "fraction", _HISTORY),
    _spec("expansion_rate", "Net expansion (monthly, from TTM)", "fraction", _HISTORY),
    # a segment's formula LTV is uncapped; the blend's is the mix of the segments' capped ones
    _spec("ltv", "LTV (formula; segment uncapped, blend of capped)", "money", _HISTORY, "expansion >= churn"),
    _spec("ltv_capped", "LTV (formula, capped at the LTV horizon)", "money", _HISTORY),
    _spec("ltv_discounted", "LTV (formula, discounted, capped at the LTV horizon)", "money", _HISTORY),
    _spec("lifetime_years", "Customer lifetime (1 / churn)", "years", _HISTORY, "no churn"),
    _spec("ltv_lifetime_years", "Lifetime the LTV formula counts", "years", _HISTORY,
          "expansion >= churn"),
    _spec("ltv_unbounded_share", "New customers in unbounded-LTV segments", "fraction",
          company_only=True),
    _spec("ltv_cohort", "LTV (simulated cohort)", "money", _NO_WINS),
    _spec("ltv_to_cac", "LTV:CAC (formula LTV)", "ratio", _NO_WINS, "expansion >= churn"),
    _spec("ltv_to_cac_capped", "LTV:CAC (formula LTV capped at the LTV horizon)", "ratio", _NO_WINS,
          "zero CAC (no S&M spend)"),
    _spec("ltv_to_cac_cohort", "LTV:CAC (cohort LTV)", "ratio", _NO_WINS),
    _spec("cac_payback", "CAC payback (formula)", "months", _NO_WINS,
          "gross margin per customer <= 0: never pays back"),
    _spec("cac_payback_cohort", "CAC payback (cohort)", "months", _NO_WINS),
    _spec("magic_number", "Magic number", "ratio", "no S&M spend three months earlier in the plan"),
    _spec("nrr", "NRR (trailing 12 months)", "fraction", _HISTORY),
    _spec("grr", "GRR (trailing 12 months)", "fraction", _HISTORY),
    _spec("logo_retention", "Logo retention (TTM)", "fraction", _HISTORY),
    _spec("growth", "Revenue growth (YoY)", "fraction", _HISTORY, company_only=True),
    _spec("ebitda_margin", "EBITDA margin", "fraction", company_only=True),
    _spec("rule_of_40", "Rule of 40", "fraction", _HISTORY, company_only=True),
    _spec("net_burn", "Net burn", "money", company_only=True),
    _spec("net_new_arr", "Net new ARR", "money"),
    _spec("burn_multiple", "Burn multiple", "ratio", unbounded="burning while net new ARR <= 0: not meaningful",
          company_only=True),
    _spec("sm_share", "S&M / revenue", "fraction", company_only=True),
    _spec("rnd_share", "R&D / revenue", "fraction", company_only=True),
    _spec("cs_share", "CS / revenue", "fraction", company_only=True),
    _spec("ga_share", "G&A / revenue", "fraction", company_only=True),
)}


def metric_title(key: str) -> str:
    """The display title of a metric (its key when the catalogue has none)."""
    spec = METRIC_SPECS.get(key)
    return key if spec is None else spec.title
