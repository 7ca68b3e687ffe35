"""A view's output column names, with ``*`` expanded as PostgreSQL expands it at creation.

``CREATE VIEW all_accounts AS SELECT * FROM accounts`` stores the columns ``accounts`` has
then (a later ``ADD COLUMN`` does not reach the view). Read as written the static view had
one column ``?column?``: a view requirement naming its columns FAILed statically although
the database has them. Expanded here from the model's columns of each FROM item (tables,
views, WITH queries, subqueries, joins with ``USING``/``NATURAL`` merging their common
columns first); where an item's columns are not known (a set-returning function, a view
whose own ``*`` was not known) the answer is None and the caller says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import JoinType

from schema_audit.model import Column, qualify
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl import function_columns
from schema_audit.sources.ddl.function_columns import range_function_columns
from schema_audit.sources.ddl.nodes import strings, target_names

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# a FROM item: its columns in order, and each name it can be qualified by -> its columns
_Item = tuple[list[str], dict[str, list[str]]]


class _Unknown(Exception):
    """A ``*`` reaches something whose columns the model does not know."""


def has_star(query: ast.Node | None) -> bool:
    """Whether the SELECT's output list (the first branch of a UNION) holds a ``*``."""
    while isinstance(query, ast.SelectStmt) and query.op and query.larg is not None:
        query = query.larg
    if not isinstance(query, ast.SelectStmt):
        return False
    return any(
        (isinstance(t.val, ast.ColumnRef) and isinstance((t.val.fields or ())[-1], ast.A_Star))
        or _field_star(t.val)
        for t in query.targetList or ()
    )


def _field_star(node: ast.Node | None) -> bool:
    """``(expression).*``: every field of a composite value (MusicBrainz's ``SELECT
    (sanitize_editor(editor)).* FROM editor``), expanded by PostgreSQL into one column per
    field of the expression's type, which the model does not know."""
    if not isinstance(node, ast.A_Indirection) or not node.indirection:
        return False
    return isinstance(node.indirection[-1], ast.A_Star)


def output_names(interp: DdlInterpreter, query: ast.Node | None) -> list[str] | None:
    """The output column names of ``query`` with each ``*`` expanded; None where a ``*``
    covers columns the model does not know."""
    try:
        return _names(interp, query, {})
    except _Unknown:
        return None


def _names(interp: DdlInterpreter, query: ast.Node | None, ctes: dict[str, list[str]]) -> list[str]:
    if not isinstance(query, ast.SelectStmt):
        raise _Unknown
    if query.withClause is not None:
        ctes = dict(ctes)
        for cte in query.withClause.ctes or ():
            aliases = strings(cte.aliascolnames)
            try:
                inner = _names(interp, cte.ctequery, ctes)
            except _Unknown:
                inner = None
            if inner is not None:
                ctes[cte.ctename] = aliases + inner[len(aliases) :]
    if query.op and query.larg is not None:
        return _names(interp, query.larg, ctes)
    if query.valuesLists:
        return [f"column{i + 1}" for i in range(len(query.valuesLists[0]))]
    if any(_field_star(t.val) for t in query.targetList or ()):
        raise _Unknown
    if not any(
        isinstance(t.val, ast.ColumnRef) and isinstance((t.val.fields or ())[-1], ast.A_Star)
        for t in query.targetList or ()
    ):
        return target_names(query)
    items = [_from_item(interp, item, ctes) for item in query.fromClause or ()]
    names: list[str] = []
    for target in query.targetList or ():
        fields = target.val.fields if isinstance(target.val, ast.ColumnRef) else None
        if not fields or not isinstance(fields[-1], ast.A_Star):
            names += target_names(ast.SelectStmt(targetList=(target,)))
            continue
        qualifier = strings(fields[:-1])
        if not qualifier:
            for columns, _ in items:
                names += columns
            continue
        found = [by[qualifier[-1]] for _, by in items if qualifier[-1] in by]
        if len(found) != 1:
            raise _Unknown
        names += found[0]
    return names


def _relation_columns(interp: DdlInterpreter, rv: ast.RangeVar) -> list[str]:
    from schema_audit.sources.ddl.views import read_relation

    key = read_relation(interp, rv)
    table = interp.model.tables.get(key)
    if table is not None:
        return list(table.columns)
    view = interp.model.views.get(key)
    if view is None or key in interp.views_unknown_columns:
        raise _Unknown
    return [c.name for c in view.columns]


def _aliased(columns: list[str], alias: ast.Alias | None) -> list[str]:
    names = strings(alias.colnames) if alias is not None else []
    return names + columns[len(names) :]


