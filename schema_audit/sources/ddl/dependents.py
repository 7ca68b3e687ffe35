"""What depends on an object a DROP names, as far as the model can tell for certain.

PostgreSQL refuses ``DROP TABLE`` / ``VIEW`` / ``SEQUENCE`` / ``TYPE`` / ``FUNCTION`` without
CASCADE while another object depends on it ("cannot drop table accounts because other
objects depend on it"): a view reading a table or view, a foreign key of another table, a
column default calling ``nextval`` on the sequence or the function, a column of the type,
a view calling the function. The static reading dropped the object anyway, so everything
the refused statement left in place was missing from the model (a false FAIL, and the
dependents kept where CASCADE would have taken them along, a false PASS).

Only dependencies read with certainty are claimed: a function is found by its name where
no other overload of that name is left, a sequence by ``nextval('name')``'s literal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pglast
from pglast import ast

from schema_audit.model import Column, Function, Table
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings, type_text
from schema_audit.sources.ddl.sequence_literals import sequence_key

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def refused(kind: str, name: str) -> ApplyError:
    """PostgreSQL's error for a DROP without CASCADE that has dependents (its condition is
    what a DO block's EXCEPTION WHEN dependent_objects_still_exist catches)."""
    return ApplyError(
        f"cannot drop {kind} {name} because other objects depend on it",
        "dependent_objects_still_exist",
    )


def views_reading(interp: DdlInterpreter, keys: set[str]) -> list[str]:
    """Views (and materialized views) outside ``keys`` that read a relation of ``keys``."""
    return [
        vkey
        for vkey, view in interp.model.views.items()
        if vkey not in keys and any(k in keys for k in view.depends_on)
    ]


def referencing_keys(interp: DdlInterpreter, table: Table, keys: set[str]) -> list[str]:
    """Foreign keys of tables outside ``keys`` that reference ``table``."""
    return [
        f"{fk.name} on {other.qualified_name}"
        for other in interp._tables_referencing(table.schema, table.name)
        if other.qualified_name not in keys
        for fk in other.foreign_keys.values()
        if (fk.ref_schema, fk.ref_table) == (table.schema, table.name)
    ]


def _expression_calls(text: str, query: bool = False) -> list[ast.FuncCall]:
    """The function calls in a stored expression's (or a view's ``query``) text (none if it
    does not parse)."""
    try:
        return find_all(parse_sql(text if query else f"SELECT {text}"), ast.FuncCall)
    except pglast.parser.ParseError:
        return []


def regclass_literal(node: object) -> str | None:
    """``'name'`` or ``'name'::regclass``: the text of a nextval argument."""
    if isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String):
        return node.val.sval
    return None


def columns_calling_nextval(interp: DdlInterpreter, keys: set[str]) -> list[tuple[Table, Column]]:
    """Columns whose default calls ``nextval`` on a sequence of ``keys``."""
    names = {key.rpartition(".")[2] for key in keys}
    out = []
    for table in interp.model.tables.values():
        for column in table.columns.values():
            default = column.default
            if not default or "nextval" not in default or not any(n in default for n in names):
                continue
            for call in _expression_calls(default):
                args = call.args or ()
                if strings(call.funcname)[-1:] != ["nextval"] or len(args) != 1:
                    continue
                literal = regclass_literal(args[0])
                if literal is not None and sequence_key(interp, literal) in keys:
                    out.append((table, column))
                    break
    return out


def columns_of_types(
    interp: DdlInterpreter, typed: set[str], tables: set[str]
) -> list[tuple[Table, Column]]:
    """Columns (of tables outside ``tables``) whose type is one of ``typed`` or its array."""
    wanted = typed | {t + "[]" for t in typed}
    return [
        (table, column)
        for key, table in interp.model.tables.items()
        if key not in tables
        for column in table.columns.values()
        if column.type in wanted
    ]


def _calls_one_of(
    interp: DdlInterpreter, text: str, homes: set[tuple[str, str]], query: bool = False
) -> bool:
    """Whether ``text`` calls a function of ``homes`` ((schema, name)); a bare name is the
    first schema on the search path that has a function of that name."""
    if not any(name in text for _, name in homes):
        return False
    for call in _expression_calls(text, query):
        names = strings(call.funcname)
        if len(names) == 2 and (names[0], names[1]) in homes:
            return True
        if len(names) == 1:
            schema = next(
                (
                    s
                    for s in interp.search_path
                    if (s, names[0]) in homes  # an extension's: not modelled, found by name
                    or any(
                        (f.schema, f.name) == (s, names[0]) for f in interp.model.functions.values()
                    )
                ),
                None,
            )
            if schema is not None and (schema, names[0]) in homes:
                return True
    return False


