"""A data statement's target table that the history never made: PostgreSQL refuses the statement.

``INSERT INTO plans …`` in a file of seed rows, with no statement before it creating
``plans``, was read as "data change: does not alter the schema": a history made only of
such files gave a model with no table and ``init`` a spec with no table, without a word,
and a spec stating ``plans`` FAILed it as missing. PostgreSQL 15 refuses the statement
(``ERROR: relation "plans" does not exist``, undefined_table), so whatever created the
table is outside the source read (the application, another folder, the platform): the
statement is refused here as PostgreSQL refuses it, its file:line and table named, and
what is said of the table DEFERRED (sources/ddl/interpreter: the refusal's effects).

Only where the reading can know the table is missing (else silent, as before): not a
catalog relation (``pg_catalog`` is searched before the search_path, and every one of
PostgreSQL 15's relations there is named ``pg_…``), not a runner's own bookkeeping table
(sources/runner_tables), no statement the reading could not apply naming it (a DO block
that may have made it), and no extension other than PostgreSQL 15's contrib ones, which
make no table (checked on PostgreSQL 15.18: every contrib extension created, ``pg_depend``
lists only three ``pg_…`` views as their relations; postgis's ``spatial_ref_sys`` or
pg_cron's ``cron.job`` come with theirs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import qualify
from schema_audit.sources.ddl.errors import ApplyError

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# the statements that write rows, not schema (ddl/session's data handler, and the interpreter's
# open targets of one perhaps not run)
DATA_STATEMENTS = (
    ast.InsertStmt,
    ast.UpdateStmt,
    ast.DeleteStmt,
    ast.MergeStmt,
    ast.CopyStmt,
    ast.TruncateStmt,
)

# PostgreSQL 15's contrib extensions (/usr/share/postgresql/15/extension): none makes a table
CONTRIB = frozenset(
    [
        "adminpack",
        "amcheck",
        "autoinc",
        "bloom",
        "btree_gin",
        "btree_gist",
        "citext",
        "cube",
        "dblink",
        "dict_int",
        "dict_xsyn",
        "earthdistance",
        "file_fdw",
        "fuzzystrmatch",
        "hstore",
        "insert_username",
        "intagg",
        "intarray",
        "isn",
        "lo",
        "ltree",
        "moddatetime",
        "old_snapshot",
        "pageinspect",
        "pg_buffercache",
        "pg_freespacemap",
        "pg_prewarm",
        "pg_stat_statements",
        "pg_surgery",
        "pg_trgm",
        "pg_visibility",
        "pg_walinspect",
        "pgcrypto",
        "pgrowlocks",
        "pgstattuple",
        "plpgsql",
        "postgres_fdw",
        "refint",
        "seg",
        "sslinfo",
        "tablefunc",
        "tcn",
        "tsm_system_rows",
        "tsm_system_time",
        "unaccent",
        "uuid-ossp",
        "xml2",
    ]
)
_CATALOG_SCHEMAS = frozenset({"pg_catalog", "information_schema", "pg_toast"})


class MissingTable(ApplyError):
    """A data statement's target the history never made; ``targets`` are the tables, whose
    every facet the refusal leaves open."""

    def __init__(self, message: str, targets: list[str]) -> None:
        super().__init__(message, "undefined_table")
        self.targets = targets


def _targets(node: ast.Node) -> list[ast.RangeVar]:
    """The relations an INSERT, UPDATE, DELETE, MERGE, COPY or TRUNCATE writes (or, for
    ``COPY t TO``, reads): each must exist for PostgreSQL to run it."""
    if isinstance(node, ast.TruncateStmt):
        return [rv for rv in node.relations or () if isinstance(rv, ast.RangeVar)]
    relation = getattr(node, "relation", None)
    return [relation] if isinstance(relation, ast.RangeVar) else []


def _knowable(interp: DdlInterpreter, rv: ast.RangeVar) -> bool:
    """Whether the reading can know that ``rv`` is missing (module docstring)."""
    from schema_audit.sources.runner_tables import RUNNER_TABLES

    if rv.catalogname or (rv.schemaname or "") in _CATALOG_SCHEMAS:
        return False
    if not rv.schemaname and (rv.relname or "").startswith("pg_"):
        return False  # a catalog relation, found before the search_path's
    if rv.relname in RUNNER_TABLES.values() or rv.relname == "alembic_version":
        return False
    return all(name in CONTRIB for name in interp.model.extensions)


def refuse_missing(interp: DdlInterpreter, node: ast.Node) -> None:
    """Raise :class:`MissingTable` when ``node`` writes rows into a table that does not exist
    at this point of the history and the reading can know it (module docstring)."""
    missing = missing_targets(interp, node)
    if not missing:
        return
    verb = type(node).__name__.removesuffix("Stmt").upper()
    raise MissingTable(
        f"relation {', '.join(missing)} does not exist at this point of the history: {verb} "
        f"needs {'it' if len(missing) == 1 else 'them'}{MARK} (PostgreSQL refuses the "
        "statement unless something outside this source made the table)",
        missing,
    )


def missing_targets(interp: DdlInterpreter, node: ast.Node) -> list[str]:
    """The tables ``node`` (a data statement) writes that do not exist at this point of the
    history and that the reading can know are missing (module docstring)."""
    model = interp.model
    missing = []
    for rv in _targets(node):
        key = qualify(interp._schema_of(rv), rv.relname or "")
        if key in model.tables or key in model.views or key in model.sequences:
            continue
        if _knowable(interp, rv) and not named_unapplied(interp, rv.relname or ""):
            missing.append(key)
    return missing


def named_unapplied(interp: DdlInterpreter, name: str) -> bool:
    """``refusals._unapplied_names`` read incrementally: whether a statement the reading could
    not apply may have made ``name`` (one naming it that is not a refusal, or psql's
    ``\\gexec``). Each name's scan goes on from where it stopped: asked for every INSERT of
    a 20,000-row seed file into a missing table, the whole list was read each time."""
    scans: dict[str, tuple[int, bool]] = interp.__dict__.setdefault("_named_scans", {})
    name = name.lower()
    upto, found = scans.get(name, (0, False))
    unapplied = interp.model.unapplied
    if not found:
        found = any(
            u.kind == "dynamic" or (u.kind != "error" and name in (u.sql or "").lower())
            for u in unapplied[upto:]
        )
        scans[name] = (len(unapplied), found)
    return found


# what every refusal of this module says, and only they (cli/init's warning finds them by it)
MARK = ", which no statement before it creates"


def missing_tables(reason: str) -> list[str]:
    """The tables a refusal of this module names, from its ``reason`` ([] for any other)."""
    if MARK not in reason or not reason.startswith("relation "):
        return []
    return reason.removeprefix("relation ").partition(" does not exist")[0].split(", ")
