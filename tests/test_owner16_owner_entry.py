"""A stated grant to an object's owner is held when the owner's own ACL entry holds it.

supabase/postgres's init scripts grant to the role that runs them (``GRANT EXECUTE ON
FUNCTION extensions.grant_access() TO postgres``, ``GRANT USAGE ON SCHEMA extensions TO
postgres``) and never say OWNER TO: init --sql writes those grants, and the database built
as postgres folds them into the owner's own entry, which the catalog read left out, so the
audit FAILed ``postgres EXECUTE missing`` (false FAIL; trial14, roles15, fidelity14).
Holding every stated owner grant by ownership (3a12851, rejected) was a false PASS: the
owner's ``REVOKE EXECUTE … FROM`` itself leaves ``{=X/app}`` (PostgreSQL 15: no owner
entry; schema ``{app=C/app}``, sequence ``{app=rw/app}``) and PostgreSQL refuses it. The
live read now marks what the owner's entry lacks (sources/live_acl.grants) and a stated
owner grant is held only when the entry holds it. Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import yaml
from cli_runner import run_cli

ROLE = "owner16_app"


def _history(tmp_path: Path, runner: str) -> Path:
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "001_init.sql").write_text(
        "CREATE SCHEMA extensions;\n"
        "CREATE FUNCTION extensions.grant_access() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        f'GRANT EXECUTE ON FUNCTION extensions.grant_access() TO "{runner}";\n'
        f'GRANT USAGE ON SCHEMA extensions TO "{runner}";\n'
        "CREATE SEQUENCE extensions.s;\n"
        f'GRANT USAGE ON SEQUENCE extensions.s TO "{runner}";\n'
    )
    return folder


def _statuses(spec: Path, dsn: str) -> dict[str, str]:
    proc = run_cli("audit", "-s", spec, "--dsn", dsn, "-f", "json")
    assert proc.returncode != 2, proc.stdout + proc.stderr
    return {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}


def test_init_sql_grants_to_the_runner_pass_the_database_it_built(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("owner16_sb")
    with psycopg.connect(dsn, autocommit=True) as conn:
        runner = conn.info.user
        history = _history(tmp_path, runner)
        conn.execute((history / "001_init.sql").read_text())
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--sql", history, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    assert written["functions"]["extensions.grant_access"]["grants"][runner] == ["EXECUTE"]
    statuses = _statuses(spec, dsn)
    assert [i for i, s in statuses.items() if s == "FAIL"] == []
    # a grant to a role that does not own it still counts, as does a spec naming another owner
    written["functions"]["extensions.grant_access"]["grants"]["pg_monitor"] = ["EXECUTE"]
    written["schemas"]["extensions"]["owner"] = "pg_monitor"
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    assert statuses["functions.extensions.grant_access"] == "FAIL"
    assert statuses["schemas.extensions"] == "FAIL"


def _owned(make_db) -> str:  # type: ignore[no-untyped-def]
    """Objects owned by ROLE; those named ``*_x`` had a right REVOKEd by ROLE from itself."""
    dsn = make_db(
        "owner16_rv",
        f"""DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}')
