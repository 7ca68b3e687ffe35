"""An object's ACL as the live reader asks for it and keeps it: one SQL expression per
catalog (``{acl}``, its kind for acldefault, ``{owner}``) and the Grants it gives, shared by
the readers of sources/live.py and sources/live_types.py."""

from __future__ import annotations

from schema_audit.model import Grant

# each entry of the ACL, or of the default one when the column is NULL (never GRANTed nor
# REVOKEd): [grantee ('public' for PUBLIC), privilege, 'g' when grantable]
ACL = """ARRAY(SELECT ARRAY[CASE WHEN a.grantee = 0 THEN 'public'
                               ELSE pg_catalog.pg_get_userbyid(a.grantee) END, a.privilege_type,
                         CASE WHEN a.is_grantable THEN 'g' ELSE '' END]
             FROM pg_catalog.aclexplode(COALESCE({acl}, pg_catalog.acldefault('{kind}', {owner}))) a
             ORDER BY 1)"""


def grants(acl: list[list[str]], owner: str | None) -> list[Grant]:
    """An ACL's entries for everyone but the owner (whose rights ownership already gives)."""
    return [
        Grant(entry[0], entry[1], entry[2:] == ["g"]) for entry in acl or [] if entry[0] != owner
    ]
