"""Schemas, extensions and enum types: CREATE SCHEMA / EXTENSION / TYPE AS ENUM, ALTER TYPE;
the names CREATE COLLATION creates."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, cast

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.model import EnumType, Extension, Grant, qualify
from schema_audit.pgvisit import find_all
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.enum_labels import rename_label
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.temp_shadows import shadowing

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


# the order PostgreSQL 15 runs CREATE SCHEMA's elements in (transformCreateSchemaStmt): by
# kind, in this order, each kind in the order written
_ELEMENT_ORDER = [
    ast.CreateSeqStmt,
    ast.CreateStmt,
    ast.ViewStmt,
    ast.IndexStmt,
    ast.CreateTrigStmt,
    ast.GrantStmt,
]


@handles(ast.CreateSchemaStmt)
def create_schema(interp: DdlInterpreter, node: ast.CreateSchemaStmt) -> None:
    """CREATE SCHEMA [AUTHORIZATION …], with the statements it contains."""
    owner = node.authrole.rolename if node.authrole is not None else None
    name = node.schemaname or owner or ""
    if node.schemaElts:
        _create_with_elements(interp, node, name, owner)
        return
    interp.model.schemas.setdefault(name, owner)
    interp.model.schema_grants.setdefault(name, interp._defaults_for("schemas", None))


def _create_with_elements(
    interp: DdlInterpreter, node: ast.CreateSchemaStmt, name: str, owner: str | None
) -> None:
    """CREATE SCHEMA app CREATE TABLE t … as PostgreSQL 15 runs it: each element's relation
    is put in ``app`` (one naming another schema is refused), the elements run sequences
    first, then tables, views, indexes, triggers and GRANTs, with ``app`` first on the
    search_path (a view's ``FROM t``, a default's ``nextval('sq')`` find app's), as the
    AUTHORIZATION role when there is one; and one refused element undoes the whole statement,
    the schema too. Read as separate statements in public, ``inner_t`` was a false PASS."""
    from schema_audit.sources.plpgsql import _Snapshot

    known = interp.model.schemas.keys() | interp.model.schema_grants.keys()  # (public)
    if name in known:  # (no IF NOT EXISTS: PostgreSQL's grammar refuses it with elements)
        raise ApplyError(f'schema "{name}" already exists', "duplicate_schema")
    elements = fx.schema_elements(node)
    for element in elements:
        field = fx.SCHEMA_ELEMENT_RELATION.get(type(element).__name__)
        rv = getattr(element, field) if field else None
        if rv is not None and rv.schemaname != name:
            raise ApplyError(
                f"CREATE specifies a schema ({rv.schemaname}) different from the one being"
                f" created ({name})",
                "invalid_schema_definition",
            )
        if isinstance(element, ast.IndexStmt) and element.concurrent:
            raise ApplyError(  # (review19)
                "CREATE INDEX CONCURRENTLY cannot be executed from a function",
                "active_sql_transaction",
            )
        if rv is not None and rv.relpersistence == "t":
            raise ApplyError(
                "cannot create temporary relation in non-temporary schema",
                "invalid_table_definition",
            )
    path = [name, *(s for s in interp.search_path)]
    targets = {
        qualify(schema, rv.relname)
        for rv in find_all(elements, ast.RangeVar)
        for schema in ([rv.schemaname] if rv.schemaname else path)
    }
    grants = [e for e in elements if isinstance(e, ast.GrantStmt)]
    saved = _Snapshot(interp, None if any(g.targtype == 1 for g in grants) else targets)
    # a GRANT on a sequence, routine or type changes its list in place (no snapshot has it)
    model = interp.model
    holders: list[Any] = (
        [
            *model.sequences.values(),
            *model.functions.values(),
            *model.enums.values(),
            *model.domains.values(),
        ]
        if grants
        else []
    )
    granted: list[tuple[Any, list[Grant]]] = [(h, copy.deepcopy(h.grants)) for h in holders]
    search_path, role = interp.search_path, interp.current_role
    interp.model.schemas[name] = owner
    interp.model.schema_grants.setdefault(name, interp._defaults_for("schemas", None))
    interp.search_path = path
    if owner is not None:
        interp.current_role = owner
    try:
        for kind in _ELEMENT_ORDER:
            for element in elements:
                if type(element) is kind:
                    interp._apply(element)
    except Exception:  # (an interpreter gap too: the statement is listed, nothing of it kept)
        saved.restore()
        for holder, kept in granted:
            holder.grants = kept
        raise
    finally:
        interp.search_path, interp.current_role = search_path, role


@handles(ast.CreateExtensionStmt)
def create_extension(interp: DdlInterpreter, node: ast.CreateExtensionStmt) -> None:
    """CREATE EXTENSION [IF NOT EXISTS] [SCHEMA …]."""
    if node.extname in interp.model.extensions:
        if node.if_not_exists:
            return
        raise ApplyError(f'extension "{node.extname}" already exists', "duplicate_object")
    schema = "public"
    for opt in node.options or ():
        if opt.defname == "schema":
            schema = opt.arg.sval
    interp.model.extensions[node.extname] = Extension(node.extname, schema, None, [interp._prov()])


@handles(ast.CreateEnumStmt)
def create_enum(interp: DdlInterpreter, node: ast.CreateEnumStmt) -> None:
    """CREATE TYPE … AS ENUM."""
    names = strings(node.typeName)
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    if qualify(schema, names[-1]) in interp.model.enums:
        raise ApplyError(f'type "{names[-1]}" already exists', "duplicate_object")
    interp.model.enums[qualify(schema, names[-1])] = EnumType(
        schema,
        names[-1],
        strings(node.vals),
        [interp._prov()],
        grants=interp._defaults_for("types", schema),
    )
    if schema == "pg_temp":
        shadowing(interp, names[-1])
        interp._temp_types.add(names[-1])  # gone when the session ends (end_session)


@handles(ast.CompositeTypeStmt)
def create_composite(interp: DdlInterpreter, node: ast.CompositeTypeStmt) -> None:
    """CREATE TYPE … AS (…): not modelled (composite types come from a catalog only), so it
    stays listed as not interpreted. Its name is kept where pg_class keeps it, beside the
    relations: a column of the type that the search_path finds outside public is printed
    under its schema (``tables.searched_type``), and a name the history picks later for an
    index avoids it, as PostgreSQL's does."""
    rv = node.typevar
    schema = rv.schemaname or interp.search_path[0]
    interp._relations[qualify(schema, rv.relname)] = "composite"
    if schema == "pg_temp":
        shadowing(interp, rv.relname)
        interp._temp_types.add(rv.relname)  # gone when the session ends (end_session)
    interp._unapplied("unsupported", f"{type(node).__name__} is not interpreted")


@handles(ast.AlterEnumStmt)
def alter_enum(interp: DdlInterpreter, node: ast.AlterEnumStmt) -> None:
    """ALTER TYPE … ADD VALUE [BEFORE | AFTER] / RENAME VALUE."""
    names = strings(node.typeName)
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    enum = interp.model.enums.get(qualify(schema, names[-1]))
    if enum is None:
        raise ApplyError(f"type {names[-1]} does not exist")
    if node.oldVal:
        new = cast("str", node.newVal)  # set whenever oldVal is
        if node.oldVal not in enum.labels:
            raise ApplyError(
                f'"{node.oldVal}" is not an existing enum label', "invalid_parameter_value"
            )
        if new in enum.labels:
            raise ApplyError(f'enum label "{new}" already exists', "duplicate_object")
        enum.labels = [new if label == node.oldVal else label for label in enum.labels]
        # the catalog holds the label's OID: defaults, CHECKs … print the new label
        rename_label(interp, schema, enum.name, node.oldVal, new)
    elif node.newVal not in enum.labels:
        if node.newValNeighbor and node.newValNeighbor in enum.labels:
            at = enum.labels.index(node.newValNeighbor) + (1 if node.newValIsAfter else 0)
            enum.labels.insert(at, node.newVal)
        else:
            enum.labels.append(node.newVal)
    enum.provenance.append(interp._prov("altered"))


@handles(ast.DefineStmt)
def define(interp: DdlInterpreter, node: ast.DefineStmt) -> None:
    """CREATE COLLATION / AGGREGATE / OPERATOR …: not modelled, listed as before; a collation's
    name is remembered for the columns that name it unqualified (``tables.collation_of``)."""
    if node.kind == ObjectType.OBJECT_COLLATION:
        names = strings(node.defnames)
        interp.collations.add((names[0] if len(names) > 1 else interp.search_path[0], names[-1]))
    interp._unapplied("unsupported", f"{type(node).__name__} is not interpreted")
