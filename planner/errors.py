"""Exceptions raised for bad user input.

`ScenarioError` collects every problem found in an input file and is raised once,
so that a user sees all of them together, one per line, as
``file:line: dotted.path: message (got VALUE)``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file.

    Attributes
    ----------
    file : str
        Path of the file (or a pseudo-source such as ``--set``).
    line : int | None
        1-based line number, when known.
    path : str
        Dotted key path inside the document (``segments.smb.price.arpa``); may be empty.
    message : str
        What is wrong and what was expected, including ``(got VALUE)`` where useful.
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PlannerError(Exception):
    """Base class of every error that is the user's input, not a bug."""


class ScenarioError(PlannerError):
    """One or more problems in a scenario (or other input) file.

    Parameters
    ----------
    problems : list of Problem
        Every problem found; printed one per line.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):
        # rebuilt from its problems, not its message (as it comes back from a worker process)
        return type(self), (self.problems,)
