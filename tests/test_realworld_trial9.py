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
