"""A replay assumes the roles, schemas and extensions a history references but never creates,
and says so (issue 15, item 3); probes and spec keys name relations as schema.name (item 6)."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_a_pg_dump_granting_to_foreign_roles_replays_on_a_throwaway_cluster() -> None:
    """No --scratch-dsn: the embedded cluster has none of the dump's roles."""
    result = audit(
        load_spec(FIXTURES / "foreign_roles_spec.yaml"),
        sql=FIXTURES / "pg_dump_foreign_roles.sql",
        replay=True,
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assumed = result.finding("migrations.replay-assumed")
    assert assumed is not None
    assert "created NOLOGIN: shop_app, shop_owner, shop_readonly" in assumed.message
    assert any("shop_app" in spot for spot in result.model.blind_spots)
    status = {f.id: f.status for f in result.findings}
    assert status["tables.billing.invoices.rls"] == "PASS"
    assert status["tables.customers.columns.email"] == "PASS"
    invoices = result.model.tables["billing.invoices"]
    assert invoices.owner == "shop_owner"
    # item 6: schema-qualified table and parent in a probe
    assert status["probes.invoices_cascade"] == "PASS", result.finding(
        "probes.invoices_cascade"
    ).message
    assert status["probes.invoices_cascade_bare"] == "PASS"


def test_platform_provided_schema_extension_and_role_are_assumed_and_cleaned_up(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(
        load_spec(FIXTURES / "platform_spec.yaml"),
        sql=FIXTURES / "sql_platform_provided",
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    message = result.finding("migrations.replay-assumed").message
    assert "created NOLOGIN: web_anon" in message
    assert "created empty: app_private" in message
    assert "extensions the history uses but never creates, created: citext" in message
    assert result.finding("tables.app_private.settings.columns.value").status == "PASS"
    with psycopg.connect(pg_server.admin_dsn) as conn:  # the assumed role left with the scratch db
        assert conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'web_anon'").fetchone() is None
