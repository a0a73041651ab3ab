"""The catalogue of series: every monthly series a simulation can produce, once.

Each :class:`SeriesSpec` says where a series lives (per segment, per role, company, or
per funding plan), its unit, the label tables and charts print, whether it is a flow
(summed over a period) or a balance (read at a period's end), and how its company
figure is formed from the segments. The engine's output tuples, the result's totals,
the workbook's sheets and the report's tables all read this table, so a new series is
one line here plus the code that computes it.

>>> from planner.series import SERIES_SPECS
>>> SERIES_SPECS["arr"].label, SERIES_SPECS["arr"].unit
('ARR', 'money')
"""
from __future__ import annotations

from dataclasses import dataclass

#: where a series lives and the shape it is stored in
LEVELS = {"segment": "(paths, months, segments)", "company": "(paths, months)",
          "role": "(paths, months, roles)", "financing": "(paths, months), one per funding plan"}
#: units, as the tables format them
UNITS = ("money", "count", "volume", "people", "minutes", "flag")


@dataclass(frozen=True)
class SeriesSpec:
    """One series of the catalogue.

    Attributes
    ----------
    name : str
    level : {"segment", "company", "role", "financing"}
        See :data:`LEVELS`; derived series take the level of what they are computed from.
    unit : str
        One of :data:`UNITS`: ``volume`` is an expected count that need not be whole
        (leads, opportunities), ``count`` a number of customers.
    label : str
        What tables, charts and the workbook call it.
    flow : bool
        True for amounts per month (summed over a period), False for balances at month end.
    weighted_by : str or None
        For an average (response time): the company figure is the average of the
        segments' values weighted by this, only over the segments where it is modelled.
    derived : bool
        Computed from stored series (see :data:`planner.results.DERIVED`), never stored.
    """

    name: str
    level: str
    unit: str
    label: str
    flow: bool = True
    weighted_by: str | None = None
    derived: bool = False


def _specs(level: str, rows, **common) -> dict[str, SeriesSpec]:
    out = {}
    for row in rows:
        name, unit, label, *rest = row
        options = dict(common) | (rest[0] if rest else {})
        out[name] = SeriesSpec(name, level, unit, label, **options)
    return out


_STOCK = {"flow": False}

_SEGMENT = _specs("segment", (
    ("customers", "count", "Customers", _STOCK),
    ("new_customers", "count", "New customers"),
    ("churned_customers", "count", "Churned customers"),
    ("mrr", "money", "MRR", _STOCK),
    ("new_mrr", "money", "New MRR"),
    ("expansion_mrr", "money", "Expansion MRR"),
    ("contraction_mrr", "money", "Contraction MRR"),
    ("churned_mrr", "money", "Churned MRR"),
    ("revenue", "money", "Revenue"),
    ("cogs", "money", "COGS"),
    ("billings", "money", "Billings"),
    ("collections", "money", "Collections"),
    ("deferred_revenue", "money", "Deferred revenue", _STOCK),
    # the go-to-market funnel (docs/funnel.md): zeros where a segment has no funnel
    ("leads", "volume", "Leads"),
    ("mqls", "volume", "MQLs"),
    ("sqls", "volume", "SQLs"),
    ("opportunities", "volume", "Opportunities"),
    ("wins", "volume", "Deals won"),
    ("trials", "volume", "Trials"),
    ("trial_wins", "volume", "Self-serve wins"),
    ("pipeline_lost", "volume", "Pipeline lost"),
    ("pipeline_open", "volume", "Pipeline open", _STOCK),
    ("contacted", "volume", "Leads contacted by SDRs"),
    ("response_minutes", "minutes", "Response to a new lead, minutes",
     {"flow": False, "weighted_by": "contacted"}),
    ("sdr_capacity", "volume", "SDR capacity, leads"),
    ("ae_capacity", "volume", "AE capacity, deals"),
    ("commissions", "money", "Commissions"),
    ("sm_direct", "money", "Direct S&M"),
    ("acquisition_cost", "money", "Acquisition cost"),
))
_ROLE = _specs("role", (("role_headcount", "people", "People in the role", _STOCK),))
_OPERATING = _specs("company", (
    ("sm_expense", "money", "Sales & marketing"),
    ("rnd_expense", "money", "R&D"),
    ("cs_expense", "money", "Customer success"),
    ("ga_expense", "money", "G&A"),
    ("bad_debt", "money", "Bad debt"),
    ("headcount", "people", "Headcount", _STOCK),
    ("receivables", "money", "Receivables", _STOCK),
    ("operating_cash_flow", "money", "Operating cash flow"),
))
_FINANCING = _specs("financing", (
    ("equity_raised", "money", "Equity raised"),
    ("debt_drawn", "money", "Debt drawn"),
    ("debt_repaid", "money", "Debt repaid"),
    ("interest", "money", "Interest"),
    ("debt_fees", "money", "Debt arrangement fees"),
    ("debt_balance", "money", "Debt balance", _STOCK),
    ("cash", "money", "Cash", _STOCK),
    ("insolvent", "flag", "Out of cash", _STOCK),
    ("cash_if_funded", "money", "Cash if every planned inflow arrives", _STOCK),
    ("equity_book", "money", "Book equity", _STOCK),
))
_DERIVED_SEGMENT = _specs("segment", (
    ("arr", "money", "ARR", _STOCK),
    ("gross_profit", "money", "Gross profit"),
    ("cac", "money", "CAC", {"flow": False}),
), derived=True)
_DERIVED_COMPANY = _specs("company", (
    ("opex", "money", "Opex"),
    ("ebitda", "money", "EBITDA"),
    ("funding", "money", "Funding"),
    ("net_cash_flow", "money", "Net cash flow"),
    ("net_burn", "money", "Net burn (operating, interest in)"),
    ("net_income", "money", "Net income"),
), derived=True)

#: every series, by name, in catalogue order
SERIES_SPECS: dict[str, SeriesSpec] = (_SEGMENT | _OPERATING | _FINANCING | _DERIVED_SEGMENT
                                       | _DERIVED_COMPANY | _ROLE)


def names(level: str, *, derived: bool = False) -> tuple[str, ...]:
    """Names of the stored (or, with ``derived=True``, derived) series of one level."""
    return tuple(s.name for s in SERIES_SPECS.values() if s.level == level and s.derived == derived)


def label(name: str) -> str:
    """The label of a series (its name where the catalogue has none)."""
    spec = SERIES_SPECS.get(name)
    return name if spec is None else spec.label


def unit(name: str) -> str:
    """The unit of a series (:data:`UNITS`)."""
    return SERIES_SPECS[name].unit
