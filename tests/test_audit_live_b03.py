"""Live audit of the B0.3 fixture migrated into a real PostgreSQL: the seed's verdicts.

Each assertion is a line of the hand-written review (docs/reference/b03_forensic_analysis.md)
that the tool must now reach by itself.
"""

from __future__ import annotations

import json
import os

import psycopg
import pytest
from b03 import SPEC, upgrade_b03

from schema_audit.api import audit_model
from schema_audit.audit.findings import Finding
from schema_audit.render import json_report
from schema_audit.sources import live
from schema_audit.spec.load import load_spec

TENANT_TABLES = [
    "attribution_events",
    "attribution_allocations",
    "revenue_ledger",
    "dead_events",
    "reconciliation_runs",
]


@pytest.fixture(scope="module")
def b03_dsn(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("b03live")
    upgrade_b03(dsn)
    yield dsn
    pg_server.drop_database(name)


@pytest.fixture(scope="module")
def result(b03_dsn):  # type: ignore[no-untyped-def]
    return audit_model(
        load_spec(SPEC), live.introspect(b03_dsn), "live", live.redact_dsn(b03_dsn), rules="none"
    )


def finding(result, fid: str) -> Finding:  # type: ignore[no-untyped-def]
    found = result.finding(fid)
    assert found is not None, f"no finding {fid}"
    return found


def diff(f: Finding, prop: str):  # type: ignore[no-untyped-def]
    return next(((d.expected, d.actual) for d in f.diffs if d.property == prop), None)


def test_missing_api_key_hash_is_a_blocking_fail(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.tenants.columns.api_key_hash")
    assert (f.status, f.severity) == ("FAIL", "blocking")
    assert diff(f, "exists") == (True, False)
    assert f.message == "column tenants.api_key_hash does not exist"
    assert "Billy A-01" not in f.questions and "Alex A1" in f.questions
    assert "CREATE TABLE tenants" in (f.ddl or "")  # the table as it exists, for the report


def test_nullable_session_id_fails_with_a_nullable_diff(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.attribution_events.columns.session_id")
    assert f.status == "FAIL"
    assert diff(f, "nullable") == (False, True)
    assert [d.property for d in f.diffs] == ["nullable"]  # the type (uuid) matches


def test_allocation_event_fk_is_cascade_not_set_null(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.attribution_allocations.foreign_keys.event_id")
    assert f.status == "FAIL"
    assert diff(f, "on_delete") == ("SET NULL", "CASCADE")
    assert f.name == "attribution_allocations_event_id_fkey"


def test_rls_enabled_forced_with_exact_tenant_predicate_on_all_five_tables(result) -> None:  # type: ignore[no-untyped-def]
    for table in TENANT_TABLES:
        rls = finding(result, f"tables.{table}.rls")
        assert rls.status == "PASS", rls.message
        assert rls.message == f"{table}: RLS enabled, forced"
        policy = finding(result, f"tables.{table}.policies.tenant_isolation_policy")
        assert policy.status == "PASS", policy.message
        assert "current_setting('app.current_tenant_id'" in (policy.ddl or "")


def test_renamed_index_is_partial_and_names_what_exists(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.attribution_events.indexes.idx_events_tenant_timestamp")
    assert f.status == "PARTIAL"
    assert diff(f, "name") == (
        "idx_events_tenant_timestamp",
        "idx_attribution_events_tenant_occurred_at",
    )
    assert [c.name for c in f.instead] == ["idx_attribution_events_tenant_occurred_at"]


def test_channel_taxonomy_fk_passes(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.attribution_allocations.foreign_keys.channel_code")
    assert f.status == "PASS"
    assert f.name == "fk_attribution_allocations_channel_code"


def test_no_pii_columns(result) -> None:  # type: ignore[no-untyped-def]
    for rule in ("pii", "cross_session_identifiers", "persistent_session_state"):
        assert finding(result, f"forbidden_columns.{rule}").status == "PASS"


def test_missing_materialized_view_fails_and_lists_what_exists(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "materialized_views.mv_channel_performance")
    assert f.status == "FAIL"
    names = [c.name for c in f.instead]
    assert "mv_realtime_revenue" in names and "mv_reconciliation_status" in names
    assert (
        names[0] == "mv_allocation_summary"
    )  # reads attribution_allocations, like the required view


def test_children_of_a_missing_table_are_not_applicable(result) -> None:  # type: ignore[no-untyped-def]
    assert finding(result, "tables.revenue_state_transitions").status == "FAIL"
    child = finding(result, "tables.revenue_state_transitions.foreign_keys.ledger_id")
    assert child.status == "NOT_APPLICABLE"


def test_immutability_privileges_and_guard_triggers_pass(result) -> None:  # type: ignore[no-untyped-def]
    for table in ("attribution_events", "revenue_ledger"):
        assert finding(result, f"tables.{table}.privileges.deny_update_delete_0").status == "PASS"
        trigger = finding(result, f"tables.{table}.triggers.before_update_delete_0")
        assert trigger.status == "PASS", trigger.message
    assert finding(result, "tables.attribution_events.triggers.before_update_delete_0").name == (
        "trg_events_prevent_mutation"
    )


def test_confidence_score_check_points_at_allocation_ratio(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.attribution_allocations.checks.check_0")
    assert f.status == "FAIL"
    assert [c.name for c in f.instead] == ["ck_attribution_allocations_allocation_ratio_bounds"]


def test_idempotency_key_points_at_partial_unique_indexes(result) -> None:  # type: ignore[no-untyped-def]
    f = finding(result, "tables.attribution_events.columns.idempotency_key")
    names = {c.name for c in f.instead}
    assert {
        "idx_attribution_events_tenant_external_event_id",
        "idx_attribution_events_tenant_correlation_id",
    } <= names


def test_question_and_gate_rollups(result) -> None:  # type: ignore[no-untyped-def]
    status = {q.id: q.status for q in result.questions}
    assert status["Billy A-01"] == "PASS"
    assert status["Billy A-02"] == "FAIL"
    assert status["Billy C-01"] == "PASS"
    assert status["Billy C-03"] == "PASS"
    assert status["Alex D2"] == "PARTIAL"
    assert status["Alex C4"] == "DEFERRED"  # FKs pass, the cascade probe needs --replay
    gates = {g.title: g.status for g in result.exit_gates}
    assert gates["RLS policies operational"] == "PASS"
    assert gates["Materialized views for dashboards"] == "FAIL"
    assert result.verdict == "FAIL"


def test_json_follows_the_contract(result, b03_dsn) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json_report.render(result))
    assert list(doc)[:8] == [
        "format_version",
        "schema_audit_version",
        "spec",
        "source",
        "fail_on",
        "summary",
        "verdict",
        "findings",
    ]
    assert doc["source"]["kind"] == "live"
    assert sum(doc["summary"].values()) == len(doc["findings"])
    assert set(doc["summary"]) == {
        "PASS",
        "FAIL",
        "PARTIAL",
        "DEFERRED",
        "NOT_APPLICABLE",
        "WAIVED",
    }
    sample = next(f for f in doc["findings"] if f["id"] == "tables.tenants.columns.api_key_hash")
    assert sample["diffs"] == [{"property": "exists", "expected": True, "actual": False}]
    for key in (
        "id",
        "kind",
        "table",
        "name",
        "status",
        "severity",
        "message",
        "diffs",
        "instead",
        "evidence",
        "questions",
    ):
        assert key in sample
    assert all(f["evidence"] for f in doc["findings"] if f["status"] in ("PASS", "FAIL", "PARTIAL"))
    # deterministic: a second, independent read and audit of the same database gives the same bytes
    again = audit_model(
        load_spec(SPEC), live.introspect(b03_dsn), "live", live.redact_dsn(b03_dsn), rules="none"
    )
    assert again is not result and json_report.render(again) == json_report.render(result)


def test_drift_is_caught_policy_without_with_check_and_update_grant(pg_server) -> None:  # type: ignore[no-untyped-def]
    """Break the migrated schema the way migrations drift and watch the audit notice."""
    name, dsn = pg_server.create_database("b03drift")
    try:
        upgrade_b03(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ALTER POLICY tenant_isolation_policy ON revenue_ledger USING (true)")
            conn.execute("ALTER TABLE dead_events NO FORCE ROW LEVEL SECURITY")
            conn.execute("GRANT UPDATE ON attribution_events TO app_rw")
            conn.execute("ALTER TABLE revenue_ledger DISABLE TRIGGER trg_ledger_prevent_mutation")
        drifted = audit_model(load_spec(SPEC), live.introspect(dsn), "live", rules="none")
    finally:
        pg_server.drop_database(name)
    policy = drifted.finding("tables.revenue_ledger.policies.tenant_isolation_policy")
    assert policy.status == "FAIL" and diff(policy, "using")[1] == "true"
    rls = drifted.finding("tables.dead_events.rls")
    assert rls.status == "FAIL" and diff(rls, "forced") == (True, False)
    grants = drifted.finding("tables.attribution_events.privileges.deny_update_delete_0")
    assert grants.status == "FAIL" and "app_rw holds UPDATE" in grants.message
    trigger = drifted.finding("tables.revenue_ledger.triggers.before_update_delete_0")
    assert trigger.status == "FAIL" and diff(trigger, "enabled") == (True, False)


def test_update_through_role_membership_breaks_immutability(pg_server) -> None:  # type: ignore[no-untyped-def]
    """A role that inherits UPDATE from a group it belongs to holds UPDATE (effective, not direct, privileges)."""
    name, dsn = pg_server.create_database("member")
    role, group = f"member_{os.getpid()}", f"writers_{os.getpid()}"
    try:
        upgrade_b03(dsn)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {group} NOLOGIN")
            conn.execute(f"CREATE ROLE {role} LOGIN IN ROLE {group}")
            conn.execute(f"GRANT UPDATE ON revenue_ledger TO {group}")
        spec_path = pg_server_spec(role)
        result = audit_model(load_spec(spec_path), live.introspect(dsn), "live", rules="none")
    finally:
        pg_server.drop_database(name)
        pg_server.execute(f"DROP ROLE IF EXISTS {role}")
        pg_server.execute(f"DROP ROLE IF EXISTS {group}")
    finding = result.finding("tables.revenue_ledger.privileges.deny_update_delete_0")
    assert finding.status == "FAIL"
    assert f"{role} holds UPDATE via {group}" in finding.message


def pg_server_spec(role: str):  # type: ignore[no-untyped-def]
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / "membership.yaml"
    path.write_text(
        f"name: membership\ntables:\n  revenue_ledger:\n    privileges:\n"
        f"      - {{roles: [{role}], deny: [UPDATE, DELETE]}}\n"
    )
    return path
