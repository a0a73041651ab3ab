"""planner.benchmarks: every band boundary, with the documented rule (a boundary value
belongs to the band above it)."""
from __future__ import annotations

import math

import pytest

from planner.analysis.benchmark_bands import (BANDS, bands_markdown, benchmark, has_benchmark, verdict)

CASES = [
    # metric, value, verdict
    ("ltv_to_cac", 2.999, "problematic"),
    ("ltv_to_cac", 3.0, "good"),
    ("ltv_to_cac", 3.999, "good"),
    ("ltv_to_cac", 4.0, "excellent"),
    ("ltv_to_cac", 4.999, "excellent"),
    ("ltv_to_cac", 5.0, "excellent (may be under-investing)"),
    ("ltv_to_cac", math.inf, "excellent (may be under-investing)"),
    ("cac_payback", 11.99, "excellent"),
    ("cac_payback", 12.0, "good"),
    ("cac_payback", 17.99, "good"),
    ("cac_payback", 18.0, "slow"),          # a company band: the enterprise wording is the tier's
    ("cac_payback", 23.99, "slow"),
    ("cac_payback", 24.0, "problematic"),
    ("cac_payback", math.inf, "problematic"),
    ("cac_payback_cohort", 12.0, "good"),
    ("magic_number", 0.4999, "inefficient"),
    ("magic_number", -1.0, "inefficient"),
    ("magic_number", 0.5, "moderate"),
    ("magic_number", 0.7499, "moderate"),
    ("magic_number", 0.75, "efficient"),
    ("magic_number", 0.9999, "efficient"),
    ("magic_number", 1.0, "very efficient"),
    ("burn_multiple", 0.0, "amazing"),
    ("burn_multiple", 0.999, "amazing"),
    ("burn_multiple", 1.0, "great"),
    ("burn_multiple", 1.499, "great"),
    ("burn_multiple", 1.5, "good"),
    ("burn_multiple", 1.999, "good"),
    ("burn_multiple", 2.0, "suspect"),
    ("burn_multiple", 2.999, "suspect"),
    ("burn_multiple", 3.0, "bad"),
    ("burn_multiple", math.inf, "bad"),
    ("rule_of_40", 0.3999, "below 40%"),
    ("rule_of_40", 0.40, "strong"),
    ("rule_of_40", -0.5, "below 40%"),
    ("sm_share", 0.2999, "below mature (30-40%)"),
    ("sm_share", 0.30, "mature (30-40%)"),
    ("sm_share", 0.3999, "mature (30-40%)"),
    ("sm_share", 0.40, "between mature and growth-stage"),
    ("sm_share", 0.4999, "between mature and growth-stage"),
    ("sm_share", 0.50, "growth-stage (50-60%)"),
    ("sm_share", 0.5999, "growth-stage (50-60%)"),
    ("sm_share", 0.60, "above growth-stage (50-60%)"),
    ("sm_share", 0.7999, "above growth-stage (50-60%)"),
    ("sm_share", 0.80, "early-stage level (80%+)"),
    ("rnd_share", 0.1999, "below typical (20-30%)"),
    ("rnd_share", 0.20, "typical (20-30%)"),
    ("rnd_share", 0.2999, "typical (20-30%)"),
    ("rnd_share", 0.30, "above typical (20-30%)"),
    ("cs_share", 0.0999, "below typical (10-15%)"),
    ("cs_share", 0.10, "typical (10-15%)"),
    ("cs_share", 0.1499, "typical (10-15%)"),
    ("cs_share", 0.15, "above typical (10-15%)"),
    ("ga_share", 0.0999, "below typical (10-15%)"),
    ("ga_share", 0.10, "typical (10-15%)"),
    ("ga_share", 0.1499, "typical (10-15%)"),
    ("ga_share", 0.15, "above typical (10-15%)"),
    ("nrr", 0.9499, "weak"),
    ("nrr", 0.95, "typical"),
    ("nrr", 1.0999, "typical"),
    ("nrr", 1.10, "strong"),
    ("nrr", 1.1999, "strong"),
    ("nrr", 1.20, "best-in-class"),
    ("grr", 0.8499, "weak"),
    ("grr", 0.85, "typical"),
    ("grr", 0.9199, "typical"),
    ("grr", 0.92, "strong"),
    ("grr", 0.9499, "strong"),
    ("grr", 0.95, "best-in-class"),
    ("ebitda_margin", -0.5, "loss-making"),
    ("ebitda_margin", 0.0, "profitable, below mature (20-30%)"),
    ("ebitda_margin", 0.1999, "profitable, below mature (20-30%)"),
    ("ebitda_margin", 0.20, "mature (20-30%)"),
    ("ebitda_margin", 0.2999, "mature (20-30%)"),
    ("ebitda_margin", 0.30, "above mature (30%+)"),
]

