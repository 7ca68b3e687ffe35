"""Pick the source the user named and turn it into a model (plus the history's own issues).

The CLI stays thin: it hands the options here and gets back one
:class:`LoadedSource`, whatever the source kind was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from schema_audit.errors import SchemaAuditError, SourceChoiceError
from schema_audit.model import SchemaModel, UnappliedStatement
from schema_audit.progress import SILENT, Reporter

if TYPE_CHECKING:
    from schema_audit.sources.issues import MigrationIssue


class SourceError(SchemaAuditError):
    """The source cannot be read at all; the message is one line, password-free."""


@dataclass(slots=True)
class LoadedSource:
    """A source's model with what was read, how, and the history's problems."""

    model: SchemaModel
    kind: str  # live | alembic | sql | replay
    target: str  # what was read, password redacted
    # problems of the history itself (multiple heads, a missing downgrade, a statement that does
    # not parse): the audit turns them into findings
    issues: list[MigrationIssue] = field(default_factory=list)
    layout: str = ""  # how a migration folder was read: alembic, prisma, flyway, …


def load_source(
    *,
    dsn: str | None = None,
    migrations: Path | None = None,
    sql: Path | None = None,
    schemas: list[str] | None = None,
    statement_timeout_ms: int = 30000,
    lock_timeout_ms: int = 5000,
    execute: bool = True,
    search_path: list[str] | None = None,
    reporter: Reporter = SILENT,
    jobs: int = 4,
    notice: Callable[[str], None] | None = None,
) -> LoadedSource:
    """The model of one source. ``execute=False`` (no-exec) reads Alembic revisions from
    their syntax trees without importing or running any of them; ``jobs``: connections
    reading a live catalog at once, on one snapshot; ``notice``: where a live read tells of
    fewer connections than asked (default: stderr)."""
    chosen = [
        name for name, value in (("dsn", dsn), ("migrations", migrations), ("sql", sql)) if value
    ]
    if len(chosen) != 1:
        raise SourceChoiceError(chosen)
    if dsn:
        from schema_audit.sources import live

        # a LiveSourceError is a SchemaAuditError: raised as it is, so its type tells the
        # caller what went wrong (a timeout, say)
        model = live.introspect(
            dsn,
            schemas=schemas,
            statement_timeout_ms=statement_timeout_ms,
            lock_timeout_ms=lock_timeout_ms,
            jobs=jobs,
            notice=notice or live.stderr_notice,
        )
        return LoadedSource(model, "live", live.redact_dsn(dsn))
    if migrations:
        from schema_audit.sources import alembic as alembic_source

        if not migrations.exists():
            raise SourceError(f"{migrations}: no such directory")
        try:
            history = alembic_source.render_history(migrations, execute=execute, reporter=reporter)
            model = alembic_source.model_from_history(history, reporter=reporter)
        except alembic_source.MigrationSourceError as exc:
            raise SourceError(str(exc)) from None
        model = only_schemas(model, schemas)
        return LoadedSource(
            model,
            "alembic",
            str(migrations),
            history.findings + syntax_issues(model),
            f"alembic, {len(history.revisions)} revisions",
        )
    assert sql is not None
    from schema_audit.sources import sqlfile

    if not sql.exists():
        raise SourceError(f"{sql}: no such file or directory")
    try:
        model, layout = sqlfile.read_sql(sql, search_path=search_path, reporter=reporter)
    except (sqlfile.MigrationSourceError, OSError) as exc:
        raise SourceError(str(exc)) from None
    model = only_schemas(model, schemas)
    issues: list = list(layout.issues)
    for stmt in model.unapplied:
        if stmt.kind == "error" and not stmt.sql:
            issues.append(
                sqlfile.MigrationIssue(
                    "unreadable-file", f"{stmt.file}: {stmt.reason}", None, stmt.file, None, "error"
                )
            )
    return LoadedSource(
        model,
        "sql",
        str(sql),
        issues + syntax_issues(model),
        layout.describe(),
    )


def only_schemas(model: SchemaModel, schemas: list[str] | None) -> SchemaModel:
    """``model`` with only the objects of ``schemas`` (``--schema``), as the live reader reads
    only those: the schemas, their grants, and their tables, views, functions, enum types and
    sequences (roles, extensions and default privileges are not per schema there either).

    Before, a static source ignored ``--schema`` without a word: ``diff migrations/ DSN
    --schema app`` listed every object outside ``app`` as a difference, and ``audit`` judged
    what the user had asked to leave out."""
    if not schemas:
        return model
    wanted = set(schemas)
    model.tables = {k: t for k, t in model.tables.items() if t.schema in wanted}
    model.views = {k: v for k, v in model.views.items() if v.schema in wanted}
    model.functions = {k: f for k, f in model.functions.items() if f.schema in wanted}
    model.enums = {k: e for k, e in model.enums.items() if e.schema in wanted}
    model.sequences = {k: q for k, q in model.sequences.items() if q.schema in wanted}
    model.schemas = {k: o for k, o in model.schemas.items() if k in wanted}
    model.schema_grants = {k: g for k, g in model.schema_grants.items() if k in wanted}
    model.schema_comments = {k: c for k, c in model.schema_comments.items() if k in wanted}
    return model


def _syntax_error(stmt: UnappliedStatement) -> bool:
    return stmt.kind == "error" and stmt.reason.startswith("syntax error")


def syntax_errors(model: SchemaModel) -> list[UnappliedStatement]:
    """Statements PostgreSQL's parser rejects: the history would not run as written."""
    return [u for u in model.unapplied if _syntax_error(u)]


