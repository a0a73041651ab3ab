"""The scenario format: every key, its type, range, default and meaning.

This one definition drives validation (:mod:`planner.scenario.loader`) and the JSON
Schema printed by ``planner schema``.
"""
from __future__ import annotations

from planner.scenario.funding_schema import funding_spec
from planner.scenario.funnel_schema import commission_spec, driver_spec, funnel_spec
from planner.scenario.schema_parts import distribution_schema, grouped_number_defs
from planner.scenario.spec import (INVALID, Currency, Flag, ListOf, MapOf, Month, Number, OneOf,
                                   Record, Text, per_segment, series, value_shape)

DEPARTMENTS = ("sales", "marketing", "rnd", "cs", "ga")
#: what each department holds (editors show it next to the value)
DEPARTMENT_MEANINGS = {
    "sales": "sales: account executives, SDRs, sales management and commissions",
    "marketing": "marketing: the marketing team and programme spend",
    "rnd": "R&D: engineering, product and design",
    "cs": "customer success: onboarding, support and account management",
    "ga": "G&A: finance, people, legal, office and other overhead",
}
SAMPLING_METHODS = ("monte_carlo", "latin_hypercube", "sobol")
SAMPLING_MEANINGS = {
    "monte_carlo": "plain Monte Carlo: independent random draws (the default)",
    "latin_hypercube": "Latin hypercube: each input stratified on its own stream; a smaller "
                       "sampling error for the same paths",
    "sobol": "scrambled Sobol: one joint quasi-random design over all inputs; the smallest "
             "sampling error for smooth outcomes",
}
BILLING_NAMES = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
BILLING_MEANINGS = {name: "invoiced every month" if months == 1 else
                    f"{months} months invoiced upfront" for name, months in BILLING_NAMES.items()}
MAX_TERM = 120  # months: a ten-year contract
MAX_AGE = 1200  # months of customer age in curves and the opening book: a century


class SegmentName(Text):
    """A segment's name: text that can also be a key of a per-segment mapping."""

    #: keys with a meaning of their own where per-segment values or amounts are read
    RESERVED = ("dist", "start", "schedule", "monthly_growth", "annual_growth")

    def __init__(self):
        super().__init__("segment name")

    def check(self, value, path, ctx):
        if not isinstance(value, str):
            ctx.error(path, "segment names must be text (quote numbers: '2027')", value)
            return INVALID
        if value in self.RESERVED:
            ctx.error(path, f"{value!r} cannot name a segment (it has a meaning in per-segment "
                            f"values); pick another name")
            return INVALID
        return super().check(value, path, ctx)


def _retention() -> OneOf:
    constant = Record({
        "model": Text("constant churn rate", choices=("constant",)),
        "monthly_churn": Number("share of customers lost per month", low=0.0, high=1.0,
                                high_open=True, typical=(0.0, 0.15)),
        "annual_churn": Number("share of customers lost per year", low=0.0, high=1.0,
                               high_open=True, typical=(0.0, 0.85)),
    }, "the same share of customers lost every month (give monthly_churn or annual_churn)",
        exclusive=(("monthly_churn", "annual_churn"),))
    curve = Record({
        "model": Text("explicit survival curve", choices=("curve",)),
        "curve": MapOf(Number(low=0.0, high=1.0, dist=False),
                       "age in months -> share of the cohort still active (age 0 = 1.0); "
                       "interpolated log-linearly, extended with the last interval's churn",
                       key=Number(low=0, limit=MAX_AGE, integer=True, dist=False), min_items=2),
    }, "an explicit survival curve by customer age")
    sbg = Record({
        "model": Text("shifted-beta-geometric (Fader & Hardie 2007)", choices=("sbg",)),
        "alpha": Number("sBG alpha", low=0.0, low_open=True),
        "beta": Number("sBG beta", low=0.0, low_open=True),
        "period": Text("unit of one sBG period", choices=("month", "year"), default="month",
                       meanings={"month": "one churn opportunity a month",
                                 "year": "one churn opportunity a year (annual renewals)"}),
        "log_cov": ListOf(ListOf(Number(dist=False)),
                          "2x2 covariance of (ln alpha, ln beta), e.g. from `planner fit`; "
                          "draws (alpha, beta) jointly lognormal per path", default=None),
    }, "shifted-beta-geometric churn: customers differ, so a cohort's churn falls as it ages")
    return OneOf(lambda v: v.get("model") if isinstance(v, dict) else None,
                 {"constant": constant, "curve": curve, "sbg": sbg},
                 "a mapping with model: constant, curve or sbg", key="model")