def certain_homes(interp: DdlInterpreter, dropped: list[Function]) -> set[tuple[str, str]]:
    """(schema, name) of the dropped functions no other overload shares: a call by that
    name certainly called one of them."""
    gone = {fn.signature for fn in dropped}
    left = {
        (fn.schema, fn.name) for fn in interp.model.functions.values() if fn.signature not in gone
    }
    return {(fn.schema, fn.name) for fn in dropped} - left


def function_users(
    interp: DdlInterpreter, homes: set[tuple[str, str]]
) -> Iterator[tuple[str, Table | None, str]]:
    """What calls a function of ``homes``: ("view", None, key), ("default", table, column),
    ("check", table, name), ("index", table, name)."""
    if not homes:
        return
    for vkey, view in interp.model.views.items():
        if _calls_one_of(interp, view.definition, homes, query=True):
            yield "view", None, vkey
    for table in interp.model.tables.values():
        for column in table.columns.values():
            if column.default and _calls_one_of(interp, column.default, homes):
                yield "default", table, column.name
        for check in table.checks.values():
            if _calls_one_of(interp, check.expression, homes):
                yield "check", table, check.name
        for index in table.indexes.values():
            texts = [k.expression for k in index.keys if not k.is_column] + [index.where or ""]
            if any(_calls_one_of(interp, t, homes) for t in texts if t):
                yield "index", table, index.name


def _casts_to(interp: DdlInterpreter, text: str, schema: str, name: str) -> bool:
    """Whether expression ``text`` casts a value to type ``schema.name`` (or its array); a
    bare type name is that type when its schema is on the search path."""
    if name not in text:
        return False
    try:
        casts: list[ast.TypeCast] = find_all(parse_sql(f"SELECT {text}"), ast.TypeCast)
    except pglast.parser.ParseError:
        return False
    for cast in casts:
        names = strings(cast.typeName.names) if cast.typeName is not None else []
        if names[-1:] == [name] and (
            names[:-1] == [schema] or (len(names) == 1 and schema in interp.search_path)
        ):
            return True
    return False


def defaults_of_type(interp: DdlInterpreter, schema: str, name: str) -> list[tuple[Table, Column]]:
    """Columns of another type whose default holds a value of enum ``schema.name``: a cast to
    it, as ``ALTER COLUMN … TYPE`` leaves on a former column of the enum (``typed_default``).
    PostgreSQL refuses DROP TYPE without CASCADE while one exists and drops the default
    with CASCADE (ghostfolio's ``currency`` moved from an enum to TEXT, then DROP TYPE)."""
    typed = type_text(schema, name)
    return [
        (table, column)
        for table in interp.model.tables.values()
        for column in table.columns.values()
        if column.default
        and column.type not in (typed, typed + "[]")
        and _casts_to(interp, column.default, schema, name)
    ]


def typed_default(column: Column, new_type: str) -> str | None:
    """A column's default once ``ALTER COLUMN … TYPE new_type`` changes its type: a bare
    literal was read as a value of the old type when the default was set, and PostgreSQL
    keeps that value, coerced to the new type (``'USD'::"Currency"`` on a former enum
    column, so the default still depends on the enum: ``defaults_of_type``;
    ``'1970-01-01 00:00:00'::timestamp without time zone`` on a former ``timestamp``
    column, a value no session setting changed, where the bare literal read as the new
    ``timestamptz`` would depend on the TimeZone: crates.io's ``last_retry``)."""
    default, old = column.default, column.type
    if not default or old == new_type or not _is_bare_literal(default):
        return default
    return f"CAST({default} AS {old})"


def _is_bare_literal(text: str) -> bool:
    """Whether ``text`` is a lone string constant (``'USD'``, ``E'USD'``)."""
    try:
        statements = parse_sql(f"SELECT {text}")
    except pglast.parser.ParseError:
        return False
    stmt = statements[0].stmt if len(statements) == 1 else None
    targets = stmt.targetList if isinstance(stmt, ast.SelectStmt) else None
    if not targets or len(targets) != 1:
        return False
    value = targets[0].val
    return isinstance(value, ast.A_Const) and isinstance(value.val, ast.String)
