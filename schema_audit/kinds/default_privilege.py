"""Default privileges (``ALTER DEFAULT PRIVILEGES``, ``pg_default_acl``): what every
table, sequence, function, type or schema a role creates later will grant. Each entry
requires that the role's future objects grant ``to`` these privileges; with
``strict: {default_privileges: true}`` an entry the spec does not state FAILs
(``strict.default_privileges``), since a ``GRANT … ON TABLES TO PUBLIC`` silently
reaches every table created after it. ``for_role`` is the creating role (absent: any
role, e.g. the one running the migrations); ``schema`` limits it to one schema
(absent: the database-wide entry). PostgreSQL's built-in defaults (EXECUTE on
functions and USAGE on types to PUBLIC) are not entries.

```yaml
default_privileges:
  - {for_role: app_owner, schema: app, objects: tables, to: reporting, grant: [SELECT]}
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.kinds import requirement_kind
from schema_audit.model import OBJECT_PRIVILEGES, DefaultPrivilege
from schema_audit.spec.fragments import req_schema, string
from schema_audit.spec.model import Requirement

OBJECT_TYPES = list(OBJECT_PRIVILEGES)
ALL_PRIVILEGES = sorted({p for ps in OBJECT_PRIVILEGES.values() for p in ps} | {"MAINTAIN"})

SCHEMA = req_schema(
    {
        "for_role": string("The creating role (absent: any role, e.g. the migrations' one)."),
        "schema": string("Only objects created in this schema (absent: the database-wide entry)."),
        "objects": {"enum": OBJECT_TYPES, "description": "Kind of object the default applies to."},
        "to": string("The grantee: a role name or 'public'."),
        "grant": {
            "type": "array",
            "items": {"enum": [*ALL_PRIVILEGES, "ALL"]},
            "description": "Privileges objects created later will grant (ALL: every one of the kind).",
        },
        "grant_option": {
            "type": "array",
            "items": {"enum": [*ALL_PRIVILEGES, "ALL"]},
            "description": "Of those, the ones granted WITH GRANT OPTION (compared when stated; "
            "under strict.default_privileges a grant option no entry states FAILs).",
        },
    },
    "A default privilege requirement.",
    ["objects", "to", "grant"],
)


def wanted(props: Mapping[str, Any], key: str = "grant") -> list[str]:
    """The privileges an entry states (``grant``, or ``grant_option``), ALL expanded for its
    kind of object."""
    out: list[str] = []
    for p in props.get(key) or []:
        for q in OBJECT_PRIVILEGES[props["objects"]] if p == "ALL" else [p]:
            if q not in out:
                out.append(q)
    return out


def concerns(props: Mapping[str, Any], entry: DefaultPrivilege) -> bool:
    """Whether ``entry`` is about the spec entry's role, schema, kind of object and grantee.
    An unknown creating role on either side (a spec without ``for_role``, a history's own
    role) matches any: who runs the migrations is not in the source."""
    role = props.get("for_role")
    return (
        entry.object_type == props["objects"]
        and entry.grantee == props["to"]
        and entry.schema == props.get("schema")
        and (role is None or entry.owner is None or entry.owner == role)
    )


def states(props: Mapping[str, Any], entry: DefaultPrivilege) -> bool:
    """Whether a spec entry states ``entry`` (its privilege included, and its grant option:
    only an entry whose ``grant_option`` names the privilege states a grantable one)."""
    return (
        concerns(props, entry)
        and entry.privilege in wanted(props)
        and (not entry.grantable or entry.privilege in wanted(props, "grant_option"))
    )


def sql(entry: DefaultPrivilege) -> str:
    """The statement that makes ``entry``, for messages and evidence."""
    return (
        "ALTER DEFAULT PRIVILEGES"
        + (f" FOR ROLE {entry.owner}" if entry.owner else "")
        + (f" IN SCHEMA {entry.schema}" if entry.schema else "")
        + f" GRANT {entry.privilege} ON {entry.object_type.upper()} TO {entry.grantee}"
        + (" WITH GRANT OPTION" if entry.grantable else "")
    )


def label(item: Mapping[str, Any], index: int) -> str:
    return f"{item.get('objects')}_to_{item.get('to')}_{index}"


def recommend(f: Finding, req: Requirement | None, model: Any) -> str:
    return f"ALTER DEFAULT PRIVILEGES … GRANT/REVOKE to match the spec: {f.message}"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("privilege"), Facet("role")]


@requirement_kind(
    id="default_privilege",
    name="Default privilege",
    title="Default privileges",
    group="security",
    hint="ALTER DEFAULT PRIVILEGES … GRANT/REVOKE to match the spec",
    spec="default_privileges[]",
    schema=SCHEMA,
    recommend=recommend,
    label=label,
    facets=facets,
)
def check_default_privilege(req: Requirement, ctx: AuditContext) -> Finding:
    props = req.props
    entries = [e for e in ctx.model.default_privileges if concerns(props, e)]
    held = sorted({e.privilege for e in entries})
    lacking = [p for p in wanted(props) if p not in held]
    if "grant_option" in props:
        options = {e.privilege for e in entries if e.grantable}
        lacking += [
            f"{p} WITH GRANT OPTION"
            for p in wanted(props, "grant_option")
            if p not in options and p not in lacking
        ]
    where = (
        (f"for role {props['for_role']} " if props.get("for_role") else "")
        + (f"in schema {props['schema']} " if props.get("schema") else "")
        + f"new {props['objects']} grant {props['to']}"
    )
    ddl = "\n".join(sql(e) + ";" for e in entries) or "-- no such default privilege"
    if lacking:
        return finding_for(
            req,
            "FAIL",
            f"default privileges: {where} {'/'.join(held) or 'nothing'}, not {'/'.join(lacking)}",
            diffs=[Diff("default_privileges", wanted(props), held)],
            ddl=ddl,
        )
    return finding_for(req, "PASS", f"default privileges: {where} {'/'.join(held)}", ddl=ddl)
