"""Which inputs drive the range: tornado, spider and Sobol indices against known answers."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.sweep.sensitivity import (input_groups, make_setup, make_statistic, parse_range,
                                       parse_vary, rank_drivers, run_drivers, sensitivity,
                                       uncertain_inputs)
from planner.sweep.sobol import saltelli_jansen, sobol_indices
from planner.sweep.tornado import pinned_statistics, spider, tornado

from conftest import ROOT, scenario_from_text

# ARR at the horizon is additive in two independent inputs: with no churn, each month's
# cohort keeps its MRR, so ARR_end = 12 * (opening MRR + 12 months * arpa * new customers)
# in each segment; the slope of segment s is 144 * arpa_s.
ADDITIVE = """
name: additive
start: 2027-01
horizon_months: 12
simulation:
  paths: 1024
  seed: 1
{extra}
opening: {{cash: 5000000}}
segments:
  a:
    opening: {{customers: 10, mrr: 1000, age_months: 4}}
    price: {{arpa: {arpa_a}}}
    acquisition: {{new_customers: {{dist: uniform, low: 1, high: 3}}}}
    retention: {{model: constant, annual_churn: 0.0}}
  b:
    opening: {{customers: 10, mrr: 3000, age_months: 4}}
    price: {{arpa: 300}}
    acquisition: {{new_customers: {{dist: uniform, low: 2, high: 4}}}}
    retention: {{model: constant, annual_churn: 0.0}}
costs:
  headcount:
    - {{role: Team, department: rnd, salary: 120000, start: 2}}
"""
# one segment, ARR_end = c + 144 * n * arpa: a product of independent uniforms
PRODUCT = """
name: product
start: 2027-01
horizon_months: 12
simulation: {paths: 1024, seed: 5}
opening: {cash: 5000000}
segments:
  a:
    opening: {customers: 10, mrr: 1000, age_months: 4}
    price: {arpa: {dist: uniform, low: 10, high: 190}}
    acquisition: {new_customers: {dist: uniform, low: 0.1, high: 3.9}}
    retention: {model: constant, annual_churn: 0.0}
costs:
  headcount:
    - {role: Team, department: rnd, salary: 120000, start: 2}
