"""Canonical types and expressions: what a person writes equals what the catalog prints."""

from __future__ import annotations

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema_audit.sqlnorm import canonical_expr, canonical_type, exprs_equal, normalize_default

EQUAL = [
    (
        "tenant_id = current_setting('app.current_tenant_id')::uuid",
        "(tenant_id = (current_setting('app.current_tenant_id'::text))::uuid)",
    ),
    ("LENGTH(TRIM(name)) > 0", "(length(TRIM(BOTH FROM name)) > 0)"),
    (
        "state IN ('idle','running')",
        "((state)::text = ANY ((ARRAY['idle'::character varying, 'running'::character varying])::text[]))",
    ),
    ("x BETWEEN 0 AND 1", "((x >= 0) AND (x <= 1))"),
    (
        "allocation_ratio >= 0 AND allocation_ratio <= 1",
        "((allocation_ratio >= (0)::numeric) AND (allocation_ratio <= (1)::numeric))",
    ),
    (
        "correlation_id IS NOT NULL AND external_event_id IS NULL",
        "((correlation_id IS NOT NULL) AND (external_event_id IS NULL))",
    ),
    ("'unknown'", "'unknown'::text"),
    ("true", "'t'::boolean"),
    ("NOW()", "now()"),
    ("a != b", "(a <> b)"),
    ('"tenant_id" = 1', "tenant_id = 1"),
    ("CAST(x AS UUID)", "x::uuid"),
    ("nextval('t_id_seq')", "nextval('t_id_seq'::regclass)"),
    ("a AND (b AND c)", "(a AND b) AND c"),
]
DIFFERENT = [
    ("x >= 0", "x > 0"),
    ("true", "false"),
    ("a AND b", "a OR b"),
    (
        "tenant_id = current_setting('app.current_tenant_id')::uuid",
        "tenant_id = current_setting('app.tenant')::uuid",
    ),
    ("0", "0.0"),
    ("now()", "CURRENT_TIMESTAMP"),
    ("state IN ('a', 'b')", "state IN ('a', 'c')"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal_forms(a: str, b: str) -> None:
    assert canonical_expr(a) == canonical_expr(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_meanings_stay_different(a: str, b: str) -> None:
    assert not exprs_equal(a, b)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("int4", "integer"),
        ("INT", "integer"),
        ("varchar(255)", "character varying(255)"),
        ("timestamptz", "timestamp with time zone"),
        ("timestamp(3)", "timestamp(3) without time zone"),
        ("numeric(6,5)", "numeric(6,5)"),
        ("decimal(4,3)", "numeric(4,3)"),
        ("text[]", "text[]"),
        ("char(3)", "character(3)"),
        ("float8", "double precision"),
        ("bool", "boolean"),
        ("public.mood", "mood"),
        ("audit.mood", "audit.mood"),
        ("bigserial", "bigint"),
    ],
)
def test_types(text: str, canonical: str) -> None:
    assert canonical_type(text) == canonical


def test_garbage_never_raises() -> None:
    assert canonical_expr("garbage (((") == "?garbage ((("
    assert exprs_equal("garbage (((", "GARBAGE   (((")
    with pytest.raises(ValueError):
        canonical_type("not a ; type")
    assert normalize_default("NULL") is None and normalize_default(None) is None


def test_written_forms_equal_what_postgresql_prints(make_db) -> None:  # type: ignore[no-untyped-def]
    """Ground truth: create objects from the human text, read the catalog, compare."""
    dsn = make_db(
        "norm",
        """
        CREATE TABLE t (
            name varchar(255) NOT NULL CHECK (LENGTH(TRIM(name)) > 0),
            state VARCHAR(20) NOT NULL DEFAULT 'idle' CHECK (state IN ('idle', 'running', 'failed', 'completed')),
            ratio numeric(6,5) NOT NULL DEFAULT 0.0 CHECK (ratio >= 0 AND ratio <= 1),
            score numeric CHECK (score BETWEEN 0 AND 1),
            verified boolean NOT NULL DEFAULT false,
            tenant_id uuid, correlation_id uuid, external_event_id text,
            a int4, b int8, c int2, d float8, e bpchar(3), f text[], g jsonb, h interval, i timestamp(3),
            j timestamptz
        );
        CREATE INDEX p1 ON t (tenant_id) WHERE correlation_id IS NOT NULL AND external_event_id IS NULL;
        CREATE INDEX p2 ON t (verified) WHERE verified = true;
        ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY pol ON t USING (tenant_id = current_setting('app.current_tenant_id')::uuid);
    """,
    )
    with psycopg.connect(dsn) as conn:
        checks = dict(
            conn.execute(
                "SELECT conname, pg_get_expr(conbin, conrelid) FROM pg_constraint WHERE contype = 'c'"
            ).fetchall()
        )
        defaults = dict(
            conn.execute(
                "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                "ON a.attrelid = d.adrelid AND a.attnum = d.adnum"
            ).fetchall()
        )
        predicates = dict(
            conn.execute(
                "SELECT c.relname, pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c "
                "ON c.oid = i.indexrelid WHERE i.indpred IS NOT NULL"
            ).fetchall()
        )
        qual = conn.execute("SELECT qual FROM pg_policies WHERE policyname = 'pol'").fetchone()[0]
        types = dict(
            conn.execute(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                "WHERE attrelid = 't'::regclass AND attnum > 0"
            ).fetchall()
        )
    assert exprs_equal("LENGTH(TRIM(name)) > 0", checks["t_name_check"])
    assert exprs_equal(
        "state IN ('idle', 'running', 'failed', 'completed')", checks["t_state_check"]
    )
    assert not exprs_equal("state IN ('idle', 'running')", checks["t_state_check"])
    assert exprs_equal("ratio >= 0 AND ratio <= 1", checks["t_ratio_check"])
    assert exprs_equal("score >= 0 AND score <= 1", checks["t_score_check"])
    assert exprs_equal("'idle'", defaults["state"]) and exprs_equal("0.0", defaults["ratio"])
    assert exprs_equal("false", defaults["verified"]) and not exprs_equal(
        "true", defaults["verified"]
    )
    assert exprs_equal("correlation_id IS NOT NULL AND external_event_id IS NULL", predicates["p1"])
    assert exprs_equal("verified = true", predicates["p2"])
    assert exprs_equal("tenant_id = current_setting('app.current_tenant_id')::uuid", qual)
    assert not exprs_equal("tenant_id = current_setting('app.other')::uuid", qual)
    written = {
        "name": "VARCHAR(255)",
        "a": "int4",
        "b": "int8",
        "c": "int2",
        "d": "float8",
        "e": "bpchar(3)",
        "f": "text[]",
        "g": "jsonb",
        "h": "interval",
        "i": "timestamp(3)",
        "j": "timestamptz",
        "ratio": "numeric(6,5)",
        "verified": "bool",
        "tenant_id": "uuid",
    }
    for column, text in written.items():
        assert canonical_type(text) == canonical_type(types[column]) == types[column], column


_atoms = st.sampled_from(
    ["a", "b", "tenant_id", "0", "1", "'x'", "now()", "true", "x::uuid", "'y'::text"]
)
_ops = st.sampled_from(["=", "<>", ">=", "<", "IS NOT DISTINCT FROM"])


@st.composite
def _expressions(draw, depth: int = 2) -> str:  # type: ignore[no-untyped-def]
    if depth == 0 or draw(st.booleans()):
        return f"{draw(_atoms)} {draw(_ops)} {draw(_atoms)}"
    joiner = draw(st.sampled_from([" AND ", " OR "]))
    parts = [draw(_expressions(depth - 1)) for _ in range(draw(st.integers(2, 3)))]
    wrap = draw(st.booleans())
    body = joiner.join(f"({p})" if wrap else p for p in parts)
    return f"NOT ({body})" if draw(st.booleans()) else body


@settings(max_examples=300, deadline=None)
@given(_expressions())
def test_canonical_form_is_idempotent(expression: str) -> None:
    once = canonical_expr(expression)
    assert not once.startswith("?"), expression
    assert canonical_expr(once) == once
