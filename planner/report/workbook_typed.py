"""The workbook's ``As typed`` sheet: every value of the scenario file as it was written,
by key path and line, next to what planner made of it where that differs (an annual
churn turned monthly, a distribution's P10/P50/P90).

The file is read again from ``scenario.source``; ``--set`` overrides and a reforecast's
moves are not in it (the sheet says so), and a scenario built in code has no file, so
no sheet.
"""
from __future__ import annotations

from pathlib import Path

from planner.errors import ScenarioError
from planner.report.workbook_format import Sheet
from planner.scenario.spec import Param
from planner.scenario.yamltree import dotted, parse_yaml


def _leaves(data, path=()):
    """(key path, value) of every scalar of a YAML tree, in file order; a list of scalars is one leaf."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        for i, value in enumerate(data):
            yield from _leaves(value, path + (i,))
    else:
        yield path, data


def _meanings(scenario) -> dict[str, str]:
    """Key path -> what planner made of a value, where it is not the value itself."""
    out = {}
    for p in scenario.params:
        out[p.path] = f"uncertain: {p.dist.describe()}"
    for seg in scenario.segments:
        churn = seg.retention.monthly_churn
        if not isinstance(churn, Param) and churn is not None:
            out[f"segments.{seg.name}.retention.annual_churn"] = f"churn per month {100 * churn:.4g}%"
    return out


def typed_sheet(wb, scenario) -> None:
    """Write the ``As typed`` sheet (nothing when the scenario has no readable file)."""
    path = Path(scenario.source)
    try:
        data, lines = parse_yaml(path.read_text(encoding="utf-8-sig"), scenario.source)
    except (OSError, ScenarioError):  # a scenario built in code, or its file gone
        return
    if not isinstance(data, dict):
        return
    meanings = _meanings(scenario)
    s = Sheet(wb, "As typed", scenario.currency)
    s.header(["Key", "As typed", "Line", "What planner made of it"])
    for key, value in _leaves(data):
        name = dotted(key)
        shown = value if isinstance(value, (int, float, str, bool)) or value is None else str(value)
        if isinstance(shown, list):
            shown = str(shown)
        meaning = next((m for k, m in meanings.items() if name == k or name.startswith(k + ".")), None)
        s.row([name, shown, lines.line(key), meaning])
    s.row([])
    s.row([f"{path.name} as it is on disk; --set overrides and a reforecast's changes are not shown here "
           f"(the Assumptions sheet shows the values the run used)."])
    s.finish(first_width=52, title_columns="A")
    from openpyxl.styles import Alignment

    for (cell,) in s.ws.iter_rows(min_row=2, min_col=2, max_col=2):
        cell.alignment = Alignment(horizontal="left")
    s.ws.column_dimensions["C"].width = 7
