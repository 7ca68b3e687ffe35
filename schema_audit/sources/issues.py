"""What a migration source reader reports: a history it cannot read at all, and the issues
of one it reads (a revision not rendered, files in another order than the applied one …).

Why a module of its own (they were ``sources/alembic.py``'s, which still re-exports them):
``sqlfile.discover`` names them, and the parsing child of a long ``--sql`` history
(``parse_early``) is forked once ``sqlfile`` is imported; the Alembic reader (configparser,
traceback, its render cache: ≈ 0.01 s) is no part of what the child runs, so it is imported
after the fork, by whoever reads Alembic revisions.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema_audit.errors import SchemaAuditError


class MigrationSourceError(SchemaAuditError):
    """The history cannot be read at all; one line."""


@dataclass(slots=True)
class MigrationIssue:
    code: str
    message: str
    revision: str | None = None
    file: str | None = None
    line: int | None = None
    severity: str = "warning"  # error | warning | info
