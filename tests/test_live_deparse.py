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
CREATE TABLE "Other Schema"."Parent" ("Id" int, k int, PRIMARY KEY ("Id", k), UNIQUE (k));
CREATE TABLE s2.child (
  id int PRIMARY KEY, "Pid" int, pk int, "order" int, v int,
  CONSTRAINT "fk Full" FOREIGN KEY ("Pid", pk) REFERENCES "Other Schema"."Parent" MATCH FULL
    ON UPDATE CASCADE ON DELETE SET NULL,
  CONSTRAINT fk_setnull_cols FOREIGN KEY ("Pid", pk) REFERENCES "Other Schema"."Parent"
    ON DELETE SET NULL ("Pid"),
  CONSTRAINT fk_deferred FOREIGN KEY (pk) REFERENCES "Other Schema"."Parent" (k)
    ON DELETE RESTRICT ON UPDATE SET DEFAULT DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT fk_deferrable FOREIGN KEY (pk) REFERENCES "Other Schema"."Parent" (k) DEFERRABLE,
  CONSTRAINT fk_self FOREIGN KEY ("order") REFERENCES s2.child ON DELETE CASCADE,
  CONSTRAINT "check ""q"" x" CHECK ("order" > 0 AND v IS DISTINCT FROM 3) NO INHERIT,
  CONSTRAINT u_nnd UNIQUE NULLS NOT DISTINCT (v, "order"),
  CONSTRAINT u_incl UNIQUE (pk) INCLUDE (v),
  CONSTRAINT u_deferred UNIQUE ("Pid") DEFERRABLE INITIALLY DEFERRED
);
ALTER TABLE s2.child ADD CONSTRAINT fk_not_valid FOREIGN KEY (v) REFERENCES s2.child NOT VALID;
ALTER TABLE s2.child ADD CONSTRAINT ck_not_valid CHECK (v < 100) NOT VALID;
CREATE TABLE s2.pk_incl (id int, w int, PRIMARY KEY (id) INCLUDE (w));
CREATE TABLE s2.to_part (id int REFERENCES s2.p1 (id) ON UPDATE NO ACTION);
ALTER TABLE s2.p1 ADD PRIMARY KEY (id);
CREATE SEQUENCE s2.seq;
CREATE TABLE s2.defaults (
  id int DEFAULT nextval('s2.seq'), at timestamptz DEFAULT now(), t text DEFAULT 'a''b',
  c varchar(5) DEFAULT 'x'::character varying, arr int[] DEFAULT '{1,2}', m mood DEFAULT 'ok',
  n numeric DEFAULT (1.5 * 2), j jsonb DEFAULT '{"k": [1]}'::jsonb, u uuid DEFAULT gen_random_uuid(),
  ct timestamp DEFAULT CURRENT_TIMESTAMP(2), d date DEFAULT CURRENT_DATE + 1, b boolean DEFAULT (NOT false),
  "VAR " text DEFAULT '{VAR :x' || 'y', g int GENERATED ALWAYS AS (length(t) + 1) STORED,
  g2 text GENERATED ALWAYS AS ("VAR " || c) STORED, idn int GENERATED BY DEFAULT AS IDENTITY
);
CREATE TABLE public.plain (id bigint PRIMARY KEY, code varchar(64) UNIQUE, t text, n numeric,
  at timestamptz, u uuid, dt date);
CREATE INDEX plain_multi ON public.plain (code, t DESC, n NULLS FIRST) INCLUDE (u) WHERE at > '2020-01-01';
CREATE INDEX plain_uuid ON public.plain USING hash (u);
CREATE TABLE s2.colls (c text COLLATE "C", v varchar(9) COLLATE "POSIX", d dtext, m mood);
CREATE INDEX colls_c ON s2.colls (c);
CREATE INDEX colls_c_default ON s2.colls (c COLLATE "default");
CREATE INDEX colls_v ON s2.colls (v DESC);
CREATE INDEX colls_incl ON s2.colls (c) INCLUDE (v, d, m);
CREATE INDEX colls_v_text ON s2.colls USING hash (v text_ops);
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