def _from_item(interp: DdlInterpreter, item: ast.Node, ctes: dict[str, list[str]]) -> _Item:
    if isinstance(item, ast.RangeVar):
        if item.schemaname is None and item.relname in ctes:
            columns = ctes[item.relname]
        else:
            columns = _relation_columns(interp, item)
        columns = _aliased(columns, item.alias)
        name = item.alias.aliasname if item.alias is not None else item.relname
        return columns, {name or "": columns}
    if isinstance(item, ast.RangeSubselect) and item.alias is not None:
        columns = _aliased(_names(interp, item.subquery, ctes), item.alias)
        return columns, {item.alias.aliasname or "": columns}
    if isinstance(item, ast.JoinExpr):
        return _join(interp, item, ctes)
    if isinstance(item, ast.RangeFunction):
        try:
            columns = range_function_columns(interp, item)
        except function_columns.Unknown as exc:
            raise _Unknown from exc
        if item.alias is not None and (item.functions and len(item.functions) == 1):
            given = strings(item.alias.colnames)
            # one scalar function: the alias names its column too (``AS u`` -> column u)
            columns = given + columns[len(given) :]
        elif item.alias is not None:
            columns = _aliased(columns, item.alias)
        name = item.alias.aliasname if item.alias is not None else _function_name(item)
        return columns, {name or "": columns}
    if isinstance(item, ast.RangeTableFunc) and (name := xmltable_name(item)):
        # XMLTABLE (… COLUMNS a type PATH …, n FOR ORDINALITY): its columns as declared
        columns = [c.colname or "" for c in item.columns or ()]
        return columns, {name: columns}
    raise _Unknown


def xmltable_name(item: ast.RangeTableFunc) -> str | None:
    """The name an XMLTABLE whose columns are read here goes by: its alias, or
    ``xmltable`` without one (as PostgreSQL names it: PostgREST's view ``test.xml`` reads
    ``"xmltable".id``); None with column aliases (``x (a, b)``: PostgreSQL 15 prints the
    alias alone yet reads ``x.a``; not followed)."""
    alias = item.alias
    if alias is None:
        return "xmltable"
    return alias.aliasname if not alias.colnames else None


def _function_name(item: ast.RangeFunction) -> str:
    """The name a FROM function without an alias is qualified by: its own name."""
    call = item.functions[0][0] if item.functions else None
    names = strings(call.funcname) if isinstance(call, ast.FuncCall) else []
    return names[-1] if names and len(item.functions or ()) == 1 else ""


def _join(interp: DdlInterpreter, join: ast.JoinExpr, ctes: dict[str, list[str]]) -> _Item:
    """A join's columns: those ``USING`` or ``NATURAL`` merges first (once), then the left
    side's others, then the right side's (PostgreSQL's expandRTE of a join)."""
    if join.larg is None or join.rarg is None:
        raise _Unknown
    left, left_by = _from_item(interp, join.larg, ctes)
    right, right_by = _from_item(interp, join.rarg, ctes)
    merged = [c for c in left if c in right] if join.isNatural else strings(join.usingClause)
    if merged and join.jointype not in (
        JoinType.JOIN_INNER,
        JoinType.JOIN_LEFT,
        JoinType.JOIN_RIGHT,
        JoinType.JOIN_FULL,
    ):
        raise _Unknown
    columns = merged + [c for c in left if c not in merged] + [c for c in right if c not in merged]
    by = {**left_by, **right_by}
    if join.alias is not None:
        columns = _aliased(columns, join.alias)
        by = {join.alias.aliasname or "": columns}
    return columns, by


def star_covered_columns(interp: DdlInterpreter, query: ast.Node | None) -> list[Column]:
    """The table columns some ``*`` (or ``t.*``) of the query covers, anywhere in it (a
    subquery in FROM, a WITH query, EXISTS): PostgreSQL expanded them when it made the view,
    so the view depends on each one (dropping it needs CASCADE, its type cannot change)
    although its name is nowhere in the text. Only tables the model has, named by a FROM item
    of the same SELECT as the ``*``, not by a WITH query's name; the Column objects
    themselves (a renamed column is still covered, a dropped and re-added one is not)."""
    if query is None:
        return []
    ctes = {cte.ctename for cte in find_all(query, ast.CommonTableExpr)}
    out: list[Column] = []
    for select in find_all(query, ast.SelectStmt):
        qualifiers: list[list[str]] = []
        for target in select.targetList or ():
            fields = target.val.fields if isinstance(target.val, ast.ColumnRef) else None
            if fields and isinstance(fields[-1], ast.A_Star):
                qualifiers.append(strings(fields[:-1]))
        if not qualifiers:
            continue
        for rv in _from_relations(select.fromClause or ()):
            if not rv.relname or (rv.schemaname is None and rv.relname in ctes):
                continue
            name = rv.alias.aliasname if rv.alias is not None else rv.relname
            if not any(not q or q[-1] == name for q in qualifiers):
                continue
            table = interp.model.tables.get(qualify(interp._schema_of(rv), rv.relname))
            if table is not None:
                out += table.columns.values()
    return out


def _from_relations(items: tuple | list) -> list[ast.RangeVar]:
    """The RangeVars of a FROM list, through joins (not into subqueries: their own SELECT)."""
    out: list[ast.RangeVar] = []
    todo = list(items)
    while todo:
        item = todo.pop(0)
        if isinstance(item, ast.RangeVar):
            out.append(item)
        elif isinstance(item, ast.JoinExpr):
            todo += [item.larg, item.rarg]
    return out
