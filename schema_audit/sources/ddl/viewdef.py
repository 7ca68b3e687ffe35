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

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import JoinType

from schema_audit.model import Column
from schema_audit.pgparse import copy_tree, parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.function_schemas import qualify_calls
from schema_audit.sources.ddl.implicit import Columns, typed_by_column
from schema_audit.sources.ddl.nodes import deparse, strings
from schema_audit.sources.ddl.policy_scope import _requalify
from schema_audit.sources.ddl.view_columns import (
    _names,
    _relation_columns,
    _Unknown,
    xmltable_name,
)

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# one FROM item: the name it is referred to by, and its columns (None: not known)
_Item = tuple[str | None, list[str] | None]
# the columns a FROM list shows unqualified, in the order ``*`` expands them, each with the
# qualifier PostgreSQL prints it under ("" for a FULL join's merged column); None: not known
_Visible = list[tuple[str, str]] | None
# one query level's names: its FROM items (for ``x.col`` / ``x.*``) and what it shows bare
_Scope = tuple[list[_Item], _Visible]


def stored_definition(interp: DdlInterpreter, query: ast.Node, aliases: list[str] = ()) -> str:  # type: ignore[assignment]
    """The deparsed query with relations schema-qualified, columns qualified by their FROM
    item and ``*`` expanded, as ``pg_get_viewdef`` prints them (text otherwise as written);
    ``aliases``: the view's column names given in ``CREATE VIEW v (a, b)``, printed as the
    output columns' ``AS`` names."""
    tree = copy_tree(query)
    try:
        _Resolver(interp).select(tree, [], {})
    except RecursionError:  # a query nested too deep: the text as written
        tree = query
    else:
        _name_outputs(interp, tree, list(aliases))
        qualify_calls(interp, tree)  # the history's own functions outside public, as printed
    return deparse(tree) or ""


def _name_outputs(interp: DdlInterpreter, tree: ast.Node, aliases: list[str]) -> None:
    """``CREATE VIEW v (ident) AS SELECT s.id …`` is stored as ``SELECT s.id AS ident``."""
    if not aliases or not isinstance(tree, ast.SelectStmt) or tree.op or not tree.targetList:
        return
    try:
        names = _names(interp, tree, {})
    except _Unknown:
        return
    targets = list(tree.targetList)
    if len(names) != len(targets):
        return
    for target, name, alias in zip(targets, names, aliases, strict=False):
        if alias != name and isinstance(target, ast.ResTarget):
            target.name = alias


