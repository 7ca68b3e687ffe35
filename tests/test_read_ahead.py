"""``audit --dsn`` reads the catalog while it loads the spec (issue 19), and says exactly what
it said when it read one after the other: the spec's errors first and alone, then the read's,
each in one line with exit 2; the read's notices once; the same findings."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from cli_runner import ROOT, run_cli
from psycopg.conninfo import conninfo_to_dict, make_conninfo

SCHEMA = """
CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL);
CREATE VIEW big_orders AS SELECT id FROM orders WHERE total > 100;
"""
SPEC = """\
name: read-ahead
tables:
  orders:
    columns:
      id: {type: bigint, nullable: false}
      total: {type: numeric, nullable: false}
"""
ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0"}


def _read_waiting_on_a_lock(admin: psycopg.Connection, dbname: str) -> bool:
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        " AND application_name = 'schema-audit' AND wait_event_type = 'Lock'",
        (dbname,),
    ).fetchone()
    return bool(row and row[0])


def test_the_catalog_is_read_while_the_spec_is_not_even_open_yet(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The spec is a pipe nothing has written to: loading it blocks. The catalog read is
    under way all the same, held up by a lock the test holds on the view's table (read one
    after the other, nothing would connect before the spec is read). Then the lock goes,
    the spec comes, and the audit ends as any other."""
    dsn = make_db("ahead", SCHEMA)
    dbname = conninfo_to_dict(dsn)["dbname"]
    spec = tmp_path / "spec.yaml"
    os.mkfifo(spec)
    argv = [sys.executable, "-m", "schema_audit.cli", "audit", "-s", str(spec), "--dsn", dsn]
    argv += ["--lock-timeout", "120000", "--date", "2026-01-01", "-q"]
    env = {**os.environ, **ENV, "NO_COLOR": "1"}
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # the holder's lock: pg_get_viewdef(big_orders) waits for it
        with psycopg.connect(dsn, autocommit=True) as admin, psycopg.connect(dsn) as holder:
            holder.execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
            deadline = time.monotonic() + 60
            while not _read_waiting_on_a_lock(admin, dbname) and time.monotonic() < deadline:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.1)
            assert _read_waiting_on_a_lock(admin, dbname), "no catalog read before the spec"
        # the holder's transaction ended: the read goes on; now the spec
        with open(spec, "w") as pipe:
            pipe.write(SPEC)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, err.decode()) == (0, "")
    assert out.decode().startswith("verdict: PASS"), out


def test_a_spec_error_is_the_only_error_though_the_read_fails_too(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Both sides fail (a key the spec language lacks; a database that does not exist): the
    spec's error is said, alone, as when the spec was loaded before connecting."""
    spec = tmp_path / "typo.yaml"
    spec.write_text("name: t\ntables:\n  orders:\n    colums: {}\n")
    proc = run_cli("audit", "-s", spec, "--dsn", pg_server.dsn("no_such_db_ahead"), env=ENV)
    assert proc.returncode == 2
    assert proc.stderr == (
        f"schema-audit: {spec}:4:5: tables.orders.colums: unknown key 'colums'"
        " (did you mean 'columns'?)\n"
    )
    assert proc.stdout == ""


def test_a_read_error_after_a_good_spec_is_said_in_one_line(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    proc = run_cli("audit", "-s", spec, "--dsn", pg_server.dsn("no_such_db_ahead"), env=ENV)
    assert proc.returncode == 2
    assert proc.stderr.startswith("schema-audit: cannot connect to ")
    assert 'database "no_such_db_ahead" does not exist' in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_the_reads_notice_is_said_once_and_the_findings_are_the_same(
    pg_server, make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A role allowed one connection: the default audit says once that it read on 1 of 4
    connections (as inspect does), and judges exactly what ``--jobs 1`` judges."""
    dsn = make_db("ahead_capped", SCHEMA)
    role = f"capped_ahead_{os.getpid()}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1")
    try:
        params = conninfo_to_dict(dsn)
        params["user"] = role
        capped = make_conninfo(**params)
        spec = tmp_path / "spec.yaml"
        spec.write_text(SPEC)
        common = ("audit", "-s", spec, "--dsn", capped, "-f", "json", "--date", "2026-01-01")
        default = run_cli(*common, env=ENV)
        one = run_cli(*common, "--jobs", "1", env=ENV)
        assert (default.returncode, one.returncode) == (0, 0), default.stderr + one.stderr
        assert default.stderr.startswith("schema-audit: reading the catalog on 1 of 4 connections")
        assert default.stderr.count("\n") == 1
        assert one.stderr == ""
        assert default.stdout == one.stdout and '"status": "PASS"' in one.stdout
    finally:
        pg_server.execute(f"DROP ROLE {role}")


def test_init_says_its_own_errors_first_and_alone_though_the_read_fails_too(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``init --dsn`` starts the read before it checks its options: each bad option is
    still the only line, never the read's error (a database that does not exist)."""
    gone = pg_server.dsn("no_such_db_ahead")
    existing = tmp_path / "spec.yaml"
    existing.write_text("name: kept\n")
    out = str(tmp_path / "new.yaml")
    cases = {
        ("-o", str(existing)): f"schema-audit: {existing} exists; use --force to overwrite it\n",
        ("-o", out, "--only", "colums"): "schema-audit: --only 'colums': kinds are ",
        ("-o", out, "--search-path", "a,,b"): "schema-audit: --search-path 'a,,b': an empty",
    }
    for args, said in cases.items():
        proc = run_cli("init", "--dsn", gone, *args, env=ENV)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(said) and proc.stderr.count("\n") == 1, proc.stderr
    assert existing.read_text() == "name: kept\n" and not Path(out).exists()
    proc = run_cli("init", "--dsn", gone, "-o", out, env=ENV)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert 'database "no_such_db_ahead" does not exist' in proc.stderr
    assert not Path(out).exists()
