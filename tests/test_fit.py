"""Tests of planner.fit: the sBG likelihood, the MLE, published fits, recovery, CSV validation."""
from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import yaml

from planner.errors import ScenarioError
from planner.fit import CohortHistory, RetentionFit, fit_retention, read_history, sbg_loglik, sbg_survival, write_fit_outputs
from planner.fit.model import LikelihoodCounts, loglik_derivatives
from planner.fit.chart import plot_retention_fit, render_retention_png
from planner.fit.history import revenue_retention

DATA = Path(__file__).parent / "data" / "fit"

# Fader & Hardie (2007), "How to Project Customer Retention", Journal of Interactive
# Marketing 21(1): customers of one cohort active at years 0..7, and the paper's fits
# (calibrated on years 1-7).
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def errors_of(call) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        call()
    return [str(p) for p in info.value.problems]


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- the model -----------------------------------------------------------------------

def test_survival_matches_the_product_of_retention_rates():
    alpha, beta = 0.7, 1.2
    t = np.arange(8)
    product = np.cumprod([1.0] + [(beta + i - 1) / (alpha + beta + i - 1) for i in range(1, 8)])
    np.testing.assert_allclose(sbg_survival(t, alpha, beta), product, rtol=1e-12)
    half = sbg_survival(2.5, alpha, beta)
    assert sbg_survival(2, alpha, beta) > half > sbg_survival(3, alpha, beta)


def test_loglik_includes_the_survivors_term():
    """10 customers: 4 churn in period 1, 2 in period 2, 4 still active at age 2 (censored).

    At alpha=1, beta=2: P(T=1) = 1/3, P(T=2) = 1/6, S(2) = 1/2. Without the S(2)**4 term
    the value would be 4 ln 2 higher.
    """
    history = CohortHistory.from_counts([[10, 6, 4]])
    expected = 4 * math.log(1 / 3) + 2 * math.log(1 / 6) + 4 * math.log(1 / 2)
    assert sbg_loglik(1.0, 2.0, history) == pytest.approx(expected, rel=1e-12)


def test_loglik_censors_each_cohort_at_its_own_last_age():
    # cohort A: 10 -> 6 -> 4 (censored at 2); cohort B: 5 -> 3 (censored at 1); S(1) = 2/3
    history = CohortHistory.from_counts([[10, 6, 4], [5, 3]])
    expected = (4 * math.log(1 / 3) + 2 * math.log(1 / 6) + 4 * math.log(1 / 2)
                + 2 * math.log(1 / 3) + 3 * math.log(2 / 3))
    assert sbg_loglik(1.0, 2.0, history) == pytest.approx(expected, rel=1e-12)


def test_ignoring_survivors_moves_the_optimum_far_away():
    """Dropping the 241 survivors' ln S(7) term would pull the estimates far from the fit."""
    fit = fit_retention(CohortHistory.from_counts([REGULAR]), period="year")
    x = np.log([fit.alpha, fit.beta])
    counts = LikelihoodCounts.of(np.array([REGULAR], dtype=float))
    without = LikelihoodCounts(churned=counts.churned, survivors=np.zeros_like(counts.survivors))
    assert np.max(np.abs(loglik_derivatives(x, counts, 1)[1])) < 1e-6
    assert np.max(np.abs(loglik_derivatives(x, without, 1)[1])) > 100


@pytest.mark.parametrize("point", [(0.0, 0.0), (-0.4, 0.2), (1.0, 2.5)])
def test_gradient_and_hessian_match_finite_differences(point):
    counts = LikelihoodCounts.of(read_history(DATA / "wide.csv").active)
    x = np.array(point)
    _, grad, hess = loglik_derivatives(x, counts, 2)
    h = 1e-5
    steps = np.eye(2) * h
    num_grad = np.array([(loglik_derivatives(x + e, counts) - loglik_derivatives(x - e, counts)) / (2 * h) for e in steps])
    num_hess = np.array([(loglik_derivatives(x + e, counts, 1)[1] - loglik_derivatives(x - e, counts, 1)[1]) / (2 * h) for e in steps])
    np.testing.assert_allclose(grad, num_grad, rtol=1e-6, atol=1e-4)
    np.testing.assert_allclose(hess, num_hess, rtol=1e-6, atol=1e-4)


