"""--replay and the behavioural probes: they settle what static reading defers, and catch real holes."""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path

import psycopg
import pytest
from b03 import FIXTURE, SPEC
from cli_runner import run_cli

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent


def _scratch_databases(pg_server) -> list[str]:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_server.admin_dsn) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'schema_audit_scratch%'"
            )
        ]


@pytest.fixture(scope="module")
def b03_replayed(pg_server):  # type: ignore[no-untyped-def]
    return audit(load_spec(SPEC), migrations=FIXTURE, scratch_dsn=pg_server.admin_dsn, replay=True)


def test_replay_settles_every_deferred_b03_item(b03_replayed, pg_server) -> None:  # type: ignore[no-untyped-def]
    result = b03_replayed
    status = {f.id: f.status for f in result.findings}
    assert result.source_kind == "replay"
    assert status["probes.tenant_isolation_events"] == "PASS"
    assert status["probes.tenant_isolation_ledger"] == "PASS"
    assert status["probes.events_immutable"] == "PASS"
    assert status["probes.ledger_immutable"] == "PASS"
    assert status["probes.events_tenant_timeline_plan"] == "PASS"
    assert status["probes.migration_head"] == "PASS"
    assert status["probes.rollback"] == "PASS"
    assert result.summary["DEFERRED"] == 0
    questions = {q.id: q.status for q in result.questions}
    for question in ("Alex C3", "Alex D5", "Alex G2", "Billy G-01"):
        assert questions[question] == "PASS", question
    assert _scratch_databases(pg_server) == []  # nothing left behind


def test_tenant_deletion_cascade_is_blocked_by_the_guard_trigger(b03_replayed) -> None:  # type: ignore[no-untyped-def]
    """What the seed marked 'logically confirmed': a real DELETE shows the immutability trigger refuses it."""
    cascade = b03_replayed.finding("probes.tenant_delete_cascades")
    assert cascade.status == "FAIL"
    assert (
        "expected CASCADE, observed refused: attribution_events is append-only" in cascade.message
    )
    assert any(
        e.source == "probe" and e.sql and e.sql.startswith("DELETE FROM") for e in cascade.evidence
    )
    assert {q.id: q.status for q in b03_replayed.questions}["Alex C4"] == "FAIL"


def test_probe_evidence_shows_statements_and_outcomes(b03_replayed) -> None:  # type: ignore[no-untyped-def]
    immutable = b03_replayed.finding("probes.events_immutable")
    assert (
        "rejected by the privilege layer" in immutable.message
        and "rejected by the trigger layer" in immutable.message
    )
    notes = [e.note or "" for e in immutable.evidence]
    assert any("permission denied for table attribution_events" in n for n in notes)
    plan = b03_replayed.finding("probes.events_tenant_timeline_plan")
    assert any(
        "Index" in (e.note or "") and "idx_attribution_events_tenant_occurred_at" in (e.note or "")
        for e in plan.evidence
    )


def test_every_deliberate_hole_is_caught(pg_server) -> None:  # type: ignore[no-untyped-def]
    spec = load_spec(FIXTURES / "holes_spec.yaml")
    result = audit(
        spec, migrations=FIXTURES / "alembic_holes", scratch_dsn=pg_server.admin_dsn, replay=True
    )
    got = {f.id.split(".", 1)[1]: (f.status, f.message) for f in result.findings}
    # A FOR ALL policy without WITH CHECK applies its USING to writes: PostgreSQL closes that hole itself.
    assert got["no_with_check"][0] == "PASS"
    assert (
        got["insert_unchecked"][0] == "FAIL"
        and "inserting a row for tenant B succeeded" in got["insert_unchecked"][1]
    )
    assert (
        got["not_forced"][0] == "FAIL"
        and "owner holes_owner sees tenant B's rows" in got["not_forced"][1]
    )
    assert (
        got["open_policy"][0] == "FAIL"
        and "row(s) of tenant B are visible" in got["open_policy"][1]
    )
    assert (
        got["trigger_disabled"][0] == "FAIL"
        and "the owner can UPDATE rows" in got["trigger_disabled"][1]
    )
    assert (
        got["update_granted"][0] == "FAIL"
        and "the application role can UPDATE rows" in got["update_granted"][1]
    )
    assert (
        got["set_null"][0] == "FAIL" and "expected SET NULL, observed CASCADE" in got["set_null"][1]
    )
    assert got["duplicate_body"][0] == "FAIL"
    assert got["rollback"][0] == "FAIL" and "downgrade of revision h002" in got["rollback"][1]
    assert 'column "notes" of relation "children" does not exist' in got["rollback"][1]
    assert got["head"][0] == "PASS"
    assert _scratch_databases(pg_server) == []


def test_a_failing_third_migration_is_reported_and_leaves_nothing(pg_server) -> None:  # type: ignore[no-untyped-def]
    spec = load_spec(FIXTURES / "holes_spec.yaml")
    result = audit(
        spec, sql=FIXTURES / "sql_third_fails", scratch_dsn=pg_server.admin_dsn, replay=True
    )
    failure = result.finding("migrations.replay-failed.003_c")
    assert failure is not None and failure.status == "FAIL" and failure.severity == "blocking"
    assert failure.evidence[0].file == "sql_third_fails/003_c.sql"
    assert 'relation "missing_table" does not exist' in failure.message
    assert sorted(result.model.tables) == ["public.a", "public.b"]  # audited as far as it got
    assert all(f.status == "DEFERRED" for f in result.findings if f.kind == "probe")
    assert _scratch_databases(pg_server) == []


def test_probes_refuse_a_dsn_target(pg_server) -> None:  # type: ignore[no-untyped-def]
    proc = run_cli("audit", "-s", str(SPEC), "--dsn", pg_server.admin_dsn, "--replay")
    assert proc.returncode == 2
    assert "never writes to a --dsn target" in proc.stderr


def test_embedded_cluster_replay_and_keep_scratch(pg_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a temp dir of this test's own: other test runs on the machine start clusters too
    private_tmp = tempfile.mkdtemp(prefix="sa-replay-tmp-")
    os.chmod(private_tmp, 0o755)  # the cluster runs as an unprivileged account when root
    monkeypatch.setenv("TMPDIR", private_tmp)
    monkeypatch.setattr(tempfile, "tempdir", private_tmp)
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "schema-audit-pg-*")))
    proc = run_cli(
        "audit",
        "-s",
        str(FIXTURES / "holes_spec.yaml"),
        "-m",
        str(FIXTURES / "alembic_holes"),
        "--replay",
        "-q",
    )
    assert proc.returncode == 1, proc.stderr
    assert (
        set(glob.glob(os.path.join(tempfile.gettempdir(), "schema-audit-pg-*"))) == before
    )  # cluster removed
    kept = run_cli(
        "audit",
        "-s",
        str(FIXTURES / "holes_spec.yaml"),
        "--sql",
        str(FIXTURES / "sql_third_fails"),
        "--replay",
        "--scratch-dsn",
        pg_server.admin_dsn,
        "--keep-scratch",
        "-q",
    )
    assert kept.returncode == 2  # a stopped replay: the audit is incomplete
    line = next(line for line in kept.stderr.splitlines() if "scratch database kept:" in line)
    name = line.rsplit("dbname=", 1)[1].split()[0] if "dbname=" in line else line.rsplit("/", 1)[1]
    assert name.startswith("schema_audit_scratch_") and name in _scratch_databases(pg_server)
    pg_server.drop_database(name)
    os.rmdir(private_tmp)  # empty: nothing of either run was left behind
