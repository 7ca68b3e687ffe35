"""CREATE INDEX: keys, ordering, operator classes and collations as the catalog keeps them."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pglast
from pglast import ast
from pglast.enums import SortByDir, SortByNulls

from schema_audit.model import Index, IndexKey, Table, View, qualify
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.function_schemas import qualified_calls
from schema_audit.sources.ddl.implicit import promote_integer_columns
from schema_audit.sources.ddl.nodes import deparse, expr_label, reloptions, strings
from schema_audit.sources.ddl.operand_bases import operand_bases
from schema_audit.sources.ddl.partitions import clone_new_index, index_on_only
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.storage import index_tablespace
from schema_audit.sources.ddl.tables import collation_of
from schema_audit.sources.names import choose_name
from schema_audit.sqlnorm import canonical_opclass

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.IndexStmt)
def create_index(interp: DdlInterpreter, node: ast.IndexStmt) -> None:
    """CREATE INDEX on a table or materialized view; a partitioned table's index is cloned into its partitions."""
    rv = node.relation
    schema, relation = index_target(interp, rv.schemaname, rv.relname)
    columns = relation.columns if isinstance(relation, Table) else {}
    bases = operand_bases(interp)  # a column of a domain is taken as its base type
    keys = index_keys(interp, relation, node.accessMethod or "btree", node.indexParams)
    name = node.idxname
    if not name:  # a name of its own: never taken
        parts = [
            k.expression if k.is_column else expr_label(elem.expr)
            for k, elem in zip(keys, node.indexParams, strict=False)
        ]
        name = choose_name(relation.name, "_".join(parts), "idx", interp._name_taken(schema))
    place_index(
        interp,
        relation,
        schema,
        name,
        keys,
        if_not_exists=bool(node.if_not_exists),
        unique=bool(node.unique),
        method=node.accessMethod or "btree",
        where=deparse(promote_integer_columns(node.whereClause, columns, bases)),
        include=[elem.name for elem in node.indexIncludingParams or ()],
        nulls_not_distinct=bool(getattr(node, "nulls_not_distinct", False)),
        inherit=bool(rv.inh),
        options=reloptions(node.options),
        tablespace=node.tableSpace,
    )


def index_keys(
    interp: DdlInterpreter, relation: Table | View, method: str, elems: list[ast.IndexElem]
) -> list[IndexKey]:
    """The keys of an index (CREATE INDEX) or of an EXCLUDE constraint (its elements) as the
    catalog keeps them: ordering, a non-default operator class, a collation that is not the
    column's own, an integer column promoted where it meets a numeric. EXCLUDE's keys were
    read as bare names (an operator class or DESC of theirs was lost)."""
    # PostgreSQL stores an integer column meeting a numeric as promoted (implicit.py)
    columns = relation.columns if isinstance(relation, Table) else {}
    bases = operand_bases(interp)  # a column of a domain is taken as its base type
    keys: list[IndexKey] = []
    for elem in elems:
        descending = elem.ordering == SortByDir.SORTBY_DESC
        nulls = None
        if elem.nulls_ordering == SortByNulls.SORTBY_NULLS_FIRST:
            nulls = True
        elif elem.nulls_ordering == SortByNulls.SORTBY_NULLS_LAST:
            nulls = False
        if nulls is not None and nulls == descending:
            nulls = None
        opclass = canonical_opclass(method, strings(elem.opclass))
        column, expr, collation = elem.name, elem.expr, elem.collation
        if not collation and isinstance(expr, ast.CollateClause):
            # ((key COLLATE "C")): PostgreSQL strips a top-level COLLATE into the key's
            # collation, and what remains, a bare column, makes a column key
            collation, expr = expr.collname, expr.arg
        if not column:
            # an expression that is only a column, ((status)) (convoy's partition_runs), is
            # stored as that column's key, as PostgreSQL's ComputeIndexAttrs stores it
            fields = strings(expr.fields) if isinstance(expr, ast.ColumnRef) else []
            column = fields[0] if len(fields) == 1 else None
        if column:
            keys.append(IndexKey(column, True, descending, nulls, opclass))
        else:
            promoted = promote_integer_columns(copy.deepcopy(expr), columns, bases)
            keys.append(IndexKey(deparse(promoted) or "", False, descending, nulls, opclass))
        if collation:
            keys[-1].collation = key_collation(
                interp, strings(collation), column or None, relation, keys[-1].expression
            )
    return keys


def index_target(
    interp: DdlInterpreter, schemaname: str | None, relname: str
) -> tuple[str, Table | View]:
    """(schema, relation) an index goes on; ApplyError when the history has no such relation."""
    schema = interp._schema_named(schemaname, relname)
    key = qualify(schema, relname)
    relation: Table | View | None = interp.model.tables.get(key) or interp.model.views.get(key)
    if relation is None:
        raise ApplyError(f"relation {key} does not exist at this point of the history")
    return schema, relation


