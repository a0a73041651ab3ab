"""The reforecast: a scenario restarted from the last closed month's actual book.

``reforecast("plan.yaml", "ledger.csv", financials="fin.csv", as_of="2027-06")`` reads
the scenario's YAML tree, moves its start to the month after ``as_of`` keeping its end
(:func:`planner.scenario.rebase.rebase`: schedules, growth, hires, rounds), takes each
segment's opening book from the ledger (``opening.from_actuals``) and the opening cash
from the financials, and validates the result like any scenario file.
"""
from __future__ import annotations

import os
from pathlib import Path

from planner.actuals.opening import closing_cash
from planner.actuals.readers import load_format, read_financials, read_ledger
from planner.errors import PlannerError, Problem, ScenarioError
from planner.scenario.loader import read_text, scenario_from_data
from planner.scenario.overrides import apply_overrides
from planner.scenario.rebase import RebaseError, rebase
from planner.scenario.spec import parse_month
from planner.scenario.yamltree import parse_yaml

__all__ = ["reforecast"]


def reforecast(path: str | os.PathLike, ledger: str | os.PathLike, financials: str | os.PathLike | None = None,
               as_of: str | None = None, mapping: str | os.PathLike | None = None,
               overrides: list[str] | tuple[str, ...] = ()):
    """The scenario at ``path`` restarted from the ledger's book at the close of ``as_of``.

    Parameters
    ----------
    path : path-like
        The scenario YAML (``overrides``, ``--set`` items, are applied before the rebase).
    ledger : path-like
        The subscription ledger (CSV); each segment's opening book comes from it.
    financials : path-like, optional
        Monthly financials: ``opening.cash`` becomes their cash at the close of ``as_of``.
    as_of : str, optional
        The last closed month ``YYYY-MM`` (default: the ledger's latest month with a start
        or an end). The simulation starts the month after and ends where the scenario does.
    mapping : path-like, optional
        The ledger's column mapping (YAML).

    Returns
    -------
    scenario : Scenario
    notes : list of str
        Every change made to the scenario, and what was kept as written.

    Raises
    ------
    PlannerError
        A bad ``as_of`` (one line), or the ledger's, financials' or the rebased
        scenario's problems.
    """
    source = str(path)
    data, lines = parse_yaml(read_text(path), source)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, None, "", "the top level must be a mapping of keys")])
    data, sources = apply_overrides(data, overrides)
    lines.overrides.update(sources)
    ledger_path, mapping_path = Path(ledger).resolve(), Path(mapping).resolve() if mapping else None
    book = read_ledger(ledger_path, load_format(mapping_path) if mapping_path else None)
    if as_of is None:
        month = book.last_event_month
    else:
        month = parse_month(as_of)
        if month is None:
            raise RebaseError(f"as_of must be a month YYYY-MM (got {as_of!r})")
    if month < book.first_month:
        raise RebaseError(f"as_of {month} is before the ledger's first month {book.first_month}")
    notes = []
    if month > book.last_event_month:
        notes.append(f"as_of {month} is after the ledger's last start or end ({book.last_event_month}): "
                     "the book is carried forward unchanged to its close")
    cash = None
    if financials is not None:
        fin = read_financials(financials)
        cash = closing_cash(fin, month)
        if cash is None:
            raise PlannerError(f"{financials}: no cash balance for {month}, the as_of month")
    data, changes = rebase(data, str(month + 1), ledger=str(ledger_path), as_of=str(month),
                           mapping=str(mapping_path) if mapping_path else None, cash=cash)
    notes += changes
    return scenario_from_data(data, lines), notes
