"""Version awareness: the catalog queries adapt to the server they read.

Columns that exist only on newer servers (attgenerated 12+, indnullsnotdistinct 15+,
pg_auth_members.inherit_option/set_option 16+) are replaced by stand-ins on older
ones. The local server is PostgreSQL 15: the 11-, 12- and 14-era queries run on it for
real (they only leave newer columns out), the 16+ query is checked for what it reads.
"""

from __future__ import annotations

import pglast
import pytest

from schema_audit.sources import live

SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, a int, doubled int GENERATED ALWAYS AS (a * 2) STORED, code text);
CREATE UNIQUE INDEX t_code ON t (code) INCLUDE (a) NULLS NOT DISTINCT;
CREATE ROLE vers_group; CREATE ROLE vers_member NOINHERIT IN ROLE vers_group;
"""


@pytest.fixture(scope="module")
def dsn(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("versions")
    pg_server.execute("DROP ROLE IF EXISTS vers_member")
    pg_server.execute("DROP ROLE IF EXISTS vers_group")
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
    yield dsn
    pg_server.drop_database(name)
    pg_server.execute("DROP ROLE IF EXISTS vers_member")
    pg_server.execute("DROP ROLE IF EXISTS vers_group")


def _read_as(monkeypatch, dsn: str, version_num: int):  # type: ignore[no-untyped-def]
    real = live.version_fragments
    monkeypatch.setattr(live, "version_fragments", lambda _: real(version_num))
    return live.introspect(dsn)


def test_the_local_server_is_read_with_every_column_it_has(dsn: str) -> None:
    model = live.introspect(dsn)
    assert model.server_version and model.server_version.startswith("15")
    table = model.tables["public.t"]
    assert table.columns["doubled"].generated == "(a * 2)"
    index = table.indexes["t_code"]
    assert index.nulls_not_distinct and index.include == ["a"]
    assert model.roles["vers_member"].inherit is False


@pytest.mark.parametrize("version_num", [110000, 120000, 140000])
def test_older_server_queries_run_and_leave_newer_facts_out(
    monkeypatch, dsn: str, version_num: int
) -> None:  # type: ignore[no-untyped-def]
    model = _read_as(monkeypatch, dsn, version_num)
    table = model.tables["public.t"]
    assert table.indexes["t_code"].include == ["a"]  # INCLUDE: 11+
    assert table.indexes["t_code"].nulls_not_distinct is False  # 15+ only
    generated = table.columns["doubled"]
    if version_num >= 120000:
        assert generated.generated == "(a * 2)"
    else:  # 11 has no generated columns: the column's expression is not asked for
        assert generated.generated is None
    assert model.roles["vers_member"].inherit is False
    assert model.roles["vers_member"].member_of == ["vers_group"]


def test_postgresql_16_reads_membership_options() -> None:
    fragments = live.version_fragments(160000)
    assert "inherit_option" in fragments["options"] and "set_option" in fragments["options"]
    sql = live.Q_ROLES.format(**fragments)
    pglast.parse_sql(sql)  # valid SQL for the 16+ catalog
    assert "rolinherit, true" in live.version_fragments(150000)["options"]


def test_a_server_older_than_11_is_refused_in_one_line(monkeypatch, dsn: str) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(live, "Q_VERSION", "SELECT 100023, '10.23'")
    with pytest.raises(live.LiveSourceError) as info:
        live.introspect(dsn)
    message = str(info.value)
    assert "PostgreSQL 10.23" in message and "11 or newer" in message and "\n" not in message
