"""``schema-audit init``: write a spec that requires exactly what a source has today.

parse -> ``api.read_source`` -> ``api.init_spec`` (the spec as YAML text) -> the file ->
exit 2 when the source could not be read whole (no spec is written from a partial model).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from schema_audit.cli.common import (
    exit_on_gaps,
    fail,
    keep_until_exit,
    known_dsns,
    parse_search_path,
    phrase,
    read_ahead,
    read_source,
    write,
)
from schema_audit.cli.options import (
    AllowUnrenderedOpt,
    DsnOpt,
    JobsOpt,
    MigrationsOpt,
    NoExecOpt,
    SchemaOpt,
    SearchPathOpt,
    SqlOpt,
)
from schema_audit.errors import SchemaAuditError


def warn_unapplied(model: Any) -> None:
    """One stderr line when a static source left schema statements unapplied: the spec states
    what the reader could apply, so a migrated database may differ where they reach (a DO
    block recreating a table: its identity, keys) and FAIL the spec without anyone being told.
    Data statements and ones a later statement settled again are not counted, nor the data
    statements into a missing table that :func:`warn_missing_tables` names."""
    candidates = [u for u in model.statements_unapplied() if u.kind != "data" and u.effects]
    if not candidates:  # a live read: the parser (data_targets imports it) is never loaded
        return
    from schema_audit.sources.ddl.data_targets import missing_tables

    open_ = [u for u in candidates if not missing_tables(u.reason)]
    if not open_:
        return
    where = _where(open_[0])
    touched = sorted(
        {e.target if e.target != "*" else "unnamed objects" for u in open_ for e in u.effects}
    )
    count = f"{len(open_)} statement{'s' if len(open_) != 1 else ''}"
    typer.echo(
        f"schema-audit: warning: {count} could not be applied statically (first at {where}): "
        f"requirements about what they touch ({', '.join(touched[:3])}"
        f"{', …' if len(touched) > 3 else ''}) may not hold on a migrated database",
        err=True,
    )


def warn_missing_tables(model: Any) -> None:
    """One stderr line when data statements write rows into a table the source has not made
    (sources/ddl/data_targets: a file of seed rows for a table something else creates):
    PostgreSQL refuses them there, the spec has no entry for such a table, and the audit
    DEFERs what a spec says of it. Said with the first one's file:line and the tables."""
    unapplied = model.statements_unapplied()
    if not unapplied:  # a live read: the parser (data_targets imports it) is never loaded
        return
    from schema_audit.sources.ddl.data_targets import missing_tables

    found = [(u, t) for u in unapplied for t in missing_tables(u.reason)]
    if not found:
        return
    names = sorted({t for _, t in found})
    later = all(t in model.tables or t in model.views for t in names)
    count = len({id(u) for u, _ in found})
    typer.echo(
        f"schema-audit: warning: {count} data statement{'s' if count != 1 else ''} "
        f"{'write' if count != 1 else 'writes'} rows into "
        f"{'tables before this source creates them' if later else 'tables this source never creates'}"
        f" (first at {_where(found[0][0])}: {', '.join(names[:3])}"
        f"{', …' if len(names) > 3 else ''}): PostgreSQL refuses "
        f"{'them' if count != 1 else 'it'} unless something else made the tables; the audit "
        "DEFERs what a spec says of them",
        err=True,
    )


def warn_refused_data(model: Any) -> None:
    """One stderr line when PostgreSQL 15 refuses a data statement of the history (a function
    it does not have, sources/ddl/data_calls): a runner stops there, and the spec states what
    the later files make. A model without blind spots (a live read) never imports the
    parser for it."""
    if not getattr(model, "blind_spots", None):
        return
    from schema_audit.sources.ddl.data_calls import BLIND_SPOT

    for spot in model.blind_spots:
        if spot.startswith(BLIND_SPOT):
            typer.echo(f"schema-audit: warning: {spot}", err=True)
            return


def _where(stmt: Any) -> str:
    """An unapplied statement's place: ``file:line``, ``line N`` or, for an Alembic revision
    read from its syntax tree (a file and no line), the file."""
    if stmt.file is None:
        return f"line {stmt.line}"
    return stmt.file if stmt.line is None else f"{stmt.file}:{stmt.line}"


def warn_untyped_columns(model: Any) -> None:
    """One stderr line when a static source made tables by CREATE TABLE AS: it declares no
    column types and the reader does not work out the query's, so their entries require no
    type (the spec checks less than it seems to). Said with the first one's file:line."""
    from schema_audit.model import UNKNOWN_TYPE

    found = [
        (table, column)
        for table in getattr(model, "tables", {}).values()
        for column in table.columns.values()
        if column.type == UNKNOWN_TYPE
    ]
    if not found:
        return
    table, column = found[0]
    place = next((p for p in column.provenance if p.file), None)
    where = f"{place.file}:{place.line}: " if place is not None else ""
    count = f"{len(found)} column{'s' if len(found) != 1 else ''}"
    typer.echo(
        f"schema-audit: warning: {count} of tables made by CREATE TABLE AS {'have' if len(found) != 1 else 'has'} "
        f"no type statically (first at {where}{table.qualified_name}.{column.name}): "
        "their entries require no type (init --dsn on a migrated database writes them)",
        err=True,
    )


