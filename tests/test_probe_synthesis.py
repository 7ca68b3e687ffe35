"""Probes synthesise rows through composite and self-referencing keys, CHECK bounds, enums and
domains (issue 15, item 5), so they settle instead of staying DEFERRED."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schema_audit.api import audit
from schema_audit.probes.synth import RowMaker
from schema_audit.sources import live
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HISTORY = FIXTURES / "sql_composite_tenant"


def test_probes_settle_on_a_composite_tenant_key(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(
        load_spec(FIXTURES / "composite_spec.yaml"),
        sql=HISTORY,
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    isolated = result.finding("probes.tasks_isolated")
    assert isolated.status == "PASS", isolated.message
    plan = result.finding("probes.tasks_plan")
    assert plan.status == "PASS", plan.message
    ledger = result.finding("probes.tasks_ledger")
    # SELECT/INSERT only for the app role; the owner may UPDATE: a real FAIL, not a DEFERRED
    assert ledger.status == "FAIL" and "the owner can UPDATE rows" in ledger.message


def test_rows_through_self_reference_bounds_and_domains(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db(
        "synth",
        (HISTORY / "001_projects.sql").read_text()
        + """
        CREATE TABLE categories (id bigint PRIMARY KEY, parent_id bigint NOT NULL REFERENCES categories,
                                 rating numeric NOT NULL CHECK (rating > 10 AND rating <= 20));
        """,
    )
    model = live.introspect(dsn)
    with psycopg.connect(dsn) as conn:
        maker = RowMaker(conn, model)
        task = maker.insert(model.tables["public.tasks"], {})
        project = conn.execute(
            "SELECT org_id FROM projects WHERE id = %s", (task["project_id"],)
        ).fetchone()
        assert project[0] == task["org_id"]  # the composite key kept the tenant consistent
        assert 1 <= task["priority"] <= 5 and task["budget"] > 0 and task["state"] == "open"
        category = maker.insert(model.tables["public.categories"], {})
        assert category["parent_id"] == category["id"] and 10 < category["rating"] <= 20
        conn.rollback()
