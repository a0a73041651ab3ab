"""The bad-input corpus: every kind of mistake a user can make in a scenario file.

Each case mutates the bundled example (``scenarios/series_a_midmarket.yaml``), dumps
it to YAML and asserts the exact problem line(s) ``file:line: dotted.path: message``.
So that an edit of the example does not shift every expected line number, a case
names the line by *anchors*: text that starts the line holding the bad node, searched
for in order (``("enterprise:", "curve:")`` is the first ``curve:`` after
``enterprise:``). Line numbers of hand-written YAML are pinned literally in
``test_line_numbers_of_a_literal_file`` and friends.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import planner
from planner import ScenarioError

EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "series_a_midmarket.yaml"
BASE = yaml.safe_load(EXAMPLE.read_text())
FILE = "s.yaml"


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Run in tmp_path so problem lines start with the short, relative name ``s.yaml``."""
    monkeypatch.chdir(tmp_path)


# ---------------------------------------------------------------------------- helpers
def _key_path(dotted: str) -> list:
    """``costs.headcount.0.hires.2026-06`` -> keys; all-digit parts are ints (list index,
    or an age key of a curve)."""
    return [int(p) if p.isdigit() else p for p in dotted.split(".")]


def set_(dotted: str, value):
    def mutate(data):
        *parents, last = _key_path(dotted)
        node = data
        for part in parents:
            node = node[part]
        node[last] = value
    return mutate


def del_(dotted: str):
    def mutate(data):
        *parents, last = _key_path(dotted)
        node = data
        for part in parents:
            node = node[part]
        del node[last]
    return mutate


def rename(dotted: str, new: str):
    """Rename a key, keeping its place in the mapping (a typo made in the editor)."""
    def mutate(data):
        *parents, last = _key_path(dotted)
        node = data
        for part in parents:
            node = node[part]
        items = [(new if k == last else k, v) for k, v in node.items()]
        node.clear()
        node.update(items)
    return mutate


def dump(*mutations) -> str:
    data = copy.deepcopy(BASE)
    for mutate in mutations:
        mutate(data)
    return yaml.safe_dump(data, sort_keys=False, width=1000)


def line_of(text: str, anchors) -> int:
    """1-based line of the last anchor, each searched after the previous one."""
    anchors = (anchors,) if isinstance(anchors, str) else anchors
    lines = text.splitlines()
    at = 0
    for anchor in anchors:
        at = next(i for i in range(at, len(lines)) if lines[i].strip().lstrip("- ").startswith(anchor))
    return at + 1


def problems(text: str, overrides=()) -> list[str]:
    Path(FILE).write_text(text)
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(FILE, overrides)
    return [str(p) for p in info.value.problems]


def expected_lines(text: str, expected) -> list[str]:
    return by_line([f"{FILE}:{line_of(text, anchors)}: {rest}" for anchors, rest in expected])


def by_line(lines: list[str]) -> list[str]:
    """Problems are reported in file order (stable for problems on the same line)."""
    return sorted(lines, key=lambda line: int(line.split(":")[1]))


# ------------------------------------------------------------------------- the corpus
DISTS = "normal, lognormal, triangular, pert, uniform, truncnorm, beta, poisson, binomial, choice"
TOP_KEYS = "name, description, start, horizon_months, currency, simulation, opening, segments, costs, funding"
CAC = "segments.smb.acquisition.cac"
CURVE = "segments.enterprise.retention.curve"
SMB_RET = "segments.smb.retention"
SERIES = "a number, a distribution ({dist: ...}), {start, monthly_growth or annual_growth} or {schedule: {YYYY-MM: value}}"

