"""A view's output column that is a whole row, read statically as PostgreSQL 15 stores it
(fidelity11; metabrainz/musicbrainz-server's form, left by trial11): `SELECT editor FROM
editor` is printed `SELECT editor.*::public.editor AS editor`; the static reading kept
`editor`, a false FAIL of the view's query against init's spec of the database."""

from __future__ import annotations

from init_mutations import history_audit_of_database_spec

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

WHOLE_ROWS = """
    CREATE SCHEMA mb;
    CREATE TABLE mb.editor (id INTEGER, name TEXT);
    CREATE TABLE mb.artist (id INTEGER, artist TEXT);
    CREATE VIEW mb.editors AS SELECT editor FROM mb.editor;
    CREATE VIEW mb.aliased AS SELECT e FROM mb.editor e;
    CREATE VIEW mb.renamed AS SELECT id, editor AS whole FROM mb.editor;
    -- a column named like its table is a column, not the row
    CREATE VIEW mb.artists AS SELECT artist FROM mb.artist;
    CREATE VIEW mb.ctes AS WITH x AS (SELECT 1 AS n) SELECT n FROM x;
"""


def test_a_whole_row_output_column_is_the_catalog_s(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    static = interpret(WHOLE_ROWS)
    catalog = live.introspect(make_db("fid11_wrow", WHOLE_ROWS))
    assert [str(d) for d in diff_models(catalog, static)] == []
    report = history_audit_of_database_spec(
        make_db, tmp_path, "fid11_wrows", {"001.sql": WHOLE_ROWS}
    )
    assert [f["message"] for f in report["findings"] if f["status"] == "FAIL"] == []
