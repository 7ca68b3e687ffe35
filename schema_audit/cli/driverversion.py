"""psycopg's two version modules, answered from the installed folder names, not importlib.metadata.

``psycopg/version.py`` and ``psycopg_binary/version.py`` each call
``importlib.metadata.version()``. Importing ``importlib.metadata`` (email, zipfile, csv …)
costs ~0.04 CPU s, a tenth of a live command's start-up, and nothing else on the live
path needs it. An installed distribution's version is also in the name of its
``<name>-<version>.dist-info`` folder beside the package (the wheel and installed-project
formats fix that name). When exactly one such folder sits beside each package, the
console-script process answers the import of those two modules itself (a finder ahead of
the others: the modules are made, registered and set on their package as any import does)
with that version; anything else (an egg, a source checkout, two folders, a version module
that sets more than ``__version__``) leaves psycopg to import them itself, as always.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import keyword
import os
import re
import sys
import types
from collections.abc import Sequence

# (package, its version module, its distribution's folder prefix)
_MODULES = (
    ("psycopg", "psycopg.version", "psycopg-"),
    ("psycopg_binary", "psycopg_binary.version", "psycopg_binary-"),
)


class _VersionModules:
    """Answers ``import psycopg.version`` / ``psycopg_binary.version`` with a known version.

    A finder and loader by the import system's protocol (``find_spec``, ``create_module``,
    ``exec_module``), without ``importlib.abc``'s base classes: importing that module brings
    ``importlib.resources``, ``tempfile`` and ``random`` (≈ 4 ms), which a static command,
    for which this is preset too, needs nothing of."""

    def __init__(self, versions: dict[str, str]) -> None:
        self.versions = versions

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.versions:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, origin="dist-info folder name")

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        """The import system's default module (``importlib.abc.Loader``'s answer)."""
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module.__version__ = self.versions.pop(module.__name__)
        if not self.versions and self in sys.meta_path:
            sys.meta_path.remove(self)  # both answered: out of every later import's way


def preset() -> None:
    """Answer psycopg's version modules from the installed folders, before psycopg is imported."""
    if "psycopg" in sys.modules or any(isinstance(f, _VersionModules) for f in sys.meta_path):
        return  # imported, or answered already (early_read presets it before its fork)
    versions = {}
    for package, module_name, prefix in _MODULES:
        version = installed_version(package, prefix)
        if version is None:
            return  # both or neither: psycopg imports importlib.metadata for the other anyway
        versions[module_name] = version
    sys.meta_path.insert(0, _VersionModules(versions))


def installed_version(package: str, prefix: str) -> str | None:
    """The version in the one ``<prefix><version>.dist-info`` folder beside ``package``."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    where = os.path.dirname(next(iter(spec.submodule_search_locations)))
    try:
        names = os.listdir(where)
    except OSError:
        return None
    found = [
        name[len(prefix) : -len(".dist-info")]
        for name in names
        if name.startswith(prefix) and name.endswith(".dist-info")
    ]
    if len(found) != 1 or not found[0] or "-" in found[0]:
        return None
    package_dir = next(iter(spec.submodule_search_locations))
    if not _sets_only_version(os.path.join(package_dir, "version.py")):
        return None
    return found[0]


# a line binding a name, at any depth (psycopg's sits in a try/except): an assignment, def, class
_BINDING = re.compile(r"^\s*(?:(\w+)\s*(?::|=(?!=))|def\s+(\w+)|class\s+(\w+))", re.MULTILINE)


def _sets_only_version(path: str) -> bool:
    """Whether the version module at ``path`` binds ``__version__`` and nothing else (imports
    aside): the module made in its place holds only that, so a release whose version module
    offers more must be imported as written."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return False
    bound = {next(name for name in match if name) for match in _BINDING.findall(text)}
    bound -= set(keyword.kwlist)  # try: / else: / finally:
    return bound == {"__version__"}
