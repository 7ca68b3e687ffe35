"""Views and materialized views (CREATE VIEW, CREATE MATERIALIZED VIEW) and CREATE TABLE AS.

A view records the relations it reads as PostgreSQL's dependencies do, so DROP … CASCADE
of a table takes the views over it along.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pglast
from pglast import ast
from pglast.enums import ObjectType
from pglast.visitors import Continue, Skip, Visitor

from schema_audit.model import UNKNOWN_TYPE, Column, Table, View, ViewColumn, qualify
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_columns import rowtype_reads
from schema_audit.sources.ddl.nodes import (
    create_reloptions,
    reloptions,
    strings,
    target_names,
)
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.storage import relation_access_method, relation_tablespace
from schema_audit.sources.ddl.toast import defer_view_toast
from schema_audit.sources.ddl.view_columns import has_star, output_names, star_covered_columns
from schema_audit.sources.ddl.viewdef import stored_definition

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.ViewStmt)
def create_view(interp: DdlInterpreter, node: ast.ViewStmt) -> None:
    """CREATE [OR REPLACE] VIEW, with its options (security_invoker, check_option …)."""
    define_view(
        interp,
        node.view,
        node.query,
        materialized=False,
        replace=bool(node.replace),
        aliases=strings(node.aliases),
    )
    view = interp.model.views.get(qualify(interp._schema_of(node.view), node.view.relname))
    if view is not None:
        # CREATE OR REPLACE VIEW sets the options anew, as PostgreSQL does
        view.options = reloptions(node.options)
        check = getattr(node.withCheckOption, "name", "") or ""
        if "LOCAL" in check:
            view.options["check_option"] = "local"
        elif "CASCADED" in check:
            view.options["check_option"] = "cascaded"


@handles(ast.CreateTableAsStmt)
def create_table_as(interp: DdlInterpreter, node: ast.CreateTableAsStmt) -> None:
    """CREATE MATERIALIZED VIEW, and CREATE TABLE AS (a table whose column types are not known)."""
    rel = node.into.rel
    if node.objtype == ObjectType.OBJECT_MATVIEW:
        define_view(
            interp,
            rel,
            node.query,
            materialized=True,
            replace=False,
            aliases=strings(node.into.colNames),
            if_not_exists=bool(node.if_not_exists),
            options=create_reloptions(node.into.options),
        )
        view = interp.model.views.get(qualify(interp._schema_of(rel), rel.relname))
        if view is not None:
            defer_view_toast(interp, view, node.into.options)
            view.tablespace = relation_tablespace(interp, node.into.tableSpaceName)
            view.access_method = relation_access_method(interp, node.into.accessMethod, False)
    else:
        schema = interp.creation_schema(rel)
        if qualify(schema, rel.relname) in interp.model.tables:  # (replaced it: false PASS)
            if node.if_not_exists:
                return
            raise ApplyError(f"table {qualify(schema, rel.relname)} already exists")
        table = Table(
            schema,
            rel.relname,
            provenance=[interp._prov()],
            options=create_reloptions(node.into.options),
            unlogged=rel.relpersistence == "u",
            tablespace=relation_tablespace(interp, node.into.tableSpaceName),
            access_method=relation_access_method(interp, node.into.accessMethod, False),
        )
        key = qualify(schema, rel.relname)
        aliases = strings(node.into.colNames)
        names = _column_names(interp, key, node.query, aliases, what="table")
        refuse_record_columns(node.query, names)
        for name in names:
            table.columns[name] = Column(name, UNKNOWN_TYPE, provenance=[interp._prov()])
        table.grants = interp._defaults_for("tables", schema)
        interp.model.tables[table.qualified_name] = table
        interp._relations[table.qualified_name] = "table"


def define_view(
    interp: DdlInterpreter,
    rv: ast.RangeVar,
    query: ast.Node,
    *,
    materialized: bool,
    replace: bool,
    aliases: list[str],
    if_not_exists: bool = False,
    options: dict[str, str] | None = None,
) -> None:
    reads = relations_read(interp, query)
    schema = interp.creation_schema(rv, _persistence(interp, rv, reads, materialized))
    key = qualify(schema, rv.relname)
    if key in interp.model.views and not replace:
        if if_not_exists:
            return
        raise ApplyError(f"view {key} already exists")
    names = _column_names(interp, key, query, aliases)
    refuse_record_columns(query, names)
    view = View(
        schema,
        rv.relname,
        materialized=materialized,
        definition=stored_definition(interp, query, aliases),
        columns=[ViewColumn(n, "") for n in names],
        # (CREATE OR REPLACE VIEW v AS SELECT … FROM v reads itself: not a dependency)
        depends_on=sorted({*reads, *rowtype_reads(interp, query)} - {key}),
        provenance=[interp._prov()],
        options=options or {},
    )
    old = interp.model.views.get(key)
    if old is not None:  # CREATE OR REPLACE VIEW keeps its grants and comments
        view.indexes, view.grants, view.comment = old.indexes, old.grants, old.comment
        kept = {c.name: c.comment for c in old.columns if c.comment is not None}
        for view_column in view.columns if kept else ():  # the same attributes: the same name
            view_column.comment = kept.get(view_column.name)
    else:
        view.grants = interp._defaults_for("tables", schema)
    interp.model.views[key] = view
    interp._relations[key] = "view"
    # the query as written: the stored definition has its * expanded (viewdef)
    covered = star_covered_columns(interp, query) if find_all(query, ast.A_Star) else []
    if covered:
        _star_uses(interp)[id(view)] = (view, covered)


def refuse_record_columns(query: ast.Node, names: list[str]) -> None:
    """A column made by a row constructor (``ROW(t.*)``, ``(a, b)``) not cast to a named
    type is an anonymous record, which no relation may have: PostgreSQL refuses the view,
    the materialized view or CREATE TABLE AS ("column "rr" has pseudo-type record"); the
    columns are the leftmost SELECT's of a UNION."""
    while isinstance(query, ast.SelectStmt) and query.larg is not None:
        query = query.larg
    if not isinstance(query, ast.SelectStmt):
        return
    for position, target in enumerate(query.targetList or ()):
        if isinstance(getattr(target, "val", None), ast.RowExpr) and position < len(names):
            raise ApplyError(
                f'column "{names[position]}" has pseudo-type record', "invalid_table_definition"
            )