CORPUS = [
    # --- values out of range
    pytest.param([set_("segments.smb.expansion.monthly_rate", 1.5)],
                 [(("smb:", "monthly_rate:"), "segments.smb.expansion.monthly_rate: must be between 0 and 1 (got 1.5)")],
                 id="probability-above-1"),
    pytest.param([set_("segments.midmarket.retention.annual_churn", -0.1)],
                 [("annual_churn:", "segments.midmarket.retention.annual_churn: must be >= 0 and < 1 (got -0.1)")],
                 id="probability-negative"),
    pytest.param([set_("segments.smb.price.arpa", -5)],
                 [("arpa: -5", "segments.smb.price.arpa: must be >= 0 (got -5)")],
                 id="negative-price"),
    pytest.param([set_("costs.headcount.0.salary", -1)],
                 [("salary: -1", "costs.headcount[0].salary: must be >= 0 (got -1)")],
                 id="negative-salary"),
    pytest.param([set_("horizon_months", 0)],
                 [("horizon_months:", "horizon_months: must be between 1 and 240 (got 0)")],
                 id="horizon-zero"),
    pytest.param([set_("horizon_months", -12)],
                 [("horizon_months:", "horizon_months: must be between 1 and 240 (got -12)")],
                 id="horizon-negative"),
    pytest.param([set_("horizon_months", 24.5)],
                 [("horizon_months:", "horizon_months: must be a whole number (got 24.5)")],
                 id="horizon-fraction"),
    pytest.param([set_("costs.headcount.1.hires", {"2027-06": 2, "2027-08": -9})],
                 [(("role: SDR", "hires:"), "costs.headcount[1].hires: headcount would fall below zero in 2027-08 (got -1)")],
                 id="headcount-negative"),
    pytest.param([set_("costs.headcount.0.hires.2027-05", 1.5)],
                 [("2027-05: 1.5", "costs.headcount[0].hires.2027-05: must be a whole number (got 1.5)")],
                 id="hires-fraction"),
    # --- dates outside the horizon (2027-01 to 2031-12)
    pytest.param([set_("costs.headcount.0.hires.2026-06", 1)],
                 [("2026-06:", "costs.headcount[0].hires.2026-06: month 2026-06 is outside the horizon 2027-01 to 2031-12")],
                 id="hire-before-start"),
    pytest.param([set_("costs.headcount.0.hires.2032-01", 1)],
                 [("2032-01:", "costs.headcount[0].hires.2032-01: month 2032-01 is outside the horizon 2027-01 to 2031-12")],
                 id="hire-after-horizon"),
    pytest.param([set_("funding.plans.one_round.0.month", "2026-12")],
                 [("month: 2026-12", "funding.plans.one_round[0].month: month 2026-12 is outside the horizon "
                                     "2027-01 to 2031-12")],
                 id="round-before-start"),
    pytest.param([set_("horizon_months", 12)],
                 [(("enterprise:", when), f"segments.enterprise.acquisition.new_customers.schedule.{when}: "
                                            f"month {when} is outside the horizon 2027-01 to 2027-12")
                    for when in ("2028-01", "2029-01", "2030-01")]
                 + [((role, when), f"costs.headcount[{i}].hires.{when}: month {when} is outside the horizon "
                                   f"2027-01 to 2027-12")
                    for i, role, when in [(0, "role: Account", "2028-04"), (0, "role: Account", "2029-01"),
                                          (0, "role: Account", "2030-01"), (1, "role: SDR", "2028-06"),
                                          (1, "role: SDR", "2029-06"), (2, "role: Marketing", "2028-09"),
                                          (3, "role: Engineer", "2028-03"), (3, "role: Engineer", "2029-03"),
                                          (3, "role: Engineer", "2030-03"), (4, "role: Customer", "2028-07"),
                                          (4, "role: Customer", "2029-07"), (4, "role: Customer", "2030-07"),
                                          (5, "role: G&A", "2028-05"), (5, "role: G&A", "2029-05")]]
                 + [((plan, f"{key}: {when}"), f"funding.plans.{plan[:-1]}[{i}].{key}: month {when} is outside "
                                                f"the horizon 2027-01 to 2027-12")
                    for plan, i, key, when in [("one_round:", 0, "month", "2028-07"),
                                               ("staged:", 0, "month", "2028-01"),
                                               ("staged:", 1, "not_before", "2029-01"),
                                               ("staged:", 1, "deadline", "2030-06"),
                                               ("debt_then_equity:", 1, "month", "2028-10")]],
                 id="horizon-shortened-strands-every-later-date"),
    pytest.param([set_("start", "Jan 2027")],
                 [("start:", "start: must be a month written YYYY-MM (got 'Jan 2027')")],
                 id="start-not-a-month"),
    pytest.param([set_("start", "2027-13")],
                 [("start:", "start: must be a month written YYYY-MM (got '2027-13')")],
                 id="start-month-13"),
    pytest.param([set_("costs.headcount.0.hires.April", 1)],
                 [("April:", "costs.headcount[0].hires.April: must be a month written YYYY-MM (got 'April')")],
                 id="hire-month-not-a-month"),
    # --- unknown keys, did you mean
    pytest.param([rename("horizon_months", "horizon_month")],
                 [("horizon_month:", "horizon_month: unknown key; did you mean 'horizon_months'?"),
                  ("name:", "horizon_months: is required: months simulated")],
                 id="typo-top-level"),
    pytest.param([rename("segments.smb.price.arpa", "arpu")],
                 [("arpu:", "segments.smb.price.arpu: unknown key; did you mean 'arpa'?"),
                  (("smb:", "price:"), "segments.smb.price.arpa: is required: MRR of a new customer (average "
                                       "revenue per account, per month)")],
                 id="typo-nested"),
    pytest.param([rename("segments.midmarket.expansion.contraction_monthly_rate", "contraction_rate")],
                 [("contraction_rate:", "segments.midmarket.expansion.contraction_rate: unknown key; did you "
                                        "mean 'contraction_monthly_rate'?")],
                 id="typo-optional-key"),
    pytest.param([set_("ebitda_target", 5)],
                 [("ebitda_target:", f"ebitda_target: unknown key; expected one of {TOP_KEYS}")],
                 id="unknown-key-no-close-match"),
    pytest.param([set_("costs.headcount.0.department", "sale")],
                 [("department: sale", "costs.headcount[0].department: must be one of sales, marketing, rnd, cs, "
                                       "ga; did you mean 'sales'? (got 'sale')")],
                 id="choice-typo"),
    pytest.param([set_("segments.smb.retention.model", "sgb")],
                 [("model: sgb", f"{SMB_RET}.model: must be one of constant, curve, sbg; did you mean 'sbg'? (got 'sgb')")],
                 id="retention-model-typo"),
    pytest.param([del_("segments.smb.retention.model")],
                 [(("smb:", "retention:"), f"{SMB_RET}.model: is required: one of constant, curve, sbg")],
                 id="retention-model-missing"),
    # --- wrong types
    pytest.param([set_("opening.cash", "lots")],
                 [("cash:", "opening.cash: must be a number, a distribution ({dist: ...}) or a 90% interval 'LOW to HIGH' (got 'lots')")],
                 id="text-for-number"),
    pytest.param([set_("opening.cash", True)],
                 [("cash:", "opening.cash: must be a number, a distribution ({dist: ...}) or a 90% interval 'LOW to HIGH' (got True)")],
                 id="boolean-for-number"),
    pytest.param([set_("opening", [1, 2])],
                 [("opening:", "opening: must be a mapping of keys to values (got a list)")],
                 id="list-for-mapping"),
    pytest.param([set_("costs.headcount", {"role": "CEO"})],
                 [("headcount:", "costs.headcount: must be a list (got a mapping)")],
                 id="mapping-for-list"),
    pytest.param([set_("segments", [])],
                 [("segments:", "segments: must be a mapping (got a list)")],
                 id="segments-a-list"),
    pytest.param([set_("segments", {})],
                 [("segments:", "segments: needs at least 1 entry")],
                 id="no-segments"),
    pytest.param([set_("segments.smb", None)],
                 [(("segments:", "smb:"), "segments.smb: must be a mapping of keys to values (got nothing)")],
                 id="empty-segment"),
    pytest.param([set_("name", 5)],
                 [("name:", "name: must be a non-empty text (got 5)")],
                 id="number-for-text"),
    pytest.param([set_("segments.smb.acquisition.marketing_budget", "lots")],
                 [("marketing_budget:", f"segments.smb.acquisition.marketing_budget: must be {SERIES} (got 'lots')")],
                 id="series-wrong-type"),
    pytest.param([set_("costs.opex.0.monthly", {"start": 45000})],
                 [(("opex:", "monthly:"), "costs.opex[0].monthly: needs exactly one of monthly_growth, annual_growth "
                                          "(got none)")],
                 id="growth-without-rate"),
    pytest.param([set_("costs.cogs.per_customer_monthly", "cheap")],
                 [("per_customer_monthly:", "costs.cogs.per_customer_monthly: must be a number, a distribution "
                                            "({dist: ...}) or a mapping segment name -> value (got 'cheap')")],
                 id="per-segment-wrong-type"),
    # --- distributions
    pytest.param([set_(CAC, {"dist": "gamma", "k": 2})],
                 [("dist: gamma", f"{CAC}.dist: unknown distribution (got 'gamma'); expected one of {DISTS}")],
                 id="dist-unknown-family"),
    pytest.param([set_(CAC, {"dist": "lognorml", "median": 2400, "p90": 3400})],
                 [("dist: lognorml", f"{CAC}.dist: unknown distribution (got 'lognorml'); expected one of {DISTS}; "
                                     "did you mean 'lognormal'?")],
                 id="dist-family-typo"),
    pytest.param([set_(CAC, {"median": 2400, "p90": 3400})],
                 [(("smb:", "cac:"), f"{CAC}.dist: is required: the distribution family, one of {DISTS}")],
                 id="dist-key-missing"),
    pytest.param([set_(CAC, {"dist": "lognormal", "median": 2400})],
                 [(("smb:", "cac:"), f"{CAC}: lognormal takes {{median, p90}} or {{mean, sd}} (got {{median}})")],
                 id="dist-missing-parameter"),
    pytest.param([set_(CAC, {"dist": "lognormal", "median": 2400, "p90": 3400, "sd": 300})],
                 [(("smb:", "cac:"), f"{CAC}: lognormal takes {{median, p90}} or {{mean, sd}} (got {{median, p90, sd}})")],
                 id="dist-extra-parameter"),
    pytest.param([set_(CAC, {"dist": "lognormal", "median": 2400, "p90": 2000})],
                 [(("smb:", "cac:"), f"{CAC}: p90 must be > median (got p90=2000, median=2400)")],
                 id="p90-below-median"),
    pytest.param([set_(CAC, {"dist": "lognormal", "median": 2400, "p90": 2400})],
                 [(("smb:", "cac:"), f"{CAC}: p90 must be > median (got p90=2400, median=2400)")],
                 id="p90-equal-median"),
    pytest.param([set_(CAC, {"dist": "lognormal", "mean": -1, "sd": 300})],
                 [(("smb:", "cac:"), f"{CAC}: mean and sd must be > 0 (got mean=-1, sd=300)")],
                 id="lognormal-negative-mean"),
    pytest.param([set_(CAC, {"dist": "lognormal", "median": "big", "p90": 3400})],
                 [("median: big", f"{CAC}.median: must be a number (got 'big')")],
                 id="dist-parameter-not-a-number"),
    pytest.param([set_("segments.smb.expansion.monthly_rate.mode", 0.01)],
                 [(("smb:", "monthly_rate:"), "segments.smb.expansion.monthly_rate: needs low <= mode <= high "
                                              "(got low=0.001, mode=0.01, high=0.007)")],
                 id="triangular-mode-above-high"),
    pytest.param([set_("segments.midmarket.acquisition.new_customers.start.mode", 2)],
                 [(("midmarket:", "new_customers:", "start:"), "segments.midmarket.acquisition.new_customers.start: "
                                                               "needs low <= mode <= high (got low=4, mode=2, high=8)")],
                 id="pert-mode-below-low"),
    pytest.param([set_("segments.midmarket.expansion.monthly_rate", {"dist": "triangular", "low": 0.01, "mode": 0.01,
                                                                     "high": 0.01})],
                 [(("midmarket:", "monthly_rate:"), "segments.midmarket.expansion.monthly_rate: needs low < high "
                                                    "(got low = high = 0.01)")],
                 id="triangular-zero-width"),
    pytest.param([set_("segments.midmarket.expansion.monthly_rate", {"dist": "uniform", "low": 0.02, "high": 0.01})],
                 [(("midmarket:", "monthly_rate:"), "segments.midmarket.expansion.monthly_rate: needs low < high "
                                                    "(got low=0.02, high=0.01)")],
                 id="uniform-low-above-high"),
    pytest.param([set_("segments.midmarket.expansion.monthly_rate", {"dist": "normal", "mean": 0.01, "sd": 0})],
                 [(("midmarket:", "monthly_rate:"), "segments.midmarket.expansion.monthly_rate: sd must be > 0 (got 0)")],
                 id="normal-zero-sd"),
    pytest.param([set_("segments.midmarket.retention", {"model": "constant", "monthly_churn": {
                     "dist": "normal", "mean": 0.02, "sd": 0.05}})],
                 [("monthly_churn:", "segments.midmarket.retention.monthly_churn: normal(mean=0.02, sd=0.05) puts 34.5% "
                                     "of its draws outside the valid range (>= 0 and < 1); narrow it or pick a "
                                     "bounded distribution")],
                 id="normal-probability-mass-below-0"),
    pytest.param([set_("costs.headcount.0.salary", {"dist": "normal", "mean": 100000, "sd": 80000})],
                 [(("role: Account", "salary:"), "costs.headcount[0].salary: normal(mean=100000, sd=80000) puts 10.6% "
                                                 "of its draws outside the valid range (>= 0); narrow it or pick a "
                                                 "bounded distribution")],
                 id="normal-salary-mass-below-0"),
    pytest.param([set_("segments.midmarket.retention.annual_churn", {"dist": "uniform", "low": 0.05, "high": 0.15})],
                 [("annual_churn:", "segments.midmarket.retention.annual_churn: a distribution here must be given as "
                                    "monthly_churn")],
                 id="annual-churn-distribution"),
    pytest.param([set_(CAC, {"dist": "lognormal", "median": 1e-300, "p90": 1e300})],
                 [(("smb:", "cac:"), f"{CAC}: lognormal(median=1e-300, p90=1e+300) is too wide to compute with (its "
                                     "0.1% to 99.9% range overflows); check the parameters")],
                 id="dist-overflowing"),
    pytest.param([set_("opening.cash", 10 ** 400)],
                 [("cash:", "opening.cash: a number of 401 characters is too long (at most 400)")],
                 id="integer-too-long-for-a-float"),
    pytest.param([set_("horizon_months", {"dist": "uniform", "low": 12, "high": 24})],
                 [("horizon_months:", "horizon_months: must be a number (got a mapping)")],
                 id="distribution-where-only-a-number"),
    # --- retention curves
    pytest.param([set_(f"{CURVE}.24", 0.96)],
                 [(("enterprise:", "24: 0.96"), f"{CURVE}[24]: survival cannot rise with age (0.95 at age 12, 0.96 at age 24)")],
                 id="survival-rises-with-age"),
    pytest.param([set_(f"{CURVE}.0", 0.98)],
                 [(("enterprise:", "curve:"), f"{CURVE}: the survival curve must start at age 0 with 1.0 (got 0.98)")],
                 id="survival-not-starting-at-1"),
    pytest.param([set_(CURVE, {3: 1.0, 12: 0.9})],
                 [(("enterprise:", "curve:"), f"{CURVE}: the survival curve must start at age 0 with 1.0 (got first age 3)")],
                 id="survival-not-starting-at-age-0"),
    pytest.param([set_(CURVE, {0: 1.0, 12: 0.5, 24: 0.0})],
                 [(("enterprise:", "curve:"), f"{CURVE}: the last survival value must be > 0 (it is extended past the "
                                              "last age)")],
                 id="survival-ending-at-0"),
    pytest.param([set_(f"{CURVE}.12", 1.2)],
                 [(("enterprise:", "12: 1.2"), f"{CURVE}[12]: must be between 0 and 1 (got 1.2)")],
                 id="survival-above-1"),
    pytest.param([set_(CURVE, {0: 1.0})],
                 [(("enterprise:", "curve:"), f"{CURVE}: needs at least 2 entries")],
                 id="survival-one-point"),
    pytest.param([set_("segments.smb.expansion", {"mrr_per_customer_curve": {0: 0.9, 12: 1.1}})],
                 [(("smb:", "mrr_per_customer_curve:"), "segments.smb.expansion.mrr_per_customer_curve: "
                                                       "mrr_per_customer_curve must start at age 0 with 1.0 (got 0.9)")],
                 id="mrr-curve-not-starting-at-1"),
    pytest.param([set_("segments.smb.expansion.mrr_per_customer_curve", {0: 1.0, 12: 1.1})],
                 [(("smb:", "expansion:"), "segments.smb.expansion: give either mrr_per_customer_curve or the monthly "
                                           "rates, not both")],
                 id="mrr-curve-and-rates"),
    # --- sBG covariance
    pytest.param([set_(f"{SMB_RET}.log_cov", [[0.04, 0, 0], [0, 0.05, 0], [0, 0, 1]])],
                 [("log_cov:", f"{SMB_RET}.log_cov: must be a 2x2 matrix [[var_a, cov], [cov, var_b]]")],
                 id="log-cov-3x3"),
    pytest.param([set_(f"{SMB_RET}.log_cov", [[0.04, 0.01], [0.05]])],
                 [("log_cov:", f"{SMB_RET}.log_cov: must be a 2x2 matrix [[var_a, cov], [cov, var_b]]")],
                 id="log-cov-ragged"),
    pytest.param([set_(f"{SMB_RET}.log_cov", [[0.04, 0.1], [0.1, 0.05]])],
                 [("log_cov:", f"{SMB_RET}.log_cov: must be symmetric and positive semidefinite")],
                 id="log-cov-not-psd"),
    pytest.param([set_(f"{SMB_RET}.log_cov", [[0.04, 0.01], [0.02, 0.05]])],
                 [("log_cov:", f"{SMB_RET}.log_cov: must be symmetric and positive semidefinite")],
                 id="log-cov-not-symmetric"),
    pytest.param([set_(f"{SMB_RET}.log_cov", [[0.04, "x"], [0.01, 0.05]])],
                 [(("log_cov:", "x"), f"{SMB_RET}.log_cov[0][1]: must be a number (got 'x')")],
                 id="log-cov-not-numbers"),
    pytest.param([set_(f"{SMB_RET}.log_cov", [[0.04, 0.01], [0.01, 0.05]]),
                  set_(f"{SMB_RET}.alpha", {"dist": "uniform", "low": 0.5, "high": 1.0})],
                 [("log_cov:", f"{SMB_RET}.log_cov: needs alpha and beta as numbers (the fitted estimates), not "
                               "distributions")],
                 id="log-cov-with-distribution"),
    pytest.param([set_(f"{SMB_RET}.alpha", 0)],
                 [("alpha:", f"{SMB_RET}.alpha: must be > 0 (got 0)")],
                 id="sbg-alpha-zero"),
    # --- contracts and acquisition
    pytest.param([set_("segments.midmarket.contract.billing", 5)],
                 [(("midmarket:", "billing:"), "segments.midmarket.contract.billing: the billing period (5 months) must "
                                               "divide the contract term (12 months)")],
                 id="billing-not-dividing-term"),
    pytest.param([set_("segments.smb.contract.billing", "quarterly")],
                 [(("smb:", "billing:"), "segments.smb.contract.billing: the billing period (3 months) must divide the "
                                         "contract term (1 month)")],
                 id="billing-longer-than-term"),
    pytest.param([set_("segments.smb.contract.billing", "yearly")],
                 [(("smb:", "billing:"), "segments.smb.contract.billing: must be one of monthly, quarterly, "
                                         "semiannual, annual (got 'yearly')")],
                 id="billing-unknown-name"),
    pytest.param([set_("segments.smb.contract.term_months", 0)],
                 [("term_months: 0", "segments.smb.contract.term_months: must be >= 1 (got 0)")],
                 id="term-zero"),
    pytest.param([set_("segments.smb.contract.payment_terms_days", 400)],
                 [("payment_terms_days: 400", "segments.smb.contract.payment_terms_days: must be between 0 and 365 "
                                              "(got 400)")],
                 id="payment-terms-too-long"),
    pytest.param([del_(CAC)],
                 [(("smb:", "acquisition:"), f"{CAC}: is required with marketing_budget")],
                 id="cac-missing-with-marketing-budget"),
    pytest.param([set_("segments.midmarket.acquisition.cac", 8000)],
                 [(("midmarket:", "cac:"), "segments.midmarket.acquisition.cac: applies only with "
                                                   "marketing_budget")],
                 id="cac-with-new-customers"),
    pytest.param([set_("segments.smb.acquisition.new_customers", 20)],
                 [(("smb:", "acquisition:"), "segments.smb.acquisition: needs exactly one of new_customers, "
                                             "marketing_budget, funnel (got new_customers, marketing_budget)")],
                 id="both-new-customers-and-marketing-budget"),
    pytest.param([set_("segments.smb.acquisition", {})],
                 [(("smb:", "acquisition:"), "segments.smb.acquisition: needs exactly one of new_customers, "
                                             "marketing_budget, funnel (got none)")],
                 id="no-acquisition"),
    pytest.param([set_(CAC, 0)],
                 [(("smb:", "cac:"), f"{CAC}: must be > 0 (got 0)")],
                 id="cac-zero"),
    # --- references to segments
    pytest.param([set_("costs.cogs.per_customer_monthly.smbb", 5)],
                 [("smbb:", "costs.cogs.per_customer_monthly.smbb: no segment named 'smbb'; did you mean 'smb'?")],
                 id="unknown-segment-did-you-mean"),
    pytest.param([set_("costs.cogs.per_customer_monthly.consumer", 5)],
                 [("consumer:", "costs.cogs.per_customer_monthly.consumer: no segment named 'consumer'; segments are "
                                "smb, midmarket, enterprise")],
                 id="unknown-segment"),
    pytest.param([set_("costs.cogs.hosting_pct_of_revenue", {"smb": 0.1, "mid_market": 0.08})],
                 [("mid_market:", "costs.cogs.hosting_pct_of_revenue.mid_market: no segment named 'mid_market'; "
                                  "did you mean 'midmarket'?"),
                  ("hosting_pct_of_revenue:", "costs.cogs.hosting_pct_of_revenue: no value for segments midmarket, "
                                              "enterprise (give every segment a value, 0 if none)")],
                 id="unknown-segment-hosting"),
]


