"""Range types (CREATE TYPE … AS RANGE) after `init`: only named as a blind spot before, so a
range type re-created with another subtype_diff, canonical function, subtype, operator class,
collation or multirange name, given a COMMENT, another owner, a REVOKE USAGE, or a new range
type, PASSed the audit of init's spec (a false PASS, confirmed on PostgreSQL 15). `init --dsn`
writes `range_types:` and `strict.range_types`; each change below FAILs that spec. Read from a
catalog only (as composite types): against a migration history the entries are DEFERRED,
never PASS. Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from init_mutations import (
    assert_change_fails,
    audit_report,
    failing_ids,
    init_database,
    static_statuses,
)

BASE = """
CREATE SCHEMA x10r;
CREATE FUNCTION x10r.diff(a float8, b float8) RETURNS float8 LANGUAGE sql IMMUTABLE
  AS 'SELECT a - b';
CREATE TYPE x10r.floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TYPE x10r.textrange AS RANGE (subtype = text, collation = "C",
  subtype_opclass = text_pattern_ops, multirange_type_name = x10r.textranges);
CREATE TYPE x10r.own AS RANGE (subtype = float8, subtype_diff = x10r.diff);
COMMENT ON TYPE x10r.own IS 'measured by its own function';
"""

_RECREATE = "DROP TYPE x10r.{0}; CREATE TYPE x10r.{0} AS RANGE ({1})"

# each passed the audit of init's spec before (a false PASS); now FAILs, with this in the message
MUTATIONS = {
    "subtype_diff_changed": (
        _RECREATE.format("floatrange", "subtype = float8, subtype_diff = x10r.diff"),
        "subtype_diff is x10r.diff, expected float8mi",
    ),
    "subtype_diff_dropped": (
        _RECREATE.format("floatrange", "subtype = float8"),
        "subtype_diff is None, expected float8mi",
    ),
    "subtype_changed": (
        _RECREATE.format("floatrange", "subtype = numeric"),
        "subtype is numeric, expected double precision",
    ),
    "collation_changed": (
        _RECREATE.format(
            "textrange",
            'subtype = text, collation = "POSIX", subtype_opclass = text_pattern_ops,'
            " multirange_type_name = x10r.textranges",
        ),
        'collation is pg_catalog."POSIX"',
    ),
    "opclass_changed": (
        _RECREATE.format(
            "textrange", 'subtype = text, collation = "C", multirange_type_name = x10r.textranges'
        ),
        "subtype_opclass is None, expected text_pattern_ops",
    ),
    "multirange_renamed": (
        _RECREATE.format(
            "textrange",
            'subtype = text, collation = "C", subtype_opclass = text_pattern_ops,'
            " multirange_type_name = x10r.textmulti",
        ),
        "multirange is textmulti, expected textranges",
    ),
    "comment_changed": ("COMMENT ON TYPE x10r.own IS 'other'", "comment is other"),
    "usage_revoked": ("REVOKE USAGE ON TYPE x10r.own FROM PUBLIC", "grants"),
    "new_range_type": (
        "CREATE TYPE x10r.intrange AS RANGE (subtype = int4)",
        "range types the spec does not require: x10r.intrange",
    ),
    "range_type_dropped": ("DROP TYPE x10r.own", "range type x10r.own does not exist"),
}


@pytest.fixture(scope="module", name="initialised")
def initialised_fixture(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "exact10r", BASE)


def test_init_writes_range_types_and_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []
    text = spec.read_text()
    assert "\nrange_types:\n" in text
    assert "range_types: true" in text
    for line in (
        "subtype: double precision",
        "subtype_diff: float8mi",
        "subtype_opclass: text_pattern_ops",
        'collation: pg_catalog."C"',
        "multirange: textranges",
        "subtype_diff: x10r.diff",
        "comment: measured by its own function",
    ):
        assert line in text, text[text.index("range_types:") :]
    # a range type's constructor functions are part of CREATE TYPE (pg_depend 'i'), as in
    # pg_dump: listed as functions, the history that built the database FAILed them
    assert "floatrange(double precision" not in text
    assert "textranges(" not in text


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_a_change_after_init_fails(initialised, pg_server, mutation: str) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    sql, message = MUTATIONS[mutation]
    assert_change_fails(pg_server, template, "exact10rm", sql, spec, message)


def test_a_history_defers_range_types(initialised, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The static reader does not model range types: the entries and the strict set are
    DEFERRED against the history that built the database (never PASS, never a false FAIL)."""
    _, _, spec = initialised
    status = static_statuses(spec, tmp_path / "history", BASE)
    ranges = {k: v for k, v in status.items() if "range_types" in k}
    assert ranges and set(ranges.values()) == {"DEFERRED"}, ranges
