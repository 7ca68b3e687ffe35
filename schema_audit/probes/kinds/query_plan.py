"""Query plan: with production-like data the planner uses the index the spec expects.

Setup: 5,000 synthetic rows spread over 25 tenants (the tenant column's parents and
composite keys made valid), then ``ANALYZE``. The ``query:`` is explained; the plan
must use the ``index:`` named. An index the planner ignores on an empty table is
not judged: it is judged on data shaped like production's.

Spec:

```yaml
probes:
  events_timeline_plan:
    kind: query_plan
    table: events
    query: SELECT * FROM events WHERE tenant_id = 1 ORDER BY created_at DESC LIMIT 50
    index: events_tenant_created_idx
```
"""

from __future__ import annotations

import json
import uuid

import psycopg
from psycopg import sql

from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import Status
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.probes.common import (
    ProbeContext,
    Trace,
    connect,
    error_line,
    make_tenant_parents,
    table_of,
)
from schema_audit.probes.kinds import probe
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement


def _index_names(plan: object) -> list[str]:
    found: list[str] = []
    if isinstance(plan, dict):
        if "Index Name" in plan:
            found.append(plan["Index Name"])
        for value in plan.values():
            found += _index_names(value)
    elif isinstance(plan, list):
        for item in plan:
            found += _index_names(item)
    return found


def _composite_parents(
    maker: RowMaker, model: SchemaModel, table: Table, column: str, ids: list
) -> dict[str, sql.Composable]:
    """For bulk rows spread over tenants: a parent row per tenant for each composite key that
    includes the tenant column (``(org_id, project_id) REFERENCES projects (org_id, id)``), and
    the key's other columns picked with the same index as the tenant, so every row is valid."""
    out: dict[str, sql.Composable] = {}
    for fk in table.foreign_keys.values():
        if column not in fk.columns or len(fk.columns) < 2:
            continue
        parent = model.tables.get(qualify(fk.ref_schema, fk.ref_table))
        if parent is None:
            continue
        tenant_ref = fk.ref_columns[fk.columns.index(column)]
        rows = [maker.insert(parent, {tenant_ref: tenant}) for tenant in ids]
        for col, ref in zip(fk.columns, fk.ref_columns, strict=False):
            if col != column:
                out[col] = sql.SQL("({})[1 + i % {}]").format(
                    sql.SQL("ARRAY[{}]").format(
                        sql.SQL(", ").join(sql.Literal(r[ref]) for r in rows)
                    ),
                    sql.Literal(len(ids)),
                )
    return out


@probe(
    id="query_plan",
    name="query plan",
    protects="the hot query is served by its index on production-sized data",
    severity="moderate",
    hint="create the index the query needs (columns in the order of its WHERE and ORDER BY), "
    "CONCURRENTLY",
)
def probe_query_plan(
    ctx: ProbeContext, req: Requirement, rows: int = 5000, tenants: int = 25
) -> Finding:
    table = table_of(ctx, req)
    query, expected = req.props.get("query"), req.props.get("index")
    if table is None or not query:
        return finding_for(
            req,
            Status.FAIL,
            f"query plan probe: table {req.table} does not exist or no query given",
        )
    trace = Trace()
    column = ctx.spec.settings.get("tenant_column", "tenant_id")
    with connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            overrides: dict[str, sql.Composable] = {}
            if column in table.columns:
                ids = [
                    str(uuid.UUID(int=0x100 + n))
                    if table.columns[column].type == "uuid"
                    else 900100 + n
                    for n in range(tenants)
                ]
                make_tenant_parents(maker, table, column, tuple(ids), ctx.model)
                cast = sql.SQL("::uuid[]") if table.columns[column].type == "uuid" else sql.SQL("")
                overrides[column] = sql.SQL("({}{})[1 + i % {}]").format(
                    sql.Literal(ids), cast, sql.Literal(tenants)
                )
                overrides.update(_composite_parents(maker, ctx.model, table, column, ids))
            maker.insert_many(table, rows, overrides)
            for statement in maker.statements:
                trace.add(statement, "ok (synthetic data)")
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table.schema, table.name)))
            trace.add(f"ANALYZE {table.name}", "ok")
            plan_json = conn.execute(f"EXPLAIN (FORMAT JSON) {query}").fetchone()[0]  # type: ignore[index]
            plan_text = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {query}").fetchall())
            trace.add(f"EXPLAIN {query}", plan_text)
        except SynthesisError as exc:
            return finding_for(
                req,
                Status.DEFERRED,
                f"query plan probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        except psycopg.Error as exc:
            return finding_for(
                req,
                Status.FAIL,
                f"the probe query does not run: {error_line(exc)}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    used = _index_names(plan_json if not isinstance(plan_json, str) else json.loads(plan_json))
    if expected in used:
        return finding_for(
            req,
            Status.PASS,
            f"with {rows} rows the planner uses {expected}",
            evidence=trace.evidence,
        )
    return finding_for(
        req,
        Status.FAIL,
        f"with {rows} rows the planner does not use {expected} (uses: "
        f"{', '.join(used) or 'no index'})",
        diffs=[Diff("index", expected, used)],
        evidence=trace.evidence,
    )
