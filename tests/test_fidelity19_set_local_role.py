"""SET LOCAL ROLE / SET LOCAL search_path end with their transaction, as in PostgreSQL 15.

PostgreSQL's GUC stack undoes a SET LOCAL at COMMIT (the value before the transaction, or a
plain SET's made in it, comes back), and outside a transaction block SET LOCAL changes
nothing ("WARNING: SET LOCAL can only be used in transaction blocks"). The static reading
kept the role and search_path of a SET LOCAL after COMMIT: ``BEGIN; SET LOCAL ROLE app;
COMMIT; CREATE TABLE y`` gave y app's default privileges (a false PASS of its PUBLIC SELECT;
PostgreSQL: y is the runner's, with none), a ``SET LOCAL search_path = app`` put the next
tables in app (a false PASS of ``tables.app.z``). SET SESSION AUTHORIZATION was not followed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_local.sql": (
        "CREATE SCHEMA app;\n"
        "ALTER DEFAULT PRIVILEGES FOR ROLE fid19_app GRANT SELECT ON TABLES TO PUBLIC;\n"
        "BEGIN;\n"
        "SET LOCAL ROLE fid19_app;\n"
        "CREATE TABLE inside (id int);\n"  # fid19_app's: PUBLIC may SELECT
        "COMMIT;\n"
        "CREATE TABLE a (id int);\n"  # the runner's again
        "SET LOCAL ROLE fid19_app;\n"  # outside a transaction block: nothing
        "CREATE TABLE b (id int);\n"
        "BEGIN;\n"
        "SET ROLE fid19_app;\n"
        "SET LOCAL ROLE NONE;\n"
        "COMMIT;\n"
        "CREATE TABLE d (id int);\n"  # the plain SET's role after COMMIT
        "RESET ROLE;\n"
        "BEGIN;\n"
        "SET LOCAL ROLE fid19_app;\n"
        "SET ROLE NONE;\n"
        "COMMIT;\n"
        "CREATE TABLE e (id int);\n"
        "BEGIN;\n"
        "SET LOCAL search_path = app, public;\n"
        "CREATE TABLE f (id int);\n"
        "COMMIT;\n"
        "CREATE TABLE z (id int);\n"  # public again
        "SET SESSION AUTHORIZATION fid19_app;\n"
        "CREATE TABLE h (id int);\n"
        "RESET SESSION AUTHORIZATION;\n"
        "CREATE TABLE i (id int);\n"
    ),
}

SPEC = """
name: t
tables:
  z: {}
  app.z: {}
  app.f: {}
  a: {privileges: [{roles: [public], grant: [SELECT]}]}
  b: {privileges: [{roles: [public], grant: [SELECT]}]}
  e: {privileges: [{roles: [public], grant: [SELECT]}]}
  i: {privileges: [{roles: [public], grant: [SELECT]}]}
  inside: {privileges: [{roles: [public], grant: [SELECT]}]}
  d: {privileges: [{roles: [public], grant: [SELECT]}]}
  h: {privileges: [{roles: [public], grant: [SELECT]}]}
"""


@PATHS
def test_set_local_ends_with_its_transaction_as_in_postgresql(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("set_local_role")
    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute("SELECT FROM pg_roles WHERE rolname = 'fid19_app'").fetchone() is None:
            conn.execute("CREATE ROLE fid19_app")
        conn.execute("GRANT CREATE ON SCHEMA public TO fid19_app")
    errors = psql_f(dsn, history, *FILES, stop=False)
    assert "ERROR" not in errors and "SET LOCAL can only be used" in errors, errors
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == sorted(catalog.tables)
    assert "app.f" in static.tables and "public.z" in static.tables
    public_select = {
        name.split(".")[1]
        for name, table in static.tables.items()
        if any(g.grantee == "public" and g.privilege == "SELECT" for g in table.grants)
    }
    assert public_select == {
        name.split(".")[1]
        for name, table in catalog.tables.items()
        if any(g.grantee == "public" and g.privilege == "SELECT" for g in table.grants)
    }
    assert public_select == {"inside", "d", "h"}
    # (the owners of what fid19_app made are not read statically; the CREATE on public is
    # this test's own grant, outside the history)
    differences = [str(d) for d in compare_models(catalog, static).differences]
    assert [d for d in differences if "owner" not in d and "schema public" not in d] == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted = {
        "tables.z": "PASS",
        "tables.app.z": "FAIL",  # the reading said PASS
        "tables.app.f": "PASS",
        "tables.a.privileges.grant_select_0": "FAIL",  # the reading said PASS
        "tables.b.privileges.grant_select_0": "FAIL",  # the reading said PASS
        "tables.e.privileges.grant_select_0": "FAIL",
        "tables.i.privileges.grant_select_0": "FAIL",
        "tables.inside.privileges.grant_select_0": "PASS",
        "tables.d.privileges.grant_select_0": "PASS",
        "tables.h.privileges.grant_select_0": "PASS",  # SET SESSION AUTHORIZATION followed
    }
    assert {k: statuses.get(k) for k in wanted} == wanted, statuses
