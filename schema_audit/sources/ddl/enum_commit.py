"""A new enum value used before the COMMIT of the transaction that added it.

PostgreSQL 15 runs ``ALTER TYPE mood ADD VALUE 'c'`` inside a transaction block, but refuses
every use of 'c' as a mood until that transaction commits (``CREATE TABLE n (x mood DEFAULT
'c')``: "unsafe use of new value "c" of enum type mood"), even when the type was created in
the same transaction; the refusal aborts the transaction, the value and all. Reading the
statements one by one applied them (a false PASS of the table and the label).

What the text decides is a sure refusal: the label cast to the type (``'c'::mood``) or the
DEFAULT of a column declared of the type. Any other occurrence of the label as a quoted
literal after the ADD VALUE (an INSERT, a comparison, a SQL function's body) may be such a
use, which only the column types and the body check decide: the transaction is DEFERRED.
Naming the value, renaming it or placing another next to it (``ADD VALUE 'd' AFTER 'c'``)
is no use (checked on PostgreSQL 15).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pglast import ast
from pglast.enums import ConstrType

from schema_audit.pgvisit import find_all
from schema_audit.sources.statements import Statement

_ALTER_TYPE = re.compile(r"(?i)\balter\s+type\b")


def new_value_uses(
    held: Sequence[Statement],
    parsed: Callable[[Statement], Statement],
    at: Callable[[Statement], str],
) -> dict[int, tuple[bool, str]]:
    """index -> (sure, why) for each statement of one transaction (``held``, in order) that
    uses (sure) or may use a value an ADD VALUE earlier in it added. ``parsed``: a held
    statement with its tree; ``at``: its file:line for the reason."""
    added: list[tuple[tuple[str, ...], str, bool, str]] = []  # (type, label, new for sure, where)
    out: dict[int, tuple[bool, str]] = {}
    for i, stmt in enumerate(held):
        if stmt.psql_meta or stmt.error is not None:
            continue
        # (the label as written in the text: quoted, or an element of an array literal)
        if added and any(label in stmt.sql for _, label, _, _ in added):
            use = _use(parsed(stmt).node, added)
            if use is not None:
                out[i] = use
                continue
        if "type" in stmt.sql.lower() and _ALTER_TYPE.search(stmt.sql):
            node = parsed(stmt).node
            if isinstance(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal:
                names = tuple(s.sval for s in node.typeName or ())
                added.append((names, node.newVal, not node.skipIfNewValExists, at(stmt)))
    return out


def _quoted(label: str) -> str:
    return "'" + label.replace("'", "''") + "'"


def _use(
    node: ast.Node | tuple[ast.Node, ...] | None,
    added: list[tuple[tuple[str, ...], str, bool, str]],
) -> tuple[bool, str] | None:
    """(sure, why) when ``node`` uses or may use one of the ``added`` values, else None."""
    if isinstance(node, ast.AlterEnumStmt | ast.CommentStmt):
        return None  # (naming a value, or a comment's text, is no use)
    if isinstance(node, ast.CreateFunctionStmt) and _plpgsql(node):
        node = _without_body(node)  # (PL/pgSQL's body is only parsed when it is made)
    casts = find_all(node, ast.TypeCast)
    columns = find_all(node, ast.ColumnDef)
    builtin = {  # (the DEFAULT of a column of a built-in type is no use of an enum value)
        id(c.raw_expr)
        for column in columns
        if _builtin(column.typeName)
        for c in column.constraints or ()
        if c.contype == ConstrType.CONSTR_DEFAULT
    }
    constants = [
        c
        for c in find_all(node, ast.A_Const)
        if isinstance(c.val, ast.String) and id(c) not in builtin
    ]
    maybe: tuple[bool, str] | None = None
    for names, label, new, where in added:
        what = f"the value '{label}' of enum {'.'.join(names)} added at {where}"
        if new and (
            any(_cast_of(c, names, label) for c in casts)
            or any(_default_of(c, names, label) for c in columns)
        ):
            why = f"uses {what} before its COMMIT (PostgreSQL: unsafe use of new value)"
            return True, why
        if maybe is None and (
            node is None
            or any(c.val.sval == label or label in _elements(c.val.sval) for c in constants)
            or _in_text(node, label)
        ):
            why = (
                f"may use {what} before its COMMIT (PostgreSQL refuses that: unsafe use of "
                "new value, and the transaction aborts)"
            )
            maybe = (False, why)
    return maybe


# built-in types the parser leaves unqualified (pg_catalog comes first on any search_path
# that does not name it; the others are written pg_catalog.int4 and the like)
_UNQUALIFIED_BUILTINS = frozenset({"text", "uuid", "json", "jsonb", "date", "bytea", "inet"})


def _builtin(name: ast.TypeName | None) -> bool:
    """Whether ``name`` is a built-in type, never an enum."""
    names = _names(name)
    return names[:1] == ("pg_catalog",) or (len(names) == 1 and names[0] in _UNQUALIFIED_BUILTINS)


def _names(name: ast.TypeName | None) -> tuple[str, ...]:
    """A type's name as written; () for none, or an array (not the enum itself)."""
    if name is None or name.arrayBounds:
        return ()
    return tuple(s.sval for s in name.names or ())