def _segment() -> Record:
    return Record({
        "opening": Record({
            "customers": Number("paying customers at the start", low=0.0, default=0.0,
                                unit="count"),
            "mrr": Number("their MRR at the start", low=0.0, default=0.0, unit="currency"),
            "age_months": Number("average age of the existing book, months", low=0, limit=MAX_AGE,
                                 integer=True, dist=False, default=12),
        }, "the existing book of this segment", default={}),
        "price": Record({
            "arpa": Number("MRR of a new customer (average revenue per account, per month)",
                           low=0.0, unit="currency", typical=(1.0, 1e6)),
            "annual_increase": Number("list-price increase for new customers every 12 months",
                                      low=-0.5, high=1.0, default=0.0, typical=(-0.1, 0.25)),
        }, "what a new customer pays"),
        "contract": Record({
            "term_months": Number("contract length; longer contracts churn only at renewal",
                                  low=1, limit=MAX_TERM, integer=True, dist=False, default=1),
            "billing": OneOf(lambda v: "text" if isinstance(v, str) else value_shape(v), {
                "text": Text("how often invoices go out", choices=tuple(BILLING_NAMES),
                             meanings=BILLING_MEANINGS),
                "number": Number("months billed upfront", low=1, limit=MAX_TERM, integer=True,
                                 dist=False)},
                "monthly, quarterly, semiannual, annual, or a number of months billed upfront",
                default="monthly"),
            "expansion_billing": Text(
                "how a rise (or fall) in MRR between prepaid invoices is billed: coterm = a "
                "prorated invoice (or credit) for the rest of the billing period, co-termed "
                "with it; monthly = billed month by month as it is earned (default: coterm "
                "for billing periods of 12 months or more, else monthly)",
                choices=("coterm", "monthly"), default=None,
                meanings={"coterm": "a prorated invoice (or credit) for the rest of the billing "
                                    "period",
                          "monthly": "billed month by month as it is earned"}),
            "payment_terms_days": Number("days from invoice to cash", low=0.0, high=365.0,
                                         default=0.0, typical=(0.0, 120.0)),
            "bad_debt_rate": Number("share of invoices never paid (written off when due, "
                                    "reported in G&A)", low=0.0, high=1.0, default=0.0,
                                    typical=(0.0, 0.1)),
        }, "contract length, billing and collection", default={}),
        "acquisition": Record({
            "new_customers": series("new customers won per month"),
            "marketing_budget": series("marketing programme spend per month (counted in marketing "
                                       "expense); new customers = budget / cac", ),
            "cac": Number("programme spend per new customer", low=0.0, low_open=True, default=None,
                          unit="currency", typical=(1.0, 1e6)),
            "funnel": funnel_spec(),
            "commission": commission_spec(),
        }, "how new customers are won: a number per month, a budget / CAC, or a funnel",
            exclusive=(("new_customers", "marketing_budget", "funnel"),)),
        "retention": _retention(),
        "expansion": Record({
            "monthly_rate": Number("expansion of surviving customers' MRR per month", low=0.0,
                                   high=1.0, default=0.0, typical=(0.0, 0.05)),
            "contraction_monthly_rate": Number("contraction of surviving customers' MRR per month "
                                               "(taken at renewal for longer contracts)",
                                               low=0.0, high=1.0, default=0.0,
                                               typical=(0.0, 0.05)),
            "mrr_per_customer_curve": MapOf(Number(low=0.0, low_open=True, dist=False),
                                            "age in months -> MRR of a surviving customer relative "
                                            "to its start (replaces the rates), e.g. from "
                                            "`planner fit`", key=Number(low=0, limit=MAX_AGE, integer=True,
                                                                        dist=False),
                                            default=None),
        }, "how surviving customers' MRR grows or shrinks", default={}),
    }, "one customer segment: its opening book, price, contract, acquisition, retention and "
       "expansion")


def _role() -> Record:
    return Record({
        "role": Text("job title"),
        "department": Text("where the cost is reported", choices=DEPARTMENTS,
                           meanings=DEPARTMENT_MEANINGS),
        "salary": Number("annual base salary", low=0.0, unit="currency", typical=(5e3, 2e6)),
        "burden": Number("employer taxes and benefits as a share of salary", low=0.0, high=2.0,
                         default=0.0, typical=(0.0, 0.6)),
        "annual_raise": Number("salary increase every 12 months", low=0.0, high=1.0, default=0.0,
                               typical=(0.0, 0.2)),
        "start": Number("people in the role at the start", low=0, integer=True, dist=False,
                        default=0),
        "hires": MapOf(Number(integer=True, dist=False, typical=(-1000, 1000)),
                       "month (YYYY-MM) -> people hired "
                       "(negative for departures)", key=Month(), default={}),
        "driver": driver_spec(),
        "segment": Text("the segment this role works for (its cost counts in that segment's "
                        "CAC); roles named by a segment's funnel belong to it", default=None),
    }, "one role: its salary, the people in it at the start and its hires (or a driver)")


