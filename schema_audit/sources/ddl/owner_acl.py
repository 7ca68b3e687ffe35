"""ALTER … OWNER TO and the ACL: PostgreSQL hands the old owner's entries to the new owner.

``aclnewowner`` rewrites every entry naming the old owner as grantee to name the new one
and merges it into the new owner's own privileges, which the model leaves out (a catalog's
owner holds them all). So a grant to the old owner does not survive the change: ``GRANT
EXECUTE ON FUNCTION auth.email() TO postgres`` by its owner postgres, then ``ALTER
FUNCTION auth.email OWNER TO supabase_auth_admin``, leaves postgres nothing
(supabase/postgres's history). The static reading kept postgres's grant (a false FAIL of
init's spec, a false PASS of a spec requiring it).

While the history's runner owns the object (its owner unknown statically), a grant to a
role that may run the history holds unless that role runs it (``Grant.runner`` "-role":
the audit and ``diff`` judge each world).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schema_audit.model import (
    OWNER_LACKS,
    Grant,
    Table,
    held,
    is_mark,
    may_run_history,
    owner_lacks,
)

if TYPE_CHECKING:
    from schema_audit.sources.ddl.interpreter import DdlInterpreter


def change_owner(interp: DdlInterpreter, obj: Any, owner: str | None) -> None:
    """``obj.owner = owner`` with the ACL moved as PostgreSQL moves it (its grants, and a
    table's column grants)."""
    pass_acl(interp, obj.grants, obj.owner, owner)
    if isinstance(obj, Table):
        for grants in obj.column_grants.values():
            pass_acl(interp, grants, obj.owner, owner)
    obj.owner = owner


def pass_acl(interp: DdlInterpreter, grants: list[Grant], old: str | None, new: str | None) -> None:
    """The ACL ``grants`` once the owner changes from ``old`` to ``new`` (None: unknown, the
    runner's; a new owner not named, CURRENT_USER and the like, changes nothing known but
    the old owner's marks: what it lacked is the next owner's, unknown, not its own)."""
    if new is None and old is not None:  # (review17: the marks stayed, read as grants)
        grants[:] = [g for g in grants if not (g.grantee == old and is_mark(g))]
    if new is None or new == old:
        return
    if old is not None:
        # the old owner's entry merged into the new owner's: what the old one lacked (its
        # REVOKE from itself, marked) the new one lacks too, unless it holds it already;
        # an item the old one was granted (a GRANT to itself) is the new one's
        kept = {g.privilege for g in held(grants) if g.grantee == new}
        lacks = [Grant(new, OWNER_LACKS + p) for p in sorted(owner_lacks(grants, old))]
        items = [
            Grant(new, g.privilege, g.grantable)
            for g in grants
            if g.grantee == old and g.runner is None and not is_mark(g)
        ]
        grants[:] = [g for g in grants if g.grantee != old]
        grants += [g for g in lacks if g.privilege[1:] not in kept]
        grants += [g for g in items if g.privilege not in kept]
        return
    for grant in grants:
        if (
            grant.runner is None
            and grant.grantee != new
            and may_run_history(interp.model, grant.grantee)
            and interp._may_run(grant.grantee)
        ):
            grant.runner = f"-{grant.grantee}"
