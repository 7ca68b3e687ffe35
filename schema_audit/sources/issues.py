"""What a migration source reader reports: a history it cannot read at all, the issues of
one it reads (a revision not rendered, files in another order than the applied one …), and
the revisions missing from a model.

Why a module of its own (they were ``sources/alembic.py``'s, which still re-exports them):
``sqlfile.discover`` names them, and the parsing child of a long ``--sql`` history
(``parse_early``) is forked once ``sqlfile`` is imported; the Alembic reader (configparser,
traceback, its render cache: ≈ 0.01 s) is no part of what the child runs, nor of what a
static read does after its read (``select.syntax_issues``, ``select.gaps``): only whoever
reads Alembic revisions imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema_audit.errors import SchemaAuditError
from schema_audit.model import SchemaModel, UnappliedStatement


class MigrationSourceError(SchemaAuditError):
    """The history cannot be read at all; one line."""


@dataclass(slots=True)
class MigrationIssue:
    """A problem of the history itself (a file not read, a statement that does not parse): the
    audit turns it into a finding, ``inspect`` prints it."""

    code: str
    message: str
    revision: str | None = None
    file: str | None = None
    line: int | None = None
    severity: str = "warning"  # error | warning | info


UNRENDERED_SQL = "-- revision {revision} could not be rendered offline"


def unrendered(model: SchemaModel) -> list[UnappliedStatement]:
    """The revisions of an Alembic history that are missing (wholly or partly) from ``model``."""
    return [
        u
        for u in model.unapplied
        if u.kind == "dynamic"
        and u.revision is not None
        and u.sql == UNRENDERED_SQL.format(revision=u.revision)
    ]
