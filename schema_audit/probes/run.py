"""Behavioural probes: what the schema does, not only what it declares.

Each probe runs on a scratch database the tool created (never a ``--dsn``
target), in its own transaction that is rolled back at the end, with a
statement timeout. The statements run and the outcomes seen are the evidence.

* tenant_isolation: as a fresh role with the application role's grants, set the
  tenant setting to A and check that only A's rows are visible and that writing
  a row of tenant B is rejected; report what happens with the setting unset and
  whether the table owner is held by FORCE.
* immutability: UPDATE and DELETE as the application role (privilege layer)
  and as the owner (trigger layer); which layer stopped each.
* referential_action: delete a parent row and see whether the child row is
  gone (CASCADE), NULLed (SET NULL) or the delete is refused (RESTRICT).
* idempotency: the same natural key inserted twice must be refused.
* query_plan: enough synthetic rows and ANALYZE for the planner to choose as it
  would in production; the plan must use the expected index.
* rollback: upgrade head → downgrade to base step by step → upgrade head on a
  separate scratch database; every downgrade runs and the schema comes back.
* migration_head: the replayed database is at the history's head.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from schema_audit.audit.findings import Diff, Evidence, Finding, finding_for
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.probes.synth import RowMaker, SynthesisError
from schema_audit.spec.model import Requirement, Spec

PROBE_TIMEOUT_MS = 15000


@dataclass(slots=True)
class ProbeContext:
    spec: Spec
    model: SchemaModel
    dsn: str
    source_path: Path
    source_kind: str  # alembic | sql
    new_database: Callable[[str], str]
    heads: list[str] = field(default_factory=list)


class _Trace:
    """Evidence collector: every statement a probe runs and what came back."""

    def __init__(self) -> None:
        self.evidence: list[Evidence] = []

    def add(self, statement: str, outcome: str) -> None:
        self.evidence.append(Evidence(source="probe", sql=statement.strip()[:2000], note=outcome))


def _error(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _attempt(
    conn: psycopg.Connection, trace: _Trace, statement: sql.Composable | str, *, fetch: bool = False
):
    """Run one statement in a savepoint; return (ok, rowcount or rows, error)."""
    text = statement if isinstance(statement, str) else statement.as_string(conn)
    try:
        with conn.transaction():
            cur = conn.execute(statement)
            result = cur.fetchall() if fetch else cur.rowcount
        trace.add(text, f"ok: {result if not fetch else len(result)} row(s)")
        return True, result, None
    except psycopg.Error as exc:
        trace.add(text, f"error: {_error(exc)}")
        return False, None, exc


def _table(ctx: ProbeContext, req: Requirement) -> Table | None:
    return ctx.model.tables.get(qualify(req.schema, req.table or ""))


def _connect(ctx: ProbeContext) -> psycopg.Connection:
    conn = psycopg.connect(ctx.dsn, autocommit=False)
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{PROBE_TIMEOUT_MS}ms",))
    return conn


def _tenant_values(table: Table, column: str) -> tuple[object, object]:
    type_name = table.columns[column].type
    if type_name == "uuid":
        return str(uuid.UUID(int=0xA)), str(uuid.UUID(int=0xB))
    if type_name in ("integer", "bigint", "smallint"):
        return 900001, 900002
    return "probe-tenant-a", "probe-tenant-b"


def _make_tenant_parents(
    maker: RowMaker, table: Table, column: str, tenants: tuple[object, ...], model: SchemaModel
) -> None:
    fk = next((f for f in table.foreign_keys.values() if f.columns == [column]), None)
    if fk is None:
        return
    parent = model.tables.get(qualify(fk.ref_schema, fk.ref_table))
    if parent is not None:
        for tenant in tenants:
            maker.insert(parent, {fk.ref_columns[0]: tenant})


def _probe_role(
    conn: psycopg.Connection, trace: _Trace, ctx: ProbeContext, table: Table
) -> tuple[str, str]:
    """A fresh NOLOGIN role with the application role's privileges (or SELECT/INSERT); dropped by rollback."""
    role = f"schema_audit_probe_{secrets.token_hex(3)}"
    app_role = ctx.spec.settings.get("app_role")
    statements = [sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role))]
    if app_role and app_role in ctx.model.roles:
        statements.append(
            sql.SQL("GRANT {} TO {}").format(sql.Identifier(app_role), sql.Identifier(role))
        )
        via = f"member of {app_role}"
    else:
        statements.append(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(table.schema), sql.Identifier(role)
            )
        )
        statements.append(
            sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
                sql.Identifier(table.schema, table.name), sql.Identifier(role)
            )
        )
        via = "SELECT and INSERT granted directly (no settings.app_role in the model)"
    for statement in statements:
        conn.execute(statement)
        trace.add(statement.as_string(conn), "ok")
    return role, via