@pytest.mark.parametrize("mutations, expected", CORPUS)
def test_corpus(mutations, expected):
    text = dump(*mutations)
    assert problems(text) == expected_lines(text, expected)


def test_the_example_itself_is_valid():
    text = dump()
    Path(FILE).write_text(text)
    assert planner.load_scenario(FILE).name == "series-a-midmarket"


def test_several_problems_in_one_file_are_reported_together():
    """Field problems and cross-key problems (dates, segments, billing) come out in one go."""
    text = dump(rename("horizon_months", "horizon_month"), set_("horizon_months", 60),
                set_("segments.smb.price.arpa", -1),
                set_("costs.headcount.0.hires.2040-01", 2),
                set_("costs.cogs.per_customer_monthly.smbb", 5),
                set_("segments.midmarket.contract.billing", 5),
                set_(f"{CURVE}.24", 0.96),
                set_(CAC, {"dist": "lognormal", "median": 2400, "p90": 2000}))
    got = problems(text)
    assert len(got) == 7
    assert got == expected_lines(text, [
        ("horizon_month:", "horizon_month: unknown key; did you mean 'horizon_months'?"),
        ("arpa: -1", "segments.smb.price.arpa: must be >= 0 (got -1)"),
        (("smb:", "cac:"), f"{CAC}: p90 must be > median (got p90=2000, median=2400)"),
        ("smbb:", "costs.cogs.per_customer_monthly.smbb: no segment named 'smbb'; did you mean 'smb'?"),
        (("midmarket:", "billing:"), "segments.midmarket.contract.billing: the billing period (5 months) must "
                                     "divide the contract term (12 months)"),
        (("enterprise:", "24: 0.96"), f"{CURVE}[24]: survival cannot rise with age (0.95 at age 12, 0.96 at age 24)"),
        ("2040-01:", "costs.headcount[0].hires.2040-01: month 2040-01 is outside the horizon 2027-01 to 2031-12"),
    ])


