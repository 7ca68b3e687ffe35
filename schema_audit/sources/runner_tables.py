"""The table each migration runner keeps its bookkeeping in, which no file of a history creates.

A database that runner migrated has it (``schema_migrations`` of golang-migrate, diesel's
``__diesel_schema_migrations`` …), so ``init --dsn`` of that database requires it, and a static
reading of the history, which never sees it, FAILed that spec with "table does not exist". The
runner makes it in its own way (columns vary with its version), so the static reading does not
invent it: :func:`mark` records it as made by the runner, an open effect on the table, and the
audit DEFERs what is said about it (``diff``: undecided) with that reason, as it does for a
statement it could not apply. ``init --sql`` accepts it in its strict block (spec/bootstrap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schema_audit.model import Effect, SchemaModel, UnappliedStatement, qualify
from schema_audit.sources import runner_config

if TYPE_CHECKING:
    from schema_audit.sources.sqlfile import Layout

# by the layout a folder was read as (sources/sqlfile.discover)
RUNNER_TABLES = {
    "prisma": "_prisma_migrations",
    "golang-migrate": "schema_migrations",
    "dbmate": "schema_migrations",
    "flyway": "flyway_schema_history",
    "goose": "goose_db_version",
    "sql-migrate": "gorp_migrations",
    "diesel": "__diesel_schema_migrations",
    "sqlx": "_sqlx_migrations",
    "postgrator": "schemaversion",
}


# What a runner runs before the first migration, where it is the same in every version: diesel's
# setup_migration_table.sql (the replay runs it, as diesel does; a history may refer to the table:
# Lemmy's forbid_diesel_cli trigger is on it)
SETUP = {
    "diesel": "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations ("
    " version VARCHAR(50) PRIMARY KEY NOT NULL,"
    " run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
}


def runner_of(layout: str) -> str:
    """The runner a layout (``diesel`` or ``goose layout, 181 files``) names, or ``""``."""
    name = layout.partition(" layout")[0]
    return name if name in RUNNER_TABLES else ""


def table_of(layout: Layout) -> tuple[str, str | None] | None:
    """The runner's table for ``layout``: the name the project's configuration gives it and
    the file saying so (sources/runner_config), else the runner's default and None; None
    for a layout of no known runner."""
    runner = runner_of(layout.name)
    if not runner:
        return None
    folder = layout.files[0].parent if layout.files else None
    stated = None
    if folder is not None and runner == "sqlx":
        root = runner_config.sqlx_root(folder, [f.name for f in layout.files])
        stated = runner_config.sqlx_table(root) if root is not None else None
    elif folder is not None:
        stated = runner_config.stated_table(folder, runner)
    return stated if stated is not None else (RUNNER_TABLES[runner], None)


def mark(model: SchemaModel, layout: Layout, schema: str = "public") -> None:
    """Record the runner's table as the runner's own when the history does not create it
    (once: a model read from the cache has it already)."""
    found = table_of(layout)
    if found is None:
        return
    runner = runner_of(layout.name)
    name, where = found
    target = name if "." in name else qualify(schema, name)
    if target in model.tables or any(u.kind == "runner" for u in model.unapplied):
        return
    named = f" (named in {where})" if where else ""
    model.unapplied.append(
        UnappliedStatement(
            sql=f"-- {runner} creates {target} before the first migration",
            reason=f"{runner}'s own bookkeeping table{named}, which the runner creates and no "
            "file of the history does (audit a database it migrated to judge it)",
            kind="runner",
            may_affect=[target],
            effects=[Effect("*", target)],
        )
    )
    model.blind_spots.append(
        f"{target} is {runner}'s own bookkeeping table{named}, which the runner creates and no "
        "file of the history does: what a spec says of it is DEFERRED"
    )


def names(model: SchemaModel) -> tuple[str, ...]:
    """The runner tables :func:`mark` recorded, unqualified in public (init's ``allow:``)."""
    return tuple(
        target.removeprefix("public.")
        for u in model.unapplied
        if u.kind == "runner"
        for target in u.may_affect
    )
