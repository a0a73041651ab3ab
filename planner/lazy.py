"""Public names loaded on first use, so importing a package does not import what it names."""
from __future__ import annotations

import importlib
from typing import Callable


def lazy_names(package: str, names: dict[str, str], namespace: dict) -> Callable[[str], object]:
    """A module ``__getattr__`` (PEP 562) that imports ``names[name]`` when ``name`` is
    first asked for and keeps it in ``namespace`` (the package's ``globals()``), so later
    lookups do not come back here.

    Parameters
    ----------
    package : str
        The package's name, for the AttributeError.
    names : dict of str -> str
        Public name -> the module that defines it.
    namespace : dict
        The package's ``globals()``.
    """
    def __getattr__(name: str):
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    return __getattr__
