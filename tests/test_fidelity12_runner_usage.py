"""USAGE on a schema the history creates without naming an owner depends on who runs it.

PostgreSQL makes the role that runs `CREATE SCHEMA auth` its owner, and an owner has USAGE.
A history does not say which role that is: supabase/auth, run as postgres, grants table
privileges to postgres and never USAGE on auth. `init --sql` wrote `schema_usage: false` on
postgres's entries (the schema's owner unknown, read as "not postgres"), so its spec FAILed
the database the history built (18 false FAILs, trial12). Now such USAGE is judged in each
world, as fidelity11's `ALTER DEFAULT PRIVILEGES FOR ROLE` grants are: a verdict that
depends on it is DEFERRED with the reason, and init writes `schema_usage: any` /
`sequence_usage: any`, which holds either way (fidelity12). A role the history creates cannot
be the one running it: its blocked state is still pinned and judged. Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import yaml
from cli_runner import run_cli
from init_mutations import audit_report, static_init_spec


def _runner(pg_server) -> str:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_server.admin_dsn) as conn:
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])


def _history(runner: str) -> str:
    return f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'fid12_reader') THEN
    CREATE ROLE fid12_reader;
  END IF;
END $$;
CREATE SCHEMA fid12_auth;
CREATE TABLE fid12_auth.users (id int PRIMARY KEY);
CREATE TABLE fid12_auth.sessions (id serial PRIMARY KEY);
GRANT SELECT, INSERT ON fid12_auth.users TO "{runner}";
GRANT ALL ON fid12_auth.sessions TO "{runner}";
GRANT SELECT ON fid12_auth.users TO fid12_reader;
"""


def _entries(spec: Path, table: str) -> dict[str, dict]:  # type: ignore[type-arg]
    tables = yaml.safe_load(spec.read_text())["tables"]
    return {e["roles"][0]: e for e in tables[table]["privileges"]}


def _failing(report: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        f"{f['id']}: {f['message']}"
        for f in report["findings"]
        if f["status"] == "FAIL" and not f["id"].startswith("rules.")
    ]


def test_init_sql_does_not_pin_what_the_runner_decides(pg_server, make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """init --sql's spec of the history PASSes the database its runner built (it FAILed:
    "has USAGE on schema fid12_auth (the spec has its grants blocked without it)")."""
    runner = _runner(pg_server)
    sql = _history(runner)
    spec = static_init_spec(tmp_path, sql)
    users, sessions = _entries(spec, "fid12_auth.users"), _entries(spec, "fid12_auth.sessions")
    assert users[runner]["schema_usage"] == "any", users
    assert sessions[runner]["schema_usage"] == sessions[runner]["sequence_usage"] == "any"
    # a role the history creates does not run it: blocked whoever runs it, pinned as before
    assert users["fid12_reader"]["schema_usage"] is False, users
    assert _failing(audit_report(spec, make_db("fid12_ru", sql))) == []
    # and the history it was written from: `any` is not judged, in either world
    proc = run_cli("audit", "-s", spec, "--sql", tmp_path / "history", "-f", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    statuses = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    privileges = {i: s for i, s in statuses.items() if ".privileges." in i}
    assert len(privileges) == 3 and set(privileges.values()) == {"PASS"}, privileges


def _hand_spec(runner: str) -> str:
    return f"""spec_version: 1
name: runner usage
tables:
  fid12_auth.users:
    privileges:
      - {{roles: ["{runner}"], grant: [SELECT], schema_usage: false}}
      - {{roles: ["{runner}"], grant: [INSERT]}}
      - {{roles: [fid12_reader], grant: [SELECT], schema_usage: false}}
      - {{roles: [fid12_reader], grant: [SELECT]}}
"""


def test_a_verdict_the_runner_decides_is_deferred(pg_server, make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Statically, what depends on the runner owning the schema is DEFERRED with the reason
    (it was PASS for `schema_usage: false` and FAIL for a plain grant, while the database
    its runner built says FAIL and PASS); what holds whoever runs it is judged as the
    catalog judges it."""
    runner = _runner(pg_server)
    sql = _history(runner)
    spec = tmp_path / "spec.yaml"
    spec.write_text(_hand_spec(runner))
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(sql)
    proc = run_cli(
        "audit", "-s", spec, "--sql", history, "-f", "json", env={"SCHEMA_AUDIT_CACHE": "0"}
    )
    static = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    live = {f["id"]: f["status"] for f in audit_report(spec, make_db("fid12_rd", sql))["findings"]}
    prefix = "tables.fid12_auth.users.privileges."
    runner_ids = [prefix + "grant_select_0", prefix + "grant_insert_1"]
    assert [live[i] for i in runner_ids] == ["FAIL", "PASS"], live
    for i in runner_ids:
        assert static[i]["status"] == "DEFERRED", static[i]
        assert "depends on the role that runs the history" in static[i]["message"]
        assert "owns schema fid12_auth" in static[i]["message"]
    reader_ids = [prefix + "grant_select_2", prefix + "grant_select_3"]
    assert [static[i]["status"] for i in reader_ids] == [live[i] for i in reader_ids]
    assert [live[i] for i in reader_ids] == ["PASS", "FAIL"], live
