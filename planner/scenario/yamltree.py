"""YAML -> plain Python data, remembering the line of every key and value.

``yaml.compose`` keeps each node's ``start_mark``, so the validator can say
``scenario.yaml:23: segments.smb.retention.alpha: ...`` at no extra cost.
Only YAML's safe types are built (no arbitrary objects), and duplicate keys are
errors instead of YAML's silent "last one wins".
"""
from __future__ import annotations

import re
from typing import Any

import yaml

from planner.errors import Problem, ScenarioError

Path = tuple  # a key path: tuple of str keys and int list indices


class LineMap:
    """Line numbers (1-based) of the nodes of one document, by key path."""

    def __init__(self, source: str):
        self.source = source
        self._lines: dict[Path, int] = {}
        #: key path -> "--set ..." text for values that came from an override
        self.overrides: dict[Path, str] = {}

    def set(self, path: Path, line: int) -> None:
        self._lines.setdefault(path, line)

    def override(self, path: Path) -> str | None:
        """The ``--set`` text that supplied ``path`` (or an ancestor), if any."""
        path = tuple(path)
        for n in range(len(path), 0, -1):
            if path[:n] in self.overrides:
                return self.overrides[path[:n]]
        return None

    def line(self, path: Path) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get(())


def dotted(path: Path) -> str:
    """``('segments', 'smb', 'hires', 2)`` -> ``segments.smb.hires[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


#: the largest scenario file read, in bytes (the bundled ones are under 10 KB)
MAX_BYTES = 1_000_000
#: the most values (mappings, lists, scalars) a document may hold, aliases counted each
#: time they are used (a scenario holds a few hundred; an "alias bomb" billions)
MAX_NODES = 50_000
#: the deepest nesting of mappings and lists (a scenario needs under 10 levels)
MAX_DEPTH = 40
#: the longest number written in digits (a float has 17 significant digits)
MAX_DIGITS = 400


class LimitError(Exception):
    """The document is beyond what a scenario needs (size, nesting, values, aliases)."""

    def __init__(self, message: str, line: int | None, path: Path):
        super().__init__(message)
        self.message, self.line, self.path = message, line, path


class _Counting:
    """A composer that counts values and depth and knows the key path it is in.

    PyYAML's composer is recursive and shares aliased nodes; limiting depth and the
    number of values here stops hostile documents before they cost time or memory.
    """

    path: list
    nodes: int

    def compose_node(self, parent, index):
        part = _part(parent, index)
        if part is not None:
            self.path.append(part)
        if len(self.path) > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep",
                             self.peek_event().start_mark.line + 1, tuple(self.path))
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise LimitError(f"more than {MAX_NODES:,} values in one file",
                             self.peek_event().start_mark.line + 1, tuple(self.path))
        node = super().compose_node(parent, index)
        if part is not None:
            self.path.pop()
        return node


class _PyLoader(_Counting, yaml.SafeLoader):
    """The pure-Python safe loader (its error messages are the ones shown)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.path, self.nodes = [], 0


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _CLoader(_Counting, yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor,
                   yaml.resolver.Resolver):
        """libyaml's scanner and parser (ten times faster) under the Python composer."""

        def __init__(self, text: str):
            CParser.__init__(self, text)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self.path, self.nodes = [], 0
else:  # pragma: no cover - PyYAML built without libyaml
    _CLoader = _PyLoader


def _part(parent, index):
    """The key path element of a child being composed (None for a mapping key itself)."""
    if isinstance(parent, yaml.SequenceNode) and isinstance(index, int):
        return index
    if isinstance(parent, yaml.MappingNode) and isinstance(index, yaml.Node):
        return index.value if isinstance(index, yaml.ScalarNode) else "?"
    return None


_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"
#: the booleans of YAML 1.2; YAML 1.1's others (yes, no, on, off) are text there, and here
#: (a flag then reads them, as the JSON Schema allows)
_YAML12_BOOLS = frozenset("true True TRUE false False FALSE".split())

# YAML 1.1 (PyYAML, this loader) and YAML 1.2 (editors, most other tools) read some
# numbers differently. A scenario must mean the same number to both, so the loader reads
# them as YAML 1.2 does, or refuses them; the JSON Schema accepts the same texts.