TIER_CASES = [
    # metric, tier, value, verdict
    ("cac_payback", "smb", 11.99, "excellent"),
    ("cac_payback", "smb", 12.0, "good"),
    ("cac_payback", "smb", 17.99, "good"),
    ("cac_payback", "smb", 18.0, "too slow for SMB"),
    ("cac_payback", "midmarket", 11.99, "excellent"),
    ("cac_payback", "midmarket", 12.0, "good"),
    ("cac_payback", "midmarket", 18.0, "slow for mid-market"),
    ("cac_payback", "midmarket", 24.0, "problematic"),
    ("cac_payback", "enterprise", 11.99, "excellent"),
    ("cac_payback", "enterprise", 12.0, "good"),
    ("cac_payback", "enterprise", 23.99, "good"),
    ("cac_payback", "enterprise", 24.0, "acceptable for enterprise"),
    ("cac_payback", "enterprise", 35.99, "acceptable for enterprise"),
    ("cac_payback", "enterprise", 36.0, "problematic"),
    ("cac_payback_cohort", "smb", 19.5, "too slow for SMB"),
    ("nrr", "smb", 0.8999, "weak"),
    ("nrr", "smb", 0.90, "typical"),
    ("nrr", "smb", 1.00, "strong"),
    ("nrr", "smb", 1.10, "best-in-class"),
    ("nrr", "midmarket", 0.9999, "weak"),
    ("nrr", "midmarket", 1.15, "strong"),
    ("nrr", "midmarket", 1.25, "best-in-class"),
    ("nrr", "enterprise", 1.0999, "weak"),
    ("nrr", "enterprise", 1.081, "weak"),        # the review's 108.1%: below the cited 118% median
    ("nrr", "enterprise", 1.25, "strong"),
    ("nrr", "enterprise", 1.35, "best-in-class"),
    ("grr", "smb", 0.7499, "weak"),
    ("grr", "smb", 0.75, "typical"),
    ("grr", "smb", 0.85, "strong"),
    ("grr", "smb", 0.90, "best-in-class"),
    ("grr", "midmarket", 0.8499, "weak"),
    ("grr", "midmarket", 0.92, "strong"),
    ("grr", "midmarket", 0.95, "best-in-class"),
    ("grr", "enterprise", 0.8799, "weak"),
    ("grr", "enterprise", 0.95, "strong"),
    ("grr", "enterprise", 0.97, "best-in-class"),
    ("ltv_to_cac", "smb", 3.0, "good"),          # not tiered: the company's bands
    ("magic_number", "enterprise", 1.0, "very efficient"),
]


@pytest.mark.parametrize("metric, tier, value, expected", TIER_CASES)
def test_tier_verdict(metric, tier, value, expected):
    assert verdict(metric, value, tier) == expected


def test_tier_of_acv():
    from planner.analysis.benchmark_bands import tier_of

    assert tier_of(5_000) == "smb" and tier_of(14_999) == "smb"
    assert tier_of(15_000) == "midmarket" and tier_of(99_999) == "midmarket"
    assert tier_of(100_000) == "enterprise" and tier_of(1e7) == "enterprise"
    assert tier_of(None) is None and tier_of(math.nan) is None