def test_a_broken_field_does_not_hide_unrelated_cross_key_problems():
    """A bad start month skips only the date checks; a list of segments skips only segment references."""
    text = dump(set_("start", "soon"), set_("segments.smb.contract.billing", "annual"))
    assert problems(text) == expected_lines(text, [
        ("start:", "start: must be a month written YYYY-MM (got 'soon')"),
        (("smb:", "billing:"), "segments.smb.contract.billing: the billing period (12 months) must divide the "
                               "contract term (1 month)"),
    ])
    text = dump(set_("segments", "none"), set_("costs.headcount.1.hires.2027-08", -9))
    assert problems(text) == expected_lines(text, [
        ("segments:", "segments: must be a mapping (got 'none')"),
        (("role: SDR", "hires:"), "costs.headcount[1].hires: headcount would fall below zero in 2027-08 (got -1)"),
    ])


def test_broken_blocks_everywhere_give_problems_not_a_crash():
    text = dump(set_("costs", 5), set_("funding.rounds", [5, {"name": "B", "month": "bad", "amount": 1}]),
                set_("segments.midmarket.acquisition", 5), set_(f"{CURVE}", {"a": 1.0, "b": 0.5}),
                set_(f"{SMB_RET}.log_cov", [1, 2]))
    assert problems(text) == expected_lines(text, [
        (("smb:", "log_cov:", "1"), f"{SMB_RET}.log_cov[0]: must be a list (got 1)"),
        (("smb:", "log_cov:", "2"), f"{SMB_RET}.log_cov[1]: must be a list (got 2)"),
        (("midmarket:", "acquisition:"), "segments.midmarket.acquisition: must be a mapping of keys to values (got 5)"),
        (("enterprise:", "a: 1.0"), f"{CURVE}.a: must be a number (got 'a')"),
        (("enterprise:", "b: 0.5"), f"{CURVE}.b: must be a number (got 'b')"),
        ("costs:", "costs: must be a mapping of keys to values (got 5)"),
        (("rounds:", "5"), "funding.rounds[0]: must be a mapping of keys to values (got 5)"),
        ("month: bad", "funding.rounds[1].month: must be a month written YYYY-MM (got 'bad')"),
    ])


