"""MRR movements, cohorts and the fit from actuals: a hand-made ledger checked to the cent,
and a synthetic ledger from a known process recovered exactly."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.actuals import cohort_history, movements, read_ledger, read_mrr_table, write_cohorts
from planner.actuals.movements import KINDS
from planner.actuals.synthetic import SyntheticSegment, synthetic_ledger
from planner.fit import fit_retention, read_history

HAND = """\
id,customer,segment,start,end,amount,interval,interval_count,quantity,currency,status
s1,a1,smb,2027-01-03,,100,month,1,1,USD,active
s2,a2,smb,2027-01-15,2027-03-15,50,month,1,2,USD,canceled
s2,a2,smb,2027-03-15,,50,month,1,3,USD,active
s3,a3,smb,2027-01-20,2027-04-20,80,month,1,1,USD,canceled
s4,a4,smb,2027-02-01,2027-03-10,60,month,1,1,USD,canceled
s4b,a4,smb,2027-05-05,,70,month,1,1,USD,active
s5,a5,mid,2027-01-10,,2400,year,1,1,USD,active
s5b,a5,mid,2027-02-12,2027-04-12,30,month,1,1,USD,canceled
s6,a6,mid,2027-03-01,,1000,year,1,1,USD,active
s7,a7,mid,2027-02-28,2027-05-28,300,month,3,1,USD,canceled
s7,a7,mid,2027-05-28,,150,month,3,1,USD,active
s8,a8,smb,2027-04-02,,100,month,1,1,EUR,active
t9,a9,smb,2027-01-31,2027-02-14,45.50,month,1,1,USD,trialing
s9,a9,smb,2027-02-14,,45.50,month,1,1,USD,active
s10,a10,smb,2027-03-02,2027-03-25,500,month,1,1,USD,canceled
s11,a11,mid,2027-06-30,,99.99,month,1,2,USD,active
s12,a12,smb,2027-01-31,2027-02-01,120,month,1,1,USD,canceled
"""

#: company bridge expected by hand, month by month (MRR in dollars, customers)
EXPECTED = {
    "new":          [600.00, 205.50, 83.33, 110.00, 0.00, 199.98],
    "expansion":    [0.00, 30.00, 50.00, 0.00, 0.00, 0.00],
    "reactivation": [0.00, 0.00, 0.00, 0.00, 70.00, 0.00],
    "contraction":  [0.00, 0.00, 0.00, 30.00, 50.00, 0.00],
    "churned":      [0.00, 120.00, 60.00, 80.00, 0.00, 0.00],
    "closing":      [600.00, 715.50, 788.83, 788.83, 808.83, 1008.81],
}
EXPECTED_COUNTS = {
    "new": [5, 3, 1, 1, 0, 1], "expansion": [0, 1, 1, 0, 0, 0], "reactivation": [0, 0, 0, 0, 1, 0],
    "contraction": [0, 0, 0, 1, 1, 0], "churned": [0, 1, 1, 1, 0, 0], "closing": [5, 7, 7, 7, 8, 9],
}


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(HAND)
    return read_ledger(path, {"currency": "USD", "rates": {"EUR": 1.1}})


def test_hand_made_ledger_every_movement_to_the_cent(hand):
    mv = movements(hand.monthly_mrr("2027-06"))
    assert [str(m) for m in mv.months] == ["2027-01", "2027-02", "2027-03", "2027-04", "2027-05", "2027-06"]
    for kind, values in EXPECTED.items():
        assert mv.amount(kind).tolist() == values, kind
    for kind, values in EXPECTED_COUNTS.items():
        assert mv.count(kind).tolist() == values, kind
    assert mv.unreconciled() == []


def test_hand_made_ledger_per_segment_and_notes(hand):
    mv = movements(hand.monthly_mrr("2027-06"))
    assert mv.segments == ("mid", "smb")
    assert mv.amount("closing", "mid").tolist() == [200.0, 330.0, 413.33, 383.33, 333.33, 533.31]
    assert mv.amount("contraction", "mid").tolist() == [0, 0, 0, 30.0, 50.0, 0]
    assert any("status 'trialing' left out" in n for n in hand.notes)
    assert any("converted to USD at fixed rates: 1 EUR = 1.1 USD" in n for n in hand.notes)
    assert any("started and ended within one month" in n for n in mv.notes)


def test_the_bridge_reconciles_every_month_and_segment(hand):
    mv = movements(hand.monthly_mrr("2027-06"))
    c, n = mv.cents, mv.counts
    closing = c["opening"] + c["new"] + c["expansion"] + c["reactivation"] - c["contraction"] - c["churned"]
    assert np.array_equal(closing, c["closing"])
    assert np.array_equal(c["opening"][:, 1:], c["closing"][:, :-1])
    assert np.array_equal(n["opening"] + n["new"] + n["reactivation"] - n["churned"], n["closing"])


def test_rows_are_json_ready_and_add_up(hand):
    mv = movements(hand.monthly_mrr("2027-06"))
    rows = mv.rows(by_segment=False)
    assert rows[1] == {"month": "2027-02", "segment": "all", "opening_mrr": 600.0, "new_mrr": 205.5,
                       "expansion_mrr": 30.0, "reactivation_mrr": 0.0, "contraction_mrr": 0.0,
                       "churned_mrr": 120.0, "closing_mrr": 715.5, "opening_customers": 5,
                       "new_customers": 3, "expansion_customers": 1, "reactivation_customers": 0,
                       "contraction_customers": 0, "churned_customers": 1, "closing_customers": 7}


def test_an_mrr_table_gives_the_same_bridge_as_the_ledger(hand, tmp_path):
    book = hand.monthly_mrr("2027-06")
    rows = [(c, str(m), f"{book.cents[i, j] / 100:.2f}", hand.segments[book.customer_segment[i]])
            for i, c in enumerate(book.customers) for j, m in enumerate(book.months) if book.cents[i, j] > 0]
    table = pd.DataFrame(rows, columns=["customer", "month", "mrr", "segment"])
    # an opening month with nothing in it, so that January's movements are known
    table = pd.concat([pd.DataFrame([["a1", "2026-12", "0", "smb"]], columns=table.columns), table])
    path = tmp_path / "mrr.csv"
    table.to_csv(path, index=False)
    mv = movements(read_mrr_table(path))
    for kind, values in EXPECTED.items():
        assert mv.amount(kind).tolist() == values, kind


SEGMENTS = (SyntheticSegment("smb", 120, 100.0, "month", alpha=0.8, beta=8.0),
            SyntheticSegment("mid", 15, 6000.0, "year", alpha=1.0, beta=4.0))


@pytest.fixture(scope="module")
def synthetic():
    ledger, episodes = synthetic_ledger(SEGMENTS, 36, start="2025-01", seed=11)
    return ledger, episodes, read_ledger(ledger)


def _truth(episodes, customers, months):
    """Each customer's month-end MRR rebuilt from the generating process, with plain loops."""
    index = {c: i for i, c in enumerate(customers)}
    truth = np.zeros((len(customers), months), dtype=np.int64)
    for e in episodes.itertuples():
        for m in range(e.first, e.stop):
            truth[index[e.customer], m] += e.cents
    return truth