# --- published fits ----------------------------------------------------------------------

@pytest.mark.parametrize("counts, alpha, beta, loglik", [
    (REGULAR, 0.704, 1.182, -1680.3),
    (HIGH_END, 0.668, 3.806, -1611.2),
])
def test_reproduces_fader_hardie_2007(counts, alpha, beta, loglik):
    fit = fit_retention(CohortHistory.from_counts([counts]), period="year")
    assert round(fit.alpha, 3) == alpha
    assert round(fit.beta, 3) == beta
    assert round(fit.loglik, 1) == loglik


def test_loglik_at_the_papers_starting_point():
    # Fader & Hardie (2007), appendix: the spreadsheet starts from alpha = beta = 1, LL = -2115.5
    assert round(sbg_loglik(1.0, 1.0, CohortHistory.from_counts([HIGH_END])), 1) == -2115.5


def test_csv_layouts_give_the_same_fit():
    single = fit_retention(DATA / "regular.csv", period="year")
    assert round(single.alpha, 3) == 0.704
    long_ = fit_retention(DATA / "long_mrr.csv")
    wide = fit_retention(DATA / "wide.csv")  # the same counts as a triangle
    assert wide.alpha == pytest.approx(long_.alpha, rel=1e-9)
    assert wide.loglik == pytest.approx(long_.loglik, rel=1e-12)
    np.testing.assert_allclose(wide.cov_log, long_.cov_log, rtol=1e-8)


# --- recovery of known parameters --------------------------------------------------------

def simulate_history(alpha, beta, lengths, size, rng):
    """Cohorts of ``size`` customers observed at ages 0..lengths[c], drawn from the sBG."""
    theta = rng.beta(alpha, beta, size=(len(lengths), size))
    life = rng.geometric(theta)  # the period in which each customer churns
    ages = np.arange(max(lengths) + 1)
    active = (life[:, :, None] > ages).sum(axis=1).astype(float)
    active[ages > np.asarray(lengths)[:, None]] = np.nan
    return CohortHistory(source="sim", cohorts=tuple(map(str, range(len(lengths)))), active=active,
                         mrr=None, segments=None, layout="memory")


@pytest.mark.parametrize("seed", range(5))
def test_recovers_known_parameters_from_simulated_cohorts(seed):
    alpha, beta = 0.8, 6.0
    rng = np.random.default_rng(seed)
    history = simulate_history(alpha, beta, lengths=[24, 20, 16, 12, 9, 6, 3, 2], size=500, rng=rng)
    fit = fit_retention(history)
    se_log = np.sqrt(np.diag(fit.cov_log))
    z = (np.log([fit.alpha, fit.beta]) - np.log([alpha, beta])) / se_log
    assert np.all(np.abs(z) < 3.5), z
    assert fit.n_cohorts == 8 and fit.n_customers == 4000
    assert np.all(se_log < 0.25)  # 4,000 customers pin the parameters down


def test_standard_errors_match_the_spread_of_estimates():
    """Across simulated histories, the SE of ln alpha is close to the estimates' spread."""
    rng = np.random.default_rng(11)
    fits = [fit_retention(simulate_history(1.5, 10.0, [12, 10, 8, 6, 4], 400, rng)) for _ in range(40)]
    spread = np.std([math.log(f.alpha) for f in fits], ddof=1)
    typical_se = np.median([math.sqrt(f.cov_log[0, 0]) for f in fits])
    assert 0.7 < spread / typical_se < 1.4


# --- degenerate histories ------------------------------------------------------------------

