"""planner diff: changed assumptions, outcomes on the same draws, Shapley attribution."""
import json
import shutil
import subprocess

import numpy as np
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.scenario.yamltree import parse_yaml
from planner.sweep.changes import tree_changes
from planner.sweep.diff import diff, load_sides, parse_side
from planner.sweep.shapley import exact_shapley, sampled_shapley

from conftest import ROOT

SEED_SMB = ROOT / "scenarios" / "seed_selfserve_smb.yaml"
SS_PRICE = "segments.self_serve.price.arpa=95"
TEAMS_PRICE = "segments.teams.price.arpa=650"
TEAMS_NEW = "segments.teams.acquisition.new_customers.start=5"

SMALL = """\
name: small
start: {start}
horizon_months: {horizon}
simulation: {{paths: 50, seed: 3}}
opening: {{cash: 900000}}
segments:
  app:
    opening: {{customers: 300, mrr: 30000, age_months: 6}}
    price: {{arpa: {arpa}}}
    contract: {{term_months: 1, billing: monthly, payment_terms_days: 0}}
    acquisition:
      new_customers: {{start: {{dist: triangular, low: 5, mode: 10, high: 15}}, monthly_growth: 0.02}}
    retention: {{model: constant, monthly_churn: 0.03}}
costs:
  headcount:
    - {{role: Team, department: rnd, salary: 120000, burden: 0.2, start: 4}}
    - {{role: Boss, department: ga, salary: 150000, burden: 0.2, start: 1}}
funding:
  plans:
    nothing: []
"""


def small(start="2027-01", horizon=24, arpa=100) -> str:
    return SMALL.format(start=start, horizon=horizon, arpa=arpa)


def sides(*edits, paths=None):
    a, b = load_sides(str(SEED_SMB), None, edits)
    return a, b


def changes(a_text: str, b_text: str) -> list[str]:
    return [c.line() for c in tree_changes(parse_yaml(a_text, "a")[0], parse_yaml(b_text, "b")[0])]


# -- the diff itself ---------------------------------------------------------------------

def test_diff_of_a_file_with_itself_is_zero_everywhere():
    a, b = load_sides(str(SEED_SMB), str(SEED_SMB))
    d = diff(a, b, paths=300)
    assert d.changes == [] and d.attribution is None and d.groups == []
    for key, row in d.rows.items():
        assert row["a"] == row["b"], key
        assert row["difference"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}, key
        assert row["p_better"] == 0.0 and row["p_worse"] == 0.0, key
    data = d.to_dict()
    json.dumps(data, allow_nan=False)
    assert data["same_draws"] and data["seed"] == 7


def test_shapley_contributions_add_up_to_the_total_change():
    d = diff(*sides(SS_PRICE, TEAMS_NEW, "funding.minimum_cash=400000"), paths=300)
    assert d.attribution.method == "exact" and d.attribution.coalitions == 8
    assert d.groups == ["segments.self_serve.price", "segments.teams.acquisition",
                        "funding.minimum_cash"]
    for o in d.outcomes:
        parts = d.contributions(o.key)
        total = d.rows[o.key]["change"]
        assert sum(parts.values()) == pytest.approx(total, rel=1e-12, abs=1e-9), o.key
    # the minimum cash changes no operating number, only the raise needed to keep above it
    assert d.contributions("arr_end")["funding.minimum_cash"] == 0.0
    assert d.contributions("minimum_raise")["funding.minimum_cash"] > 0


def test_additive_change_each_group_gets_its_own_effect():
    """Two independent segments' prices: each segment's ARR moves only with its own price
    (keyed draws, noise by segment), so the attribution is analytic."""
    d = diff(*sides(SS_PRICE, TEAMS_PRICE), paths=300)
    alone_ss = diff(*sides(SS_PRICE), paths=300)
    alone_teams = diff(*sides(TEAMS_PRICE), paths=300)
    ss = d.contributions("arr_end.self_serve")
    teams = d.contributions("arr_end.teams")
    assert ss["segments.teams.price"] == 0.0 and teams["segments.self_serve.price"] == 0.0
    assert ss["segments.self_serve.price"] == pytest.approx(
        alone_ss.rows["arr_end.self_serve"]["change"], rel=1e-12)
    assert teams["segments.teams.price"] == pytest.approx(
        alone_teams.rows["arr_end.teams"]["change"], rel=1e-12)
    assert alone_ss.rows["arr_end.teams"]["difference"] == {"p10": 0.0, "p50": 0.0, "p90": 0.0}


