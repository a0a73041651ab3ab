"""``planner --help``, ``validate`` and ``schema`` stay fast: they must not import the heavy
libraries (SciPy, matplotlib, pandas) that only simulating, fitting and drawing need.
Checked by the modules loaded in a fresh interpreter, not by timing."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("scipy", "matplotlib", "pandas", "openpyxl", "watchfiles")

PROBE = """
import json, sys
from click.testing import CliRunner
import planner.cli
args = json.loads(sys.argv[1])
if args is not None:
    result = CliRunner().invoke(planner.cli.main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def _top_modules(args) -> set[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("args", [
    None, ["--help"], ["run", "--help"], ["watch", "--help"], ["schema"],
    ["validate", "scenarios/series_a_midmarket.yaml", "scenarios/seed_selfserve_smb.yaml",
     "scenarios/bottom_up_funnel.yaml"],
], ids=["import", "help", "run-help", "watch-help", "schema", "validate"])
def test_cheap_commands_do_not_import_heavy_libraries(args):
    loaded = _top_modules(args)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    if args is None or "--help" in args:  # listing commands needs no numbers at all
        assert not loaded & {"numpy", "yaml"}, sorted(loaded & {"numpy", "yaml"})


def test_import_planner_is_cheap_and_its_names_still_load():
    code = ("import sys, planner; before = 'scipy' in sys.modules or 'numpy' in sys.modules; "
            "planner.simulate; print(before, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout.split()
    assert out == ["False", "True"]
