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

from planner.errors import Problem

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


_constructor = yaml.SafeLoader("")

#: numbers in exponent form that YAML 1.2 reads as floats but PyYAML (YAML 1.1) leaves as
#: text: ``1e6``, ``2.5e6`` (1.1 wants a dot *and* a signed exponent, as in ``2.5e+6``)
_EXPONENT_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$")


def exponent_float(text: str) -> float | None:
    """``"1.4e7"`` -> 14000000.0; None if ``text`` is not a number in exponent form."""
    return float(text) if _EXPONENT_FLOAT.match(text) else None


def _scalar(node: yaml.ScalarNode) -> Any:
    value = _constructor.construct_object(node, deep=True)
    if isinstance(value, str) and node.style is None:  # plain (unquoted) text
        number = exponent_float(value)
        if number is not None:
            return number
    return value


def _build(node: yaml.Node, path: Path, lines: LineMap, problems: list[Problem]) -> Any:
    lines.set(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                problems.append(Problem(lines.source, key_node.start_mark.line + 1, "",
                                        "keys must be plain names or numbers"))
                continue
            if isinstance(key, bool):  # `yes:` / `on:` as a key: keep the name as written
                key = str(key_node.value)
            elif not isinstance(key, (int, float)):
                key = str(key)
            child = path + (key,)
            if key in out:
                problems.append(Problem(lines.source, key_node.start_mark.line + 1, dotted(child),
                                        "duplicate key (each key may appear once)"))
                continue
            lines.set(child, key_node.start_mark.line + 1)
            out[key] = _build(value_node, child, lines, problems)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, problems) for i, item in enumerate(node.value)]
    return _scalar(node)


def parse_yaml(text: str, source: str) -> tuple[Any, LineMap]:
    """Parse one YAML document safely.

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
        On YAML syntax errors, anchors/tags YAML cannot build safely, or duplicate keys.
    """
    from planner.errors import ScenarioError

    lines = LineMap(source)
    problems: list[Problem] = []
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = None if node is None else _build(node, (), lines, problems)
    except yaml.reader.ReaderError as err:  # a control character: not a text file
        line = text.count("\n", 0, err.position) + 1 if isinstance(err.position, int) else None
        code = ord(err.character) if isinstance(err.character, str) else err.character
        char = f" #x{code:04x}" if isinstance(code, int) else ""
        raise ScenarioError([Problem(source, line, "", f"not valid YAML: contains the control "
                                                       f"character{char}; is it a text file?")]) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = None if mark is None else mark.line + 1
        what = " ".join(s for s in (err.context, err.problem) if s)
        raise ScenarioError([Problem(source, line, "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as err:
        what = " ".join(str(err).split())  # one line per problem
        raise ScenarioError([Problem(source, None, "", f"not valid YAML: {what}")]) from None
    if problems:
        raise ScenarioError(problems)
    return data, lines