def test_non_additive_change_matches_a_hand_computed_shapley_value():
    """Price x new customers of one segment interact; with two groups the Shapley value
    is the average of the two orders' marginal effects."""
    both = diff(*sides(TEAMS_PRICE, TEAMS_NEW), paths=300)
    price = diff(*sides(TEAMS_PRICE), paths=300)
    new = diff(*sides(TEAMS_NEW), paths=300)
    for key in ("arr_end", "cash_trough", "cash_out"):
        v0, v12 = both.rows[key]["a"], both.rows[key]["b"]
        v1, v2 = price.rows[key]["b"], new.rows[key]["b"]
        phi = both.contributions(key)
        assert phi["segments.teams.price"] == pytest.approx(0.5 * (v1 - v0) + 0.5 * (v12 - v2), rel=1e-9, abs=1e-9)
        assert phi["segments.teams.acquisition"] == pytest.approx(0.5 * (v2 - v0) + 0.5 * (v12 - v1), rel=1e-9, abs=1e-9)
    # the interaction is real: the effects alone do not add up to the joint one
    assert (price.rows["arr_end"]["change"] + new.rows["arr_end"]["change"]
            != pytest.approx(both.rows["arr_end"]["change"], rel=1e-6))


def test_exact_shapley_by_hand_and_sampled_orders():
    # v({}) = 0, v({1}) = 1, v({2}) = 2, v({1, 2}) = 6 (rows by bit mask)
    phi = exact_shapley(np.array([[0.0], [1.0], [2.0], [6.0]]))
    np.testing.assert_allclose(phi[:, 0], [2.5, 3.5])
    table = {0: 0.0, 1: 1.0, 2: 2.0, 3: 6.0}
    sampled = sampled_shapley(lambda masks: np.array([[table[m]] for m in masks]), 2, 50)
    assert sampled.method == "sampled" and sampled.values[:, 0].sum() == pytest.approx(6.0, abs=1e-12)
    assert sampled.errors is not None and (sampled.errors >= 0).all()


def test_more_groups_than_exact_uses_sampled_orders_with_errors():
    d = diff(*sides(SS_PRICE, TEAMS_PRICE, TEAMS_NEW), paths=200, max_exact=2, permutations=6)
    att = d.attribution
    assert att.method == "sampled" and att.permutations == 6 and att.errors.shape == (3, len(d.outcomes))
    assert sum(d.contributions("arr_end").values()) == pytest.approx(d.rows["arr_end"]["change"], rel=1e-12)
    assert "standard_errors" in d.to_dict()["attribution"]


def test_workers_give_the_same_attribution():
    a, b = sides(SS_PRICE, TEAMS_NEW)
    from planner.sweep.runner import local_executor

    here = diff(a, b, paths=200)
    with local_executor(2) as pool:
        there = diff(a, b, paths=200, executor=pool)
    np.testing.assert_array_equal(here.attribution.values, there.attribution.values)


def test_different_horizons_compare_the_shared_months_and_say_so():
    a = parse_side(small(horizon=24), "a.yaml")
    b = parse_side(small(horizon=18, arpa=110), "b.yaml")
    d = diff(a, b)
    assert d.window == ("2027-01", "2028-06")
    assert d.outcome("arr_end").label == "ARR at 2028-06"
    assert [o.key for o in d.outcomes if o.key.startswith("revenue")] == ["revenue.y1", "revenue.y2"]
    assert any("2027-01 to 2028-06" in n and "left out" in n for n in d.notes)
    assert sum(d.contributions("arr_end").values()) == pytest.approx(d.rows["arr_end"]["change"])


def test_added_segment_is_one_group_and_segment_outcomes_are_for_shared_ones():
    text = SEED_SMB.read_text()
    a = parse_side(text, "a.yaml")
    b_text = text.replace("  teams:\n", "  pros:\n").replace("teams: 8}", "pros: 8}")
    b = parse_side(b_text, "b.yaml")
    d = diff(a, b, paths=100)
    assert "segments.teams: removed" in "\n".join(c.line() for c in d.changes)
    # the COGS lines of the renamed segment go with it: apart they are not a valid scenario
    assert d.groups == ["segments.pros", "segments.teams"] and d.attribution is not None
    assert {c.key: c.group for c in d.changes}["costs.cogs.per_customer_monthly.pros"] == "segments.pros"
    assert sum(d.contributions("arr_end").values()) == pytest.approx(d.rows["arr_end"]["change"])
    assert [o.key for o in d.outcomes if o.key.startswith("arr_end.")] == ["arr_end.self_serve"]
    assert any("teams (only in A)" in n and "pros (only in B)" in n for n in d.notes)


# -- changed assumptions -------------------------------------------------------------------

def test_changed_assumption_lines():
    a = SEED_SMB.read_text()
    b = (a.replace("cac: {dist: lognormal, median: 420, p90: 650}",
                   "cac: {dist: lognormal, median: 400, p90: 700}")
          .replace("annual_churn: 0.18", "annual_churn: 0.2"))
    assert changes(a, b) == [
        "segments.self_serve.acquisition.cac: {dist: lognormal, median: 420, p90: 650} -> "
        "{dist: lognormal, median: 400, p90: 700}",
        "segments.teams.retention.annual_churn: 0.18 -> 0.2"]