def _persistence(
    interp: DdlInterpreter, rv: ast.RangeVar, reads: list[str], materialized: bool
) -> str:
    """A view reading a temporary relation is temporary (PostgreSQL's DefineView:
    isQueryUsingTempRelation, "NOTICE: view … will be a temporary view"; in a named other
    schema it is then refused), gone with the session; a materialized view may not read one."""
    if rv.relpersistence == "t" or not any(r.startswith("pg_temp.") for r in reads):
        return rv.relpersistence or "p"
    if materialized:
        raise ApplyError(
            "materialized views must not use temporary tables or views", "feature_not_supported"
        )
    return "t"


def _star_uses(interp: DdlInterpreter) -> dict[int, tuple[View, list[Column]]]:
    """id(view) -> (that view, the table columns a ``*`` of it covered when it was made);
    by object, so a renamed view keeps them and a replaced one has its own."""
    uses: dict[int, tuple[View, list[Column]]] | None = getattr(interp, "_star_uses", None)
    if uses is None:
        uses = {}
        interp._star_uses = uses  # type: ignore[attr-defined]
    return uses


def _column_names(
    interp: DdlInterpreter, key: str, query: ast.Node, aliases: list[str], what: str = "view"
) -> list[str]:
    """The view's (or CREATE TABLE AS's table's) column names: the aliases given, then the
    query's own for the rest, with a ``*`` expanded to the columns it covers now
    (``view_columns``; boundary's `create table credential_vault_library as select * from
    credential_library` had one column `?column?`). Where those are not known the statement
    is listed (what the columns are is then DEFERRED), and where the expansion repeats a
    name PostgreSQL refuses the statement."""
    if what == "view":
        interp.views_unknown_columns.discard(key)
    if not has_star(query):
        names = target_names(query)
    elif (expanded := output_names(interp, query)) is None:
        if what == "view":
            interp.views_unknown_columns.add(key)
        interp._unapplied(
            "unsupported",
            f"the columns '*' gives {what} {key} are not known (it reads a relation or "
            "function whose columns are not modelled)",
            effects=[fx.Effect(what if what == "view" else "*", key)],
        )
        names = target_names(query)
    else:
        names = expanded
        given = aliases + names[len(aliases) :]
        repeated = next((n for i, n in enumerate(given) if n in given[:i]), None)
        if repeated is not None:
            raise ApplyError(f'column "{repeated}" specified more than once', "duplicate_column")
    return aliases + names[len(aliases) :]


def view_using_column(interp: DdlInterpreter, table: Table, column: str) -> str | None:
    """The first of ``views_using_column``, or None."""
    return next(views_using_column(interp, table, column), None)


