"""The lean engine of geometric scenarios gives the full engine's numbers, to the bit."""
import numpy as np
import pytest

import planner
from planner.engine import lean
from planner.engine.sampling import BLOCK
from planner.results import base_series

from conftest import ROOT, scenario_from_text

SIMPLE = (ROOT / "benchmarks" / "simple_model.yaml").read_text()

#: edits of the simple model that keep it geometric: (old text, new text)
VARIANTS = {
    "simple": [],
    "uncertain_rates_costs_and_opex": [
        ("monthly_rate: 0.01", "monthly_rate: {dist: triangular, low: 0.0, mode: 0.01, high: 0.03}"),
        ("contraction_monthly_rate: 0.003", "contraction_monthly_rate: {dist: uniform, low: 0, high: 0.01}"),
        ("payment_terms_days: 0}", "payment_terms_days: 0, bad_debt_rate: {dist: uniform, low: 0, high: 0.05}}"),
        ("hosting_pct_of_revenue: 0.15", "hosting_pct_of_revenue: {dist: uniform, low: 0.1, high: 0.2}\n"
         "    per_customer_monthly: {smb: {dist: uniform, low: 1, high: 4}}"),
        ("salary: 150000", "salary: {dist: triangular, low: 140000, mode: 150000, high: 180000}, annual_raise: 0.04"),
        ("funding:", "  opex:\n"
         "    - {name: Ads, department: marketing, monthly: {start: 5000, annual_growth: {dist: uniform, low: 0, high: 0.5}}}\n"
         "    - {name: Fees, department: ga, pct_of_revenue: {dist: uniform, low: 0.01, high: 0.03}}\n"
         "funding:"),
        ("age_months: 12}", "age_months: 7}"),
        ("marketing_budget: 60000", "marketing_budget: {start: {dist: uniform, low: 40000, high: 80000}, annual_growth: 0.2}"),
    ],
    "two_segments_and_a_funding_plan": [
        ("costs:", """  mid:
    opening: {customers: {dist: uniform, low: 40, high: 60}, mrr: 90000, age_months: 30}
    price: {arpa: 2000, annual_increase: 0.05}
    contract: {term_months: 1, billing: monthly, payment_terms_days: 0, bad_debt_rate: 0.01}
    acquisition:
      new_customers: {start: {dist: pert, low: 2, mode: 4, high: 7}, annual_growth: 0.3}
    retention: {model: constant, annual_churn: 0.2}
    expansion: {monthly_rate: 0.02}

costs:"""),
        ("plan: none", "minimum_cash: 250000\n  rounds:\n"
         "    - {name: Bridge, month: 2027-03, amount: {dist: uniform, low: 500000, high: 1500000}}\n"
         "  plan: staged"),
        ("    none: []", """    none: []
    staged:
      - {type: venture_debt, name: Loan, month: 2027-06, amount: 1000000,
         annual_rate: 0.12, interest_only_months: 6, amortisation_months: 18, fee: 0.01}
      - {type: milestone_equity, name: A, amount: 6000000, arr_at_least: 900000,
         not_before: 2027-06, deadline: 2029-06, pre_money_arr_multiple: {dist: triangular, low: 5, mode: 8, high: 12}}
      - {type: runway_equity, name: Rescue, amount: 2000000, runway_below_months: 4, not_before: 2027-01,
         pre_money: 8000000}"""),
    ],
    "steep_churn_short_horizon": [
        ("horizon_months: 60", "horizon_months: 3"),
        ("{dist: uniform, low: 0.02, high: 0.04}", "{dist: uniform, low: 0.3, high: 0.95}"),
        ("hires: {2027-07: 2, 2028-01: 2}", "hires: {2027-02: 2}"),
        ("hires: {2028-01: 1}", "hires: {2027-03: 1}"),
    ],
    "long_horizon_fast_growth": [
        ("horizon_months: 60", "horizon_months: 120"),
        ("monthly_rate: 0.01", "monthly_rate: 0.08"),
        ("{dist: uniform, low: 0.02, high: 0.04}", "0.0"),
    ],
}


