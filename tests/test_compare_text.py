"""`planner compare` prints within 100 columns, however many plans and however long their names."""
from __future__ import annotations

import planner
from planner.report.text import WIDTH, column_groups, comparison_text

from conftest import ROOT


def test_the_seed_comparison_fits_100_columns_in_one_table():
    sc = planner.load_scenario(ROOT / "scenarios" / "seed_selfserve_smb.yaml")
    comparison = planner.compare(sc, paths=100, seed=7)
    text = comparison_text(comparison.to_dict(), sc.currency)
    lines = text.splitlines()
    assert WIDTH == 100 and max(len(line) for line in lines) <= WIDTH
    header = lines[1].split()
    assert header == [p["plan"] for p in comparison.to_dict()["plans"]]   # one table: every plan side by side


def test_many_long_plan_names_are_split_into_tables_that_each_fit():
    sc = planner.load_scenario(ROOT / "scenarios" / "seed_selfserve_smb.yaml")
    data = planner.compare(sc, paths=100, seed=7).to_dict()
    row = data["plans"][1]
    data["plans"] = [row | {"plan": f"a_rather_long_plan_name_{i}"} for i in range(6)]
    lines = comparison_text(data, sc.currency).splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    named = [w for line in lines for w in line.split() if w.startswith("a_rather_long_plan_name_")]
    assert named == [f"a_rather_long_plan_name_{i}" for i in range(6)]   # each once, in order
    assert sum(line.lstrip().startswith("Dilution P50") for line in lines) > 1


def test_column_groups_keep_order_and_room():
    assert column_groups([10, 10, 10], 25) == [[0, 1], [2]]
    assert column_groups([30, 5], 25) == [[0], [1]]
    assert column_groups([5, 5], 100) == [[0, 1]]
