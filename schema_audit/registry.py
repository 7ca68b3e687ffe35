"""What every registry of the tool shares (audit rules, lint rules, probes): one module per
entry in a package, found by walking the package, documented by its module docstring."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from schema_audit.enums import Severity

Entry = TypeVar("Entry")

_COMPLETE: set[str] = set()  # packages whose every entry module has been imported


def import_entries(path: Iterable[str], package: str) -> None:
    """Import every module of ``package`` whose name does not start with ``_`` (helpers do):
    importing a module runs its decorator, which registers it.

    Registries call this on every lookup, not only when they are empty: a caller may have
    imported one entry module on its own first, and a registry holding only that entry
    would silently drop all the others (a rule pack with one rule is a false PASS). The
    walk itself runs once per package."""
    if package in _COMPLETE:
        return
    for info in pkgutil.iter_modules(path):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package}.{info.name}")
    _COMPLETE.add(package)


def module_doc(function: Callable[..., Any]) -> str:
    """The docstring of the module that defines ``function``: the entry's documentation."""
    return (sys.modules[function.__module__].__doc__ or "").strip()


def check_vocabulary(
    what: str, key: str, severity: str, group: str | None = None, groups: Sequence[str] = ()
) -> None:
    """A group or severity that is not one of the tool's is a typo: an error at import time,
    worded alike in every registry (``rule SEC001: unknown group 'securty'``)."""
    if group is not None and group not in groups:
        raise ValueError(f"{what} {key}: unknown group {group!r}")
    Severity(severity)


def in_group_order(
    registry: dict[str, Entry],
    groups: Sequence[str],
    group_of: Callable[[Entry], str],
    then: Callable[[str], Any],
) -> dict[str, Entry]:
    """The entries in the order the docs and reports list them: by group, then by ``then(id)``."""
    return dict(
        sorted(registry.items(), key=lambda item: (groups.index(group_of(item[1])), then(item[0])))
    )


def check_unique(registry: dict[str, Any], key: str, function: object, what: str) -> None:
    """Two modules registering one id is a mistake (a copied file): an error at import time."""
    if key in registry and registry[key].check is not function:
        raise ValueError(f"{what} {key} registered twice")
