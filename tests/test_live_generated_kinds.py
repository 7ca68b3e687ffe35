"""A table column's catalog row read into the model: attgenerated 's' (STORED) is a generated
column, '' a plain one, and any other kind (PostgreSQL 18's VIRTUAL 'v', which PostgreSQL 15
here cannot produce) is neither turned into a DEFAULT of its expression (a false reading: a
spec's ``default:`` would PASS against a generated column) nor read silently."""

from __future__ import annotations

import psycopg

from schema_audit.sources.live import column_from_row, introspect


def _row(generated: str, unread: list[str]):  # type: ignore[no-untyped-def]
    return column_from_row(
        "public.people",
        "full_name",
        "text",
        False,
        "(first || last)",
        "",
        generated,
        None,
        unread,
    )


def test_a_virtual_generated_column_is_not_read_as_a_default() -> None:
    unread: list[str] = []
    column = _row("v", unread)
    assert column.default is None
    assert column.generated == "(first || last)"
    assert len(unread) == 1 and "public.people.full_name" in unread[0] and "'v'" in unread[0]


def test_stored_and_plain_columns_read_as_before() -> None:
    unread: list[str] = []
    stored, plain = _row("s", unread), _row("", unread)
    assert (stored.default, stored.generated) == (None, "(first || last)")
    assert (plain.default, plain.generated) == ("(first || last)", None)
    assert unread == []


def test_the_catalog_rows_of_postgresql_read_the_same(make_db) -> None:  # type: ignore[no-untyped-def]
    """The kinds PostgreSQL 15 stores ('' and 's') through the whole live read."""
    dsn = make_db(
        "gen",
        "CREATE TABLE people (first text, last text DEFAULT 'x', "
        "full_name text GENERATED ALWAYS AS (first || last) STORED)",
    )
    with psycopg.connect(dsn) as conn:
        kinds = dict(
            conn.execute(
                "SELECT attname, attgenerated FROM pg_attribute "
                "WHERE attrelid = 'people'::regclass AND attnum > 0"
            ).fetchall()
        )
    assert kinds == {"first": "", "last": "", "full_name": "s"}
    model = introspect(dsn, notice=lambda _: None)
    columns = model.tables["public.people"].columns
    assert columns["full_name"].default is None and columns["full_name"].generated
    assert columns["last"].default == "'x'::text" and columns["last"].generated is None
    assert not any("attgenerated" in b for b in model.blind_spots)