def _server_constraintdefs(dsn: str) -> dict[tuple[str, str, str], str]:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path = ''")
        rows = conn.execute(
            "SELECT n.nspname, c.relname, con.conname, pg_catalog.pg_get_constraintdef(con.oid)"
            " FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE con.contype IN ('p', 'u', 'c', 'f')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchall()
    return {(schema, table, name): d for schema, table, name, d in rows}


def _model_constraintdefs(dsn: str) -> dict[tuple[str, str, str], str | None]:
    """Each constraint's definition as the model keeps it (its provenance statement)."""
    out: dict[tuple[str, str, str], str | None] = {}
    for table in live.introspect(dsn, jobs=1).tables.values():
        constraints = [
            *([table.primary_key] if table.primary_key else []),
            *table.uniques.values(),
            *table.checks.values(),
            *table.foreign_keys.values(),
        ]
        for con in constraints:
            sql = con.provenance[0].sql or ""
            prefix = f"CONSTRAINT {con.name} "
            assert sql.startswith(prefix), sql
            out[(table.schema, table.name, con.name)] = sql[len(prefix) :]
    return out


def test_column_defaults_are_the_servers(make_db) -> None:  # type: ignore[no-untyped-def]
    """Defaults that read no column are deparsed without their table: the same text."""
    dsn = make_db("defaults", AWKWARD + "".join(sql for _, sql in generate(30).files))
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path = ''")
        server = {
            (schema, table, column): expr
            for schema, table, column, expr in conn.execute(
                "SELECT n.nspname, c.relname, a.attname, pg_catalog.pg_get_expr(d.adbin, d.adrelid)"
                " FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_class c ON c.oid = d.adrelid"
                " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            ).fetchall()
        }
    model = {
        (table.schema, table.name, column.name): column.default or column.generated
        for table in live.introspect(dsn, jobs=1).tables.values()
        for column in table.columns.values()
        if column.default is not None or column.generated is not None
    }
    assert model == server
    assert model[("s2", "defaults", "g2")] == '("VAR " || (c)::text)'
    assert len(server) > 60


def _built_on_client(dsn: str, query: str, column: int) -> int:
    """How many definitions the query left for the client to build."""
    conn = live.connect_readonly(dsn)
    try:
        reader = live._Reader(conn, dsn, None)
        live._server_version(reader)
        return sum(1 for row in reader.rows(query, "definitions") if row[column] is None)
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


def test_the_client_finds_the_plain_indexes_the_server_finds(make_db) -> None:  # type: ignore[no-untyped-def]
    """Which index definitions are built on the client is decided there, from the column
    query's types and collations (no per-key lookup on the server): exactly the indexes the
    server's own check (Q_INDEX_DEFINITIONS) calls plain, no more (a definition built for
    an index whose operator class or collation is not its column's would be wrong text)."""
    dsn = make_db("plainidx", AWKWARD + "".join(sql for _, sql in generate(30).files))
    conn = live.connect_readonly(dsn)
    try:
        reader = live._Reader(conn, dsn, None)
        live._server_version(reader)
        by_attnum: dict[int, dict[int, tuple[int, int]]] = {}
        for row in reader.rows(live.Q_COLUMNS, "columns"):
            # (type, collation): the columns before the column's ACL, the last
            by_attnum.setdefault(row[0], {})[row[1]] = (row[-3], row[-2])
        types = {  # as the build keeps them: a list by attnum, None for a dropped column
            relid: [None] + [columns.get(n) for n in range(1, max(columns) + 1)]
            for relid, columns in by_attnum.items()
        }
        plain_opclasses = set(reader.rows(live.Q_PLAIN_OPCLASSES, "plain operator classes"))
        rows = reader.rows(live.Q_INDEXES, "indexes")
        client = {
            (row[0], row[1])
            for row in rows
            if row[8]
            and live._plain_keys(row[10], row[11], row[12], row[6], types[row[0]], plain_opclasses)
        }
        server_rows = reader.rows(live.Q_INDEX_DEFINITIONS, "index definitions")
        server = {(row[0], row[1]) for row in server_rows if row[8] is None}
    finally:
        conn.close()
    assert client == server
    assert len(client) > 100 and len(rows) == len(server_rows) > len(client) + 15
    names = {name for _, name in client}
    assert {"colls_c", "colls_v", "colls_incl", "idx_hash", "idx_char"} <= names
    # text_ops is varchar's default (no varchar class): printed bare, so plain
    assert {"colls_v_text", "idx_varchar_text"} <= names
    assert not {"colls_c_default", "idx_domain", "idx_pattern", "idx_coll", "idx_fill"} & names


@pytest.mark.parametrize("quote_all", [False, True])
def test_constraint_definitions_are_the_servers_on_awkward_and_generated_schemas(
    make_db, quote_all: bool
) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("condef", AWKWARD + "".join(sql for _, sql in generate(30).files))
    if quote_all:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{conn.info.dbname}" SET quote_all_identifiers = on')
    server = _server_constraintdefs(dsn)
    model = _model_constraintdefs(dsn)
    assert set(model) == set(server)
    assert {k: v for k, v in model.items() if server[k] != v} == {}
    assert len(server) > 100
    assert _built_on_client(dsn, live.Q_CONSTRAINTS, 3) > 80


def test_quoter_follows_quote_identifier() -> None:
    q = Quoter(["select", "between", "left", "interval", "user"], False)
    assert [q[n] for n in ("abc_1", "_x", "select", "Upper", 'a"b', "café", "a$b", "1a", "abort")] == [
        "abc_1", "_x", '"select"', '"Upper"', '"a""b"', '"café"', '"a$b"', '"1a"', "abort",
    ]  # fmt: skip
    assert Quoter([], True)["abc"] == '"abc"'


def test_servers_whose_layouts_are_not_known_deparse_alone() -> None:
    """Newer servers print clauses live_deparse does not know (WITHOUT OVERLAPS, PERIOD, NOT
    ENFORCED): there every definition comes from the server's own function."""
    assert live.version_fragments(160004)["client_deparse"] == "true"
    assert live.version_fragments(110000)["client_deparse"] == "true"
    assert live.version_fragments(170000)["client_deparse"] == "false"
    assert live.version_fragments(180001)["client_deparse"] == "false"


# Constraint keys the server must still name itself: a system column in a CHECK, a key after
# a dropped column, a foreign key to a table outside the schemas read (schemas=["s2"]).
KEYS = """
CREATE TABLE s2.sys_check (id int, "Weird ""col"" x" int,
  CONSTRAINT ck_tableoid CHECK (tableoid <> 0 AND id > 0 AND "Weird ""col"" x" IS NOT NULL));
CREATE TABLE s2.gap (a int, b int, "c C" int);
ALTER TABLE s2.gap DROP COLUMN b;
ALTER TABLE s2.gap ADD CONSTRAINT gap_u UNIQUE ("c C", a);
ALTER TABLE s2.gap ADD CONSTRAINT gap_fk FOREIGN KEY ("c C", a) REFERENCES s2.gap ("c C", a);
"""


def _server_constraint_columns(dsn: str) -> dict[tuple[str, str, str], tuple[list, list]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT n.nspname, c.relname, con.conname,"
            " ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)"
            "       JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n"
            "       ORDER BY k.o),"
            " ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)"
            "       JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n"
            "       ORDER BY k.o)"
            " FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class c ON c.oid = con.conrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " WHERE con.contype IN ('p', 'u', 'c', 'f')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchall()
    return {(s, t, name): (cols, refs) for s, t, name, cols, refs in rows}


@pytest.mark.parametrize(("schemas", "jobs"), [(None, 1), (None, 4), (["s2"], 1), (["s2"], 3)])
def test_constraint_columns_are_the_servers(make_db, schemas, jobs) -> None:  # type: ignore[no-untyped-def]
    """The reader names constraint keys from the columns it read (not a subquery per key);
    the server's pg_attribute is the truth, including keys it must still name itself."""
    dsn = make_db("conkeys", AWKWARD + KEYS + "".join(sql for _, sql in generate(30).files))
    server = _server_constraint_columns(dsn)
    model = {}
    for table in live.introspect(dsn, jobs=jobs, schemas=schemas).tables.values():
        for con in [table.primary_key, *table.uniques.values(), *table.checks.values()]:
            if con is not None:
                model[(table.schema, table.name, con.name)] = (con.columns, [])
        for fk in table.foreign_keys.values():
            model[(table.schema, table.name, fk.name)] = (fk.columns, fk.ref_columns)
    assert {k: v for k, v in model.items() if server[k] != v} == {}
    assert len(model) > (60 if schemas is None else 15)
    assert model[("s2", "sys_check", "ck_tableoid")][0] == ["tableoid", "id", 'Weird "col" x']
    assert model[("s2", "child", "fk_deferred")] == (["pk"], ["k"])  # to "Other Schema"
    assert model[("s2", "gap", "gap_fk")] == (["c C", "a"], ["c C", "a"])


def test_rows_read_in_binary_are_the_text_rows(make_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The queries whose rows come in binary load to exactly the values text would give
    (a "char" column would not: its empty value is '\\x00' in binary, '' in text)."""
    dsn = make_db("binary", AWKWARD + KEYS + "".join(sql for _, sql in generate(30).files))
    conn = live.connect_readonly(dsn)
    try:
        reader = live._Reader(conn, dsn, None)
        live._server_version(reader)
        binary = {query: reader.rows(query, "binary") for query in live._BINARY_RESULTS}
        monkeypatch.setattr(live, "_BINARY_RESULTS", frozenset())
        for query, rows in binary.items():
            assert rows == reader.rows(query, "text")
            assert len(rows) > 100
    finally:
        conn.close()
    monkeypatch.undo()
    assert {live.Q_CONSTRAINTS, live.Q_INDEXES} <= live._BINARY_RESULTS
