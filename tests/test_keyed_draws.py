"""Draws keyed by input: variants of a scenario share the random numbers of what they share.

Each uncertain input draws from its own stream (seed, block, key path); process noise
from one stream per segment and stage; a correlated group from one keyed by its members.
So adding, removing or reordering inputs and segments, or changing one input's
distribution, leaves everything else bit-identical (under Sobol: see
``planner.engine.sampling``).
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

import planner
from planner.engine.core import SEGMENT_SERIES
from planner.engine.sampling import BLOCK, draw_inputs, sample_params, uniforms
from planner.engine.streams import INPUT, key_words, stream

from conftest import BUNDLED, FIXTURES

ROOT = Path(__file__).resolve().parent.parent
SERIES_A = ROOT / "scenarios" / "series_a_midmarket.yaml"
FUNNEL = ROOT / "scenarios" / "bottom_up_funnel.yaml"
NOISY = next(p for p in FIXTURES if p.stem == "noisy")
METHODS = ("monte_carlo", "latin_hypercube", "sobol")
#: segment series that are the segment's own (the S&M allocation shares company costs)
OWN = tuple(n for n in SEGMENT_SERIES if n not in ("sm_direct", "acquisition_cost"))
PATHS = BLOCK + 200  # two blocks


def _data(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _load(tmp_path: Path, data: dict, *overrides: str, name: str = "variant.yaml") -> planner.Scenario:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return planner.load_scenario(path, overrides=overrides)


def _by_key(scenario: planner.Scenario, draws: np.ndarray) -> dict[str, np.ndarray]:
    return {p.path: draws[:, p.index] for p in scenario.params}


def _draws(scenario: planner.Scenario, seed: int) -> dict[str, np.ndarray]:
    """Each input's draws for paths 0..PATHS-1, by key path."""
    return _by_key(scenario, draw_inputs(scenario, seed, 0, PATHS))


def _assert_segments_equal(a, b, segments, series=OWN):
    for seg in segments:
        for name in series:
            np.testing.assert_array_equal(a.segment(name, seg), b.segment(name, seg),
                                          err_msg=f"{seg}: {name}")


# --- the streams ------------------------------------------------------------------------

def test_key_words_are_a_stable_hash():
    """BLAKE2b, not Python's salted ``hash``: these numbers must never change (they fix
    every scenario's draws)."""
    assert key_words("segments.smb.price.arpa") == (2835191669, 2038124175)
    assert stream(42, 3, INPUT, "segments.smb.price.arpa").random() == 0.4386352450078629


def test_draw_keys_name_list_items_by_their_name(tmp_path):
    data = _data(SERIES_A)
    data["costs"]["opex"] += [{"name": "Ads", "department": "marketing", "monthly": "8000 to 12000"},
                              {"name": "Ads", "department": "marketing", "monthly": "1000 to 2000"}]
    sc = _load(tmp_path, data)
    keys = {p.path: p.draw_key for p in sc.params}
    assert keys["costs.headcount[3].salary"] == "costs.headcount['Engineer'].salary"
    assert keys["funding.plans.staged[0].pre_money_arr_multiple"] == \
        "funding.plans.staged['Series B'].pre_money_arr_multiple"
    # two lines with the same name: their positions tell them apart
    assert keys["costs.opex[4].monthly"] == "costs.opex[4].monthly"
    assert keys["segments.smb.acquisition.cac"] == "segments.smb.acquisition.cac"


def test_every_input_needs_its_own_key():
    with pytest.raises(ValueError, match="its own draw key"):
        uniforms(1, ("a", "b", "a"), 0, 10)


# --- adding, removing, changing an input ---------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_adding_an_input_to_one_segment_leaves_the_others(method):
    """The measured problem: an uncertain SMB price re-drew every mid-market path. Under
    Sobol too here: the mid-market keys sort before ``segments.smb...``."""
    base = planner.load_scenario(SERIES_A, overrides=(f"simulation.sampling={method}",))
    more = planner.load_scenario(SERIES_A, overrides=(f"simulation.sampling={method}",
                                                      "segments.smb.price.arpa=380 to 460"))
    assert len(more.params) == len(base.params) + 1
    a, b = planner.simulate(base, paths=PATHS), planner.simulate(more, paths=PATHS)
    _assert_segments_equal(a, b, ("midmarket", "enterprise"))
    assert not np.array_equal(a.segment("mrr", "smb"), b.segment("mrr", "smb"))
    old, new = _draws(base, 42), _draws(more, 42)
    for path, column in old.items():
        np.testing.assert_array_equal(column, new[path], err_msg=path)


