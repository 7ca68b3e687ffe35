"""ALTER … SET SCHEMA (tables, views, sequences, enum types, domains) and ALTER … OWNER TO."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.model import qualify
from schema_audit.sources.ddl import domains, inheritance, rules
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings, type_text
from schema_audit.sources.ddl.owner_acl import change_owner, pass_acl
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.renames import retype_columns
from schema_audit.sources.ddl.routines import functions_named
from schema_audit.sources.ddl.viewdef import follow_rename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.AlterObjectSchemaStmt)
def set_schema(interp: DdlInterpreter, node: ast.AlterObjectSchemaStmt) -> None:
    """ALTER TABLE / [MATERIALIZED] VIEW / TYPE / SEQUENCE … SET SCHEMA; other object types
    are listed as not modelled."""
    if node.objectType == ObjectType.OBJECT_TABLE and node.relation is not None:
        table = interp._table(node.relation, missing_ok=bool(node.missing_ok))
        if table is None:
            return
        old_schema, old_key = table.schema, table.qualified_name
        follow_rename(interp, old_schema, table.name, table.name, new_schema=node.newschema)
        del interp.model.tables[old_key]
        interp._relations.pop(old_key, None)
        table.schema = node.newschema
        interp.model.tables[table.qualified_name] = table
        interp._relations[table.qualified_name] = "table"
        for index_name in table.indexes:  # its indexes move along
            interp._relations.pop(qualify(old_schema, index_name), None)
            interp._index_homes.pop((old_schema, index_name), None)
            interp._relations[qualify(table.schema, index_name)] = "index"
            interp._home(table, index_name)
        rules.renamed_relation(interp, old_key, table.qualified_name)
        inheritance.parent_moved(interp, table, old_key)  # its children and partitions follow
        for other in interp._tables_referencing(old_schema, table.name):
            interp._refers(other, table.schema, table.name)  # foreign keys hold it by oid
            for fk in other.foreign_keys.values():
                if (fk.ref_schema, fk.ref_table) == (old_schema, table.name):
                    fk.ref_schema = table.schema
        for key, seq in list(interp.model.sequences.items()):  # owned sequences move along
            if seq.schema == old_schema and (seq.owned_by or "").split(".")[0] == table.name:
                del interp.model.sequences[key]
                seq.schema = node.newschema
                interp.model.sequences[qualify(seq.schema, seq.name)] = seq
    elif node.objectType in _VIEWS and node.relation is not None:
        _move_view(interp, node)
    elif node.objectType == ObjectType.OBJECT_TYPE and node.object is not None:
        move_type(interp, strings(node.object), node.newschema, bool(node.missing_ok))
    elif node.objectType == ObjectType.OBJECT_DOMAIN and node.object is not None:
        domains.move_domain(interp, strings(node.object), node.newschema, bool(node.missing_ok))
    elif node.objectType == ObjectType.OBJECT_SEQUENCE and node.relation is not None:
        key = qualify(interp._schema_of(node.relation), node.relation.relname)
        seq = interp.model.sequences.pop(key, None)
        if seq is None:
            if not node.missing_ok:
                raise ApplyError(f"sequence {key} does not exist")
            return
        seq.schema = node.newschema
        interp.model.sequences[qualify(seq.schema, seq.name)] = seq
    else:
        # every statement not applied is listed, never dropped silently
        interp._unapplied(
            "unsupported",
            f"SET SCHEMA of {ObjectType(node.objectType).name.removeprefix('OBJECT_').lower()} "
            "is not modelled",
        )


_VIEWS = (ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW)


def _move_view(interp: DdlInterpreter, node: ast.AlterObjectSchemaStmt) -> None:
    """ALTER [MATERIALIZED] VIEW … SET SCHEMA: the view (a materialized view's indexes with
    it) moves; the views reading it print its new schema (they hold it by oid)."""
    from schema_audit.sources.ddl.views import read_relation

    assert node.relation is not None
    key = read_relation(interp, node.relation)
    view = interp.model.views.get(key)
    materialized = node.objectType == ObjectType.OBJECT_MATVIEW
    if view is None:
        if node.missing_ok:
            return
        kind = "materialized view" if materialized else "view"
        raise ApplyError(f"{kind} {key} does not exist")
    if view.materialized != materialized:
        raise ApplyError(
            f'"{view.name}" is not a {"materialized view" if materialized else "view"}'
        )
    new_key = qualify(node.newschema, view.name)
    if new_key in interp._relations:
        raise ApplyError(f'relation "{view.name}" already exists in schema "{node.newschema}"')
    old_schema = view.schema
    follow_rename(interp, old_schema, view.name, view.name, new_schema=node.newschema)
    del interp.model.views[key]
    interp._relations.pop(key, None)
    view.schema = node.newschema
    interp.model.views[new_key] = view
    interp._relations[new_key] = "view"
    for index_name in view.indexes:
        interp._relations.pop(qualify(old_schema, index_name), None)
        interp._index_homes.pop((old_schema, index_name), None)
        interp._relations[qualify(view.schema, index_name)] = "index"
        interp._home(view, index_name)
    rules.renamed_relation(interp, key, new_key)


def move_type(interp: DdlInterpreter, names: list[str], new_schema: str, missing_ok: bool) -> None:
    """ALTER TYPE … SET SCHEMA: the enum moves, and columns of that type now print it qualified."""
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    key = qualify(schema, names[-1])
    enum = interp.model.enums.pop(key, None)
    if enum is None:
        if not missing_ok:
            raise ApplyError(f"type {key} is not an enum this history creates")
        return
    enum.schema = new_schema
    interp.model.enums[qualify(new_schema, enum.name)] = enum
    retype_columns(interp, type_text(schema, enum.name), type_text(new_schema, enum.name))


def _type_key(interp: DdlInterpreter, obj: object) -> str:
    """The model key of a type an ALTER TYPE / GRANT ON TYPE names (a TypeName or a name list)."""
    names = strings(getattr(obj, "names", None) or obj)
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    return qualify(schema, names[-1]) if names else ""


@handles(ast.AlterOwnerStmt)
def alter_owner(interp: DdlInterpreter, node: ast.AlterOwnerStmt) -> None:
    """ALTER FUNCTION / PROCEDURE / SCHEMA / TYPE (enum) / DOMAIN … OWNER TO: the owner a spec's
    ``owner:`` is compared with (CURRENT_USER and the like: the running role, not named:
    unknown). Other types and the rest: not modelled."""
    owner = node.newowner.rolename if node.newowner is not None else None
    if node.objectType in (
        ObjectType.OBJECT_FUNCTION,
        ObjectType.OBJECT_PROCEDURE,
        ObjectType.OBJECT_ROUTINE,
    ):
        for function in functions_named(interp, node.object):
            change_owner(interp, function, owner)
    elif node.objectType == ObjectType.OBJECT_TYPE:
        enum = interp.model.enums.get(_type_key(interp, node.object))
        if enum is not None:
            change_owner(interp, enum, owner)
    elif node.objectType == ObjectType.OBJECT_DOMAIN:
        domains.set_owner(interp, node.object, owner)
    elif node.objectType == ObjectType.OBJECT_SCHEMA:
        name = node.object.sval if isinstance(node.object, ast.String) else None
        if name is not None and (
            name in interp.model.schemas or name in interp.model.schema_grants
        ):
            if name in interp.model.schemas:  # (public's owner is not the runner: left)
                old = interp.model.schemas[name]
                pass_acl(interp, interp.model.schema_grants.get(name, []), old, owner)
            interp.model.schemas[name] = owner