#: a number with its digits grouped by ``_`` in threes: ``14_000_000``, ``-2_500.75``.
#: YAML 1.1 reads it as a number, YAML 1.2 as text, which the JSON Schema then accepts
#: where a number goes (this is also its pattern there).
GROUPED_NUMBER = r"^[-+]?[1-9][0-9]{0,2}(_[0-9]{3})+(\.[0-9]+)?$"
_GROUPED = re.compile(GROUPED_NUMBER, re.ASCII)
#: the numbers both read to the same value: decimal without a leading zero, hexadecimal,
#: floats with a point or an exponent, .inf and .nan
_SHARED_NUMBER = re.compile(r"^([-+]?(0|[1-9][0-9]*)|0x[0-9a-fA-F]+"
                            r"|[-+]?(\.[0-9]+|[0-9]+\.[0-9]*)([eE][-+]?[0-9]+)?"
                            r"|[-+]?[0-9]+[eE][-+]?[0-9]+"
                            r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$", re.ASCII)
#: numbers to YAML 1.2 that YAML 1.1 reads otherwise: with a leading zero (``012``: octal
#: 10 in 1.1, ``08``: text), in exponent form without a point or a signed exponent (``1e6``,
#: text in 1.1), a signed fraction without a leading digit (``-.5``), ``0o`` octal
_YAML12_NUMBER = re.compile(r"^([-+]?0[0-9]+|0o[0-7]+"
                            r"|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)$", re.ASCII)


def yaml12_number(text: str) -> float | int | None:
    """A plain scalar as YAML 1.2 reads it when it is one of the numbers YAML 1.1 reads
    otherwise: ``"012"`` -> 12, ``"1.4e7"`` -> 14000000.0, ``"-.5"`` -> -0.5, ``"0o17"`` -> 15;
    None for other text."""
    if len(text) > MAX_DIGITS or not _YAML12_NUMBER.match(text):
        return None
    if text.startswith("0o"):
        return int(text[2:], 8)
    if re.match(r"^[-+]?[0-9]+$", text):
        return int(text, 10)
    return float(text)


def grouped_number(text: str) -> float | int | None:
    """``"14_000_000"`` -> 14000000 (``"1_500.5"`` -> 1500.5); None if not :data:`GROUPED_NUMBER`."""
    if not _GROUPED.match(text):
        return None
    plain = text.replace("_", "")
    return float(plain) if "." in plain else int(plain)


def number_form_problem(text: str) -> str:
    """What is wrong with a plain scalar YAML 1.1 reads as a number and YAML 1.2 as text
    (``1:30``, ``0b101``, ``-0x1F``, unevenly grouped digits); "" if nothing."""
    if _SHARED_NUMBER.match(text) or _GROUPED.match(text) or yaml12_number(text) is not None:
        return ""
    if "_" in text:
        return (f"digits grouped with _ must come in threes, as in 14_000_000 (got {text!r}); "
                f"or write the number without _")
    return (f"{text!r} is a number only in YAML 1.1 (base 60, binary or signed hexadecimal) "
            f"and text in editors; write it in plain decimal digits")


class _Builder:
    """Nodes -> plain data, counting every value built (aliases too) and refusing cycles."""

    def __init__(self, loader: yaml.SafeLoader, text: str, lines: LineMap, problems: list):
        self.loader, self.text, self.lines, self.problems = loader, text, lines, problems
        self.built = 0
        self.open: set[int] = set()  # ids of the collections being built (cycle check)

    def problem(self, node: yaml.Node, path: Path, message: str) -> None:
        self.problems.append(Problem(self.lines.source, node.start_mark.line + 1, dotted(path),
                                     message))

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        """The value of a scalar; numbers too long and impossible dates become problems."""
        if node.tag == _INT_TAG and len(node.value) > MAX_DIGITS:
            self.problem(node, path, f"a number of {len(node.value):,} characters is too long "
                                     f"(at most {MAX_DIGITS})")
            return INVALID_SCALAR
        if node.tag == _BOOL_TAG and node.value not in _YAML12_BOOLS:
            return node.value  # yes / on: text, as editors read it
        if node.tag in (_INT_TAG, _FLOAT_TAG):
            if number_form_problem(node.value):
                self.problem(node, path, number_form_problem(node.value))
                return INVALID_SCALAR
            if not _SHARED_NUMBER.match(node.value) and yaml12_number(node.value) is not None:
                return yaml12_number(node.value)  # 012: 12, as editors read it (not octal 10)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            if node.tag == _TIMESTAMP_TAG:  # 2027-02-30: the text, for the field to judge
                return node.value
            self.problem(node, path, f"cannot read the value {node.value[:40]!r}")
            return INVALID_SCALAR
        if isinstance(value, str) and not node.style:  # plain (unquoted) text (libyaml: "")
            number = yaml12_number(value)
            if number is not None:
                return number
        return value

    def key_text(self, node: yaml.Node) -> str:
        """A key as written (for the key path of a key that is not a plain name)."""
        raw = self.text[node.start_mark.index:node.end_mark.index].strip() or "null"
        raw = " ".join(raw.split())
        return raw if len(raw) <= 30 else raw[:27] + "..."

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.built += 1
        if self.built > MAX_NODES:
            raise LimitError(f"its aliases expand to more than {MAX_NODES:,} values",
                             node.start_mark.line + 1, path)
        if len(path) > MAX_DEPTH:
            raise LimitError(f"nested more than {MAX_DEPTH} levels deep (through aliases)",
                             node.start_mark.line + 1, path)
        self.lines.set(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.open:
            raise LimitError("an alias refers to a value that contains it (a recursive alias)",
                             node.start_mark.line + 1, path)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)) or key is INVALID_SCALAR:
                if key is not INVALID_SCALAR:
                    self.problem(key_node, path + (self.key_text(key_node),),
                                 "keys must be plain names or numbers")
                continue
            if isinstance(key, bool):  # `yes:` / `on:` as a key: keep the name as written
                key = str(key_node.value)
            elif not isinstance(key, (int, float)):
                key = str(key)
            child = path + (key,)
            if key in out:
                self.problem(key_node, child, "duplicate key (each key may appear once)")
                continue
            self.lines.set(child, key_node.start_mark.line + 1)
            out[key] = self.build(value_node, child)
        return out