def test_added_and_removed_segment_and_keys():
    a = small()
    b = a.replace("segments:\n", "segments:\n  new:\n    opening: {customers: 1, mrr: 10, age_months: 1}\n"
                  "    price: {arpa: 10}\n")
    b = b.replace("  plans:\n", "  minimum_cash: 50000\n  plans:\n")
    lines = changes(a, b)
    assert lines == ["segments.new: added {opening: {customers: 1, mrr: 10, age_months: 1}, "
                     "price: {arpa: 10}}", "funding.minimum_cash: added 50000"]
    assert changes(b, a) == ["segments.new: removed (was {opening: {customers: 1, mrr: 10, "
                             "age_months: 1}, price: {arpa: 10}})",
                             "funding.minimum_cash: removed (was 50000)"]


def test_reordering_a_named_list_or_keys_is_not_a_change():
    a = small()
    team = "    - {role: Team, department: rnd, salary: 120000, burden: 0.2, start: 4}\n"
    boss = "    - {role: Boss, department: ga, salary: 150000, burden: 0.2, start: 1}\n"
    b = a.replace(team + boss, boss + team).replace(
        "    price: {arpa: 100}\n    contract", "    contract").replace(
        "    retention:", "    price: {arpa: 100}\n    retention:")
    assert b != a and changes(a, b) == []
    c = a.replace("salary: 150000", "salary: 160000")
    assert changes(a, c) == ["costs.headcount['Boss'].salary: 150000 -> 160000"]


# -- the command ---------------------------------------------------------------------------

def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(repo), "PATH": "/usr/bin:/bin"})


@pytest.fixture
def repo(tmp_path, monkeypatch):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "plan.yaml").write_text(small())
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "plan.yaml")
    _git(tmp_path, "commit", "-q", "-m", "plan")
    (tmp_path / "plan.yaml").write_text(small(arpa=120))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_diff_rev_path_against_the_working_file(repo):
    result = CliRunner().invoke(main, ["diff", "HEAD:plan.yaml", "plan.yaml", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["a"] == "HEAD:plan.yaml" and data["b"] == "plan.yaml"
    assert [c["key"] for c in data["changes"]] == ["segments.app.price.arpa"]
    assert data["changes"][0]["old"] == "100" and data["changes"][0]["new"] == "120"
    assert data["outcomes"]["arr_end"]["p_better"] == 1.0
    text = CliRunner().invoke(main, ["diff", "HEAD:plan.yaml", "plan.yaml", "--out", "d"])
    assert text.exit_code == 0, text.output
    assert "segments.app.price.arpa: 100 -> 120" in text.output
    assert "Attribution of each change (exact Shapley over 1 group, 2 runs)" in text.output
    assert (repo / "d" / "attribution_arr_end.png").stat().st_size > 1000


@pytest.mark.parametrize("args, error", [
    (["NOPE:plan.yaml", "plan.yaml"], "Error: NOPE:plan.yaml: unknown revision NOPE"),
    (["HEAD:other.yaml", "plan.yaml"], "Error: HEAD:other.yaml: other.yaml does not exist at revision HEAD"),
])
def test_bad_revisions_get_one_line(repo, args, error):
    result = CliRunner().invoke(main, ["diff", *args])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [error]


def test_nothing_in_common_gets_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(small(start="2027-01", horizon=12))
    (tmp_path / "b.yaml").write_text(small(start="2030-01", horizon=12))
    result = CliRunner().invoke(main, ["diff", "a.yaml", "b.yaml"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: nothing in common to compare: a.yaml runs 2027-01 to 2027-12, b.yaml 2030-01 "
        "to 2030-12 (no shared months)"]


def test_one_file_and_set_edits(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(small())
    result = CliRunner().invoke(main, ["diff", "a.yaml", "--set", "segments.app.price.arpa=90",
                                       "--seed", "11", "--paths", "64"])
    assert result.exit_code == 0, result.output
    assert "64 paths, seed 11, same draws for A and B" in result.output
    assert "segments.app.price.arpa: 100 -> 90" in result.output
    alone = CliRunner().invoke(main, ["diff", "a.yaml"])
    assert alone.exit_code == 1
    assert alone.output.strip().splitlines() == [
        "Error: give two scenarios (A B), or one and --set edits for B"]


# -- planner compare of several files ------------------------------------------------------

def test_compare_files_use_their_own_seeds_and_their_own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(small())
    (tmp_path / "b.yaml").write_text(small().replace("name: small", "name: other")
                                     .replace("seed: 3", "seed: 4"))
    result = CliRunner().invoke(main, ["compare", "a.yaml", "b.yaml", "--no-charts", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["seed"] for row in data["plans"]] == [3, 4]
    assert (tmp_path / "outputs" / "compare-small-vs-other" / "comparison.csv").exists()
    assert not (tmp_path / "outputs" / "small").exists()
    same = json.loads(CliRunner().invoke(main, ["compare", "a.yaml", "b.yaml", "--seed", "9",
                                                "--no-charts", "--json"]).stdout)
    assert [row["seed"] for row in same["plans"]] == [9, 9] and same["seed"] == 9
