"""Behaviour checked where the spec did not ask: tenant isolation on every RLS table, and views
that bypass RLS.

On a replay the catalog says which tables have row-level security and a tenant
column; each of them gets the tenant-isolation probe the spec would have declared
(a second permissive ``USING (true)`` policy, a policy on another setting name, or
RLS not forced on a table the application role owns each show up as rows of
another tenant, or no rows of its own). A view that is not ``security_invoker``
runs with its owner's rights: as the application role, rows of another tenant
seen through it are a leak even when the table's policies are right.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.model import Table, View, qualify
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement

_TENANT_COLUMNS = ("tenant_id", "org_id", "organization_id", "account_id", "workspace_id")
_SETTING = re.compile(r"current_setting\('([^']+)'")


def tenant_column(table: Table, configured: str | None) -> str | None:
    """The spec's tenant column, else a usual tenant column the table's policies test."""
    if configured:
        return configured if configured in table.columns else None
    for name in _TENANT_COLUMNS:
        if name in table.columns and any(
            name in (p.using or "") + (p.with_check or "") for p in table.policies.values()
        ):
            return name
    return None


def _requirement(rid: str, table: str, schema: str, props: dict) -> Requirement:
    return Requirement(
        id=rid,
        kind="probe",
        schema=schema,
        table=table,
        name=rid.rsplit(".", 1)[-1],
        severity="high",
        category=None,
        props=props,
        location="(automatic probe)",
    )


def automatic_probes(ctx) -> list[Finding]:  # type: ignore[no-untyped-def]
    """Tenant isolation on every RLS table with a tenant column the spec left unprobed, and
    the view-over-RLS probe on every view reading such a table."""
    from schema_audit.probes.run import probe_tenant_isolation

    declared = {
        qualify(r.schema, r.table)
        for r in ctx.spec.requirements
        if r.kind == "probe" and r.props.get("kind") == "tenant_isolation" and r.table
    }
    configured = ctx.spec.settings.get("tenant_column")
    findings: list[Finding] = []
    tenant_tables: dict[str, str] = {}
    for key, table in sorted(ctx.model.tables.items()):
        column = tenant_column(table, configured) if table.rls_enabled else None
        if column is None:
            continue
        tenant_tables[key] = column
        if key in declared:
            continue
        settings = dict(ctx.spec.settings)
        settings["tenant_column"] = column
        if "tenant_setting" not in settings:
            found = [
                m
                for p in table.policies.values()
                for m in _SETTING.findall((p.using or "") + (p.with_check or ""))
            ]
            if found:
                settings["tenant_setting"] = found[0]
        req = _requirement(
            f"probes.auto.tenant_isolation.{table.schema}.{table.name}",
            table.name,
            table.schema,
            {"kind": "tenant_isolation", "table": table.name},
        )
        try:
            findings.append(probe_tenant_isolation(_with_settings(ctx, settings), req))
        except Exception as exc:  # a probe bug must not sink the audit
            findings.append(finding_for(req, "DEFERRED", f"automatic probe could not run: {exc}"))
    for view in sorted(ctx.model.views.values(), key=lambda v: (v.schema, v.name)):
        bases = [b for b in view.depends_on if b in tenant_tables]
        if view.materialized or not bases:
            continue
        req = _requirement(
            f"probes.auto.view_rls.{view.schema}.{view.name}",
            view.name,
            view.schema,
            {"kind": "view_rls", "view": view.name},
        )
        try:
            findings.append(probe_view_over_rls(ctx, req, view, bases[0], tenant_tables[bases[0]]))
        except Exception as exc:
            findings.append(finding_for(req, "DEFERRED", f"automatic probe could not run: {exc}"))
    return findings


def _with_settings(ctx, settings: dict):  # type: ignore[no-untyped-def]
    """The probe context with the spec's settings completed for one table."""
    from dataclasses import replace

    spec = replace(ctx.spec, settings=settings)
    return replace(ctx, spec=spec)


def probe_view_over_rls(ctx, req: Requirement, view: View, base_key: str, column: str) -> Finding:  # type: ignore[no-untyped-def]
    """As the application role with tenant A set, rows of tenant B read through the view are a leak."""
    from schema_audit.probes.run import (
        _attempt,
        _connect,
        _make_tenant_parents,
        _probe_role,
        _set_tenant,
        _tenant_values,
        _Trace,
    )

    table = ctx.model.tables[base_key]
    setting = ctx.spec.settings.get("tenant_setting") or next(
        (
            m
            for p in table.policies.values()
            for m in _SETTING.findall((p.using or "") + (p.with_check or ""))
        ),
        "app.current_tenant_id",
    )
    if column not in {c.name for c in view.columns}:
        return finding_for(
            req,
            "DEFERRED",
            f"view {view.name} over {table.name} does not show {column}: "
            "which tenant a row belongs to cannot be seen through it",
        )
    trace = _Trace()
    with _connect(ctx) as conn:
        try:
            invoker = conn.execute(
                "SELECT coalesce(bool_or(option_value::boolean), false) FROM pg_class c, "
                "LATERAL pg_options_to_table(c.reloptions) WHERE c.oid = %s::regclass "
                "AND option_name = 'security_invoker'",
                (qualify(view.schema, view.name),),
            ).fetchone()[0]  # type: ignore[index]
            maker = RowMaker(conn, ctx.model)
            a, b = _tenant_values(table, column)
            _make_tenant_parents(maker, table, column, (a, b), ctx.model)
            maker.insert(table, {column: a})
            maker.insert(table, {column: b})
            for statement in maker.statements:
                trace.add(statement, "ok (setup as the owner)")
            role, via = _probe_role(conn, trace, ctx, table)
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            trace.add(f"SET LOCAL ROLE {role}", f"ok ({via})")
            _set_tenant(conn, trace, setting, a)
            query = sql.SQL("SELECT {}::text, count(*) FROM {} GROUP BY 1").format(
                sql.Identifier(column), sql.Identifier(view.schema, view.name)
            )
            ok, rows, err = _attempt(conn, trace, query, fetch=True)
        except SynthesisError as exc:
            return finding_for(
                req, "DEFERRED", f"view probe could not set up data: {exc}", evidence=trace.evidence
            )
        finally:
            conn.rollback()
    mode = "security_invoker" if invoker else "the owner's rights (security_invoker off)"
    if not ok:
        text = str(err).strip().splitlines()[0] if err else "error"
        if isinstance(err, psycopg.errors.InsufficientPrivilege):
            return finding_for(
                req,
                "PASS",
                f"view {view.name} is not readable by the application role ({text})",
                evidence=trace.evidence,
            )
        return finding_for(
            req, "DEFERRED", f"view probe query failed: {text}", evidence=trace.evidence
        )
    seen = {str(k): n for k, n in rows}
    if seen.get(str(b)):
        return finding_for(
            req,
            "FAIL",
            f"view {view.name} runs with {mode}: with {setting} = A the application role sees "
            f"{seen[str(b)]} row(s) of tenant B of {table.name} through it",
            diffs=[Diff("isolation", "holds", "rows of another tenant visible through the view")],
            evidence=trace.evidence,
        )
    return finding_for(
        req,
        "PASS",
        f"view {view.name} ({mode}) shows the application role only its tenant's rows of "
        f"{table.name}",
        evidence=trace.evidence,
    )
