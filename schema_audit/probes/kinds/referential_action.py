"""Referential action: deleting a parent row does to the child row what the spec expects.

Setup: a parent row and a child row referencing it through the table's foreign
key to ``parent:`` (a bare name matches in the table's own schema first). Then the
parent row is deleted: the child row gone is CASCADE, its key columns NULL is SET
NULL, changed is SET DEFAULT, the delete refused by the foreign key is RESTRICT
(or NO ACTION, the same observable outcome). The observed action must be
``expect:`` (default CASCADE).

Spec:

```yaml
probes:
  invoices_cascade: {kind: referential_action, table: invoices, parent: customers, expect: CASCADE}
```
"""

from __future__ import annotations

from psycopg import sql

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.model import Table, qualify
from schema_audit.probes.common import (
    ProbeContext,
    Trace,
    attempt,
    connect,
    error_line,
    table_of,
    where_pk,
)
from schema_audit.probes.kinds import probe
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement


def _foreign_key_to(table: Table, parent: str):
    """The table's foreign key to ``parent`` (``name`` or ``schema.name``): a bare name matches
    in the table's own schema first, then in any schema."""
    if "." in parent and not parent.startswith('"'):
        schema, _, name = parent.partition(".")
        return next(
            (
                f
                for f in table.foreign_keys.values()
                if f.ref_table == name and f.ref_schema == schema
            ),
            None,
        )
    matches = [f for f in table.foreign_keys.values() if f.ref_table == parent.strip('"')]
    own = [f for f in matches if f.ref_schema == table.schema]
    return (own or matches or [None])[0]


@probe(
    id="referential_action",
    name="referential action",
    protects="deleting a parent row does what the foreign key promises (CASCADE, SET NULL, "
    "RESTRICT)",
    severity="high",
    hint="declare the foreign key with the intended ON DELETE action",
)
def probe_referential_action(ctx: ProbeContext, req: Requirement) -> Finding:
    table = table_of(ctx, req)
    parent_name = req.props.get("parent")
    expect = (req.props.get("expect") or "CASCADE").upper()
    if table is None:
        return finding_for(
            req, Status.FAIL, f"referential action probe: table {req.table} does not exist"
        )
    fk = _foreign_key_to(table, str(parent_name or ""))
    if fk is None:
        return finding_for(
            req,
            Status.FAIL,
            f"{table.name} has no foreign key to {parent_name}",
            diffs=[Diff("foreign_key", parent_name, None)],
        )
    parent = ctx.model.tables.get(qualify(fk.ref_schema, fk.ref_table))
    trace = Trace()
    with connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            parent_row = maker.insert(parent, {})
            overrides = {
                col: parent_row[ref] for col, ref in zip(fk.columns, fk.ref_columns, strict=False)
            }
            column = ctx.spec.settings.get("tenant_column", "tenant_id")
            if column in table.columns and column not in overrides:
                tenant_fk = next(
                    (f for f in table.foreign_keys.values() if f.columns == [column]), None
                )
                if tenant_fk is not None:
                    tenant_parent = ctx.model.tables.get(
                        qualify(tenant_fk.ref_schema, tenant_fk.ref_table)
                    )
                    tenant_row = maker.insert(tenant_parent, {})
                    overrides[column] = tenant_row[tenant_fk.ref_columns[0]]
            child = maker.insert(table, overrides)
            for statement in maker.statements:
                trace.add(statement, "ok (setup)")
            delete = sql.SQL("DELETE FROM {} WHERE {}").format(
                sql.Identifier(parent.schema, parent.name), where_pk(parent, parent_row)
            )
            ok, _, err = attempt(conn, trace, delete)
            if not ok:
                text = error_line(err)
                outcome = "RESTRICT" if "foreign key constraint" in text else f"refused: {text}"
            else:
                look = sql.SQL("SELECT {} FROM {} WHERE {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in fk.columns),
                    sql.Identifier(table.schema, table.name),
                    where_pk(table, child),
                )
                _, rows, _ = attempt(conn, trace, look, fetch=True)
                if not rows:
                    outcome = "CASCADE"
                elif all(v is None for v in rows[0]):
                    outcome = "SET NULL"
                else:
                    outcome = (
                        "SET DEFAULT"
                        if rows[0] != tuple(overrides[c] for c in fk.columns)
                        else "kept"
                    )
        except SynthesisError as exc:
            return finding_for(
                req,
                Status.DEFERRED,
                f"referential action probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    wanted = {"RESTRICT", "NO ACTION"} if expect in ("RESTRICT", "NO ACTION") else {expect}
    label = f"deleting a {parent.name} row → {table.name}"
    if outcome in wanted:
        return finding_for(
            req, Status.PASS, f"{label}: {outcome}, as expected", evidence=trace.evidence
        )
    return finding_for(
        req,
        Status.FAIL,
        f"{label}: expected {expect}, observed {outcome}",
        diffs=[Diff("on_delete_behaviour", expect, outcome)],
        evidence=trace.evidence,
    )
