"""`init --dsn` promises a spec that "requires exactly what the schema has today": a change
after init to a function (body, volatility, security, SET options, language, return type),
to a grant on a column, schema, function or sequence, or to an owner must FAIL the next
`audit --dsn` (before, each of these passed: init wrote none of them). Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from init_mutations import (
    audit_of_changed_copy,
    audit_report,
    change_failures,
    failing_ids,
    init_database,
    static_init_spec,
)
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.kinds.composite_type import UNKNOWN_COMPOSITES
from schema_audit.kinds.strict_rules import UNKNOWN_RULES

BASE = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ex_anon') THEN CREATE ROLE ex_anon; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ex_auth') THEN CREATE ROLE ex_auth; END IF;
END $$;
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO ex_auth;
CREATE TABLE app.accounts (id serial PRIMARY KEY, name text, secret text);
ALTER TABLE app.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON app.accounts USING (true);
GRANT SELECT ON app.accounts TO ex_auth;
GRANT UPDATE (name) ON app.accounts TO ex_auth;
CREATE VIEW app.names AS SELECT id, name FROM app.accounts;
GRANT SELECT ON app.names TO ex_auth;
CREATE SEQUENCE app.tickets;
GRANT USAGE ON SEQUENCE app.tickets TO ex_auth;
CREATE FUNCTION app.touch(n integer) RETURNS integer LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = app, pg_temp AS $f$
BEGIN
  RETURN n + 1;   -- keep  the  spacing
END $f$;
REVOKE EXECUTE ON FUNCTION app.touch(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.touch(integer) TO ex_auth;
CREATE TABLE app.parents (id int PRIMARY KEY, code text UNIQUE, label text COLLATE "C", plain text);
CREATE TABLE app.kids (
  id int PRIMARY KEY,
  parent_id int,
  code text,
  note text,
  -- NOT VALID in CREATE TABLE: PostgreSQL marks it valid all the same (the table is empty)
  CONSTRAINT kids_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES app.parents (id)
    ON DELETE CASCADE NOT VALID
);
ALTER TABLE app.kids ADD CONSTRAINT kids_code_fk FOREIGN KEY (code) REFERENCES app.parents (code)
  MATCH FULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID;
CREATE FUNCTION app.touch_row() RETURNS trigger LANGUAGE plpgsql AS $t$BEGIN RETURN NEW; END$t$;
CREATE TRIGGER kids_touch BEFORE UPDATE OF note, code ON app.kids FOR EACH ROW
  WHEN (OLD.note IS DISTINCT FROM NEW.note) EXECUTE FUNCTION app.touch_row('a', '1');
CREATE TRIGGER kids_plain BEFORE INSERT OR UPDATE ON app.kids FOR EACH ROW
  EXECUTE FUNCTION app.touch_row();
CREATE TABLE app.events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE app.events_loose (id int, at date, PRIMARY KEY (id, at));
"""

PARENT_FK = (
    "ALTER TABLE app.kids DROP CONSTRAINT kids_parent_id_fkey, ADD CONSTRAINT kids_parent_id_fkey "
)
PARENT_FK += "FOREIGN KEY (parent_id) REFERENCES app.parents (id) ON DELETE CASCADE"
CODE_FK = "ALTER TABLE app.kids DROP CONSTRAINT kids_code_fk; ALTER TABLE app.kids ADD CONSTRAINT kids_code_fk "
CODE_FK += "FOREIGN KEY (code) REFERENCES app.parents (code) {}"
TOUCH_TRIGGER = "CREATE OR REPLACE TRIGGER kids_touch BEFORE UPDATE OF {} ON app.kids FOR EACH ROW "
TOUCH_TRIGGER += "WHEN ({}) EXECUTE FUNCTION app.touch_row({})"
PLAIN_TRIGGER = "CREATE OR REPLACE TRIGGER kids_plain BEFORE {} ON app.kids FOR EACH ROW "
PLAIN_TRIGGER += "{} EXECUTE FUNCTION app.touch_row({})"
WHEN = "OLD.note IS DISTINCT FROM NEW.note"
CODE_FK_SAME = "MATCH FULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID"

