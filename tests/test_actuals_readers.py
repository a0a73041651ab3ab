"""Readers of actuals: every bad row one line, all at once; each tricky input handled on purpose."""
from __future__ import annotations

import numpy as np
import pytest

from planner.actuals import read_financials, read_ledger, read_mrr_table
from planner.errors import ScenarioError


@pytest.fixture(autouse=True)
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def write(name: str, text: str | bytes) -> str:
    with open(name, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    return name


def problems(read, name, *args) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        read(name, *args)
    return [str(p) for p in err.value.problems]


BAD_LEDGER = """\
customer,segment,start,end,amount,interval,quantity,currency,status
c1,smb,2027-01-05,,100,month,1,USD,active
,smb,2027-01-05,,100,month,1,USD,active
c3,smb,2027-13-01,,100,month,1,USD,active
c4,smb,2027-02-01,2027-01-01,100,month,1,USD,canceled
c5,smb,2027-02-01,,-50.00,month,1,USD,active
c6,smb,01/02/2027,,abc,fortnight,-1,USD,active
c7,smb,2027-02-01,,100,month,1,USD,canceled
c8,smb,2027-02-01,,100,month,1,USD,weird
c9,,2027-02-01,,100,month,1,USD,active
c10,smb,2027-02-01,,100,month,1,,active
c1,smb,2027-01-05,,100,month,1,USD,active
"""


def test_bad_ledger_every_row_one_line_all_at_once():
    assert problems(read_ledger, write("ledger.csv", BAD_LEDGER)) == [
        "ledger.csv:3: column 'customer': is empty: expected a customer id",
        "ledger.csv:4: column 'start': not a date (got '2027-13-01')",
        "ledger.csv:5: column 'end': is before the start 2027-02-01 (got '2027-01-01')",
        "ledger.csv:6: column 'amount': is negative (got '-50.00'): a refund or credit is not recurring "
        "revenue; leave it out of the ledger (it belongs in the financials) or end the subscription",
        "ledger.csv:7: column 'amount': not an amount (got 'abc')",
        "ledger.csv:7: column 'interval': not a billing interval (got 'fortnight'): expected one of day, "
        "week, month, quarter, year",
        "ledger.csv:7: column 'quantity': not a quantity >= 0 (got '-1')",
        "ledger.csv:7: column 'start': not a date (got '01/02/2027')",
        "ledger.csv:8: column 'end': is empty but the status is 'canceled': a cancelled subscription "
        "needs its end date",
        "ledger.csv:9: column 'status': unknown status (got 'weird'): expected one of active, past_due, "
        "unpaid, canceled, cancelled, ended, trialing, trial, incomplete, incomplete_expired, paused",
        "ledger.csv:10: column 'segment': is empty: expected a segment (or set default_segment)",
        "ledger.csv:11: column 'currency': is empty: expected a currency code such as USD",
        "ledger.csv:12: duplicate of line 2: identical in every column read (a double export? set "
        "duplicates: drop; two real subscriptions? give them ids, or one row with quantity 2)",
    ]


def test_bom_spaces_quoted_thousands_and_iso_datetimes_are_read():
    text = ("\ufeff Customer ID , Start (UTC) ,Amount, Interval \n"
            ' c1 , 2027-01-05 10:22:00 , "1,200.00" ,year\n'
            " c2 ,2027-02-01T00:00:00Z,  50 , month \n\n")
    ledger = read_ledger(write("ledger.csv", text))
    assert ledger.customers.tolist() == ["c1", "c2"]
    assert ledger.mrr_cents.tolist() == [10000, 5000]
    assert ledger.start.astype(str).tolist() == ["2027-01-05", "2027-02-01"]
    assert "no segment column and no plan_segments rule: every customer is in segment 'all'" in ledger.notes


def test_other_date_formats_only_when_declared_and_plan_rules_with_patterns():
    text = "customer,start,amount,plan\nc1,15/01/2027,10,pro-monthly\nc2,2027-02-03,10,ent-annual\n"
    name = write("ledger.csv", text)
    assert problems(read_ledger, name) == ["ledger.csv:2: column 'start': not a date (got '15/01/2027')"]
    ledger = read_ledger(name, {"date_format": "%d/%m/%Y", "plan_segments": {"pro-*": "smb", "ent-*": "enterprise"}})
    assert ledger.start.astype(str).tolist() == ["2027-01-15", "2027-02-03"]
    assert ledger.segments == ("enterprise", "smb")
    assert problems(read_ledger, write("l2.csv", text + "c3,2027-02-03,10,free\n"),
                    {"date_format": "%d/%m/%Y", "plan_segments": {"pro-*": "smb"}}) == [
        "l2.csv:3: column 'plan': no segment: plan 'ent-annual' matches no plan_segments rule (set "
        "default_segment to place such rows)",
        "l2.csv:4: column 'plan': no segment: plan 'free' matches no plan_segments rule (set "
        "default_segment to place such rows)"]


def test_mixed_currencies_need_a_reporting_currency_and_every_rate():
    name = write("ledger.csv", "customer,start,amount,currency\nc1,2027-01-01,10,USD\nc2,2027-01-01,10,EUR\n"
                               "c3,2027-01-01,10,GBP\nc4,2027-01-01,10,gbp\n")
    assert problems(read_ledger, name) == [
        "ledger.csv: column 'currency': the ledger mixes currencies (EUR, GBP, USD) and no reporting "
        "currency is set: set currency: (the reporting currency) and rates: {CODE: units of it per unit "
        "of CODE} in the mapping"]
    assert problems(read_ledger, name, {"currency": "USD", "rates": {"EUR": 1.1}}) == [
        "ledger.csv:4: column 'currency': no exchange rate for 'GBP' to the reporting currency USD (add "
        "rates: {GBP: ...} to the mapping)",
        "ledger.csv:5: column 'currency': no exchange rate for 'GBP' to the reporting currency USD (add "
        "rates: {GBP: ...} to the mapping)"]
    ledger = read_ledger(name, {"currency": "usd", "rates": {"EUR": 1.1, "GBP": 1.25}})
    assert ledger.currency == "USD" and ledger.mrr_cents.tolist() == [1000, 1100, 1250, 1250]


def test_overlapping_rows_of_one_subscription_are_refused_several_subscriptions_summed():
    name = write("ledger.csv", "id,customer,start,end,amount\ns1,c1,2027-01-01,2027-06-01,10\n"
                               "s1,c1,2027-03-01,,20\ns2,c1,2027-02-01,,5\n")
    assert problems(read_ledger, name) == [
        "ledger.csv:3: column 'start': subscription 's1' is already counted on 2027-03-01 by an earlier "
        "row that has not ended: one subscription cannot be counted twice"]
    ok = write("ok.csv", "id,customer,start,end,amount\ns1,c1,2027-01-01,2027-03-01,10\n"
                         "s1,c1,2027-03-01,,20\ns2,c1,2027-02-01,,5\n")
    ledger = read_ledger(ok)
    assert "1 customer holds more than one subscription at once: their MRR is the sum (ChartMogul counts " \
           "an added subscription as expansion)" in ledger.notes
    assert ledger.monthly_mrr("2027-04").cents.tolist() == [[1000, 1500, 2500, 2500]]
    assert problems(read_ledger, ok, {"overlaps": "error"}) == [
        "ok.csv:3: column 'start': customer 'c1' is already counted on 2027-03-01 by an earlier row that "
        "has not ended: overlaps: error refuses concurrent subscriptions",
        "ok.csv:4: column 'start': customer 'c1' is already counted on 2027-02-01 by an earlier row that "
        "has not ended: overlaps: error refuses concurrent subscriptions"]


def test_duplicates_dropped_on_request_and_unpaid_statuses_left_out_with_a_note():
    name = write("ledger.csv", "customer,start,amount,status\nc1,2027-01-01,10,active\nc1,2027-01-01,10,active\n"
                               "c2,2027-01-01,10,trialing\nc3,2027-01-01,10,incomplete\n")
    ledger = read_ledger(name, {"duplicates": "drop"})
    assert ledger.customers.tolist() == ["c1"] and ledger.mrr_cents.tolist() == [1000]
    for note in ("1 row with status 'trialing' left out: not paid, so not MRR",
                 "1 row with status 'incomplete' left out: not paid, so not MRR",
                 "1 duplicate row dropped (identical in every column read; duplicates: drop)"):
        assert note in ledger.notes


def test_intervals_quantities_and_rounding_to_the_cent():
    name = write("ledger.csv", "customer,start,amount,interval,interval_count,quantity\n"
                               "a,2027-01-01,1000,year,1,1\nb,2027-01-01,300,month,3,2\nc,2027-01-01,12,week,1,1\n"
                               "d,2027-01-01,49.99,monthly,,3\ne,2027-01-01,99,annual,2,\n")
    assert read_ledger(name).mrr_cents.tolist() == [8333, 20000, 5200, 14997, 413]


def test_columns_found_by_alias_or_mapping_and_unknown_ones_explained():
    name = write("ledger.csv", "cust,begin,price\nc1,2027-01-01,10\n")
    assert problems(read_ledger, name) == [
        "ledger.csv:1: no column for 'customer': expected one of customer, customer_id, customer_name, "
        "account, account_id (did you mean 'cust'?), or name it in the mapping (customer: YOUR_HEADER); "
        "the file has cust, begin, price",
        "ledger.csv:1: no column for 'start': expected one of start, start_date, started_at, start_at, "
        "created, created_at, or name it in the mapping (start: YOUR_HEADER); the file has cust, begin, price"]
    assert problems(read_ledger, name, {"columns": {"customer": "cust", "start": "Begin", "amont": "x"}}) == [
        "ledger.csv: mapping: unknown field 'amont' (did you mean 'amount'?); the ledger fields are "
        "customer, subscription, segment, plan, start, end, amount, interval, interval_count, quantity, "
        "currency, status, cancel_at_period_end, current_period_end"]
    assert read_ledger(name, {"columns": {"customer": "cust", "start": "begin"}}).mrr_cents.tolist() == [1000]
    with pytest.raises(ScenarioError, match="mapping: bogus: unknown key"):
        read_ledger(name, {"bogus": 1})


@pytest.mark.parametrize("content, message", [
    (b"", "ledger.csv: the ledger file is empty: expected a header row"),
    (b"customer,start,amount\n", "ledger.csv:1: the ledger has a header but no data rows"),
    (b"customer,start,amount\nc\xe9,2027-01-01,10\n", "ledger.csv: cannot read the ledger: not UTF-8 text "
                                                       "(save it as CSV UTF-8)"),
])
def test_unreadable_files(content, message):
    assert problems(read_ledger, write("ledger.csv", content)) == [message]


def test_rows_with_too_many_cells_are_all_listed():
    name = write("ledger.csv", "customer,start,amount\nc1,2027-01-01,10,extra\nc2,2027-01-01,10\nc3,2027-01-01,10,x,y\n")
    assert problems(read_ledger, name) == ["ledger.csv:2: has 4 cells but the header has 3",
                                           "ledger.csv:4: has 5 cells but the header has 3"]


def test_missing_file():
    assert problems(read_ledger, "nowhere.csv") == [
        "nowhere.csv: cannot read the ledger file (No such file or directory)"]


BAD_MRR = """\
customer,month,mrr,segment
c1,2027-01,100,smb
c1,2027-01,100,smb
c2,2027-1,50,smb
c3,2027-02,-5,smb
,2027-02,5,smb
c4,2027-02,abc,smb
c1,2027-01,120,smb
"""


def test_bad_mrr_table_every_row_one_line():
    assert problems(read_mrr_table, write("mrr.csv", BAD_MRR)) == [
        "mrr.csv:3: column 'month': identical to line 2 (customer 'c1', 2027-01): one row per customer and "
        "month (set duplicates: drop for a double export)",
        "mrr.csv:4: column 'month': not a month (got '2027-1'): expected YYYY-MM",
        "mrr.csv:5: column 'mrr': is negative (got '-5'): MRR is 0 or more",
        "mrr.csv:6: column 'customer': is empty: expected a customer id",
        "mrr.csv:7: column 'mrr': not an amount (got 'abc')",
        "mrr.csv:8: column 'month': another MRR for the same customer and month as line 2 (customer 'c1', "
        "2027-01): one row per customer and month",
    ]


def test_mrr_table_months_as_dates_gaps_are_zero_and_the_first_month_is_the_opening():
    book = read_mrr_table(write("mrr.csv", "customer,month,mrr\nc1,2027-01-31,100\nc2,2027-01,50\n"
                                           "c1,2027-03-01,100\nc3,2027-02,70\n"))
    assert [str(m) for m in book.months] == ["2027-02", "2027-03"]
    assert book.opening.tolist() == [10000, 5000, 0]
    assert book.cents.tolist() == [[0, 10000], [0, 0], [7000, 0]]


BAD_FINANCIALS = """\
month,revenue,cash,sm_spend,headcount
2027-01,100,5000,-20,10
2027-01,100,5000,20,10
2027-13,x,-5000,20,ten
2027-04,,,,
"""


def test_bad_financials_every_cell_one_line_and_negative_cash_allowed():
    assert problems(read_financials, write("fin.csv", BAD_FINANCIALS)) == [
        "fin.csv:2: column 'sm_spend': is negative (got '-20')",
        "fin.csv:3: column 'month': the month 2027-01 appears twice: one row per month",
        "fin.csv:4: column 'headcount': not a number (got 'ten')",
        "fin.csv:4: column 'month': not a month (got '2027-13'): expected YYYY-MM",
        "fin.csv:4: column 'revenue': not a number (got 'x')",
    ]
    fin = read_financials(write("ok.csv", "Month,Revenue,Cash Balance,S&M,Headcount\n2027-02,10,-5,3,\n2027-01,9,4,2,7\n"))
    assert [str(m) for m in fin.months] == ["2027-01", "2027-02"]
    assert fin.values["cash"].tolist() == [4.0, -5.0] and fin.values["sm_expense"].tolist() == [2.0, 3.0]
    assert np.isnan(fin.values["headcount"][1])
    assert fin.notes == ("Headcount: 1 empty cells are months not reported",)
    assert problems(read_financials, write("none.csv", "month,profit\n2027-01,5\n")) == [
        "none.csv:1: no value columns: expected one or more of revenue, cash, sm_expense, rnd_expense, "
        "cs_expense, ga_expense, headcount"]


STRIPE = """\
id,Customer ID,Customer Description,Customer Email,Plan,Product,Quantity,Interval,Amount,Status,Created (UTC),Start (UTC),Current Period Start (UTC),Current Period End (UTC),Trial Start (UTC),Trial End (UTC),Application Fee Percent,Coupon,Tax Percent,Canceled At (UTC),Cancel At Period End,Ended At (UTC)
sub_1,cus_1,Acme,a@x.com,price_pro,prod_1,2,month,49.00,active,2027-01-03 10:00,2027-01-03 10:00,2027-03-03 10:00,2027-04-03 10:00,,,,,,,false,
sub_2,cus_2,Beta,b@x.com,price_ent,prod_2,1,year,12000.00,active,2027-01-10 09:00,2027-01-10 09:00,2027-01-10 09:00,2028-01-10 09:00,,,,,,2027-03-20 12:00,true,
sub_3,cus_3,Gamma,c@x.com,price_pro,prod_1,1,month,49.00,canceled,2027-01-15 08:00,2027-01-15 08:00,2027-02-15 08:00,2027-03-15 08:00,,,,,,2027-02-20 08:00,false,2027-02-20 08:00
sub_4,cus_4,Delta,d@x.com,price_pro,prod_1,1,month,49.00,trialing,2027-03-01 08:00,2027-03-01 08:00,2027-03-01 08:00,2027-03-15 08:00,2027-03-01 08:00,2027-03-15 08:00,,,,,false,
"""


def test_a_stripe_subscriptions_export_as_it_comes():
    ledger = read_ledger(write("subscriptions.csv", STRIPE), {"plan_segments": {"price_ent": "enterprise", "price_*": "smb"}})
    assert ledger.customers.tolist() == ["cus_2", "cus_1", "cus_3"] and ledger.segments == ("enterprise", "smb")
    assert ledger.mrr_cents.tolist() == [9800, 100000, 4900]
    # cancelled at period end: ends with the paid year, not when the cancellation was asked for
    assert ledger.end.astype(str).tolist() == ["NaT", "2028-01-10", "2027-02-20"]
    assert ("1 subscription cancelled at period end: each ends at its Current Period End (UTC), the end "
            "of the paid period (ChartMogul's churn date)") in ledger.notes


def test_semicolons_decimal_commas_unix_times_and_cents():
    ledger = read_ledger(write("eu.csv", "customer;start;amount;interval\nc1;2027-01-05;49,99;month\n"
                                         "c2;1673740800;1.200,50;year\n"))
    assert ledger.mrr_cents.tolist() == [4999, 10004]
    assert ledger.start.astype(str).tolist() == ["2027-01-05", "2023-01-15"]
    cents = read_ledger(write("api.csv", "customer,start,amount\nc1,2027-01-05,4999\n"), {"amount_in_cents": True})
    assert cents.mrr_cents.tolist() == [4999]


def test_line_numbers_survive_cells_that_span_lines():
    name = write("ledger.csv", 'customer,description,start,amount\nc1,"line one\nline two",2027-01-05,10\n'
                               "c2,plain,2027-13-01,10\n")
    assert problems(read_ledger, name) == ["ledger.csv:4: column 'start': not a date (got '2027-13-01')"]


def test_a_wide_mrr_table_one_column_per_month():
    name = write("wide.csv", "customer,segment,2027-01,2027-02,2027-03\nc1,smb,100,100,\nc2,mid,,50,x\nc3,smb,10,-1,10\n")
    assert problems(read_mrr_table, name) == ["wide.csv:3: column '2027-03': not an amount (got 'x')",
                                              "wide.csv:4: column '2027-02': is negative (got '-1'): MRR is 0 or more"]
    book = read_mrr_table(write("ok.csv", "customer,segment,2027-01,2027-02,2027-03\nc1,smb,100,100,\nc2,mid,,50,60\n"))
    assert [str(m) for m in book.months] == ["2027-02", "2027-03"] and book.segments == ("mid", "smb")
    assert book.opening.tolist() == [0, 10000] and book.cents.tolist() == [[5000, 6000], [10000, 0]]
