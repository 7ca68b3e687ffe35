"""A table's TOAST storage parameters (``WITH (toast.autovacuum_enabled = false)``).

PostgreSQL keeps them in the reloptions of the table's TOAST table, which it makes only for a
table that may hold a value too wide for a page: one with a column of an unbounded
variable-length type (text, bytea, jsonb, an array …). For a table without one, the options
are checked and dropped. The static reading keeps them (as ``toast.<name>`` in the table's
``options``, as the live reader puts them) when the table certainly has a TOAST table,
drops them when it certainly has none (every column fixed-size), and otherwise lists the
statement as not applied for the table's options: a varchar(n), a domain, an enum or a
composite type is decided by sizes and storage the static reading does not model, and a
dropped wide column leaves its TOAST table behind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType

from schema_audit.model import Table, View
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.colsettings import type_storage
from schema_audit.sources.ddl.nodes import reloptions

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# format_type's names of the built-in types whose values have no length bound
_UNBOUNDED = frozenset(
    {"text", "bytea", "json", "jsonb", "xml", "character varying", "numeric", "tsvector"}
)


def toast_options(options: tuple | list | None) -> dict[str, str]:
    """The ``toast.*`` entries of a WITH (…) / SET (…) list, as ``toast.<name>: value``."""
    toast = [o for o in options or () if isinstance(o, ast.DefElem) and o.defnamespace == "toast"]
    plain = [ast.DefElem(defname=o.defname, arg=o.arg) for o in toast]
    return {f"toast.{k}": v for k, v in reloptions(plain).items()}


def has_toast(table: Table, created: bool) -> bool | None:
    """True: PostgreSQL certainly made a TOAST table for ``table``; False: certainly not (only
    when ``created`` now, every column fixed-size); None: not known here."""
    fixed = True
    for column in table.columns.values():
        storage = (column.settings or {}).get("storage")
        if storage != "plain" and (column.type in _UNBOUNDED or column.type.endswith("[]")):
            return True
        fixed = fixed and type_storage(column.type) == "plain"
    return False if created and fixed else None


def apply_toast(
    interp: DdlInterpreter,
    table: Table,
    options: tuple | list | None,
    *,
    created: bool,
    reset: bool = False,
) -> None:
    """The ``toast.*`` options of a CREATE TABLE … WITH or ALTER TABLE … SET / RESET."""
    wanted = toast_options(options)
    if not wanted:
        return
    known = has_toast(table, created)
    if known is None:
        interp._unapplied(
            "unsupported",
            f"toast.* storage parameters of {table.qualified_name}: whether the table has a "
            "TOAST table (which keeps them) is not known here",
            effects=[fx.Effect("options", table.qualified_name)],
        )
        return
    if not known:
        return  # no TOAST table: PostgreSQL checks them and keeps nothing
    for name, value in wanted.items():
        if reset:
            table.options.pop(name, None)
        else:
            table.options[name] = value


def apply_toast_subcommand(interp: DdlInterpreter, table: Table, cmd: ast.AlterTableCmd) -> None:
    """ALTER TABLE … SET / RESET (toast.…); SET (…) replacing all (AT_ReplaceRelOptions) is
    pg_dump's and views' only."""
    options = cmd.def_ if isinstance(cmd.def_, tuple | list) else None
    apply_toast(
        interp,
        table,
        options,
        created=False,
        reset=cmd.subtype == AlterTableType.AT_ResetRelOptions,
    )


def defer_view_toast(interp: DdlInterpreter, view: View, options: tuple | list | None) -> None:
    """The ``toast.*`` options of CREATE MATERIALIZED VIEW … WITH or ALTER MATERIALIZED VIEW
    … SET / RESET: whether PostgreSQL keeps them depends on the view's column types, which the
    static reading does not know, so the statement is listed as not applied for the view."""
    if toast_options(options):
        interp._unapplied(
            "unsupported",
            f"toast.* storage parameters of materialized view {view.qualified_name}: whether it "
            "has a TOAST table (which keeps them) depends on column types not known here",
            effects=[fx.Effect("view", view.qualified_name)],
        )