# --------------------------------------------------------- hand-written YAML, exact lines
SMALL = """\
name: tiny
start: 2027-01
horizon_months: 24
opening:
  cash: 1000000
segments:
  smb:
    price: {arpa: 100}
    acquisition:
      new_customers: 10
    retention: {model: constant, monthly_churn: 0.02}
costs:
  headcount:
    - role: Engineer
      department: rnd
      salary: 150000
      hires: {2027-03: 2}
"""


def test_the_small_literal_file_is_valid():
    Path(FILE).write_text(SMALL)
    sc = planner.load_scenario(FILE)
    assert sc.horizon == 24 and sc.segments[0].name == "smb"


def test_line_numbers_of_a_literal_file():
    text = """\
name: tiny
start: 2027-01
horizon_months: 24
opening:
  cash: 1000000
segments:
  smb:
    price: {arpa: -100, anual_increase: 0.03}
    acquisition:
      new_customers: 10
    retention:
      model: constant
      monthly_churn: 1.2
    contract:
      term_months: 12
      billing: 5
costs:
  cogs:
    per_customer_monthly: {smb: 5, ent: 9}
  headcount:
    - role: Engineer
      department: rnd
      salary: 150000
      hires:
        2027-03: 2
        2029-02: 1
"""
    assert problems(text) == by_line([
        "s.yaml:8: segments.smb.price.anual_increase: unknown key; did you mean 'annual_increase'?",
        "s.yaml:8: segments.smb.price.arpa: must be >= 0 (got -100)",
        "s.yaml:13: segments.smb.retention.monthly_churn: must be >= 0 and < 1 (got 1.2)",
        "s.yaml:19: costs.cogs.per_customer_monthly.ent: no segment named 'ent'; segments are smb",
        "s.yaml:16: segments.smb.contract.billing: the billing period (5 months) must divide the contract term "
        "(12 months)",
        "s.yaml:26: costs.headcount[0].hires.2029-02: month 2029-02 is outside the horizon 2027-01 to 2028-12",
    ])


