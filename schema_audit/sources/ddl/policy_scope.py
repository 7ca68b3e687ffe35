"""Column references in a policy's subqueries, resolved the way PostgreSQL resolves them.

``USING (user_id <> (SELECT owner FROM accounts WHERE id = account_id))`` on ``account_user``:
PostgreSQL binds ``account_id`` to the policy's own table when ``accounts`` has no such column,
and prints it ``account_user.account_id``. Read as written, the bare name could be either, so the
static predicate differed from the catalog's although PostgreSQL enforces the same one. Each
bare name inside a subquery is qualified with the relation it binds to, found in the model,
innermost FROM first; where a FROM item is not a table or view the model knows, nothing in that
subquery (or below it) is qualified: the reading stays as written rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pglast
from pglast import ast

from schema_audit.model import Column, Table, qualify
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.nodes import deparse

if TYPE_CHECKING:
    from schema_audit.sources.ddl.implicit import FromScope
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# one FROM list: (qualifier, its columns) per relation; None = a relation the model cannot tell
Scope = list[tuple[str, frozenset[str]]] | None

_SELECT_PARTS = (
    "targetList",
    "whereClause",
    "havingClause",
    "groupClause",
    "sortClause",
    "distinctClause",
    "limitCount",
    "limitOffset",
)


def policy_expr(interp: DdlInterpreter, table: Table, node: ast.Node | None) -> str | None:
    """The predicate's text, names in its subqueries qualified as PostgreSQL binds them."""
    text = deparse(node)
    if text is None or not find_all(node, ast.SubLink):
        return text
    try:
        select = parse_sql(f"SELECT {text}")[0].stmt
    except pglast.parser.ParseError:
        return text
    if not isinstance(select, ast.SelectStmt) or not select.targetList:
        return text
    tree = select.targetList[0].val
    outer: Scope = [(table.name, frozenset(table.columns))]
    if not _walk(interp, tree, [outer]):
        return text
    return deparse(tree) or text


def _walk(interp: DdlInterpreter, obj: object, scopes: list[Scope]) -> bool:
    """Qualify the bare names under ``obj``; True when any was."""
    if isinstance(obj, tuple | list):
        return any([_walk(interp, item, scopes) for item in obj])
    if not isinstance(obj, ast.Node):
        return False
    if isinstance(obj, ast.ColumnRef):
        return _qualify(obj, scopes)
    if isinstance(obj, ast.SelectStmt):
        if obj.larg is not None and obj.rarg is not None:  # UNION / INTERSECT / EXCEPT
            return any([_walk(interp, obj.larg, scopes), _walk(interp, obj.rarg, scopes)])
        if obj.withClause is not None:
            scope: Scope = None
            renamed = False
        else:
            renames = _unique_names(obj.fromClause or (), scopes)
            for old, new in renames.items():
                for part in ("fromClause", *_SELECT_PARTS):
                    _requalify(getattr(obj, part), old, new)
            renamed = bool(renames)
            scope = _scope(interp, obj.fromClause or ())
            renamed = _qualify_relations(interp, obj.fromClause or ()) or renamed
        inner = [*scopes, scope]
        walked = [_walk(interp, getattr(obj, part), inner) for part in _SELECT_PARTS]
        return renamed or any(walked)
    slots = getattr(type(obj), "__slots__", ())
    return any([_walk(interp, getattr(obj, slot), scopes) for slot in slots])


def _unique_names(from_clause: tuple[ast.Node, ...], scopes: list[Scope]) -> dict[str, str]:
    """A subquery reading a relation under a name an outer level uses (the policy's own table,
    unaliased): PostgreSQL prints it under a name of its own, ``invoices invoices_1``, and its
    columns qualified by that (ruleutils' set_rtable_names: the name, then ``_1``, ``_2`` … until
    no outer level has it). The same here, with the subquery's references to the old name
    following; old name -> new. A name the query itself chose (an alias) is left."""
    used = {q for scope in scopes if scope for q, _ in scope}
    renamed: dict[str, str] = {}
    for item in from_clause:
        if not isinstance(item, ast.RangeVar) or item.alias is not None or not item.relname:
            continue
        name = item.relname
        if name not in used:
            used.add(name)
            continue
        number = 1
        while f"{name}_{number}" in used:
            number += 1
        renamed[name] = f"{name}_{number}"
        item.alias = ast.Alias(aliasname=renamed[name])
        used.add(renamed[name])
    return renamed


