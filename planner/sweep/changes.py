"""What changed between two scenario files: their YAML trees compared key by key.

The parsed YAML data trees are compared, not the built scenarios, so a change is shown
as it was written (``{dist: lognormal, median: 420, p90: 650}``). List items that have a
``name`` or ``role`` are matched by it, so reordering a list is not a change; other
lists are compared whole. A key present on one side only is one change (``added`` /
``removed``) at the highest level where it differs: a whole new segment is one change.
Also here: reading a side of a diff, a file or ``REV:path`` (a file at a git revision).
"""
from __future__ import annotations

import copy
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import PlannerError
from planner.scenario.loader import read_text

#: list item fields that name an item (first one all items have, uniquely, wins)
NAME_FIELDS = ("name", "role")
#: keys that change no number of the simulation (the diff fixes paths and seed itself)
NOT_SIMULATED = {("name",), ("description",), ("simulation", "paths"), ("simulation", "seed")}
#: depth of the key path a change is attributed to (``segments.smb.price``)
GROUP_DEPTH = 3


class DiffError(PlannerError):
    """A diff that cannot be made (a revision or file that does not exist, nothing in common)."""


@dataclass(frozen=True)
class Item:
    """A list item found by its name: ``field`` is ``name`` or ``role``."""

    field: str
    name: Any

    def __str__(self) -> str:
        return f"[{self.name!r}]"


@dataclass(frozen=True)
class Change:
    """One changed assumption.

    Attributes
    ----------
    path : tuple
        Key path: str keys, int positions, :class:`Item` for named list items.
    kind : {"changed", "added", "removed"}
    old, new : Any
        The YAML values (``None`` on the side where the key is absent).
    group_key : str or None
        The group it is attributed to, when not the default (:attr:`group`).
    """

    path: tuple
    kind: str
    old: Any = None
    new: Any = None
    group_key: str | None = None

    @property
    def key(self) -> str:
        return dotted_key(self.path)

    @property
    def group(self) -> str:
        """The key path it is attributed under: its first three parts (``segments.smb.price``),
        unless set (``group_key``)."""
        return self.group_key or dotted_key(self.path[:GROUP_DEPTH])

    @property
    def simulated(self) -> bool:
        return self.path not in NOT_SIMULATED

    def line(self) -> str:
        """``segments.smb.price.arpa: 400 -> 450``; ``segments.x: added {...}``."""
        if self.kind == "added":
            return f"{self.key}: added {show(self.new)}"
        if self.kind == "removed":
            return f"{self.key}: removed (was {show(self.old)})"
        return f"{self.key}: {show(self.old)} -> {show(self.new)}"

    def to_dict(self) -> dict:
        return {"key": self.key, "group": self.group, "kind": self.kind, "old": show(self.old),
                "new": show(self.new), "simulated": self.simulated}


def dotted_key(path: tuple) -> str:
    """``('costs', 'headcount', Item('role', 'Engineer'), 'salary')`` ->
    ``costs.headcount['Engineer'].salary``."""
    out = ""
    for part in path:
        if isinstance(part, (Item, int)):
            out += f"[{part}]" if isinstance(part, int) else str(part)
        else:
            out += ("." if out else "") + str(part)
    return out


