"""A key added to a partitioned (or inheritance) parent, as PostgreSQL applies it below.

`ALTER TABLE p ADD PRIMARY KEY` sets the key's columns NOT NULL on every partition and
sub-partition (and inheritance child), and gives each one its own index and constraint
(`<partition>_pkey`), attached to the parent's; a UNIQUE does the same without NOT NULL.
Each script is applied to a real database; the static reading must give what the catalog
holds (``diff`` of both models).
"""

from __future__ import annotations

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret


def _apart(make_db, script: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Where the static model of ``script`` differs from the catalog after applying it."""
    dsn = make_db("pk", script)
    catalog, static = live.introspect(dsn), interpret(script)
    assert not static.unapplied
    return [str(d) for d in diff_models(catalog, static)]


def test_a_primary_key_added_to_a_partitioned_table_reaches_every_partition(make_db) -> None:  # type: ignore[no-untyped-def]
    """The static reading left p2_a.id / p2_a.at nullable (init --sql's spec then FAILed the
    database) and gave the sub-partition p2_a1 neither NOT NULL nor its p2_a1_pkey."""
    script = """
        CREATE TABLE p2 (id int, at date) PARTITION BY RANGE (at);
        CREATE TABLE p2_a PARTITION OF p2 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')
            PARTITION BY LIST (id);
        CREATE TABLE p2_a1 PARTITION OF p2_a FOR VALUES IN (1);
        CREATE TABLE p2_b (id int, at date);
        ALTER TABLE p2 ATTACH PARTITION p2_b FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
        ALTER TABLE p2 ADD PRIMARY KEY (id, at);
        CREATE TABLE p2_c PARTITION OF p2 FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
        CREATE TABLE p2_e (at date NOT NULL, id int NOT NULL);
        ALTER TABLE p2 ATTACH PARTITION p2_e FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE u (id int, at date, k int) PARTITION BY RANGE (at);
        CREATE TABLE u_a PARTITION OF u FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
        ALTER TABLE u ADD UNIQUE (k, at);
        CREATE TABLE u_b PARTITION OF u FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
    """
    assert _apart(make_db, script) == []
    static = interpret(script)
    assert not static.tables["public.p2_a"].columns["id"].nullable
    assert static.tables["public.p2_a1"].primary_key.name == "p2_a1_pkey"  # type: ignore[union-attr]
    assert static.tables["public.u_a"].columns["k"].nullable  # UNIQUE sets no NOT NULL


def test_equal_keys_of_the_parent_get_one_index_each_on_every_partition(make_db) -> None:  # type: ignore[no-untyped-def]
    """A partition's index attached to one of the parent's indexes is not attached to another
    equal one, and a constraint's index takes only a child index backing a constraint: the
    static reading kept one index for the parent's PRIMARY KEY and UNIQUE on the same
    columns, one for two equal CREATE INDEX, and cloned CREATE INDEX into direct partitions
    only."""
    script = """
        CREATE TABLE h2 (id int, at date) PARTITION BY RANGE (at);
        CREATE TABLE h2_a PARTITION OF h2 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')
            PARTITION BY RANGE (at);
        CREATE TABLE h2_a1 PARTITION OF h2_a FOR VALUES FROM ('2020-01-01') TO ('2020-06-01');
        ALTER TABLE h2 ADD CONSTRAINT h2_k PRIMARY KEY (id, at), ADD UNIQUE (id, at);
        CREATE TABLE r (id int, at date, k int) PARTITION BY RANGE (at);
        CREATE TABLE r_a PARTITION OF r FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')
            PARTITION BY RANGE (at);
        CREATE TABLE r_a1 PARTITION OF r_a FOR VALUES FROM ('2020-01-01') TO ('2020-06-01');
        CREATE INDEX r_k1 ON r (k);
        CREATE INDEX r_k2 ON r (k);
        CREATE UNIQUE INDEX r_u ON r (k, at);
        CREATE TABLE r_b (id int, at date NOT NULL, k int NOT NULL);
        CREATE UNIQUE INDEX r_b_own ON r_b (k, at);
        CREATE INDEX r_b_k ON r_b (k);
        ALTER TABLE r ADD PRIMARY KEY (k, at);
        ALTER TABLE r ATTACH PARTITION r_b FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
    """
    assert _apart(make_db, script) == []


def test_a_primary_key_added_to_an_inheritance_parent_sets_not_null_below(make_db) -> None:  # type: ignore[no-untyped-def]
    """ADD PRIMARY KEY on a parent of INHERITS children makes the key's columns NOT NULL on
    every descendant (no index there); the static reading left them nullable."""
    script = """
        CREATE TABLE g (id int, n int, note text);
        CREATE TABLE g_c () INHERITS (g);
        CREATE TABLE g_cc (z int) INHERITS (g_c);
        ALTER TABLE g ADD CONSTRAINT g_pk PRIMARY KEY (id, n);
        ALTER TABLE g ADD UNIQUE (note);
    """
    assert _apart(make_db, script) == []