@pytest.mark.parametrize("counts, message", [
    ([[100, 100, 100], [50, 50]],
     "no customer churned in this history, so churn cannot be estimated (the fit would claim customers "
     "never leave); add more history"),
    ([[100, 0, 0], [50, 0]],
     "every customer churned in the first period, so there is nothing to learn about later retention; "
     "check the counts"),
    ([[100], [50]],
     "only age 0 is observed: the fit needs each cohort's active customers at later ages "
     "(at least ages 0, 1 and 2)"),
    ([[100, 80], [50, 41]],
     "only one period of retention is observed (ages 0 and 1): one retention rate cannot determine both "
     "alpha and beta; the fit needs at least ages 0, 1 and 2"),
    ([[0, 0, 0]], "the history has no customers (every age-0 count is 0)"),
    ([[1000, 900, 700, 500]],
     "retention does not improve with age in this history, so the sBG cannot tell loyal from fickle "
     "customers: the fit runs to its limit of a constant churn rate (19.2% per period); model retention "
     "as a constant churn rate or add more history"),
    ([[1000, 500, 500, 500, 500]],
     "the history looks like two groups, customers who churn at once and customers who never churn: "
     "the sBG fit runs to its boundary (alpha and beta -> 0); check the counts or add more history"),
])
def test_degenerate_histories_raise_a_clear_error(counts, message):
    assert errors_of(lambda: fit_retention(CohortHistory.from_counts(counts))) == [f"<counts>: {message}"]


# --- malformed input ---------------------------------------------------------------------

def test_every_problem_in_a_file_is_reported_at_once():
    path = DATA / "bad_many.csv"
    assert errors_of(lambda: read_history(path)) == [
        f"{path}:4: active: must not exceed 90, the count at age 1: active customers cannot rise with age (got 95)",
        f"{path}:5: age: cohort '2023-02' has no row for age 0: every cohort needs its count at acquisition (age 0)",
        f"{path}:6: active: must be a whole number of customers (got 'abc')",
        f"{path}:7: active: must be >= 0 (got -5)",
        f"{path}:8: age: must be a whole number of periods >= 0 (got 'two')",
    ]


@pytest.mark.parametrize("text, expected", [
    ("cohort,age,active\na,0,10\na,1,2.5\n", ["3: active: must be a whole number of customers (got 2.5)"]),
    ("cohort,age,active\na,0,10\na,1,\n", ["3: active: must be a whole number of customers (got an empty cell)"]),
    ("cohort,age,active\na,0,10\na,2,5\n",
     ["3: age: cohort 'a' has no row for age 1: ages must run 0, 1, 2, ... without gaps"]),
    ("cohort,age,active\na,0,10\na,0,9\n", ["3: age: duplicate row for cohort 'a', age 0 (first at line 2)"]),
    ("cohort,age,active\n,0,10\n", ["2: cohort: is empty: expected a label"]),
    ("cohort,age,active\na,0,10,7\n", ["2: has 4 cells but the header has 3"]),
    ("cohort,age,active,mrr\na,0,10,0\na,1,0,50\n",
     ["2: mrr: must be > 0 while customers are active (got 0)",
      "3: mrr: must be 0 when no customer is active (got 50)"]),
    ("cohort,age,active,mrr\na,0,10,x\n", ["2: mrr: must be a number (got 'x')"]),
    ("cohort,age,actve\na,0,10\n",
     ["1: missing column(s) active (did you mean 'active'?): expected a header row for one of: long format "
      "(cohort, age, active[, mrr]), single cohort (age, active[, mrr]) or wide triangle (cohort, 0, 1, 2, ...)"]),
    ("cohort,age,active,mmr\na,0,10\n",
     ["1: mmr: unknown column (did you mean 'mrr'?): expected cohort, age, active and optionally mrr, segment"]),
    ("month,count\n1,10\n",
     ["1: unrecognised header month, count: expected a header row for one of: long format (cohort, age, "
      "active[, mrr]), single cohort (age, active[, mrr]) or wide triangle (cohort, 0, 1, 2, ...)"]),
    ("cohort,age,active\n", ["1: the file has a header but no data rows"]),
    ("age,active\n0,10\n1,12\n",
     ["3: active: must not exceed 10, the count at age 0: active customers cannot rise with age (got 12)"]),
    ("cohort,0,1,2\na,10,,5\nb,,8\n",
     ["2: 1: missing the count at age 1 for cohort 'a': only the end of a row may be blank",
      "3: 0: missing the count at age 0 (acquisition) for cohort 'b': only the end of a row may be blank"]),
    ("cohort,0,1,2\na,10,12\na,10\n",
     ["2: 1: must not exceed 10, the count at age 0: active customers cannot rise with age (got 12)",
      "3: cohort: duplicate cohort 'a' (first at line 2)"]),
    ("cohort,0,2,3\na,10,8,7\n",
     ["1: 2: wide triangle columns after the first must be the ages 0, 1, 2, ... in order (expected 1, got '2')",
      "1: 3: wide triangle columns after the first must be the ages 0, 1, 2, ... in order (expected 2, got '3')"]),
])
def test_malformed_input_gives_its_error(tmp_path, text, expected):
    path = write(tmp_path, text)
    assert errors_of(lambda: read_history(path)) == [f"{path}:{line}" for line in expected]