def _set_tenant(conn: psycopg.Connection, trace: _Trace, setting: str, value: object) -> None:
    conn.execute("SELECT set_config(%s, %s, true)", (setting, str(value)))
    trace.add(f"SELECT set_config('{setting}', '{value}', true)", "ok")


def probe_tenant_isolation(ctx: ProbeContext, req: Requirement) -> Finding:
    table = _table(ctx, req)
    column = ctx.spec.settings.get("tenant_column", "tenant_id")
    setting = req.props.get("setting") or ctx.spec.settings.get(
        "tenant_setting", "app.current_tenant_id"
    )
    if table is None or column not in table.columns:
        return finding_for(
            req,
            "FAIL",
            f"tenant isolation probe: {req.table} has no tenant column {column}",
            diffs=[Diff("tenant_column", column, None)],
        )
    trace = _Trace()
    problems: list[str] = []
    notes: list[str] = []
    with _connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            a, b = _tenant_values(table, column)
            _make_tenant_parents(maker, table, column, (a, b), ctx.model)
            maker.insert(table, {column: a})
            maker.insert(table, {column: b})
            b_values = maker.values(table, {column: b})  # parents made now, while still the owner
            for statement in maker.statements:
                trace.add(statement, "ok (setup as the owner)")
            role, via = _probe_role(conn, trace, ctx, table)
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            trace.add(f"SET LOCAL ROLE {role}", f"ok ({via})")
            _set_tenant(conn, trace, setting, a)
            count = sql.SQL("SELECT {col}::text, count(*) FROM {t} GROUP BY 1").format(
                col=sql.Identifier(column), t=sql.Identifier(table.schema, table.name)
            )
            ok, rows, err = _attempt(conn, trace, count, fetch=True)
            if not ok:
                problems.append(f"the application role cannot read {table.name}: {_error(err)}")
            else:
                seen = {str(k): n for k, n in rows}
                if seen.get(str(b)):
                    problems.append(
                        f"with {setting} = A, {seen[str(b)]} row(s) of tenant B are visible"
                    )
                if not seen.get(str(a)):
                    problems.append(f"with {setting} = A, tenant A's own row is not visible")
            insert_b = RowMaker._insert_sql(table, b_values, returning=False)
            ok, _, err = _attempt(conn, trace, insert_b)
            if ok:
                problems.append(
                    f"with {setting} = A, inserting a row for tenant B succeeded (no WITH CHECK?)"
                )
            elif "row-level security" not in _error(err) and "permission denied" not in _error(err):
                notes.append(f"cross-tenant insert rejected, but not by RLS: {_error(err)}")
            conn.execute("SELECT set_config(%s, '', true)", (setting,))
            ok, rows, err = _attempt(conn, trace, count, fetch=True)
            notes.append(
                "with the setting unset: "
                + (
                    f"error ({_error(err)})"
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
                _set_tenant(conn, trace, setting, a)
                ok, rows, err = _attempt(conn, trace, count, fetch=True)
                if ok and {str(k): n for k, n in rows}.get(str(b)):
                    problems.append(
                        f"the owner {table.owner} sees tenant B's rows (RLS not forced)"
                    )
                conn.execute("RESET ROLE")
        except SynthesisError as exc:
            conn.rollback()
            return finding_for(
                req,
                "DEFERRED",
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
        "FAIL" if problems else "PASS",
        message,
        evidence=trace.evidence,
        diffs=[Diff("isolation", "holds", p) for p in problems],
    )


def _where_pk(table: Table, row: dict) -> sql.Composable:
    columns = table.primary_key.columns if table.primary_key else list(row)[:1]
    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(row[c])) for c in columns
    )


def _writable_columns(table: Table) -> list[str]:
    """Columns an UPDATE may name: not generated, not GENERATED ALWAYS AS IDENTITY; keys last."""
    keys = set(table.primary_key.columns if table.primary_key else [])
    for fk in table.foreign_keys.values():
        keys.update(fk.columns)
    writable = [
        c.name for c in table.columns.values() if not c.generated and c.identity != "always"
    ]
    return [c for c in writable if c not in keys] + [c for c in writable if c in keys]


