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
import sys

from schema_audit import cache

# 2: % no longer doubled in op.execute() text (paramstyle named)
# 3: batch_alter_table statements at their own lines
FORMAT = 9  # 4: generated SQL keeps the whitespace of its literals and bodies (one_line);
# 5: sa.Computed() without persisted= rendered STORED, as on PostgreSQL 15 to 17
# 6: `from alembic import context` answers get_context() as under --sql (not is_offline_mode());
#    op.get_bind().commit() is a no-op offline
# 7: a revision asking is_offline_mode() / as_sql is not rendered (its syntax tree is read)
# 8: each statement also keeps the line upgrade() was running (a helper's, in an autocommit block)
# 9: op.get_bind().commit() written as COMMIT, BEGIN (it commits Alembic's transaction online)
_SAFE_ROOTS = {"alembic", "sqlalchemy", "__future__"}


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


def key(source: bytes) -> str:
    return cache.key(f"alembic-render-{FORMAT}", source)


def load(cache_key: str) -> list[tuple[str, int | None, int | None]] | None:
    """The cached (sql, line, line upgrade() was running) triples, or None."""
    data = cache.read("alembic", cache_key)
    try:
        return [(str(sql), _line(line), _line(at)) for sql, line, at in data]
    except (TypeError, ValueError):
        return None


def _line(value: object) -> int | None:
    return value if isinstance(value, int) else None


def store(cache_key: str, statements: list[tuple[str, int | None, int | None]]) -> None:
    cache.write("alembic", cache_key, statements)
