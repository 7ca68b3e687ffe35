"""CREATE INDEX: keys, ordering, operator classes and collations as the catalog keeps them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import SortByDir, SortByNulls

from schema_audit.model import Index, IndexKey, Table, View, qualify
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import deparse, expr_label, strings
from schema_audit.sources.ddl.partitions import clone_index, partitions_of
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.tables import collation_of
from schema_audit.sources.names import choose_name
from schema_audit.sqlnorm import canonical_opclass

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.IndexStmt)
def create_index(interp: DdlInterpreter, node: ast.IndexStmt) -> None:
    """CREATE INDEX on a table or materialized view; a partitioned table's index is cloned into its partitions."""
    rv = node.relation
    schema = interp._schema_of(rv)
    key = qualify(schema, rv.relname)
    relation: Table | View | None = interp.model.tables.get(key) or interp.model.views.get(key)
    if relation is None:
        raise ApplyError(f"relation {key} does not exist at this point of the history")
    keys: list[IndexKey] = []
    for elem in node.indexParams:
        descending = elem.ordering == SortByDir.SORTBY_DESC
        nulls = None
        if elem.nulls_ordering == SortByNulls.SORTBY_NULLS_FIRST:
            nulls = True
        elif elem.nulls_ordering == SortByNulls.SORTBY_NULLS_LAST:
            nulls = False
        if nulls is not None and nulls == descending:
            nulls = None
        opclass = canonical_opclass(node.accessMethod or "btree", strings(elem.opclass))
        if elem.name:
            keys.append(IndexKey(elem.name, True, descending, nulls, opclass))
        else:
            keys.append(IndexKey(deparse(elem.expr) or "", False, descending, nulls, opclass))
        keys[-1].collation = _key_collation(interp, elem, relation)
    name = node.idxname
    if name and qualify(schema, name) in interp._relations:
        if node.if_not_exists:
            return
        raise ApplyError(f"relation {qualify(schema, name)} already exists")
    if not name:
        parts = [
            k.expression if k.is_column else expr_label(elem.expr)
            for k, elem in zip(keys, node.indexParams, strict=False)
        ]
        name = choose_name(relation.name, "_".join(parts), "idx", interp._name_taken(schema))
    include = [elem.name for elem in node.indexIncludingParams or ()]
    interp._home(relation, name)
    relation.indexes[name] = Index(
        name,
        keys,
        unique=bool(node.unique),
        method=node.accessMethod or "btree",
        where=deparse(node.whereClause),
        include=include,
        nulls_not_distinct=bool(getattr(node, "nulls_not_distinct", False)),
        provenance=[interp._prov()],
    )
    interp._relations[qualify(schema, name)] = "index"
    if isinstance(relation, Table) and relation.kind == "partitioned" and rv.inh:
        for partition in partitions_of(interp, relation):
            clone_index(interp, relation.indexes[name], partition)


def _key_collation(
    interp: DdlInterpreter, elem: ast.IndexElem, relation: Table | View
) -> str | None:
    """An index key's COLLATE as the catalog keeps it: only when it is not the column's own."""
    if not elem.collation:
        return None
    name = collation_of(interp, strings(elem.collation)) or "default"
    columns = relation.columns if isinstance(relation.columns, dict) else {}
    column = columns.get(elem.name) if elem.name else None
    own = (column.collation or "default") if column is not None else "default"
    return None if name == own else name
