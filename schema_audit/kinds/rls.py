"""Row-level security on a table: enabled, forced (the owner is held to it too), and
``isolation``: the predicate every command is held to, judged on the effective
policies (permissive ORed, restrictive ANDed, WITH CHECK defaulting to USING).

```yaml
tables:
  invoices:
    rls: {enabled: true, forced: true, isolation: "tenant_id = current_setting('app.tenant')::uuid"}
```

A permissive policy that admits other rows FAILs the isolation and is named.
"""

from __future__ import annotations

from schema_audit import model_ddl
from schema_audit.audit import policysem
from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, describe_diffs, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.kinds._common import diff_of
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.spec.fragments import COMMON, obj, string, strings
from schema_audit.spec.model import Requirement

SCHEMA = obj(
    {
        **COMMON,
        "enabled": {"type": "boolean"},
        "forced": {"type": "boolean"},
        "isolation": string(
            "Predicate every command is held to, judged on the effective policies "
            "(permissive ORed, restrictive ANDed, WITH CHECK defaulting to USING): "
            "a permissive policy that admits other rows FAILs it and is named."
        ),
        "roles": strings(
            "Roles the isolation is judged for (their memberships and PUBLIC count); "
            "default: every role."
        ),
    },
    "Row-level security state.",
)


def recommend(f: Finding, req: Requirement | None, model: SchemaModel) -> str:
    steps = [
        f"ALTER TABLE {f.table or ''} {verb} ROW LEVEL SECURITY"
        for prop, verb in (("enabled", "ENABLE"), ("forced", "FORCE"))
        if (d := diff_of(f, prop)) and d.expected
    ]
    return "; ".join(steps) or f.message


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    target = qualify(req.schema, req.table) if req.table else "*"
    return [Facet(req.kind, target)]


@requirement_kind(
    id="rls",
    name="Row-level security",
    title="Row-level security",
    group="security",
    hint="ALTER TABLE … ENABLE / FORCE ROW LEVEL SECURITY",
    spec="tables.<table>.rls",
    schema=SCHEMA,
    recommend=recommend,
    facets=facets,
    facets_on_table=True,
)
def check_rls(req: Requirement, ctx: AuditContext) -> Finding:
    table = ctx.table(req)
    assert table is not None
    diffs: list[Diff] = []
    if "enabled" in req.props and req.props["enabled"] != table.rls_enabled:
        diffs.append(Diff("enabled", req.props["enabled"], table.rls_enabled))
    if "forced" in req.props and req.props["forced"] != table.rls_forced:
        diffs.append(Diff("forced", req.props["forced"], table.rls_forced))
    problems = [describe_diffs([d], lambda value: str(value).lower()) for d in diffs]
    state = f"RLS {'enabled' if table.rls_enabled else 'disabled'}, {'forced' if table.rls_forced else 'not forced'}"
    ddl_lines = []
    if table.rls_enabled:
        ddl_lines.append(f"ALTER TABLE {table.name} ENABLE ROW LEVEL SECURITY;")
    if table.rls_forced:
        ddl_lines.append(f"ALTER TABLE {table.name} FORCE ROW LEVEL SECURITY;")
    rls_provenance = [
        p for p in table.provenance if p.sql and "row level security" in p.sql.lower()
    ]
    evidence = ctx.evidence(rls_provenance, "\n".join(ddl_lines) or f"-- {table.name}: {state}")
    if "isolation" in req.props:
        isolation_diffs, note = _isolation(req, table, ctx)
        diffs += isolation_diffs
        if isolation_diffs:
            problems.append(note)
        else:
            state = f"{state}; {note}"
        for policy in sorted(table.policies.values(), key=lambda p: p.name):
            evidence += ctx.evidence(policy.provenance, model_ddl.create_policy(policy, table))
    ddl = "\n".join(ddl_lines) or None
    if diffs:
        return finding_for(
            req,
            Status.FAIL,
            f"{table.name}: {'; '.join(problems)}",
            diffs=diffs,
            evidence=evidence,
            ddl=ddl,
            name="rls",
        )
    return finding_for(req, PASS, f"{table.name}: {state}", evidence=evidence, ddl=ddl, name="rls")


def _isolation(req: Requirement, table: Table, ctx: AuditContext) -> tuple[list[Diff], str]:
    """Diffs and a note for ``rls: {isolation: …}``: the predicate every command is held to.

    Judged on the effective predicate of each command (every permissive policy ORed, every
    restrictive one ANDed, for the roles named or any role), so a second permissive
    ``USING (true)`` policy voids the isolation and is named.
    """
    wanted = req.props["isolation"]
    if not table.rls_enabled:
        return [Diff("isolation", wanted, "RLS disabled")], (
            f"isolation {wanted!r} is not enforced: RLS is disabled, every row is visible"
        )
    roles = policysem.role_scope(ctx.model, req.props.get("roles"))
    breaches = policysem.isolation_breaches(table, wanted, ctx.model, roles)
    diffs = [
        Diff(
            f"isolation[{b.command} {b.which.upper().replace('_', ' ')}]",
            wanted,
            f"{b.effective} — weakened by "
            + ", ".join(
                f"{p.name} ({'all' if p.command == 'ALL' else p.command})" for p in b.culprits
            ),
        )
        for b in breaches
    ]
    if breaches:
        culprits = sorted({p.name for b in breaches for p in b.culprits})
        commands = ", ".join(f"{b.command} {b.which.replace('_', ' ').upper()}" for b in breaches)
        return diffs, (
            f"isolation {wanted!r} is not enforced ({commands}): permissive "
            f"polic{'y' if len(culprits) == 1 else 'ies'} {', '.join(culprits)} "
            f"admit{'s' if len(culprits) == 1 else ''} other rows"
        )
    forced = "" if table.rls_forced else " (not forced: the owner bypasses it)"
    return [], f"every command held to {wanted}{forced}"