def _opex_line() -> Record:
    return Record({
        "name": Text("what the spend is"),
        "department": Text("where the cost is reported", choices=DEPARTMENTS,
                           meanings=DEPARTMENT_MEANINGS),
        "monthly": series("spend per month", default=0.0),
        "pct_of_revenue": Number("spend as a share of revenue", low=0.0, high=5.0, default=0.0,
                                 typical=(0.0, 1.0)),
        "segment": Text("the segment this spend is for (counts in its CAC); default shared",
                        default=None),
    }, "one operating expense line: a monthly amount and/or a share of revenue")


def scenario_spec() -> Record:
    """The whole scenario file."""
    return Record({
        "name": Text("scenario name; also the output folder name"),
        "description": Text("free text", default=""),
        "start": Month("first simulated month", typical=(2000, 2060)),
        "horizon_months": Number("months simulated", low=1, high=240, integer=True, dist=False),
        "currency": Currency("ISO 4217 currency code used in output", default="USD"),
        "simulation": Record({
            "paths": Number("Monte Carlo paths", low=1, high=10_000_000, integer=True, dist=False,
                            default=1000),
            "seed": Number("random seed; same seed, same results", low=0, limit=2 ** 63 - 1, integer=True,
                           dist=False, default=0),
            "sampling": Text("how the uncertain inputs are sampled", default="monte_carlo",
                             choices=SAMPLING_METHODS, meanings=SAMPLING_MEANINGS),
            "process_noise": Flag("month-to-month randomness: whole customers, Poisson wins and "
                                  "binomial churn (false: smooth expected values)", default=False),
            "correlations": ListOf(Record({
                "between": ListOf(Text(), "two uncertain inputs by their key path, e.g. "
                                          "segments.smb.acquisition.cac"),
                "rank": Number("target rank (Spearman) correlation", low=-1.0, high=1.0,
                               dist=False),
            }, "one rank correlation between two uncertain inputs"),
                "rank correlations between uncertain inputs (Iman-Conover)", default=[]),
            "if_correlations_invalid": Text("when the correlations cannot all hold at once (the "
                                            "matrix is not positive semidefinite): stop with an "
                                            "error, or use the nearest valid matrix with a warning",
                                            choices=("error", "nearest"), default="error",
                                            meanings={"error": "stop with an error",
                                                      "nearest": "use the nearest valid matrix "
                                                                 "(Higham 2002), with a warning"}),
        }, "how the simulation runs: paths, seed, sampling, month-to-month noise and "
           "correlations", default={}),
        "opening": Record({
            "cash": Number("cash at the start", unit="currency"),
            "from_actuals": Text("a subscription ledger (CSV, path relative to this file): each "
                                 "segment's opening book, with its real ages, comes from it "
                                 "(docs/actuals.md)", default=None),
            "as_of": Month("the ledger's closed month the plan starts from (the month before "
                           "start, the default)", default=None),
            "mapping": Text("the ledger's column mapping (YAML, path relative to this file)",
                            default=None),
        }, "the company at the start: its cash, and optionally its book from a ledger"),
        "segments": MapOf(_segment(), "segment name -> its economics", min_items=1,
                          key=SegmentName()),
        "costs": Record({
            "cogs": Record({
                "hosting_pct_of_revenue": per_segment("hosting and third-party cost as a share of "
                                                      "revenue", low=0.0, high=1.0, typical=(0.0, 0.5)),
                "per_customer_monthly": per_segment("cost to serve one customer per month",
                                                    low=0.0),
            }, "cost of revenue (COGS): hosting and the cost to serve customers", default={}),
            "headcount": ListOf(_role(), "roles with salaries and hires", default=[],
                                named_by="role"),
            "opex": ListOf(_opex_line(), "other operating expenses", default=[], named_by="name"),
        }, "costs: cost of revenue, headcount and other operating expenses", default={}),
        "funding": funding_spec(),
    }, "A planner scenario")


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of the scenario format."""
    out = scenario_spec().schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    # no title: yaml-language-server would head every hover with it (its "closest title")
    out["$defs"] = {"distribution": distribution_schema(), **grouped_number_defs()}
    return out
