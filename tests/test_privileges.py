"""Effective privileges: what a role can really do, judged the same from the catalog and from SQL.

One schema exercises every path PostgreSQL grants through: a direct grant, role
membership (inherited, and NOINHERIT reachable with SET ROLE), membership in the
owner role, a column-level grant, PUBLIC, missing schema USAGE, a serial's
sequence, default privileges for future partitions, and function EXECUTE.
"""

from __future__ import annotations

import psycopg
import pytest

from schema_audit.api import audit_model
from schema_audit.audit import privileges
from schema_audit.audit.rules import RuleOptions, run_rules
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.spec.load import load_spec

ROLES = [
    "CREATE ROLE ep_owner NOLOGIN",
    "CREATE ROLE ep_writers NOLOGIN",
    "CREATE ROLE ep_member LOGIN IN ROLE ep_writers",
    "CREATE ROLE ep_noinherit LOGIN NOINHERIT IN ROLE ep_writers",
    "CREATE ROLE ep_clerk LOGIN",
    "CREATE ROLE ep_admin LOGIN IN ROLE ep_owner",
    "CREATE ROLE ep_reader LOGIN",
    "CREATE ROLE ep_app LOGIN",
]
SCHEMA = """
CREATE SCHEMA audit;
CREATE TABLE audit.events (id serial PRIMARY KEY, note text);
ALTER TABLE audit.events OWNER TO ep_owner;
GRANT UPDATE ON audit.events TO ep_writers;
GRANT UPDATE (note) ON audit.events TO ep_clerk;
GRANT UPDATE ON audit.events TO ep_reader;
GRANT USAGE ON SCHEMA audit TO ep_writers, ep_clerk, ep_app, ep_member, ep_noinherit, ep_admin;
GRANT SELECT, INSERT ON audit.events TO ep_app;
CREATE TABLE audit.ledger (id integer, at date) PARTITION BY RANGE (at);
ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT UPDATE ON TABLES TO ep_writers;
CREATE FUNCTION audit.purge() RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION audit.purge() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.purge() TO ep_app;
CREATE FUNCTION audit.wipe() RETURNS integer LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS 'SELECT 1';
"""
SPEC = """
name: effective privileges
defaults: {schema: audit}
tables:
  events:
    privileges:
      - {roles: all_except_owner, deny: [UPDATE, DELETE]}
      - {roles: [ep_reader], deny: [UPDATE]}
      - {roles: [ep_app], grant: [SELECT, INSERT]}
      - {roles: [ep_member], deny: [DELETE]}
  ledger:
    privileges:
      - {roles: [ep_writers], deny: [UPDATE]}
functions:
  purge:
    execute: {grant: [ep_app], deny: [public, ep_reader]}
  wipe:
    execute: {deny: [public]}
"""


@pytest.fixture(scope="module")
def models(pg_server):  # type: ignore[no-untyped-def]
    """The same schema read live (after running it) and statically (from its SQL)."""
    name, dsn = pg_server.create_database("privileges")
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for statement in ROLES:
                role = statement.split()[2]
                if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                    conn.execute(statement)
            conn.execute(SCHEMA)
        live_model = live.introspect(dsn)
    finally:
        pg_server.drop_database(name)
    yield {"live": live_model, "static": interpret(";\n".join(ROLES) + ";\n" + SCHEMA)}
    for statement in reversed(ROLES):
        pg_server.execute(f"DROP ROLE IF EXISTS {statement.split()[2]}")


@pytest.fixture(params=["live", "static"])
def result(request, models, tmp_path):  # type: ignore[no-untyped-def]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    model = models[request.param]
    return audit_model(load_spec(spec), model, request.param, rules="none"), model


def test_every_path_to_update_breaks_immutability(result) -> None:  # type: ignore[no-untyped-def]
    audit, _ = result
    finding = audit.finding("tables.events.privileges.deny_update_delete_0")
    assert finding.status == "FAIL"
    for path in [
        "ep_writers holds UPDATE",
        "ep_member holds UPDATE via ep_writers",
        "ep_noinherit holds UPDATE via ep_writers after SET ROLE",
        "ep_clerk holds UPDATE on column(s) note",
        "ep_admin holds UPDATE/DELETE as the owner",
        "ep_reader holds UPDATE",
    ]:
        assert path in finding.message, path
    assert "ep_app holds" not in finding.message  # SELECT and INSERT only


def test_a_role_without_schema_usage_is_blocked_and_told_so(result) -> None:  # type: ignore[no-untyped-def]
    audit, _ = result
    finding = audit.finding("tables.events.privileges.deny_update_1")
    assert finding.status == "PASS"
    assert "lacks USAGE on schema audit: blocked today, one GRANT away" in finding.message