# Changes init's spec did not hold before this session's second part (each PASSed): a foreign
# key's other properties, a column's collation or new default, a UNIQUE constraint added, a
# trigger's WHEN, arguments, UPDATE OF columns or events.
DEFINITIONS = {
    "fk on update added": PARENT_FK + " ON UPDATE CASCADE",
    "fk deferrable added": PARENT_FK + " DEFERRABLE",
    "fk match full added": PARENT_FK.replace("ON DELETE", "MATCH FULL ON DELETE"),
    "fk not valid": PARENT_FK + " NOT VALID",
    "fk initially immediate": "ALTER TABLE app.kids ALTER CONSTRAINT kids_code_fk "
    "DEFERRABLE INITIALLY IMMEDIATE",
    "fk validated": "ALTER TABLE app.kids VALIDATE CONSTRAINT kids_code_fk",
    "fk match simple": CODE_FK.format("ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID"),
    "fk on update dropped": CODE_FK.format("MATCH FULL DEFERRABLE INITIALLY DEFERRED NOT VALID"),
    "column collation added": 'ALTER TABLE app.parents ALTER COLUMN plain TYPE text COLLATE "C"',
    "column collation dropped": "ALTER TABLE app.parents ALTER COLUMN label TYPE text "
    'COLLATE "default"',
    "column default added": "ALTER TABLE app.parents ALTER COLUMN plain SET DEFAULT 'x'",
    "unique constraint added": "ALTER TABLE app.parents ADD CONSTRAINT parents_plain_key "
    "UNIQUE (plain)",
    "trigger when added": PLAIN_TRIGGER.format("INSERT OR UPDATE", "WHEN (NEW.note IS NULL)", ""),
    "trigger when changed": TOUCH_TRIGGER.format(
        "note, code", "OLD.code IS DISTINCT FROM NEW.code", "'a', '1'"
    ),
    "trigger when dropped": "CREATE OR REPLACE TRIGGER kids_touch BEFORE UPDATE OF note, code "
    "ON app.kids FOR EACH ROW EXECUTE FUNCTION app.touch_row('a', '1')",
    "trigger arguments changed": TOUCH_TRIGGER.format("note, code", WHEN, "'a', '2'"),
    "trigger arguments added": PLAIN_TRIGGER.format("INSERT OR UPDATE", "", "'x'"),
    "trigger update of added": PLAIN_TRIGGER.format("INSERT OR UPDATE OF note", "", ""),
    "trigger update of narrowed": TOUCH_TRIGGER.format("note", WHEN, "'a', '1'"),
    "trigger event added": PLAIN_TRIGGER.format("INSERT OR UPDATE OR DELETE", "", ""),
    "partition detached": "ALTER TABLE app.events DETACH PARTITION app.events_2024",
    "partition attached": "ALTER TABLE app.events ATTACH PARTITION app.events_loose "
    "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    "view added": "CREATE VIEW app.kid_notes AS SELECT note FROM app.kids",
    "materialized view added": "CREATE MATERIALIZED VIEW app.kid_count AS SELECT count(*) FROM app.kids",
}

# Rewrites PostgreSQL stores as the same definition: still PASS.
SAME_DEFINITIONS = {
    "fk recreated": CODE_FK.format(CODE_FK_SAME),
    "update of reordered": TOUCH_TRIGGER.format("code, note", WHEN, "'a', '1'"),
    "when respelt": TOUCH_TRIGGER.format(
        "note, code", "(old.note) IS DISTINCT FROM (new.note)", "'a', '1'"
    ),
}

TOUCH = (
    "CREATE OR REPLACE FUNCTION app.touch(n integer) RETURNS integer LANGUAGE plpgsql STABLE "
    "SECURITY DEFINER SET search_path = app, pg_temp AS $f${body}$f$"
)
SAME_BODY = "\nBEGIN\n  RETURN n + 1;   -- keep  the  spacing\nEND "