def _in_text(node: ast.Node | tuple[ast.Node, ...], label: str) -> bool:
    """Whether a string the tree keeps as text (a function's body) holds the label quoted."""
    return any(_quoted(label) in s.sval for s in find_all(node, ast.String) if s.sval)


def _same_type(written: tuple[str, ...], names: tuple[str, ...]) -> bool:
    """The type a statement writes is the enum for sure: the same name, qualified alike."""
    return written == names


def _cast_of(cast: ast.TypeCast, names: tuple[str, ...], label: str) -> bool:
    arg = cast.arg
    return (
        isinstance(arg, ast.A_Const)
        and isinstance(arg.val, ast.String)
        and arg.val.sval == label
        and _same_type(_names(cast.typeName), names)
    )


def _default_of(column: ast.ColumnDef, names: tuple[str, ...], label: str) -> bool:
    """A DEFAULT of the label on a column of the enum, or of an array literal holding it on
    a column of its array type (``r mood[] DEFAULT '{c}'``: PostgreSQL reads each element)."""
    of_array = _same_type(_array_of(column.typeName), names)
    if not of_array and not _same_type(_names(column.typeName), names):
        return False
    return any(
        c.contype == ConstrType.CONSTR_DEFAULT
        and isinstance(c.raw_expr, ast.A_Const)
        and isinstance(c.raw_expr.val, ast.String)
        and (
            label in _elements(c.raw_expr.val.sval or "")
            if of_array
            else c.raw_expr.val.sval == label
        )
        for c in column.constraints or ()
    )


def _array_of(name: ast.TypeName | None) -> tuple[str, ...]:
    """The element type's name of a one-dimensional array type as written (``mood[]``,
    ``mood ARRAY``), else ()."""
    if name is None or not name.arrayBounds or len(name.arrayBounds) != 1:
        return ()
    return tuple(s.sval for s in name.names or ())


def _elements(literal: str) -> frozenset[str]:
    """The elements of a one-dimensional array literal (``{a, "c"}``) as PostgreSQL's
    array_in reads them; empty for anything else (a nested, escaped or odd literal: the
    label is then only perhaps used)."""
    text = literal.strip()
    if not (text.startswith("{") and text.endswith("}")) or any(c in text[1:-1] for c in "{}\\"):
        return frozenset()
    out = set()
    for item in text[1:-1].split(","):
        item = item.strip()
        if len(item) >= 2 and item[0] == item[-1] == '"':
            item = item[1:-1]
        if '"' in item:
            return frozenset()
        out.add(item)
    return frozenset(out)


def _plpgsql(node: ast.CreateFunctionStmt) -> bool:
    return any(
        o.defname == "language" and getattr(o.arg, "sval", "").lower() == "plpgsql"
        for o in node.options or ()
    )


def _without_body(node: ast.CreateFunctionStmt) -> tuple[ast.Node, ...]:
    """The statement's parameters and options but its body (checked on PostgreSQL 15: a
    PL/pgSQL body quoting the new label, even cast to the enum, commits; a parameter's
    DEFAULT of it is refused)."""
    return tuple(n for n in (*(node.parameters or ()), node.returnType) if n is not None)
