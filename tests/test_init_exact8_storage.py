"""`init` and the audit hold where a relation is stored: a table's, materialized view's and
index's tablespace (TABLESPACE, SET TABLESPACE, pg_dump's ``SET default_tablespace``) and a
table's or materialized view's access method (USING, SET ACCESS METHOD, pg_dump's ``SET
default_table_access_method``). Before, both were read by neither reader: moving a table to
another tablespace or access method after `init` PASSed its spec (a false PASS, confirmed on
PostgreSQL 15). The static reading follows the same rules as PostgreSQL (a partition goes to
its parent's tablespace, a partition's copy of an index to that index's, the session's
defaults otherwise), checked against the catalog: the spec `init --sql` writes of the history
PASSes the database the history built, and FAILs each change. Real PostgreSQL; the tablespace
is an in-place one (``allow_in_place_tablespaces``), made and dropped here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psycopg
import pytest
from init_mutations import (
    change_after_init_fails_test,
    module_specs,
    same_database_passes_test,
)

TS = f"ts8_{os.getpid()}"

BASE = f"""
CREATE ACCESS METHOD heap8 TYPE TABLE HANDLER heap_tableam_handler;
CREATE SCHEMA s8;
CREATE TABLE s8.plain (id int PRIMARY KEY, v text);
CREATE INDEX plain_v ON s8.plain (v);
CREATE TABLE s8.placed (id int, CONSTRAINT placed_pk PRIMARY KEY (id) USING INDEX TABLESPACE {TS})
  USING heap8 TABLESPACE {TS};
CREATE INDEX placed_i ON s8.placed (id) TABLESPACE {TS};
SET default_tablespace = {TS};
SET default_table_access_method = heap8;
CREATE TABLE s8.dumped (id int PRIMARY KEY, v text);
CREATE INDEX dumped_v ON s8.dumped (v);
CREATE TABLE s8.parted (id int, k int) PARTITION BY LIST (k);
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE TABLE s8.parted_1 PARTITION OF s8.parted FOR VALUES IN (1);
CREATE TABLE s8.parted_2 PARTITION OF s8.parted FOR VALUES IN (2) TABLESPACE pg_default;
CREATE INDEX parted_id ON s8.parted (id);
CREATE INDEX parted_k ON s8.parted (k) TABLESPACE {TS};
CREATE MATERIALIZED VIEW s8.mv USING heap8 TABLESPACE {TS} AS SELECT id FROM s8.plain;
CREATE MATERIALIZED VIEW s8.mv_plain AS SELECT id FROM s8.plain;
CREATE TABLE s8.moved (id int PRIMARY KEY);
ALTER TABLE s8.moved SET TABLESPACE {TS};
ALTER TABLE s8.moved SET ACCESS METHOD heap8;
CREATE TABLE s8.back (id int PRIMARY KEY) TABLESPACE {TS};
ALTER TABLE s8.back SET TABLESPACE pg_default;
SET default_tablespace = {TS};
CREATE TABLE s8.parted_3 PARTITION OF s8.parted FOR VALUES IN (3);
RESET default_tablespace;
CREATE TABLE s8.keyed (id int, u int CONSTRAINT keyed_u UNIQUE USING INDEX TABLESPACE {TS},
  w int CONSTRAINT keyed_w UNIQUE, r int4range,
  CONSTRAINT keyed_x EXCLUDE USING gist (r WITH &&) USING INDEX TABLESPACE {TS});