THEN CREATE ROLE {ROLE}; END IF; END $$;
CREATE SCHEMA o AUTHORIZATION {ROLE};
CREATE SCHEMA o_x AUTHORIZATION {ROLE};
SET ROLE {ROLE};
CREATE FUNCTION o.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION o.f_x() RETURNS int LANGUAGE sql AS 'SELECT 1';
REVOKE EXECUTE ON FUNCTION o.f_x() FROM {ROLE};
CREATE FUNCTION o.g() RETURNS int LANGUAGE sql AS 'SELECT 1';
GRANT EXECUTE ON FUNCTION o.g() TO {ROLE} WITH GRANT OPTION;
CREATE SEQUENCE o.q;
CREATE SEQUENCE o.q_x;
REVOKE USAGE ON SEQUENCE o.q_x FROM {ROLE};
REVOKE USAGE ON SCHEMA o_x FROM {ROLE};
CREATE DOMAIN o.d AS int;
CREATE DOMAIN o.d_x AS int;
REVOKE USAGE ON DOMAIN o.d_x FROM {ROLE};
RESET ROLE;
""",
    )
    with psycopg.connect(dsn) as conn:  # what PostgreSQL 15 stores: the owner's entry gone
        assert conn.execute(
            "SELECT proacl::text FROM pg_proc WHERE proname = 'f_x'"
        ).fetchone() == ("{=X/owner16_app}",)
        assert conn.execute(
            "SELECT nspacl::text FROM pg_namespace WHERE nspname = 'o_x'"
        ).fetchone() == ("{owner16_app=C/owner16_app}",)
    return dsn


def test_a_stated_owner_grant_its_entry_lacks_fails(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = _owned(make_db)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    stated = {
        ("functions", "o.f"): ["EXECUTE"],
        ("functions", "o.f_x"): ["EXECUTE"],
        ("functions", "o.g"): ["EXECUTE WITH GRANT OPTION"],
        ("sequences", "o.q"): ["SELECT", "UPDATE", "USAGE"],
        ("sequences", "o.q_x"): ["USAGE"],
        ("schemas", "o"): ["CREATE", "USAGE"],
        ("schemas", "o_x"): ["USAGE"],
        ("domains", "o.d"): ["USAGE"],
        ("domains", "o.d_x"): ["USAGE"],
    }
    for (kind, name), privileges in stated.items():
        written[kind][name].setdefault("grants", {})[ROLE] = privileges
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    got = {(kind, name): statuses[f"{kind}.{name}"] for kind, name in stated}
    assert got == {(kind, name): "FAIL" if name.endswith("_x") else "PASS" for kind, name in stated}
    # the right the owner's entry still holds is held: CREATE on o_x, SELECT on q_x
    written["schemas"]["o_x"]["grants"][ROLE] = ["CREATE"]
    written["sequences"]["o.q_x"]["grants"][ROLE] = ["SELECT", "UPDATE"]
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    assert (statuses["schemas.o_x"], statuses["sequences.o.q_x"]) == ("PASS", "PASS")
    # a privilege no ACL of the kind holds is not held by the owner either
    written["functions"]["o.f"]["grants"][ROLE] = ["SELECT"]
    spec.write_text(yaml.safe_dump(written))
    assert _statuses(spec, dsn)["functions.o.f"] == "FAIL"


def test_inspect_marks_only_an_owner_entry_that_lacks_a_right(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = _owned(make_db)
    proc = run_cli("inspect", "--dsn", dsn, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)["model"]
    marks = sorted(
        (name, g["privilege"])
        for section in ("functions", "sequences", "domains")
        for name, obj in model[section].items()
        for g in obj["grants"]
        if g["privilege"].startswith("-")
    )
    marks += sorted(
        (name, g["privilege"])
        for name, grants in model["schema_grants"].items()
        for g in grants
        if g["privilege"].startswith("-")
    )
    assert marks == [
        ("o.d_x", "-USAGE"),
        ("o.f_x()", "-EXECUTE"),
        ("o.q_x", "-USAGE"),
        ("o_x", "-USAGE"),
    ], marks


def test_a_static_reading_does_not_hold_an_owner_grant_by_ownership(tmp_path: Path) -> None:
    """A history that names the owner and then REVOKEs from it: the static reading does not
    mark the owner's entry, so a stated grant to the owner is not held by ownership there
    (it counts as written: FAIL, as before), never a PASS PostgreSQL would refuse."""
    history = tmp_path / "history"
    history.mkdir()
    (history / "001_init.sql").write_text(
        "CREATE SCHEMA o;\n"
        "CREATE FUNCTION o.f_x() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        f"ALTER FUNCTION o.f_x() OWNER TO {ROLE};\n"
        f"REVOKE EXECUTE ON FUNCTION o.f_x() FROM {ROLE};\n"
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "spec_version": 1,
                "name": "owner16",
                "functions": {"o.f_x": {"grants": {ROLE: ["EXECUTE"], "public": ["EXECUTE"]}}},
            }
        )
    )
    proc = run_cli("audit", "-s", spec, "--sql", history, "-f", "json")
    assert proc.returncode != 2, proc.stdout + proc.stderr
    found = {f["id"]: f for f in json.loads(proc.stdout)["findings"]}
    assert found["functions.o.f_x"]["status"] == "FAIL", found


def test_execute_of_an_owner_whose_entry_lacks_it(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``execute:`` asks what a role can do: ownership gave the owner (and its members)
    EXECUTE whatever the ACL said, so after ``REVOKE ALL … FROM PUBLIC, <owner>`` (``{}``;
    PostgreSQL 15: permission denied for the owner and its members) ``grant: [owner]`` PASSed
    and ``deny: [owner]`` FAILed. PUBLIC's EXECUTE still serves an owner that lacks its own."""
    dsn = _owned(make_db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"SET ROLE {ROLE}; "
            "CREATE FUNCTION o.none() RETURNS int LANGUAGE sql AS 'SELECT 1'; "
            f"REVOKE ALL ON FUNCTION o.none() FROM PUBLIC, {ROLE}; RESET ROLE"
        )
        held = conn.execute(
            f"SELECT has_function_privilege('{ROLE}', 'o.none()', 'EXECUTE'), "
            f"has_function_privilege('{ROLE}', 'o.f_x()', 'EXECUTE')"
        ).fetchone()
        assert held == (False, True)  # o.f_x: PUBLIC's EXECUTE
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    written["functions"]["o.none"]["execute"] = {"grant": [ROLE]}
    written["functions"]["o.f_x"]["execute"] = {"grant": [ROLE]}
    written["functions"]["o.f"]["execute"] = {"grant": [ROLE]}
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    got = [statuses[f"functions.o.{name}"] for name in ("none", "f_x", "f")]
    assert got == ["FAIL", "PASS", "PASS"]
    written["functions"]["o.none"]["execute"] = {"deny": [ROLE]}
    spec.write_text(yaml.safe_dump(written))
    assert _statuses(spec, dsn)["functions.o.none"] == "PASS"


def test_schema_usage_of_an_owner_whose_entry_lacks_it(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A table ROLE owns in a schema whose USAGE ROLE REVOKEd from itself: PostgreSQL 15
    refuses ROLE the table (permission denied for schema o_x); ``privileges:`` for ROLE
    PASSed (ownership of the schema gave USAGE)."""
    dsn = _owned(make_db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE o_x.t (id int); ALTER TABLE o_x.t OWNER TO {ROLE}")
        usage = f"SELECT has_schema_privilege('{ROLE}', 'o_x', 'USAGE')"
        assert conn.execute(usage).fetchone() == (False,)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    entries = written["tables"]["o_x.t"].setdefault("privileges", [])
    entries.append({"roles": [ROLE], "grant": ["SELECT"]})
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    assert statuses[f"tables.o_x.t.privileges.grant_select_{len(entries) - 1}"] == "FAIL"
