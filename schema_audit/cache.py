"""The on-disk cache shared by the slow, pure steps (rendering Alembic revisions, composing specs).

Entries are JSON (never pickle: a cache directory must not be able to run code),
named by a hash of everything the result depends on, written atomically, and
any problem reading or writing them means "no cache", never an error.
``SCHEMA_AUDIT_CACHE=0`` turns caching off; ``SCHEMA_AUDIT_CACHE_DIR`` moves it
(default ``$XDG_CACHE_HOME/schema-audit`` or ``~/.cache/schema-audit``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any


def enabled() -> bool:
    return os.environ.get("SCHEMA_AUDIT_CACHE", "1").strip().lower() not in ("0", "no", "off")


def directory() -> Path:
    if os.environ.get("SCHEMA_AUDIT_CACHE_DIR"):
        return Path(os.environ["SCHEMA_AUDIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "schema-audit"


@functools.lru_cache(maxsize=1)
def versions() -> str:
    """The versions a cached result depends on (the tool's own among them)."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for package in ("schema-audit", "alembic", "sqlalchemy", "pyyaml", "jsonschema"):
        try:
            out.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            out.append(f"{package}=?")
    return ";".join(out)


def key(kind: str, *parts: bytes) -> str:
    digest = hashlib.sha256(f"{kind};{versions()};".encode())
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def read(kind: str, cache_key: str) -> Any | None:
    try:
        return json.loads((directory() / kind / f"{cache_key}.json").read_text("utf-8"))
    except (OSError, ValueError):
        return None


def write(kind: str, cache_key: str, value: Any) -> None:
    folder = directory() / kind
    with contextlib.suppress(OSError, TypeError, ValueError):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{cache_key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
        tmp.replace(folder / f"{cache_key}.json")
