"""View over RLS (automatic): a view does not show the application another tenant's rows.

Run on a complete replay for every view reading a table with row-level security
and a tenant column (never declared in a spec). A view that is not
``security_invoker`` runs with its owner's rights, so the table's policies are
judged for the owner, not the caller. Setup, as the owner: a row of tenant A and
one of tenant B. Then, as a fresh role holding the application role's grants with
the tenant setting at A: rows of B read through the view FAIL the probe. A view
the application cannot read at all passes; one that does not show the tenant
column is DEFERRED (which tenant a row belongs to cannot be seen through it).
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.model import qualify
from schema_audit.probes.common import (
    ProbeContext,
    Trace,
    attempt,
    connect,
    policy_setting,
    probe_role,
    set_role,
    set_tenant,
    two_tenants,
)
from schema_audit.probes.kinds import probe
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement


@probe(
    id="view_rls",
    name="view over row-level security",
    protects="a view over a tenant table shows the application only its tenant's rows",
    severity="high",
    hint="ALTER VIEW … SET (security_invoker = true) (PostgreSQL 15+), or filter on the tenant "
    "setting in the view itself",
    declared=False,
)
def probe_view_over_rls(ctx: ProbeContext, req: Requirement) -> Finding:
    """As the application role with tenant A set, rows of tenant B read through the view are a leak."""
    view = ctx.model.views[req.props["view_key"]]
    base_key, column = req.props["base"], req.props["column"]
    table = ctx.model.tables[base_key]
    setting = (
        ctx.spec.settings.get("tenant_setting") or policy_setting(table) or "app.current_tenant_id"
    )
    if column not in {c.name for c in view.columns}:
        return finding_for(
            req,
            Status.DEFERRED,
            f"view {view.name} over {table.name} does not show {column}: "
            "which tenant a row belongs to cannot be seen through it",
        )
    trace = Trace()
    with connect(ctx) as conn:
        try:
            invoker = conn.execute(
                "SELECT coalesce(bool_or(option_value::boolean), false) FROM pg_class c, "
                "LATERAL pg_options_to_table(c.reloptions) WHERE c.oid = %s::regclass "
                "AND option_name = 'security_invoker'",
                (qualify(view.schema, view.name),),
            ).fetchone()[0]  # type: ignore[index]
            maker = RowMaker(conn, ctx.model)
            a, b = two_tenants(maker, table, column, ctx.model)
            for statement in maker.statements:
                trace.add(statement, "ok (setup as the owner)")
            role, via = probe_role(conn, trace, ctx, table)
            set_role(conn, trace, role, via)
            set_tenant(conn, trace, setting, a)
            query = sql.SQL("SELECT {}::text, count(*) FROM {} GROUP BY 1").format(
                sql.Identifier(column), sql.Identifier(view.schema, view.name)
            )
            ok, rows, err = attempt(conn, trace, query, fetch=True)
        except SynthesisError as exc:
            return finding_for(
                req,
                Status.DEFERRED,
                f"view probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    mode = "security_invoker" if invoker else "the owner's rights (security_invoker off)"
    if not ok:
        text = str(err).strip().splitlines()[0] if err else "error"
        if isinstance(err, psycopg.errors.InsufficientPrivilege):
            return finding_for(
                req,
                Status.PASS,
                f"view {view.name} is not readable by the application role ({text})",
                evidence=trace.evidence,
            )
        return finding_for(
            req, Status.DEFERRED, f"view probe query failed: {text}", evidence=trace.evidence
        )
    seen = {str(k): n for k, n in rows}
    if seen.get(str(b)):
        return finding_for(
            req,
            Status.FAIL,
            f"view {view.name} runs with {mode}: with {setting} = A the application role sees "
            f"{seen[str(b)]} row(s) of tenant B of {table.name} through it",
            diffs=[Diff("isolation", "holds", "rows of another tenant visible through the view")],
            evidence=trace.evidence,
        )
    return finding_for(
        req,
        Status.PASS,
        f"view {view.name} ({mode}) shows the application role only its tenant's rows of "
        f"{table.name}",
        evidence=trace.evidence,
    )