def test_missing_keys_point_at_their_parent():
    text = "name: tiny\nstart: 2027-01\nhorizon_months: 24\nopening: {cash: 1}\nsegments:\n  smb:\n" \
           "    price: {}\n    acquisition: {new_customers: 1}\n"
    assert problems(text) == by_line([
        "s.yaml:7: segments.smb.price.arpa: is required: MRR of a new customer (average revenue per account, "
        "per month)",
        "s.yaml:6: segments.smb.retention: is required: a mapping with model: constant, curve or sbg",
    ])


@pytest.mark.parametrize("text, expected", [
    pytest.param(SMALL.replace("horizon_months: 24\n", "horizon_months: 24\nhorizon_months: 36\n"),
                 ["s.yaml:4: horizon_months: duplicate key (each key may appear once)"], id="top-level"),
    pytest.param(SMALL.replace("      salary: 150000\n", "      salary: 150000\n      salary: 160000\n"),
                 ["s.yaml:17: costs.headcount[0].salary: duplicate key (each key may appear once)"], id="nested"),
    pytest.param(SMALL.replace("{arpa: 100}", "{arpa: 100, arpa: 120}"),
                 ["s.yaml:8: segments.smb.price.arpa: duplicate key (each key may appear once)"], id="flow-mapping"),
    pytest.param(SMALL.replace("  smb:\n", "  smb:\n    price: {arpa: 5}\n", 1).replace("      new_customers: 10\n",
                                                                                     "      new_customers: 10\n"
                                                                                     "      new_customers: 20\n"),
                 ["s.yaml:9: segments.smb.price: duplicate key (each key may appear once)",
                  "s.yaml:12: segments.smb.acquisition.new_customers: duplicate key (each key may appear once)"],
                 id="two-duplicates"),
])
def test_duplicate_keys(text, expected):
    assert problems(text) == expected