class _Resolver:
    def __init__(self, interp: DdlInterpreter) -> None:
        self.interp = interp
        # id of a FROM item's column list -> that list (held: a freed list's id is reused by
        # the next list made, a derived table's, which then read the table's types) and its
        # columns' types (a table's), by position
        self.types: dict[int, tuple[object, list[str]]] = {}
        self.names: list[set[str]] = []  # the relation names each enclosing level prints

    def select(self, node: object, outer: list[_Scope], ctes: dict) -> None:
        """Qualify ``node``'s names in place; ``outer``: the enclosing queries' FROM items."""
        if not isinstance(node, ast.SelectStmt):
            return
        level = not (node.op and node.larg is not None)  # a UNION's branches are levels
        if level:  # (named first: its WITH queries are below it, as its subqueries)
            self.names.append(self._unique_names(node))
        try:
            if node.withClause is not None:
                ctes = dict(ctes)
                for cte in node.withClause.ctes or ():
                    if node.withClause.recursive:
                        ctes[cte.ctename] = None
                    self.select(cte.ctequery, outer, ctes)
                    names = strings(cte.aliascolnames)
                    ctes[cte.ctename] = self._output(cte.ctequery, ctes, names)
            if not level:
                self.select(node.larg, outer, ctes)
                self.select(node.rarg, outer, ctes)
                return
            self._level(node, outer, ctes)
        finally:
            if level:
                self.names.pop()

    def _unique_names(self, node: ast.SelectStmt) -> set[str]:
        """The names this query level's relations print under: one an enclosing level uses
        gets ``_1``, ``_2`` … (ruleutils' set_rtable_names: ``FROM projects projects_1`` in
        a subquery of a query over projects, an alias too), its references following."""
        used = set().union(*self.names)
        mine: set[str] = set()
        for rv in _relations_of(node.fromClause or ()):
            name = rv.alias.aliasname if rv.alias is not None else rv.relname
            if not name:
                continue
            if name in used:
                number = 1
                while f"{name}_{number}" in used | mine:
                    number += 1
                new = f"{name}_{number}"
                if rv.alias is None:
                    rv.alias = ast.Alias(aliasname=new)
                else:
                    rv.alias.aliasname = new
                for part in _SELECT_PARTS:
                    _requalify(getattr(node, part), name, new)
                name = new
            mine.add(name)
        for item in node.fromClause or ():
            alias = getattr(item, "alias", None)
            if alias is not None and not isinstance(item, ast.RangeVar) and alias.aliasname:
                mine.add(alias.aliasname)
        return mine

    def _level(self, node: ast.SelectStmt, outer: list[_Scope], ctes: dict) -> None:
        items: list[_Item] = []
        visible: _Visible = []
        for item in node.fromClause or ():
            more, shown = self.from_item(item, outer, ctes)
            items += more
            visible = None if visible is None or shown is None else visible + shown
        scopes = [(items, visible), *outer]
        if node.targetList:
            node.targetList = tuple(self._expand_stars(node.targetList, items, visible))
        aliases = {
            t.name: t.val for t in node.targetList or () if isinstance(t, ast.ResTarget) and t.name
        }
        for member in (
            "targetList",
            "distinctClause",
            "whereClause",
            "havingClause",
            "windowClause",
            "valuesLists",
        ):
            self.expr(getattr(node, member), scopes, ctes)
        for member in ("sortClause", "groupClause"):
            value = getattr(node, member)
            if value:
                value = tuple(self._output_alias(v, aliases, items, member) for v in value)
                setattr(node, member, value)
                self.expr(value, scopes, ctes)
        for item in node.fromClause or ():
            self._join_quals(item, scopes, ctes)
        self._function_args(list(node.fromClause or ()), scopes, ctes)
        _whole_row_outputs(node, scopes)

    def _output(self, query: ast.Node | None, ctes: dict, aliases: list[str]) -> list[str] | None:
        try:
            names = _names(self.interp, query, {k: v for k, v in ctes.items() if v is not None})
        except _Unknown:
            return None
        return aliases + names[len(aliases) :]

    def from_item(
        self, item: object, outer: list[_Scope], ctes: dict
    ) -> tuple[list[_Item], _Visible]:
        """The FROM item's names (as ``_Item``s) and the columns it shows unqualified."""
        if isinstance(item, ast.RangeVar):
            name = item.alias.aliasname if item.alias is not None else item.relname
            if item.schemaname is None and item.relname in ctes:
                columns = ctes[item.relname]
            else:
                from schema_audit.sources.ddl.views import read_relation, read_schema

                # (the schema's name: ``"My Schema"`` quoted here was quoted again when printed)
                schema = read_schema(self.interp, item)
                if item.schemaname is None and schema != "pg_catalog":
                    item.schemaname = schema
                try:
                    columns = _relation_columns(self.interp, item)
                except _Unknown:
                    columns = None
                _print_every_name(columns, item.alias)
                table = self.interp.model.tables.get(read_relation(self.interp, item))
                if table is not None and columns is not None:
                    columns = _aliased(columns, item.alias)
                    self.types[id(columns)] = (columns, [c.type for c in table.columns.values()])
                    return _named(name, columns)
            return _named(name, _aliased(columns, item.alias))
        if isinstance(item, ast.RangeSubselect):
            self.select(item.subquery, outer if item.lateral else [], ctes)
            if item.alias is None:
                return [("", None)], None
            columns = self._output(item.subquery, ctes, [])
            _print_every_name(columns, item.alias)
            return _named(item.alias.aliasname, _aliased(columns, item.alias))
        if isinstance(item, ast.RangeFunction):
            return self._function(item, outer, ctes)
        if isinstance(item, ast.RangeTableFunc) and (name := xmltable_name(item)):
            # XMLTABLE (… COLUMNS …): the columns it declares, named by its alias
            return _named(name, [c.colname or "" for c in item.columns or ()])
        if isinstance(item, ast.JoinExpr):
            if item.alias is not None:
                return [(item.alias.aliasname, None)], None
            left, left_shown = self.from_item(item.larg, outer, ctes)
            right, right_shown = self.from_item(item.rarg, outer, ctes)
            if not (item.usingClause or item.isNatural):
                if left_shown is None or right_shown is None:
                    return left + right, None
                return left + right, left_shown + right_shown
            return left + right, _merged(item, left_shown, right_shown)
        alias = getattr(item, "alias", None)
        return [(alias.aliasname if alias is not None else "", None)], None

    def _function(
        self, item: ast.RangeFunction, outer: list[_Scope], ctes: dict
    ) -> tuple[list[_Item], _Visible]:
        """A function in FROM as PostgreSQL prints it: the history's functions under their
        schema, an alias naming every column (``unnest(…) unnest(unnest)``), ``LATERAL`` when
        its arguments read an earlier FROM item (PostgreSQL marks it so by itself)."""
        from schema_audit.sources.ddl.view_columns import _from_item as columns_of

        try:
            columns, by = columns_of(self.interp, item, {k: v for k, v in ctes.items() if v})
        except _Unknown:
            alias = item.alias
            return [(alias.aliasname if alias is not None else "", None)], None
        first = item.functions[0][0] if item.functions else None
        called = strings(first.funcname) if isinstance(first, ast.FuncCall) else []
        # named by its alias, else by its (first) function, as PostgreSQL names it
        name = item.alias.aliasname if item.alias is not None else called[-1:] and called[-1]
        if len(by) > 1 or not name:
            return [("", None)], None
        for pair in item.functions or ():
            call = pair[0]
            names = strings(call.funcname)
            if len(names) == 1:
                user = self.interp.model.functions_named(names[0])
                if user:  # the one the search_path finds (checked by columns_of)
                    call.funcname = (ast.String(sval=user[0].schema), *call.funcname)
        if not item.coldeflist and not any(len(p) > 1 and p[1] for p in item.functions or ()):
            item.alias = ast.Alias(
                aliasname=name, colnames=tuple(ast.String(sval=c) for c in columns)
            )
        return [(name, columns)], [(name, c) for c in columns]

    def _function_args(self, items: list, scopes: list[_Scope], ctes: dict) -> None:
        """Qualify a FROM function's arguments (they may read the FROM items before it)."""
        earlier: list[_Item] = []
        for item in items:
            if isinstance(item, ast.RangeFunction):
                names = {n for n, _ in earlier if n}
                self.expr(tuple(p[0] for p in item.functions or ()), scopes, ctes)
                refs = [r for p in item.functions or () for r in find_all(p[0], ast.ColumnRef)]
                if any(strings(r.fields)[:1] and strings(r.fields)[0] in names for r in refs):
                    item.lateral = True
            elif isinstance(item, ast.RangeTableFunc):
                # XMLTABLE's row and PASSING expressions may read the FROM items before it
                names = {n for n, _ in earlier if n}
                self.expr((item.rowexpr, item.docexpr), scopes, ctes)
                refs = find_all((item.rowexpr, item.docexpr), ast.ColumnRef)
                if any(strings(r.fields)[:1] and strings(r.fields)[0] in names for r in refs):
                    item.lateral = True
            earlier += [(item, None)] if not isinstance(item, ast.Node) else []
            earlier += self._names_of(item)

    def _names_of(self, item: object) -> list[_Item]:
        if isinstance(item, ast.RangeVar):
            return [(item.alias.aliasname if item.alias is not None else item.relname, [])]
        if isinstance(item, ast.JoinExpr):
            return self._names_of(item.larg) + self._names_of(item.rarg)
        alias = getattr(item, "alias", None)
        return [(alias.aliasname, [])] if alias is not None else []

    def _join_quals(self, item: object, scopes: list[_Scope], ctes: dict) -> None:
        if isinstance(item, ast.JoinExpr):
            self._join_quals(item.larg, scopes, ctes)
            self._join_quals(item.rarg, scopes, ctes)
            self.expr(item.quals, scopes, ctes)

    def _expand_stars(
        self, targets: tuple, items: list[_Item], visible: _Visible
    ) -> list[ast.Node]:
        """``*`` as the columns it covers now: bare, in the FROM list's order (a join's
        merged columns first); ``x.*`` as every column of ``x``."""
        out: list[ast.Node] = []
        for target in targets:
            ref = target.val if isinstance(target, ast.ResTarget) else None
            fields = ref.fields if isinstance(ref, ast.ColumnRef) else None
            if not fields or not isinstance(fields[-1], ast.A_Star):
                out.append(target)
                continue
            qualifier = strings(fields[:-1])
            if not qualifier:
                if visible is None or not all(name for name, _ in items):
                    out.append(target)  # columns not known: the * stays
                else:
                    out += [_target(name, c) for name, c in visible]
                continue
            chosen = [i for i in items if i[0] == qualifier[-1]]
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
        value = copy_tree(aliases[name])
        if isinstance(clause, ast.SortBy):
            clause.node = value
            return clause
        return value

    def expr(self, tree: object, scopes: list[_Scope], ctes: dict) -> None:
        if isinstance(tree, tuple | list):
            for each in tree:
                self.expr(each, scopes, ctes)
            return
        if isinstance(tree, ast.SelectStmt):
            self.select(tree, scopes, ctes)
            return
        if isinstance(tree, ast.ColumnRef):
            _qualify(tree, scopes, whole_row=True)
            return
        if isinstance(tree, ast.ResTarget) and isinstance(tree.val, ast.ColumnRef):
            _qualify(tree.val, scopes)  # a whole row as an output column: ``x.*::type``
            return
        if not isinstance(tree, ast.Node):
            return
        for slot in getattr(type(tree), "__slots__", ()):
            if slot != "location":
                value = getattr(tree, slot, None)
                if isinstance(value, ast.Node | tuple | list):
                    self.expr(value, scopes, ctes)
        if isinstance(tree, ast.RowExpr):  # `ROW(t.*)` is stored `ROW(t.id, t.x)`
            tree.args = tuple(item for arg in tree.args or () for item in _row_items(arg, scopes))
        if isinstance(tree, ast.A_Expr):  # `m.r > '2'` over a real column: `'2'::real`
            typed_by_column(tree, _ViewColumns(self, scopes))
        if isinstance(tree, ast.A_Expr) and tuple(strings(tree.name)) in _JSONB_BOTH_SIDES:
            for this, other in (("lexpr", tree.rexpr), ("rexpr", tree.lexpr)):
                const = getattr(tree, this)
                if _untyped_string(const) and self._type(other, scopes) == "jsonb":
                    setattr(tree, this, ast.TypeCast(arg=const, typeName=_JSONB))

    def _type(self, node: object, scopes: list[_Scope]) -> str | None:
        """The type of a cast or of a table's column (qualified by now); None: not known."""
        if isinstance(node, ast.TypeCast):
            return strings(node.typeName.names)[-1] if node.typeName is not None else None
        fields = node.fields if isinstance(node, ast.ColumnRef) else None
        if not fields or len(fields) != 2:
            return None
        qualifier, column = strings(fields)
        for items, _ in scopes:
            named = [cols for name, cols in items if name == qualifier]
            if named:
                cols = named[0]
                held = self.types.get(id(cols)) if len(named) == 1 and cols else None
                if held is None or column not in cols:  # type: ignore[operator]
                    return None  # (not a table's: a derived table's, a function's, unknown)
                types = held[1]
                at = cols.index(column)  # type: ignore[union-attr]
                return types[at] if at < len(types) else None
        return None


