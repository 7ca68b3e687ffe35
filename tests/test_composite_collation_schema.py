"""A composite type's attribute collation is named as PostgreSQL resolves it: schema-qualified
unless an unqualified COLLATE reaches it (pg_catalog, or public when pg_catalog has no such
name), as a table column's is. Read bare, an attribute moved from ``a.ci`` to a same-named
``b.ci`` PASSed the audit of init's spec (a false PASS, confirmed on PostgreSQL 15: both are
``ci`` in ``pg_collation.collname``). Real PostgreSQL.
"""

from __future__ import annotations

import pytest
from init_mutations import assert_change_fails, audit_report, failing_ids, init_database

BASE = """
CREATE SCHEMA cca;
CREATE SCHEMA ccb;
CREATE COLLATION cca.ci FROM "C";
CREATE COLLATION ccb.ci FROM "C";
CREATE COLLATION public.ccpub FROM "C";
CREATE TYPE cca.label AS (body text COLLATE cca.ci, note text COLLATE "C", plain text,
  extra text COLLATE ccpub);
"""


@pytest.fixture(scope="module", name="initialised")
def initialised_fixture(pg_server, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from init_database(pg_server, tmp_path_factory, "ccoll", BASE)


def test_init_writes_the_qualified_collation_and_the_same_database_passes(initialised) -> None:  # type: ignore[no-untyped-def]
    _, dsn, spec = initialised
    assert failing_ids(audit_report(spec, dsn)) == []
    text = spec.read_text()
    assert "body text COLLATE cca.ci" in text, text
    assert 'note text COLLATE "C"' in text, text
    assert "extra text COLLATE ccpub" in text, text


def test_the_same_name_in_another_schema_fails(initialised, pg_server) -> None:  # type: ignore[no-untyped-def]
    template, _, spec = initialised
    sql = "ALTER TYPE cca.label ALTER ATTRIBUTE body TYPE text COLLATE ccb.ci"
    assert_change_fails(pg_server, template, "ccollm", sql, spec, "ccb.ci")