def probe_immutability(ctx: ProbeContext, req: Requirement) -> Finding:
    """UPDATE (each writable column alone: column grants differ) and DELETE, as the application
    role and as the owner. Each rejection is attributed by SQLSTATE and origin; one of the probe's
    own making (a generated column, a constraint on its data) or an unexplained one settles nothing."""
    from schema_audit.probes.attribution import attribute

    table = _table(ctx, req)
    if table is None:
        return finding_for(req, "FAIL", f"immutability probe: table {req.table} does not exist")
    trace = _Trace()
    column = ctx.spec.settings.get("tenant_column", "tenant_id")
    setting = ctx.spec.settings.get("tenant_setting", "app.current_tenant_id")
    outcomes: dict[str, str] = {}
    allowed: list[str] = []
    unsettled: list[str] = []
    writable = _writable_columns(table)
    if not writable:
        return finding_for(
            req,
            "DEFERRED",
            f"immutability probe: {table.name} has no column an UPDATE may write "
            "(all generated or identity ALWAYS)",
        )
    with _connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            overrides: dict[str, object] = {}
            if column in table.columns:
                a, _ = _tenant_values(table, column)
                _make_tenant_parents(maker, table, column, (a,), ctx.model)
                overrides[column] = a
            row = maker.insert(table, overrides)
            for statement in maker.statements:
                trace.add(statement, "ok (setup as the owner)")
            where = _where_pk(table, row)
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
            role, via = _probe_role(conn, trace, ctx, table)
            for who in ("application role", "owner"):
                if who == "application role":
                    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                    trace.add(f"SET LOCAL ROLE {role}", f"ok ({via})")
                    if column in table.columns:
                        _set_tenant(conn, trace, setting, overrides[column])
                for verb, statements in (("UPDATE", updates), ("DELETE", [("DELETE", delete)])):
                    results: list[str] = []
                    for label, statement in statements:
                        ok, count, err = _attempt(conn, trace, statement)
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
                "DEFERRED",
                f"immutability probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    detail = "; ".join(f"{k}: {v}" for k, v in outcomes.items())
    if allowed:
        return finding_for(
            req,
            "FAIL",
            f"{table.name} is not immutable: {', '.join(dict.fromkeys(allowed))} ({detail})",
            evidence=trace.evidence,
            diffs=[Diff("immutable", True, False)],
        )
    if unsettled:
        return finding_for(
            req,
            "DEFERRED",
            f"immutability of {table.name} not settled: a rejection of the probe's own making or "
            f"an unexplained one is not a protection ({'; '.join(unsettled)})",
            evidence=trace.evidence,
        )
    return finding_for(req, "PASS", f"{table.name} is immutable: {detail}", evidence=trace.evidence)


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


def probe_referential_action(ctx: ProbeContext, req: Requirement) -> Finding:
    table = _table(ctx, req)
    parent_name = req.props.get("parent")
    expect = (req.props.get("expect") or "CASCADE").upper()
    if table is None:
        return finding_for(
            req, "FAIL", f"referential action probe: table {req.table} does not exist"
        )
    fk = _foreign_key_to(table, str(parent_name or ""))
    if fk is None:
        return finding_for(
            req,
            "FAIL",
            f"{table.name} has no foreign key to {parent_name}",
            diffs=[Diff("foreign_key", parent_name, None)],
        )
    parent = ctx.model.tables.get(qualify(fk.ref_schema, fk.ref_table))
    trace = _Trace()
    with _connect(ctx) as conn:
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
                sql.Identifier(parent.schema, parent.name), _where_pk(parent, parent_row)
            )
            ok, _, err = _attempt(conn, trace, delete)
            if not ok:
                text = _error(err)
                outcome = "RESTRICT" if "foreign key constraint" in text else f"refused: {text}"
            else:
                look = sql.SQL("SELECT {} FROM {} WHERE {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in fk.columns),
                    sql.Identifier(table.schema, table.name),
                    _where_pk(table, child),
                )
                _, rows, _ = _attempt(conn, trace, look, fetch=True)
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
                "DEFERRED",
                f"referential action probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    wanted = {"RESTRICT", "NO ACTION"} if expect in ("RESTRICT", "NO ACTION") else {expect}
    label = f"deleting a {parent.name} row → {table.name}"
    if outcome in wanted:
        return finding_for(req, "PASS", f"{label}: {outcome}, as expected", evidence=trace.evidence)
    return finding_for(
        req,
        "FAIL",
        f"{label}: expected {expect}, observed {outcome}",
        diffs=[Diff("on_delete_behaviour", expect, outcome)],
        evidence=trace.evidence,
    )