def test_insert_needs_the_serial_sequence(result) -> None:  # type: ignore[no-untyped-def]
    audit, _ = result
    finding = audit.finding("tables.events.privileges.grant_select_insert_2")
    assert finding.status == "FAIL"
    assert "ep_app lacks USAGE on sequence audit.events_id_seq" in finding.message


def test_default_privileges_reach_future_partitions(result) -> None:  # type: ignore[no-untyped-def]
    audit, _ = result
    finding = audit.finding("tables.ledger.privileges.deny_update_0")
    assert finding.status == "FAIL"
    assert "IN SCHEMA audit grants UPDATE on new tables to ep_writers" in finding.message
    assert "new partitions of ledger will accept it" in finding.message


def test_function_execute_counts_public(result) -> None:  # type: ignore[no-untyped-def]
    audit, model = result
    assert audit.finding("functions.purge").status == "PASS"
    wipe = audit.finding("functions.wipe")
    assert wipe.status == "FAIL"
    assert [(d.property, d.actual) for d in wipe.diffs] == [("execute[public]", "EXECUTE")]
    found = {f.id for f in run_rules(model, ["security"], options=RuleOptions())}
    assert "rules.SEC008.audit.wipe()" in found
    assert "rules.SEC008.audit.purge()" not in found


def test_membership_paths(models) -> None:  # type: ignore[no-untyped-def]
    for model in models.values():
        assert privileges.reachable_roles(model, "ep_noinherit") == {
            "ep_noinherit": True,
            "public": True,
            "ep_writers": False,
        }
        assert privileges.reachable_roles(model, "ep_member")["ep_writers"] is True


def test_membership_options_of_postgresql_16_are_honoured() -> None:
    """GRANT … WITH INHERIT FALSE / SET FALSE (16+): parsed statically; 15 cannot run it, the model can."""
    model = interpret(
        "CREATE ROLE a; CREATE ROLE b; CREATE ROLE c; CREATE TABLE t (id int);"
        "GRANT UPDATE ON t TO a;"
        "GRANT a TO b WITH INHERIT FALSE;"
        "GRANT a TO c WITH INHERIT FALSE, SET FALSE;"
    )
    table = model.tables["public.t"]
    assert (
        privileges.table_access(model, table, "b")["UPDATE"].describe("b") == "via a after SET ROLE"
    )
    assert privileges.table_access(model, table, "c") == {}


MEMO_SPEC = """
name: the same roles on several tables
defaults: {schema: audit}
tables:
  events:
    privileges:
      - {roles: all_except_owner, deny: [UPDATE, DELETE]}
      - {roles: [ep_reader, ep_member, ep_noinherit], deny: [UPDATE]}
      - {roles: [ep_app, ep_writers], grant: [SELECT, INSERT]}
      - {roles: [ep_clerk], grant: [UPDATE], columns: [note]}
  ledger:
    privileges:
      - {roles: all_except_owner, deny: [UPDATE]}
      - {roles: [ep_writers, ep_member, ep_noinherit], deny: [UPDATE]}
      - {roles: [ep_app, ep_clerk], grant: [SELECT]}
"""


def test_role_answers_are_worked_out_once_per_audit_and_judge_as_fresh_ones(
    models, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """What a role reaches, its USAGE on a schema and the default privileges that will grant
    it are the same for every table of a schema (init's spec asks them twice per table): one
    audit works each out once (issue 19), and each finding equals the one a requirement
    judged alone, with nothing remembered, gets."""
    from collections import Counter

    from schema_audit.audit import engine
    from schema_audit.audit.context import AuditContext
    from schema_audit.kinds.privilege import check_privilege

    path = tmp_path / "spec.yaml"
    path.write_text(MEMO_SPEC)
    spec = load_spec(path)
    calls: Counter[tuple] = Counter()
    for name in ("reachable_roles", "schema_usage", "future_grants"):
        original = getattr(privileges, name)

        def counted(*args, _name=name, _original=original):  # type: ignore[no-untyped-def]
            # what the answer depends on: the role; the schema; the table's schema and owner
            if _name == "reachable_roles":
                key: tuple = (args[1],)
            elif _name == "schema_usage":
                key = (args[1], args[2])
            else:
                key = (args[1].schema, args[1].owner, args[2], tuple(args[3]))
            calls[(_name, *key)] += 1
            return _original(*args)

        monkeypatch.setattr(privileges, name, counted)
    for source, model in models.items():
        calls.clear()
        found = [f for f in engine.evaluate(spec, model, source) if f.kind == "privilege"]
        assert calls and max(calls.values()) == 1, (source, calls.most_common(3))
        alone = [
            check_privilege(req, AuditContext.build(spec, model, source))
            for req in spec.requirements
            if req.kind == "privilege"
        ]
        assert [f.to_json() for f in found] == [f.to_json() for f in alone]
        assert {f.status for f in found} == {"PASS", "FAIL"}, source
