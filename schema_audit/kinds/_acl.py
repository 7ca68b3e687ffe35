"""Exact ACLs, owners and bodies: what ``init`` writes so that "exactly what the schema has
today" covers a function's body, who owns an object and every grant on it.

``grants:`` lists the privileges the catalog's ACL holds for each role other than the
owner (``{authenticated: [EXECUTE], public: [EXECUTE]}``; ``public`` is PUBLIC). It is
compared exactly, unlike ``execute:``/``privileges:`` which ask what roles can effectively
do: a GRANT or REVOKE after ``init`` changes the ACL and FAILs. The owner's own privileges
are left out (the catalog lists them, a migration history does not name the owner).

``owner:`` is compared with the owner the source knows. A migration history that never
says ``OWNER TO`` leaves the owner to whichever role runs it: that cannot be decided from
the files, so the finding is DEFERRED (audit the live database, or ``--replay``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.model import OBJECT_PRIVILEGES, OWNER_LACKS, Grant, held, is_mark, owner_lacks
from schema_audit.spec.model import Requirement
from schema_audit.sqlspace import stored_body

if TYPE_CHECKING:
    from schema_audit.audit.context import AuditContext

GRANTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "description": "Exactly the privileges the object's ACL grants, by role ('public' = "
    "PUBLIC), the owner's own left out; 'X WITH GRANT OPTION' for a grantable one. A grant "
    "or revoke the list does not show FAILs ({} = no role but the owner holds any).",
}

OWNER_SCHEMA: dict[str, Any] = {
    "type": "string",
    "description": "The role that owns it (compared with the catalog; DEFERRED when a "
    "migration history does not name the owner: the role that runs it owns what it creates).",
}

UNKNOWN_OWNER = (
    "the source does not name its owner (a migration history without OWNER TO: the role that "
    "runs it owns what it creates); audit the live database to decide it"
)


def acl(grants: list[Grant], owner: str | None) -> dict[str, list[str]]:
    """role -> sorted privileges, as ``grants:`` writes them (the owner's left out)."""
    out: dict[str, set[str]] = {}
    for g in held(grants):  # (those of the history's runner judged: model.RUNNER)
        if g.grantee != owner and not is_mark(g):
            out.setdefault(g.grantee, set()).add(
                g.privilege + (" WITH GRANT OPTION" if g.grantable else "")
            )
    return {role: sorted(privs) for role, privs in sorted(out.items())}


def _pairs(by_role: dict[str, list[str]]) -> list[str]:
    return sorted(
        f"{'PUBLIC' if role == 'public' else role} {p}" for role, ps in by_role.items() for p in ps
    )


def grants_diff(
    expected: dict[str, Any],
    grants: list[Grant],
    owner: str | None,
    expected_owner: object = None,
    owner_entry: str | None = None,
) -> Diff | None:
    """The difference between a ``grants:`` mapping and the ACL (``role PRIVILEGE`` pairs
    each side), None when they agree. Privilege words compare case-insensitively with their
    spacing collapsed; role names as written (identifiers: case matters).

    With the owner unknown (a history without OWNER TO: whoever runs it owns the object), a
    grant to the owner the spec names (``expected_owner``) is not counted: PostgreSQL folds
    an owner's grant to itself into the owner's own entry, which no spec lists, so it is
    extra only if another role runs the history; the caller's owner finding is DEFERRED
    (as ``exactly: privileges`` does for tables: strict._split_owner_grants). A function
    created and granted to postgres FAILed ``postgres EXECUTE not in the spec`` (trial14).

    ``owner_entry``: the kind (OBJECT_PRIVILEGES) of a catalog's grants, marked where the
    owner's own entry lacks one of its privileges (sources/live_acl.grants; see catalog_kind).
    A stated grant to the owner is then held when the owner's entry holds it (the owner has
    every grant option implicitly): the history's
    ``GRANT EXECUTE … TO postgres`` run by postgres is folded into its entry (supabase/postgres),
    while ``REVOKE EXECUTE … FROM`` the owner takes it out, and PostgreSQL refuses the owner.
    Without ``owner_entry`` (a static reading: its model cannot tell the owner's whole entry,
    which ALTER DEFAULT PRIVILEGES, or a REVOKE from the role that ran the history before
    its OWNER TO, may have cut) a stated owner grant is held only when the source lists the
    owner's own item for it: a GRANT to the known owner that no REVOKE took back, which
    PostgreSQL keeps in the owner's entry (and an OWNER TO merges into the new owner's)."""
    stated = {
        role: sorted({" ".join(str(p).upper().split()) for p in privs or []})
        for role, privs in expected.items()
    }
    want = _pairs(stated)
    have = _pairs(acl(grants, owner))
    if owner is None and isinstance(expected_owner, str):
        have = [p for p in have if p in want or p.split(" ", 1)[0] != expected_owner]
    if owner is not None and owner in stated and expected_owner in (None, owner):
        # the owner's own items the source lists (a GRANT to it that stands): its entry holds
        # them, whatever else it lacks (a static reading lists only what the history granted)
        entry = {
            g.privilege
            for g in held(grants)
            if g.grantee == owner and not g.privilege.startswith(OWNER_LACKS)
        }
        if owner_entry:
            entry |= set(OBJECT_PRIVILEGES[owner_entry]) - owner_lacks(grants, owner)
        kept = [p for p in stated[owner] if p.removesuffix(" WITH GRANT OPTION") in entry]
        have = sorted({*have, *_pairs({owner: kept})})
    return None if want == have else Diff("grants", want, have)


def catalog_kind(ctx: AuditContext, kind: str) -> str | None:
    """``kind`` when the audited model is a catalog's, whose reader marks what an owner's
    own entry lacks; None for a static reading, which does not (a stated owner grant then
    counts as written: never held by an ownership a REVOKE from the owner took away)."""
    return None if ctx.is_static() else kind


def grants_detail(diff: Diff) -> str:
    """``grants: anon UPDATE not in the spec; authenticated EXECUTE missing``."""
    gained = [p for p in diff.actual if p not in diff.expected]
    lost = [p for p in diff.expected if p not in diff.actual]
    parts = [f"{p} not in the spec" for p in gained] + [f"{p} missing" for p in lost]
    return "grants: " + ", ".join(parts)


def owner_diff(expected: str | None, owner: str | None) -> tuple[Diff | None, bool]:
    """(the owner difference, whether it cannot be decided because the source has no owner)."""
    if expected is None:
        return None, False
    if owner is None:
        return None, True
    return (Diff("owner", expected, owner) if owner != expected else None), False


normalize_body = stored_body  # (the audit's and `diff`'s one judgement of a body)


def judge(
    req: Requirement,
    label: str,
    owner: str | None,
    grants: list[Grant],
    other: list[Diff] | None = None,
    owner_entry: str | None = None,
) -> Finding:
    """The finding of an object required for its owner and ACL (schemas, sequences), and
    ``other`` differences its kind found (a sequence's options)."""
    diffs: list[Diff] = list(other or [])
    problems: list[str] = [describe_diffs(diffs)] if diffs else []
    expected_owner, unknown = owner_diff(req.props.get("owner"), owner)
    if expected_owner is not None:
        diffs.append(expected_owner)
        problems.append(f"owner is {owner}, expected {expected_owner.expected}")
    acl_diff = (
        grants_diff(req.props["grants"], grants, owner, req.props.get("owner"), owner_entry)
        if "grants" in req.props
        else None
    )
    if acl_diff is not None:
        diffs.append(acl_diff)
        problems.append(grants_detail(acl_diff))
    if diffs:
        return finding_for(req, Status.FAIL, f"{label} differs: {'; '.join(problems)}", diffs=diffs)
    if unknown:
        return finding_for(
            req,
            Status.DEFERRED,
            f"{label}: owner {req.props['owner']} cannot be decided: {UNKNOWN_OWNER}",
        )
    held = ", ".join(_pairs(acl(grants, owner))) or "no grants but the owner's"
    return finding_for(req, PASS, f"{label}: {held}")


def type_grants_diff(props: dict[str, Any], obj: Any, owner_entry: str | None = None) -> list[Diff]:
    """A domain's or composite type's ``grants:`` (USAGE; PUBLIC's unless revoked) against
    its ACL, when stated: a GRANT / REVOKE … ON DOMAIN / TYPE after ``init`` PASSed."""
    if "grants" not in props:
        return []
    diff = grants_diff(
        props["grants"] or {}, obj.grants, obj.owner, props.get("owner"), owner_entry
    )
    return [diff] if diff is not None else []
