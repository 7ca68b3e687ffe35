"""ALTER DEFAULT PRIVILEGES (pg_default_acl): read the same from SQL as from the catalog,
written by ``init`` and held by its strict spec. Before, init wrote none and strict mode did
not look at them: ``ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC`` after
``init --dsn`` passed ``audit --dsn``, though every table created later is then readable by
every role."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg
import yaml
from cli_runner import run_cli

from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

ROLES = ("dp_owner", "dp_reader", "dp_writer")
# every form: FOR ROLE, IN SCHEMA, both, REVOKE of a granted entry, REVOKE of part of ALL,
# and the built-in defaults (EXECUTE / USAGE to PUBLIC) revoked and granted back per schema
SQL = """
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO dp_reader, dp_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE dp_owner IN SCHEMA app GRANT SELECT, INSERT ON TABLES TO dp_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE dp_owner IN SCHEMA app REVOKE INSERT ON TABLES FROM dp_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE dp_owner GRANT USAGE ON SEQUENCES TO dp_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT ALL ON TABLES TO dp_writer;
ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE TRUNCATE, TRIGGER ON TABLES FROM dp_writer;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT EXECUTE ON FUNCTIONS TO dp_reader;
ALTER DEFAULT PRIVILEGES GRANT USAGE ON TYPES TO dp_reader;
ALTER DEFAULT PRIVILEGES GRANT CREATE ON SCHEMAS TO dp_writer;
CREATE TABLE app.t (id int);
"""


def _roles(pg_server) -> None:  # type: ignore[no-untyped-def]
    for role in ROLES:  # cluster-wide, kept (a role with default privileges cannot be dropped)
        pg_server.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "
            f"THEN CREATE ROLE {role}; END IF; END $$"
        )


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def _failing(spec: Path, *source: str) -> dict[str, str]:
    proc = _cli("audit", "-s", str(spec), *source, "-f", "json")
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    return {f["id"]: f["message"] for f in doc["findings"] if f["status"] == "FAIL"}


def test_default_privileges_read_from_sql_equal_the_catalog(pg_server, make_db) -> None:  # type: ignore[no-untyped-def]
    _roles(pg_server)
    dsn = make_db("dpequal", SQL)
    with psycopg.connect(dsn) as conn:
        me = conn.execute("SELECT current_user").fetchone()[0]
    from_catalog = {
        (d.owner, d.schema, d.object_type, d.grantee, d.privilege)
        for d in live.introspect(dsn).default_privileges
    }
    from_sql = {
        (d.owner or me, d.schema, d.object_type, d.grantee, d.privilege)
        for d in interpret(SQL).default_privileges
    }
    assert from_sql == from_catalog
    assert from_catalog == {
        ("dp_owner", "app", "tables", "dp_reader", "SELECT"),
        ("dp_owner", None, "sequences", "dp_writer", "USAGE"),
        *((me, "app", "tables", "dp_writer", p) for p in ("SELECT", "INSERT", "UPDATE")),
        *((me, "app", "tables", "dp_writer", p) for p in ("DELETE", "REFERENCES")),
        (me, "app", "functions", "dp_reader", "EXECUTE"),
        (me, None, "types", "dp_reader", "USAGE"),
        (me, None, "schemas", "dp_writer", "CREATE"),
    }


def test_init_writes_default_privileges_and_strict_fails_a_new_one(
    pg_server, make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _roles(pg_server)
    dsn = make_db("dpinit", SQL)
    spec = tmp_path / "spec.yaml"
    proc = _cli("init", "--dsn", dsn, "-o", str(spec))
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(spec.read_text())
    assert doc["strict"]["default_privileges"] is True
    assert {
        "for_role": "dp_owner",
        "schema": "app",
        "objects": "tables",
        "to": "dp_reader",
        "grant": ["SELECT"],
    } in doc["default_privileges"]
    assert _failing(spec, "--dsn", dsn) == {}
    # the same spec holds the history read statically (no role there: any creating role)
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text(SQL)
    assert _failing(spec, "--sql", str(history)) == {}

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC")
        conn.execute(
            "ALTER DEFAULT PRIVILEGES FOR ROLE dp_owner IN SCHEMA app REVOKE SELECT ON TABLES FROM dp_reader"
        )
    failing = _failing(spec, "--dsn", dsn)
    assert "GRANT SELECT ON TABLES TO public" in failing.pop("strict.default_privileges")
    assert list(failing) == ["default_privileges.tables_to_dp_reader_1"]


def test_init_from_sql_then_audit_of_the_migrated_database_passes(
    pg_server, make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _roles(pg_server)
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text(SQL)
    spec = tmp_path / "spec.yaml"
    proc = _cli("init", "--sql", str(history), "-o", str(spec))
    assert proc.returncode == 0, proc.stderr
    assert len(yaml.safe_load(spec.read_text())["default_privileges"]) == 6
    dsn = make_db("dpcross", SQL)
    assert _failing(spec, "--dsn", dsn) == {}


# Under SET ROLE the creating role is the role set: its default privileges apply to what it
# creates next (the static reading stored them for "the migrations' role" instead, so they never
# applied: reader's SELECT was missing and PUBLIC kept EXECUTE).
SET_ROLE_SQL = """
CREATE SCHEMA owned;
GRANT USAGE, CREATE ON SCHEMA owned TO dp_owner;
SET ROLE dp_owner;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO dp_reader;
CREATE TABLE owned.t (id int);
CREATE FUNCTION owned.f() RETURNS int LANGUAGE sql AS 'select 1';
RESET ROLE;
"""


def test_default_privileges_under_set_role_apply_to_what_that_role_creates(
    pg_server, make_db
) -> None:  # type: ignore[no-untyped-def]
    _roles(pg_server)
    dsn = make_db("dpsetrole", SET_ROLE_SQL)
    catalog = live.introspect(dsn)
    static = interpret(SET_ROLE_SQL)

    def grants(model) -> dict[str, set[tuple[str, str]]]:  # type: ignore[no-untyped-def]
        return {
            # the owner's own rights are implicit in the static model: not compared
            "owned.t": {
                (g.grantee, g.privilege)
                for g in model.tables["owned.t"].grants
                if g.grantee != "dp_owner"
            },
            "owned.f()": {
                (g.grantee, g.privilege)
                for f in model.functions.values()
                for g in f.grants
                if g.grantee != "dp_owner"
            },
            "defaults": {
                (d.owner, d.object_type, d.grantee, d.privilege) for d in model.default_privileges
            },
        }

    assert grants(static) == grants(catalog)
    assert ("dp_reader", "SELECT") in grants(catalog)["owned.t"]
    assert grants(catalog)["owned.f()"] == set()
