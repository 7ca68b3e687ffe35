"""A trigger's WHEN condition as PostgreSQL stores it, and the references PostgreSQL refuses.

lakekeeper's form (sqlx): ``CREATE TRIGGER set_updated_at BEFORE UPDATE ON t FOR EACH ROW WHEN
(OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION set_updated_at()``. A bare ``OLD`` / ``NEW`` is the
whole row, which the catalog prints ``old.*`` (``(old).v`` is printed ``old.v``): kept as
written, the static condition differed from every catalog's (a false FAIL of init --dsn's spec).

Only ``old`` and ``new`` name anything in a WHEN condition, so PostgreSQL 15 refuses (checked):
a bare column name (it is in both rows: "column reference … is ambiguous"), any other bare
name or ``old.x`` for a column the table lacks ("does not exist"), OLD in an INSERT trigger,
NEW in a DELETE trigger, and any row reference in a statement trigger. Each is refused here
too: the static reading made those triggers (a false PASS of a spec requiring them).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from pglast import ast
from pglast.visitors import Visitor

from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import deparse

if TYPE_CHECKING:
    from schema_audit.model import Table

_ROWS = ("old", "new")


# the system columns every table has (PostgreSQL 15): OLD's may be read in any WHEN, NEW's
# only after the row is stored (an AFTER trigger)
_SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})
_BEFORE_NEW = "BEFORE trigger's WHEN condition cannot reference NEW"


def when_text(table: Table, node: ast.CreateTrigStmt, events: list[str], timing: str) -> str | None:
    """The WHEN condition of ``node`` on ``table`` as the catalog prints it (whole rows as
    ``old.*``), or None; ApplyError where PostgreSQL refuses a reference in it."""
    if node.whenClause is None:
        return None
    for indirection in find_all(node.whenClause, ast.A_Indirection):
        if any(isinstance(i, ast.A_Star) for i in indirection.indirection or ()):
            raise ApplyError('row expansion via "*" is not supported here')
    for ref in find_all(node.whenClause, ast.ColumnRef):
        _check_reference(table, ref, bool(node.row), events, timing == "BEFORE")
    if find_all(node.whenClause, ast.SubLink):
        raise ApplyError("cannot use subquery in trigger WHEN condition")
    condition = copy.deepcopy(node.whenClause)
    _expand_row_stars(condition, table)
    return deparse(_WholeRows()(condition))


def _expand_row_stars(condition: ast.Node, table: Table) -> None:
    """``ROW(old.*)`` in place as the row of the table's columns when the trigger is made,
    ``ROW(old.id, old.x)``, as PostgreSQL expands it (and compares two such rows column by
    column: ``sqlnorm._row_comparison``); a bare ``old.*`` elsewhere is the whole row."""
    for row in find_all(condition, ast.RowExpr):
        row.args = tuple(item for arg in row.args or () for item in _row_items(arg, table))


def _row_items(arg: object, table: Table) -> list:
    fields = arg.fields or () if isinstance(arg, ast.ColumnRef) else ()
    if not (
        len(fields) == 2
        and isinstance(fields[0], ast.String)
        and fields[0].sval in _ROWS
        and isinstance(fields[1], ast.A_Star)
    ):
        return [arg]
    return [ast.ColumnRef(fields=(fields[0], ast.String(sval=c))) for c in table.columns]


def _check_reference(
    table: Table, ref: ast.ColumnRef, row: bool, events: list[str], before: bool
) -> None:
    names = [getattr(f, "sval", "*") for f in ref.fields or ()]
    if len(names) == 1 and names[0] in table.columns:
        raise ApplyError(f'column reference "{names[0]}" is ambiguous')
    if names[0] not in _ROWS:
        raise ApplyError(f'column "{".".join(names)}" does not exist')
    column = names[1] if len(names) > 1 and names[1] != "*" else None
    system = column in _SYSTEM_COLUMNS
    if column is not None and not system and column not in table.columns:
        raise ApplyError(f"column {names[0]}.{column} does not exist")
    if before and names[0] == "new":
        if system:
            raise ApplyError(f"{_BEFORE_NEW} system columns")
        generated = [c for c in table.columns.values() if c.generated]
        if (column is None and generated) or (
            column is not None and column in {c.name for c in generated}
        ):
            raise ApplyError(f"{_BEFORE_NEW} generated columns")
    if not row:
        raise ApplyError("statement trigger's WHEN condition cannot reference column values")
    if names[0] == "old" and "INSERT" in events:
        raise ApplyError("INSERT trigger's WHEN condition cannot reference OLD values")
    if names[0] == "new" and "DELETE" in events:
        raise ApplyError("DELETE trigger's WHEN condition cannot reference NEW values")


class _WholeRows(Visitor):
    """Rewrites a copied condition as the catalog prints it: ``old`` → ``old.*``,
    ``(old).v`` → ``old.v``."""

    def visit_A_Indirection(self, ancestors, node: ast.A_Indirection):  # noqa: N802
        row = _row_name(node.arg)
        indirection = node.indirection or ()
        if row is not None and len(indirection) == 1 and isinstance(indirection[0], ast.String):
            return ast.ColumnRef(fields=(row, indirection[0]))
        return None

    def visit_ColumnRef(self, ancestors, node: ast.ColumnRef):  # noqa: N802
        row = _row_name(node)
        if row is not None:
            return ast.ColumnRef(fields=(row, ast.A_Star()))
        return None


def _row_name(node: object) -> ast.String | None:
    """The name of a one-name reference to OLD or NEW (the whole row), else None."""
    if not isinstance(node, ast.ColumnRef) or len(node.fields or ()) != 1:
        return None
    name = node.fields[0] if node.fields else None
    return name if isinstance(name, ast.String) and name.sval in _ROWS else None