@pytest.mark.parametrize("text, expected", [
    pytest.param("name: [unclosed\nstart: 2027-01\n",
                 "s.yaml:2: not valid YAML: while parsing a flow sequence expected ',' or ']', but got ':'",
                 id="syntax"),
    pytest.param("name: x\n\tstart: 2027-01\n",
                 "s.yaml:2: not valid YAML: while scanning for the next token found character '\\t' that cannot "
                 "start any token", id="tab"),
    pytest.param("name: a\n---\nname: b\n",
                 "s.yaml:2: not valid YAML: expected a single document in the stream but found another document",
                 id="two-documents"),
    pytest.param("name: !!python/object:os.system x\n",
                 "s.yaml:1: not valid YAML: could not determine a constructor for the tag "
                 "'tag:yaml.org,2002:python/object:os.system'", id="python-tag"),
    pytest.param("name: a\nstart: 2027-01\x00\n",
                 "s.yaml:2: not valid YAML: contains the control character #x0000; is it a text file?",
                 id="control-character"),
    pytest.param("- name: a\n- name: b\n",
                 "s.yaml:1: the top level must be a mapping of keys (name:, start:, segments:, ...)",
                 id="top-level-list"),
    pytest.param("just some words\n",
                 "s.yaml:1: the top level must be a mapping of keys (name:, start:, segments:, ...)",
                 id="top-level-scalar"),
    pytest.param("month,arr\n2027-01,100\n",
                 "s.yaml:1: the top level must be a mapping of keys (name:, start:, segments:, ...)",
                 id="csv-text"),
    pytest.param("", "s.yaml: the file is empty; expected a scenario mapping (try `planner init`)", id="empty"),
    pytest.param("# only a comment\n\n",
                 "s.yaml: the file is empty; expected a scenario mapping (try `planner init`)", id="only-comments"),
    pytest.param("? [a, b]\n: 1\n", "s.yaml:1: [a, b]: keys must be plain names or numbers", id="list-as-key"),
])
def test_files_that_are_not_scenarios(text, expected):
    assert problems(text) == [expected]


def test_numbers_in_exponent_form_are_numbers():
    """PyYAML (YAML 1.1) reads ``1e6`` and ``2.5e6`` as text; a CFO means a number."""
    text = SMALL.replace("cash: 1000000", "cash: 1e6").replace("arpa: 100", "arpa: 2.5e2")
    Path(FILE).write_text(text)
    sc = planner.load_scenario(FILE, ["costs.headcount[0].salary=1.5e5"])
    assert sc.opening_cash == 1e6 and sc.segments[0].arpa == 250.0 and sc.roles[0].salary == 150000.0
    quoted = SMALL.replace("cash: 1000000", "cash: '1e6'")
    assert problems(quoted) == ["s.yaml:5: opening.cash: must be a number, a distribution ({dist: ...}) "
                                "or a 90% interval 'LOW to HIGH' (got '1e6')"]


def test_a_yes_key_is_shown_as_written():
    assert problems(SMALL + "yes: 1\n") == [f"s.yaml:18: yes: unknown key; expected one of {TOP_KEYS}"]


@pytest.mark.parametrize("content, expected", [
    pytest.param(bytes(range(256)), "s.yaml: not a UTF-8 text file (byte 128)", id="binary"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "s.yaml: not a UTF-8 text file (byte 0)", id="png"),
    pytest.param("name: caf\xe9\n".encode("latin-1"), "s.yaml: not a UTF-8 text file (byte 9)", id="latin-1"),
])
def test_binary_files(content, expected):
    Path(FILE).write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario(FILE)
    assert [str(p) for p in info.value.problems] == [expected]


def test_utf8_with_bom_is_fine():
    Path(FILE).write_bytes(b"\xef\xbb\xbf" + SMALL.encode())
    assert planner.load_scenario(FILE).name == "tiny"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario("nope.yaml")
    assert [str(p) for p in info.value.problems] == ["nope.yaml: file not found"]
    Path("folder").mkdir()
    with pytest.raises(ScenarioError) as info:
        planner.load_scenario("folder")
    assert [str(p) for p in info.value.problems] == ["folder: is a directory, not a scenario file"]


