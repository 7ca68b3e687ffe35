"""A registry holds every entry of its package even when one entry module was imported alone
first (a test, a plugin or a profiler importing one rule): a registry that loaded only when
empty would then hold that one rule and silently drop the others — a rule pack of one is a
false PASS on everything else. Each case runs in a fresh interpreter so nothing is loaded."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from importlib import import_module

import pytest

REGISTRIES = [
    # (package, the function that lists the registry)
    ("schema_audit.rules", "registry"),
    ("schema_audit.lint.rules", "registry"),
    ("schema_audit.probes.kinds", "registry"),
    ("schema_audit.kinds", "registry"),
]


def _entry_modules(package: str) -> list[str]:
    path = import_module(package).__path__
    return sorted(i.name for i in pkgutil.iter_modules(path) if not i.name.startswith("_"))


def _count(script: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.parametrize(("package", "function"), REGISTRIES)
def test_registry_lists_every_entry_after_one_was_imported_alone(
    package: str, function: str
) -> None:
    modules = _entry_modules(package)
    assert len(modules) >= 2, f"{package}: expected several entry modules"
    lookup = f"from {package} import {function}\nprint(len({function}()))\n"
    fresh = _count(lookup)
    assert fresh >= len(modules)  # every entry module registers at least one entry
    for alone in (modules[0], modules[-1]):
        after_one = _count(f"import {package}.{alone}\n" + lookup)
        assert after_one == fresh, (
            f"{package}: after importing {alone} alone the registry lists {after_one} "
            f"entries, a fresh lookup {fresh}"
        )