MUTATIONS = {
    "body replaced": TOUCH.format(body="\nBEGIN\n  RETURN n + 2;   -- keep  the  spacing\nEND "),
    "body spacing inside a line": TOUCH.format(
        body="\nBEGIN\n  RETURN n + 1;   -- keep the  spacing\nEND "
    ),
    "volatility": "ALTER FUNCTION app.touch(integer) VOLATILE",
    "security invoker": "ALTER FUNCTION app.touch(integer) SECURITY INVOKER",
    "search_path config": "ALTER FUNCTION app.touch(integer) SET search_path = app",
    "config reset": "ALTER FUNCTION app.touch(integer) RESET search_path",
    "language": "CREATE OR REPLACE FUNCTION app.touch(n integer) RETURNS integer LANGUAGE sql "
    "STABLE SECURITY DEFINER SET search_path = app, pg_temp AS 'SELECT n + 1'",
    "return type": "DROP FUNCTION app.touch(integer); CREATE FUNCTION app.touch(n integer) "
    "RETURNS bigint LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = app, pg_temp "
    f"AS $f${SAME_BODY}$f$; REVOKE EXECUTE ON FUNCTION app.touch(integer) FROM PUBLIC; "
    "GRANT EXECUTE ON FUNCTION app.touch(integer) TO ex_auth",
    "column grant added": "GRANT UPDATE (secret) ON app.accounts TO ex_anon",
    "column grant revoked": "REVOKE UPDATE (name) ON app.accounts FROM ex_auth",
    "schema grant added": "GRANT CREATE ON SCHEMA app TO ex_auth",
    "schema grant revoked": "REVOKE USAGE ON SCHEMA app FROM ex_auth",
    "function grant revoked": "REVOKE EXECUTE ON FUNCTION app.touch(integer) FROM ex_auth",
    "function grant added": "GRANT EXECUTE ON FUNCTION app.touch(integer) TO ex_anon",
    "sequence grant added": "GRANT UPDATE ON SEQUENCE app.tickets TO ex_anon",
    "sequence grant revoked": "REVOKE USAGE ON SEQUENCE app.tickets FROM ex_auth",
    "view grant added": "GRANT SELECT ON app.names TO ex_anon",
    "table owner": "ALTER TABLE app.accounts OWNER TO ex_auth",
    "view owner": "ALTER VIEW app.names OWNER TO ex_auth",
    "function owner": "ALTER FUNCTION app.touch(integer) OWNER TO ex_auth",
}


