"""The JSON Schema editors validate scenarios with, against what ``planner validate`` does.

Editors (VS Code's YAML extension: yaml-language-server) read YAML 1.2; planner reads
YAML 1.1 (PyYAML) and reads the numbers the two disagree on as 1.2 does, or refuses them.
Each file here is read both ways: as the editor sees it (:func:`editor_view`, a YAML 1.2
core-schema reader) against the schema with ``jsonschema``, and by planner.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from planner import ScenarioError
from planner.cli import main
from planner.scenario.loader import parse_scenario
from planner.scenario.schema import json_schema
from planner.scenario.schema_file import MODELINE, SCHEMA_FILE, schema_text
from planner.scenario.yamltree import parse_yaml

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "planner" / "templates" / "starter.yaml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
BUNDLED = SHIPPED + sorted((ROOT / "planner" / "data").glob("*.yaml")) + \
    sorted((ROOT / "tests" / "scenarios").glob("*.yaml")) + [STARTER]


# --------------------------------------------------------------- the editor's reading
class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, as yaml-language-server reads a file by default: no
    ``yes``/``on`` booleans, no underscores, octal or base 60 in numbers, no timestamps."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("null", r"^(~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("float", r"^([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
              r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", list("-+0123456789.")),
]:
    _Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _int12(loader, node):
    text = loader.construct_scalar(node)
    return int(text[2:], 8) if text.startswith("0o") else int(text, 0 if text.startswith("0x") else 10)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)
_Yaml12Loader.add_constructor("tag:yaml.org,2002:float",
                              lambda loader, node: float(loader.construct_scalar(node)))


def editor_view(text: str):
    """The document as a YAML 1.2 editor hands it to the schema (keys as JSON text)."""
    return json.loads(json.dumps(yaml.load(text, Loader=_Yaml12Loader)))


def test_the_editor_view_reads_yaml_12():
    assert editor_view("a: 14_000_000\nb: 012\nc: yes\nd: 1e6\ne: 2027-01-15\nf: 0o17\n") == \
        {"a": "14_000_000", "b": 12, "c": "yes", "d": 1e6, "e": "2027-01-15", "f": 15}


@pytest.fixture(scope="module")
def validator():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def planner_accepts(text: str) -> bool:
    try:
        parse_scenario(text, "s.yaml")
    except ScenarioError:
        return False
    return True


# ------------------------------------------------------------ descriptions, meanings
def _nodes(node, where="#"):
    """Every schema node with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            if key == "properties":
                for name, child in value.items():
                    yield from _nodes(child, f"{where}.{name}")
            else:
                yield from _nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _nodes(child, f"{where}[{i}]")


def test_every_object_and_property_has_a_description():
    nodes = list(_nodes(json_schema()))
    objects = [w for w, n in nodes if (n.get("type") == "object" or "properties" in n)
               and not str(n.get("description", "")).strip()]
    properties = [f"{w}.{name}" for w, n in nodes for name, child in n.get("properties", {}).items()
                  if not str(child.get("description", "")).strip()]
    assert (objects, properties) == ([], [])
    assert len([n for _, n in nodes if n.get("type") == "object"]) > 50  # the walk sees them


def test_every_enum_value_carries_its_meaning():
    enums = [(w, n) for w, n in _nodes(json_schema()) if "enum" in n]
    assert len(enums) >= 15
    for where, node in enums:
        meanings = node.get("enumDescriptions", [])
        assert len(meanings) == len(node["enum"]), where
        assert all(isinstance(m, str) and m.strip() for m in meanings), where
    consts = [(w, n) for w, n in _nodes(json_schema()) if "const" in n]
    assert consts and all(str(n.get("description", "")).strip() for _, n in consts)


def test_meanings_are_the_ones_written():
    props = json_schema()["properties"]
    sampling = props["simulation"]["properties"]["sampling"]
    assert sampling["enum"] == ["monte_carlo", "latin_hypercube", "sobol"]
    assert sampling["enumDescriptions"][1].startswith("Latin hypercube")
    department = props["costs"]["properties"]["headcount"]["items"]["properties"]["department"]
    assert dict(zip(department["enum"], department["enumDescriptions"]))["rnd"].startswith("R&D")


