"""A bare literal beside a bytea value in a view: the catalog prints it as bytea's hex.

``string_agg(DISTINCT cert.certificate, '|')`` over a bytea column is stored with the
separator coerced to bytea and printed ``'\\x7c'::bytea`` (hashicorp/boundary's ldap and oidc
views, left by trial14); ``coalesce(b, 'x')`` and ``b || 'ab'`` alike. The view comparison
kept ``'|'`` and ``'\\x7c'`` apart: ``diff`` counted each view and init's spec of the database
FAILed the history (false FAIL). A bare literal now matches a bytea literal of the same bytes
in the same place; a literal cast to another type still differs. Static == live, real
PostgreSQL.
"""

from __future__ import annotations

from statement_runs import audit_failures, differences, init_spec, one_file_history, run_each

from schema_audit.viewtext import views_equal

STATEMENTS = [
    "CREATE TABLE cert (id int, certificate bytea, v varchar(10))",
    "CREATE VIEW agg AS SELECT id, string_agg(DISTINCT certificate, '|') AS c FROM cert GROUP BY id",
    "CREATE VIEW ops AS SELECT id, coalesce(certificate, 'x') AS c, certificate || 'ab' AS d,"
    " certificate || '\\xDEAD' AS e, v || 'z' AS f FROM cert",
]


def test_a_bare_literal_coerced_to_bytea_is_the_same_query(make_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dsn, errors = run_each(make_db, "fid14_bytea", STATEMENTS)
    assert errors == {}
    assert differences(dsn, STATEMENTS) == []
    history = one_file_history(tmp_path, STATEMENTS)
    assert audit_failures(init_spec(dsn, tmp_path), history) == []


def test_a_literal_of_another_type_or_other_bytes_still_differs() -> None:
    printed = "SELECT string_agg(cert.certificate, '\\x7c'::bytea) AS c FROM cert"
    assert views_equal("SELECT string_agg(certificate, '|') AS c FROM cert", printed)
    assert not views_equal("SELECT string_agg(certificate, ',') AS c FROM cert", printed)
    assert not views_equal("SELECT string_agg(certificate, '|'::text) AS c FROM cert", printed)