#: eight more geometric segments before ``smb``: from 8 terms np.sum adds pairwise, so
#: totals must add up in its order whichever engine and ``by_segment``
EIGHT_MORE = "".join(f"""  s{i}:
    opening: {{customers: {100 + 37 * i}, mrr: {10000 + 3711 * i}, age_months: {3 + i}}}
    price: {{arpa: {97 + i}, annual_increase: 0.03}}
    contract: {{term_months: 1, billing: monthly, payment_terms_days: 0}}
    acquisition:
      marketing_budget: {20000 + 1234 * i}
      cac: {{dist: lognormal, median: {900 + 13 * i}, p90: {1400 + 29 * i}}}
    retention: {{model: constant, monthly_churn: {{dist: uniform, low: 0.02, high: 0.0{3 + i % 6}}}}}
    expansion: {{monthly_rate: 0.01}}
""" for i in range(8))
VARIANTS["nine_segments"] = [("segments:\n  smb:", "segments:\n" + EIGHT_MORE + "  smb:")]
#: commissions paid over 6 months (a BLAS product in the full engine, block by block),
#: certain churn under uncertain expansion, customers bought at a certain CAC
VARIANTS["commission_and_certain_churn"] = [
    ("cac: {dist: lognormal, median: 900, p90: 1400}",
     "cac: 900\n      commission: {rate: 0.1, paid_over_months: 6}"),
    ("{dist: uniform, low: 0.02, high: 0.04}", "0.03"),
    ("monthly_rate: 0.01", "monthly_rate: {dist: uniform, low: 0.0, high: 0.02}"),
]

#: new customers bought month by month from budgets that repeat for runs of months
#: (computed once a run) or change every month, at a price raised every year
VARIANTS["dated_budget_and_price_rises"] = [
    ("marketing_budget: 60000",
     "marketing_budget: {schedule: {2027-01: 60000, 2027-04: 0, 2027-05: 45000, 2028-02: 80000}}"),
    ("annual_increase: 0", "annual_increase: 0.07"),
]
VARIANTS["budget_growing_every_month"] = [
    ("marketing_budget: 60000", "marketing_budget: {start: 60000, monthly_growth: 0.013}"),
]


def variant(name: str, tmp_path) -> planner.Scenario:
    text = SIMPLE
    for old, new in VARIANTS[name]:
        assert old in text, old
        text = text.replace(old, new, 1)
    return scenario_from_text(text, tmp_path)


#: every series the lean engine gives, and the derived series made of them only
LEAN = sorted(lean.SEGMENT | lean.COMPANY | lean.FINANCING) + [
    "arr", "gross_profit", "opex", "ebitda", "funding", "net_cash_flow", "net_burn", "net_income"]


def full_run(scenario, monkeypatch, **kw):
    with monkeypatch.context() as patch:
        patch.setattr(lean, "applies", lambda *args: False)
        return planner.simulate(scenario, **kw)


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("by_segment", [True, False])
def test_the_lean_engine_gives_the_full_engines_numbers(name, by_segment, tmp_path, monkeypatch):
    scenario = variant(name, tmp_path)
    assert lean.applies(scenario, base_series(LEAN))
    paths = BLOCK + 300  # a whole block and a part of one
    full = full_run(scenario, monkeypatch, paths=paths, seed=5)
    quick = planner.simulate(scenario, paths=paths, seed=5, keep=LEAN, by_segment=by_segment)
    for series in LEAN:
        np.testing.assert_array_equal(quick.total(series), full.total(series), err_msg=series)
        if by_segment and series in quick.by_segment:
            np.testing.assert_array_equal(quick.by_segment[series], full.by_segment[series], err_msg=series)
    for key, value in full.opening.items():
        np.testing.assert_array_equal(quick.opening[key], value, err_msg=key)
    for key, value in full.per_path.items():
        np.testing.assert_array_equal(quick.per_path[key], value, err_msg=key)
    np.testing.assert_array_equal(quick.draws, full.draws)


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("keep", [("arr", "cash"), ("mrr", "collections", "new_mrr"),
                                  ("customers", "ga_expense", "insolvent")], ids=str)