def _row_items(arg: object, scopes: list[_Scope]) -> list:
    """``x.*`` inside a ROW as the columns of FROM item ``x`` when the view is made, as
    PostgreSQL expands it (a whole row elsewhere stays ``x.*``); as written where ``x``'s
    columns are not known."""
    fields = arg.fields or () if isinstance(arg, ast.ColumnRef) else ()
    if len(fields) != 2 or not isinstance(fields[1], ast.A_Star):
        return [arg]
    qualifier = strings(fields[:1])
    for items, _ in scopes:
        named = [cols for name, cols in items if [name] == qualifier]
        if named:
            if len(named) != 1 or named[0] is None:
                return [arg]
            return [ast.ColumnRef(fields=(fields[0], ast.String(sval=c))) for c in named[0]]
    return [arg]


class _ViewColumns(Columns):
    """A qualified column's type as the resolver knows it (a table's), for
    ``implicit.typed_by_column``."""

    def __init__(self, resolver: _Resolver, scopes: list[_Scope]) -> None:
        super().__init__({})
        self.resolver, self.scopes = resolver, scopes

    def column(self, ref: ast.ColumnRef) -> Column | None:
        if not all(isinstance(f, ast.String) for f in ref.fields or ()):
            return None  # `x.*`: a whole row
        type_ = self.resolver._type(ref, self.scopes)
        return None if type_ is None else Column(strings(ref.fields)[-1], type_)


