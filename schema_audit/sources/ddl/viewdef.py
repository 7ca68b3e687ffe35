"""A view's query as PostgreSQL stores it, as far as names go, so the static text compares
with ``pg_get_viewdef``.

PostgreSQL keeps a view as its analysed query: ``SELECT id FROM a JOIN b …`` comes back as
``SELECT a.id FROM x.a JOIN x.b …`` (every column under the name of its FROM item, every
relation with its schema, a ``*`` as the columns it covered then). The static reader has
the text as written; here a copy of its tree is given those names from the model (the
columns each table / view / WITH query / subquery has at that point), so that
``sqlnorm.canonical_query`` of both readings is the same string. Where a name does not
resolve (a set-returning function's columns, an unknown relation) it is left as written:
the texts then differ, which the view kind reports (it never makes two queries equal).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import JoinType

from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.nodes import deparse, strings
from schema_audit.sources.ddl.view_columns import _names, _relation_columns, _Unknown

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# one FROM item: the name it is referred to by, and its columns (None: not known)
_Item = tuple[str | None, list[str] | None]


def stored_definition(interp: DdlInterpreter, query: ast.Node) -> str:
    """The deparsed query with relations schema-qualified, columns qualified by their FROM
    item and ``*`` expanded, as ``pg_get_viewdef`` prints them (text otherwise as written)."""
    tree = copy.deepcopy(query)
    try:
        _Resolver(interp).select(tree, [], {})
    except RecursionError:  # a query nested too deep: the text as written
        tree = query
    return deparse(tree) or ""


class _Resolver:
    def __init__(self, interp: DdlInterpreter) -> None:
        self.interp = interp

    def select(self, node: object, outer: list[list[_Item]], ctes: dict) -> None:
        """Qualify ``node``'s names in place; ``outer``: the enclosing queries' FROM items."""
        if not isinstance(node, ast.SelectStmt):
            return
        if node.withClause is not None:
            ctes = dict(ctes)
            for cte in node.withClause.ctes or ():
                if node.withClause.recursive:
                    ctes[cte.ctename] = None
                self.select(cte.ctequery, outer, ctes)
                ctes[cte.ctename] = self._output(cte.ctequery, ctes, strings(cte.aliascolnames))
        if node.op and node.larg is not None:
            self.select(node.larg, outer, ctes)
            self.select(node.rarg, outer, ctes)
            return
        items: list[_Item] = []
        for item in node.fromClause or ():
            items += self.from_item(item, outer, ctes)
        scopes = [items, *outer]
        if node.targetList:
            node.targetList = tuple(self._expand_stars(node.targetList, items))
        aliases = {
            t.name: t.val for t in node.targetList or () if isinstance(t, ast.ResTarget) and t.name
        }
        for member in ("targetList", "whereClause", "havingClause", "windowClause", "valuesLists"):
            self.expr(getattr(node, member), scopes, ctes)
        for member in ("sortClause", "groupClause"):
            value = getattr(node, member)
            if value:
                value = tuple(self._output_alias(v, aliases, items, member) for v in value)
                setattr(node, member, value)
                self.expr(value, scopes, ctes)
        for item in node.fromClause or ():
            self._join_quals(item, scopes, ctes)

    def _output(self, query: ast.Node | None, ctes: dict, aliases: list[str]) -> list[str] | None:
        try:
            names = _names(self.interp, query, {k: v for k, v in ctes.items() if v is not None})
        except _Unknown:
            return None
        return aliases + names[len(aliases) :]

    def from_item(self, item: object, outer: list[list[_Item]], ctes: dict) -> list[_Item]:
        if isinstance(item, ast.RangeVar):
            name = item.alias.aliasname if item.alias is not None else item.relname
            if item.schemaname is None and item.relname in ctes:
                columns = ctes[item.relname]
            else:
                from schema_audit.sources.ddl.views import read_relation

                schema, _, _ = read_relation(self.interp, item).partition(".")
                if item.schemaname is None and schema != "pg_catalog":
                    item.schemaname = schema
                try:
                    columns = _relation_columns(self.interp, item)
                except _Unknown:
                    columns = None
            return [(name, _aliased(columns, item.alias))]
        if isinstance(item, ast.RangeSubselect):
            self.select(item.subquery, outer if item.lateral else [], ctes)
            if item.alias is None:
                return [("", None)]
            columns = self._output(item.subquery, ctes, [])
            return [(item.alias.aliasname, _aliased(columns, item.alias))]
        if isinstance(item, ast.JoinExpr):
            if item.alias is not None:
                return [(item.alias.aliasname, None)]
            left = self.from_item(item.larg, outer, ctes)
            right = self.from_item(item.rarg, outer, ctes)
            if item.usingClause or item.isNatural:
                # a merged column is stored as the preserved side's (the left one's for an
                # inner or left join, the right one's for a right join); FULL: not followed
                merged = set(strings(item.usingClause)) if item.usingClause else None
                keep, drop = left, right
                if item.jointype == JoinType.JOIN_RIGHT:
                    keep, drop = right, left
                if merged is None or item.jointype == JoinType.JOIN_FULL:
                    return [(n, None) for n, _ in left + right]
                dropped = [
                    (n, None if cols is None else [c for c in cols if c not in merged])
                    for n, cols in drop
                ]
                return keep + dropped if keep is left else dropped + keep
            return left + right
        alias = getattr(item, "alias", None)
        return [(alias.aliasname if alias is not None else "", None)]

    def _join_quals(self, item: object, scopes: list[list[_Item]], ctes: dict) -> None:
        if isinstance(item, ast.JoinExpr):
            self._join_quals(item.larg, scopes, ctes)
            self._join_quals(item.rarg, scopes, ctes)
            self.expr(item.quals, scopes, ctes)

    def _expand_stars(self, targets: tuple, items: list[_Item]) -> list[ast.Node]:
        out: list[ast.Node] = []
        for target in targets:
            ref = target.val if isinstance(target, ast.ResTarget) else None
            fields = ref.fields if isinstance(ref, ast.ColumnRef) else None
            if not fields or not isinstance(fields[-1], ast.A_Star):
                out.append(target)
                continue
            qualifier = strings(fields[:-1])
            chosen = [i for i in items if not qualifier or i[0] == qualifier[-1]]
            if not chosen or any(cols is None or not name for name, cols in chosen):
                out.append(target)  # columns not known: the * stays
                continue
            for name, cols in chosen:
                out += [_target(name or "", c) for c in cols or ()]
        return out

    def _output_alias(self, clause: ast.Node, aliases: dict, items: list[_Item], member: str):
        """``ORDER BY total`` naming an output column is stored as that column's expression
        (GROUP BY prefers an input column of the name, ORDER BY the output column)."""
        node = clause.node if isinstance(clause, ast.SortBy) else clause
        fields = node.fields or () if isinstance(node, ast.ColumnRef) else ()
        if len(fields) != 1:
            return clause
        name = fields[0].sval if isinstance(fields[0], ast.String) else None
        if name not in aliases:
            return clause
        if member == "groupClause" and any(cols is None or name in cols for _, cols in items):
            return clause
        value = copy.deepcopy(aliases[name])
        if isinstance(clause, ast.SortBy):
            clause.node = value
            return clause
        return value

    def expr(self, tree: object, scopes: list[list[_Item]], ctes: dict) -> None:
        if isinstance(tree, tuple | list):
            for each in tree:
                self.expr(each, scopes, ctes)
            return
        if isinstance(tree, ast.SelectStmt):
            self.select(tree, scopes, ctes)
            return
        if isinstance(tree, ast.ColumnRef):
            _qualify(tree, scopes)
            return
        if not isinstance(tree, ast.Node):
            return
        for slot in getattr(type(tree), "__slots__", ()):
            if slot != "location":
                value = getattr(tree, slot, None)
                if isinstance(value, ast.Node | tuple | list):
                    self.expr(value, scopes, ctes)


def _aliased(columns: list[str] | None, alias: ast.Alias | None) -> list[str] | None:
    if columns is None:
        return None
    names = strings(alias.colnames) if alias is not None else []
    return names + columns[len(names) :]


def _target(qualifier: str, column: str) -> ast.ResTarget:
    return ast.ResTarget(
        val=ast.ColumnRef(fields=(ast.String(sval=qualifier), ast.String(sval=column)))
    )


def _qualify(ref: ast.ColumnRef, scopes: list[list[_Item]]) -> None:
    """A bare column gets the name of the one FROM item (innermost query first) having it."""
    fields = ref.fields or ()
    if len(fields) != 1 or not isinstance(fields[0], ast.String):
        return
    column = fields[0].sval
    for items in scopes:
        having = [name for name, cols in items if cols is not None and column in cols]
        if len(having) == 1 and having[0]:
            ref.fields = (ast.String(sval=having[0]), fields[0])
            return
        if having or any(cols is None for _, cols in items):
            return  # ambiguous, merged by USING, or maybe an unknown item's: as written


def follow_rename(
    interp: DdlInterpreter, schema: str, table: str, new: str, column: str | None = None
) -> None:
    """A table (``column`` None) or one of its columns renamed: the views reading it print
    the new name, as PostgreSQL's stored queries do (they hold the relation and column by
    number): ``accounts.tier AS plan`` for a view column named after the old column."""
    from schema_audit.model import qualify

    key = qualify(schema, table)
    renamed = qualify(schema, new)
    for view in interp.model.views.values():
        if key not in view.depends_on:
            continue
        view.definition = _renamed(view.definition, schema, table, new, column)
        if column is None:
            view.depends_on = sorted(renamed if d == key else d for d in view.depends_on)


def _renamed(text: str, schema: str, table: str, new: str, column: str | None) -> str:
    try:
        statements = parse_sql(text)
    except Exception:  # a text that does not parse stays as it was
        return text
    if len(statements) != 1 or not isinstance(statements[0].stmt, ast.SelectStmt):
        return text
    root = statements[0].stmt
    for select in find_all(root, ast.SelectStmt):
        names: set[str] = set()
        for rv in _relations_of(select.fromClause or ()):
            if (rv.schemaname or "public") != schema or rv.relname != table:
                continue
            names.add(str(rv.alias.aliasname if rv.alias is not None else rv.relname))
            if column is None:
                rv.relname = new
        if not names:
            continue
        for target in select.targetList or () if select is root and column else ():
            ref = target.val if isinstance(target, ast.ResTarget) else None
            if _refers(ref, names, column) and target.name is None:
                target.name = column  # the view's column keeps its name
        for ref in find_all(select, ast.ColumnRef):
            fields: tuple = tuple(ref.fields or ())
            if column is not None and _refers(ref, names, column):
                ref.fields = (fields[0], ast.String(sval=new))
            elif (
                column is None
                and len(fields) == 2
                and getattr(fields[0], "sval", None) == table
                and table in names  # not aliased: the qualifier is the relation's name
            ):
                ref.fields = (ast.String(sval=new), fields[1])
    return deparse(root) or text


def _refers(ref: object, names: set[str], column: str | None) -> bool:
    fields = ref.fields if isinstance(ref, ast.ColumnRef) else None
    return (
        fields is not None
        and len(fields) == 2
        and getattr(fields[0], "sval", None) in names
        and getattr(fields[1], "sval", None) == column
    )


def _relations_of(items: tuple | list) -> list[ast.RangeVar]:
    out: list[ast.RangeVar] = []
    for item in items:
        if isinstance(item, ast.RangeVar):
            out.append(item)
        elif isinstance(item, ast.JoinExpr):
            out += _relations_of((item.larg, item.rarg))
    return out
