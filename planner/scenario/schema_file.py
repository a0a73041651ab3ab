"""The schema file editors read: its name, the modeline that points at it, writing it.

The convention: ``planner.schema.json`` sits next to the scenarios, and each scenario's
first line is :data:`MODELINE`, a comment yaml-language-server (VS Code's YAML extension,
and the other editors that use it) follows to validate and complete the file offline.
``planner init`` writes both; ``planner schema --write`` refreshes the file after an
upgrade of planner.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from planner.io import write_text

#: the schema file's name, beside the scenarios that point at it
SCHEMA_FILE = "planner.schema.json"
#: a scenario's first line: where yaml-language-server finds the schema (relative to the
#: scenario)
MODELINE = f"# yaml-language-server: $schema={SCHEMA_FILE}"


def schema_text() -> str:
    """The JSON Schema of the scenario format as the file holds it (indented, final newline)."""
    from planner.scenario.schema import json_schema

    return json.dumps(json_schema(), indent=2) + "\n"


def schema_target(path: str | Path | None = None) -> Path:
    """Where ``planner schema --write [PATH]`` writes: PATH, PATH/planner.schema.json when
    PATH is a folder (or ends with a slash), ./planner.schema.json without PATH."""
    if path is None:
        return Path(SCHEMA_FILE)
    target = Path(path)
    folder = target.is_dir() or str(path).endswith(("/", os.sep))
    return target / SCHEMA_FILE if folder else target


def write_schema(path: str | Path | None = None) -> Path:
    """Write the schema file atomically to :func:`schema_target` of ``path``; returns where.

    Raises
    ------
    OSError
        When the folder cannot be written (naming it).
    """
    target = schema_target(path)
    write_text(target, schema_text())
    return target


def schema_beside(scenario: str | Path) -> Path:
    """Write the schema file next to ``scenario`` (where its modeline points); returns where."""
    return write_schema(Path(scenario).parent / SCHEMA_FILE)
