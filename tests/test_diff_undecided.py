"""``diff`` says what a static reading cannot decide instead of calling it a difference.

The same rule as ``audit``'s DEFERRED: a date/time literal whose stored value depends on
the session that ran it (no UTC offset, ``'now'``), and an object a statement the static
reader could not apply may have changed (a ``DO`` block stopped on a condition it cannot
decide), are listed as undecided with the reason, and do not make the exit code 1. A real
difference beside them still does. Ground truth: the same SQL applied to PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from cli_runner import run_cli

# A timestamptz literal without an offset is stored as 12:00 in the TimeZone of the session
# that ran it (Asia/Kolkata here: 06:30 UTC); no file records that TimeZone.
HISTORY = """CREATE TABLE reminders (
  id int PRIMARY KEY,
  due_at timestamptz DEFAULT '2024-01-01 12:00:00',
  sent_at timestamptz DEFAULT '2024-01-01 12:00:00+00',
  CONSTRAINT recent CHECK (due_at > '2020-01-01 00:00'::timestamptz)
);
CREATE TABLE t (id int PRIMARY KEY, legacy int);
DO $$ BEGIN IF current_setting('server_version_num')::int >= 110000 THEN ALTER TABLE t DROP COLUMN legacy; END IF; END $$;
"""


def _migrated(pg_server, tmp_path: Path, *after: str):  # type: ignore[no-untyped-def]
    """(folder, database name, DSN): the history as files and applied to a fresh database."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text(HISTORY)
    name, dsn = pg_server.create_database("diffundecided")
    with psycopg.connect(dsn, autocommit=True, options="-c TimeZone=Asia/Kolkata") as conn:
        conn.execute(HISTORY)
        for statement in after:
            conn.execute(statement)
    return folder, name, dsn


def _entries(doc: dict, key: str) -> set[tuple]:
    return {(d["object"], d["property"], d["left"], d["right"]) for d in doc[key]}


def test_diff_lists_what_the_static_reading_cannot_decide_as_undecided(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder, name, dsn = _migrated(pg_server, tmp_path)
    try:
        as_json = run_cli("diff", str(folder), dsn, "-f", "json")
        as_text = run_cli("diff", str(folder), dsn)
    finally:
        pg_server.drop_database(name)
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    doc = json.loads(as_json.stdout)
    assert doc["differences"] == []
    assert _entries(doc, "undecided") == {
        (
            "column public.reminders.due_at",
            "default",
            "'2024-01-01 12:00:00'",
            "'2024-01-01 06:30:00+00'::timestamp with time zone",
        ),
        ("column public.t.legacy", "exists", "present", None),
        (
            "constraint recent on public.reminders",
            "CHECK",
            "due_at > CAST('2020-01-01 00:00' AS timestamptz)",
            "(due_at > '2019-12-31 18:30:00+00'::timestamp with time zone)",
        ),
    }
    reasons = {d["object"]: d["reason"] for d in doc["undecided"]}
    assert "no UTC offset" in reasons["column public.reminders.due_at"]
    assert "TimeZone" in reasons["column public.reminders.due_at"]
    assert "0001_init.sql:8" in reasons["column public.t.legacy"]
    assert "not applied" in reasons["column public.t.legacy"]
    # the terminal output names them with their reason, apart from the differences
    assert as_text.returncode == 0, as_text.stdout + as_text.stderr
    lines = as_text.stdout.splitlines()
    undecided = [line for line in lines if line.startswith("undecided: ")]
    assert len(undecided) == 3, as_text.stdout
    assert any("due_at" in line and "no UTC offset" in line for line in undecided)
    assert any("legacy" in line and "0001_init.sql:8" in line for line in undecided)
    assert any(line.startswith("0 difference(s) between sql") for line in lines)
    assert "3 undecided" in as_text.stdout


def test_a_real_difference_beside_undecided_ones_still_exits_1(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, name, dsn = _migrated(
        pg_server,
        tmp_path,
        "ALTER TABLE reminders ALTER COLUMN sent_at SET DEFAULT '2025-01-01 00:00:00+00'",
        "ALTER TABLE reminders ADD COLUMN note text",
        # another column beside the same literal: a difference a file can tell
        "ALTER TABLE reminders DROP CONSTRAINT recent, "
        "ADD CONSTRAINT recent CHECK (sent_at > '2020-01-01 00:00'::timestamptz)",
    )
    try:
        proc = run_cli("diff", str(folder), dsn, "-f", "json")
    finally:
        pg_server.drop_database(name)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert _entries(doc, "differences") == {
        (
            "column public.reminders.sent_at",
            "default",
            "'2024-01-01 12:00:00+00'",
            "'2025-01-01 00:00:00+00'::timestamp with time zone",
        ),
        ("column public.reminders.note", "exists", None, "present"),
        (
            "constraint recent on public.reminders",
            "CHECK",
            "due_at > CAST('2020-01-01 00:00' AS timestamptz)",
            "(sent_at > '2019-12-31 18:30:00+00'::timestamp with time zone)",
        ),
    }
    assert {d["object"] for d in doc["undecided"]} == {
        "column public.reminders.due_at",
        "column public.t.legacy",
    }
