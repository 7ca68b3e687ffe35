"""An object's ACL as the live reader asks for it and keeps it: one SQL expression per
catalog (``{acl}``, its kind for acldefault, ``{owner}``) and the Grants it gives, shared by
the readers of sources/live.py and sources/live_types.py."""

from __future__ import annotations

from schema_audit.model import OBJECT_PRIVILEGES, OWNER_LACKS, Grant

# each entry of the ACL, or of the default one when the column is NULL (never GRANTed nor
# REVOKEd): [grantee ('public' for PUBLIC), privilege, 'g' when grantable]
ACL = """ARRAY(SELECT ARRAY[CASE WHEN a.grantee = 0 THEN 'public'
                               ELSE pg_catalog.pg_get_userbyid(a.grantee) END, a.privilege_type,
                         CASE WHEN a.is_grantable THEN 'g' ELSE '' END]
             FROM pg_catalog.aclexplode(COALESCE({acl}, pg_catalog.acldefault('{kind}', {owner}))) a
             ORDER BY 1)"""


def grants(acl: list[list[str]], owner: str | None, kind: str) -> list[Grant]:
    """An ACL's entries for everyone but the owner (whose rights ownership gives by default),
    then, where the owner's own entry lacks a privilege of ``kind`` (OBJECT_PRIVILEGES: the
    owner REVOKEd it from itself, ``{=X/app}``), one ``-PRIVILEGE`` mark each: a stated grant
    to the owner is held only when its entry holds it (kinds._acl.grants_diff). A history run
    by postgres folds ``GRANT … TO postgres`` into the owner's entry (supabase/postgres), and
    PostgreSQL refuses the owner a right its entry lacks."""
    out = [
        Grant(entry[0], entry[1], entry[2:] == ["g"]) for entry in acl or [] if entry[0] != owner
    ]
    if owner is not None:  # (the ACL read is acldefault's when the column is NULL)
        held = {entry[1] for entry in acl or [] if entry[0] == owner}
        out += [Grant(owner, OWNER_LACKS + p) for p in OBJECT_PRIVILEGES[kind] if p not in held]
    return out


def relation_lacks(entries: list[tuple[str, str, bool, str]], owner: str) -> list[str]:
    """``-PRIVILEGE`` for each table privilege a relation's owner's own ACL items lack (the
    owner REVOKEd it from itself: ``{app=awdDxt/app}``, PostgreSQL 15 refuses app SELECT),
    [] when they hold them all (nearly always: ordinary output is unchanged). A relation's
    list keeps the owner's items, but a static reading lists none (the owner's default entry
    is implicit there), so only a mark tells "lacks" apart from "not listed" (audit/privileges
    and kinds/_acl read it as for the other kinds). ``entries``: (grantee, privilege, …)."""
    held = {entry[1] for entry in entries if entry[0] == owner}
    return [OWNER_LACKS + p for p in OBJECT_PRIVILEGES["tables"] if p not in held]
