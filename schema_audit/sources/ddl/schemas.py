"""Schemas, extensions and enum types: CREATE SCHEMA / EXTENSION / TYPE AS ENUM, ALTER TYPE;
the names CREATE COLLATION creates."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.model import EnumType, Extension, qualify
from schema_audit.sources.ddl.enum_labels import rename_label
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import strings
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateSchemaStmt)
def create_schema(interp: DdlInterpreter, node: ast.CreateSchemaStmt) -> None:
    """CREATE SCHEMA [AUTHORIZATION …], with the statements it contains."""
    owner = node.authrole.rolename if node.authrole is not None else None
    name = node.schemaname or owner or ""
    interp.model.schemas.setdefault(name, owner)
    interp.model.schema_grants.setdefault(name, interp._defaults_for("schemas", None))
    for element in node.schemaElts or ():
        interp._apply(element)


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
