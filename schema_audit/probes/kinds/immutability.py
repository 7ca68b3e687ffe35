"""Immutability: rows of the table cannot be updated or deleted, by the application or the owner.

Setup, as the owner: one row. Then UPDATE of each writable column on its own
(column grants differ; generated columns and identity ``ALWAYS`` columns are never
written, a write to them fails whatever the protections) and DELETE, first as a
fresh role holding the application role's grants, then as the owner. Any UPDATE
or DELETE that changes a row FAILs the probe. Every rejection is attributed by
SQLSTATE and origin (``probes/attribution.py``): 42501 is the privilege layer or
row-level security, an error raised in an enabled trigger of the table is that
trigger; 428C9 (generated column), 23xxx (a constraint on the probe's own data) or
anything unexplained protects nothing, and leaves the probe DEFERRED, never PASS.

Spec:

```yaml
probes:
  ledger_immutable: {kind: immutability, table: ledger}
```
"""

from __future__ import annotations

from psycopg import sql

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.model import Table
from schema_audit.probes.common import (
    ProbeContext,
    Trace,
    attempt,
    connect,
    make_tenant_parents,
    probe_role,
    set_role,
    set_tenant,
    table_of,
    tenant_values,
    where_pk,
)
from schema_audit.probes.kinds import probe
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement


def _writable_columns(table: Table) -> list[str]:
    """Columns an UPDATE may name: not generated, not GENERATED ALWAYS AS IDENTITY; keys last."""
    keys = set(table.primary_key.columns if table.primary_key else [])
    for fk in table.foreign_keys.values():
        keys.update(fk.columns)
    writable = [
        c.name for c in table.columns.values() if not c.generated and c.identity != "always"
    ]
    return [c for c in writable if c not in keys] + [c for c in writable if c in keys]


@probe(
    id="immutability",
    name="immutability",
    protects="rows cannot be updated or deleted, by the application role or by the owner",
    severity="high",
    hint="REVOKE UPDATE, DELETE from the application role and add a BEFORE UPDATE OR DELETE "
    "trigger that raises (it holds the owner too)",
)
def probe_immutability(ctx: ProbeContext, req: Requirement) -> Finding:
    """UPDATE (each writable column alone: column grants differ) and DELETE, as the application
    role and as the owner. Each rejection is attributed by SQLSTATE and origin; one of the probe's
    own making (a generated column, a constraint on its data) or an unexplained one settles nothing."""
    from schema_audit.probes.attribution import attribute

    table = table_of(ctx, req)
    if table is None:
        return finding_for(
            req, Status.FAIL, f"immutability probe: table {req.table} does not exist"
        )
    trace = Trace()
    column = ctx.spec.settings.get("tenant_column", "tenant_id")
    setting = ctx.spec.settings.get("tenant_setting", "app.current_tenant_id")
    outcomes: dict[str, str] = {}
    allowed: list[str] = []
    unsettled: list[str] = []
    writable = _writable_columns(table)
    if not writable:
        return finding_for(
            req,
            Status.DEFERRED,
            f"immutability probe: {table.name} has no column an UPDATE may write "
            "(all generated or identity ALWAYS)",
        )
    with connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            overrides: dict[str, object] = {}
            if column in table.columns:
                a, _ = tenant_values(table, column)
                make_tenant_parents(maker, table, column, (a,), ctx.model)
                overrides[column] = a
            row = maker.insert(table, overrides)
            for statement in maker.statements:
                trace.add(statement, "ok (setup as the owner)")
            where = where_pk(table, row)
            target = sql.Identifier(table.schema, table.name)
            updates = [
                (
                    f"UPDATE of {name}",
                    sql.SQL("UPDATE {} SET {} = {} WHERE {}").format(
                        target, sql.Identifier(name), sql.Identifier(name), where
                    ),
                )
                for name in writable
            ]
            delete = sql.SQL("DELETE FROM {} WHERE {}").format(target, where)
            role, via = probe_role(conn, trace, ctx, table)
            for who in ("application role", "owner"):
                if who == "application role":
                    set_role(conn, trace, role, via)
                    if column in table.columns:
                        set_tenant(conn, trace, setting, overrides[column])
                for verb, statements in (("UPDATE", updates), ("DELETE", [("DELETE", delete)])):
                    results: list[str] = []
                    for label, statement in statements:
                        ok, count, err = attempt(conn, trace, statement)
                        if ok and count:
                            results.append(f"{label} ALLOWED")
                            allowed.append(
                                f"the {who} can {verb} rows"
                                + (f" (column {label[10:]})" if verb == "UPDATE" else "")
                            )
                            break
                        if ok:
                            results.append(f"{label} affected no row")
                            continue
                        rejection = attribute(err, table, verb)
                        results.append(f"{label} {rejection.describe()}")
                        if not rejection.protects:
                            unsettled.append(f"{who} {label}: {rejection.detail}")
                    outcomes[f"{who} {verb}"] = "; ".join(results)
                conn.execute("RESET ROLE")
        except SynthesisError as exc:
            return finding_for(
                req,
                Status.DEFERRED,
                f"immutability probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    detail = "; ".join(f"{k}: {v}" for k, v in outcomes.items())
    if allowed:
        return finding_for(
            req,
            Status.FAIL,
            f"{table.name} is not immutable: {', '.join(dict.fromkeys(allowed))} ({detail})",
            evidence=trace.evidence,
            diffs=[Diff("immutable", True, False)],
        )
    if unsettled:
        return finding_for(
            req,
            Status.DEFERRED,
            f"immutability of {table.name} not settled: a rejection of the probe's own making or "
            f"an unexplained one is not a protection ({'; '.join(unsettled)})",
            evidence=trace.evidence,
        )
    return finding_for(
        req, Status.PASS, f"{table.name} is immutable: {detail}", evidence=trace.evidence
    )
