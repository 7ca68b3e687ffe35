"""Strict mode for default privileges: an ``ALTER DEFAULT PRIVILEGES`` entry
(``pg_default_acl``) no ``default_privileges:`` entry states FAILs. A database-wide
``GRANT SELECT ON TABLES TO PUBLIC`` reaches every table created later without
touching any table the spec lists, so only this requirement sees it.

```yaml
strict: {default_privileges: true}
default_privileges:
  - {objects: tables, to: reporting, grant: [SELECT]}
```
"""

from __future__ import annotations

from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.kinds import requirement_kind
from schema_audit.kinds.default_privilege import facets, sql, states
from schema_audit.spec.model import Requirement


@requirement_kind(
    id="strict_default_privileges",
    name="Exactly these default privileges",
    title="Unexpected default privileges",
    group="strict",
    hint="ALTER DEFAULT PRIVILEGES … REVOKE it, or state it under default_privileges:",
    spec="strict.default_privileges",
    last=True,
    facets=facets,
)
def check_strict_default_privileges(req: Requirement, ctx: AuditContext) -> Finding:
    stated = [r.props for r in ctx.of_kind("default_privilege")]
    extra = sorted(
        sql(e)
        for e in ctx.model.default_privileges
        if not any(states(props, e) for props in stated)
    )
    if extra:
        return finding_for(
            req,
            "FAIL",
            f"default privileges the spec does not state: {'; '.join(extra)}",
            diffs=[Diff("default_privileges", "only the stated ones", extra)],
            name="default_privileges",
        )
    return finding_for(
        req, "PASS", "exactly the stated default privileges", name="default_privileges"
    )
