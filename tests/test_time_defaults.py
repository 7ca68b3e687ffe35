"""Date/time literal defaults: the static reading keeps ``'0001-01-01 00:00:00Z'`` as written,
PostgreSQL stores the value and prints it in the reading session's TimeZone and DateStyle
(``'0001-01-01 00:00:00+00'::timestamp with time zone``). Both must compare as the same
value; where the stored value depends on the session that ran the migration (no UTC offset,
``'now'``), a verdict is DEFERRED, never PASS or FAIL by guess.

The fixture is a golang-migrate history in the style of techschool/simplebank, where a real
trial found the false FAIL. Migrations run in a session whose TimeZone is Asia/Kolkata, and
the database's own settings (what a reader gets by default) are America/New_York and
DateStyle SQL, DMY, so any dependence on either shows.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from schema_audit.api import audit
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import find_bindir
from schema_audit.sources.sqlfile import load_sql
from schema_audit.spec.load import load_spec

HISTORY = Path(__file__).resolve().parent / "fixtures" / "sql_time_defaults"
CREATOR = "-c TimeZone=Asia/Kolkata -c DateStyle=German"


def _migrate(dsn: str, *extra: str) -> None:
    """Apply the up migrations (and ``extra``) the way golang-migrate does: one file at a time,
    in a session with its own TimeZone."""
    with psycopg.connect(dsn, autocommit=True, options=CREATOR) as conn:
        for path in sorted(HISTORY.glob("*.up.sql")):
            conn.execute(path.read_text())
        for statement in extra:
            conn.execute(statement)


@pytest.fixture
def bank(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("timedefaults")
    pg_server.execute(
        f"ALTER DATABASE \"{name}\" SET timezone = 'America/New_York';"
        f"ALTER DATABASE \"{name}\" SET datestyle = 'SQL, DMY';"
        f"ALTER DATABASE \"{name}\" SET intervalstyle = 'iso_8601'"
    )
    yield dsn
    pg_server.drop_database(name)


def test_time_literal_defaults_read_statically_equal_the_live_catalog(bank, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _migrate(bank)
    live_model = live.introspect(bank)
    static = load_sql(HISTORY)
    assert static.statements_unapplied() == []
    differences = [str(d) for d in diff_models(live_model, static)]
    assert differences == [], "static model differs from live:\n" + "\n".join(differences)
    # the live reader prints constants in one spelling whatever the server's settings
    users = live_model.tables["public.users"].columns
    assert users["password_changed_at"].default == (
        "'0001-01-01 00:00:00+00'::timestamp with time zone"
    )
    sessions = live_model.tables["public.sessions"].columns
    assert sessions["grace"].default == "'01:30:00'::interval"
    assert sessions["founded_at"].default == (
        "'0044-03-15 12:00:00+00 BC'::timestamp with time zone"
    )
    # a pg_dump of it (printed in the database's TimeZone, New York) reads the same too
    pg_dump = shutil.which("pg_dump") or str(find_bindir() / "pg_dump")
    dump = tmp_path / "schema.sql"
    subprocess.run([pg_dump, "--schema-only", "-d", bank, "-f", str(dump)], check=True)
    differences = [str(d) for d in diff_models(live_model, load_sql(dump))]
    assert differences == [], "pg_dump model differs from live:\n" + "\n".join(differences)


SPEC = """
name: time defaults
tables:
  users:
    columns:
      password_changed_at: {default: "'0001-01-01 00:00:00Z'"}
  sessions:
    columns:
      expires_at: {default: "'2099-12-31 18:30:00+00'::timestamp with time zone"}
      blocked_at: {default: "'1970-01-01 00:00:00+00'"}
      local_day: {default: "'2024-02-29'::date"}
      local_time: {default: "'2024-01-02 00:00:00'"}
      closes_at: {default: "'00:30:00+00'::timetz", id: closes_at_wrong}
      revoked_at: {default: "'infinity'", id: revoked_at_wrong}
      founded_at: {default: "'0044-03-15 12:00:00Z'", id: founded_at_wrong}
  reminders:
    columns:
      due_at: {default: "'2024-01-01 06:30:00+00'"}
      sent_at: {default: "'2024-01-01 12:00:00'"}
      noted_at: {default: "'2024-01-01 12:00:00+00'", id: noted_at_wrong}
