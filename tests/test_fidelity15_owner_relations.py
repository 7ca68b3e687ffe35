"""An owner that REVOKEd a right from itself on a table or a view (s16 "Known, not done").

PostgreSQL 15 keeps a relation's owner's items in its ACL: after ``REVOKE SELECT ON t FROM
app`` by app, ``relacl`` is ``{app=awdDxt/app}``, ``has_table_privilege('app', 't',
'SELECT')`` is false and app's ``SELECT * FROM t`` is "permission denied for table t".
The audit gave the owner every right of a table whatever its entry held, so ``privileges:``
``grant: [SELECT]`` for app PASSed (false PASS); on a view, a stated ``grants:`` to the
owner its entry holds FAILed "missing" (false FAIL). The live read now marks what a
relation's owner's entry lacks, as it does for the other kinds (owner16). Real PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import yaml
from cli_runner import run_cli
from test_owner16_owner_entry import _statuses  # (audit --dsn -f json: id -> status)

ROLE = "fidelity15_app"


def _owned(make_db) -> str:  # type: ignore[no-untyped-def]
    """Relations owned by ROLE; those named ``*_x`` had SELECT REVOKEd by ROLE from itself."""
    dsn = make_db(
        "fidelity15_rel",
        f"""DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}')
THEN CREATE ROLE {ROLE}; END IF; END $$;
CREATE SCHEMA r AUTHORIZATION {ROLE};
SET ROLE {ROLE};
CREATE TABLE r.t (id int, note text);
CREATE TABLE r.t_x (id int, note text);
REVOKE SELECT ON r.t_x FROM {ROLE};
CREATE TABLE r.c_x (id int, note text);
REVOKE SELECT ON r.c_x FROM {ROLE};
GRANT SELECT (id) ON r.c_x TO {ROLE};
CREATE VIEW r.v AS SELECT id FROM r.t;
CREATE VIEW r.w AS SELECT id FROM r.t;
GRANT SELECT ON r.w TO {ROLE};
CREATE VIEW r.v_x AS SELECT id FROM r.t;
REVOKE SELECT ON r.v_x FROM {ROLE};
RESET ROLE;
""",
    )
    with psycopg.connect(dsn) as conn:  # what PostgreSQL 15 stores and decides
        acl = conn.execute("SELECT relacl::text FROM pg_class WHERE relname = 't_x'").fetchone()
        assert acl == (f"{{{ROLE}=awdDxt/{ROLE}}}",)
        held = conn.execute(
            f"SELECT has_table_privilege('{ROLE}', 'r.t_x', 'SELECT'), "
            f"has_table_privilege('{ROLE}', 'r.t_x', 'INSERT'), "
            f"has_column_privilege('{ROLE}', 'r.c_x', 'id', 'SELECT'), "
            f"has_column_privilege('{ROLE}', 'r.c_x', 'note', 'SELECT'), "
            f"has_table_privilege('{ROLE}', 'r.v_x', 'SELECT'), "
            f"has_table_privilege('{ROLE}', 'r.w', 'SELECT')"
        ).fetchone()
        assert held == (False, True, True, False, False, True)
    return dsn


def test_table_privileges_of_an_owner_whose_entry_lacks_them(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = _owned(make_db)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    wanted = {
        ("r.t", "grant", "SELECT", ()): "PASS",
        ("r.t_x", "grant", "SELECT", ()): "FAIL",  # PASSed: ownership gave everything
        ("r.t_x", "deny", "SELECT", ()): "PASS",  # FAILed
        ("r.t_x", "grant", "INSERT", ()): "PASS",
        ("r.c_x", "grant", "SELECT", ("id",)): "PASS",  # its own column grant
        ("r.c_x", "grant", "SELECT", ("note",)): "FAIL",
    }
    ids = {}
    for table, verb, privilege, columns in wanted:
        entries = written["tables"][table].setdefault("privileges", [])
        entry = {"roles": [ROLE], verb: [privilege]}
        if columns:
            entry["columns"] = list(columns)
        entries.append(entry)
        ids[table, verb, privilege, columns] = (
            f"tables.{table}.privileges.{verb}_{privilege.lower()}_{len(entries) - 1}"
        )
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    assert {key: statuses[i] for key, i in ids.items()} == wanted


def test_a_stated_owner_grant_on_a_view(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Held when the owner's entry holds it (r.v: the default; r.w: GRANT to itself, folded
    into its entry), not when the owner REVOKEd it (r.v_x)."""
    dsn = _owned(make_db)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    for name in ("r.v", "r.w", "r.v_x"):
        written["views"][name].setdefault("grants", {})[ROLE] = ["SELECT"]
    spec.write_text(yaml.safe_dump(written))
    statuses = _statuses(spec, dsn)
    got = [statuses[f"views.{name}"] for name in ("r.v", "r.w", "r.v_x")]
    assert got == ["PASS", "PASS", "FAIL"]
    # a spec naming another owner does not hold it by this one's entry
    written["views"]["r.w"]["owner"] = "pg_monitor"
    spec.write_text(yaml.safe_dump(written))
    assert _statuses(spec, dsn)["views.r.w"] == "FAIL"


def test_inspect_marks_only_a_relation_whose_owner_entry_lacks_a_right(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn = _owned(make_db)
    proc = run_cli("inspect", "--dsn", dsn, "-f", "json")
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)["model"]
    marks = sorted(
        (name, g["grantee"], g["privilege"])
        for section in ("tables", "views")
        for name, obj in model[section].items()
        for g in obj["grants"]
        if g["privilege"].startswith("-")
    )
    assert marks == [
        ("r.c_x", ROLE, "-SELECT"),
        ("r.t_x", ROLE, "-SELECT"),
        ("r.v_x", ROLE, "-SELECT"),
    ], marks


def test_init_pins_what_an_owner_revoked_from_itself(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """init --dsn wrote nothing about it (silence): the owner's GRANT back PASSed. It now
    writes ``deny`` for what the owner cannot use (r.t_x SELECT; not r.c_x, whose column
    grant gives the owner SELECT on id), which the same database PASSes."""
    dsn = _owned(make_db)
    spec = tmp_path / "spec.yaml"
    assert run_cli("init", "--dsn", dsn, "-o", spec).returncode == 0
    written = yaml.safe_load(spec.read_text())
    denied = {
        name: entry
        for name, table in written["tables"].items()
        for entry in table.get("privileges") or []
        if entry.get("deny")
    }
    assert denied == {"r.t_x": {"roles": [ROLE], "deny": ["SELECT"]}}, denied
    statuses = _statuses(spec, dsn)
    assert statuses["tables.r.t_x.privileges.deny_select_0"] == "PASS"
    assert [i for i, s in statuses.items() if s == "FAIL" and not i.startswith("rules.")] == []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"GRANT SELECT ON r.t_x TO {ROLE}")
    assert _statuses(spec, dsn)["tables.r.t_x.privileges.deny_select_0"] == "FAIL"