def show(value: Any, limit: int = 160) -> str:
    """A YAML value in flow style, as written (``{dist: pert, low: 1, mode: 2, high: 4}``)."""
    text = _flow(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _flow(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value)


def _name_field(items: list) -> str | None:
    """The field naming every item of ``items`` uniquely, or None (compare the list whole)."""
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    for field in NAME_FIELDS:
        names = [i.get(field) for i in items]
        if all(n is not None for n in names) and len(set(map(repr, names))) == len(names):
            return field
    return None


def _is_leaf(value: Any) -> bool:
    """Scalars, distributions and unnamed lists are compared whole."""
    return not isinstance(value, (dict, list)) or (isinstance(value, dict) and "dist" in value)


def tree_changes(a: Any, b: Any, path: tuple = ()) -> list[Change]:
    """Every difference between two parsed YAML trees, in B's order (removals after).

    Parameters
    ----------
    a, b : Any
        Parsed scenario data (:func:`planner.scenario.yamltree.parse_yaml`).

    Returns
    -------
    list of Change
    """
    if isinstance(a, dict) and isinstance(b, dict) and not (_is_leaf(a) or _is_leaf(b)):
        return _mapping_changes(a, b, path, lambda k: k)
    if isinstance(a, list) and isinstance(b, list):
        field = _name_field(a) if _name_field(a) == _name_field(b) else None
        if field is not None:
            named_a = {i[field]: i for i in a}
            named_b = {i[field]: i for i in b}
            return _mapping_changes(named_a, named_b, path, lambda k: Item(field, k))
    return [] if _same(a, b) else [Change(path, "changed", a, b)]


def _mapping_changes(a: dict, b: dict, path: tuple, part) -> list[Change]:
    out: list[Change] = []
    for key, value in b.items():
        child = path + (part(key),)
        out += tree_changes(a[key], value, child) if key in a else [Change(child, "added", None, value)]
    out += [Change(path + (part(k),), "removed", v, None) for k, v in a.items() if k not in b]
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as YAML values: 450 and 450.0 are the same number; True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b or (_number(a) and _number(b) and a == b)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def apply_changes(data: dict, changes: list[Change]) -> dict:
    """A copy of ``data`` (A's tree) with ``changes`` (from A to B) applied."""
    out = copy.deepcopy(data)
    for change in changes:
        parent = out
        for part in change.path[:-1]:
            parent = _child(parent, part)
        _put(parent, change.path[-1], change)
    return out


def _child(node: Any, part: Any) -> Any:
    if isinstance(part, Item):
        return next(i for i in node if i.get(part.field) == part.name)
    return node[part]


def _put(parent: Any, last: Any, change: Change) -> None:
    value = copy.deepcopy(change.new)
    if isinstance(last, Item):
        where = [n for n, i in enumerate(parent) if i.get(last.field) == last.name]
        if change.kind == "removed":
            del parent[where[0]]
        elif where:
            parent[where[0]] = value
        else:
            parent.append(value)
    elif change.kind == "removed":
        del parent[last]
    else:
        parent[last] = value


def read_side(spec: str) -> tuple[str, str]:
    """The text of one side of a diff and its label: a file, or ``REV:path`` from git.

    ``REV:path`` is read with ``git -C <dir of path> show REV:./<file name>``, so the path
    is relative to the current folder, as for a file. A name that exists as a file is
    always the file.

    Raises
    ------
    DiffError
        Unknown revision, no such file at that revision, not in a git repository.
    ScenarioError
        A file that cannot be read.
    """
    if os.path.exists(spec) or ":" not in spec:
        return read_text(spec), spec
    rev, _, path = spec.partition(":")
    if not rev or not path:
        raise DiffError(f"{spec}: expected a file or REV:path (e.g. HEAD~1:plan.yaml)")
    return _git_show(rev, Path(path), spec), spec


def _git_show(rev: str, path: Path, spec: str) -> str:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise DiffError(f"{spec}: no folder {folder} to find the git repository in")
    try:
        done = subprocess.run(["git", "-C", str(folder), "show", f"{rev}:./{path.name}"],
                              capture_output=True, timeout=60)
    except FileNotFoundError:
        raise DiffError(f"{spec}: git is not installed (needed to read a file at a revision)") from None
    if done.returncode == 0:
        try:
            return done.stdout.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DiffError(f"{spec}: not a UTF-8 text file") from None
    raise DiffError(_git_problem(done.stderr.decode("utf-8", "replace"), rev, path, spec))


def _git_problem(stderr: str, rev: str, path: Path, spec: str) -> str:
    text = stderr.lower()
    if "not a git repository" in text:
        return f"{spec}: {path.parent or '.'} is not in a git repository"
    if "does not exist in" in text or "exists on disk, but not in" in text:
        return f"{spec}: {path} does not exist at revision {rev}"
    if "invalid object name" in text or "unknown revision" in text or "bad revision" in text:
        return f"{spec}: unknown revision {rev}"
    first = stderr.strip().splitlines()[0] if stderr.strip() else "git show failed"
    return f"{spec}: {first.removeprefix('fatal: ')}"