def views_using_column(interp: DdlInterpreter, table: Table, column: str) -> Iterator[str]:
    """The views (and materialized views) that certainly read ``table.column``: PostgreSQL
    then refuses to change its type, or to drop it without CASCADE. Certain: the view reads
    the table and names the column qualified by the table's name or an alias of it, or
    unqualified where no other relation it reads has a column of that name, or a ``*`` of it
    covered the column when the view was made (``star_covered_columns``)."""
    mine = table.columns.get(column)
    for view in interp.model.views.values():
        if table.qualified_name not in view.depends_on:
            continue
        star = _star_uses(interp).get(id(view))
        if star is not None and star[0] is view and any(c is mine for c in star[1]):
            yield view.qualified_name  # a ``*`` covered it (view_columns.star_covered_columns)
            continue
        if column not in view.definition:
            continue
        others = [interp.model.tables.get(k) for k in view.depends_on if k != table.qualified_name]
        ambiguous = any(other is None or column in other.columns for other in others)
        try:
            tree = parse_sql(view.definition)
        except pglast.parser.ParseError:
            continue
        names = {table.name} | {
            rv.alias.aliasname
            for rv in find_all(tree, ast.RangeVar)
            if rv.alias is not None and rv.relname == table.name
        }
        for ref in find_all(tree, ast.ColumnRef):
            fields = strings(ref.fields)
            if len(fields) != len(ref.fields or ()) or not fields or fields[-1] != column:
                continue
            if (fields[-2] in names) if len(fields) > 1 else not ambiguous:
                yield view.qualified_name
                break


def relations_read(interp: DdlInterpreter, query: ast.Node) -> list[str]:
    """Relations a view reads, as PostgreSQL records them: a WITH query's name is not a
    relation where it is in scope (later WITH queries and the main query; itself only
    when RECURSIVE), and an unqualified pg_* name is the catalog's (whose relations are
    pinned: PostgreSQL records no dependency on them)."""
    found: list[str] = []
    _RelationsRead(interp, frozenset(), found).within(query)
    return sorted(found)


class _RelationsRead(Visitor):
    """The RangeVars of a query that name relations (not WITH queries in ``scope``)."""

    def __init__(self, interp: DdlInterpreter, scope: frozenset[str], found: list[str]) -> None:
        self.interp, self.scope, self.found = interp, scope, found

    def within(self, tree: object, scope: frozenset[str] | None = None) -> None:
        """Visit ``tree`` with the WITH query names of ``scope`` (default: this one's)."""
        if isinstance(tree, ast.Node | tuple):
            _RelationsRead(self.interp, self.scope if scope is None else scope, self.found)(tree)

    def __call__(self, tree: ast.Node | tuple) -> None:
        """``Visitor.__call__`` without its per-call ``inspect.getmembers`` (the methods are
        known): pglast's traversal, each node to its ``visit_*`` method, Skip or Continue."""
        walk = self.iterate(tree)
        try:
            ancestors, node = next(walk)
            while True:
                kind = type(node)
                if kind is ast.SelectStmt:
                    action = self.visit_SelectStmt(ancestors, node)
                elif kind is ast.RangeVar:
                    action = self.visit_RangeVar(ancestors, node)
                else:
                    action = None
                ancestors, node = walk.send(Continue if action is None else action)
        except StopIteration:
            pass

    def visit_SelectStmt(self, ancestors: object, node: ast.SelectStmt) -> object:
        if node.withClause is None:
            return None
        inner = self.scope
        recursive = bool(node.withClause.recursive)
        names = [cte.ctename for cte in node.withClause.ctes or ()]
        for cte in node.withClause.ctes or ():
            self.within(cte.ctequery, inner | ({cte.ctename} if recursive else set()))
            inner = inner | {cte.ctename}
        if recursive:
            inner = self.scope | set(names)
        for member in node:
            if member != "withClause":
                self.within(getattr(node, member), inner)
        return Skip  # visited above, each part with its scope

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> object:
        if not (node.schemaname is None and node.relname in self.scope):
            key = read_relation(self.interp, node)
            if key not in self.found and not key.startswith("pg_catalog."):
                self.found.append(key)  # the catalog records no dependency on pinned pg_catalog
        return Skip


def read_relation(interp: DdlInterpreter, rv: ast.RangeVar) -> str:
    """The qualified name a view's FROM item resolves to (pg_catalog is searched first)."""
    return qualify(read_schema(interp, rv), rv.relname)


def read_schema(interp: DdlInterpreter, rv: ast.RangeVar) -> str:
    """The schema (its name, not quoted) of :func:`read_relation`."""
    if rv.schemaname is None and rv.relname.startswith("pg_"):
        on_path = any(
            qualify(schema, rv.relname) in interp._relations for schema in interp.search_path
        )
        if not on_path:
            return "pg_catalog"
    return interp._schema_of(rv)
