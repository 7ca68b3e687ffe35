"""A cache of Alembic revisions rendered to SQL, so an unchanged history does not import Alembic.

Rendering goes through Alembic's Operations API, and importing Alembic and
SQLAlchemy is most of a small audit's time (about 1 s of B0.3's 1.6 s). A
revision's SQL depends only on its file and on the Alembic and SQLAlchemy
versions, *if* the file imports nothing of the project (a revision that does
`from app.models import X` can render differently when app/ changes: never
cached). Keys hash the file's bytes and those versions; failed renders are not
cached. ``SCHEMA_AUDIT_CACHE=0`` turns it off; ``SCHEMA_AUDIT_CACHE_DIR`` moves
it (default ``$XDG_CACHE_HOME/schema-audit`` or ``~/.cache/schema-audit``).
Any problem with the cache (unwritable, corrupt) falls back to rendering.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import json
import os
import sys
from pathlib import Path

FORMAT = 1
_SAFE_ROOTS = {"alembic", "sqlalchemy", "__future__"}


def enabled() -> bool:
    return os.environ.get("SCHEMA_AUDIT_CACHE", "1").strip().lower() not in ("0", "no", "off")


def directory() -> Path:
    if os.environ.get("SCHEMA_AUDIT_CACHE_DIR"):
        return Path(os.environ["SCHEMA_AUDIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schema-audit"


def self_contained(tree: ast.Module) -> bool:
    """True when the revision imports only the standard library, Alembic and SQLAlchemy."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level or not node.module:
                return False
            roots = [node.module.split(".")[0]]
        elif isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        else:
            continue
        if any(r not in _SAFE_ROOTS and r not in sys.stdlib_module_names for r in roots):
            return False
    return True


@functools.lru_cache(maxsize=1)
def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for package in ("alembic", "sqlalchemy", "schema-audit"):
        try:
            out.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            out.append(f"{package}=?")
    return ";".join(out)


def key(source: bytes) -> str:
    digest = hashlib.sha256(f"{FORMAT};{_versions()};".encode())
    digest.update(source)
    return digest.hexdigest()


def load(cache_key: str) -> list[tuple[str, int | None]] | None:
    """The cached (sql, line) pairs, or None."""
    try:
        data = json.loads((directory() / "alembic" / f"{cache_key}.json").read_text("utf-8"))
        return [(str(sql), line if isinstance(line, int) else None) for sql, line in data]
    except (OSError, ValueError, TypeError):
        return None


def store(cache_key: str, statements: list[tuple[str, int | None]]) -> None:
    folder = directory() / "alembic"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{cache_key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(statements), "utf-8")
        tmp.replace(folder / f"{cache_key}.json")