def probe_idempotency(ctx: ProbeContext, req: Requirement) -> Finding:
    table = _table(ctx, req)
    columns = req.props.get("columns") or []
    if table is None or not columns or any(c not in table.columns for c in columns):
        missing = [c for c in columns if table is None or c not in table.columns]
        return finding_for(
            req,
            "FAIL",
            f"idempotency probe: {req.table} lacks natural key column(s) {', '.join(missing) or '?'}",
            diffs=[Diff("columns", columns, None)],
        )
    trace = _Trace()
    with _connect(ctx) as conn:
        try:
            maker = RowMaker(conn, ctx.model)
            first = maker.insert(table, {})
            key = {c: first[c] for c in columns}
            for statement in maker.statements:
                trace.add(statement, "ok (setup)")
            values = maker.values(table, key)
            ok, _, err = _attempt(conn, trace, RowMaker._insert_sql(table, values, returning=False))
        except SynthesisError as exc:
            return finding_for(
                req,
                "DEFERRED",
                f"idempotency probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        finally:
            conn.rollback()
    if ok:
        return finding_for(
            req,
            "FAIL",
            f"inserting the same ({', '.join(columns)}) twice into {table.name} succeeded",
            diffs=[Diff("duplicate_rejected", True, False)],
            evidence=trace.evidence,
        )
    return finding_for(
        req,
        "PASS",
        f"a duplicate ({', '.join(columns)}) in {table.name} is rejected: {_error(err)}",
        evidence=trace.evidence,
    )


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


def probe_query_plan(
    ctx: ProbeContext, req: Requirement, rows: int = 5000, tenants: int = 25
) -> Finding:
    table = _table(ctx, req)
    query, expected = req.props.get("query"), req.props.get("index")
    if table is None or not query:
        return finding_for(
            req, "FAIL", f"query plan probe: table {req.table} does not exist or no query given"
        )
    trace = _Trace()
    column = ctx.spec.settings.get("tenant_column", "tenant_id")
    with _connect(ctx) as conn:
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
                _make_tenant_parents(maker, table, column, tuple(ids), ctx.model)
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
                "DEFERRED",
                f"query plan probe could not set up data: {exc}",
                evidence=trace.evidence,
            )
        except psycopg.Error as exc:
            return finding_for(
                req, "FAIL", f"the probe query does not run: {_error(exc)}", evidence=trace.evidence
            )
        finally:
            conn.rollback()
    used = _index_names(plan_json if not isinstance(plan_json, str) else json.loads(plan_json))
    if expected in used:
        return finding_for(
            req, "PASS", f"with {rows} rows the planner uses {expected}", evidence=trace.evidence
        )
    return finding_for(
        req,
        "FAIL",
        f"with {rows} rows the planner does not use {expected} (uses: "
        f"{', '.join(used) or 'no index'})",
        diffs=[Diff("index", expected, used)],
        evidence=trace.evidence,
    )