"""

# Written in the migration without an offset: its value is 12:00 in the TimeZone of the
# session that ran it (Asia/Kolkata here: 06:30 UTC), which no file records.
REMINDERS = """
CREATE TABLE reminders (
  due_at timestamptz DEFAULT '2024-01-01 12:00:00',
  sent_at timestamptz DEFAULT '2024-01-01 12:00:00',
  noted_at timestamptz DEFAULT 'now'
)"""


def test_spec_defaults_compare_as_postgresql_stores_them(bank, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _migrate(bank, REMINDERS)
    history = tmp_path / "history"
    shutil.copytree(HISTORY, history)
    (history / "000003_reminders.up.sql").write_text(REMINDERS + ";\n")
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC)
    spec = load_spec(spec_path)

    def verdicts(**source: str) -> dict[str, str]:
        result = audit(spec, rules="none", **source)
        return {f.id: f.status for f in result.findings if ".columns." in f.id or "_wrong" in f.id}

    both = {
        "tables.users.columns.password_changed_at": "PASS",
        "tables.sessions.columns.expires_at": "PASS",
        "tables.sessions.columns.blocked_at": "PASS",
        "tables.sessions.columns.local_day": "PASS",
        "tables.sessions.columns.local_time": "PASS",
        "closes_at_wrong": "FAIL",
        "revoked_at_wrong": "FAIL",  # -infinity is not infinity
        "founded_at_wrong": "FAIL",  # 44 BC is not 44 AD
    }
    # statically, a literal without an offset (or 'now') has no value a file can tell
    due = audit(spec, rules="none", sql=str(history)).finding("tables.reminders.columns.due_at")
    assert "the migration's date/time literal has no UTC offset" in due.message
    assert verdicts(sql=str(history)) == both | {
        "tables.reminders.columns.due_at": "DEFERRED",
        "tables.reminders.columns.sent_at": "PASS",  # the same literal as the migration's
        "noted_at_wrong": "DEFERRED",
    }
    # live, the stored value is known; the spec's own literal without an offset is not
    assert verdicts(dsn=bank) == both | {
        "tables.reminders.columns.due_at": "PASS",
        "tables.reminders.columns.sent_at": "DEFERRED",
        "noted_at_wrong": "FAIL",
    }


LITERALS = [
    ("timestamptz", "0001-01-01 00:00:00Z"),
    ("timestamptz", "2024-01-01T12:00:00.25-0800"),
    ("timestamptz", "2024-07-01 12:00 +5"),
    ("timestamptz", "1900-01-01 00:00:00 UTC"),
    ("timestamptz", "0001-01-01 00:00:00+00 BC"),
    ("timestamptz", "epoch"),
    ("timestamptz", "infinity"),
    ("timestamptz", "2024-01-01 12:00:00"),
    ("timestamptz", "2024-01-01"),
    ("timestamptz", "now"),
    ("timestamptz", "2024-01-01 12:00 Europe/Paris"),
    ("timestamp", "2024-02-28 24:00:00"),
    ("timestamp", "2024-01-01 12:00:00.123456+02"),
    ("date", "2024-02-29 23:59+14"),
    ("date", "01/02/2024"),
    ("time", "12:00:00.5"),
    ("time", "allballs"),
    ("timetz", "12:00-03:30"),
    ("timetz", "12:00"),
]


@pytest.mark.parametrize(("type_name", "literal"), LITERALS)
def test_folded_literals_are_the_values_postgresql_stores(
    pg_server, type_name: str, literal: str
) -> None:  # type: ignore[no-untyped-def]
    """What sqltime calls a value is what PostgreSQL makes of the literal in sessions with
    different TimeZone and DateStyle; what it calls session-dependent, PostgreSQL reads apart."""
    from schema_audit import sqltime

    printed = []
    for zone, style in (("Asia/Kolkata", "SQL, DMY"), ("America/New_York", "ISO, MDY")):
        options = f"-c TimeZone={zone} -c DateStyle={style.replace(' ', '')}"
        with psycopg.connect(pg_server.admin_dsn, autocommit=True, options=options) as conn:
            conn.execute(f"CREATE TEMP TABLE v (x {type_name})")
            conn.execute(f"INSERT INTO v VALUES (%s::{type_name})", (literal,))
            conn.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
            printed.append(conn.execute("SELECT x::text FROM v").fetchone()[0])
    folded = sqltime.fold(type_name, literal)
    if literal.endswith("Europe/Paris"):  # a named zone is not read: DEFERRED, not guessed
        assert sqltime.depends_on_session(folded) and printed[0] == printed[1]
    elif sqltime.depends_on_session(folded):
        assert printed[0] != printed[1], printed
    else:
        assert printed[0] == printed[1]
        assert folded == sqltime.fold(type_name, printed[0]), printed
