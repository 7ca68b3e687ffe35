"""CREATE SCHEMA with schema elements, read as PostgreSQL 15 runs it.

``CREATE SCHEMA app CREATE TABLE inner_t (…)`` makes ``app.inner_t``: PostgreSQL puts each
element's relation (a table, view, sequence; an index's or a trigger's table) in the schema
being created, runs the elements by kind (sequences, tables, views, indexes, triggers,
GRANTs) with that schema first on the search_path, refuses an element naming another schema
or a temporary relation, and undoes the whole statement, the schema too, when one element is
refused. The static reading applied each element as its own statement through the caller's
search_path: ``inner_t`` was in public (a false PASS of ``tables.inner_t`` against a spec
written from the reading, a false FAIL against PostgreSQL's), a view naming a table written
after it was refused, and the elements of a refused statement stayed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_schema.sql": (
        "CREATE TABLE t (x int);\n"
        "CREATE TABLE pt (y int);\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
        "CREATE SCHEMA app\n"
        "  CREATE VIEW v AS SELECT id, r FROM inner_t\n"
        "  CREATE INDEX inner_i ON inner_t (id)\n"
        "  CREATE INDEX ti ON t (x)\n"
        "  CREATE TABLE other (id int PRIMARY KEY)\n"
        "  CREATE TABLE inner_t (id int DEFAULT nextval('sq'), r int REFERENCES other (id))\n"
        "  CREATE TABLE t (x int, z int)\n"
        "  CREATE VIEW pv AS SELECT y FROM pt\n"
        "  CREATE SEQUENCE sq\n"
        "  CREATE TRIGGER tg BEFORE INSERT ON inner_t FOR EACH ROW EXECUTE FUNCTION touch()\n"
        "  GRANT SELECT ON inner_t, pt TO PUBLIC;\n"
        # refused: an element in another schema, a temporary one, a schema that exists,
        # an element that fails (the tables before it are undone with the schema)
        "CREATE SCHEMA bad CREATE TABLE public.z (id int);\n"
        "CREATE SCHEMA tmp CREATE TEMP TABLE tt (x int);\n"
        "CREATE SCHEMA app CREATE TABLE again (x int);\n"
        "CREATE SCHEMA undone CREATE TABLE kept (x int) CREATE TABLE r (y int, y int);\n"
        "CREATE SCHEMA public CREATE TABLE p2 (x int);\n"
        # GRANTs of other objects: undone with their statement; a sequence found on the path
        "CREATE SEQUENCE s;\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        "REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;\n"
        "CREATE SCHEMA g1 CREATE TABLE a (x int) GRANT USAGE ON SEQUENCE s TO PUBLIC\n"
        "  GRANT EXECUTE ON FUNCTION f() TO PUBLIC GRANT SELECT ON ALL TABLES IN SCHEMA public\n"
        "  TO PUBLIC GRANT SELECT ON nosuch TO PUBLIC;\n"
        "CREATE SCHEMA g2 CREATE TABLE b (x int) GRANT UPDATE ON SEQUENCE s TO PUBLIC;\n"
    ),
}

SPEC = """
name: t
tables:
  inner_t: {}
  app.inner_t: {}
  app.other: {}
  undone.kept: {}
"""


@PATHS
def test_schema_elements_are_made_in_the_schema_as_postgresql_makes_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("schema_elts")
    errors = psql_f(dsn, history, *FILES, stop=False)
    assert errors.count("ERROR") == 6, errors
    catalog = live.introspect(dsn)
    wanted = ["app.inner_t", "app.other", "app.t", "g2.b", "public.pt", "public.t"]
    assert sorted(catalog.tables) == wanted
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == wanted
    assert sorted(static.views) == sorted(catalog.views) == ["app.pv", "app.v"]
    assert sorted(static.schemas) == sorted(s for s in catalog.schemas if s != "public")
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    assert [(u.line, u.kind) for u in static.unapplied] == [
        (15, "error"),
        (16, "error"),
        (17, "error"),
        (18, "error"),
        (19, "error"),
        (23, "error"),
    ], static.unapplied
    assert [g.privilege for g in static.sequences["public.s"].grants] == ["UPDATE"]
    assert static.tables["public.t"].grants == []
    assert [g.grantee for g in static.functions["public.f()"].grants] == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted_statuses = {
        "tables.inner_t": "FAIL",  # PostgreSQL: not in public (the reading said PASS)
        "tables.app.inner_t": "PASS",
        "tables.app.other": "PASS",
        "tables.undone.kept": "DEFERRED",  # PostgreSQL: FAIL; a refused statement: open
    }
    assert {k: statuses[k] for k in wanted_statuses} == wanted_statuses


REFUSED = {
    "001_refused.sql": (
        "CREATE SEQUENCE s;\n"
        # PostgreSQL: the first relation named s on the path is app's table: "s" is not a
        # sequence, and the whole statement is undone (review19 on 7c95624)
        "CREATE SCHEMA app CREATE TABLE s (x int) GRANT USAGE ON SEQUENCE s TO PUBLIC;\n"
        "CREATE SCHEMA app2;\n"
        "CREATE TABLE app2.s (x int);\n"
        "SET search_path = app2, public;\n"
        "GRANT USAGE ON SEQUENCE s TO PUBLIC;\n"
        "RESET search_path;\n"
        # "cannot be executed from a function" (review19 on a0c1646)
        "CREATE SCHEMA app3 CREATE TABLE t (x int) CREATE INDEX CONCURRENTLY ti ON t (x);\n"
    ),
}


@PATHS
def test_schema_elements_postgresql_refuses_are_refused(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, REFUSED)
    dsn = make_db("schema_elts_refused")
    errors = psql_f(dsn, history, *REFUSED, stop=False)
    assert errors.count('"s" is not a sequence') == 2, errors
    assert "cannot be executed from a function" in errors, errors
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == sorted(catalog.tables) == ["app2.s"]
    assert static.sequences["public.s"].grants == []
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    assert [(u.line, u.kind) for u in static.unapplied] == [
        (2, "error"),
        (6, "error"),
        (8, "error"),
    ]