"""
N_A, N_B = "segments.a.acquisition.new_customers", "segments.b.acquisition.new_customers"


def additive(tmp_path, arpa_a="100", extra=""):
    return scenario_from_text(ADDITIVE.format(arpa_a=arpa_a, extra=extra), tmp_path)


def rows_by_name(result):
    return {r.name: r for r in result.rows}


def within(row, first, total):
    assert row.first_ci[0] <= first <= row.first_ci[1], (row, first)
    assert row.total_ci[0] <= total <= row.total_ci[1], (row, total)


def test_additive_indices_match_the_analytic_shares(tmp_path):
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    result = sobol_indices(make_setup(sc, stat.outcome), base_samples=4096)
    # variance shares: (144 * arpa)^2 * Var(n), Var(n) = 1/3 in both segments
    share_a = 100 ** 2 / (100 ** 2 + 300 ** 2)
    rows = rows_by_name(result)
    within(rows[N_A], share_a, share_a)
    within(rows[N_B], 1 - share_a, 1 - share_a)
    for row in rows.values():  # first order equals total order: the intervals overlap
        assert row.first_ci[0] <= row.total_ci[1] and row.total_ci[0] <= row.first_ci[1]
    assert result.first_order_sum == pytest.approx(1.0, abs=0.05)
    assert [r.name for r in result.rows] == [N_B, N_A]
    assert result.evaluations == 4 * 4096


def test_interaction_makes_total_order_exceed_first_order(tmp_path):
    sc = scenario_from_text(PRODUCT, tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    result = sobol_indices(make_setup(sc, stat.outcome), base_samples=8192)
    var_n, mean_n = 3.8 ** 2 / 12, 2.0
    var_a, mean_a = 180 ** 2 / 12, 100.0
    v_n, v_a, v_na = var_n * mean_a ** 2, var_a * mean_n ** 2, var_n * var_a
    total = v_n + v_a + v_na
    rows = rows_by_name(result)
    within(rows["segments.a.acquisition.new_customers"], v_n / total, (v_n + v_na) / total)
    within(rows["segments.a.price.arpa"], v_a / total, (v_a + v_na) / total)
    for row in rows.values():  # the interaction share, about 0.16, shows in both
        assert row.total - row.first == pytest.approx(v_na / total, abs=0.06)


def test_estimators_agree_with_scipy_sobol_indices():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    n = 1024
    a, b = rng.random((n, 2)), rng.random((n, 2))
    f = lambda x: x[:, 0] + 2 * x[:, 1] + x[:, 0] * x[:, 1]  # noqa: E731
    ab = np.stack([np.where(np.arange(2) == i, b, a) for i in range(2)])
    first, total = saltelli_jansen(f(a), f(b), np.stack([f(m) for m in ab]))
    ref = scipy_stats.sobol_indices(func={"f_A": f(a)[None], "f_B": f(b)[None],
                                          "f_AB": np.stack([f(m) for m in ab])[:, None]}, n=n)
    np.testing.assert_allclose(total, np.ravel(ref.total_order), rtol=1e-10)
    # scipy's first order is Saltelli 2010 without centring: the same estimand, its own noise
    np.testing.assert_allclose(first, np.ravel(ref.first_order), atol=0.05)


def test_tornado_swings_and_ranking_by_hand(tmp_path):
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "mean")
    result = tornado(make_setup(sc, stat.outcome), stat)
    assert [r.input for r in result.rows] == [N_B, N_A]
    b, a = result.rows
    # P10 / P90 of U(1, 3) are 1.2 / 2.8 and of U(2, 4) 2.2 / 3.8; slope 144 * arpa
    assert (a.low, a.high, b.low, b.high) == pytest.approx((1.2, 2.8, 2.2, 3.8))
    assert a.swing == pytest.approx(144 * 100 * 1.6, rel=1e-9)
    assert b.swing == pytest.approx(144 * 300 * 1.6, rel=1e-9)
    base = stat.of(planner.simulate(sc, keep=("arr",), by_segment=False).total("arr")[:, -1])
    assert result.base == pytest.approx(base, rel=1e-12)
    # P50 shifts with the pinned input too: the same swings
    p50 = tornado(make_setup(sc, stat.outcome), make_statistic(sc, "arr", "P50"))
    assert p50.rows[0].swing == pytest.approx(b.swing, rel=1e-9)


def test_stacked_variants_equal_pinned_runs(tmp_path):
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    setup = make_setup(sc, stat.outcome, paths=300)
    _, rows = pinned_statistics(setup, stat, (0.25,))
    from planner.sweep.sensitivity import pinned
    for param, values, stats in rows:
        direct = setup.evaluate([setup.task(pinned(param.index, values[0]))])[0]
        assert stat.of(direct) == pytest.approx(stats[0], rel=1e-12)


def test_vary_swings_a_certain_input_over_the_given_range(tmp_path):
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "mean")
    result = tornado(make_setup(sc, stat.outcome), stat, vary={"segments.a.price.arpa": (80, 120)})
    row = next(r for r in result.rows if r.kind == "varied")
    n_a = planner.simulate(sc).draws[:, 0].mean()  # mean new customers of a on these paths
    assert row.input == "segments.a.price.arpa" and (row.low, row.high) == (80, 120)
    assert row.swing == pytest.approx(144 * 40 * n_a, rel=1e-9)


def test_spider_is_monotone_and_the_tornado_can_reuse_it(tmp_path):
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    setup = make_setup(sc, stat.outcome, paths=512)
    sp = spider(setup, stat)
    assert sp.percentiles == (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    for row in sp.rows:
        assert np.all(np.diff(row["statistic"]) > 0)
    reused = tornado(setup, stat, spider=sp)
    direct = tornado(setup, stat)
    assert [r.input for r in reused.rows] == [r.input for r in direct.rows]
    for r, d in zip(reused.rows, direct.rows):
        assert r.swing == pytest.approx(d.swing, rel=1e-12)


def test_groups_and_correlated_inputs(tmp_path):
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    setup = make_setup(sc, stat.outcome)
    grouped = sobol_indices(setup, base_samples=1024, groups={"a": "segments.a", "both": "segments.b"})
    rows = rows_by_name(grouped)
    assert set(rows) == {"a", "both"} and rows["a"].kind == "group"
    assert rows["a"].inputs == (N_A,)
    within(rows["a"], 0.1, 0.1)
    correlated = additive(tmp_path, extra=f"  correlations:\n    - {{between: [{N_A}, {N_B}], rank: 0.6}}")
    result = sobol_indices(make_setup(correlated, stat.outcome), base_samples=1024)
    assert len(result.rows) == 1
    row = result.rows[0]
    assert row.kind == "correlated" and set(row.inputs) == {N_A, N_B}
    assert row.total == pytest.approx(1.0, abs=0.1)  # the group is every input
    assert any("correlated inputs reported as one group" in n for n in result.notes)
    # a user group that takes one correlated input takes its partner too
    merged = input_groups(correlated, uncertain_inputs(correlated), {"a": "segments.a"})
    assert [g.name for g in merged] == ["a"] and set(merged[0].inputs) == {N_A, N_B}
    with pytest.raises(planner.PlannerError, match="no uncertain input"):
        input_groups(sc, uncertain_inputs(sc), {"x": "segments.zzz"})


def test_process_noise_is_one_more_input():
    sc = planner.load_scenario(ROOT / "tests" / "scenarios" / "noisy.yaml")
    stat = make_statistic(sc, "arr", "P50")
    result = sobol_indices(make_setup(sc, stat.outcome), base_samples=256, resamples=100)
    noise = rows_by_name(result)["process noise"]
    assert noise.kind == "process noise" and 0 < noise.total < 1
    assert result.evaluations == 256 * (len(result.rows) + 2)
    # tornado with noise: every variant keeps the base's noise streams
    t = tornado(make_setup(sc, stat.outcome, paths=256), stat)
    assert all(np.isfinite(r.swing) for r in t.rows)


def test_other_plans_inputs_are_left_out():
    sc = planner.load_scenario(ROOT / "scenarios" / "series_a_midmarket.yaml")
    names = [p.path for p in uncertain_inputs(sc)]
    assert "funding.plans.one_round[0].pre_money_arr_multiple" in names
    assert not any(n.startswith("funding.plans.staged") for n in names)


def test_rank_drivers_finds_the_input_that_matters():
    rng = np.random.default_rng(0)
    draws = rng.random((2000, 3))
    y = 5 * draws[:, 1] + 0.5 * draws[:, 2] + 0.1 * rng.standard_normal(2000)
    rows = rank_drivers(draws, y, ["x0", "x1", "x2"], top=2)
    assert [r["input"] for r in rows] == ["x1", "x2"]
    assert rows[0]["rank_correlation"] > 0.9 and 0 < rows[0]["share"] <= 1


def test_run_drivers_on_a_run(tmp_path):
    sc = additive(tmp_path)
    result = planner.simulate(sc, keep=("arr", "cash"), by_segment=False)
    drivers = run_drivers(result)
    assert "Spearman" in drivers["method"]
    assert drivers["arr_end"][0]["input"] == N_B


def test_parsers():
    assert parse_range("P10:P90") == (0.1, 0.9) and parse_range("5:95") == (0.05, 0.95)
    assert parse_vary(["segments.a.price.arpa=80:1_20"]) == {"segments.a.price.arpa": (80.0, 120.0)}
    for bad in ("90:10", "x"):
        with pytest.raises(planner.PlannerError):
            parse_range(bad)
    with pytest.raises(planner.PlannerError, match="KEY=LOW:HIGH"):
        parse_vary(["segments.a.price.arpa=80"])


def test_pool_gives_the_same_numbers(tmp_path):
    from planner.sweep.runner import local_executor

    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    here = sensitivity(sc, stat, methods=("tornado", "sobol"), paths=256, base_samples=256)
    with local_executor(2) as pool:
        there = sensitivity(sc, stat, methods=("tornado", "sobol"), paths=256, base_samples=256,
                            executor=pool)
    assert here["tornado"].to_dict() == there["tornado"].to_dict()
    assert here["sobol"].to_dict() == there["sobol"].to_dict()


def test_dask_local_cluster_gives_the_same_numbers(tmp_path):
    distributed = pytest.importorskip("distributed", reason="Dask's distributed is not installed "
                                                            "(pip install 'planner[dask]')")
    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    here = sensitivity(sc, stat, methods=("tornado", "sobol"), paths=256, base_samples=256)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        there = sensitivity(sc, stat, methods=("tornado", "sobol"), paths=256, base_samples=256,
                            executor=client.get_executor())
    assert here["tornado"].to_dict() == there["tornado"].to_dict()
    assert here["sobol"].to_dict() == there["sobol"].to_dict()


def test_cli_json_and_text(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(ADDITIVE.format(arpa_a="100", extra=""))
    runner = CliRunner()
    res = runner.invoke(main, ["sensitivity", str(path), "--json", "--no-charts", "--paths", "256",
                               "--base-samples", "256", "--statistic", "mean", "--out", str(tmp_path / "o"),
                               "--vary", "segments.a.price.arpa=80:120", "--group", "a=segments.a"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert set(data) == {"tornado", "spider", "sobol"}
    assert data["tornado"]["rows"][0]["input"] == N_B
    assert [r["name"] for r in data["sobol"]["rows"]] == [N_B, "a"]
    assert (tmp_path / "o" / "sensitivity.json").exists()
    res = runner.invoke(main, ["sensitivity", str(path), "--method", "tornado", "--paths", "256",
                               "--outcome", "cash_trough", "--range", "5:95", "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "Tornado: P50(cash_trough)" in res.output and "P5 to its P95" in res.output
    assert (tmp_path / "p" / "tornado.png").exists()
    res = runner.invoke(main, ["sensitivity", str(path), "--statistic", "P(cash_out)", "--method",
                               "sobol", "--base-samples", "64", "--no-charts", "--json",
                               "--out", str(tmp_path / "q")])
    assert res.exit_code == 0, res.output
    sobol = json.loads(res.output)["sobol"]  # cash never runs out: nothing to split, null not NaN
    assert sobol["variance"] == 0 and sobol["rows"][0]["first"] is None
    res = runner.invoke(main, ["sensitivity", str(path), "--range", "90:10", "--no-charts"])
    assert res.exit_code != 0 and "--range" in res.output
    res = runner.invoke(main, ["sensitivity", str(path), "--outcome", "nonsense", "--no-charts"])
    assert res.exit_code != 0


def test_charts_draw(tmp_path):
    from planner.charts.sensitivity import plot_sobol, plot_spider, plot_tornado

    sc = additive(tmp_path)
    stat = make_statistic(sc, "arr", "P50")
    out = sensitivity(sc, stat, methods=("tornado", "spider", "sobol"), paths=256, base_samples=128)
    ax = plot_tornado(out["tornado"])
    assert len(ax.patches) == 4 and ax.get_title(loc="left").startswith("What drives")
    assert len(plot_spider(out["spider"]).lines) == 3  # two inputs and the base line
    assert len(plot_sobol(out["sobol"].to_dict()).get_yticklabels()) == 2


def test_planner_run_prints_the_top_drivers(tmp_path):
    from planner.report.text import summary_text
    from planner.run import run_scenario

    run = run_scenario(additive(tmp_path), paths=512, detail_paths=64)
    drivers = run.summary["drivers"]
    assert drivers["arr_end"][0]["input"] == N_B and len(drivers["cash_trough"]) <= 5
    text = summary_text(run.summary)
    assert "What drives the range" in text and "Spearman" in text and N_B in text
    json.dumps(run.summary, allow_nan=False)


def test_drivers_text_is_one_table_of_inputs_within_the_width():
    from planner.report.sensitivity import drivers_text

    long = "segments.a_segment_with_a_very_long_name.acquisition.funnel.stages.qualified.conversion"
    drivers = {"method": "squared Spearman rank correlation",
               "arr_end": [{"input": "x.cac", "share": 0.7, "rank_correlation": -0.8},
                           {"input": long, "share": 0.3, "rank_correlation": 0.5}],
               "cash_trough": [{"input": "y.salary", "share": 0.9, "rank_correlation": -0.9}]}
    lines = drivers_text(drivers, "USD", width=100).splitlines()
    assert max(len(line) for line in lines) <= 100
    rows = lines[2:]
    assert [r.split()[0] for r in rows][:2] == ["y.salary", "x.cac"]   # by their largest share
    assert rows[0].split()[1:] == ["-", "90.0%", "-0.90"]               # not among ARR's drivers
    assert "..." in rows[2] and rows[2].split()[0].startswith("segments.a_segment")
    empty = drivers | {"arr_end": [], "cash_trough": []}
    assert "no input moves" in drivers_text(empty, "USD")