def warn_unresolved_references(model: Any) -> None:
    """One stderr line when foreign keys reference tables the source never creates (a history
    relying on the platform's ``auth.users``, or on a typo): the spec requires them as
    written, and PostgreSQL refuses the statement wherever nothing else provides the table,
    so a migration runner stops there. Said with the first one's file:line."""
    from schema_audit.model import qualify

    tables = getattr(model, "tables", {})
    found = [
        (fk, table.qualified_name, qualify(fk.ref_schema, fk.ref_table))
        for table in tables.values()
        for fk in table.foreign_keys.values()
        if qualify(fk.ref_schema, fk.ref_table) not in tables
    ]
    if not found:
        return
    fk, table, target = found[0]
    place = next((p for p in fk.provenance if p.file or p.line), None)
    where = f"{place.file}:{place.line}: " if place is not None and place.file else ""
    count = f"{len(found)} foreign key{'s' if len(found) != 1 else ''}"
    typer.echo(
        f"schema-audit: warning: {count} reference{'s' if len(found) == 1 else ''} a table "
        f"this source never creates (first at {where}{table} -> {target}): the spec requires "
        f"{'it' if len(found) == 1 else 'them'} as written; PostgreSQL refuses such a "
        "statement where nothing else provides the table",
        err=True,
    )


def init(
    dsn: DsnOpt = None,
    migrations: MigrationsOpt = None,
    sql: SqlOpt = None,
    schema: SchemaOpt = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the spec.")] = Path(
        "schema-audit.yaml"
    ),
    name: Annotated[str | None, typer.Option("--name", help="The spec's name.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    tables: Annotated[
        list[str] | None,
        typer.Option("--tables", help="Only tables matching this glob (repeatable)."),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Only these kinds in table entries, comma-separated: columns, primary_key, "
            "unique, checks, foreign_keys, indexes, rls, policies, triggers, privileges.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict/--no-strict",
            help="Write strict: so a new table, column, index, policy, trigger or grant FAILs.",
        ),
    ] = True,
    expires_in: Annotated[
        int,
        typer.Option(
            "--expires-in",
            help="Days until the waivers init writes expire.",
            min=1,
            max=365_000,  # about a thousand years: any more overflows a date (year 9999)
        ),
    ] = 90,
    tenant_column: Annotated[
        str | None,
        typer.Option(
            "--tenant-column", help="The tenant column (default: detected from the schema)."
        ),
    ] = None,
    allow_unrendered: AllowUnrenderedOpt = False,
    no_exec: NoExecOpt = False,
    search_path: SearchPathOpt = None,
    jobs: JobsOpt = 4,
) -> None:
    """Write a spec that requires exactly what a source has today, to edit and commit.

    Strict by default: a table, column, index, policy, trigger or grant added later FAILs.
    The tenant column is detected and written as a match: selector.

    Example: schema-audit init --migrations alembic/ -o specs/schema.yaml
    """
    known_dsns(dsn)
    # the catalog read first: the server answers while the spec writer is imported
    pending = read_ahead(dsn, schema, jobs) if dsn and not (migrations or sql) else None
    from schema_audit import api
    from schema_audit.spec.bootstrap import TABLE_KINDS

    kinds = [k.strip() for k in (only or "").split(",") if k.strip()]
    if only is not None and not kinds:
        fail([f"--only {only!r}: name at least one of {', '.join(TABLE_KINDS)}"])
    unknown = [k for k in kinds if k not in TABLE_KINDS]
    if unknown:
        fail([f"--only {unknown[0]!r}: kinds are {', '.join(TABLE_KINDS)}"])
    if output.exists() and not force:
        fail([f"{output} exists; use --force to overwrite it"])
    if pending is None:
        source = read_source(dsn, migrations, sql, schema, no_exec, search_path, jobs)
    else:
        parse_search_path(search_path)  # a bad one is still said before any read error
        try:
            source = pending()
        except SchemaAuditError as exc:
            fail(phrase(exc))
    exit_on_gaps(source.model, source.kind, allow_unrendered, "no spec written: ")
    warn_unapplied(source.model)
    warn_missing_tables(source.model)
    warn_refused_data(source.model)
    warn_untyped_columns(source.model)
    warn_unresolved_references(source.model)
    text = api.init_spec(
        source,
        history=migrations or sql,
        name=name,
        tables=tables,
        only=kinds or None,
        tenant_column=tenant_column,
        expires_in_days=expires_in,
        strict=strict,
    )
    write(output, text)
    keep_until_exit(source, text)
    typer.echo(
        f"wrote {output}: {len(source.model.tables)} tables, {len(source.model.views)} views"
        + (f" (read as {source.layout})" if source.layout else "")
    )
