"""A column collation in a non-default schema: ``COLLATE s.ci`` is not ``COLLATE ci``.

The live reader printed ``pg_collation.collname`` bare and the column kind compared the part
after the last dot, so ``s.ci`` passed a spec asking for ``ci`` (public's), a public ``"C"``
passed for pg_catalog's ``"C"``, and ``en_GB.utf8`` passed for ``en_US.utf8``. Static and live
readers now name a collation as PostgreSQL resolves it (schema-qualified unless an
unqualified COLLATE reaches it), and a spec's name is read the way COLLATE reads it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest

from schema_audit.api import audit
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import find_bindir
from schema_audit.sources.sqlfile import load_sql
from schema_audit.spec.load import load_spec

HISTORY = Path(__file__).resolve().parent / "fixtures" / "sql_collation_schemas"


@pytest.fixture
def migrated(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("collations")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for path in sorted(HISTORY.glob("*.sql")):
            conn.execute(path.read_text())
    yield dsn
    pg_server.drop_database(name)


def test_collations_in_other_schemas_read_statically_equal_the_live_catalog(
    migrated, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    live_model = live.introspect(migrated)
    pg_dump = shutil.which("pg_dump") or str(find_bindir() / "pg_dump")
    dump = tmp_path / "schema.sql"
    subprocess.run([pg_dump, "--schema-only", "-d", migrated, "-f", str(dump)], check=True)
    for static in (load_sql(HISTORY), load_sql(dump)):
        differences = [str(d) for d in diff_models(live_model, static)]
        assert differences == [], "static model differs from live:\n" + "\n".join(differences)
    columns = live_model.tables["public.accounts"].columns
    assert {name: c.collation for name, c in columns.items()} == {
        "id": None,
        "email": "s.ci",
        "handle": "ci",  # public's: an unqualified COLLATE ci reaches it
        "code": "C",
        "legacy_code": 'public."C"',  # not pg_catalog's "C", which COLLATE "C" reaches first
        "sku": "C",
        "title": 's."Mixed.Case"',
        "sorted": '"en_GB.utf8"',  # quoted: a dot in a name is not schema.name
        "note": None,  # ALTER COLUMN … TYPE without COLLATE: the type's default
        "name": "s.ci",
        "plain": None,  # COLLATE "default": the type's own, as if not written
    }
    # the search_path of the migration decides an unqualified name
    assert live_model.tables["s.members"].columns["nick"].collation == "s.ci"
    assert live_model.tables["s.members"].columns["code"].collation == "C"
    keys = {n: i.keys[0].collation for n, i in live_model.tables["public.accounts"].indexes.items()}
    assert keys == {
        "accounts_pkey": None,
        "accounts_handle_s": "s.ci",
        "accounts_email_public": "ci",
    }


GOOD = """
name: collations
tables:
  accounts:
    columns:
      email: {collation: s.ci}
      handle: {collation: public.ci}
      code: {collation: 'pg_catalog."C"'}
      legacy_code: {collation: 'public."C"'}
      sku: {collation: C}
      title: {collation: 's."Mixed.Case"'}
      sorted: {collation: en_GB.utf8}
      note: {collation: null}
      name: {collation: '"s"."ci"'}
  s.members:
    columns:
      nick: {collation: s.ci}
"""

# Each of these passed before: only the part after the last dot was compared.
BAD = """
name: collations, wrong schema
tables:
  accounts:
    columns:
      email: {collation: ci}
      handle: {collation: s.ci}
      legacy_code: {collation: C}
      title: {collation: Mixed.Case}
      sorted: {collation: en_US.utf8}
      name: {collation: public.ci}
  s.members:
    columns:
      nick: {collation: ci}
"""


@pytest.mark.parametrize("source", ["dsn", "sql"])
def test_spec_collation_must_name_the_schema_postgresql_resolves(
    migrated, tmp_path: Path, source: str
) -> None:  # type: ignore[no-untyped-def]
    where = {"dsn": migrated} if source == "dsn" else {"sql": str(HISTORY)}
    for text, expected in ((GOOD, "PASS"), (BAD, "FAIL")):
        spec = tmp_path / "spec.yaml"
        spec.write_text(text)
        result = audit(load_spec(spec), rules="none", **where)
        columns = {f.id: f.status for f in result.findings if ".columns." in f.id}
        assert columns and set(columns.values()) == {expected}, (text, columns)
