"""A CHECK holding a date/time literal without a UTC offset: its stored value depends on the
TimeZone of the session that ran the migration, so a static reading DEFERs it (as it does
such a column default) instead of a false FAIL; the live catalog decides it. Ground truth:
the same SQL applied to PostgreSQL in a session whose TimeZone is Asia/Kolkata."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from schema_audit.api import audit
from schema_audit.spec.load import load_spec


def audited_in_kolkata(
    pg_server: Any, tmp_path: Path, history: str, spec_text: str, label: str
) -> tuple[Any, Any]:
    """(live, static) audits of ``spec_text``: ``history`` applied in a session whose TimeZone
    is Asia/Kolkata (the live one), and read from its file (the static one)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(history)
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(spec_text)
    spec = load_spec(spec_path)
    name, dsn = pg_server.create_database(label)
    try:
        with psycopg.connect(dsn, autocommit=True, options="-c TimeZone=Asia/Kolkata") as conn:
            conn.execute(history)
        live = audit(spec, dsn=dsn, rules="none")
    finally:
        pg_server.drop_database(name)
    return live, audit(spec, sql=str(folder), rules="none")


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
    live, static = audited_in_kolkata(pg_server, tmp_path, HISTORY, SPEC, "timechecks")

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


HISTORY_MORE = """CREATE TABLE s (
  id int PRIMARY KEY,
  due_at timestamptz,
  CHECK (due_at > '2020-01-01 00:00'::timestamptz)
);
ALTER TABLE s ENABLE ROW LEVEL SECURITY;
CREATE POLICY fresh ON s FOR SELECT USING (due_at > '2020-01-01 00:00'::timestamptz);
CREATE POLICY fresh_insert ON s FOR INSERT WITH CHECK (due_at > '2020-01-01 00:00'::timestamptz);
CREATE INDEX s_fresh ON s (id) WHERE due_at > '2020-01-01 00:00'::timestamptz;
"""

UTC = "'2019-12-31 18:30:00+00'::timestamptz"
SPEC_MORE = f"""
name: time literals elsewhere
tables:
  s:
    checks:
      - {{expression: "due_at > {UTC}", id: unnamed_check}}
      - {{expression: "id > 0 AND due_at > {UTC}", id: unnamed_check_other}}
    policies:
      - {{name: fresh, command: SELECT, using: "due_at > {UTC}", id: named_policy}}
      - {{command: INSERT, with_check: "due_at > {UTC}", id: unnamed_policy}}
    indexes:
      - {{name: s_fresh, columns: [id], where: "due_at > {UTC}", id: named_index}}
      - {{columns: [id], where: "due_at > {UTC}", id: unnamed_index}}
      - {{columns: [id], where: "id > 5", id: other_index}}
"""


def test_session_literals_in_unnamed_checks_policies_and_index_predicates_are_deferred(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Before, only the named CHECK was DEFERRED: these FAILed statically (or read as absent)
    while the database, migrated in Asia/Kolkata, holds exactly what the spec says."""
    live, static = audited_in_kolkata(pg_server, tmp_path, HISTORY_MORE, SPEC_MORE, "timemore")
    ids = (
        "unnamed_check",
        "unnamed_check_other",
        "named_policy",
        "unnamed_policy",
        "named_index",
        "unnamed_index",
        "other_index",
    )

    def statuses(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
        return {f.id: f.status for f in result.findings if f.id in ids}

    assert statuses(live) == {
        "unnamed_check": "PASS",
        "unnamed_check_other": "FAIL",
        "named_policy": "PASS",
        "unnamed_policy": "PASS",
        "named_index": "PASS",
        "unnamed_index": "PASS",
        "other_index": "FAIL",
    }
    assert statuses(static) == {
        "unnamed_check": "DEFERRED",
        "unnamed_check_other": "FAIL",  # more than the literal differs: a file can tell
        "named_policy": "DEFERRED",
        "unnamed_policy": "DEFERRED",
        "named_index": "DEFERRED",
        "unnamed_index": "DEFERRED",
        "other_index": "FAIL",
    }
    assert "the migration's date/time literal" in static.finding("named_policy").message
