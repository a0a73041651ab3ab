"""``--set dotted.path=VALUE`` overrides, applied to the YAML tree before validation."""
from __future__ import annotations

import difflib
import re
from typing import Any

from planner.errors import Problem, ScenarioError
from planner.scenario.yamltree import dotted, parse_value

_INDEX = re.compile(r"\[(\d+)\]")


def parse_key_path(text: str) -> tuple:
    """``costs.headcount[0].salary`` or ``costs.headcount.0.salary`` -> key path tuple."""
    parts: list = []
    for piece in _INDEX.sub(r".\1", text).split("."):
        if piece == "":
            raise ValueError("empty key")
        parts.append(int(piece) if piece.isascii() and piece.isdigit() else piece)
    return tuple(parts)


def apply_overrides(data: dict, overrides: list[str] | tuple[str, ...]) -> tuple[dict, dict]:
    """Set scalar values in a parsed scenario.

    Parameters
    ----------
    data : dict
        Parsed YAML (changed in place).
    overrides : list of str
        ``dotted.path=VALUE`` items; VALUE is read as a YAML scalar.

    Returns
    -------
    data : dict
    sources : dict
        key path -> the override text, so errors can point at it.

    Raises
    ------
    ScenarioError
        For malformed items, paths through non-mappings, or non-scalar values.
    """
    problems: list[Problem] = []
    sources: dict = {}
    for item in overrides:
        where = f"--set {item}"
        key, sep, raw = item.partition("=")
        try:
            path = parse_key_path(key.strip()) if sep else None
        except ValueError:
            path = None
        if path is None:
            problems.append(Problem(where, None, "", "expected dotted.path=VALUE"))
            continue
        try:  # read as the same value would be in the file (dates, long numbers, limits)
            value = parse_value(raw, where) if raw.strip() else None
        except ScenarioError as err:
            if not all(p.message.startswith("not valid YAML") for p in err.problems):
                problems.extend(Problem(where, None, key, p.message) for p in err.problems)
                continue
            value = raw  # not YAML: plain text
        if isinstance(value, (dict, list)) or value is None:
            problems.append(Problem(where, None, key, "the value must be a single number or text"))
            continue
        error = _set(data, path, value)
        if error:
            problems.append(Problem(where, None, key, error))
        else:
            sources[path] = where
    if problems:
        raise ScenarioError(problems)
    return data, sources


def _set(data: Any, path: tuple, value: Any) -> str | None:
    node = data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, list):
            return (f"no such entry in the scenario: {dotted(path[: depth + 1])} "
                    f"({dotted(path[:depth])} has {len(node)} entries)")
        else:
            shown = dotted(path[: depth + 1])
            hint = (difflib.get_close_matches(str(part), [str(k) for k in node], n=1)
                    if isinstance(node, dict) else [])
            if isinstance(node, dict) and not hint and isinstance(part, str):
                # a block left out of the file (its keys defaulted): create it; the schema
                # still rejects keys that do not exist
                node = node.setdefault(part, {})
                continue
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            return f"no such entry in the scenario: {shown}{extra}"
    last = path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or last >= len(node):
            return "index out of range"
    elif not isinstance(node, dict):
        return "cannot set a key inside a single value"
    current = node[last] if isinstance(node, list) else node.get(last)
    is_distribution = isinstance(current, dict) and "dist" in current
    if isinstance(current, (dict, list)) and not is_distribution:
        # a distribution may be pinned to one number (a what-if); other blocks may not
        return "is not a single value (use the YAML file for structured inputs)"
    node[last] = value
    return None
