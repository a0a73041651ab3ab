"""Sampling methods and rank correlations between inputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import planner
from planner import ScenarioError
from planner.engine.correlation import achieved
from planner.engine.sampling import BLOCK, draw_inputs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = (ROOT / "scenarios" / "series_a_midmarket.yaml").read_text()
SIM = "  seed: 42             # same seed -> identical results\n"
CAC, EXP, MID = ("segments.smb.acquisition.cac", "segments.smb.expansion.monthly_rate",
                 "segments.midmarket.acquisition.new_customers.start")


def scenario(tmp_path, extra: str) -> planner.Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(EXAMPLE.replace(SIM, SIM + extra))
    return planner.load_scenario(path)


CORRELATED = f"""  correlations:
    - {{between: [{CAC}, {EXP}], rank: -0.5}}
    - {{between: [{CAC}, {MID}], rank: 0.4}}
    - {{between: [{EXP}, {MID}], rank: 0.2}}
"""


@pytest.mark.parametrize("method", ["monte_carlo", "latin_hypercube", "sobol"])
def test_rank_correlations_are_achieved_and_marginals_kept(tmp_path, method):
    sc = scenario(tmp_path, f"  sampling: {method}\n" + CORRELATED)
    draws = draw_inputs(sc, 3, 0, 4 * BLOCK)
    got = achieved(draws, sc.correlation.columns)
    np.testing.assert_allclose(got, sc.correlation.rank, atol=0.03)
    cac = draws[:, sc.correlation.columns[0]]
    cac_param = next(p for p in sc.params if p.path == CAC)
    assert stats.kstest(cac, cac_param.dist.frozen.cdf).pvalue > 0.01


def test_correlation_reorders_but_does_not_change_the_values(tmp_path):
    plain = draw_inputs(scenario(tmp_path, "  sampling: latin_hypercube\n"), 3, 0, BLOCK)
    correlated = draw_inputs(scenario(tmp_path, "  sampling: latin_hypercube\n" + CORRELATED), 3, 0, BLOCK)
    np.testing.assert_array_equal(np.sort(plain, axis=0), np.sort(correlated, axis=0))


def test_latin_hypercube_stratifies_each_input(tmp_path):
    sc = scenario(tmp_path, "  sampling: latin_hypercube\n")
    from planner.engine.sampling import uniforms

    u = uniforms(5, len(sc.params), 0, BLOCK, "latin_hypercube")
    for column in u.T:  # one point in each of the BLOCK equal strata
        assert sorted(np.floor(column * BLOCK).astype(int)) == list(range(BLOCK))


def test_lhs_and_sobol_shrink_the_spread_of_the_p50(tmp_path):
    """Same paths per estimate, 16 fixed seeds: the P50 of ARR at the horizon varies less
    across seeds with Latin hypercube and Sobol than with plain Monte Carlo."""
    spread = {}
    for method in ("monte_carlo", "latin_hypercube", "sobol"):
        sc = scenario(tmp_path, f"  sampling: {method}\n")
        medians = [np.median(planner.simulate(sc, paths=BLOCK, seed=s, keep=["arr"],
                                              by_segment=False).total("arr")[:, -1])
                   for s in range(16)]
        spread[method] = np.std(medians)
    assert spread["latin_hypercube"] < 0.7 * spread["monte_carlo"]
    assert spread["sobol"] < 0.7 * spread["monte_carlo"]


@pytest.mark.parametrize("method", ["latin_hypercube", "sobol"])
def test_paths_depend_only_on_seed_and_index_with_every_method(tmp_path, method):
    sc = scenario(tmp_path, f"  sampling: {method}\n" + CORRELATED)
    big = planner.simulate(sc, paths=BLOCK + 50, seed=2, keep=["cash"], by_segment=False)
    small = planner.simulate(sc, paths=30, seed=2, keep=["cash"], by_segment=False)
    np.testing.assert_array_equal(big.total("cash")[:30], small.total("cash"))


IMPOSSIBLE = f"""  correlations:
    - {{between: [{CAC}, {EXP}], rank: 0.9}}
    - {{between: [{CAC}, {MID}], rank: 0.9}}
    - {{between: [{EXP}, {MID}], rank: -0.9}}
"""


def test_impossible_correlations_are_an_error(tmp_path):
    with pytest.raises(ScenarioError) as info:
        scenario(tmp_path, IMPOSSIBLE)
    assert "these correlations cannot all hold at once (the matrix is not positive definite: " \
           "smallest eigenvalue" in str(info.value)
    assert "set if_correlations_invalid: nearest" in str(info.value)


def test_nearest_valid_matrix_on_request_with_a_warning(tmp_path):
    sc = scenario(tmp_path, IMPOSSIBLE + "  if_correlations_invalid: nearest\n")
    assert len(sc.warnings) == 1 and "using the nearest valid matrix" in sc.warnings[0]
    assert np.linalg.eigvalsh(sc.correlation.normal).min() > 0
    got = achieved(draw_inputs(sc, 1, 0, 4 * BLOCK), sc.correlation.columns)
    np.testing.assert_allclose(got, sc.correlation.rank, atol=0.03)


def test_correlating_an_unknown_or_certain_input(tmp_path):
    with pytest.raises(ScenarioError) as info:
        scenario(tmp_path, "  correlations:\n    - {between: [segments.smb.acquisition.cacc, "
                           "segments.smb.price.arpa], rank: 0.3}\n")
    lines = [str(p).split(": ", 1)[1] for p in info.value.problems]
    assert lines == [
        "simulation.correlations[0].between: 'segments.smb.acquisition.cacc' is not an uncertain "
        "input; did you mean 'segments.smb.acquisition.cac'?",
        "simulation.correlations[0].between: 'segments.smb.price.arpa' is not an uncertain input "
        "(only inputs given as a distribution can be correlated)"]
