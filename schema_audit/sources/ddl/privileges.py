"""GRANT / REVOKE on tables, columns, schemas, sequences and routines; ALTER DEFAULT PRIVILEGES.

The grants are what effective privileges are computed from, so a REVOKE removes the
entry in place and defaults follow the role that creates the object (SET ROLE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import ObjectType

from schema_audit.model import (
    OBJECT_PRIVILEGES,
    OWNER_LACKS,
    TABLE_PRIVILEGES,
    DefaultPrivilege,
    Grant,
    Table,
    View,
    qualify,
)
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.nodes import roles, strings
from schema_audit.sources.ddl.registry import handles
from schema_audit.sources.ddl.routines import functions_named

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.GrantStmt)
def grant(interp: DdlInterpreter, node: ast.GrantStmt) -> None:
    """GRANT / REVOKE on tables, views and columns (schemas, sequences and routines: grant_on_other)."""
    if node.targtype == 2:  # ACL_TARGET_DEFAULTS: only inside ALTER DEFAULT PRIVILEGES
        return
    if node.objtype in (
        ObjectType.OBJECT_SCHEMA,
        ObjectType.OBJECT_SEQUENCE,
        ObjectType.OBJECT_FUNCTION,
        ObjectType.OBJECT_PROCEDURE,
        ObjectType.OBJECT_ROUTINE,
    ):
        grant_on_other(interp, node)
        return
    if node.objtype in (ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN):
        _grant_on_types(interp, node)
        return
    if node.objtype not in (ObjectType.OBJECT_TABLE,):
        return  # domains, languages, large objects …: accepted, not modelled
    targets: list[Table | View] = []
    if node.targtype == 1:  # ACL_TARGET_ALL_IN_SCHEMA
        schemas = strings(node.objects)
        targets = [t for t in interp.model.tables.values() if t.schema in schemas]
        targets += [v for v in interp.model.views.values() if v.schema in schemas]
    elif node.targtype == 2:  # ACL_TARGET_DEFAULTS (ALTER DEFAULT PRIVILEGES): not modelled
        return
    else:
        for rv in node.objects or ():
            key = qualify(interp._schema_of(rv), rv.relname)
            target = interp.model.tables.get(key) or interp.model.views.get(key)
            if target is None:
                raise ApplyError(f"relation {key} does not exist at this point of the history")
            targets.append(target)
    grantees = roles(node.grantees)
    column_privs: list[tuple[str, list[str]]] = []
    table_privs: list[str] = []
    if not node.privileges:
        table_privs = list(TABLE_PRIVILEGES)
    else:
        for priv in node.privileges:
            name = (priv.priv_name or "all").upper()
            if priv.cols:
                column_privs.append((name, strings(priv.cols)))
            else:
                table_privs.extend(TABLE_PRIVILEGES if name == "ALL" else [name])
    grant_on_relations(
        interp,
        targets,
        grantees,
        table_privs,
        column_privs,
        bool(node.is_grant),
        bool(node.grant_option),
    )


def grant_on_relations(
    interp: DdlInterpreter,
    targets: list[Table | View],
    grantees: list[str],
    table_privs: list[str],
    column_privs: list[tuple[str, list[str]]],
    is_grant: bool,
    grant_option: bool,
) -> None:
    """GRANT (``is_grant``) or REVOKE of table and column privileges on relations."""
    for target in targets:
        for grantee in grantees:
            for priv in table_privs:
                set_grant(target.grants, grantee, priv, is_grant, grant_option, target.owner)
            if isinstance(target, Table):
                for priv, cols in column_privs:
                    for col in cols:
                        grants = target.column_grants.setdefault(col, [])
                        set_grant(grants, grantee, priv, is_grant, grant_option)
        target.provenance.append(interp._prov("granted" if is_grant else "revoked"))


def _grant_on_types(interp: DdlInterpreter, node: ast.GrantStmt) -> None:
    """GRANT / REVOKE USAGE ON TYPE / ON DOMAIN of an enum or a domain the history created
    (other types: not modelled)."""
    from schema_audit.sources.ddl.moves import _type_key

    for obj in node.objects or ():
        key = _type_key(interp, obj)
        target = interp.model.enums.get(key) or interp.model.domains.get(key)
        if target is None:
            continue
        for grantee in roles(node.grantees):
            for privilege in privileges_named(node.privileges, "types"):
                set_grant(
                    target.grants,
                    grantee,
                    privilege,
                    node.is_grant,
                    node.grant_option,
                    target.owner,
                )


def identity_sequence(interp: DdlInterpreter, schema: str, name: str) -> bool:
    """Whether ``schema.name`` is the sequence PostgreSQL made for an identity column
    (``<table>_<column>_seq``), which the static model leaves out (the column's identity
    stands for it). A GRANT naming one was refused as naming a missing sequence, and with it
    the grants on every other sequence of the statement (PostgREST's fixtures: seven)."""
    return any(
        f"{table.name}_{column.name}_seq" == name
        for table in interp.model.tables.values()
        if table.schema == schema
        for column in table.columns.values()
        if column.identity
    )


def grant_on_other(interp: DdlInterpreter, node: ast.GrantStmt) -> None:
    """GRANT/REVOKE on schemas, sequences and functions: the grants effective privileges read."""
    OT = ObjectType
    in_schemas = strings(node.objects) if node.targtype == 1 else None  # ALL … IN SCHEMA
    holders: list[tuple[list[Grant], str | None]] = []  # (an object's grants, its owner)
    if node.objtype == OT.OBJECT_SCHEMA:
        kind = "schemas"
        for name in strings(node.objects):
            if name not in interp.model.schemas and name not in interp.model.schema_grants:
                raise ApplyError(f"schema {name} does not exist at this point of the history")
            owner = interp.model.schemas.get(name)
            holders.append((interp.model.schema_grants.setdefault(name, []), owner))
    elif node.objtype == OT.OBJECT_SEQUENCE:
        kind = "sequences"
        sequences = interp.model.sequences
        if in_schemas is not None:
            holders = [(q.grants, q.owner) for q in sequences.values() if q.schema in in_schemas]
        else:
            for rv in node.objects or ():
                key = qualify(interp._schema_of(rv), rv.relname)
                if not rv.schemaname:  # a sequence is found through the search_path too
                    key = _sequence_on_path(interp, rv.relname) or key
                if key in sequences:
                    holders.append((sequences[key].grants, sequences[key].owner))
                elif not identity_sequence(interp, interp._schema_of(rv), rv.relname):
                    raise ApplyError(f"sequence {key} does not exist at this point of the history")
    else:
        kind = "functions"
        if in_schemas is not None:
            every = interp.model.functions.values()
            holders = [(f.grants, f.owner) for f in every if f.schema in in_schemas]
        else:
            for obj in node.objects or ():
                functions = functions_named(interp, obj)
                if not functions:
                    raise ApplyError(
                        f"function {'.'.join(strings(obj.objname))} does not exist at this point of the history"
                    )
                holders += [(f.grants, f.owner) for f in functions]
    wanted = privileges_named(node.privileges, kind)
    for grants, owner in holders:
        for grantee in roles(node.grantees):
            for privilege in wanted:
                set_grant(grants, grantee, privilege, node.is_grant, node.grant_option, owner)


def _sequence_on_path(interp: DdlInterpreter, name: str) -> str | None:
    """The sequence an unqualified ``GRANT … ON SEQUENCE name`` reaches: PostgreSQL takes the
    first relation of that name on the search_path (a temporary one first) and refuses one
    that is not a sequence (review19: a table ``app.s`` before ``public.s``); None when the
    path holds no relation of that name the model knows."""
    model = interp.model
    if name in interp._temp:
        raise ApplyError(f'"{name}" is not a sequence', "wrong_object_type")
    for schema in interp.search_path:
        key = qualify(schema, name)
        if key in model.sequences:
            return key
        if (
            key in model.tables
            or key in model.views
            or interp._relations.get(key) == "composite"
            or interp._index_owner(schema, name) is not None
        ):
            raise ApplyError(f'"{name}" is not a sequence', "wrong_object_type")
    return None


@handles(ast.AlterDefaultPrivilegesStmt)
def alter_default_privileges(interp: DdlInterpreter, node: ast.AlterDefaultPrivilegesStmt) -> None:
    """ALTER DEFAULT PRIVILEGES: what objects the named roles create later are granted."""
    action = node.action
    owners: list[str | None] = [interp.current_role]
    schemas: list[str | None] = [None]
    for opt in node.options or ():
        if opt.defname == "roles":
            owners = list(roles(opt.arg))
        elif opt.defname == "schemas":
            schemas = list(strings(opt.arg))
    object_type = {
        ObjectType.OBJECT_TABLE: "tables",
        ObjectType.OBJECT_SEQUENCE: "sequences",
        ObjectType.OBJECT_FUNCTION: "functions",
        ObjectType.OBJECT_ROUTINE: "functions",
        ObjectType.OBJECT_TYPE: "types",
        ObjectType.OBJECT_SCHEMA: "schemas",
    }.get(action.objtype)
    if object_type is None:
        return
    wanted = privileges_named(action.privileges, object_type)
    # The owner is kept as named (None: the migrations' own role, no SET ROLE): new objects
    # take the entries whose owner is the role current when they are created
    # (DdlInterpreter._defaults_for), so an entry made under SET ROLE x is x's.
    for owner in owners:
        for schema in schemas:
            for grantee in roles(action.grantees):
                for privilege in wanted:
                    key = (owner, schema, object_type, grantee, privilege)
                    present = next(
                        (
                            e
                            for e in interp.model.default_privileges
                            if (e.owner, e.schema, e.object_type, e.grantee, e.privilege) == key
                        ),
                        None,
                    )
                    revoked = (owner, object_type, grantee, privilege)
                    builtin = BUILTIN_DEFAULTS.get(object_type) == (grantee, privilege)
                    option = bool(action.grant_option)
                    if action.is_grant:
                        interp._revoked_defaults.discard(revoked)
                        if present is not None:
                            present.grantable = present.grantable or option
                        elif not (builtin and schema is None):
                            interp.model.default_privileges.append(
                                DefaultPrivilege(*key, grantable=option)
                            )
                    elif option:  # REVOKE GRANT OPTION FOR: the privilege stays
                        if present is not None:
                            present.grantable = False
                    else:
                        if present is not None:
                            interp.model.default_privileges.remove(present)
                        if schema is None:
                            interp._revoked_defaults.add(revoked)


def set_grant(
    grants: list[Grant],
    grantee: str,
    privilege: str,
    is_grant: bool,
    grant_option: bool,
    owner: str | None = None,
) -> None:
    """GRANT adds the entry once (WITH GRANT OPTION makes an entry grantable); REVOKE
    removes it, REVOKE GRANT OPTION FOR only its grant option (in place: the list is its
    object's), as PostgreSQL's ACL does. With ``grantee`` the object's known ``owner``, a
    REVOKE also marks what the owner's own entry then lacks (``-PRIVILEGE``, as the catalog
    read marks it: PostgreSQL refuses the owner that right) and a GRANT takes the mark off."""
    if owner is not None and grantee == owner and not (grant_option and not is_grant):
        mark = OWNER_LACKS + privilege
        marked = [g for g in grants if g.grantee == owner and g.privilege == mark]
        if is_grant:
            grants[:] = [g for g in grants if g not in marked]
        elif not marked:
            grants.append(Grant(owner, mark))
    present = [g for g in grants if g.grantee == grantee and g.privilege == privilege]
    if is_grant and any(g.runner is not None for g in present):
        # granted outright: held whoever runs the history (one entry, the strongest option)
        option = any(g.grantable for g in present if g.runner is None)
        grants[:] = [g for g in grants if g not in present]
        present = []
        grant_option = grant_option or option
    if is_grant and not present:
        grants.append(Grant(grantee, privilege, bool(grant_option)))
    elif is_grant and grant_option:
        for g in present:
            g.grantable = True
    elif not is_grant and grant_option:  # REVOKE GRANT OPTION FOR
        for g in present:
            g.grantable = False
    elif not is_grant and present:
        grants[:] = [g for g in grants if not (g.grantee == grantee and g.privilege == privilege)]


def privileges_named(privileges, kind: str) -> list[str]:
    """The privileges a GRANT/REVOKE names (AccessPriv nodes; none or ALL = every one of ``kind``)."""
    names = [(p.priv_name or "all").upper() for p in privileges or ()] or ["ALL"]
    return [p for name in names for p in (OBJECT_PRIVILEGES[kind] if name == "ALL" else [name])]


BUILTIN_DEFAULTS = {"functions": ("public", "EXECUTE"), "types": ("public", "USAGE")}