# --------------------------------------------------------------------- --set overrides
def test_a_good_override_changes_the_value():
    Path(FILE).write_text(dump())
    base = planner.load_scenario(FILE)
    sc = planner.load_scenario(FILE, ["segments.smb.price.arpa=450", "costs.headcount[0].salary=140000",
                                      "horizon_months=120", "segments.smb.acquisition.cac.median=2500"])
    assert base.segments[0].arpa == 420.0 and sc.segments[0].arpa == 450.0
    assert sc.roles[0].salary == 140000.0 and sc.horizon == 120
    cac = sc.segments[0].cac
    assert cac.dist.params == {"median": 2500.0, "p90": 3400.0}


def test_override_by_list_index_written_with_a_dot():
    Path(FILE).write_text(dump())
    assert planner.load_scenario(FILE, ["costs.headcount.1.start=9"]).roles[1].start == 9


@pytest.mark.parametrize("overrides, expected", [
    pytest.param(["segments.smb.price.arpa=-1"],
                 ["--set segments.smb.price.arpa=-1: segments.smb.price.arpa: must be >= 0 (got -1)"],
                 id="out-of-range"),
    pytest.param(["segments.smb.price.arpa=abc"],
                 ["--set segments.smb.price.arpa=abc: segments.smb.price.arpa: must be a number, a distribution "
                  "({dist: ...}) or a 90% interval 'LOW to HIGH' (got 'abc')"], id="text-for-number"),
    pytest.param(["segments.smb.price.arpu=450"],
                 ["--set segments.smb.price.arpu=450: segments.smb.price.arpu: unknown key; did you mean 'arpa'?"],
                 id="unknown-last-key"),
    pytest.param(["segments.smbb.price.arpa=450"],
                 ["--set segments.smbb.price.arpa=450: segments.smbb.price.arpa: no such entry in the scenario: "
                  "segments.smbb; did you mean 'smb'?"], id="bad-path"),
    pytest.param(["costs.headcount[9].salary=1"],
                 ["--set costs.headcount[9].salary=1: costs.headcount[9].salary: no such entry in the scenario: "
                  "costs.headcount[9] (costs.headcount has 6 entries)"], id="index-out-of-range"),
    pytest.param(["segments.smb.price.arpa.x=1"],
                 ["--set segments.smb.price.arpa.x=1: segments.smb.price.arpa.x: cannot set a key inside a single "
                  "value"], id="path-through-a-value"),
    pytest.param(["segments.smb.price=1"],
                 ["--set segments.smb.price=1: segments.smb.price: is not a single value (use the YAML file for "
                  "structured inputs)"], id="replaces-a-mapping"),
    pytest.param(["funding.plans.one_round[0]=1"],
                 ["--set funding.plans.one_round[0]=1: funding.plans.one_round[0]: is not a single value (use the "
                  "YAML file for structured inputs)"], id="replaces-a-list-item"),
    pytest.param(["segments.smb.price.arpa=[1, 2]"],
                 ["--set segments.smb.price.arpa=[1, 2]: segments.smb.price.arpa: the value must be a single number "
                  "or text"], id="list-value"),
    pytest.param(["segments.smb.price.arpa={dist: normal}"],
                 ["--set segments.smb.price.arpa={dist: normal}: segments.smb.price.arpa: the value must be a single "
                  "number or text"], id="mapping-value"),
    pytest.param(["segments.smb.price.arpa="],
                 ["--set segments.smb.price.arpa=: segments.smb.price.arpa: the value must be a single number or "
                  "text"], id="empty-value"),
    pytest.param(["arpa"], ["--set arpa: expected dotted.path=VALUE"], id="no-equals"),
    pytest.param(["=5"], ["--set =5: expected dotted.path=VALUE"], id="no-path"),
    pytest.param(["segments..smb=5"], ["--set segments..smb=5: expected dotted.path=VALUE"], id="empty-key"),
    pytest.param(["horizon_months=0", "segments.smb.price.arpa=-1"],
                 ["--set horizon_months=0: horizon_months: must be between 1 and 240 (got 0)",
                  "--set segments.smb.price.arpa=-1: segments.smb.price.arpa: must be >= 0 (got -1)"],
                 id="two-bad-overrides"),
])
def test_bad_overrides_name_the_set_option(overrides, expected):
    assert problems(dump(), overrides) == expected


def test_override_errors_and_file_errors_together():
    text = dump(set_("segments.smb.price.annual_increase", 2))
    assert problems(text, ["horizon_months=0"]) == [
        "--set horizon_months=0: horizon_months: must be between 1 and 240 (got 0)",
        f"s.yaml:{line_of(text, 'annual_increase: 2')}: segments.smb.price.annual_increase: must be between -0.5 "
        "and 1 (got 2)",
    ]


def test_an_override_that_moves_the_start_reports_the_dates_it_strands():
    text = dump()
    got = problems(text, ["start=2028-01"])
    assert got[0] == (f"s.yaml:{line_of(text, ('enterprise:', '2027-04'))}: segments.enterprise.acquisition."
                      "new_customers.schedule.2027-04: month 2027-04 is outside the horizon 2028-01 to 2032-12")
    assert all("is outside the horizon 2028-01 to 2032-12" in line for line in got)


def test_a_scenario_error_survives_pickling():
    """As it comes back from a worker process: the same problems, the same message."""
    import pickle

    from planner.errors import Problem

    error = ScenarioError([Problem("a.yaml", 3, "segments.smb.price.arpa", "must be positive (got -1)"),
                           Problem("a.yaml", None, "name", "is required")])
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ScenarioError and again.problems == error.problems
    assert str(again) == str(error)
