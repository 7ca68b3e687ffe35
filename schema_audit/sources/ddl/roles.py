"""CREATE ROLE / USER and GRANT / REVOKE role membership (with PostgreSQL 16 options)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pglast import ast

from schema_audit.model import Role
from schema_audit.sources.ddl.errors import ApplyError
from schema_audit.sources.ddl.registry import handles

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


@handles(ast.CreateRoleStmt)
def create_role(interp: DdlInterpreter, node: ast.CreateRoleStmt) -> None:
    """CREATE ROLE / USER: LOGIN, SUPERUSER, BYPASSRLS, INHERIT and IN ROLE."""
    if node.role in interp.model.roles:
        raise ApplyError(f'role "{node.role}" already exists', "duplicate_object")
    role = interp.model.roles.setdefault(node.role, Role(node.role))
    role.login = node.stmt_type == 1  # ROLESTMT_USER implies LOGIN
    for opt in node.options or ():
        value = getattr(opt.arg, "boolval", True) if opt.arg is not None else True
        if opt.defname == "canlogin":
            role.login = bool(value)
        elif opt.defname == "superuser":
            role.superuser = bool(value)
        elif opt.defname == "bypassrls":
            role.bypass_rls = bool(value)
        elif opt.defname == "inherit":
            role.inherit = bool(value)
        elif opt.defname == "addroleto":
            for spec in opt.arg:
                role.member_of.append(spec.rolename)


@handles(ast.GrantRoleStmt)
def grant_role(interp: DdlInterpreter, node: ast.GrantRoleStmt) -> None:
    """GRANT / REVOKE role membership, with PostgreSQL 16's INHERIT and SET options."""
    granted = [p.priv_name for p in node.granted_roles or ()]
    options = {
        o.defname: bool(getattr(o.arg, "boolval", True)) for o in node.opt or () if o.defname
    }
    for grantee in node.grantee_roles or ():
        role = interp.model.roles.get(grantee.rolename)
        if role is None:  # not created by the history: it exists already, maybe its runner
            role = interp.model.roles[grantee.rolename] = Role(grantee.rolename, assumed=True)
        for name in granted:
            if node.is_grant and name not in role.member_of:
                role.member_of.append(name)
            elif not node.is_grant and name in role.member_of and not options:
                role.member_of.remove(name)
                role.membership_options.pop(name, None)
                continue
            if "inherit" in options or "set" in options:  # PostgreSQL 16+ WITH INHERIT/SET
                inherit, can_set = role.membership_options.get(name, (role.inherit, True))
                if node.is_grant:
                    inherit = options.get("inherit", inherit)
                    can_set = options.get("set", can_set)
                else:  # REVOKE INHERIT OPTION FOR … / REVOKE SET OPTION FOR …
                    inherit = inherit and "inherit" not in options
                    can_set = can_set and "set" not in options
                role.membership_options[name] = (inherit, can_set)
                if role.membership_options[name] == (role.inherit, True):
                    del role.membership_options[name]
