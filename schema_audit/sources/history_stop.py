"""A migration runner stops at the first migration PostgreSQL refuses; ``psql -f`` goes on.

goose, dbmate, sql-migrate, Flyway, golang-migrate, diesel, sqlx, Prisma, pop,
graphile-migrate and postgrator apply a history migration by migration and stop at the first one that
fails: what the later ones make is never made (PostgreSQL 15 and the runner; the failing
file itself is rolled back where the runner wraps it, sources/ddl/transactions). The static
reading went on as ``psql -f`` does, so a table of a later file PASSed where the migrated
database has none (a false PASS; a PostgreSQL 16 function in a data statement,
sources/ddl/data_calls, is one such refusal).

For those layouts, once a file holds a statement the reading refuses (an unapplied
statement of kind ``error``), every statement of the later files is recorded as not run,
with what it names DEFERRED rather than FAILed: the refusal may be the reading's alone (an
extension's table it cannot see), and then the runner went on. Plain folders, single files
and layouts whose runner is not known keep the ``psql -f`` reading (without
``ON_ERROR_STOP`` it goes on after an error).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schema_audit.model import SchemaModel, UnappliedStatement

# layouts (sources/sqlfile.discover's names) whose runner stops at a failing migration
STOPPING = frozenset(
    {
        "goose",
        "dbmate",
        "sql-migrate",
        "flyway",
        "golang-migrate",
        "diesel",
        "sqlx",
        "prisma",
        "pop",
        "graphile-migrate",
        "postgrator",
        "drizzle",  # (its one transaction: the run stops, and is undone)
        "sqitch",  # (psql -v ON_ERROR_STOP=1 per change; deploy stops at a failing change)
    }
)


def stops(layout: str) -> bool:
    """Whether the runner of ``layout`` stops at the first migration that fails."""
    return layout in STOPPING


def stop_at(unapplied: Sequence[UnappliedStatement], start: int, layout: str) -> str | None:
    """The file:line of the first refusal among ``unapplied[start:]`` (where the runner of
    ``layout`` stops), or None."""
    for record in unapplied[start:]:
        if record.kind == "error" and record.file is not None:
            return f"{record.file}:{record.line}" if record.line is not None else record.file
    return None


def reason(layout: str, where: str) -> str:
    """Why a statement of a later file is not applied."""
    return (
        f"not run: {layout} stops at the migration PostgreSQL refuses at {where} and applies "
        "no later one (unless what the reading cannot see let that statement run)"
    )


def note(model: SchemaModel, layout: str, where: str | None) -> None:
    """The blind spot of a history read only up to the file the runner stops at (said once:
    a read resumed from a cached prefix that had stopped already replaces the prefix's)."""
    head = f"{layout} stops at the migration PostgreSQL refuses at {where}: "
    start = reason(layout, where or "")
    files = len({u.file for u in model.unapplied if u.reason == start})
    model.blind_spots[:] = [s for s in model.blind_spots if not s.startswith(head)]
    model.blind_spots.append(
        f"{head}the {files} later file{'s are' if files != 1 else ' is'} not applied here "
        "either, and what they make is DEFERRED (on PostgreSQL 15 it is missing, unless the "
        "refusal is this reading's alone)"
    )


# runners that undo the earlier migrations of the run when one fails: what those made is
# perhaps missing (nothing stays in a run from an empty database; all of it in a database
# migrated past them by an earlier run)
_RUN_UNDONE = {
    # drizzle-orm PgDialect.migrate: every pending migration inside one session.transaction
    "drizzle": "perhaps rolled back: drizzle applies every pending migration of a run in one "
    "transaction, which the refusal at {where} rolled back; applied here",
    # sqitch deploy --mode all (its default): the changes deployed by the run are reverted
    "sqitch": "perhaps reverted: sqitch deploy (--mode all, its default) reverts every change "
    "the run deployed when the change refused at {where} fails; applied here",
}


def run_undone(layout: str, where: str) -> str | None:
    """Why an earlier migration of the run is perhaps undone when ``layout``'s runner stops
    at the refusal at ``where``, or None for a runner that keeps them (each migration
    committed on its own)."""
    why = _RUN_UNDONE.get(layout)
    return why.format(where=where) if why is not None else None


def undone_note(layout: str, where: str, files: int) -> str:
    """The blind spot of the earlier files the run perhaps undid."""
    return (
        f"{layout} undoes the {files} earlier file{'s' if files != 1 else ''} of its run when "
        f"the migration at {where} fails: what they make is DEFERRED (missing after a run from "
        "an empty database, there in a database an earlier run migrated past them)"
    )
