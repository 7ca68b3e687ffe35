"""The columns a set-returning function in FROM gives a ``*``, as PostgreSQL names them.

``CREATE VIEW tags AS SELECT * FROM unnest(ARRAY['a','b'])`` has one column ``unnest``; with
``AS u`` it is ``u``, with ``AS u(tag)`` ``tag``; ``WITH ORDINALITY`` adds ``ordinality``;
``ROWS FROM (f(), g())`` and ``unnest(a, b)`` give each function's columns in turn. A
function returning a row gives the row's columns: ``RETURNS TABLE (a int, b text)``, OUT
parameters, ``SETOF accounts`` (a table or view of the model), ``jsonb_each`` (key, value), or
a column definition list. Before, every such ``*`` was "not known" and the view's findings
DEFERRED. Where the model cannot say (an overloaded name, a composite type it does not
model, ``SETOF record`` without a definition list) :class:`Unknown` is raised and the caller
keeps saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pglast
from pglast import ast

from schema_audit.model import Function, qualify
from schema_audit.pgparse import parse_sql
from schema_audit.sources.ddl.nodes import strings

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


class Unknown(Exception):
    """The function's result columns are not known from the model."""


# pg_catalog set-returning functions with one (non-composite) output column
_SCALAR_BUILTINS = frozenset(
    {
        "unnest",
        "generate_series",
        "generate_subscripts",
        "regexp_split_to_table",
        "regexp_matches",
        "string_to_table",
        "json_array_elements",
        "json_array_elements_text",
        "jsonb_array_elements",
        "jsonb_array_elements_text",
        "json_object_keys",
        "jsonb_object_keys",
        "jsonb_path_query",
    }
)
_ROW_BUILTINS = {
    "json_each": ["key", "value"],
    "json_each_text": ["key", "value"],
    "jsonb_each": ["key", "value"],
    "jsonb_each_text": ["key", "value"],
}
# result types that are one column (format_type's names; arrays and enums too)
_SCALAR_TYPES = frozenset(
    {
        "smallint", "integer", "bigint", "numeric", "real", "double precision", "boolean",
        "text", "character varying", "character", "varchar", "char", "bytea", "json", "jsonb",
        "uuid", "date", "timestamp without time zone", "timestamp with time zone",
        "time without time zone", "time with time zone", "interval", "inet", "cidr",
        "name", "oid", "int", "int4", "int8", "int2", "bool", "float8", "float4",
        "timestamp", "timestamptz", "money", "xml", "tsvector", "tsquery",
    }
)  # fmt: skip


def range_function_columns(interp: DdlInterpreter, item: ast.RangeFunction) -> list[str]:
    """The output columns of a FROM item ``f(…) [WITH ORDINALITY] [AS alias[(names)]]``."""
    calls = list(item.functions or ())
    if not calls:
        raise Unknown
    single = len(calls) == 1 and not item.is_rowsfrom
    columns: list[str] = []
    for pair in calls:
        call, definitions = pair[0], pair[1] if len(pair) > 1 else None
        if not isinstance(call, ast.FuncCall):
            raise Unknown
        definitions = definitions or (item.coldeflist if single else None)
        columns += _call_columns(interp, call, definitions, item.alias if single else None)
    if item.ordinality:
        columns.append("ordinality")
    return columns


def _call_columns(
    interp: DdlInterpreter,
    call: ast.FuncCall,
    definitions: tuple | list | None,
    alias: ast.Alias | None,
) -> list[str]:
    if definitions:
        return [d.colname for d in definitions if isinstance(d, ast.ColumnDef) and d.colname]
    names = strings(call.funcname)
    if len(names) != len(call.funcname or ()) or not names:
        raise Unknown
    name, schema = names[-1], names[-2] if len(names) > 1 else None
    scalar = alias.aliasname if alias is not None and alias.aliasname else name
    user = [f for f in interp.model.functions_named(name) if schema in (None, f.schema)]
    if schema in (None, "pg_catalog") and not user:
        if name == "unnest" and len(call.args or ()) > 1 and alias is not None:
            raise Unknown  # unnest(a, b) AS x: the alias names the table, columns stay unnest
        if name == "unnest" and len(call.args or ()) > 1:
            return [name] * len(call.args or ())
        if name in _SCALAR_BUILTINS:
            return [scalar]
        if name in _ROW_BUILTINS:
            return list(_ROW_BUILTINS[name])
        raise Unknown
    if len(user) != 1 or (schema is None and user[0].schema not in interp.search_path):
        raise Unknown  # overloaded, or not the one the search_path finds
    return _user_columns(interp, user[0], scalar)