def test_empty_missing_and_binary_files(tmp_path):
    empty = write(tmp_path, "\n\n", "empty.csv")
    assert errors_of(lambda: read_history(empty)) == [
        f"{empty}: the file is empty: expected a header row for one of: long format (cohort, age, active[, mrr]), "
        "single cohort (age, active[, mrr]) or wide triangle (cohort, 0, 1, 2, ...)"]
    missing = tmp_path / "nope.csv"
    assert errors_of(lambda: read_history(missing)) == [
        f"{missing}: cannot read the history file (No such file or directory)"]
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    assert errors_of(lambda: read_history(binary)) == [
        f"{binary}: cannot read the history: not a UTF-8 text (CSV) file"]


def test_tolerates_excel_exports(tmp_path):
    path = write(tmp_path, "\ufeffCohort , Age,Active\n2023-01,0,\"1,200\"\n2023-01,1,900\n2023-01,2,800\n\n")
    history = read_history(path)
    assert history.layout == "long" and history.cohorts == ("2023-01",)
    np.testing.assert_array_equal(history.active, [[1200, 900, 800]])


# --- segments -------------------------------------------------------------------------------

def test_segments_are_fitted_one_at_a_time():
    path = DATA / "segments.csv"
    smb = fit_retention(path, segment="smb")
    enterprise = fit_retention(path, segment="enterprise")
    assert smb.n_cohorts == enterprise.n_cohorts == 4
    assert enterprise.survival(12) > smb.survival(12)
    assert errors_of(lambda: fit_retention(path)) == [
        f"{path}: segment: the file holds several segments (enterprise, smb): choose one with --segment"]
    assert errors_of(lambda: fit_retention(path, segment="smv")) == [
        f"{path}: segment: unknown segment 'smv' (did you mean 'smb'?); the file has: enterprise, smb"]
    regular = DATA / "regular.csv"
    assert errors_of(lambda: fit_retention(regular, segment="smb")) == [
        f"{regular}: segment: segment 'smb' requested but the file has no 'segment' column"]


# --- revenue retention ------------------------------------------------------------------------

def test_revenue_retention_is_pooled_by_starting_mrr_over_cohorts_observed():
    history = CohortHistory.from_counts([[10, 8, 5], [20, 10]], mrr=[[1000, 900, 600], [3000, 1800]])
    rr = revenue_retention(history, "month")
    np.testing.assert_allclose(rr.nrr, [1.0, (900 + 1800) / 4000, 600 / 1000])
    per_start = 4000 / 30
    np.testing.assert_allclose(rr.mrr_per_customer, [1.0, (2700 / 18) / per_start, (600 / 5) / 100])
    np.testing.assert_array_equal(rr.cohorts, [2, 2, 1])
    assert rr.scenario_block() == ("mrr_per_customer_curve: {0: 1.0, 1: 1.125, 2: 1.2}   # average MRR of a "
                                   "surviving customer relative to its starting MRR, by age in months\n")
    yearly = revenue_retention(history, "year")
    assert list(yearly.curve()) == [0, 12, 24]
    assert revenue_retention(CohortHistory.from_counts([[10, 8]]), "month") is None


def test_fit_carries_the_mrr_curve_from_a_long_history():
    fit = fit_retention(DATA / "long_mrr.csv")
    curve = yaml.safe_load(fit.scenario_block())["mrr_per_customer_curve"]
    assert list(curve) == list(range(12)) and curve[0] == 1.0
    assert all(v > 0 for v in curve.values()) and curve[11] > 1.05  # the fixture expands ~1% a month