def test_every_tier_threshold_is_tested():
    from planner.analysis.benchmark_bands import TIER_BANDS

    # the boundary rule holds for every tier band: a threshold belongs to the band above
    for key, by_tier in TIER_BANDS.items():
        for tier, bench in by_tier.items():
            assert len(bench.labels) == len(bench.thresholds) + 1 == len(bench.levels)
            for i, threshold in enumerate(bench.thresholds):
                assert verdict(key, threshold, tier) == bench.labels[i + 1]
                assert verdict(key, threshold - 1e-6, tier) == bench.labels[i]


@pytest.mark.parametrize("metric, value, expected", CASES)
def test_verdict(metric, value, expected):
    assert verdict(metric, value) == expected


def test_every_threshold_is_tested_on_both_sides():
    tested = {(metric, value) for metric, value, _ in CASES}
    for key, bench in BANDS.items():
        for threshold in bench.thresholds:
            assert (key, threshold) in tested, (key, threshold)
            assert any(metric == key and value < threshold for metric, value, _ in CASES), (key, threshold)


def test_missing_values_and_unknown_metrics():
    assert verdict("ltv_to_cac", None) == "n/a"
    assert verdict("ltv_to_cac", math.nan) == "n/a"
    with pytest.raises(KeyError, match="no benchmark for 'arpa'"):
        verdict("arpa", 1.0)
    assert has_benchmark("cac_payback_cohort") and not has_benchmark("arpa")
    assert benchmark("cac_payback_cohort") is BANDS["cac_payback"]


def test_table_is_well_formed():
    for bench in BANDS.values():
        assert len(bench.labels) == len(bench.thresholds) + 1
        assert list(bench.thresholds) == sorted(set(bench.thresholds))


def test_markdown_table():
    text = bands_markdown()
    assert "| LTV:CAC (`ltv_to_cac`) | 3 <= x < 4 | good |" in text
    assert "| Burn multiple (`burn_multiple`) | >= 3 | bad |" in text
    assert "| Rule of 40 (`rule_of_40`) | >= 40% | strong |" in text


def test_docs_show_the_current_table():
    from pathlib import Path

    docs = Path(__file__).resolve().parent.parent / "docs" / "unit_economics.md"
    assert bands_markdown() in docs.read_text(encoding="utf-8")


def test_every_verdict_has_a_level_and_reports_use_it():
    """Levels, not wording, decide colours and warnings (a new band label cannot slip through)."""
    from planner.analysis.benchmark_bands import BANDS, LEVELS, verdict_level
    from planner.analysis.metric_specs import METRIC_SPECS
    from planner.report.html import verdict_badge

    for bench in BANDS.values():
        assert len(bench.levels) == len(bench.labels) and set(bench.levels) <= set(LEVELS)
    assert verdict_level("ltv_to_cac", 2.0) == "bad" and verdict_level("ltv_to_cac", 3.5) == "fair"
    assert verdict_level("burn_multiple", 0.5) == "good" and verdict_level("burn_multiple", 2.5) == "bad"
    assert verdict_level("sm_share", 0.55) == "none"          # descriptive cost bands
    assert 'v-bad' in verdict_badge("problematic", "bad") and 'v-none' in verdict_badge("n/a", "bad")
    assert all(s.benchmark is not None for k, s in METRIC_SPECS.items()
               if k in ("ltv_to_cac", "ltv_to_cac_cohort", "cac_payback_cohort", "burn_multiple"))


#: the medians the band comments cite (benchmark_bands.TIER_BANDS and the company bands)
CITED_MEDIANS = [("nrr", "smb", 0.97), ("nrr", "midmarket", 1.08), ("nrr", "enterprise", 1.18),
                 ("nrr", None, 1.00), ("nrr", None, 1.05), ("grr", "smb", 0.80),
                 ("grr", "midmarket", 0.88), ("grr", "enterprise", 0.92), ("grr", None, 0.90)]


@pytest.mark.parametrize("metric, tier, median", CITED_MEDIANS)
def test_cited_median_is_typical_with_room(metric, tier, median):
    # the cited median lies inside "typical", not on a boundary
    for nudge in (-0.01, 0.0, 0.01):
        assert verdict(metric, median + nudge, tier) == "typical"
