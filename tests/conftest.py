"""Shared fixtures: the bundled and test scenarios."""
from __future__ import annotations

from pathlib import Path

import pytest

import planner

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
FIXTURES = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
ALL_SCENARIOS = BUNDLED + FIXTURES


def scenario_from_text(text: str, tmp_path: Path, name: str = "s.yaml") -> planner.Scenario:
    path = tmp_path / name
    path.write_text(text)
    return planner.load_scenario(path)


@pytest.fixture(params=ALL_SCENARIOS, ids=lambda p: p.stem)
def any_scenario(request) -> planner.Scenario:
    return planner.load_scenario(request.param)
