"""Tenant isolation: with the tenant setting at A, only A's rows are visible and writable.

Setup, as the owner: a row of tenant A and a row of tenant B (and the parent rows
their foreign keys need). Then, as a fresh role holding the application role's
grants (``settings.app_role``; without one, SELECT and INSERT granted directly)
with the tenant setting (``setting:``, else ``settings.tenant_setting``, default
``app.current_tenant_id``) set to A: counting rows per tenant must show A's row
and no row of B, and inserting a row for tenant B must be refused (a policy
without ``WITH CHECK`` lets it in). With the setting unset, any visible row is a
FAIL. Finally, as the table's owner: rows of B visible mean RLS is not forced, so
an application connecting as the owner bypasses it (a superuser owner is named:
superusers bypass RLS even when forced). A cross-tenant insert rejected by
anything but RLS or a privilege is noted, not counted as isolation.

Spec:

```yaml
probes:
  documents_isolated: {kind: tenant_isolation, table: documents}
```
"""

from __future__ import annotations

from psycopg import sql

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.probes.common import (
    ProbeContext,
    Trace,
    attempt,
    connect,
    error_line,
    probe_role,
    set_role,
    set_tenant,
    table_of,
    two_tenants,
)
from schema_audit.probes.kinds import probe
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement


@probe(
    id="tenant_isolation",
    name="tenant isolation",
    protects="row-level security keeps each tenant to its own rows, for reading and writing",
    severity="high",
    hint="ENABLE and FORCE ROW LEVEL SECURITY with a policy USING and WITH CHECK "
    "(tenant_id = current_setting('app.current_tenant_id')::…) and no permissive USING (true)",
)
def probe_tenant_isolation(ctx: ProbeContext, req: Requirement) -> Finding:
    table = table_of(ctx, req)
    column = ctx.spec.settings.get("tenant_column", "tenant_id")
    setting = req.props.get("setting") or ctx.spec.settings.get(
        "tenant_setting", "app.current_tenant_id"
    )
    if table is None or column not in table.columns:
        return finding_for(
            req,
            Status.FAIL,
            f"tenant isolation probe: {req.table} has no tenant column {column}",
            diffs=[Diff("tenant_column", column, None)],
        )
    trace = Trace()
    problems: list[str] = []
    notes: list[str] = []
    with connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            a, b = two_tenants(maker, table, column, ctx.model)
            b_values = maker.values(table, {column: b})  # parents made now, while still the owner
            for statement in maker.statements:
                trace.add(statement, "ok (setup as the owner)")
            role, via = probe_role(conn, trace, ctx, table)
            set_role(conn, trace, role, via)
            set_tenant(conn, trace, setting, a)
            count = sql.SQL("SELECT {col}::text, count(*) FROM {t} GROUP BY 1").format(
                col=sql.Identifier(column), t=sql.Identifier(table.schema, table.name)
            )
            ok, rows, err = attempt(conn, trace, count, fetch=True)
            if not ok:
                problems.append(f"the application role cannot read {table.name}: {error_line(err)}")
            else:
                seen = {str(k): n for k, n in rows}
                if seen.get(str(b)):
                    problems.append(
                        f"with {setting} = A, {seen[str(b)]} row(s) of tenant B are visible"
                    )
                if not seen.get(str(a)):
                    problems.append(f"with {setting} = A, tenant A's own row is not visible")
            insert_b = RowMaker._insert_sql(table, b_values, returning=False)
            ok, _, err = attempt(conn, trace, insert_b)
            if ok:
                problems.append(
                    f"with {setting} = A, inserting a row for tenant B succeeded (no WITH CHECK?)"
                )
            elif "row-level security" not in error_line(
                err
            ) and "permission denied" not in error_line(err):
                notes.append(f"cross-tenant insert rejected, but not by RLS: {error_line(err)}")
            conn.execute("SELECT set_config(%s, '', true)", (setting,))
            ok, rows, err = attempt(conn, trace, count, fetch=True)
            notes.append(
                "with the setting unset: "
                + (
                    f"error ({error_line(err)})"
                    if not ok
                    else f"{sum(n for _, n in rows)} row(s) visible"
                )
            )
            if ok and rows:
                problems.append(
                    f"with {setting} unset, {sum(n for _, n in rows)} row(s) are visible"
                )
            conn.execute("RESET ROLE")
            owner = ctx.model.roles.get(table.owner or "")
            if owner is not None and owner.superuser:
                notes.append(
                    f"owner {table.owner} is a superuser: superusers bypass RLS even when FORCEd"
                )
            elif table.owner:
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(table.owner)))
                set_tenant(conn, trace, setting, a)
                ok, rows, err = attempt(conn, trace, count, fetch=True)
                if ok and {str(k): n for k, n in rows}.get(str(b)):
                    problems.append(
                        f"the owner {table.owner} sees tenant B's rows (RLS not forced)"
                    )
                conn.execute("RESET ROLE")
        except SynthesisError as exc:
            conn.rollback()
            return finding_for(
                req,
                Status.DEFERRED,
                f"tenant isolation probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    message = f"tenant isolation on {table.name}: " + (
        "; ".join(problems)
        if problems
        else "only the current tenant's rows are visible and writable"
    )
    if notes:
        message += " (" + "; ".join(notes) + ")"
    return finding_for(
        req,
        Status.FAIL if problems else Status.PASS,
        message,
        evidence=trace.evidence,
        diffs=[Diff("isolation", "holds", p) for p in problems],
    )
