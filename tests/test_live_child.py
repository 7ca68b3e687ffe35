"""The early live read runs its queries in a forked child and hands the rows over
(``sources/live_child.py``, issue 19): this process builds the model without importing
psycopg. The model, the round trips, the notices and every error line are the ones an
in-process read gives; a read nobody takes leaves no session behind; where a fork is not
safe the read runs in this process's threads, as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from test_parallel_read import _catalog_refused

from schema_audit.model import to_data
from schema_audit.sources import live, live_child

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = """
CREATE SCHEMA a;
CREATE TABLE a.orders (id bigint PRIMARY KEY, total numeric NOT NULL CHECK (total >= 0),
    note text COLLATE "C", made timestamptz DEFAULT now());
CREATE TABLE a.lines (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint REFERENCES a.orders ON DELETE CASCADE, qty int CHECK (qty > 0));
CREATE INDEX ON a.orders (total) WHERE total > 100;
CREATE INDEX ON a.orders (lower(note));
CREATE VIEW a.big AS SELECT id FROM a.orders WHERE total > 100;
CREATE FUNCTION a.f(x int DEFAULT 2) RETURNS int LANGUAGE sql AS 'SELECT x';
COMMENT ON TABLE a.orders IS 'orders';
"""
ENV = {"SCHEMA_AUDIT_CACHE": "0", "SCHEMA_AUDIT_PROGRESS": "0", "NO_COLOR": "1"}

# The early read of a command line, taken as the command takes it, in a fresh interpreter:
# prints the model's JSON, the round trips and whether this process imported psycopg.
PROBE = """
import json, sys
from schema_audit.cli import early_read
from schema_audit.model import to_data
from schema_audit.sources import live
argv = json.loads(sys.argv[1])
early_read.start(argv)
key = early_read.parameters(argv)
notes = []
source = early_read.take(*key).result(notes.append)
print(json.dumps({"model": json.dumps(to_data(source.model), sort_keys=True), "target": source.target,
    "round_trips": live.LAST_ROUND_TRIPS, "psycopg": "psycopg" in sys.modules, "notes": notes}))