def _aliased(columns: list[str] | None, alias: ast.Alias | None) -> list[str] | None:
    if columns is None:
        return None
    names = strings(alias.colnames) if alias is not None else []
    return names + columns[len(names) :]


_SELECT_PARTS = (
    "targetList",
    "fromClause",
    "whereClause",
    "groupClause",
    "havingClause",
    "windowClause",
    "sortClause",
)

# operators whose other operand an untyped literal takes the type of when that is jsonb
# (`data @> '{"a":1}'` is stored `data @> '{"a": 1}'::jsonb`, the value re-printed)
_JSONB_BOTH_SIDES = {("@>",), ("<@",), ("=",), ("<>",), ("||",)}
_JSONB = ast.TypeName(names=(ast.String(sval="jsonb"),))


def _untyped_string(node: object) -> bool:
    return isinstance(node, ast.A_Const) and isinstance(node.val, ast.String)


def _print_every_name(columns: list[str] | None, alias: ast.Alias | None) -> None:
    """PostgreSQL prints every column's name in an alias once one is renamed, none else."""
    if columns is None or alias is None or not alias.colnames:
        return
    given = _aliased(columns, alias) or []
    alias.colnames = tuple(ast.String(sval=c) for c in given) if given != columns else None


def _named(name: str | None, columns: list[str] | None) -> tuple[list[_Item], _Visible]:
    shown = None if columns is None or not name else [(name, c) for c in columns]
    return [(name, columns)], shown


