"""The opening book from a ledger, and plan vs actual (tracking, calibration, the chart)."""
from __future__ import annotations

import numpy as np
import pytest
import yaml

import planner
from planner.actuals import Movements, movements, read_ledger, track, tracking_text
from planner.actuals.chart import plot_tracking
from planner.actuals.opening import opening_book, opening_yaml
from planner.actuals.readers import Financials
from planner.actuals.synthetic import SyntheticSegment, synthetic_ledger

from tests.test_actuals_movements import HAND


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(HAND)
    return read_ledger(path, {"currency": "USD", "rates": {"EUR": 1.1}, "payment_terms_days": 30})


def test_opening_book_of_the_hand_ledger_to_the_cent(hand):
    book = opening_book(hand, "2027-06")
    assert book.segments == ("mid", "smb")
    assert book.customers.tolist() == [4, 5]
    assert book.mrr.tolist() == [533.31, 475.50]
    # annual 2400 from 01-10: 193 of 365 days left; annual 1000 from 03-01: 244 of 366;
    # quarterly 150 from 05-28: 58 of 92; monthly 199.98 from 06-30: 29 of 30
    expected = 2400 * 193 / 365 + 1000 * 244 / 366 + 150 * 58 / 92 + 199.98 * 29 / 30
    assert book.deferred_revenue[0] == pytest.approx(expected, abs=1e-9)
    assert round(book.deferred_revenue[0], 2) == 2223.59
    assert book.receivables.tolist() == pytest.approx([199.98, 475.50])  # invoices of the last 30 days
    assert book.ages[0] == {0: (1, 199.98), 3: (1, 83.33), 4: (1, 50.0), 5: (1, 200.0)}
    assert book.renewals[0] == {"2027-07": (1, 199.98), "2027-08": (1, 50.0), "2028-01": (1, 200.0),
                                "2028-03": (1, 83.33)}
    assert book.ages[1] == {2: (1, 110.0), 4: (2, 115.5), 5: (2, 250.0)}  # a4 counts from its first month


def test_opening_yaml_is_a_valid_scenario_block(hand):
    text = opening_yaml(opening_book(hand, "2027-06"), cash=1_000_000)
    data = yaml.safe_load(text)
    assert data["opening"] == {"cash": 1_000_000.0}
    assert data["segments"]["mid"]["opening"] == {"customers": 4, "mrr": 533.31, "age_months": 3}
    assert "# customers by renewal month: {2027-07: 1, 2027-08: 1, 2028-01: 1, 2028-03: 1}" in text


def test_opening_book_of_a_synthetic_ledger_matches_the_process():
    frame, episodes = synthetic_ledger([SyntheticSegment("smb", 80, 100.0)], 24, start="2025-01", seed=2)
    book = opening_book(read_ledger(frame), "2026-06")
    live = episodes[(episodes["first"] <= 17) & (episodes["stop"] > 17)]
    assert book.customers.tolist() == [live["customer"].nunique()]
    assert book.mrr[0] == pytest.approx(live["cents"].sum() / 100.0, abs=1e-9)


@pytest.fixture(scope="module")
def plan():
    sc = planner.load_scenario("scenarios/series_a_midmarket.yaml")
    return planner.simulate(sc, paths=400, seed=3)


def _movements_from_path(result, j: int, months: int, scale: float = 1.0) -> Movements:
    """Actuals equal to one of the plan's own paths (scaled): a calibrated 'actual'."""
    c = {k: np.zeros((1, months), dtype=np.int64) for k in ("opening", "new", "expansion", "reactivation",
                                                            "contraction", "churned", "closing")}
    n = {k: np.zeros((1, months), dtype=np.int64) for k in c}
    c["closing"][0] = np.round(result.total("mrr")[j, :months] * 100 * scale)
    c["new"][0] = np.round(result.total("new_mrr")[j, :months] * 100 * scale)
    c["churned"][0] = np.round(result.total("churned_mrr")[j, :months] * 100 / scale)
    n["closing"][0] = np.round(result.total("customers")[j, :months] * scale)
    return Movements("actuals", "USD", result.months[:months], ("all",), c, n)


