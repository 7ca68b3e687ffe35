"""RENAME of every object type, one small function per type; renames carry their dependents.

A renamed column is renamed in indexes, checks, policies, triggers, generated columns and
foreign keys that point at it; a renamed table in the foreign keys and owned sequences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pglast
from pglast import ast
from pglast.enums import ObjectType

from schema_audit.ident import split_qualified
from schema_audit.model import Column, Table, qualify, quote_ident
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources.ddl import dependents, domains, index_links, inheritance, rules
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import deparse, strings, type_text
from schema_audit.sources.ddl.partitions import renamed_in_partitions
from schema_audit.sources.ddl.registry import handles, registrar
from schema_audit.sources.ddl.routines import functions_named
from schema_audit.sources.ddl.viewdef import follow_rename

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


# RENAME object type -> its function (interpreter, statement); others: listed as not interpreted
Renamer = Callable[["DdlInterpreter", ast.RenameStmt], None]
RENAMERS: dict[ObjectType, Renamer] = {}
OT = ObjectType

_on = registrar(RENAMERS)


@handles(ast.RenameStmt)
def rename(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """ALTER … RENAME: by the renamed object's type; a type not modelled is listed, not dropped."""
    renamer = RENAMERS.get(node.renameType)
    if renamer is None:
        interp._unapplied("unsupported", f"RENAME of {node.renameType.name} is not interpreted")
    else:
        renamer(interp, node)