def test_fewer_series_over_several_chunks(name, keep, tmp_path, monkeypatch):
    """Keeping fewer series (the lean engine then writes over arrays nobody reads) and
    chunks of two blocks with a part of one at the end: the same numbers."""
    scenario = variant(name, tmp_path)
    paths = 5 * BLOCK + 300
    full = full_run(scenario, monkeypatch, paths=paths, seed=8)
    monkeypatch.setattr(lean, "CHUNK_CELLS", 2 * BLOCK * scenario.horizon * len(scenario.segments))
    assert lean.chunk_paths(scenario) == 2 * BLOCK
    quick = planner.simulate(scenario, paths=paths, seed=8, keep=keep, by_segment=False)
    for series in keep:
        np.testing.assert_array_equal(quick.total(series), full.total(series), err_msg=series)


def test_a_young_book_over_many_paths_at_once(tmp_path, monkeypatch):
    """Books aged 0-2 months over chunks of 4 blocks: a power with one number as exponent
    would square at age 2 where the full engine calls the power function."""
    for age in (0, 1, 2):
        scenario = scenario_from_text(SIMPLE.replace("age_months: 12}", f"age_months: {age}}}"), tmp_path)
        assert lean.chunk_paths(scenario) >= 4 * BLOCK
        keep = ("customers", "mrr", "cash")
        full = full_run(scenario, monkeypatch, paths=4 * BLOCK, seed=2)
        quick = planner.simulate(scenario, paths=4 * BLOCK, seed=2, keep=keep, by_segment=False)
        for series in keep:
            np.testing.assert_array_equal(quick.total(series), full.total(series), err_msg=f"{series} {age}")


def test_what_is_computed_from_the_results_is_the_same(tmp_path, monkeypatch):
    """Sums over months and paths of a lean run (a yearly P&L, means, book equity kept
    alone) equal those of the full engine's: the result arrays are laid out alike."""
    from planner.report.yearly import yearly_pnl

    scenario = variant("two_segments_and_a_funding_plan", tmp_path)
    keep = ("revenue", "cogs", "sm_expense", "rnd_expense", "cs_expense", "ga_expense", "mrr",
            "operating_cash_flow", "cash", "equity_book")
    full = full_run(scenario, monkeypatch, paths=3 * BLOCK, seed=4, keep=keep)
    quick = planner.simulate(scenario, paths=3 * BLOCK, seed=4, keep=keep)
    assert yearly_pnl(quick) == yearly_pnl(full)
    for series in keep:
        np.testing.assert_array_equal(quick.total(series).sum(axis=1), full.total(series).sum(axis=1))
        np.testing.assert_array_equal(quick.total(series).mean(axis=0), full.total(series).mean(axis=0))
    alone = planner.simulate(scenario, paths=3 * BLOCK, seed=4, keep=("equity_book",))
    np.testing.assert_array_equal(alone.total("equity_book"), full.total("equity_book"))


def test_arr_and_cash_alone_and_given_draws(tmp_path, monkeypatch):
    scenario = variant("uncertain_rates_costs_and_opex", tmp_path)
    draws = planner.simulate(scenario, paths=700, seed=3, keep=("arr",)).draws[::-1].copy()
    full = full_run(scenario, monkeypatch, paths=700, seed=3, draws=draws)
    quick = planner.simulate(scenario, paths=700, seed=3, keep=("arr", "cash"), by_segment=False,
                             draws=draws)
    for series in ("arr", "cash"):
        np.testing.assert_array_equal(quick.total(series), full.total(series), err_msg=series)


