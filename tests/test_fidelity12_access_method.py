"""`CREATE ACCESS METHOD` read statically (left by exact8: over-deferral).

Access methods are not modelled; making one changes no table, index, type, grant or default
privilege. The statement was left unapplied as one that may change anything, so a history
with one DEFERRED every strict finding of `init --dsn`'s spec (strict.extensions, .domains,
.default_privileges …) and listed a statement it could not apply. It is applied as nothing
now; the tables using it are read as before. Real PostgreSQL.
"""

from __future__ import annotations

import json

from cli_runner import run_cli
from init_mutations import history_audit_of_database_spec

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

HISTORY = """
CREATE TABLE a (id int PRIMARY KEY, name text);
CREATE ACCESS METHOD heap12 TYPE TABLE HANDLER heap_tableam_handler;
CREATE TABLE b (id int PRIMARY KEY) USING heap12;
CREATE INDEX a_name ON a (name);
"""


def test_access_method_made_defers_nothing(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = history_audit_of_database_spec(make_db, tmp_path, "fid12am", {"001.sql": HISTORY})
    deferred = [
        f"{f['id']}: {f['message']}"
        for f in report["findings"]
        if f["status"] == "DEFERRED" and "could not apply" in f["message"]
    ]
    assert deferred == []
    assert [f["id"] for f in report["findings"] if f["status"] == "FAIL"] == []


def test_static_model_equals_the_catalog(make_db) -> None:  # type: ignore[no-untyped-def]
    static = interpret(HISTORY)
    assert static.unapplied == []
    assert [
        str(d) for d in diff_models(live.introspect(make_db("fid12am2", HISTORY)), static)
    ] == []
    assert static.tables["public.b"].access_method == "heap12"


def test_dropping_a_used_access_method(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """DROP ACCESS METHOD while a table uses it: refused as PostgreSQL refuses it (the model
    equals the catalog); with CASCADE PostgreSQL drops the table: statically it is DEFERRED,
    not kept (a spec requiring it PASSed: the drop was applied as nothing)."""
    refused = HISTORY + "DROP ACCESS METHOD heap12;\n"
    static = interpret(refused)
    assert [u.kind for u in static.unapplied] == ["error"]
    assert "depend on it" in static.unapplied[0].reason
    catalog = live.introspect(make_db("fid12am3", HISTORY))  # (psql: the DROP fails alone)
    assert [str(d) for d in diff_models(catalog, static)] == []
    report = history_audit_of_database_spec(
        make_db, tmp_path, "fid12am4", {"001.sql": HISTORY, "002.sql": "SELECT 1;\n"}
    )
    assert report["findings"]  # (init --dsn's spec of the database with b)
    (tmp_path / "sql" / "002.sql").write_text("DROP ACCESS METHOD heap12 CASCADE;\n")
    proc = run_cli("audit", "-s", tmp_path / "spec.yaml", "--sql", tmp_path / "sql", "-f", "json")
    statuses = {f["id"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert statuses["tables.b"] == "DEFERRED", statuses
