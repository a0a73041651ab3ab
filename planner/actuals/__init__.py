"""Actuals: read the books, turn them into MRR movements, cohorts and an opening book,
and track the plan against them month by month (docs/actuals.md).

The flow::

    ledger.csv --read_ledger--> Ledger --monthly_mrr--> CustomerMrr --movements--> Movements
    mrr.csv --read_mrr_table--> CustomerMrr --cohort_history--> CohortHistory (planner fit)
    Ledger --opening_book(as_of)--> OpeningBook --opening_yaml--> scenario block
    SimulationResult + Movements [+ Financials] --track--> Tracking --plot_tracking--> chart
"""
from planner.actuals.cohorts import cohort_history, write_cohorts
from planner.actuals.movements import Movements, movements
from planner.actuals.mrr import CustomerMrr
from planner.actuals.readers import (Financials, Ledger, LedgerFormat, load_format, read_financials,
                                     read_ledger, read_mrr_table)
from planner.actuals.track import Tracking, track, tracking_text

__all__ = ["CustomerMrr", "Financials", "Ledger", "LedgerFormat", "Movements", "Tracking",
           "cohort_history", "load_format", "movements", "read_financials", "read_ledger",
           "read_mrr_table", "track", "tracking_text", "write_cohorts"]
