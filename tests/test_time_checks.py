"""A CHECK holding a date/time literal without a UTC offset: its stored value depends on the
TimeZone of the session that ran the migration, so a static reading DEFERs it (as it does
such a column default) instead of a false FAIL; the live catalog decides it. Ground truth:
the same SQL applied to PostgreSQL in a session whose TimeZone is Asia/Kolkata."""

from __future__ import annotations

from pathlib import Path

import psycopg

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

HISTORY = """CREATE TABLE r (
  id int PRIMARY KEY,
  due_at timestamptz,
  made_at timestamptz,
  CONSTRAINT recent CHECK (due_at > '2020-01-01 00:00'::timestamptz),
  CONSTRAINT sane CHECK (due_at < '2100-01-01 00:00:00+00'::timestamptz)
);
"""

SPEC = """
name: time checks
tables:
  r:
    checks:
      - {name: recent, expression: "due_at > '2019-12-31 18:30:00+00'::timestamptz"}
      - {name: recent, expression: "due_at > '2020-01-01 00:00:00+00'::timestamptz", id: recent_wrong}
      - {name: recent, expression: "made_at > '2019-12-31 18:30:00+00'::timestamptz", id: recent_column}
      - {name: sane, expression: "due_at < '2100-01-01 00:00:00+00'::timestamptz"}
      - {name: sane, expression: "due_at < '2200-01-01 00:00:00+00'::timestamptz", id: sane_wrong}
"""


def test_a_session_dependent_check_literal_is_deferred_statically_and_decided_live(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(HISTORY)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)
    spec = load_spec(spec_path)
    name, dsn = pg_server.create_database("timechecks")
    try:
        with psycopg.connect(dsn, autocommit=True, options="-c TimeZone=Asia/Kolkata") as conn:
            conn.execute(HISTORY)
        live = audit(spec, dsn=dsn, rules="none")
    finally:
        pg_server.drop_database(name)
    static = audit(spec, sql=str(folder), rules="none")

    def statuses(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {f.id: f.status for f in result.findings if f.kind == "check"}

    assert statuses(live) == {
        "tables.r.checks.recent": "PASS",
        "recent_wrong": "FAIL",
        "recent_column": "FAIL",
        "tables.r.checks.sane": "PASS",
        "sane_wrong": "FAIL",
    }
    # statically the literal without an offset cannot be decided; the one with one can
    assert statuses(static) == {
        "tables.r.checks.recent": "DEFERRED",
        "recent_wrong": "DEFERRED",
        "recent_column": "FAIL",  # another column: a difference a file can tell
        "tables.r.checks.sane": "PASS",
        "sane_wrong": "FAIL",
    }
    deferred = static.finding("tables.r.checks.recent")
    assert "the migration's date/time literal has no UTC offset" in deferred.message
