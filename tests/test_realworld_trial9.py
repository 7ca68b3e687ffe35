"""Real-world trial (tenth session, trial9): static reading == catalog on projects' own forms.

Fixtures are written here in each project's style; no project file is copied."""

from __future__ import annotations

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sqlnorm import exprs_equal

# temporalio/temporal's visibility schema style: a search attribute kept in a generated
# column that passes a `->>` (text) result to a function taking VARCHAR.
SEARCH_ATTRIBUTES = """
    CREATE FUNCTION to_utc(s VARCHAR) RETURNS TIMESTAMP AS $$
    BEGIN
      RETURN s::timestamptz at time zone 'UTC';
    END
    $$ LANGUAGE plpgsql IMMUTABLE RETURNS NULL ON NULL INPUT;

    CREATE TABLE runs (
      run_id            CHAR(64)     NOT NULL,
      attributes        JSONB        NULL,
      StartedAt         TIMESTAMP    GENERATED ALWAYS AS (to_utc(attributes->>'StartedAt')) STORED,
      DeepAt            TIMESTAMP    GENERATED ALWAYS AS (to_utc(attributes#>>'{a,b}')) STORED,
      Label             VARCHAR(255) GENERATED ALWAYS AS (attributes->>'Label') STORED,
      Paused            BOOLEAN      GENERATED ALWAYS AS ((attributes->'Paused')::boolean) STORED,
      PRIMARY KEY (run_id)
    );
"""


def test_text_result_passed_to_a_varchar_parameter(make_db) -> None:  # type: ignore[no-untyped-def]
    """temporalio/temporal: `GENERATED ALWAYS AS (convert_ts(search_attributes->>'X'))` with
    `convert_ts(s VARCHAR)` is stored `convert_ts(((search_attributes ->> 'X'::text))::character
    varying)`: PostgreSQL prints the implicit cast of a function argument. The static reading
    kept the written form, a `diff` difference and a false FAIL of the migrated database with
    `init --sql`'s spec (and of the history with `init --dsn`'s)."""
    dsn = make_db("trial9_temporal", SEARCH_ATTRIBUTES)
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(SEARCH_ATTRIBUTES))] == []


def test_a_cast_that_changes_the_value_stays_a_difference() -> None:
    """Only a text result relabelled as unbounded varchar/text is the same value."""
    assert not exprs_equal("f(a->>'x')", "f(((a ->> 'x'::text))::character varying(3))")
    assert not exprs_equal("f(a->'x')", "f(((a -> 'x'::text))::character varying)")
    assert not exprs_equal("f(a->>'x')", "f(((a ->> 'x'::text))::character(1))")
    assert exprs_equal("f(a#>>'{x}')", "f(((a #>> '{x}'::text[]))::text)")


# temporalio/temporal's versioned history style: a BYTEA column added with an empty default.
CLUSTER_METADATA = r"""
    CREATE TABLE cluster_info (
      metadata_partition INTEGER NOT NULL,
      PRIMARY KEY (metadata_partition)
    );
    ALTER TABLE cluster_info ADD data BYTEA NOT NULL DEFAULT '';
    ALTER TABLE cluster_info ADD tag BYTEA DEFAULT 'v1\\\001';
    ALTER TABLE cluster_info ADD digest BYTEA DEFAULT '\xDE AD';
    ALTER TABLE cluster_info ADD raw BYTEA DEFAULT E'\\x00ff';
"""


def test_bytea_default_compares_as_its_bytes(make_db) -> None:  # type: ignore[no-untyped-def]
    """temporalio/temporal: `ALTER TABLE cluster_metadata ADD data BYTEA NOT NULL DEFAULT ''`
    is stored `'\\x'::bytea` (bytea keeps bytes and prints them in hex); the static reading
    kept `''`, a `diff` difference and a false FAIL both ways (init --sql / init --dsn)."""
    dsn = make_db("trial9_bytea", CLUSTER_METADATA)
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(CLUSTER_METADATA))] == []


def test_different_bytes_stay_different() -> None:
    assert not exprs_equal("'abc'::bytea", r"'\x616264'::bytea")
    assert not exprs_equal("''::bytea", r"'\x00'::bytea")
    assert not exprs_equal(r"'\x0'::bytea", r"'\x00'::bytea")  # invalid input: kept apart
    assert exprs_equal(r"'a\\b'::bytea", r"'\x615c62'::bytea")


# getlago/lago-api's db/structure.sql style: a table partitioned by a column named `timestamp`.
ENRICHED_EVENTS = """
    CREATE TABLE public.usage_events (
        id uuid DEFAULT gen_random_uuid() NOT NULL,
        "timestamp" timestamp without time zone NOT NULL,
        "user" text COLLATE "C" NOT NULL
    )
    PARTITION BY RANGE ("timestamp");
    CREATE TABLE public.usage_marks ("user" text NOT NULL, "Day" date) PARTITION BY RANGE ("user" text_pattern_ops, "Day");
"""


def test_partition_key_on_a_keyword_column_is_quoted_as_postgresql_prints_it(make_db) -> None:  # type: ignore[no-untyped-def]
    """getlago/lago-api: `PARTITION BY RANGE ("timestamp")` is printed by pg_get_partkeydef
    `RANGE ("timestamp")` (quote_identifier quotes a keyword); the static reading printed
    `RANGE (timestamp)`, a `diff` difference (the audit compared it spacing and quoting aside)."""
    dsn = make_db("trial9_lago", ENRICHED_EVENTS)
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(ENRICHED_EVENTS))] == []


def test_partition_key_collate_of_the_columns_own_collation_is_not_printed(make_db) -> None:  # type: ignore[no-untyped-def]
    """pg_get_partkeydef prints a column key's COLLATE only when it differs from the column's
    own collation: `("user" COLLATE "C" text_pattern_ops)` on a `COLLATE "C"` column is
    `("user" text_pattern_ops)`; the static reading kept COLLATE (diff difference, false FAIL
    of a partition_key requirement init --dsn wrote)."""
    script = """
        CREATE TABLE marks ("user" text COLLATE "C" NOT NULL, tag text NOT NULL)
            PARTITION BY LIST ("user" COLLATE "C" text_pattern_ops);
        CREATE TABLE tags (tag text NOT NULL) PARTITION BY LIST (tag COLLATE "C");
        CREATE TABLE plain (tag text NOT NULL) PARTITION BY LIST (tag COLLATE "default");
    """
    dsn = make_db("trial9_partcoll", script)
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(script))] == []