@pytest.mark.parametrize("method", ("monte_carlo", "latin_hypercube"))
def test_removing_an_input_leaves_the_others(method):
    base = planner.load_scenario(SERIES_A, overrides=(f"simulation.sampling={method}",))
    less = planner.load_scenario(SERIES_A, overrides=(f"simulation.sampling={method}",
                                                      "segments.smb.acquisition.cac=2400"))
    assert len(less.params) == len(base.params) - 1
    a, b = planner.simulate(base, paths=PATHS), planner.simulate(less, paths=PATHS)
    _assert_segments_equal(a, b, ("midmarket", "enterprise"))
    old, new = _draws(base, 42), _draws(less, 42)
    assert set(old) - set(new) == {"segments.smb.acquisition.cac"}
    for path, column in new.items():
        np.testing.assert_array_equal(column, old[path], err_msg=path)


@pytest.mark.parametrize("method", METHODS)
def test_changing_one_distribution_leaves_the_other_columns(method):
    over = (f"simulation.sampling={method}",)
    base = planner.load_scenario(SERIES_A, overrides=over)
    wider = planner.load_scenario(SERIES_A, overrides=over + (
        "segments.smb.acquisition.cac=1500 to 4500",))
    old, new = _draws(base, 7), _draws(wider, 7)
    changed = [p for p in old if not np.array_equal(old[p], new[p])]
    assert changed == ["segments.smb.acquisition.cac"]


def test_sobol_shares_an_input_while_the_keys_before_it_are_the_same():
    """Sobol dimensions go to inputs in the sorted order of their keys: an input added
    after (in that order) leaves the others; one added before moves them (documented)."""
    keys = ("b.x", "d.x", "f.x")
    base = uniforms(3, keys, 0, PATHS, "sobol")
    after = uniforms(3, keys + ("z.x",), 0, PATHS, "sobol")
    np.testing.assert_array_equal(base, after[:, :3])
    shuffled = uniforms(3, ("f.x", "b.x", "d.x"), 0, PATHS, "sobol")
    np.testing.assert_array_equal(base, shuffled[:, [1, 2, 0]])
    before = uniforms(3, keys + ("c.x",), 0, PATHS, "sobol")
    np.testing.assert_array_equal(base[:, 0], before[:, 0])        # still first in order
    assert not np.array_equal(base[:, 1], before[:, 1])            # d.x moved to dimension 3


def test_sobol_stays_a_joint_low_discrepancy_design():
    """The first two dimensions of a scrambled Sobol block are a (0, 10, 2)-net: each of
    the 32 x 32 boxes holds exactly one of the 1,024 points; every dimension is stratified."""
    u = uniforms(5, ("a", "b", "c"), 0, 2 * BLOCK, "sobol")
    for block in (u[:BLOCK], u[BLOCK:]):
        boxes = np.floor(block[:, 0] * 32).astype(int) * 32 + np.floor(block[:, 1] * 32).astype(int)
        assert len(set(boxes)) == BLOCK
        for column in block.T:
            assert sorted(np.floor(column * BLOCK).astype(int)) == list(range(BLOCK))


# --- reordering ---------------------------------------------------------------------------

def _reversed(x):
    """Every mapping with its keys in reverse order (plans aside: the first is the default)."""
    if isinstance(x, dict):
        return {k: (v if k == "plans" else _reversed(v)) for k, v in reversed(list(x.items()))}
    return x