# ------------------------------------------------------- the bundled files, both ways
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_schema_accepts_every_bundled_scenario_as_an_editor_reads_it(validator, path):
    errors = [e.message for e in validator.iter_errors(editor_view(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize("path", SHIPPED + [STARTER], ids=lambda p: p.name)
def test_shipped_scenarios_point_editors_at_the_schema_beside_them(path):
    assert path.read_text().splitlines()[0] == MODELINE == \
        "# yaml-language-server: $schema=planner.schema.json"


def test_the_schema_file_beside_the_scenarios_is_current():
    committed = (ROOT / "scenarios" / SCHEMA_FILE).read_text()
    assert committed == schema_text(), "run: planner schema --write scenarios/"


# -------------------------------------------- numbers: accepted by both or by neither
def _with(line_start: str, value: str) -> str:
    """The starter scenario with the value of its line starting ``line_start`` replaced."""
    text, n = re.subn(rf"(?m)^({re.escape(line_start)}) .*$", rf"\g<1> {value}", STARTER.read_text())
    assert n == 1
    return text


BOTH_ACCEPT = [
    ("  cash:", "14_000_000"), ("  cash:", "14000000"), ("  cash:", "1.4e7"),
    ("  cash:", "14_000_000.50"), ("  cash:", "'14_000_000'"), ("  cash:", "-250_000"),
    ("  cash:", "012"), ("  cash:", "'12000000 to 16000000'"),
    ("  cash:", "{dist: lognormal, median: 14_000_000, p90: 18_000_000}"),
    ("  cash:", "{dist: lognormal, median: '14_000_000', p90: 18_000_000}"),
    ("  cash:", "{dist: choice, values: [10_000_000, 14_000_000], weights: [0.5, 0.5]}"),
    ("  paths:", "2_000"), ("  paths:", "1_000.0"), ("  minimum_cash:", "+1_000_000"),
    ("  seed:", "'1_234'"),
]
BOTH_REJECT = [
    ("  cash:", "14,000,000"), ("  cash:", "1e6 dollars"), ("  cash:", "14 000 000"),
    ("  cash:", "$14M"), ("  cash:", "14_000_00"), ("  cash:", "1_4000_000"),
    ("  cash:", "0_100"), ("  cash:", "1:30"), ("  cash:", "0b101"), ("  cash:", "'1,000'"),
    ("  cash:", "14_000_000_"), ("  cash:", "'12_000_000 to 16_000_000'"),
    ("  cash:", "{dist: lognormal, median: 14,000,000, p90: 18_000_000}"),
    ("  minimum_cash:", "-1_000_000"), ("  paths:", "2_000.5"), ("horizon_months:", "1_000"),
    ("horizon_months:", "36 months"),
]


@pytest.mark.parametrize("line, value", BOTH_ACCEPT, ids=[v for _, v in BOTH_ACCEPT])
def test_numbers_planner_accepts_the_schema_accepts(validator, line, value):
    text = _with(line, value)
    assert planner_accepts(text)
    assert [e.message for e in validator.iter_errors(editor_view(text))] == []


@pytest.mark.parametrize("line, value", BOTH_REJECT, ids=[v for _, v in BOTH_REJECT])
def test_numbers_planner_rejects_the_schema_rejects(validator, line, value):
    text = _with(line, value)
    assert not planner_accepts(text)
    assert not validator.is_valid(editor_view(text))


def test_numbers_are_read_as_an_editor_reads_them():
    for written in ("14_000_000", "'14_000_000'", "1.4e7"):
        assert parse_scenario(_with("  cash:", written), "s.yaml").opening_cash == 14_000_000
    data, _ = parse_yaml("a: 14_000_000\nb: 012\nc: -.5\nd: 0o17\ne: 1_500.25\n", "s.yaml")
    assert data == {"a": 14_000_000, "b": 12, "c": -0.5, "d": 15, "e": 1500.25}


@pytest.mark.parametrize("value, message", [
    ("14_000_00", "digits grouped with _ must come in threes, as in 14_000_000 (got '14_000_00'); "
                  "or write the number without _"),
    ("1:30", "'1:30' is a number only in YAML 1.1 (base 60, binary or signed hexadecimal) and "
             "text in editors; write it in plain decimal digits"),
])
def test_number_forms_the_readers_disagree_on_are_errors(value, message):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_with("  cash:", value), "s.yaml")
    line = STARTER.read_text().splitlines().index(
        next(l for l in STARTER.read_text().splitlines() if l.startswith("  cash:"))) + 1
    assert [str(p) for p in err.value.problems] == [f"s.yaml:{line}: opening.cash: {message}"]


# ---------------------------------------------- what else both reject (a handful)
BOTH_REJECT_OTHER = [
    ("horizon_months:", "36\nhorizon_month: 36"),                  # unknown key
    ("      department:", "engineering"),                            # not a department
    ("start:", "Jan 2027"),                                        # not YYYY-MM
    ("start:", "2027-1"),
    ("currency:", "''"),                                            # blank text
    ("  paths:", "1000\n  process_noise: maybe"),                 # not a flag
    ("  paths:", "0"),                                             # below the minimum
    ("      monthly_churn:", "1.5"),                               # above the maximum
    ("      monthly_churn:", "0.02\n      annual_churn: 0.2"),     # exactly one of the two
]
BOTH_ACCEPT_OTHER = [("  paths:", "1000\n  process_noise: yes"),
                     ("  paths:", "1000\n  process_noise: 'off'"),
                     ("start:", "2027-01-15"), ("name:", "yes"), ("  paths:", "1000\n  process_noise: ON")]


@pytest.mark.parametrize("line, value", BOTH_REJECT_OTHER, ids=[v for _, v in BOTH_REJECT_OTHER])
def test_mistakes_planner_rejects_the_schema_rejects(validator, line, value):
    text = _with(line, value)
    assert not planner_accepts(text)
    assert not validator.is_valid(editor_view(text))


@pytest.mark.parametrize("line, value", BOTH_ACCEPT_OTHER, ids=[v for _, v in BOTH_ACCEPT_OTHER])
def test_yaml_11_words_planner_accepts_the_schema_accepts(validator, line, value):
    text = _with(line, value)
    assert planner_accepts(text)
    assert [e.message for e in validator.iter_errors(editor_view(text))] == []


# ---------------------------------------------------------------- init and --write
def test_init_writes_the_modeline_and_the_schema_it_points_at(tmp_path):
    runner = CliRunner()
    target = tmp_path / "plans" / "mine.yaml"
    result = runner.invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().splitlines()[0] == MODELINE
    schema_path = target.parent / MODELINE.split("$schema=")[1]
    assert schema_path.read_text() == schema_text()
    assert result.output.startswith(f"Wrote {target} (and {schema_path}, which its first line ")
    assert runner.invoke(main, ["validate", str(target)]).exit_code == 0


@pytest.mark.parametrize("args, written", [
    ([], SCHEMA_FILE), (["."], SCHEMA_FILE), (["sub"], f"sub/{SCHEMA_FILE}"),
    (["my.json"], "my.json"), (["new/"], f"new/{SCHEMA_FILE}"),
])
def test_schema_write_puts_the_file_where_asked(tmp_path, monkeypatch, args, written):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    result = CliRunner().invoke(main, ["schema", "--write", *args])
    assert result.exit_code == 0, result.output
    assert result.output == f"Wrote {written}\n"
    assert (tmp_path / written).read_text() == schema_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp


def test_schema_write_refuses_to_overwrite_a_scenario(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("plan.yaml").write_text("keep me\n")
    result = CliRunner().invoke(main, ["schema", "--write", "plan.yaml"])
    assert result.exit_code == 2
    assert "plan.yaml looks like a scenario" in result.output
    assert Path("plan.yaml").read_text() == "keep me\n"


def test_schema_prints_what_write_writes():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert result.output == schema_text()


# ------------------------------------------------- the real editor (opt-in, needs node)
#: the yaml-language-server script, e.g. after ``npm install yaml-language-server``:
#: PLANNER_YAML_LANGUAGE_SERVER=node_modules/yaml-language-server/bin/yaml-language-server
SERVER = os.environ.get("PLANNER_YAML_LANGUAGE_SERVER")


@pytest.mark.skipif(not (SERVER and shutil.which("node")),
                    reason="set PLANNER_YAML_LANGUAGE_SERVER to a yaml-language-server script")
def test_yaml_language_server_accepts_and_rejects_what_planner_does(tmp_path):
    (tmp_path / SCHEMA_FILE).write_text(schema_text())
    cases = {f"accept{i:02d}.yaml": (_with(line, value), True)
             for i, (line, value) in enumerate(BOTH_ACCEPT + BOTH_ACCEPT_OTHER)}
    cases |= {f"reject{i:02d}.yaml": (_with(line, value), False)
              for i, (line, value) in enumerate(BOTH_REJECT + BOTH_REJECT_OTHER)}
    for path in BUNDLED:
        text = path.read_text()
        cases[f"bundled-{path.parent.name}-{path.name}"] = (
            text if text.startswith(MODELINE) else f"{MODELINE}\n{text}", True)
    for name, (text, _) in cases.items():
        (tmp_path / name).write_text(text)
    out = subprocess.run(["node", str(ROOT / "tests" / "editor" / "yls_check.js"), SERVER,
                          *sorted(str(tmp_path / n) for n in cases)],
                         capture_output=True, text=True, timeout=120).stdout
    counts = dict(re.findall(r"(?m)^(\S+\.yaml): (\d+) diagnostics$", out))
    assert set(counts) == set(cases), out
    editor = {name: counts[name] == "0" for name in cases}
    assert editor == {name: accepted for name, (_, accepted) in cases.items()}, out
    assert editor == {name: planner_accepts(text) for name, (text, _) in cases.items()}
