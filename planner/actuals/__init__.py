"""Actuals: read the books, turn them into MRR movements, cohorts and an opening book,
and track the plan against them month by month (docs/actuals.md).

The flow::

    ledger.csv --read_ledger--> Ledger --monthly_mrr--> CustomerMrr --movements--> Movements
    mrr.csv --read_mrr_table--> CustomerMrr --cohort_history--> CohortHistory (planner fit)
    Ledger --opening_book(as_of)--> OpeningBook --opening_yaml--> scenario block
    SimulationResult + Movements [+ Financials] --track--> Tracking --plot_tracking--> chart
    scenario.yaml + ledger.csv [+ financials] --reforecast(as_of)--> Scenario from as_of + 1, notes
"""
from __future__ import annotations

from planner.lazy import lazy_names

# the readers and tracking depend only on planner.errors, planner.io and planner.format
# (the scenario loader reads opening.from_actuals through them); imported here so that
# the functions `movements` and `track` are not shadowed by their modules' names
from planner.actuals.movements import Movements, movements
from planner.actuals.mrr import CustomerMrr
from planner.actuals.readers import (Financials, Ledger, LedgerFormat, load_format, read_financials,
                                     read_ledger, read_mrr_table)
from planner.actuals.track import Tracking, track, track_files, tracking_text

#: loaded on first use: the cohort history goes through planner.fit
_LAZY = {"cohort_history": "planner.actuals.cohorts", "write_cohorts": "planner.actuals.cohorts",
         "reforecast": "planner.actuals.reforecast"}

__all__ = ["CustomerMrr", "Financials", "Ledger", "LedgerFormat", "Movements", "Tracking",
           "cohort_history", "load_format", "movements", "read_financials", "read_ledger",
           "read_mrr_table", "reforecast", "track", "track_files", "tracking_text", "write_cohorts"]


__getattr__ = lazy_names("planner.actuals", _LAZY, globals())