# --- output ---------------------------------------------------------------------------------------

def test_scenario_block_is_exactly_the_documented_format():
    fit = fit_retention(CohortHistory.from_counts([REGULAR]), period="year")
    assert fit.scenario_block() == (
        "retention:\n"
        "  model: sbg\n"
        "  alpha: 0.7041       # maximum-likelihood estimate\n"
        "  beta: 1.182\n"
        "  period: year        # month or year: the unit of one sBG period\n"
        "  log_cov: [[0.008681, 0.01068], [0.01068, 0.01664]]   # covariance of (ln alpha, ln beta) from the fit; "
        "the simulator draws (alpha, beta) jointly lognormal per path\n"
    )
    block = yaml.safe_load(fit.scenario_block())["retention"]
    np.testing.assert_allclose(block["log_cov"], fit.cov_log, rtol=1e-3)
    assert np.all(np.linalg.eigvalsh(np.array(block["log_cov"])) > 0)


def test_log_cov_keeps_tiny_values_readable_as_yaml_floats():
    fit = fit_retention(CohortHistory.from_counts([[c * 1000 for c in REGULAR]]), period="year")
    block = yaml.safe_load(fit.scenario_block())["retention"]
    assert all(isinstance(v, float) for row in block["log_cov"] for v in row)
    assert np.all(np.linalg.eigvalsh(np.array(block["log_cov"])) > 0)


def test_to_dict_is_json_with_a_projection_three_times_the_history():
    fit = fit_retention(DATA / "wide.csv")
    data = json.loads(json.dumps(fit.to_dict(), allow_nan=False))
    for key in ("model", "alpha", "beta", "loglik", "se_alpha", "se_beta", "n_cohorts", "n_customers",
                "projected", "fitted_vs_actual", "cov_log"):
        assert key in data
    assert data["projected"][-1]["age"] >= 3 * 11
    assert all(p["lower"] <= p["survival"] <= p["upper"] for p in data["projected"])
    assert [row["age"] for row in data["fitted_vs_actual"]] == list(range(12))


def test_fitted_vs_actual_table_pools_only_cohorts_observed():
    fit = fit_retention(CohortHistory.from_counts([[100, 60, 45], [200, 130]]))
    rows = fit.table()
    assert [r["cohorts"] for r in rows] == [2, 2, 1]
    assert [r["customers"] for r in rows] == [300, 300, 100]
    assert rows[2]["actual_survival"] == pytest.approx(190 / 300 * 45 / 60)
    assert rows[2]["expected"] == pytest.approx(100 * fit.survival(2))


def test_chart_shows_actual_fitted_and_projected_without_touching_global_state():
    fit = fit_retention(DATA / "long_mrr.csv")
    before = dict(matplotlib.rcParams)
    ax = plot_retention_fit(fit)
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"sBG fit", "sBG projection", "Actual (pooled across cohorts)"} <= set(labels)
    assert "actual vs sBG fit and projection" in ax.get_title(loc="left")
    assert ax.get_xlim()[1] == fit.horizon
    png = render_retention_png(fit)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert dict(matplotlib.rcParams) == before


def test_write_fit_outputs(tmp_path):
    fit = fit_retention(DATA / "long_mrr.csv")
    files = write_fit_outputs(fit, tmp_path / "out")
    assert [f.name for f in files] == ["fit.json", "retention.yaml", "retention_fit.png"]
    saved = yaml.safe_load(files[1].read_text())
    assert saved["retention"]["alpha"] == pytest.approx(fit.alpha, rel=1e-3)
    assert json.loads(files[0].read_text())["n_customers"] == fit.n_customers
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left


def test_bad_arguments_are_value_errors():
    history = CohortHistory.from_counts([REGULAR])
    with pytest.raises(ValueError, match="period must be one of"):
        fit_retention(history, period="week")
    with pytest.raises(ValueError, match="model must be one of"):
        fit_retention(history, model="weibull")
    assert isinstance(fit_retention(history), RetentionFit)