class _Invalid:
    """A scalar that could not be read (its problem is recorded)."""

    def __repr__(self) -> str:
        return "an unreadable value"


INVALID_SCALAR = _Invalid()


def parse_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse one YAML document safely, within bounded time and memory.

    Parameters
    ----------
    text : str
        The document.
    source : str
        File name used in error messages.

    Returns
    -------
    data : Any
        Plain dicts, lists and scalars.
    lines : LineMap
        Line of every key path.

    Raises
    ------
    ScenarioError
        On YAML syntax errors, anchors/tags YAML cannot build safely, duplicate keys,
        unreadable values, or a document beyond the limits (:data:`MAX_BYTES`,
        :data:`MAX_NODES` values with aliases expanded, :data:`MAX_DEPTH` levels).
    """
    lines = LineMap(source)
    if len(text) > MAX_BYTES:
        raise ScenarioError([Problem(source, None, "", f"the file is {len(text):,} characters "
                                     f"long; a scenario may have at most {MAX_BYTES:,}")])
    problems: list[Problem] = []
    try:
        data = _compose_and_build(_CLoader, text, lines, problems)
    except LimitError as err:
        raise ScenarioError([Problem(source, err.line, _short(err.path),
                                     f"too large for a scenario: {err.message}")]) from None
    except yaml.YAMLError:
        try:  # again with the Python parser, whose messages are the ones documented
            data = _compose_and_build(_PyLoader, text, LineMap(source), [])
        except yaml.YAMLError as err:
            raise ScenarioError([_yaml_problem(err, text, source)]) from None
        except LimitError as err:
            raise ScenarioError([Problem(source, err.line, _short(err.path),
                                         f"too large for a scenario: {err.message}")]) from None
        raise ScenarioError([Problem(source, None, "", "not valid YAML")]) from None
    if problems:
        raise ScenarioError(problems)
    return data, lines


def _compose_and_build(loader_class, text: str, lines: LineMap, problems: list) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return None if node is None else _Builder(loader, text, lines, problems).build(node, ())
    finally:
        loader.dispose()


def _short(path: Path) -> str:
    """A key path for a message, its middle left out when it is very deep."""
    return dotted(path) if len(path) <= 8 else dotted(path[:4]) + "..." + dotted(path[-2:])


def _yaml_problem(err: yaml.YAMLError, text: str, source: str) -> Problem:
    """A YAML syntax error as a problem (at its line; no key path: the tree is broken)."""
    where = ""
    if isinstance(err, yaml.reader.ReaderError):  # a control character: not a text file
        line = text.count("\n", 0, err.position) + 1 if isinstance(err.position, int) else None
        code = ord(err.character) if isinstance(err.character, str) else err.character
        char = f" #x{code:04x}" if isinstance(code, int) else ""
        return Problem(source, line, where, f"not valid YAML: contains the control "
                                            f"character{char}; is it a text file?")
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = None if mark is None else mark.line + 1
        what = " ".join(s for s in (err.context, err.problem) if s)
        return Problem(source, line, where, f"not valid YAML: {what}")
    return Problem(source, None, where, "not valid YAML: " + " ".join(str(err).split()))


def parse_value(text: str, source: str) -> Any:
    """One value written in YAML (``--set path=VALUE``), read as in a file.

    Raises
    ------
    ScenarioError
        As :func:`parse_yaml`; the problems name ``source``.
    """
    data, _ = parse_yaml(text, source)
    return data