@_on(OT.OBJECT_COLUMN)
def _column(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    table = interp._table(node.relation, missing_ok=bool(node.missing_ok))
    if table is not None:
        inheritance.refuse_rename(interp, table, node.subname, only=not node.relation.inh)
        rename_column(interp, table, node.subname, node.newname)
        if node.relation.inh:  # not ONLY: the inheritance children's column too
            inheritance.renamed_column(interp, table, node.subname, node.newname)
            renamed_in_partitions(interp, table, node.subname, node.newname)


@_on(OT.OBJECT_TABLE)
def _table(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    table = interp._table(node.relation, missing_ok=bool(node.missing_ok))
    if table is not None:
        rename_table(interp, table, node.newname)


@_on(OT.OBJECT_TABCONSTRAINT)
def _constraint(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    table = interp._table(node.relation)
    rename_constraint(interp, table, node.subname, node.newname)


@_on(OT.OBJECT_INDEX)
def _index(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    found = interp._index_owner(node.relation.schemaname, node.relation.relname)
    if found is None:
        if node.missing_ok:
            return
        raise ApplyError(f"index {node.relation.relname} does not exist")
    relation, index = found
    if isinstance(relation, Table) and relation.replica_identity == f"index {index.name}":
        relation.replica_identity = f"index {node.newname}"
    index_links.rekey(relation, index.name, node.newname)
    interp._relations.pop(qualify(relation.schema, index.name), None)
    index.name = node.newname
    interp._home(relation, node.newname)
    interp._relations[qualify(relation.schema, node.newname)] = "index"
    if isinstance(relation, Table) and index.constraint:
        rename_constraint_only(interp, relation, index.constraint, node.newname)
        index.constraint = node.newname
    index.provenance.append(interp._prov("renamed"))


@_on(OT.OBJECT_POLICY, OT.OBJECT_TRIGGER)
def _policy_or_trigger(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    table = interp._table(node.relation)
    label = "policy" if node.renameType == OT.OBJECT_POLICY else "trigger"
    group: dict[str, Any] = table.policies if label == "policy" else table.triggers
    item = group.pop(node.subname, None)
    if item is None:
        raise ApplyError(f"{label} {node.subname} on {table.qualified_name} does not exist")
    item.name = node.newname
    item.provenance.append(interp._prov("renamed"))
    group[node.newname] = item


@_on(OT.OBJECT_VIEW, OT.OBJECT_MATVIEW)
def _view(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    key = qualify(interp._schema_of(node.relation), node.relation.relname)
    view = interp.model.views.pop(key, None)
    if view is None:
        raise ApplyError(f"view {key} does not exist")
    view.name = node.newname
    interp.model.views[qualify(view.schema, view.name)] = view
    rules.renamed_relation(interp, key, view.qualified_name)


_on(OT.OBJECT_DOMAIN)(domains.rename_domain)
_on(OT.OBJECT_DOMCONSTRAINT)(domains.rename_constraint)


@_on(OT.OBJECT_TYPE)
def _type(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """ALTER TYPE … RENAME TO of an enum (Prisma's way to change one: `X_new` becomes `X`):
    the columns of that type, their arrays and the casts in their defaults follow, as they
    hold the type's OID in the catalog. A type the model does not hold stays listed."""
    names = strings(node.object)
    schema = names[0] if len(names) > 1 else interp.search_path[0]
    enum = interp.model.enums.get(qualify(schema, names[-1]))
    if enum is None:
        if node.missing_ok:
            return
        interp._unapplied("unsupported", "RENAME of a type other than an enum is not interpreted")
        return
    new_key = qualify(schema, node.newname)
    if new_key in interp.model.enums:
        raise ApplyError(f'type "{node.newname}" already exists')
    old_type = type_text(schema, enum.name)
    del interp.model.enums[qualify(schema, enum.name)]
    enum.name = node.newname
    interp.model.enums[new_key] = enum
    for column in retype_columns(interp, old_type, type_text(schema, node.newname)):
        if column.default:
            column.default = rename_type_in_expr(column.default, schema, names[-1], node.newname)


def retype_columns(interp: DdlInterpreter, old_type: str, new_type: str) -> list[Column]:
    """Columns of type ``old_type`` (or its array) retyped ``new_type``, as a renamed or moved
    enum's columns print it (the catalog holds the type's OID); every column is returned so a
    caller can follow the type into defaults."""
    columns = [c for table in interp.model.tables.values() for c in table.columns.values()]
    for column in columns:
        if column.type == old_type:
            column.type = new_type
        elif column.type == old_type + "[]":
            column.type = new_type + "[]"
    return columns


def rename_type_in_expr(text: str, schema: str, old: str, new: str) -> str:
    """The expression with casts to type schema.old renamed ``new`` (enum labels in defaults)."""
    if old not in text:
        return text

    def rename(node: ast.Node) -> bool:
        changed = False
        for type_name in find_all(node, ast.TypeName):
            names = strings(type_name.names)
            if names[-1] == old and (len(names) == 1 or names[0] == schema):
                type_name.names = tuple(
                    ast.String(sval=part) for part in ([schema] if len(names) > 1 else []) + [new]
                )
                changed = True
        return changed

    return _edit_expr(text, rename)


def _edit_expr(text: str, edit: Callable[[ast.Node], bool]) -> str:
    """``text`` with ``edit`` applied to its parsed expression and printed again; unchanged
    when ``edit`` reports no change (the stored text stays as written) or it does not parse."""
    try:
        stmt = parse_sql(f"SELECT {text}")[0].stmt
    except pglast.parser.ParseError:
        return text
    node = stmt.targetList[0].val
    return (deparse(node) or text) if edit(node) else text


@_on(OT.OBJECT_SEQUENCE)
def _sequence(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """ALTER SEQUENCE … RENAME: the sequence, and the column defaults calling nextval() on it
    (the catalog keeps the sequence's OID and prints its new name)."""
    rv = node.relation
    schemas = [rv.schemaname] if rv.schemaname else interp.search_path
    key = next(
        (
            qualify(s, rv.relname)
            for s in schemas
            if qualify(s, rv.relname) in interp.model.sequences
        ),
        None,
    )
    if key is None:
        if node.missing_ok:
            return
        raise ApplyError(f"sequence {rv.relname} does not exist at this point of the history")
    seq = interp.model.sequences.pop(key)
    interp._relations.pop(key, None)
    old, seq.name = seq.name, node.newname
    interp.model.sequences[qualify(seq.schema, seq.name)] = seq
    interp._relations[qualify(seq.schema, seq.name)] = "sequence"
    for table in interp.model.tables.values():
        for column in table.columns.values():
            if column.default and "nextval" in column.default and old in column.default:
                column.default = _rename_sequence_in_expr(column.default, seq.schema, old, seq.name)


def _rename_sequence_in_expr(text: str, schema: str, old: str, new: str) -> str:
    """``nextval('old'::regclass)`` (or ``'schema.old'``) naming the renamed sequence, renamed."""

    def rename(node: ast.Node) -> bool:
        changed = False
        for call in find_all(node, ast.FuncCall):
            if strings(call.funcname)[-1] != "nextval" or not call.args:
                continue
            arg = call.args[0]
            const = arg.arg if isinstance(arg, ast.TypeCast) else arg
            if not (isinstance(const, ast.A_Const) and isinstance(const.val, ast.String)):
                continue
            parts = split_qualified(const.val.sval, fold=True)
            if parts and parts[-1] == old and (len(parts) == 1 or parts[0] == schema):
                const.val = ast.String(sval=".".join(quote_ident(p) for p in [*parts[:-1], new]))
                changed = True
        return changed

    return _edit_expr(text, rename)


@_on(OT.OBJECT_FUNCTION, OT.OBJECT_PROCEDURE, OT.OBJECT_ROUTINE)
def _routine(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """ALTER FUNCTION / PROCEDURE … RENAME TO (Lemmy renamed its trigger functions): the same
    function under the new name, with its grants and owner, and the triggers calling it (the
    catalog keeps the function's OID, so they print the new name)."""
    obj = node.object
    assert isinstance(obj, ast.ObjectWithArgs)  # the grammar names a routine so
    label = ".".join(strings(obj.objname))
    found = functions_named(interp, obj)
    if not found:
        if node.missing_ok:
            return
        raise ApplyError(f"function {label} does not exist")
    if len(found) > 1:
        raise ApplyError(f"function name {label} is not unique")
    fn = found[0]
    old_home = (fn.schema, fn.name)
    # defaults and CHECKs certainly calling it (no other overload of the name): the catalog
    # keeps the function's OID and prints the new name (boundary's wh_dim_id → wh_dim_key)
    callers = [
        (table, what, name)
        for what, table, name in dependents.function_users(
            interp, dependents.certain_homes(interp, [fn])
        )
        if table is not None and what in ("default", "check")
    ]
    renamed_signature = f"{qualify(fn.schema, node.newname)}({fn.arguments})"
    if renamed_signature in interp.model.functions:
        raise ApplyError(f"function {renamed_signature} already exists in schema {fn.schema}")
    del interp.model.functions[fn.signature]
    fn.name = node.newname
    interp.model.functions[fn.signature] = fn
    fn.provenance.append(interp._prov("renamed"))
    for table, what, name in callers:
        if what == "default":
            column = table.columns[name]
            column.default = _rename_call(column.default or "", old_home, node.newname)
        else:
            check = table.checks[name]
            check.expression = _rename_call(check.expression, old_home, node.newname)
    if fn.arguments:
        return  # a trigger function takes no declared arguments
    for table in interp.model.tables.values():
        for trigger in table.triggers.values():
            schema, _, name = trigger.function.rpartition(".")
            if (schema or "public", name) == old_home:
                trigger.function = (
                    node.newname if fn.schema == "public" else f"{fn.schema}.{node.newname}"
                )


def _rename_call(text: str, home: tuple[str, str], new: str) -> str:
    """``text`` with its calls of function ``home`` (schema, name), bare or qualified, named
    ``new`` (the caller found them certain: ``dependents.function_users``)."""

    def rename(node: ast.Node) -> bool:
        changed = False
        for call in find_all(node, ast.FuncCall):
            names = strings(call.funcname)
            if names[-1:] == [home[1]] and (len(names) == 1 or names[0] == home[0]):
                call.funcname = (*call.funcname[:-1], ast.String(sval=new))
                changed = True
        return changed

    return _edit_expr(text, rename)


@_on(OT.OBJECT_SCHEMA)
def _schema(interp: DdlInterpreter, node: ast.RenameStmt) -> None:
    """Schemas are not renamed in the model (nothing it holds is keyed by a renamed schema)."""


def rename_column(interp: DdlInterpreter, table: Table, old: str, new: str) -> None:
    column = interp._column(table, old)
    follow_rename(interp, table.schema, table.name, new, old)
    table.columns = {(new if k == old else k): v for k, v in table.columns.items()}
    column.name = new
    rules.renamed_column(interp, table.qualified_name, old, new)
    for seq in interp.model.sequences.values():  # OWNED BY follows the column's new name
        if seq.schema == table.schema and seq.owned_by == f"{table.name}.{old}":
            seq.owned_by = f"{table.name}.{new}"
    column.provenance.append(interp._prov("renamed"))
    for index in table.indexes.values():
        for key in index.keys:
            if key.is_column and key.expression == old:
                key.expression = new
            elif not key.is_column:
                key.expression = rename_column_in_expr(key.expression, old, new)
        index.include = [new if c == old else c for c in index.include]
        if index.where:
            index.where = rename_column_in_expr(index.where, old, new)
    for check in table.checks.values():
        check.expression = rename_column_in_expr(check.expression, old, new)
    for policy in table.policies.values():
        policy.using = policy.using and rename_column_in_expr(policy.using, old, new)
        policy.with_check = policy.with_check and rename_column_in_expr(policy.with_check, old, new)
    for trigger in table.triggers.values():
        trigger.when = trigger.when and rename_column_in_expr(trigger.when, old, new)
        trigger.update_columns = [new if c == old else c for c in trigger.update_columns]
    for other_column in table.columns.values():
        if other_column.generated:
            other_column.generated = rename_column_in_expr(other_column.generated, old, new)
    swap = lambda cols: [new if c == old else c for c in cols]  # noqa: E731
    if table.primary_key:
        table.primary_key.columns = swap(table.primary_key.columns)
    for con in (
        list(table.uniques.values())
        + list(table.foreign_keys.values())
        + list(table.checks.values())
    ):
        con.columns = swap(con.columns)
    for fk in table.foreign_keys.values():  # ON DELETE SET NULL (columns) names them too
        fk.on_delete_columns = swap(fk.on_delete_columns)
    for other in interp._tables_referencing(table.schema, table.name):
        for fk in other.foreign_keys.values():
            if (fk.ref_schema, fk.ref_table) == (table.schema, table.name):
                fk.ref_columns = swap(fk.ref_columns)
    table.provenance.append(interp._prov("altered"))


def rename_table(interp: DdlInterpreter, table: Table, new: str) -> None:
    old_key = table.qualified_name
    follow_rename(interp, table.schema, table.name, new)
    del interp.model.tables[old_key]
    interp._relations.pop(old_key, None)
    old_name, table.name = table.name, new
    interp.model.tables[table.qualified_name] = table
    interp._relations[table.qualified_name] = "table"
    rules.renamed_relation(interp, old_key, table.qualified_name)
    inheritance.parent_moved(interp, table, old_key)  # its children and partitions follow
    for seq in interp.model.sequences.values():  # OWNED BY follows the table's new name
        owner, _, column = (seq.owned_by or "").partition(".")
        if seq.schema == table.schema and owner == old_name:
            seq.owned_by = f"{new}.{column}"
    for other in interp._tables_referencing(table.schema, old_name):
        interp._refers(other, table.schema, new)
        for fk in other.foreign_keys.values():
            if (fk.ref_schema, fk.ref_table) == (table.schema, old_name):
                fk.ref_table = new
    table.provenance.append(interp._prov("renamed"))


def rename_constraint_only(interp: DdlInterpreter, table: Table, old: str, new: str) -> bool:
    if table.primary_key and table.primary_key.name == old:
        table.primary_key.name = new
        return True
    for group in (table.uniques, table.checks, table.foreign_keys):
        if old in group:
            con = group.pop(old)
            con.name = new
            group[new] = con
            return True
    return False


def rename_constraint(interp: DdlInterpreter, table: Table, old: str, new: str) -> None:
    if not rename_constraint_only(interp, table, old, new):
        raise ApplyError(f"constraint {old} of {table.qualified_name} does not exist")
    index = table.indexes.get(old)
    if index is not None:
        if table.replica_identity == f"index {old}":
            table.replica_identity = f"index {new}"
        index_links.rekey(table, old, new)
        interp._relations.pop(qualify(table.schema, old), None)
        index.name = index.constraint = new
        interp._home(table, new)
        interp._relations[qualify(table.schema, new)] = "index"
    table.provenance.append(interp._prov("altered"))


def rename_column_in_expr(text: str, old: str, new: str) -> str:
    """The expression with column ``old`` renamed (also ``NEW.old`` / ``OLD.old`` in trigger WHEN).

    A function of its arguments alone, so remembered: a rename edits every CHECK, policy and
    index predicate of its table, and a history repeats those on many tables (parsing and
    printing them again was most of a 1,000-table history's RENAME COLUMN cost).
    """
    key = (text, old, new)
    renamed = _RENAMED.get(key)
    if renamed is None:
        renamed = _rename_in_expr(text, old, new)
        if len(_RENAMED) >= _RENAMED_MAX:
            _RENAMED.clear()
        _RENAMED[key] = renamed
    return renamed


_RENAMED: dict[tuple[str, str, str], str] = {}
_RENAMED_MAX = 16384


def _rename_in_expr(text: str, old: str, new: str) -> str:
    def rename(node: ast.Node) -> bool:
        changed = False
        for ref in find_all(node, ast.ColumnRef):
            fields = list(ref.fields)
            if fields and isinstance(fields[-1], ast.String) and fields[-1].sval == old:
                fields[-1] = ast.String(sval=new)
                ref.fields = tuple(fields)
                changed = True
        return changed

    return _edit_expr(text, rename)
