"""The definitions the live reader builds on the client are the server's own text.

For the common shapes the reader assembles ``pg_get_indexdef`` / ``pg_get_constraintdef``
from catalog columns instead of making the server deparse each object (the largest part of
a 5,000-table read). Ground truth is the server function itself: every object of a generated
schema and of awkward hand-written ones is compared with it, with and without
``quote_all_identifiers``.
"""

from __future__ import annotations

import psycopg
import pytest
from synthetic import generate

from schema_audit.sources import live
from schema_audit.sources.live_deparse import Quoter

AWKWARD = """
CREATE SCHEMA "Other Schema";
CREATE SCHEMA s2;
CREATE DOMAIN dtext AS text;
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE "Other Schema"."Mixed Case" (
  id int PRIMARY KEY, "select" text, "user" varchar(20), abort int, "between" int,
  "left" int, "a""b" int, "café" int, "a$b" int, "Upper" int, interval int,
  d dtext, m mood, arr int[], ch char(3), nm name, ts tsvector, r int4range, j jsonb, net cidr
);
CREATE INDEX "Idx Mixed" ON "Other Schema"."Mixed Case" ("select" DESC, "user" ASC NULLS FIRST,
  abort DESC NULLS LAST, "between" NULLS LAST);
CREATE UNIQUE INDEX "select" ON "Other Schema"."Mixed Case" ("a""b", "café") INCLUDE ("a$b", "Upper");
CREATE INDEX idx_kw ON "Other Schema"."Mixed Case" ("left", interval) WHERE "left" > 0 AND interval IS NOT NULL;
CREATE INDEX idx_hash ON "Other Schema"."Mixed Case" USING hash ("user");
CREATE INDEX idx_hash_text ON "Other Schema"."Mixed Case" USING hash ("select");
CREATE INDEX idx_domain ON "Other Schema"."Mixed Case" (d);
CREATE INDEX idx_enum ON "Other Schema"."Mixed Case" (m);
CREATE INDEX idx_arr ON "Other Schema"."Mixed Case" (arr);
CREATE INDEX idx_gin ON "Other Schema"."Mixed Case" USING gin (arr);
CREATE INDEX idx_gist ON "Other Schema"."Mixed Case" USING gist (ts);
CREATE INDEX idx_gist_siglen ON "Other Schema"."Mixed Case" USING gist (ts tsvector_ops (siglen = 100));
CREATE INDEX idx_brin ON "Other Schema"."Mixed Case" USING brin (id);
CREATE INDEX idx_range ON "Other Schema"."Mixed Case" USING gist (r);
CREATE INDEX idx_char_pattern ON "Other Schema"."Mixed Case" (ch bpchar_pattern_ops);
CREATE INDEX idx_cidr ON "Other Schema"."Mixed Case" (net);
CREATE INDEX idx_char ON "Other Schema"."Mixed Case" (ch);
CREATE INDEX idx_name ON "Other Schema"."Mixed Case" (nm);
CREATE INDEX idx_pattern ON "Other Schema"."Mixed Case" ("select" text_pattern_ops);
CREATE INDEX idx_varchar_pattern ON "Other Schema"."Mixed Case" ("user" varchar_pattern_ops);
CREATE INDEX idx_varchar_text ON "Other Schema"."Mixed Case" ("user" text_ops);
CREATE INDEX idx_coll ON "Other Schema"."Mixed Case" ("select" COLLATE "C");
CREATE INDEX idx_coll_posix ON "Other Schema"."Mixed Case" ("user" COLLATE "POSIX" DESC);
CREATE INDEX idx_expr ON "Other Schema"."Mixed Case" (lower("select"), (abort + 1));
CREATE INDEX idx_expr_mixed ON "Other Schema"."Mixed Case" (id, (j ->> 'k')) INCLUDE (abort);
CREATE INDEX idx_fill ON "Other Schema"."Mixed Case" (id) WITH (fillfactor = 70);
CREATE INDEX idx_jsonb ON "Other Schema"."Mixed Case" (j);
CREATE TABLE s2.p (id int, k text, v int) PARTITION BY RANGE (id);
CREATE TABLE s2.p1 PARTITION OF s2.p FOR VALUES FROM (0) TO (10);
CREATE INDEX p_k ON s2.p (k DESC) WHERE v IS NULL;
CREATE UNIQUE INDEX p_id ON s2.p (id) NULLS NOT DISTINCT;
CREATE TABLE s2.x (id int, r int4range, EXCLUDE USING gist (r WITH &&),
  u int, UNIQUE NULLS NOT DISTINCT (u) INCLUDE (id));
CREATE MATERIALIZED VIEW s2.mv AS SELECT 1 AS "group", 2 AS b;
CREATE UNIQUE INDEX mv_group ON s2.mv ("group", b DESC);
CREATE TABLE public.plain (id bigint PRIMARY KEY, code varchar(64) UNIQUE, t text, n numeric,
  at timestamptz, u uuid, dt date);
CREATE INDEX plain_multi ON public.plain (code, t DESC, n NULLS FIRST) INCLUDE (u) WHERE at > '2020-01-01';
CREATE INDEX plain_uuid ON public.plain USING hash (u);
"""


def _server_indexdefs(dsn: str) -> dict[tuple[str, str, str], str]:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path = ''")
        rows = conn.execute(
            "SELECT n.nspname, c.relname, ic.relname, pg_catalog.pg_get_indexdef(i.indexrelid)"
            " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
            " JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchall()
    return {(schema, table, index): d for schema, table, index, d in rows}


def _model_indexdefs(dsn: str) -> dict[tuple[str, str, str], str | None]:
    model = live.introspect(dsn, jobs=1)
    return {
        (rel.schema, rel.name, index.name): index.definition
        for rels in (model.tables, model.views)
        for rel in rels.values()
        for index in rel.indexes.values()
    }


def _built_on_client(dsn: str) -> int:
    """How many index definitions the query left for the client to build."""
    conn = live.connect_readonly(dsn)
    try:
        reader = live._Reader(conn, dsn, None)
        live._server_version(reader)
        return sum(1 for row in reader.rows(live.Q_INDEXES, "indexes") if row[8] is None)
    finally:
        conn.close()


@pytest.mark.parametrize("quote_all", [False, True])
def test_index_definitions_are_the_servers_on_awkward_and_generated_schemas(
    make_db, quote_all: bool
) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("deparse", AWKWARD + "".join(sql for _, sql in generate(30).files))
    if quote_all:
        with psycopg.connect(dsn, autocommit=True) as conn:
            name = conn.info.dbname
            conn.execute(f'ALTER DATABASE "{name}" SET quote_all_identifiers = on')
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SHOW quote_all_identifiers").fetchone()[0] == "on"
    server = _server_indexdefs(dsn)
    model = _model_indexdefs(dsn)
    assert set(model) == set(server)
    assert {k: v for k, v in model.items() if server[k] != v} == {}
    assert len(server) > 150
    # and most of them were built on the client (the shapes the query knows as plain)
    assert _built_on_client(dsn) > 100


def test_quoter_follows_quote_identifier() -> None:
    q = Quoter(["select", "between", "left", "interval", "user"], False)
    assert [q[n] for n in ("abc_1", "_x", "select", "Upper", 'a"b', "café", "a$b", "1a", "abort")] == [
        "abc_1", "_x", '"select"', '"Upper"', '"a""b"', '"café"', '"a$b"', '"1a"', "abort",
    ]  # fmt: skip
    assert Quoter([], True)["abc"] == '"abc"'
