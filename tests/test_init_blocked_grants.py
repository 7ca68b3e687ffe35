"""`init --dsn` of a database where a role holds table grants it cannot use: the audit of that
same database passes, and the blocked state is held both ways.

Found on makerkit (Supabase): `REVOKE ALL ON SCHEMA public FROM anon` left anon's table grants
in place; and on any schema where a role got `GRANT SELECT, INSERT` on a serial-keyed table but
no USAGE on its sequence. The privilege kind judges grants on what a role can really do, so
init's plain `grant:` entries FAILed on the database init had just read ("lacks USAGE on schema
public", "lacks USAGE on sequence … INSERT fails on the nextval() default"). Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from init_mutations import audit_report, changed_copy, init_database, static_init_spec

BASE = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bg_writer') THEN CREATE ROLE bg_writer; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bg_anon') THEN CREATE ROLE bg_anon; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bg_ok') THEN CREATE ROLE bg_ok; END IF;
END $$;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO bg_writer, bg_ok;
CREATE TABLE app.notes (id serial PRIMARY KEY, body text);
GRANT SELECT, INSERT ON app.notes TO bg_writer;
GRANT SELECT, INSERT ON app.notes TO bg_ok;
GRANT USAGE ON SEQUENCE app.notes_id_seq TO bg_ok;
CREATE SCHEMA hardened;
CREATE TABLE hardened.profiles (id int PRIMARY KEY, name text);
GRANT SELECT ON hardened.profiles TO bg_anon;
"""

CHANGES = {
    "sequence usage granted": "GRANT USAGE ON SEQUENCE app.notes_id_seq TO bg_writer",
    "schema usage granted": "GRANT USAGE ON SCHEMA hardened TO bg_anon",
    "blocked grant revoked": "REVOKE SELECT ON hardened.profiles FROM bg_anon",
    "usable sequence revoked": "REVOKE USAGE ON SEQUENCE app.notes_id_seq FROM bg_ok",
}


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "blocked", BASE)


def _failing(spec: Path, dsn: str) -> list[str]:
    return [
        f"{f['id']}: {f['message']}"
        for f in audit_report(spec, dsn)["findings"]
        if f["status"] == "FAIL" and not f["id"].startswith("rules.")
    ]


def _entry(spec: Path, table: str, role: str) -> dict:  # type: ignore[type-arg]
    tables = yaml.safe_load(spec.read_text())["tables"]
    return next(e for e in tables[table]["privileges"] if e["roles"] == [role])


def test_init_pins_blocked_grants_as_blocked(initialised) -> None:  # type: ignore[no-untyped-def]
    _, _, spec = initialised
    assert _entry(spec, "app.notes", "bg_writer") == {
        "roles": ["bg_writer"],
        "grant": ["INSERT", "SELECT"],
        "sequence_usage": False,
    }
    assert _entry(spec, "app.notes", "bg_ok") == {"roles": ["bg_ok"], "grant": ["INSERT", "SELECT"]}
    assert _entry(spec, "hardened.profiles", "bg_anon") == {
        "roles": ["bg_anon"],
        "grant": ["SELECT"],
        "schema_usage": False,
    }


def test_init_then_audit_of_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert _failing(spec, dsn) == []


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_a_change_of_the_blocked_state_fails(initialised, pg_server, change: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    name, dsn = changed_copy(pg_server, template, "blockedm", CHANGES[change])
    try:
        failing = _failing(spec, dsn)
    finally:
        pg_server.drop_database(name)
    # the privilege entry itself holds the state (the schema's and the sequence's grants, which
    # init also writes, FAIL beside it; a hand-written spec may have the entry alone)
    assert any(".privileges." in f for f in failing), f"{change}: {failing}"


def test_static_init_of_the_same_sql_agrees(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of the same SQL pins the same blocked state: the database passes it."""
    _, dsn, live_spec = initialised
    spec = static_init_spec(tmp_path, BASE)
    assert _entry(spec, "app.notes", "bg_writer") == _entry(live_spec, "app.notes", "bg_writer")
    assert _failing(spec, dsn) == []