@pytest.mark.parametrize("path", BUNDLED + FIXTURES, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", METHODS)
def test_reordering_the_file_changes_nothing(tmp_path, path, method):
    """Keys, segments and headcount / opex lines in reverse order: every input's draws
    and every segment's own series are bit-identical (company totals add the segments
    and roles in another order, so they agree to rounding)."""
    data = _data(path)
    flipped = _reversed(data)
    for line in ("headcount", "opex"):
        if line in flipped.get("costs", {}):
            flipped["costs"][line] = [_reversed(item) for item in reversed(flipped["costs"][line])]
    over = (f"simulation.sampling={method}",)
    a_sc = _load(tmp_path, data, *over, name="a.yaml")
    b_sc = _load(tmp_path, flipped, *over, name="b.yaml")
    assert a_sc.segment_names == tuple(reversed(b_sc.segment_names))
    a_draws, b_draws = _draws(a_sc, 3), draw_inputs(b_sc, 3, 0, PATHS)
    by_key_b = {p.draw_key: b_draws[:, p.index] for p in b_sc.params}
    for p in a_sc.params:
        np.testing.assert_array_equal(a_draws[p.path], by_key_b[p.draw_key], err_msg=p.draw_key)
    a, b = planner.simulate(a_sc, paths=300, seed=3), planner.simulate(b_sc, paths=300, seed=3)
    _assert_segments_equal(a, b, a_sc.segment_names)
    for role in a_sc.roles:
        np.testing.assert_array_equal(a.role("role_headcount", role.role),
                                      b.role("role_headcount", role.role))
    np.testing.assert_allclose(a.total("cash"), b.total("cash"), rtol=1e-9, atol=1e-3)


# --- process noise ------------------------------------------------------------------------

EXTRA = {"opening": {"customers": 40, "mrr": 4000, "age_months": 3}, "price": {"arpa": 100},
         "acquisition": {"new_customers": {"dist": "uniform", "low": 1, "high": 3}},
         "retention": {"model": "constant", "monthly_churn": 0.03}}


def _with_extra_segment(data: dict) -> dict:
    out = copy.deepcopy(data)
    out["segments"] = {"aaa_extra": EXTRA} | out["segments"]  # first in the file
    cogs = out.get("costs", {}).get("cogs", {})
    if isinstance(cogs.get("per_customer_monthly"), dict):
        cogs["per_customer_monthly"]["aaa_extra"] = 1
    return out


@pytest.mark.parametrize("path, overrides", [(NOISY, ()), (FUNNEL, ("simulation.process_noise=true",))],
                         ids=["noisy", "funnel_noisy"])
def test_adding_a_segment_leaves_the_other_segments_noise(tmp_path, path, overrides):
    data = _data(path)
    base = _load(tmp_path, data, *overrides, name="a.yaml")
    more = _load(tmp_path, _with_extra_segment(data), *overrides, name="b.yaml")
    assert base.process_noise and more.segment_names[0] == "aaa_extra"
    a, b = planner.simulate(base, paths=PATHS, seed=5), planner.simulate(more, paths=PATHS, seed=5)
    _assert_segments_equal(a, b, base.segment_names)
    customers = a.segment("customers", base.segment_names[0])
    np.testing.assert_array_equal(customers, np.round(customers))  # the noise is on


def test_removing_a_segment_leaves_the_other_segments_noise(tmp_path):
    data = _data(NOISY)
    fewer = copy.deepcopy(data)
    del fewer["segments"]["monthly"]
    a = planner.simulate(_load(tmp_path, data, name="a.yaml"), paths=PATHS, seed=5)
    b = planner.simulate(_load(tmp_path, fewer, name="b.yaml"), paths=PATHS, seed=5)
    _assert_segments_equal(a, b, ("annual",))


def test_noise_streams_are_per_stage():
    """More leads (more Poisson draws of another size) do not move the trials' noise."""
    path = next(p for p in FIXTURES if p.stem == "funnel_full")
    on = ("simulation.process_noise=true",)
    a_sc = planner.load_scenario(path, overrides=on)
    more_leads = "segments.midmarket.acquisition.funnel.leads.inbound.start=150"
    b_sc = planner.load_scenario(path, overrides=on + (more_leads,))
    a, b = planner.simulate(a_sc, paths=300, seed=5), planner.simulate(b_sc, paths=300, seed=5)
    assert not np.array_equal(a.segment("leads", "midmarket"), b.segment("leads", "midmarket"))
    np.testing.assert_array_equal(a.segment("trials", "midmarket"), b.segment("trials", "midmarket"))


def test_segments_have_independent_noise(tmp_path):
    """Two segments alike in all but their name (no uncertain inputs) draw different noise."""
    data = _data(NOISY)
    data["segments"]["annual"]["acquisition"]["new_customers"] = 1.5
    data["segments"]["annual_copy"] = copy.deepcopy(data["segments"]["annual"])
    r = planner.simulate(_load(tmp_path, data), paths=300, seed=5)
    for name in ("new_customers", "churned_customers"):
        one, other = r.segment(name, "annual"), r.segment(name, "annual_copy")
        assert not np.array_equal(one, other)
        assert one.mean() == pytest.approx(other.mean(), rel=0.1)


# --- Latin hypercube and correlations -----------------------------------------------

CAC, EXP, MID, SAL = ("segments.smb.acquisition.cac", "segments.smb.expansion.monthly_rate",
                      "segments.midmarket.acquisition.new_customers.start", "costs.headcount[3].salary")
ARPA = "segments.enterprise.price.arpa"


def _correlated(tmp_path, pairs, *overrides, name="c.yaml") -> planner.Scenario:
    data = _data(SERIES_A)
    data["simulation"]["correlations"] = [{"between": list(b), "rank": r} for b, r in pairs]
    return _load(tmp_path, data, *overrides, name=name)


GROUP = [((CAC, EXP), -0.5), ((CAC, MID), 0.4), ((EXP, MID), 0.2)]


@pytest.mark.parametrize("correlate", [False, True])
def test_latin_hypercube_columns_are_stratified_in_every_block(tmp_path, correlate):
    sc = _correlated(tmp_path, GROUP if correlate else [], "simulation.sampling=latin_hypercube")
    assert (sc.correlation is not None) == correlate
    keys = tuple(p.draw_key for p in sorted(sc.params, key=lambda p: p.index))
    u = uniforms(11, keys, 0, 3 * BLOCK, "latin_hypercube", sc.correlation)
    for b in range(3):
        for column in u[b * BLOCK:(b + 1) * BLOCK].T:  # each of BLOCK strata hit exactly once
            assert sorted(np.floor(column * BLOCK).astype(int)) == list(range(BLOCK))


@pytest.mark.parametrize("method", METHODS)
def test_a_correlated_group_is_unaffected_by_an_unrelated_input(tmp_path, method):
    over = (f"simulation.sampling={method}",)
    base = _correlated(tmp_path, GROUP, *over, name="a.yaml")
    more = _correlated(tmp_path, GROUP, *over, "segments.smb.price.arpa=380 to 460", name="b.yaml")
    old, new = _draws(base, 2), _draws(more, 2)
    for path in (CAC, EXP, MID):
        np.testing.assert_array_equal(old[path], new[path], err_msg=path)


def test_a_second_group_and_a_reordered_list_leave_a_group_alone(tmp_path):
    over = ("simulation.sampling=latin_hypercube", f"{ARPA}=11000 to 14000")
    base = _correlated(tmp_path, GROUP, *over, name="a.yaml")
    two = _correlated(tmp_path, [((SAL, ARPA), 0.6)] + [((b, a), r) for (a, b), r in reversed(GROUP)],
                      *over, name="b.yaml")
    old, new = _draws(base, 2), _draws(two, 2)
    for path in (CAC, EXP, MID):
        np.testing.assert_array_equal(old[path], new[path], err_msg=path)
    assert not np.array_equal(old[SAL], new[SAL])  # now correlated with ARPA: reordered


# --- chunking and streaming still hold ----------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_draws_depend_only_on_seed_and_path_index(tmp_path, method):
    sc = _correlated(tmp_path, GROUP, f"simulation.sampling={method}")
    whole = sample_params(sc.params, 4, 0, 3 * BLOCK, method, sc.correlation)
    cuts = (0, 5, BLOCK + 1, 2 * BLOCK, 3 * BLOCK)
    parts = np.concatenate([sample_params(sc.params, 4, a, b, method, sc.correlation)
                            for a, b in zip(cuts[:-1], cuts[1:])])
    np.testing.assert_array_equal(whole, parts)


def test_streaming_offsets_match_one_long_run():
    sc = planner.load_scenario(NOISY)
    long = planner.simulate(sc, paths=2 * BLOCK, seed=8, keep=["mrr", "cash"])
    (late,) = planner.simulate_plans(sc, (sc.plan().name,), paths=BLOCK, seed=8, keep=["mrr", "cash"],
                                     start=BLOCK).values()
    np.testing.assert_array_equal(long.total("mrr")[BLOCK:], late.total("mrr"))
    np.testing.assert_array_equal(long.total("cash")[BLOCK:], late.total("cash"))