@pytest.fixture(scope="module")
def initialised(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact", BASE)


def _audited_copy(pg_server, template: str, spec: Path, sql: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return audit_of_changed_copy(pg_server, template, "exactm", sql, spec)


def test_init_then_audit_of_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []


def test_recreating_a_function_from_identical_text_still_passes(initialised, pg_server) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    assert failing_ids(_audited_copy(pg_server, template, spec, TOUCH.format(body=SAME_BODY))) == []


@pytest.mark.parametrize("rewrite", sorted(SAME_DEFINITIONS))
def test_a_rewrite_postgresql_stores_the_same_still_passes(
    initialised, pg_server, rewrite: str
) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    assert failing_ids(_audited_copy(pg_server, template, spec, SAME_DEFINITIONS[rewrite])) == []


@pytest.mark.parametrize("mutation", sorted(MUTATIONS) + sorted(DEFINITIONS))
def test_a_change_after_init_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    sql = {**MUTATIONS, **DEFINITIONS}[mutation]
    failing = change_failures(_audited_copy(pg_server, template, spec, sql))
    assert failing, f"{mutation}: no FAIL"


def test_static_init_agrees_with_the_live_catalog(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`init --sql` of the same SQL, audited against the database it built: 0 FAIL, so each
    new key reads the same statically and live (owners are not written: the files do not
    name them)."""
    _, dsn, _ = initialised
    spec = static_init_spec(tmp_path, BASE)
    text = spec.read_text()
    assert "body:" in text and "grants:" in text and "columns: [name]" in text
    keys = ("collation: C", "match: FULL", "validated: false", "update_of:", "when:")
    for key in (*keys, "partition_of: app.events"):
        assert key in text, key
    assert failing_ids(audit_report(spec, dsn)) == []


def test_live_spec_against_the_history_defers_only_what_files_cannot_say(
    initialised, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The live spec names owners; the history does not: DEFERRED, never FAIL nor PASS."""
    _, _, spec = initialised
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(BASE)
    result = CliRunner().invoke(
        app, ["audit", "-s", str(spec), "--sql", str(history), "-f", "json"]
    )
    report = json.loads(result.output)
    assert failing_ids(report) == []
    deferred = {f["id"] for f in report["findings"] if f["status"] == "DEFERRED"}
    assert "tables.app.accounts" in deferred and "functions.app.touch" in deferred
    # owners, and the rules and composite types a history's reading does not model
    assert all(
        "owner" in f["message"]
        or any(u in f["message"] for u in (UNKNOWN_RULES, UNKNOWN_COMPOSITES))
        for f in report["findings"]
        if f["id"] in deferred
    )


# the live database's objects belong to another role than the one a replay runs as
OWNED_BY_APP = """
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ex_app') THEN CREATE ROLE ex_app; END IF;
END $$;
ALTER SCHEMA app OWNER TO ex_app;
ALTER TABLE app.accounts OWNER TO ex_app;
ALTER VIEW app.names OWNER TO ex_app;
ALTER SEQUENCE app.tickets OWNER TO ex_app;
ALTER FUNCTION app.touch(integer) OWNER TO ex_app;
ALTER DEFAULT PRIVILEGES FOR ROLE ex_app IN SCHEMA app GRANT SELECT ON TABLES TO ex_auth;
"""
# the same default privilege in the history, for whichever role runs it
HISTORY_DEFAULTS = "ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO ex_auth;\n"


def _replay_audit(spec: Path, history: Path, pg_server) -> dict:  # type: ignore[no-untyped-def,type-arg]
    result = CliRunner().invoke(
        app,
        ["audit", "-s", str(spec), "--sql", str(history), "--replay"]
        + ["--scratch-dsn", pg_server.admin_dsn, "-f", "json"],
    )
    assert result.exit_code in (0, 1), result.output[-2000:]
    return json.loads(result.output)


def test_a_replay_leaves_undecided_the_owners_the_history_does_not_name(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A replay runs the history as the scratch role, which then owns everything the history
    created without OWNER TO: the owner production has (init's spec) is DEFERRED as it is
    statically, not a FAIL of a correct history (before: every table, view, sequence,
    function and schema FAILed ``owner is postgres, expected ex_app``, and the default
    privileges the history sets for its running role FAILed ``for_role: ex_app``). An owner
    the history does name is still compared."""
    name, dsn = pg_server.create_database("exactown")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(BASE)
            conn.execute(OWNED_BY_APP)
        spec = tmp_path / "spec.yaml"
        result = CliRunner().invoke(app, ["init", "--dsn", dsn, "-o", str(spec)])
        assert result.exit_code == 0, result.output
        assert "owner: ex_app" in spec.read_text() and "for_role: ex_app" in spec.read_text()
    finally:
        pg_server.drop_database(name)
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(BASE + HISTORY_DEFAULTS)
    report = _replay_audit(spec, history, pg_server)
    assert [f for f in failing_ids(report) if not f.startswith("rules.")] == []
    deferred = {f["id"]: f["message"] for f in report["findings"] if f["status"] == "DEFERRED"}
    for owned in ("tables.app.accounts", "functions.app.touch", "schemas.app"):
        assert "owner ex_app cannot be decided" in deferred.get(owned, ""), owned
    (history / "002_owner.sql").write_text("ALTER TABLE app.accounts OWNER TO ex_auth;\n")
    assert "tables.app.accounts" in failing_ids(_replay_audit(spec, history, pg_server))


@pytest.mark.parametrize("mutation", ["partition detached", "partition attached"])
def test_a_partition_change_is_reported_as_one(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    """A partition detached from, or attached to, its parent after `init`: the FAIL names the
    parent (`partition_of`), not only the bound that went with it, so the reviewer reads what
    happened. (The bound's check alone would also FAIL: this pins the parent's own check.)"""
    template, _, spec = initialised
    failing = change_failures(_audited_copy(pg_server, template, spec, DEFINITIONS[mutation]))
    properties = {d["property"] for f in failing for d in f.get("diffs", [])}
    assert "partition_of" in properties, failing