ALTER TABLE s8.keyed CLUSTER ON keyed_u;
CREATE TABLE s8.clus (id int PRIMARY KEY, r int4range, CONSTRAINT clus_x EXCLUDE USING gist (r WITH &&));
ALTER TABLE s8.clus CLUSTER ON clus_pkey;
"""

# each passed the audit of init's spec before (a false PASS); now FAILs, with this in the message
MUTATIONS = {
    "table moved to a tablespace": (
        f"ALTER TABLE s8.plain SET TABLESPACE {TS}",
        f"s8.plain (TABLESPACE {TS})",
    ),
    "table moved back to the default tablespace": (
        "ALTER TABLE s8.placed SET TABLESPACE pg_default",
        f"table s8.placed: tablespace is pg_default, expected {TS}",
    ),
    "table given another access method": (
        "ALTER TABLE s8.plain SET ACCESS METHOD heap8",
        "s8.plain (USING heap8)",
    ),
    "table given heap back": (
        "ALTER TABLE s8.dumped SET ACCESS METHOD heap",
        "table s8.dumped: access_method is heap, expected heap8",
    ),
    "partition moved": (
        "ALTER TABLE s8.parted_1 SET TABLESPACE pg_default",
        f"table s8.parted_1: tablespace is pg_default, expected {TS}",
    ),
    "index moved to a tablespace": (
        f"ALTER INDEX s8.plain_v SET TABLESPACE {TS}",
        f"plain_v (TABLESPACE {TS})",
    ),
    "index moved back": (
        "ALTER INDEX s8.placed_i SET TABLESPACE pg_default",
        f"tablespace is pg_default, expected {TS}",
    ),
    "partition's index copy moved": (
        f"ALTER INDEX s8.parted_1_id_idx SET TABLESPACE {TS}",
        f"parted_1_id_idx (TABLESPACE {TS})",
    ),
    "primary key's index moved": (
        f"ALTER INDEX s8.plain_pkey SET TABLESPACE {TS}",
        f"s8.plain (TABLESPACE {TS} of plain_pkey)",
    ),
    "primary key's index moved back": (
        "ALTER INDEX s8.placed_pk SET TABLESPACE pg_default",
        f"placed_pk (id) TABLESPACE pg_default, expected placed_pk (id) TABLESPACE {TS}",
    ),
    # a UNIQUE constraint's / primary key's own index: tablespace and CLUSTER ON (exact9)
    "unique constraint's index moved": (
        f"ALTER INDEX s8.keyed_w SET TABLESPACE {TS}",
        f"s8.keyed (TABLESPACE {TS} of keyed_w)",
    ),
    "unique constraint's index moved back": (
        "ALTER INDEX s8.keyed_u SET TABLESPACE pg_default",
        f"keyed_u differs: tablespace is pg_default, expected {TS}",
    ),
    "unique constraint's index clustered": (
        "CLUSTER s8.keyed USING keyed_w",
        "s8.keyed (CLUSTER ON keyed_w)",
    ),
    "unique constraint's index unclustered": (
        "ALTER TABLE s8.keyed SET WITHOUT CLUSTER",
        "keyed_u differs: clustered is False, expected True",
    ),
    "primary key's index clustered": (
        "CLUSTER s8.plain USING plain_pkey",
        "s8.plain (CLUSTER ON plain_pkey)",
    ),
    "primary key's index unclustered": (
        "ALTER TABLE s8.clus SET WITHOUT CLUSTER",
        "clus_pkey (id) not CLUSTER ON, expected clus_pkey (id) CLUSTER ON",
    ),
    # an EXCLUDE constraint: its index is an `indexes:` entry (init wrote none before)
    "exclusion constraint dropped": (
        "ALTER TABLE s8.clus DROP CONSTRAINT clus_x",
        "index clus_x on clus does not exist",
    ),
    "exclusion constraint added": (
        "ALTER TABLE s8.clus ADD CONSTRAINT clus_y EXCLUDE USING gist (r WITH &&)",
        "clus has indexes the spec does not require: clus_y",
    ),
    "exclusion constraint's index moved": (
        f"ALTER INDEX s8.clus_x SET TABLESPACE {TS}",
        f"clus_x (TABLESPACE {TS})",
    ),
    "exclusion constraint's index moved back": (
        "ALTER INDEX s8.keyed_x SET TABLESPACE pg_default",
        f"index keyed_x on keyed differs: tablespace is pg_default, expected {TS}",
    ),
    "exclusion constraint's index clustered": (
        "CLUSTER s8.keyed USING keyed_x",
        "keyed_x (CLUSTER ON)",
    ),
    "materialized view moved": (
        f"ALTER MATERIALIZED VIEW s8.mv_plain SET TABLESPACE {TS}",
        f"s8.mv_plain (TABLESPACE {TS})",
    ),
    "materialized view given heap back": (
        "ALTER MATERIALIZED VIEW s8.mv SET ACCESS METHOD heap",
        "materialized view s8.mv differs: access_method is heap, expected heap8",
    ),
}


@pytest.fixture(scope="module", autouse=True)
def tablespace(pg_server: Any) -> Any:
    """An in-place tablespace (PostgreSQL 15+, superuser): no directory to set up; made
    before the module's database (autouse comes first) and dropped after it."""
    with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
        conn.execute("SET allow_in_place_tablespaces = on")
        conn.execute(f"CREATE TABLESPACE {TS} LOCATION ''")
    yield TS
    pg_server.execute(f"DROP TABLESPACE {TS}")