def test_track_puts_each_actual_next_to_the_plan_range(plan):
    t = track(plan, _movements_from_path(plan, 5, 6))
    assert [str(m) for m in t.months] == ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    assert list(t.series) == ["arr", "customers", "new_mrr", "churned_mrr", "revenue"]
    arr = t.series["arr"]
    paths = plan.total("arr")[:, :6]
    assert arr.p50 == pytest.approx(np.quantile(paths, 0.5, axis=0))
    assert arr.variance == pytest.approx(arr.actual - arr.p50)
    expected = (paths < arr.actual).mean(axis=0) + 0.5 * (paths == arr.actual).mean(axis=0)
    assert arr.percentile == pytest.approx(expected)
    new = t.series["new_mrr"]
    cum = np.cumsum(plan.total("new_mrr")[:, :6], axis=1)
    assert new.ytd_p50 == pytest.approx(np.median(cum, axis=0))
    assert new.ytd_actual == pytest.approx(np.cumsum(new.actual))
    assert t.calibration["n"] == 30 and t.calibration["oriented_n"] == 30


def test_calibration_flags_an_optimistic_plan(plan):
    # a typical path (the median ARR after a year) as the actuals, and the same 20% lower
    typical = int(np.argsort(plan.total("arr")[:, 11])[plan.paths // 2])
    good = track(plan, _movements_from_path(plan, typical, 12))
    bad = track(plan, _movements_from_path(plan, typical, 12, scale=0.8))
    assert bad.calibration["optimism_p_value"] < 0.001
    assert bad.calibration["mean_percentile"] < 0.2
    assert "the plan has been too optimistic" in bad.calibration["verdict"]
    assert "too optimistic" not in good.calibration["verdict"]


def test_financials_are_tracked_too(plan):
    months = plan.months[:3]
    values = {"cash": plan.total("cash")[0, :3].copy(), "headcount": plan.total("headcount")[0, :3].copy(),
              "revenue": np.array([1.0, np.nan, 3.0])}
    for k in ("sm_expense", "rnd_expense", "cs_expense", "ga_expense"):
        values[k] = plan.total(k)[0, :3].copy()
    t = track(plan, None, Financials("fin.csv", months, values))
    assert set(t.series) == {"revenue", "cash", "opex", "sm_expense", "rnd_expense", "cs_expense",
                             "ga_expense", "headcount"}
    assert t.series["opex"].actual == pytest.approx(plan.total("opex")[0, :3])
    assert np.isnan(t.series["revenue"].percentile[1]) and t.series["revenue"].ytd_actual[2] == 4.0
    text = tracking_text(t)
    assert "Operating spend (financials)" in text and "Calibration: " in text


def test_track_refuses_actuals_outside_the_plan(plan, hand):
    with pytest.raises(ValueError, match="no actual month"):
        track(plan, movements(hand.monthly_mrr("2027-06")).__class__(
            "x", "USD", np.arange("2020-01", "2020-03", dtype="datetime64[M]"), ("all",),
            {k: np.zeros((1, 2), dtype=np.int64) for k in ("opening", "new", "expansion", "reactivation",
                                                          "contraction", "churned", "closing")},
            {k: np.zeros((1, 2), dtype=np.int64) for k in ("opening", "new", "expansion", "reactivation",
                                                          "contraction", "churned", "closing")}))


def test_to_dict_is_json_ready(plan):
    import json

    data = track(plan, _movements_from_path(plan, 1, 3)).to_dict()
    text = json.dumps(data, allow_nan=False)
    assert data["series"]["arr"]["rows"][0]["month"] == "2027-01" and "calibration" in text


def test_plot_tracking_draws_the_fan_and_the_actuals(plan, tmp_path):
    t = track(plan, _movements_from_path(plan, 5, 9, scale=0.97))
    ax = plot_tracking(t, "arr")
    labels = [line.get_label() for line in ax.get_lines()]
    assert "Plan P50" in labels and "Actual" in labels
    actual = next(line for line in ax.get_lines() if line.get_label() == "Actual")
    assert actual.get_ydata() == pytest.approx(t.series["arr"].actual)
    assert len(ax.collections) == 2  # the two bands
    assert ax.get_title(loc="left").startswith("ARR: actuals against the plan")
    assert len(ax.get_lines()[0].get_xdata()) == 9 + 12  # the plan shown 12 months past the actuals
    ax.figure.savefig(tmp_path / "tracking.png")
    with pytest.raises(KeyError, match="no tracked series 'cash'"):
        plot_tracking(t, "cash")