def _reference_movements(truth):
    """One customer and month at a time: the five movements by ChartMogul's definitions."""
    out = {k: np.zeros(truth.shape[1], dtype=np.int64) for k in KINDS}
    for row in truth:
        paid = False
        prev = 0
        for m, cur in enumerate(row):
            if prev == 0 and cur > 0:
                out["reactivation" if paid else "new"][m] += cur
            elif prev > 0 and cur == 0:
                out["churned"][m] += prev
            elif cur > prev:
                out["expansion"][m] += cur - prev
            elif cur < prev:
                out["contraction"][m] += prev - cur
            paid = paid or prev > 0
            prev = cur
    return out


def test_synthetic_ledger_book_and_movements_recovered_exactly(synthetic):
    _, episodes, ledger = synthetic
    book = ledger.monthly_mrr("2027-12")
    truth = _truth(episodes, book.customers, 36)
    assert np.array_equal(book.cents, truth)
    mv = movements(book)
    expected = _reference_movements(truth)
    for kind in KINDS:
        assert np.array_equal(mv.cents[kind].sum(axis=0), expected[kind]), kind
    assert mv.unreconciled() == []
    assert all(mv.amount(k).sum() > 0 for k in KINDS)  # every movement type occurs


def test_synthetic_cohort_table_recovered_exactly(synthetic, tmp_path):
    _, episodes, ledger = synthetic
    history = cohort_history(ledger.monthly_mrr("2027-12"))
    firsts = episodes[episodes["cohort"] >= 0].drop_duplicates("customer")
    smb = firsts[firsts["segment"] == "smb"]
    for c, label in enumerate(history.cohorts):
        if history.segments[c] != "smb":
            continue
        month = (np.datetime64(label, "M") - np.datetime64("2025-01", "M")).astype(int)
        members = smb[smb["cohort"] == month]
        ages = np.arange(36 - month)
        expected = [(members["life"].to_numpy() > a).sum() for a in ages]
        assert history.active[c, : len(ages)].tolist() == expected, label
    path = tmp_path / "cohorts.csv"
    write_cohorts(history, path)
    again = read_history(path)
    assert np.array_equal(np.nan_to_num(again.active), np.nan_to_num(history.active))


def test_fitted_churn_comes_back_within_its_confidence_interval(synthetic):
    _, _, ledger = synthetic
    fit = fit_retention(cohort_history(ledger.monthly_mrr("2027-12")), segment="smb")
    for true, got, se in ((0.8, fit.alpha, fit.se_alpha), (8.0, fit.beta, fit.se_beta)):
        assert abs(got - true) < 2.58 * se, (got, true, se)  # 99% interval


def test_movements_do_not_depend_on_row_order(synthetic):
    frame, _, ledger = synthetic
    shuffled = read_ledger(frame.sample(frac=1.0, random_state=5))
    a, b = movements(ledger.monthly_mrr("2027-12")), movements(shuffled.monthly_mrr("2027-12"))
    for kind in a.cents:
        assert np.array_equal(a.cents[kind], b.cents[kind])
