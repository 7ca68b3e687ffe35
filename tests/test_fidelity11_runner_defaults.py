"""`ALTER DEFAULT PRIVILEGES FOR ROLE <the runner>` read without knowing who runs the history.

A migration history does not say which role runs it; PostgreSQL applies a `FOR ROLE postgres`
entry to what postgres creates, so on a database built by postgres (the usual case: found on
tambo-ai/tambo-cloud, 20 findings) every table and function created after it carries the
grants. The static reading applied such an entry never (its runner is unknown), so init's
spec of the database FAILed those grants, while the owners of the same objects, unknown for
the same reason, were DEFERRED (false FAIL). Now the grants of such an entry are the ones the
object gets when the runner is that role: a finding whose verdict depends on them is
DEFERRED, like the owner; one that holds either way is judged (fidelity11)."""

from __future__ import annotations

import psycopg
from init_mutations import history_audit, history_audit_of_database_spec

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def _runner(pg_server) -> str:  # type: ignore[no-untyped-def]
    with psycopg.connect(pg_server.admin_dsn) as conn:
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])


def _history(runner: str, extra: str = "") -> dict[str, str]:
    return {
        "001_roles.sql": "".join(
            f"DO $$ BEGIN CREATE ROLE {role}; EXCEPTION WHEN duplicate_object THEN NULL; END $$;\n"
            for role in ("fid11_reader", "fid11_other")
        ),
        "002_defaults.sql": f"""
            ALTER DEFAULT PRIVILEGES FOR ROLE "{runner}" IN SCHEMA public
              GRANT SELECT ON TABLES TO fid11_reader;
            ALTER DEFAULT PRIVILEGES FOR ROLE "{runner}" IN SCHEMA public
              GRANT EXECUTE ON FUNCTIONS TO fid11_reader;
            ALTER DEFAULT PRIVILEGES FOR ROLE "{runner}" IN SCHEMA public
              GRANT USAGE ON SEQUENCES TO fid11_reader;
            ALTER DEFAULT PRIVILEGES FOR ROLE "{runner}" REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
            ALTER DEFAULT PRIVILEGES FOR ROLE fid11_other IN SCHEMA public
              GRANT UPDATE ON TABLES TO fid11_reader;
        """,
        "003_objects.sql": f"""
            CREATE TABLE thing (id SERIAL PRIMARY KEY, name TEXT);
            CREATE FUNCTION thing_count() RETURNS BIGINT LANGUAGE sql AS $$ SELECT 1::bigint $$;
            CREATE VIEW thing_names AS SELECT name FROM thing;
            CREATE TABLE granted (id INTEGER);
            GRANT SELECT ON granted TO fid11_reader;
            {extra}
        """,
    }


def test_defaults_for_the_runner_defer_not_fail(pg_server, make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """init --dsn's spec of the database the history built (by the cluster's own role)
    audited against the history: the grants the `FOR ROLE <runner>` entries gave are
    DEFERRED (they FAILed), nothing FAILs."""
    runner = _runner(pg_server)
    report = history_audit_of_database_spec(make_db, tmp_path, "fid11_dp", _history(runner))
    statuses = {f["id"]: f["status"] for f in report["findings"]}
    failing = {i: s for i, s in statuses.items() if s == "FAIL"}
    assert failing == {}, [f["message"] for f in report["findings"] if f["status"] == "FAIL"]
    deferred = {f["id"]: f["message"] for f in report["findings"] if f["status"] == "DEFERRED"}
    for key in ("tables.thing.privileges", "functions.thing_count", "sequences.thing_id_seq"):
        found = [m for i, m in deferred.items() if i.startswith(key)]
        assert found and all("ALTER DEFAULT PRIVILEGES FOR ROLE" in m for m in found), deferred
    # granted outright as well: held whoever runs the history, judged (PASS)
    assert statuses["tables.granted.privileges.grant_select_0"] == "PASS", statuses


def test_a_grant_wrong_whoever_runs_it_still_fails(pg_server, make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Only a verdict that depends on the runner is DEFERRED: init's spec of a database whose
    table was granted DELETE by hand FAILs against the history without that grant, whoever
    runs it (neither world holds it)."""
    runner = _runner(pg_server)
    files = _history(runner)
    history_audit_of_database_spec(
        make_db,
        tmp_path,
        "fid11_dpf",
        {**files, "004_more.sql": "GRANT DELETE ON thing TO fid11_reader;\n"},
    )
    # the history without the hand-made grant: the spec (with DELETE) FAILs in both worlds
    (tmp_path / "sql" / "004_more.sql").unlink()
    findings = history_audit(tmp_path)["findings"]
    failing = [f["message"] for f in findings if f["status"] == "FAIL"]
    assert any("DELETE" in m for m in failing), failing


def test_diff_holds_a_runner_s_grants_undecided(pg_server, make_db) -> None:  # type: ignore[no-untyped-def]
    """`diff` of the catalog against the history: the grants that depend on who runs it are
    undecided, not differences (they were listed as drift); nothing else differs."""
    runner = _runner(pg_server)
    files = _history(runner)
    catalog = live.introspect(make_db("fid11_dpd", "".join(files.values())))
    static = interpret("".join(files.values()))
    compared = compare_models(catalog, static)
    assert [str(d) for d in compared.differences] == []
    undecided = {(u.difference.object, u.difference.property) for u in compared.undecided}
    assert ("table public.thing", "privileges of fid11_reader") in undecided, undecided
