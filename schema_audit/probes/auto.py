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

from dataclasses import replace

from schema_audit.audit.findings import Finding, finding_for
from schema_audit.enums import Status
from schema_audit.model import Table, qualify
from schema_audit.probes.common import ProbeContext, policy_setting
from schema_audit.probes.kinds import registry
from schema_audit.spec.model import Requirement

_TENANT_COLUMNS = ("tenant_id", "org_id", "organization_id", "account_id", "workspace_id")


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
    """The requirement an automatic probe answers, with its kind's registered severity."""
    return Requirement(
        id=rid,
        kind="probe",
        schema=schema,
        table=table,
        name=rid.rsplit(".", 1)[-1],
        severity=registry()[props["kind"]].severity,
        category=None,
        props=props,
        at="(automatic probe)",
    )


def automatic_probes(ctx: ProbeContext) -> list[Finding]:
    """Tenant isolation on every RLS table with a tenant column the spec left unprobed, and
    the view-over-RLS probe on every view reading such a table."""
    isolation, view_rls = registry()["tenant_isolation"].check, registry()["view_rls"].check
    assert isolation is not None and view_rls is not None
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
        found = policy_setting(table)
        if "tenant_setting" not in settings and found:
            settings["tenant_setting"] = found
        req = _requirement(
            f"probes.auto.tenant_isolation.{table.schema}.{table.name}",
            table.name,
            table.schema,
            {"kind": "tenant_isolation", "table": table.name},
        )
        try:
            findings.append(isolation(_with_settings(ctx, settings), req))
        except Exception as exc:  # a probe bug must not sink the audit
            findings.append(
                finding_for(req, Status.DEFERRED, f"automatic probe could not run: {exc}")
            )
    views = sorted(ctx.model.views.items(), key=lambda kv: (kv[1].schema, kv[1].name))
    for view_key, view in views:
        bases = [b for b in view.depends_on if b in tenant_tables]
        if view.materialized or not bases:
            continue
        req = _requirement(
            f"probes.auto.view_rls.{view.schema}.{view.name}",
            view.name,
            view.schema,
            {
                "kind": "view_rls",
                "view": view.name,
                "view_key": view_key,
                "base": bases[0],
                "column": tenant_tables[bases[0]],
            },
        )
        try:
            findings.append(view_rls(ctx, req))
        except Exception as exc:
            findings.append(
                finding_for(req, Status.DEFERRED, f"automatic probe could not run: {exc}")
            )
    return findings


def _with_settings(ctx: ProbeContext, settings: dict) -> ProbeContext:
    """The probe context with the spec's settings completed for one table."""
    spec = replace(ctx.spec, settings=settings)
    return replace(ctx, spec=spec)
