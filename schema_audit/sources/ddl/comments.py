"""COMMENT ON tables, columns, views, materialized views and routines (the comments the
model keeps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.model import Index, qualify
from schema_audit.sources.ddl import domains
from schema_audit.sources.ddl.indexes import index_named
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.routines import functions_named

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CommentStmt)
def comment(interp: DdlInterpreter, node: ast.CommentStmt) -> None:
    """COMMENT ON TABLE / COLUMN / SEQUENCE / VIEW / MATERIALIZED VIEW / INDEX / CONSTRAINT /
    TRIGGER / POLICY / FUNCTION / PROCEDURE; other objects' comments are not modelled."""
    kind = node.objtype
    names: list[str] = strings(node.object) if isinstance(node.object, tuple | list) else []
    if kind == ObjectType.OBJECT_TABLE and names:
        table = interp.model.tables.get(
            qualify(*(names if len(names) == 2 else [interp.search_path[0], names[-1]]))
        )
        if table:
            table.comment = node.comment
    elif kind == ObjectType.OBJECT_COLUMN and len(names) >= 2:
        table_names = names[:-1]
        key = qualify(
            *(table_names if len(table_names) == 2 else [interp.search_path[0], table_names[-1]])
        )
        table = interp.model.tables.get(key)
        if table and names[-1] in table.columns:
            table.columns[names[-1]].comment = node.comment
        elif table is None and (view := interp.model.views.get(key)) is not None:
            for view_column in view.columns:  # COMMENT ON COLUMN of a view's column
                if view_column.name == names[-1]:
                    view_column.comment = node.comment
    elif kind == ObjectType.OBJECT_SEQUENCE and names:
        sequence = interp.model.sequences.get(
            qualify(*(names if len(names) == 2 else [interp.search_path[0], names[-1]]))
        )
        if sequence:
            sequence.comment = node.comment
    elif kind in (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW) and names:
        view = interp.model.views.get(
            qualify(*(names if len(names) == 2 else [interp.search_path[0], names[-1]]))
        )
        if view:
            view.comment = node.comment
    elif kind == ObjectType.OBJECT_SCHEMA and isinstance(node.object, ast.String):
        schema = str(node.object.sval)
        if node.comment is None:
            interp.model.schema_comments.pop(schema, None)
        else:
            interp.model.schema_comments[schema] = node.comment
    elif kind == ObjectType.OBJECT_TYPE and isinstance(node.object, ast.TypeName):
        type_names = strings(node.object.names)
        enum = interp.model.enums.get(
            qualify(
                *(type_names if len(type_names) == 2 else [interp.search_path[0], type_names[-1]])
            )
        )
        if enum:
            enum.comment = node.comment
    elif kind == ObjectType.OBJECT_DOMAIN and node.object is not None:
        domains.comment(interp, node.object, node.comment)
    elif kind == ObjectType.OBJECT_INDEX and names:
        index = index_named(interp, names[-2:])
        if index:
            index.comment = node.comment
    elif kind in _ON_TABLE and len(names) >= 2:
        target = _on_table(interp, kind, names)
        if isinstance(target, Index):  # an EXCLUDE constraint's: its index stands for it
            target.constraint_comment = node.comment
        elif target is not None:
            target.comment = node.comment
    elif kind in (
        ObjectType.OBJECT_FUNCTION,
        ObjectType.OBJECT_PROCEDURE,
        ObjectType.OBJECT_ROUTINE,
    ) and isinstance(node.object, ast.ObjectWithArgs):
        found = functions_named(interp, node.object)
        if len(found) == 1:  # PostgreSQL refuses a name that is not unique
            found[0].comment = node.comment


_ON_TABLE = (ObjectType.OBJECT_TABCONSTRAINT, ObjectType.OBJECT_TRIGGER, ObjectType.OBJECT_POLICY)


def _on_table(interp: DdlInterpreter, kind: ObjectType, names: list[str]) -> Any:
    """The constraint, trigger or policy ``[schema,] table, name`` names (None: not modelled)."""
    table_names = names[:-1]
    table = interp.model.tables.get(
        qualify(
            *(table_names if len(table_names) == 2 else [interp.search_path[0], table_names[-1]])
        )
    )
    if table is None:
        return None
    name = names[-1]
    if kind == ObjectType.OBJECT_TRIGGER:
        return table.triggers.get(name)
    if kind == ObjectType.OBJECT_POLICY:
        return table.policies.get(name)
    pk = table.primary_key
    excluding = table.indexes.get(name)
    return (
        table.checks.get(name)
        or table.uniques.get(name)
        or table.foreign_keys.get(name)
        or (pk if pk is not None and pk.name == name else None)
        or (excluding if excluding is not None and excluding.exclude else None)
    )