@pytest.mark.parametrize("edit", [
    ("term_months: 1, billing: monthly", "term_months: 12, billing: monthly"),
    ("term_months: 1, billing: monthly", "term_months: 12, billing: annual"),
    ("payment_terms_days: 0", "payment_terms_days: 30"),
    ("model: constant\n      monthly_churn: {dist: uniform, low: 0.02, high: 0.04}", "model: sbg\n      alpha: 1\n      beta: 10"),
    ("simulation:\n", "simulation:\n  process_noise: true\n"),
], ids=["annual_term", "annual_billing", "payment_terms", "sbg", "process_noise"])
def test_what_is_not_geometric_runs_on_the_full_engine(edit, tmp_path):
    old, new = edit
    assert old in SIMPLE
    scenario = scenario_from_text(SIMPLE.replace(old, new), tmp_path)
    assert not lean.applies(scenario, base_series(("arr", "cash")))


def test_series_the_lean_engine_does_not_make_need_the_full_engine(tmp_path):
    scenario = variant("simple", tmp_path)
    assert lean.applies(scenario, base_series(("arr", "cash")))
    for name in ("churned_mrr", "deferred_revenue", "receivables", "acquisition_cost", "billings"):
        assert not lean.applies(scenario, base_series((name,)))
    result = planner.simulate(scenario, paths=50, seed=1, keep=("arr", "churned_mrr"))
    assert result.total("churned_mrr").shape == (50, 60)


@pytest.mark.parametrize("name", ["simple", "two_segments_and_a_funding_plan"])
@pytest.mark.parametrize("costs", [{}, {"bad_debt_rate": 1.0, "hosting_pct": 0.0}], ids=["costs", "no_costs"])
@pytest.mark.parametrize("keep", [("arr", "cash"), ("mrr",), None], ids=str)
def test_an_overflow_is_an_error_on_the_lean_engine(name, costs, keep, tmp_path):
    """MRR become infinite (customers bought at a CAC of 1e-307, past validation) is
    caught whatever is kept and whether or not money comes in: it reaches cash through
    the flows even when everything billed goes bad and nothing costs (a NaN then)."""
    import dataclasses

    from planner.errors import PlannerError

    scenario = variant(name, tmp_path)
    segments = tuple(dataclasses.replace(s, cac=1e-307, **costs) if s.name == "smb" else s
                     for s in scenario.segments)
    scenario = dataclasses.replace(scenario, segments=segments)
    assert lean.applies(scenario, base_series(keep or LEAN)) or keep is None
    with pytest.raises(PlannerError, match="overflowed"):
        planner.simulate(scenario, paths=300, seed=1, keep=keep)


@pytest.mark.parametrize("keep", [("arr", "cash"), ("operating_cash_flow", "cash", "insolvent"), ("mrr",)], ids=str)
def test_plans_with_no_money_in_on_the_same_paths(keep, tmp_path, monkeypatch):
    """One plan with no money in has its cash accumulated by the lean engine as it makes
    the flows; two such plans by the funding pass, each into its own array: the full
    engine's numbers either way."""
    from planner.simulation import simulate_plans

    text = SIMPLE.replace("    none: []", "    none: []\n    also_none: []")
    scenario = scenario_from_text(text, tmp_path)
    paths = 2 * BLOCK + 77
    with monkeypatch.context() as patch:
        patch.setattr(lean, "applies", lambda *args: False)
        full = simulate_plans(scenario, ("none", "also_none"), paths=paths, seed=3)
    for plans in (("none",), ("also_none", "none")):
        quick = simulate_plans(scenario, plans, paths=paths, seed=3, keep=keep, by_segment=False)
        for plan in plans:
            for series in base_series(keep):
                np.testing.assert_array_equal(quick[plan].total(series), full[plan].total(series),
                                              err_msg=f"{plan} {series}")
