"""The series catalogue (planner.series) names exactly what the engine and the result hold."""
import numpy as np

import planner
from planner.results import DERIVED, SERIES, WEIGHTED
from planner.series import LEVELS, SERIES_SPECS, UNITS, label

from conftest import ROOT

SCENARIOS = ROOT / "scenarios"


def test_the_catalogue_and_the_code_name_the_same_series():
    assert set(SERIES) == set(SERIES_SPECS)
    assert {n for n, s in SERIES_SPECS.items() if s.derived} == set(DERIVED)


def test_every_entry_has_a_level_unit_and_label():
    for spec in SERIES_SPECS.values():
        assert spec.level in LEVELS and spec.unit in UNITS and spec.label
        if spec.weighted_by is not None:
            assert SERIES_SPECS[spec.weighted_by].level == spec.level == "segment"
    assert label("arr") == "ARR" and label("not_a_series") == "not_a_series"


def test_response_time_is_weighted_by_what_sdrs_contact_everywhere():
    """One rule: the company response time is weighted by the leads (or MQLs) SDRs respond to."""
    sc = planner.load_scenario(SCENARIOS / "bottom_up_funnel.yaml")
    r = planner.simulate(sc, paths=8, seed=1)
    assert WEIGHTED == {"response_minutes": "contacted"}
    minutes, contacted = r.by_segment["response_minutes"], r.by_segment["contacted"]
    weights = contacted * (minutes != 0)
    expected = np.where(weights.sum(axis=2) > 0, (minutes * weights).sum(axis=2)
                        / np.maximum(weights.sum(axis=2), 1e-300), 0.0)
    np.testing.assert_allclose(r.total("response_minutes"), expected)
    company = planner.simulate(sc, paths=8, seed=1, keep=["response_minutes"], by_segment=False)
    np.testing.assert_allclose(company.total("response_minutes"), expected)
