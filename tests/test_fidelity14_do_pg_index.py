"""A DO block reading pg_index sees the history's indexes.

``IF NOT EXISTS (SELECT FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE
c.relname = … AND i.indisunique) THEN …``: pg_index was not modelled, so such a block was
not applied at all and what it makes was DEFERRED (carried since the twelfth session). Its
rows now come from the model's indexes (primary keys' and unique constraints' too: unique,
primary, exclusion, valid); column numbers, expressions and predicates stay unknown, so a
block that reads them is still not applied. Static == live. Real PostgreSQL.
"""

from __future__ import annotations

from statement_runs import differences, run_each

from schema_audit.sources.ddl import interpret


def _guard(condition: str, table: str) -> str:
    return f"DO $$ BEGIN IF {condition} THEN CREATE TABLE {table} (a int); END IF; END $$"


STATEMENTS = [
    "CREATE TABLE items (id int PRIMARY KEY, name text, code text UNIQUE)",
    "CREATE INDEX items_name_idx ON items (name) WHERE name IS NOT NULL",
    _guard(
        "NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " WHERE c.relname = 'items_name_idx' AND i.indisunique)",
        "t_not_unique",
    ),
    _guard(
        "EXISTS (SELECT 1 FROM pg_index WHERE indrelid = 'items'::regclass AND indisprimary)",
        "t_has_pk",
    ),
    _guard(
        "(SELECT count(*) FROM pg_index WHERE indrelid = 'public.items'::regclass) = 3", "t_three"
    ),
    _guard(
        "NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
        " AND c.relname = 'items_code_key' AND i.indisunique AND NOT i.indisprimary)",
        "t_never",
    ),
]


def test_a_do_block_over_pg_index_sees_the_indexes(make_db) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid14_pgindex", STATEMENTS)
    assert errors == {}
    static = interpret(";\n".join(STATEMENTS) + ";\n")
    assert [u.reason for u in static.unapplied] == []
    assert differences(dsn, STATEMENTS) == []
    assert sorted(static.tables) == [
        "public.items",
        "public.t_has_pk",
        "public.t_not_unique",
        "public.t_three",
    ]


def test_what_pg_index_does_not_model_is_not_guessed() -> None:
    block = _guard(
        "EXISTS (SELECT 1 FROM pg_index WHERE indrelid = 'items'::regclass AND indpred IS NOT NULL)",
        "t_partial",
    )
    static = interpret(";\n".join([*STATEMENTS[:2], block]) + ";\n")
    assert "public.t_partial" not in static.tables
    assert [u.reason for u in static.unapplied if "predicate" in u.reason]