def _merged(join: ast.JoinExpr, left: _Visible, right: _Visible) -> _Visible:
    """A ``USING`` / ``NATURAL`` join's columns as PostgreSQL expands them: the merged ones
    first (under the preserved side's name: the left one's, the right one's for a RIGHT
    join, none for a FULL join, whose merged column is a COALESCE), then the left side's
    others, then the right side's. A NATURAL join is stored as ``USING`` its common columns,
    so the tree is given that clause (``pg_get_viewdef`` prints it)."""
    if left is None or right is None:
        return None
    right_names = {c for _, c in right}
    if join.isNatural:
        merged = list(dict.fromkeys(c for _, c in left if c in right_names))
        if not merged:
            return None  # a cross join: PostgreSQL prints it otherwise; left as written
        join.isNatural = False
        join.usingClause = tuple(ast.String(sval=c) for c in merged)
    else:
        merged = strings(join.usingClause)
    if join.jointype == JoinType.JOIN_FULL:
        by = dict.fromkeys(merged, "")
    else:
        side = right if join.jointype == JoinType.JOIN_RIGHT else left
        by = {c: q for q, c in side if c in merged}
    if len(by) != len(merged):
        return None
    rest = [(q, c) for q, c in left + right if c not in by]
    return [(by[c], c) for c in merged] + rest


def _target(qualifier: str, column: str) -> ast.ResTarget:
    names = (qualifier, column) if qualifier else (column,)
    return ast.ResTarget(val=ast.ColumnRef(fields=tuple(ast.String(sval=n) for n in names)))