def name_taken(interp: DdlInterpreter, schema: str, name: str) -> bool:
    """A relation, index or sequence of this name exists in ``schema``."""
    return qualify(schema, name) in interp._relations


def place_index(
    interp: DdlInterpreter,
    relation: Table | View,
    schema: str,
    name: str,
    keys: list[IndexKey],
    *,
    if_not_exists: bool,
    unique: bool,
    method: str,
    where: str | None,
    include: list[str],
    nulls_not_distinct: bool,
    inherit: bool,
    options: dict[str, str] | None = None,
    tablespace: str | None = None,
) -> None:
    """The index on ``relation`` (and its partitions), unless the name is taken (IF NOT EXISTS:
    nothing happens; else ApplyError, before anything changed). ``tablespace``: its
    TABLESPACE clause (none: the session's default_tablespace)."""
    if name_taken(interp, schema, name):
        if if_not_exists:
            return
        raise ApplyError(f"relation {qualify(schema, name)} already exists")
    interp._home(relation, name)
    for key in keys:
        if not key.is_column:
            key.expression = qualified_calls(interp, key.expression) or key.expression
    where = qualified_calls(interp, where)
    relation.indexes[name] = Index(
        name,
        keys,
        unique=unique,
        method=method,
        where=where,
        include=include,
        nulls_not_distinct=nulls_not_distinct,
        provenance=[interp._prov()],
        options=options or {},
        tablespace=index_tablespace(interp, tablespace),
    )
    interp._relations[qualify(schema, name)] = "index"
    if isinstance(relation, Table) and relation.kind == "partitioned":
        if inherit:
            clone_new_index(interp, relation, relation.indexes[name])
        else:
            index_on_only(interp, relation, relation.indexes[name])


def key_collation(
    interp: DdlInterpreter,
    names: list[str],
    column_name: str | None,
    relation: Table | View,
    expression: str | None = None,
) -> str | None:
    """An index key's ``COLLATE names`` as the catalog keeps it: only when it is not the
    column's own (``column_name``: the key's column, None for an expression), nor the
    expression's own (``lower((title)::text) COLLATE "C"`` on a ``COLLATE "C"`` column is
    stored as no COLLATE: PostgreSQL compares with the expression's derived collation)."""
    name = collation_of(interp, names) or "default"
    columns = relation.columns if isinstance(relation.columns, dict) else {}
    column = columns.get(column_name) if column_name else None
    if column is not None:
        own = column.collation or "default"
    elif column_name is None and expression:
        own = _derived_collation(expression, columns)
    else:
        own = "default"
    return None if name == own else name


def _derived_collation(expression: str, columns: dict) -> str:
    """The collation an index expression derives from its columns: theirs when every column
    it mentions has one and the same explicit collation (``lower((title)::text)``), else the
    database default (mixed or default collations: the key's own COLLATE is then kept)."""
    try:
        tree = pglast.parse_sql(f"SELECT {expression}")
    except pglast.parser.ParseError:
        return "default"
    found: set[str | None] = set()
    for ref in find_all(tree[0].stmt, ast.ColumnRef):
        fields = strings(ref.fields)
        column = columns.get(fields[-1]) if fields else None
        found.add(column.collation if column is not None else None)
    only = found.pop() if len(found) == 1 else None
    return only or "default"


def index_named(interp: DdlInterpreter, names: list[str]) -> Index | None:
    """The index ``[schema,] name`` names (ALTER INDEX, COMMENT ON INDEX), on whichever table
    or materialized view of that schema has it; None when the history has none."""
    if not names:
        return None
    schema = names[0] if len(names) == 2 else interp._schema_named(None, names[-1])
    relations: list[Table | View] = [*interp.model.tables.values(), *interp.model.views.values()]
    for relation in relations:
        if relation.schema == schema and names[-1] in relation.indexes:
            return relation.indexes[names[-1]]
    return None


def set_clustered(relation: Table | View, name: str | None) -> None:
    """CLUSTER ON / CLUSTER … USING ``name`` (None: SET WITHOUT CLUSTER): at most one index of
    a relation is marked (pg_index.indisclustered), as mark_index_clustered keeps it."""
    if name is not None and name not in relation.indexes:
        raise ApplyError(f'index "{name}" for table "{relation.name}" does not exist')
    for index_name, index in relation.indexes.items():
        index.clustered = index_name == name


@handles(ast.ClusterStmt)
def cluster(interp: DdlInterpreter, node: ast.ClusterStmt) -> None:
    """CLUSTER table USING index marks that index as the table's CLUSTER ON one; CLUSTER
    without USING (or without a table) reorders rows only."""
    if node.relation is None or not node.indexname:
        return
    _, relation = index_target(interp, node.relation.schemaname, node.relation.relname)
    set_clustered(relation, node.indexname)