def _user_columns(interp: DdlInterpreter, function: Function, scalar: str) -> list[str]:
    returns = function.returns.strip()
    if returns.upper().startswith("TABLE"):
        return _parameters(f"() RETURNS {returns}", {"t"})
    base = returns[6:].strip() if returns.upper().startswith("SETOF ") else returns
    if base == "record":
        outs = _parameters(f"({function.arguments}) RETURNS record", {"o", "b"})
        if not outs:
            raise Unknown  # SETOF record: only a column definition list names them
        return outs
    relation = returned_relation(interp, base)
    if relation is not None:
        table = interp.model.tables.get(relation)
        if table is not None:
            return list(table.columns)
        view = interp.model.views.get(relation)
        if view is None or relation in interp.views_unknown_columns:
            raise Unknown
        return [c.name for c in view.columns]
    bare = base.split("(")[0].strip()
    if bare.endswith("]") or bare in _SCALAR_TYPES or _is_enum(interp, bare):
        return [scalar]
    raise Unknown  # a composite type the model does not hold, a domain …


def returned_relation(interp: DdlInterpreter, type_text: str) -> str | None:
    """The table or view a function's result type names (its row type), if the model has it."""
    names = [n.strip().strip('"') for n in type_text.split(".")]
    if not names or not names[-1] or any(c in type_text for c in "([ "):
        return None
    schemas = [names[0]] if len(names) == 2 else interp.search_path
    for schema in schemas:
        key = qualify(schema, names[-1])
        if key in interp.model.tables or key in interp.model.views:
            return key
    return None


def _is_enum(interp: DdlInterpreter, name: str) -> bool:
    return any(name in (e.name, qualify(e.schema, e.name)) for e in interp.model.enums.values())


def _parameters(signature: str, modes: set[str]) -> list[str]:
    """The names of the parameters of ``modes`` ('o' OUT, 'b' INOUT, 't' TABLE) in a
    signature, read by PostgreSQL's grammar."""
    try:
        stmt = parse_sql(f"CREATE FUNCTION f{signature} LANGUAGE sql AS ''")[0].stmt
    except pglast.parser.ParseError as exc:
        raise Unknown from exc
    out = []
    for parameter in getattr(stmt, "parameters", None) or ():
        mode = str(getattr(parameter.mode, "value", parameter.mode))
        if mode in modes:
            if not parameter.name:
                raise Unknown  # an unnamed OUT parameter: column1 … (not followed)
            out.append(parameter.name)
    return out


def rowtype_reads(interp: DdlInterpreter, query: ast.Node | None) -> list[str]:
    """Tables and views a view reads through a FROM function returning their row type
    (``SELECT x.id FROM accounts_of(…) x``, ``SELECT * FROM f_set()``): PostgreSQL records a
    dependency on each column the view uses of such a result, so it lists the relation as
    read; a function whose result columns are not used records none."""
    from schema_audit.pgvisit import find_all

    out: list[str] = []
    for select in find_all(query, ast.SelectStmt) if query is not None else ():
        items = list(select.fromClause or ())
        for item in items:
            if not isinstance(item, ast.RangeFunction) or len(item.functions or ()) != 1:
                continue
            relation = _function_relation(interp, item)
            if relation is None or relation in out:
                continue
            name = item.alias.aliasname if item.alias is not None else None
            call = (item.functions or ((None,),))[0][0]
            if not isinstance(call, ast.FuncCall) or not call.funcname:
                continue
            name = name or strings(call.funcname)[-1]
            if _uses(select, name, relation, interp, alone=len(items) == 1):
                out.append(relation)
    return out


def _function_relation(interp: DdlInterpreter, item: ast.RangeFunction) -> str | None:
    call = item.functions[0][0] if item.functions else None
    if not isinstance(call, ast.FuncCall) or item.coldeflist:
        return None
    names = strings(call.funcname)
    if not names:
        return None
    schema = names[-2] if len(names) > 1 else None
    user = [f for f in interp.model.functions_named(names[-1]) if schema in (None, f.schema)]
    if len(user) != 1:
        return None
    returns = user[0].returns.strip()
    base = returns[6:].strip() if returns.upper().startswith("SETOF ") else returns
    return returned_relation(interp, base)


def _uses(
    select: ast.SelectStmt, name: str, relation: str, interp: DdlInterpreter, alone: bool
) -> bool:
    from schema_audit.pgvisit import find_all

    table = interp.model.tables.get(relation)
    view = interp.model.views.get(relation)
    columns = set(table.columns) if table else {c.name for c in view.columns} if view else set()
    parts = [select.targetList, select.whereClause, select.groupClause, select.havingClause]
    parts += [select.sortClause]
    for ref in (r for part in parts if part for r in find_all(part, ast.ColumnRef)):
        fields = ref.fields or ()
        last = fields[-1] if fields else None
        qualifier = strings(fields[:-1])
        if qualifier and qualifier[-1] == name:
            return True
        if not qualifier and isinstance(last, ast.A_Star):
            return True
        if not qualifier and alone and isinstance(last, ast.String) and last.sval in columns:
            return True
    return False
