"""A DDL interpreter: apply SQL statements to a SchemaModel as PostgreSQL would, without a server.

Statements are cut and parsed by :mod:`schema_audit.sources.statements` (pglast:
libpg_query, the server's own grammar) and applied in order. The goal is that the static
model of a migration history equals the model the live source reads after running the
same SQL, so names PostgreSQL chooses are chosen the same way (``sources.names``), renames
carry their dependents along, and a dropped column takes its indexes and constraints with
it.

What cannot be applied is never dropped and never fatal: ``DO`` blocks (dynamic SQL),
data changes, unknown statements and statements on missing objects become
:class:`UnappliedStatement` evidence with file and line, and a syntax error costs only the
statement it is in.

Layout: ``interpreter`` holds the state (model, search_path, current role, name and
reverse indexes) and dispatches each statement through ``registry`` to the handler its
family module registered with ``@handles(ast.SomeStmt)``:

- ``session``: SET search_path / ROLE, set_config(), data changes, DO blocks, noise
- ``schemas``: schemas, extensions, enum types; ``domains``: domains; ``roles``: roles and memberships
- ``tables``: CREATE TABLE (columns, LIKE, INHERITS, partitions of); ``constraints``:
  PRIMARY KEY / UNIQUE / CHECK / FOREIGN KEY / EXCLUDE; ``partitions``: what a
  partitioned table clones into its partitions
- ``alter_table``: ALTER TABLE, one small function per subcommand (AlterTableType)
- ``renames``: RENAME of every object type; ``moves``: SET SCHEMA, OWNER TO
- ``indexes``, ``policies`` (RLS policies), ``triggers``, ``routines``, ``views``
  (views, materialized views, CREATE TABLE AS), ``sequences``, ``privileges`` (GRANT,
  REVOKE, ALTER DEFAULT PRIVILEGES), ``comments``
- ``drops``: DROP, one small function per object type (ObjectType)
- ``nodes``: small readers of pglast nodes shared by the families; ``errors``: ApplyError

The package itself imports none of its modules: its names below are loaded when first asked
for (``lazynames``), and ``interpreter`` imports the families (whoever can make an interpreter
has every handler). Why: the parsing child of a long history (``parse_ahead``, forked as the
command line is read) needs only the plain-data readers (``fast``) of this package; importing
every family before the fork (26 modules, ≈ 0.01 CPU s) delayed the child, whose end is the
read's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schema_audit import lazynames

if TYPE_CHECKING:
    from schema_audit.sources.ddl.errors import ApplyError
    from schema_audit.sources.ddl.interpreter import MAX_SQL_EVIDENCE, DdlInterpreter, interpret
    from schema_audit.sources.ddl.renames import rename_column_in_expr
    from schema_audit.sources.ddl.tables import make_seq_name
    from schema_audit.sources.statements import Statement, split_statements

__all__ = [
    "MAX_SQL_EVIDENCE",
    "ApplyError",
    "DdlInterpreter",
    "Statement",
    "interpret",
    "make_seq_name",
    "rename_column_in_expr",
    "split_statements",
]

# each name of ``__all__``: the module it is loaded from when first asked for
_HOMES = {
    "MAX_SQL_EVIDENCE": "schema_audit.sources.ddl.interpreter",
    "ApplyError": "schema_audit.sources.ddl.errors",
    "DdlInterpreter": "schema_audit.sources.ddl.interpreter",
    "Statement": "schema_audit.sources.statements",
    "interpret": "schema_audit.sources.ddl.interpreter",
    "make_seq_name": "schema_audit.sources.ddl.tables",
    "rename_column_in_expr": "schema_audit.sources.ddl.renames",
    "split_statements": "schema_audit.sources.statements",
}


def __getattr__(name: str) -> Any:
    """A name of ``__all__``, imported from its module now (``lazynames``)."""
    return lazynames.load(globals(), _HOMES, name)
