"""A role the history only GRANTs a role to may still be the one that runs it.

supabase/postgres (trial14) runs `GRANT supabase_auth_admin TO postgres` and never creates
postgres: PostgreSQL refuses a GRANT to a role that does not exist, so the history assumes
it. The static reading put postgres into ``model.roles`` (GRANT role TO setdefaults the
grantee), and ``audit/privileges.may_run`` (now ``model.may_run_history``) read "in model.roles" as "created by the
history, so not its runner": postgres's USAGE on a schema the history makes (its owner
if it runs the history) was pinned false, and init --sql's spec FAILed the database the
history built. PostgreSQL 15 (checked): run as postgres, postgres owns schema and
function; run as another superuser, that role owns them and postgres holds its grants.
Only CREATE ROLE / USER / GROUP makes a role one the history created. Real PostgreSQL.
"""

from __future__ import annotations

import json

import yaml
from cli_runner import run_cli
from init_mutations import audit_report, failing_ids, static_init_spec
from test_fidelity12_runner_usage import _runner


def _history(runner: str, body: str) -> str:
    """``body`` after supabase's preamble: a role it creates (if missing: roles are the
    cluster's), granted to the runner, which the history never creates."""
    return f"""
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'roles15_admin')
THEN CREATE ROLE roles15_admin; END IF; END $$;
CREATE SCHEMA roles15_auth;
GRANT roles15_admin TO "{runner}";
{body}"""


def test_a_role_granted_a_role_may_still_own_the_schema(pg_server, make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """init --sql's spec PASSes the database the history's runner built (it FAILed:
    the runner's USAGE on roles15_auth pinned false, "has USAGE on schema roles15_auth")."""
    runner = _runner(pg_server)
    sql = _history(
        runner,
        f"""CREATE TABLE roles15_auth.users (id int PRIMARY KEY);
GRANT SELECT ON roles15_auth.users TO "{runner}", roles15_admin;
""",
    )
    spec = static_init_spec(tmp_path, sql)
    entries = {
        e["roles"][0]: e
        for e in yaml.safe_load(spec.read_text())["tables"]["roles15_auth.users"]["privileges"]
    }
    assert entries[runner]["schema_usage"] == "any", entries
    # the role the history creates still cannot run it: blocked whoever runs it
    assert entries["roles15_admin"]["schema_usage"] is False, entries
    assert failing_ids(audit_report(spec, make_db("roles15", sql))) == []


def test_owner_to_from_a_runner_granted_a_role(pg_server, make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """supabase's auth.uid: made by the runner, granted to postgres, OWNER TO another role.
    Run as postgres, postgres's entry goes with the ownership (PostgreSQL 15: no entry);
    run as another role, postgres keeps EXECUTE. init --dsn's spec FAILed the history
    ("postgres EXECUTE not in the spec"); now DEFERRED, as without the GRANT role TO."""
    runner = _runner(pg_server)
    sql = _history(
        runner,
        f"""CREATE FUNCTION roles15_auth.uid() RETURNS int LANGUAGE sql AS 'SELECT 1';
GRANT ALL ON ALL ROUTINES IN SCHEMA roles15_auth TO "{runner}";
ALTER FUNCTION roles15_auth.uid() OWNER TO roles15_admin;
""",
    )
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_base.sql").write_text(sql)
    live_spec = tmp_path / "live.yaml"
    assert run_cli("init", "--dsn", make_db("roles15o", sql), "-o", live_spec).returncode == 0
    proc = run_cli("audit", "-s", live_spec, "--sql", history, "-f", "json")
    found = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    uid = found["functions.roles15_auth.uid"]
    assert uid["status"] == "DEFERRED", uid
    assert f"PASS if {runner} runs it" in uid["message"], uid
