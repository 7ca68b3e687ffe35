"""What every probe shares: its context, the trace of what it ran, and the setup steps.

Each probe runs on a scratch database the tool created (never a ``--dsn``
target), in its own transaction that is rolled back at the end, with a
statement timeout. The statements run and the outcomes seen are the evidence
(:class:`Trace`). Setup runs as the owner; the probe then acts as a fresh role
holding the application role's grants (:func:`probe_role`).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from schema_audit.audit.findings import Evidence
from schema_audit.model import SchemaModel, Table, qualify
from schema_audit.probes.synth import RowMaker
from schema_audit.spec.model import Requirement, Spec

PROBE_TIMEOUT_MS = 15000
_SETTING = re.compile(r"current_setting\('([^']+)'")


@dataclass(slots=True)
class ProbeContext:
    """What a probe reads while it runs: the spec, the model, the scratch database and how to make
    more."""

    spec: Spec
    model: SchemaModel
    dsn: str
    source_path: Path
    source_kind: str  # alembic | sql
    new_database: Callable[[str], str]
    heads: list[str] = field(default_factory=list)


class Trace:
    """Evidence collector: every statement a probe runs and what came back."""

    def __init__(self) -> None:
        self.evidence: list[Evidence] = []

    def add(self, statement: str, outcome: str) -> None:
        self.evidence.append(Evidence(source="probe", sql=statement.strip()[:2000], note=outcome))


def error_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def attempt(
    conn: psycopg.Connection, trace: Trace, statement: sql.Composable | str, *, fetch: bool = False
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
        trace.add(text, f"error: {error_line(exc)}")
        return False, None, exc


def table_of(ctx: ProbeContext, req: Requirement) -> Table | None:
    return ctx.model.tables.get(qualify(req.schema, req.table or ""))


def connect(ctx: ProbeContext) -> psycopg.Connection:
    conn = psycopg.connect(ctx.dsn, autocommit=False)
    conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{PROBE_TIMEOUT_MS}ms",))
    return conn


def tenant_values(table: Table, column: str) -> tuple[object, object]:
    type_name = table.columns[column].type
    if type_name == "uuid":
        return str(uuid.UUID(int=0xA)), str(uuid.UUID(int=0xB))
    if type_name in ("integer", "bigint", "smallint"):
        return 900001, 900002
    return "probe-tenant-a", "probe-tenant-b"


def make_tenant_parents(
    maker: RowMaker, table: Table, column: str, tenants: tuple[object, ...], model: SchemaModel
) -> None:
    fk = next((f for f in table.foreign_keys.values() if f.columns == [column]), None)
    if fk is None:
        return
    parent = model.tables.get(qualify(fk.ref_schema, fk.ref_table))
    if parent is not None:
        for tenant in tenants:
            maker.insert(parent, {fk.ref_columns[0]: tenant})


def probe_role(
    conn: psycopg.Connection, trace: Trace, ctx: ProbeContext, table: Table
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


def set_tenant(conn: psycopg.Connection, trace: Trace, setting: str, value: object) -> None:
    conn.execute("SELECT set_config(%s, %s, true)", (setting, str(value)))
    trace.add(f"SELECT set_config('{setting}', '{value}', true)", "ok")


def where_pk(table: Table, row: dict) -> sql.Composable:
    columns = table.primary_key.columns if table.primary_key else list(row)[:1]
    return sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Literal(row[c])) for c in columns
    )


def policy_setting(table: Table) -> str | None:
    """The first setting the table's policies read (``current_setting('app.tenant')``)."""
    return next(
        (
            m
            for p in table.policies.values()
            for m in _SETTING.findall((p.using or "") + (p.with_check or ""))
        ),
        None,
    )


def two_tenants(
    maker: RowMaker, table: Table, column: str, model: SchemaModel
) -> tuple[object, object]:
    """Insert a row of tenant A and one of tenant B (with their parents); returns (A, B)."""
    a, b = tenant_values(table, column)
    make_tenant_parents(maker, table, column, (a, b), model)
    maker.insert(table, {column: a})
    maker.insert(table, {column: b})
    return a, b


def set_role(conn: psycopg.Connection, trace: Trace, role: str, via: str) -> None:
    """Act as ``role`` for the rest of the transaction (``via``: how it holds its rights)."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
    trace.add(f"SET LOCAL ROLE {role}", f"ok ({via})")