def _whole_row_outputs(node: ast.SelectStmt, scopes: list[_Scope]) -> None:
    """An output column that is a FROM relation's whole row (``SELECT editor FROM editor``,
    no column of any level named so) as ``pg_get_viewdef`` prints it: ``editor.*::
    public.editor AS editor`` (the static reading kept ``editor``: a false FAIL of the
    view's query; metabrainz/musicbrainz-server's form)."""
    if any(cols is None for items, _ in scopes for _, cols in items):
        return  # a FROM item's columns unknown: the name may be one of them
    relations = {
        (rv.alias.aliasname if rv.alias is not None else rv.relname): rv
        for rv in _relations_of(node.fromClause or ())
    }
    for target in node.targetList or ():
        ref = target.val if isinstance(target, ast.ResTarget) else None
        fields = ref.fields or () if isinstance(ref, ast.ColumnRef) else ()
        if len(fields) != 1 or not isinstance(fields[0], ast.String):
            continue
        name = fields[0].sval
        rv = relations.get(name)
        if rv is None or rv.schemaname is None:  # (a WITH query's row: not a relation's type)
            continue
        if any(name in (cols or ()) for items, _ in scopes for _, cols in items):
            continue
        row = tuple(ast.String(sval=n) for n in (rv.schemaname, rv.relname) if n)
        target.val = ast.TypeCast(
            arg=ast.ColumnRef(fields=(ast.String(sval=name), ast.A_Star())),
            typeName=ast.TypeName(names=row, typemod=-1),
        )
        target.name = target.name or name


def _qualify(ref: ast.ColumnRef, scopes: list[_Scope], whole_row: bool = False) -> None:
    """A bare column gets the name of the one FROM item (innermost query first) having it.
    With ``whole_row``, a bare name no column of any level has but a FROM item's (``f(editor)``
    over ``FROM editor``) is that item's whole row, printed ``editor.*`` inside an expression
    (``(public.sanitize_editor(editor.*)).name``; metabrainz/musicbrainz-server)."""
    fields = ref.fields or ()
    if len(fields) != 1 or not isinstance(fields[0], ast.String):
        return
    column = fields[0].sval
    for items, visible in scopes:
        if visible is not None:
            shown = [name for name, c in visible if c == column]
            if len(shown) == 1 and shown[0]:
                ref.fields = (ast.String(sval=shown[0]), fields[0])
            if shown:
                return  # qualified, a FULL join's merged column, or ambiguous
            continue
        having = [name for name, cols in items if cols is not None and column in cols]
        if len(having) == 1 and having[0]:
            ref.fields = (ast.String(sval=having[0]), fields[0])
            return
        if having or any(cols is None for _, cols in items):
            return  # ambiguous, merged by USING, or maybe an unknown item's: as written
    if whole_row:
        for items, _ in scopes:
            if any(name == column for name, _ in items):
                ref.fields = (fields[0], ast.A_Star())
                return


def follow_rename(
    interp: DdlInterpreter,
    schema: str,
    table: str,
    new: str,
    column: str | None = None,
    new_schema: str | None = None,
) -> None:
    """A table (``column`` None) or one of its columns renamed, or the table moved to
    ``new_schema``: the views reading it print the new name, as PostgreSQL's stored queries
    do (they hold the relation and column by number): ``accounts.tier AS plan`` for a view
    column named after the old column, ``FROM archive.accounts`` after SET SCHEMA."""
    from schema_audit.model import qualify

    key = qualify(schema, table)
    renamed = qualify(new_schema or schema, new)
    for view in interp.model.views.values():
        if key not in view.depends_on:
            continue
        view.definition = _renamed(view.definition, schema, table, new, column, new_schema)
        if column is None:
            view.depends_on = sorted(renamed if d == key else d for d in view.depends_on)


def _renamed(
    text: str, schema: str, table: str, new: str, column: str | None, new_schema: str | None
) -> str:
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
                rv.schemaname = new_schema or rv.schemaname
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