def _requalify(obj: object, old: str, new: str) -> None:
    """``old.column`` -> ``new.column`` under ``obj``, except inside a subquery that reads
    a relation under the name ``old`` itself (there ``old`` is that one)."""
    if isinstance(obj, tuple | list):
        for item in obj:
            _requalify(item, old, new)
        return
    if not isinstance(obj, ast.Node):
        return
    if isinstance(obj, ast.ColumnRef):
        fields = obj.fields or ()
        if len(fields) == 2 and isinstance(fields[0], ast.String) and fields[0].sval == old:
            obj.fields = (ast.String(sval=new), fields[1])
        return
    if isinstance(obj, ast.SelectStmt) and any(
        isinstance(rv, ast.RangeVar) and (rv.alias.aliasname if rv.alias else rv.relname) == old
        for rv in obj.fromClause or ()
    ):
        return
    for slot in getattr(type(obj), "__slots__", ()):
        _requalify(getattr(obj, slot), old, new)


def _qualify_relations(interp: DdlInterpreter, from_clause: tuple[ast.Node, ...]) -> bool:
    """Name the schema of each table or view the FROM list reads unqualified from a schema
    other than public, as the catalog prints it (``FROM app.org`` under ``SET search_path =
    app, public``); True when any was. A name the model does not hold is left as written."""
    changed = False
    for item in from_clause:
        if not isinstance(item, ast.RangeVar) or item.schemaname or not item.relname:
            continue
        schema = interp._schema_of(item)
        key = qualify(schema, item.relname)
        if schema != "public" and (key in interp.model.tables or key in interp.model.views):
            item.schemaname = schema
            changed = True
    return changed


def _scope(interp: DdlInterpreter, from_clause: tuple[ast.Node, ...]) -> Scope:
    """The FROM list's relations and their columns; None unless each is a known table or view."""
    out: list[tuple[str, frozenset[str]]] = []
    for item in from_clause:
        if not isinstance(item, ast.RangeVar):
            return None
        key = qualify(interp._schema_of(item), item.relname or "")
        relation = interp.model.tables.get(key)
        if relation is not None:
            columns = frozenset(relation.columns)
        elif key in interp.model.views:
            columns = frozenset(c.name for c in interp.model.views[key].columns)
        else:
            return None
        alias = item.alias.aliasname if item.alias else None
        out.append((alias or item.relname or "", columns))
    return out


def from_scope(interp: DdlInterpreter, select: ast.SelectStmt) -> FromScope:
    """A subquery's FROM list as ``implicit.Scopes`` reads it (qualifier -> its columns);
    None unless each item is a table or a view whose column types are known."""
    out: dict[str, Mapping[str, Column]] = {}
    for item in select.fromClause or ():
        if not isinstance(item, ast.RangeVar):
            return None
        key = qualify(interp._schema_of(item), item.relname or "")
        relation = interp.model.tables.get(key)
        if relation is None:
            return None  # a view's columns carry no types here
        out[(item.alias.aliasname if item.alias else item.relname) or ""] = relation.columns
    return out


def _qualify(ref: ast.ColumnRef, scopes: list[Scope]) -> bool:
    fields = ref.fields or ()
    if len(fields) != 1 or not isinstance(fields[0], ast.String) or len(scopes) < 2:
        return False  # qualified already, `*`, or the policy's own level (printed bare)
    name = fields[0].sval
    qualifiers = [q for scope in scopes if scope for q, _ in scope]
    if len(qualifiers) != len(set(qualifiers)):
        return False  # the same name at two levels: PostgreSQL would print an alias
    for scope in reversed(scopes):
        if scope is None:
            return False
        matches = [q for q, columns in scope if name in columns]
        if len(matches) > 1:
            return False
        if matches:
            ref.fields = (ast.String(sval=matches[0]), fields[0])
            return True
    return False