"""


def probe_json(script: str, *args: str) -> dict:
    """What ``script`` prints as JSON, run with ``args`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **ENV},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _early(argv: list[str]) -> dict:
    return probe_json(PROBE, json.dumps(argv))


def test_the_child_s_rows_make_the_model_an_in_process_read_makes(make_db) -> None:  # type: ignore[no-untyped-def]
    """1, 3 and 4 connections: the same model (in JSON), the same round trips; psycopg is
    never imported by the process that builds it."""
    dsn = make_db("child_same", SCHEMA)
    for jobs in (1, 3, 4):
        got = _early(["init", "--dsn", dsn, "--jobs", str(jobs)])
        model = live.introspect(dsn, jobs=jobs)
        assert got["model"] == json.dumps(to_data(model), sort_keys=True), jobs
        assert got["round_trips"] == live.LAST_ROUND_TRIPS, jobs
        assert got["psycopg"] is False
        assert got["target"] == live.redact_dsn(dsn) and got["notes"] == []
        assert '"a.orders"' in got["model"]


def test_inspect_reads_in_this_process_s_threads(make_db) -> None:  # type: ignore[no-untyped-def]
    """``inspect`` has nothing to do while its read runs: no child (measured slower with
    one), the read in this process as before it; the same model and round trips."""
    dsn = make_db("child_inspect", SCHEMA)
    got = _early(["inspect", "--dsn", dsn])
    model = live.introspect(dsn)
    assert got["model"] == json.dumps(to_data(model), sort_keys=True)
    assert got["round_trips"] == live.LAST_ROUND_TRIPS
    assert got["psycopg"] is True


def test_what_the_child_could_not_read_is_said_as_in_process(pg_server, make_db) -> None:  # type: ignore[no-untyped-def]
    """pg_constraint refused to the role: the same blind spots, in the same order, and the
    same model, on one connection and on four."""
    dsn = make_db("child_refused", SCHEMA)
    with _catalog_refused(pg_server, dsn, "pg_constraint", "child_noconstraints") as role_dsn:
        for jobs in (1, 4):
            got = _early(["init", "--dsn", role_dsn, "--jobs", str(jobs)])
            model = live.introspect(role_dsn, jobs=jobs, notice=lambda line: None)
            assert model.blind_spots and got["model"] == json.dumps(to_data(model), sort_keys=True)
            assert json.loads(got["model"])["blind_spots"] == model.blind_spots


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schema_audit.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV, **(env or {})},
    )


def test_the_child_s_errors_are_the_in_process_read_s_lines(
    pg_server, make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A missing database (password in the DSN and in PGPASSWORD), a closed port, a lock
    timeout: the plain command line (its read in the child) says exactly what the same
    command says when typer alone reads its line (``--no-exec``: the read in process)."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: child\ntables:\n  a.orders: {}\n")
    dsn = make_db("child_errors", SCHEMA)
    cases = [
        (pg_server.dsn("no_such_db_child") + " password=hunter2pw", {"PGPASSWORD": "envsecret9"}),
        ("postgresql://app:s3cretpw@127.0.0.1:1/prod", {}),
    ]
    for bad, env in cases:
        for command in (["init", "--dsn", bad], ["audit", "-s", str(spec), "--dsn", bad]):
            early, late = _cli(*command, env=env), _cli(*command, "--no-exec", env=env)
            assert (early.returncode, early.stderr, early.stdout) == (
                late.returncode,
                late.stderr,
                late.stdout,
            )
            assert early.returncode == 2 and early.stderr.count("\n") == 1, early.stderr
            assert early.stderr.startswith("schema-audit: cannot connect to ")
            assert "hunter2pw" not in early.stderr and "envsecret9" not in early.stderr
            assert "s3cretpw" not in early.stderr
    holder = psycopg.connect(dsn)
    holder.execute("LOCK TABLE a.orders IN ACCESS EXCLUSIVE MODE")
    try:
        command = ["audit", "-s", str(spec), "--dsn", dsn, "--jobs", "1", "--lock-timeout", "200"]
        early, late = _cli(*command), _cli(*command, "--no-exec")
    finally:
        holder.rollback()
        holder.close()
    assert (early.returncode, early.stderr) == (late.returncode, late.stderr)
    assert early.returncode == 2 and early.stderr.count("\n") == 1, early.stderr
    assert "timed out (canceling statement due to lock timeout)" in early.stderr


def _sessions(dsn: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_stat_activity"
            " WHERE datname = pg_catalog.current_database() AND application_name = 'schema-audit'"
        ).fetchone()[0]


def test_a_read_nobody_takes_leaves_no_session_behind(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``audit`` fails on its spec after its read started in the child: the child sees this
    process gone, ends its read and its connections (the server rolls the read back)."""
    dsn = make_db("child_gone", SCHEMA)
    proc = _cli("audit", "-s", str(tmp_path / "missing.yaml"), "--dsn", dsn)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    deadline = time.monotonic() + 20
    while _sessions(dsn) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sessions(dsn) == 0


def test_no_child_where_a_fork_is_not_safe(make_db) -> None:  # type: ignore[no-untyped-def]
    """Another thread running (a fork copies none, whatever lock it held): no child; the
    command's read then runs in this process (``early_read.read_in_thread``)."""
    dsn = make_db("child_threads", "CREATE TABLE t (id int PRIMARY KEY)")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert live_child.fork(dsn, None, 4, 30000, 5000) is None
    finally:
        stop.set()
        other.join()
    script = (
        "import json, sys, threading\n"
        "from schema_audit.cli import early_read\n"
        "stop = threading.Event(); t = threading.Thread(target=stop.wait); t.start()\n"
        f"early_read.start(['init', '--dsn', {dsn!r}])\n"
        "stop.set(); t.join()\n"
        f"source = early_read.take({dsn!r}, None, 4).result(print)\n"
        "print(json.dumps([sorted(source.model.tables), 'psycopg' in sys.modules]))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **ENV},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [["public.t"], True]


def test_the_child_holds_no_copy_of_the_output(tmp_path: Path) -> None:
    """A command that fails before its read ends (no spec) while the child still waits for
    the server (a host that never answers the connection): whoever reads the command's output
    sees it end when the command ends, not up to the connect timeout later."""
    import socket

    quiet = socket.socket()
    quiet.bind(("127.0.0.1", 0))
    quiet.listen(1)  # accepts the connection, never answers the startup packet
    port = quiet.getsockname()[1]
    try:
        started = time.monotonic()
        proc = _cli(
            "audit", "-s", str(tmp_path / "missing.yaml"), "--dsn", f"host=127.0.0.1 port={port}"
        )
        elapsed = time.monotonic() - started
    finally:
        quiet.close()
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert elapsed < 8, elapsed  # the connect timeout is 10 s
