"""Partition indexes attached to their parent's index, read statically as PostgreSQL 15 keeps
them (fidelity11). Each history is applied to a real database; the static model of the same
SQL must equal the catalog, and a statement PostgreSQL refuses must be reported as such."""

from __future__ import annotations

import psycopg
import pytest

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

PARTITIONED = """
    CREATE TABLE ev (id INTEGER, k TEXT) PARTITION BY LIST (k);
    CREATE TABLE ev_a PARTITION OF ev FOR VALUES IN ('a');
    CREATE INDEX ev_id ON ev (id);
"""


def test_dropping_an_attached_partition_index_is_refused(make_db) -> None:  # type: ignore[no-untyped-def]
    """`DROP INDEX ev_a_id_idx` (the clone of `ev_id`), CASCADE or not: PostgreSQL refuses it
    ("cannot drop index ev_a_id_idx because index ev_id requires it"); the static reading
    dropped it and read on as if it had. It is now not applied, said as PostgreSQL says it,
    and the index stays, as in the catalog."""
    dsn = make_db("fid11_pdrop", PARTITIONED)
    for drop in ("DROP INDEX ev_a_id_idx", "DROP INDEX ev_a_id_idx CASCADE"):
        with psycopg.connect(dsn, autocommit=True) as conn, pytest.raises(psycopg.Error) as err:
            conn.execute(drop)
        assert "because index ev_id requires it" in str(err.value)
        static = interpret(PARTITIONED + drop + ";")
        reasons = [u.reason for u in static.unapplied]
        assert any(
            "cannot drop index ev_a_id_idx because index ev_id requires it" in r for r in reasons
        ), reasons
        assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []


HISTORIES = {
    # an index attached by hand goes with its parent's
    "explicit attach": """
        CREATE TABLE ev2 (id INTEGER, k TEXT) PARTITION BY LIST (k);
        CREATE TABLE ev2_a PARTITION OF ev2 FOR VALUES IN ('a');
        CREATE INDEX ev2_id ON ONLY ev2 (id);
        CREATE INDEX ev2_a_mine ON ev2_a (id);
        ALTER INDEX ev2_id ATTACH PARTITION ev2_a_mine;
        DROP INDEX ev2_id;
    """,
    # ATTACH PARTITION adopts the first equal index by OID (creation order), renamed or not
    "several equal indexes": """
        CREATE TABLE ev3 (id INTEGER, k TEXT) PARTITION BY LIST (k);
        CREATE TABLE ev3_a (id INTEGER, k TEXT);
        CREATE INDEX ev3_a_second ON ev3_a (id);
        CREATE INDEX ev3_a_first ON ev3_a (id);
        ALTER INDEX ev3_a_second RENAME TO ev3_a_zz;
        CREATE INDEX ev3_id ON ev3 (id);
        ALTER TABLE ev3 ATTACH PARTITION ev3_a FOR VALUES IN ('a');
        DROP INDEX ev3_id;
    """,
    # a clone, down two levels, goes with the parent's index
    "sub-partitions": """
        CREATE TABLE ev5 (id INTEGER, k TEXT, n INTEGER) PARTITION BY LIST (k);
        CREATE TABLE ev5_a PARTITION OF ev5 FOR VALUES IN ('a') PARTITION BY RANGE (n);
        CREATE TABLE ev5_a1 PARTITION OF ev5_a FOR VALUES FROM (0) TO (10);
        CREATE INDEX ev5_id ON ev5 (id);
        DROP INDEX ev5_id;
    """,
    # a detached partition's indexes are its own: they may be dropped, and stay when the
    # parent's is dropped
    "detached": """
        CREATE TABLE ev4 (id INTEGER, k TEXT) PARTITION BY LIST (k);
        CREATE TABLE ev4_a PARTITION OF ev4 FOR VALUES IN ('a');
        CREATE TABLE ev4_b PARTITION OF ev4 FOR VALUES IN ('b');
        CREATE INDEX ev4_id ON ev4 (id);
        ALTER TABLE ev4 DETACH PARTITION ev4_a;
        ALTER TABLE ev4 DETACH PARTITION ev4_b;
        DROP INDEX ev4_a_id_idx;
        DROP INDEX ev4_id;
    """,
}


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_a_parent_index_s_drop_takes_its_attached_indexes(make_db, name: str) -> None:  # type: ignore[no-untyped-def]
    """`DROP INDEX` of a partitioned table's index drops every partition index attached to
    it, however it was attached; the static reading left an explicitly attached one behind,
    and adopted another of several equal indexes than PostgreSQL (a rename moved it)."""
    sql = HISTORIES[name]
    catalog = live.introspect(make_db("fid11_pidx", sql))
    static = interpret(sql)
    assert [u.reason for u in static.unapplied] == []
    assert [str(d) for d in diff_models(catalog, static)] == []