initialised, static_spec = module_specs("exact8t", BASE)


def _storage_lines(spec: Path) -> list[str]:
    """Each entry's name line and its tablespace / access_method lines."""
    return [
        line
        for line in spec.read_text().splitlines()
        if "tablespace:" in line
        or "access_method:" in line
        or "clustered:" in line
        or line.startswith("  s8.")
        or line.strip().startswith("- name:")
    ]


def test_the_static_reading_places_relations_as_postgresql_does(
    initialised, static_spec: Path
) -> None:  # type: ignore[no-untyped-def]
    """Both specs state the same tablespaces and access methods, the ones the catalog has."""
    _, _, live_spec = initialised
    live = _storage_lines(live_spec)
    assert live == _storage_lines(static_spec)
    text = live_spec.read_text()
    assert (
        text.count(f"tablespace: {TS}") == 18
    )  # placed_pk, dumped_pkey, keyed_u, keyed_x among them
    assert "- name: clus_x\n      columns: [r]\n      method: gist\n" in text
    assert text.count("clustered: true") == 2  # keyed_u, clus_pkey
    assert text.count("access_method: heap8") == 4  # placed, dumped, moved, mv


test_init_then_audit_of_the_same_database_passes = same_database_passes_test()


test_a_change_after_init_fails = change_after_init_fails_test("exact8tm", MUTATIONS)


def _placed(model: Any) -> list[tuple[str, str | None, str | None]]:
    table = model.tables["public.a"]
    return [("a", table.tablespace, table.access_method)] + [
        (name, index.tablespace, None) for name, index in table.indexes.items()
    ]


@pytest.mark.parametrize("path", ["in process", "parsing child", "cached prefix"])
def test_session_defaults_reach_every_reading_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """SET default_tablespace / default_table_access_method in one file place the next
    file's tables, keys and indexes, in shapes the fast readers take (which then leave them
    to the tree handlers), read in this process or ahead by the parsing child; a session
    with one set is not kept with a cached prefix, so a read resuming from it gets them too."""
    from schema_audit.sources import parse_ahead, sqlfile
    from schema_audit.sources.sqlfile import read_sql

    history = tmp_path / "sql"
    history.mkdir()
    (history / "V1__session.sql").write_text(
        "SET default_tablespace = fast;\nSET default_table_access_method = heap8;\n"
    )
    (history / "V2__tables.sql").write_text(
        "CREATE TABLE a (id int PRIMARY KEY, v text);\n"
        "CREATE INDEX a_v ON a (v);\n"
        "ALTER TABLE a ADD CONSTRAINT a_v_key UNIQUE (v);\n"
    )
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    if path == "parsing child":
        monkeypatch.setattr(parse_ahead, "MIN_BYTES", 0)
    else:
        monkeypatch.setattr(parse_ahead, "wanted", lambda size: False)
    if path == "cached prefix":
        monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
        monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
        layout = sqlfile.discover(history)
        cut = sqlfile.Layout(layout.name, layout.files[:1], layout.versions, layout.issues)
        with monkeypatch.context() as m:
            m.setattr(sqlfile, "discover", lambda _: cut)
            read_sql(history)
    assert _placed(read_sql(history)[0]) == [
        ("a", "fast", "heap8"),
        ("a_pkey", "fast", None),
        ("a_v", "fast", None),
        ("a_v_key", "fast", None),
    ]


def test_statements_that_move_relations_unseen_are_listed(tmp_path: Path) -> None:
    """REINDEX (TABLESPACE ts) and ALTER TABLE / INDEX ALL IN TABLESPACE move relations the
    static reading does not follow: each is listed as not applied (what they may touch is
    DEFERRED), never passed over (REINDEX was taken for maintenance, changing nothing)."""
    from schema_audit.sources.sqlfile import read_sql

    history = tmp_path / "sql"
    history.mkdir()
    (history / "001.sql").write_text(
        "CREATE TABLE a (id int PRIMARY KEY);\n"
        "REINDEX TABLE a;\n"
        "REINDEX (TABLESPACE fast) TABLE a;\n"
        "ALTER INDEX ALL IN TABLESPACE pg_default SET TABLESPACE fast;\n"
    )
    model = read_sql(history)[0]
    assert [(u.line, u.kind) for u in model.unapplied] == [(3, "unsupported"), (4, "unsupported")]
    assert model.tables["public.a"].indexes["a_pkey"].tablespace is None
