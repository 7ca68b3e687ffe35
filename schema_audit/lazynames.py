"""A package's public names imported on first use (PEP 562), shared by the packages that do it.

Why: a package whose ``__init__`` imports its public names makes every importer of any of
its modules pay for all of them (``schema_audit``: ``--help`` for the audit machinery;
``sources.ddl``: the parsing child of a long history for every statement family).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def load(namespace: dict[str, Any], homes: Mapping[str, str], name: str) -> Any:
    """``name`` from the module ``homes`` gives for it, kept in the package's ``namespace``
    (its ``globals()``) so the next look-up is a plain one; another name is an
    AttributeError, as for any module (a submodule's name: Python's import then loads it)."""
    home = homes.get(name)
    if home is None:
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    namespace[name] = value
    return value