def probe_rollback(ctx: ProbeContext, req: Requirement) -> Finding:
    if ctx.source_kind != "alembic":
        return finding_for(
            req,
            "DEFERRED",
            "rollback probe: only Alembic histories have downgrades to run",
            evidence=[
                Evidence(
                    source="probe",
                    note="SQL migration folders: down files are checked to exist, not run",
                )
            ],
        )
    from schema_audit.modeldiff import diff_models
    from schema_audit.sources import live
    from schema_audit.sources.alembic import render_history
    from schema_audit.sources.replay import run_alembic

    dsn = ctx.new_database("rollback")
    history = render_history(ctx.source_path)
    files = [str(r.path) for r in history.revisions if r.path]
    evidence: list[Evidence] = []
    up = run_alembic(ctx.source_path, dsn, [("upgrade", "heads")], files=files)
    if not up.steps or up.steps[0].error:
        message = up.steps[0].error if up.steps else "no result"
        return finding_for(
            req, "DEFERRED", f"rollback probe: alembic upgrade heads fails: {message}"
        )
    evidence.append(Evidence(source="probe", sql="alembic upgrade heads", note="ok"))
    first = live.introspect(dsn)
    linear = all(len(r.down_revisions) <= 1 for r in history.revisions)
    order = list(reversed(history.revisions))
    targets = (
        [r.down_revisions[0] if r.down_revisions else "base" for r in order] if linear else ["base"]
    )
    down = run_alembic(
        ctx.source_path,
        dsn,
        [("downgrade", t) for t in targets] + [("upgrade", "heads")],
        labels=[(r.revision, r.file) for r in order[: len(targets)]],
        files=files,
    )
    for rev, target, step in zip(order, targets, down.steps, strict=False):
        evidence.append(
            Evidence(
                source="probe",
                file=rev.file,
                revision=rev.revision,
                sql=f"alembic downgrade {target}",
                note=f"error: {step.error}" if step.error else "ok",
            )
        )
        if step.error:
            return finding_for(
                req,
                "FAIL",
                f"downgrade of revision {rev.revision} ({rev.file}) fails: {step.error}",
                diffs=[Diff("downgrade", "runs", step.error)],
                evidence=evidence,
            )
    if len(down.steps) != len(targets) + 1 or down.steps[-1].error:
        message = down.steps[-1].error if down.steps else "no result"
        return finding_for(
            req,
            "FAIL",
            f"after downgrading to base, alembic upgrade heads fails: {message}",
            diffs=[Diff("upgrade_after_downgrade", "runs", message)],
            evidence=evidence,
        )
    evidence.append(Evidence(source="probe", sql="alembic upgrade heads", note="ok"))
    second = live.introspect(dsn)
    for model in (first, second):
        model.tables.pop("public.alembic_version", None)
    differences = diff_models(first, second)
    if differences:
        return finding_for(
            req,
            "FAIL",
            f"after downgrade to base and upgrade again the schema differs: {differences[0]}"
            + (f" (+{len(differences) - 1} more)" if len(differences) > 1 else ""),
            diffs=[Diff(d.property, d.left, d.right) for d in differences[:10]],
            evidence=evidence,
        )
    return finding_for(
        req,
        "PASS",
        f"all {len(history.revisions)} downgrades run and upgrade → downgrade → upgrade "
        "gives the same schema",
        evidence=evidence,
    )


def probe_migration_head(ctx: ProbeContext, req: Requirement) -> Finding:
    if ctx.source_kind != "alembic":
        return finding_for(
            req,
            "PASS",
            "every SQL migration file applied",
            evidence=[Evidence(source="probe", note="replay")],
        )
    with psycopg.connect(ctx.dsn) as conn:
        try:
            versions = sorted(
                r[0] for r in conn.execute("SELECT version_num FROM alembic_version").fetchall()
            )
        except psycopg.Error as exc:
            return finding_for(req, "FAIL", f"no alembic_version table after replay: {_error(exc)}")
    evidence = [
        Evidence(
            source="probe", sql="SELECT version_num FROM alembic_version", note=", ".join(versions)
        )
    ]
    if versions == sorted(ctx.heads):
        return finding_for(
            req, "PASS", f"alembic current = head ({', '.join(versions)})", evidence=evidence
        )
    return finding_for(
        req,
        "FAIL",
        f"alembic current is {', '.join(versions) or 'empty'}, head is {', '.join(ctx.heads)}",
        diffs=[Diff("version", ctx.heads, versions)],
        evidence=evidence,
    )


PROBES: dict[str, Callable[[ProbeContext, Requirement], Finding]] = {
    "tenant_isolation": probe_tenant_isolation,
    "immutability": probe_immutability,
    "referential_action": probe_referential_action,
    "idempotency": probe_idempotency,
    "query_plan": probe_query_plan,
    "rollback": probe_rollback,
    "migration_head": probe_migration_head,
}


def run_probes(ctx: ProbeContext) -> dict[str, Finding]:
    """Every probe the spec declares; one failing probe never stops the others."""
    out: dict[str, Finding] = {}
    for req in ctx.spec.requirements:
        if req.kind != "probe":
            continue
        try:
            out[req.id] = PROBES[req.props["kind"]](ctx, req)
        except Exception as exc:  # a probe bug must not sink the audit; it is reported instead
            out[req.id] = finding_for(
                req,
                "DEFERRED",
                f"{req.props['kind']} probe could not run: {type(exc).__name__}: {exc}",
            )
    return out
