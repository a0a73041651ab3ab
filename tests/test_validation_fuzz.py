"""A generated corpus of bad inputs: never a traceback, every problem located.

Every leaf (and every block) of the bundled scenarios and of the ``planner init``
template is replaced, one at a time, by a value of the wrong kind (a list, a mapping,
null, a huge or too long number, NaN, text in other scripts' digits, an impossible
date, ...). Loading must give a :class:`~planner.Scenario` or a
:class:`~planner.ScenarioError` whose every problem has a file, a line and a key path,
and never any other exception. A sample of the mutants that load is simulated: a file
that validates must run.
"""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

import planner
from planner.errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BASES = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "planner" / "templates" / "starter.yaml"]


class Raw(str):
    """Text written into the YAML as is (unquoted): dates YAML reads as timestamps, aliases."""


#: values put in place of a leaf; every leaf gets several of them, in rotation
LEAF_VALUES = [
    [], {}, None, ["normal"], {"a": 1}, {"dist": ["normal"]}, {"dist": {}}, {"model": []},
    10 ** 30, 10 ** 500, Raw("1" * 5000), float("nan"), Raw(".inf"), -1, 0, 1e308, -1e308,
    1e-300, "２０２７-０１", "١ to ٥", "1 to 1e308", True, Raw("2027-02-30"), "2027-01-32",
    dt.date(1800, 1, 1), "", "x" * 300, 2 ** 63, Raw("&a [*a]"), Raw("0x7fffffffffffffffffff"),
    Raw("{dist: pert, low: 0, mode: 0, high: 1e308}"), Raw("{dist: choice, values: [1, 2], weights: [0.1, 0.1]}"),
]
#: values put in place of a whole block (a mapping or list)
BLOCK_VALUES = [None, 1, "text", [], {}, [None], Raw("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
PER_LEAF = 2  # values tried per leaf (rotating through LEAF_VALUES)
PER_BLOCK = 2  # values tried per block (rotating through BLOCK_VALUES)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _paths(node, path=()):
    """Key paths of every leaf and every block under ``node`` (blocks first)."""
    if isinstance(node, dict):
        if path:
            yield path, "block"
        for key, value in node.items():
            yield from _paths(value, path + (key,))
    elif isinstance(node, list):
        yield path, "block"
        for i, value in enumerate(node):
            yield from _paths(value, path + (i,))
    else:
        yield path, "leaf"


def _dump(data, raws: dict) -> str:
    text = yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True, width=10_000)
    for token, raw in raws.items():
        text = text.replace(f"'{token}'", raw).replace(token, raw)
    return text


def _mutant(data, path, value) -> str:
    data = _copy(data)
    node = data
    for part in path[:-1]:
        node = node[part]
    raws = {}
    if isinstance(value, Raw):
        token = f"RAWTOKEN{len(raws)}X"
        raws[token] = str(value)
        value = token
    node[path[-1]] = value
    return _dump(data, raws)


def _copy(data):
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def corpus() -> list[tuple[str, str, str]]:
    """(id, source name, YAML text) of every mutant."""
    out = []
    counter = itertools.count()
    for base in BASES:
        data = yaml.load(base.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        for path, kind in _paths(data):
            n = next(counter)
            values = [BLOCK_VALUES[(n + k * 3) % len(BLOCK_VALUES)] for k in range(PER_BLOCK)] \
                if kind == "block" else \
                [LEAF_VALUES[(n + k * 11) % len(LEAF_VALUES)] for k in range(PER_LEAF)]
            for value in values:
                ident = f"{base.stem}:{'.'.join(map(str, path))}={str(value)[:20]!r}"
                out.append((ident, base.name, _mutant(data, path, value)))
    return out


CORPUS = corpus()


def _load(text: str, source: str):
    try:
        return planner.parse_scenario(text, source)
    except ScenarioError as err:
        return err


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) > 1500


def test_every_mutant_loads_or_gives_located_problems_and_valid_ones_run():
    """No exception but ScenarioError, every problem located; every 5th mutant that
    loads is simulated (a few paths): a file that validates must run."""
    unlocated, crashed, loaded = [], [], []
    for ident, source, text in CORPUS:
        try:
            outcome = _load(text, source)
        except Exception as err:  # noqa: BLE001 - the point of the test
            crashed.append(f"{ident}: {type(err).__name__}: {err}")
            continue
        if isinstance(outcome, ScenarioError):
            assert outcome.problems, ident
            unlocated += [f"{ident}: {p}" for p in outcome.problems
                          if not (p.file == source and p.line and p.path)]
        else:
            loaded.append((ident, outcome))
    assert not crashed, "\n".join(crashed[:20])
    assert not unlocated, "\n".join(unlocated[:20])
    assert len(loaded) > 50  # the corpus also holds mutants that are still valid
    failed = []
    for ident, scenario in loaded[::5]:
        try:
            result = planner.simulate(scenario, paths=2)
        except Exception as err:  # noqa: BLE001
            failed.append(f"{ident}: {type(err).__name__}: {err}")
            continue
        if not np.isfinite(result.total("cash")).all():
            failed.append(f"{ident}: cash not finite")
    assert not failed, "\n".join(failed[:20])


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\nname: bomb\n"


TEMPLATE = (ROOT / "planner" / "templates" / "starter.yaml").read_text()

HOSTILE = [
    pytest.param(_bomb(), "too large for a scenario: its aliases expand to more than 50,000 values",
                 id="alias-bomb"),
    pytest.param("name: &a [*a]\n", "too large for a scenario: an alias refers to a value that "
                                     "contains it (a recursive alias)", id="recursive-alias"),
    pytest.param("name: " + "[" * 5000 + "\n", "too large for a scenario: nested more than 40 levels "
                                                "deep", id="deep-flow-list"),
    pytest.param("name: " + "{a: " * 5000 + "\n", "too large for a scenario: nested more than 40 "
                                                   "levels deep", id="deep-flow-mapping"),
    pytest.param("".join(" " * i + f"k{i}:\n" for i in range(60)) + " " * 60 + "v: 1\n",
                 "too large for a scenario: nested more than 40 levels deep", id="deep-block"),
    pytest.param("name: [" + "1, " * 60_000 + "]\n", "too large for a scenario: more than 50,000 "
                                                    "values in one file", id="many-values"),
    pytest.param("# " + "x" * 1_000_001 + "\n", "a scenario may have at most 1,000,000",
                 id="too-big"),
    pytest.param(TEMPLATE.replace("cash: 5000000 ", "cash: " + "9" * 5000 + " "),
                 "opening.cash: a number of 5,000 characters is too long (at most 400)",
                 id="thousands-of-digits"),
]


@pytest.mark.parametrize("text, expected", HOSTILE)
def test_hostile_files_stop_early_with_a_located_error(text, expected):
    import time

    started = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        planner.parse_scenario(text, "h.yaml")
    assert time.perf_counter() - started < 5.0
    assert any(expected in str(p) for p in err.value.problems), err.value
    for p in err.value.problems:
        assert p.file == "h.yaml"
        assert p.line is not None or "at most 1,000,000" in p.message


@pytest.mark.parametrize("item, expected", [
    ("start=2027-02-30", "start: is not a calendar date (day is out of range for month) (got '2027-02-30')"),
    ("start='2027-01-32'", "start: is not a calendar date"),
    ("start=２０２７-０１", "start: must be a month written YYYY-MM"),
    ("opening.cash=" + "9" * 5000, "opening.cash: a number of 5,000 characters is too long"),
    ("opening.cash=١ to ٥", "opening.cash: must be a number"),
    ("segments.smb.contract.term_months=12000", "term_months: must be between 1 and 120"),
])
def test_overrides_are_read_like_the_file(tmp_path, item, expected):
    path = tmp_path / "s.yaml"
    path.write_text(TEMPLATE)
    with pytest.raises(ScenarioError) as err:
        planner.load_scenario(path, [item])
    assert any(expected in str(p) for p in err.value.problems), err.value
    assert all(p.path for p in err.value.problems)
