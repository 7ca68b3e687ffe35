"""Pointing the tool at production: never hang, never write, never leak the password."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psycopg
import pytest
from b03 import SPEC, upgrade_b03
from cli_runner import run_cli
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import PgCluster

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def b03_dsn(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("safety")
    upgrade_b03(dsn)
    yield dsn
    pg_server.drop_database(name)


def test_reads_happen_in_one_read_only_snapshot(b03_dsn: str) -> None:
    conn = live.connect_readonly(b03_dsn)
    try:
        with psycopg.connect(b03_dsn, autocommit=True) as other:
            other.execute("ALTER TABLE tenants ADD COLUMN added_meanwhile int")
        model = live.introspect(conn)  # same transaction, snapshot taken before the ALTER
        assert "added_meanwhile" not in model.tables["public.tenants"].columns
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TABLE must_not_exist (id int)")
    finally:
        conn.close()
        with psycopg.connect(b03_dsn, autocommit=True) as other:
            other.execute("ALTER TABLE tenants DROP COLUMN added_meanwhile")


def test_an_exclusive_lock_elsewhere_never_hangs_the_audit(b03_dsn: str) -> None:
    holder = psycopg.connect(b03_dsn)
    holder.execute("LOCK TABLE attribution_events, revenue_ledger IN ACCESS EXCLUSIVE MODE")
    try:
        started = time.monotonic()
        outcome: dict[str, object] = {}

        def audit() -> None:
            try:
                outcome["model"] = live.introspect(
                    b03_dsn, lock_timeout_ms=1000, statement_timeout_ms=3000
                )
            except live.LiveSourceError as exc:
                outcome["error"] = str(exc)

        worker = threading.Thread(target=audit)
        worker.start()
        worker.join(timeout=20)
        elapsed = time.monotonic() - started
        assert not worker.is_alive(), "the audit hung behind a lock"
        assert elapsed < 10
        if "error" in outcome:
            # pg_get_expr share-locks the table (PostgreSQL 15): fail fast, naming the lock.
            error = str(outcome["error"])
            assert "timed out (canceling statement due to lock timeout)" in error
            assert "another session may hold a lock" in error
            assert "raise the lock and statement timeouts" in error
        else:  # or degrade: what needs the locked tables is named as a blind spot
            assert outcome["model"].blind_spots  # type: ignore[attr-defined]
        assert (
            elapsed < 5
        )  # one lock_timeout (1 s) per blocked query, not a wait for the lock holder
    finally:
        holder.rollback()
        holder.close()


def test_only_reads_are_sent_to_a_dsn_target(b03_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Record every statement the live source sends and check none of them writes."""
    sent: list[str] = []
    original = psycopg.Connection.execute
    original_cursor = psycopg.Cursor.execute

    def record_conn(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(query if isinstance(query, str) else query.as_string(self)))
        return original(self, query, params, **kwargs)

    def record_cursor(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(str(query if isinstance(query, str) else query.as_string(self.connection)))
        return original_cursor(self, query, params, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", record_conn)
    monkeypatch.setattr(psycopg.Cursor, "execute", record_cursor)
    live.introspect(b03_dsn)
    assert len(sent) >= 15
    allowed = (
        "SELECT",
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        "SAVEPOINT",
        "RELEASE SAVEPOINT",
        "ROLLBACK",
    )
    for statement in sent:
        assert statement.lstrip().upper().startswith(allowed), statement[:80]
    assert sent[0].startswith("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    assert sent[-1] == "ROLLBACK"


def test_a_role_without_table_privileges_still_reads_the_catalog(pg_server, b03_dsn: str) -> None:  # type: ignore[no-untyped-def]
    role = f"nopriv_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN")
    try:
        params = conninfo_to_dict(b03_dsn)
        params["user"] = role
        model = live.introspect(make_conninfo(**params))
        reference = live.introspect(b03_dsn)
        assert sorted(model.tables) == sorted(reference.tables)
        assert (
            model.tables["public.tenants"].columns.keys()
            == reference.tables["public.tenants"].columns.keys()
        )
        assert model.blind_spots == []
    finally:
        pg_server.execute(f"DROP ROLE {role}")


def test_the_password_appears_in_no_output_format(tmp_path: Path) -> None:
    secret = "Pw-9d1e-NeverPrint"
    with PgCluster(password=secret) as cluster:
        cluster.execute("CREATE DATABASE secrets")
        dsn = cluster.dsn("secrets")
        upgrade_b03(dsn)
        env = {**os.environ, "NO_COLOR": "1", "PGPASSWORD": secret}
        proc = run_cli(
            "audit",
            "-s",
            str(SPEC),
            "--dsn",
            dsn,
            "--output-dir",
            str(tmp_path),
            "-f",
            "json",
            base_env=env,
            timeout=120,
        )
    assert proc.returncode == 1, proc.stderr
    outputs = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert len(outputs) == 5
    outputs["stdout"], outputs["stderr"] = proc.stdout, proc.stderr
    for name, text in outputs.items():
        assert secret not in text, f"password leaked into {name}"
    assert ":***@127.0.0.1" in outputs["stdout"]  # the target is shown, redacted


def test_the_longest_statement_timeout_the_cli_takes_opens_the_read(b03_dsn: str) -> None:
    """--statement-timeout takes up to 2^31-1 ms (PostgreSQL's limit); the idle-in-transaction
    timeout derived from it (4x) overflowed the server's int, so the read was refused."""
    conn = live.connect_readonly(b03_dsn, statement_timeout_ms=2**31 - 1)
    try:
        row = conn.execute(
            "SELECT current_setting('statement_timeout'),"
            " current_setting('idle_in_transaction_session_timeout')"
        ).fetchone()
    finally:
        conn.close()
    assert row is not None
    assert row[1] == row[0]  # the derived timeout is capped at the server's maximum
