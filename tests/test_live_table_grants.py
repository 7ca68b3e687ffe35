"""A relation's privileges, read once per distinct ACL; a column's with the column query.

The table privileges query exploded every relation's ACL (or its owner's default one) into
rows and sorted them: 60,250 rows at 5,000 tables for 5 distinct ACLs. It now expands each
distinct ACL once, with the relations that have it, and the client gives each relation its
grants. The truth is the per-relation query the reader used before, kept here (with the
ACL's order for one grantee's privilege from several grantors, which its sort left open),
run on relations with a default ACL, every privilege revoked, grants to PUBLIC, with grant
option, from two grantors, to quoted role names, on every kind of relation, on 1 and 4
connections. Column privileges had a query of their own that scanned all of pg_attribute for
the rare non-NULL attacl; the column query carries them now, compared likewise with the query
used before.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from schema_audit.model import OWNER_LACKS, TABLE_PRIVILEGES, owner_lacks
from schema_audit.sources import live

ROLES = ("live grants one", "live_grants_two", 'live "grants" three')


def _role(name: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    literal = name.replace("'", "''")
    return (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{literal}') "
        f"THEN CREATE ROLE {quoted}; END IF; END $$;"
    )


ONE, TWO, THREE = ('"live grants one"', "live_grants_two", '"live ""grants"" three"')
SCHEMA = f"""
{"".join(_role(name) for name in ROLES)}
CREATE TABLE t_default (id int);
CREATE TABLE t_revoked (id int);
REVOKE ALL ON t_revoked FROM CURRENT_USER;
CREATE TABLE t_public (id int);
GRANT SELECT, UPDATE ON t_public TO PUBLIC;
CREATE TABLE t_option (id int);
GRANT SELECT, INSERT ON t_option TO {ONE} WITH GRANT OPTION;
GRANT DELETE ON t_option TO {TWO};
CREATE TABLE t_two_grantors (id int);
GRANT SELECT ON t_two_grantors TO {TWO} WITH GRANT OPTION;
GRANT SELECT ON t_two_grantors TO {ONE} WITH GRANT OPTION;
SET ROLE {TWO};
GRANT SELECT ON t_two_grantors TO {THREE};
SET ROLE {ONE};
GRANT SELECT ON t_two_grantors TO {THREE};
RESET ROLE;
CREATE TABLE t_same_a (id int);
CREATE TABLE t_same_b (id int);
CREATE TABLE t_same_c (id int);
GRANT SELECT, INSERT ON t_same_a, t_same_b, t_same_c TO {TWO}, {THREE};
CREATE TABLE t_parted (k int) PARTITION BY RANGE (k);
CREATE TABLE t_parted_1 PARTITION OF t_parted FOR VALUES FROM (0) TO (10);
GRANT TRUNCATE, REFERENCES, TRIGGER ON t_parted TO {THREE};
CREATE VIEW v AS SELECT id FROM t_default;
GRANT SELECT ON v TO {ONE};
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t_default;
CREATE TABLE t_columns (a int, b text, dropped int, c int, d int);
GRANT SELECT (a, c), UPDATE (c) ON t_columns TO {ONE} WITH GRANT OPTION;
GRANT INSERT (b) ON t_columns TO PUBLIC;
GRANT SELECT (c) ON t_columns TO {TWO} WITH GRANT OPTION;
GRANT SELECT (dropped) ON t_columns TO {TWO};
ALTER TABLE t_columns DROP COLUMN dropped;
GRANT UPDATE (d) ON t_columns TO {THREE};
REVOKE UPDATE (d) ON t_columns FROM {THREE};
SET ROLE {TWO};
GRANT SELECT (c) ON t_columns TO {THREE};
SET ROLE {ONE};
GRANT SELECT (c) ON t_columns TO {THREE};
RESET ROLE;
GRANT SELECT (id) ON v TO {TWO};
"""

# what the reader ran before (one row per relation and privilege), the ACL's order last
BEFORE = """
SELECT c.relname,
       CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
       a.privilege_type, a.is_grantable, pg_catalog.pg_get_userbyid(a.grantor)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(c.relacl, pg_catalog.acldefault('r', c.relowner)))
     WITH ORDINALITY a(grantor, grantee, privilege_type, is_grantable, ord)
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = 'public'
ORDER BY c.oid, 2, 3, a.ord"""


# the column privileges' query before, the ACL's order last
BEFORE_COLUMNS = """
SELECT c.relname, a.attname,
       CASE WHEN g.grantee = 0 THEN 'public' ELSE pg_catalog.pg_get_userbyid(g.grantee) END,
       g.privilege_type, g.is_grantable
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl)
     WITH ORDINALITY g(grantor, grantee, privilege_type, is_grantable, ord)
WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = 'public'
  AND c.relkind IN ('r', 'p', 'f')
ORDER BY a.attrelid, a.attnum, 3, 4, g.ord"""


@pytest.fixture(scope="module")
def dsn(pg_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("grants")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    yield dsn
    # the roles are the cluster's: gone with their grants, so no other test reads them
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {ONE}, {TWO}, {THREE}")
    pg_server.execute(f'DROP DATABASE "{name}"')
    for role in (ONE, TWO, THREE):
        pg_server.execute(f"DROP ROLE {role}")


def _catalog_grants(dsn: str) -> dict[str, list[tuple[str, str, bool, str]]]:
    out: dict[str, list[tuple[str, str, bool, str]]] = {}
    with psycopg.connect(dsn) as conn:
        for relation, *grant in conn.execute(BEFORE).fetchall():
            out.setdefault(relation, []).append(tuple(grant))
    return out


@pytest.mark.parametrize("jobs", [1, 4])
def test_each_relation_has_the_grants_of_its_acl_in_the_order_read_before(
    dsn: str, jobs: int
) -> None:
    expected = _catalog_grants(dsn)
    model = live.introspect(dsn, jobs=jobs)
    relations = {**model.tables, **model.views}
    read = {
        rel.name: [
            (g.grantee, g.privilege, g.grantable, g.grantor)
            for g in rel.grants
            if not g.privilege.startswith(OWNER_LACKS)
        ]
        for rel in relations.values()
        if rel.grants and rel.name != "t_revoked"
    }
    assert read == expected
    # the cases the schema sets up are there; what an owner REVOKEd from itself is marked
    # (fidelity15: sources/live_acl.relation_lacks), only there
    revoked = model.tables["public.t_revoked"]
    assert [(g.grantee, g.privilege) for g in revoked.grants] == [
        (revoked.owner, OWNER_LACKS + p) for p in TABLE_PRIVILEGES
    ]
    assert [r.name for r in relations.values() if owner_lacks(r.grants, r.owner)] == ["t_revoked"]
    owner = model.tables["public.t_default"].owner
    assert [g[0] for g in read["t_default"]] == [owner] * 7
    assert ("public", "UPDATE", False, owner) in read["t_public"]
    assert [g for g in read["t_two_grantors"] if g[0] == ROLES[2]] == [
        (ROLES[2], "SELECT", False, ROLES[1]),
        (ROLES[2], "SELECT", False, ROLES[0]),
    ]
    assert (ROLES[0], "SELECT", True, owner) in read["t_option"]
    # each relation has grants of its own (the model's objects are not shared)
    a, b = model.tables["public.t_same_a"].grants, model.tables["public.t_same_b"].grants
    assert a == b and not any(x is y for x in a for y in b)


def test_the_query_expands_each_distinct_acl_once(dsn: str) -> None:
    """One row per distinct ACL (with its relations), not one per relation and privilege."""
    with live.connect_readonly(dsn) as conn:
        distinct = conn.execute(
            "SELECT count(DISTINCT COALESCE(c.relacl, acldefault('r', c.relowner))::text)"
            " FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
            " AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        ).fetchone()[0]
        rows = live._Reader(conn, dsn, ["public"]).rows(live.Q_GRANTS, "table privileges")
    assert len(rows) == distinct < len({r for ids, _ in rows for r in ids})


@pytest.mark.parametrize("jobs", [1, 4])
def test_column_privileges_come_with_the_columns_as_read_before(dsn: str, jobs: int) -> None:
    expected: dict[str, dict[str, list[tuple[str, str, bool]]]] = {}
    with psycopg.connect(dsn) as conn:
        for relation, column, *grant in conn.execute(BEFORE_COLUMNS).fetchall():
            expected.setdefault(relation, {}).setdefault(column, []).append(tuple(grant))
    model = live.introspect(dsn, jobs=jobs)
    read = {
        table.name: {
            column: [(g.grantee, g.privilege, g.grantable) for g in grants]
            for column, grants in table.column_grants.items()
        }
        for table in model.tables.values()
        if table.column_grants
    }
    assert read == expected
    columns = read["t_columns"]
    assert list(columns) == ["a", "b", "c"]  # in the columns' order; d's only grant revoked
    assert [g for g in columns["c"] if g[0] == ROLES[2]] == [(ROLES[2], "SELECT", False)] * 2
    assert ("public", "INSERT", False) in columns["b"]
    assert "column privileges" not in [p.what for p in live._plan(4)]
