"""A role a DO block creates "if not exists" may run the history.

``IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'x') THEN CREATE ROLE x`` (or CREATE
ROLE in a block that absorbs duplicate_object) leaves x as it was when x exists already,
and x may then be the role running the history: its ALTER DEFAULT PRIVILEGES FOR ROLE x
give the tables it creates their grants (PostgreSQL 15: the history run as x). Read as a
role the history creates, x could not run it, so the table's grant to the reader FAILed
the reader's SELECT where PostgreSQL made it (a false FAIL the sixteenth session's review
commit brought in for a while, found by its reviewer; DEFERRED before and again now: the
history does not say which role runs it). Real PostgreSQL.
"""

from __future__ import annotations

import json

import psycopg
from cli_runner import run_cli

HISTORY = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grr_app') THEN CREATE ROLE grr_app; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grr_reader') THEN CREATE ROLE grr_reader; END IF;
END $$;
ALTER DEFAULT PRIVILEGES FOR ROLE grr_app IN SCHEMA public GRANT SELECT ON TABLES TO grr_reader;
CREATE TABLE ledger (id int PRIMARY KEY);
"""


def test_a_role_created_if_not_exists_may_be_the_runner(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run as grr_app (existing already), the table grants grr_reader SELECT; static: DEFERRED."""
    dsn = make_db("grr_guarded_role")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for role in ("grr_app", "grr_reader"):
            if conn.execute("SELECT FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is None:
                conn.execute(f"CREATE ROLE {role}")
        conn.execute("GRANT CREATE ON SCHEMA public TO grr_app")
        conn.execute("SET ROLE grr_app")  # the history run as grr_app, which exists already
        conn.execute(HISTORY)
        acl = conn.execute("SELECT relacl::text FROM pg_class WHERE relname = 'ledger'").fetchone()
    assert acl is not None and "grr_reader=r/grr_app" in acl[0]  # PostgreSQL: the grant is made
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(HISTORY)
    spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    found = json.loads(run_cli("audit", "-s", spec, "--sql", history, "-f", "json").stdout)
    ledger = {
        f["id"]: f["status"] for f in found["findings"] if f["id"].startswith("tables.ledger")
    }
    assert "FAIL" not in ledger.values(), ledger
    assert ledger["tables.ledger.privileges.grant_select_0"] == "DEFERRED", ledger