def unparseable(model: SchemaModel) -> list[UnappliedStatement]:
    """Syntax errors and files that are not SQL text (binary, not UTF-8): bad input, exit 2."""
    return [u for u in model.unapplied if _syntax_error(u) or (u.kind == "error" and not u.sql)]


def gaps(model: SchemaModel, *, allow_unrendered: bool = False) -> tuple[list[str], list[str]]:
    """(blocking, accepted): one line per part of a static source missing from ``model``.

    Unparseable statements and files that are not SQL text always block; Alembic revisions
    that could not be (fully) rendered block unless accepted, and are still named then.
    A command that reports a model with anything blocking exits 2, never 0.
    """
    from schema_audit.sources.issues import unrendered  # (not the Alembic reader: sql too)

    blocking = [
        f"{u.file or 'SQL'}" + (f":{u.line}" if u.line else "") + f": {u.reason}"
        for u in unparseable(model)
    ]
    partial = [
        f"revision {u.revision} is not fully in the model: {u.reason}"
        + ("" if allow_unrendered else " (--allow-unrendered accepts a partial model)")
        for u in unrendered(model)
    ]
    return (blocking, partial) if allow_unrendered else (blocking + partial, [])


def syntax_issues(model: SchemaModel) -> list:
    """Each unparseable statement as a migration issue named by file and line."""
    from schema_audit.sources.issues import MigrationIssue  # (not the Alembic reader)

    return [
        MigrationIssue(
            "syntax-error",
            f"{u.file or 'SQL'}:{u.line}: {u.reason}; the audit went on without this statement",
            u.revision,
            u.file,
            u.line,
            "high",
        )
        for u in syntax_errors(model)
    ]


def load_any(
    text: str,
    *,
    schemas: list[str] | None = None,
    execute: bool = True,
    search_path: list[str] | None = None,
    reporter: Reporter = SILENT,
    jobs: int = 4,
) -> LoadedSource:
    """A source named by one string: a DSN (URL or key=value), an Alembic project, or SQL."""
    if "://" in text or ("=" in text and not Path(text).exists()):
        return load_source(dsn=text, schemas=schemas, jobs=jobs)
    path = Path(text)
    if not path.exists():
        raise SourceError(f"{text}: no such file or directory (and not a DSN)")
    from schema_audit.sources.sqlfile import looks_like_alembic

    if looks_like_alembic(path):
        return load_source(migrations=path, schemas=schemas, execute=execute, reporter=reporter)
    return load_source(sql=path, schemas=schemas, search_path=search_path, reporter=reporter)
