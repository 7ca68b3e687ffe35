"""Static readings PostgreSQL disagreed with (the eighth static session's leftovers): a view's
``SELECT *`` over XMLTABLE, psql's variables, a cast to the type a call already returns.

Each script is applied to a real database; the static reading must give what the catalog
holds (``diff`` of both models, nothing left unapplied); a script using psql's variables is
run by ``psql -f`` itself.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg

from schema_audit import sqlnorm
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret
from schema_audit.sources.scratch_cluster import find_bindir


def test_select_star_over_xmltable_names_its_declared_columns(make_db) -> None:  # type: ignore[no-untyped-def]
    """XMLTABLE's columns are the ones its COLUMNS clause declares (a FOR ORDINALITY one
    too): `SELECT *` / `x.*` over it was "not known" (the view's findings DEFERRED, `diff`
    showing `"?column?"`). PostgreSQL prints it LATERAL when its row or PASSING expression
    reads an earlier FROM item, with that item's columns qualified. An XMLTABLE with column
    aliases (`x (a, b)`) stays not known: PostgreSQL 15 prints the alias alone."""
    script = """
        CREATE TABLE docs (id int, body xml);
        CREATE VIEW rows AS SELECT * FROM docs, XMLTABLE('/rows/row' PASSING docs.body
            COLUMNS rid int PATH '@id', ord FOR ORDINALITY, name text) AS x;
        CREATE VIEW picked AS SELECT x.* FROM docs, XMLTABLE('/rows/row' PASSING body
            COLUMNS rid int PATH '@id' NOT NULL, name text DEFAULT 'n') x;
        CREATE VIEW lone AS SELECT * FROM XMLTABLE('/a' PASSING xml '<a x="1"/>'
            COLUMNS x int PATH '@x') t;
        CREATE VIEW spaced AS SELECT x.* FROM docs, XMLTABLE(XMLNAMESPACES('http://x' AS n),
            '/n:rows/n:row' PASSING body COLUMNS rid int PATH '@id') x;
        CREATE VIEW nested AS SELECT s.rid FROM (SELECT * FROM docs,
            XMLTABLE('/r' PASSING body COLUMNS rid int) x) s;
    """
    dsn = make_db("s8", script)
    static = interpret(script)
    assert [u.sql for u in static.unapplied] == []
    assert [str(d) for d in diff_models(live.introspect(dsn), static)] == []
    assert [c.name for c in static.views["public.rows"].columns] == [
        "id",
        "body",
        "rid",
        "ord",
        "name",
    ]


def _psql_f(dsn: str, script: str, tmp_path: Path) -> None:
    path = tmp_path / "script.sql"
    path.write_text(script)
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(path)], check=True
    )


def test_psql_variables_are_read_as_psql_runs_the_script(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`\\set schema_name app` then `CREATE SCHEMA :schema_name`, `COMMENT … IS :'note'`,
    `GRANT … TO :"role"`: psql runs them with the values in place. Read as written each was a
    syntax error, taken for a statement PostgreSQL refused (nothing changed): the schema and
    its table were missing from the static model, silently. An indented `\\set` line was a
    syntax error too; a `:name` psql does not know, a `::cast`, and `:x` inside a string, a
    quoted identifier, a dollar quote or a comment are left as written, as psql leaves them."""
    script = """CREATE TABLE a (id int, note text DEFAULT ':app');
  \\set ON_ERROR_STOP on
\\set schema_name app
\\set note 'it''s :schema_name'
\\set role 'Reader Role'
CREATE SCHEMA :schema_name;
CREATE TABLE :schema_name.b (id int, n numeric DEFAULT 1::numeric);
COMMENT ON TABLE a IS :'note'; -- :schema_name in a comment
CREATE ROLE :"role";
GRANT SELECT ON :schema_name.b TO :"role";
CREATE FUNCTION :schema_name.f() RETURNS text LANGUAGE sql AS $$ SELECT ':schema_name' $$;
\\unset schema_name
CREATE VIEW v AS SELECT id, E'\\':x' AS q FROM a;
"""
    dsn = make_db("s8")
    try:
        _psql_f(dsn, script, tmp_path)
        static = interpret(script)
        assert [u.sql for u in static.unapplied] == []
        catalog = live.introspect(dsn)
        assert [str(d) for d in diff_models(catalog, static)] == []
        assert static.tables["public.a"].comment == "it's :schema_name"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute('DROP OWNED BY "Reader Role"; DROP ROLE "Reader Role"')


def test_a_cast_to_the_type_a_call_already_returns_is_stored_as_no_cast(make_db) -> None:  # type: ignore[no-untyped-def]
    """`DEFAULT now()::timestamptz` is stored `now()`, `CURRENT_DATE::date` `CURRENT_DATE`,
    `gen_random_uuid()::uuid` `gen_random_uuid()`: a cast to the type the value already has is
    no cast. The static default kept it (a difference in `diff`, a FAIL against `init --dsn`'s
    spec). A cast with a typmod or to another type is stored, and stays a difference."""
    script = """
        CREATE TABLE t (
            a timestamptz DEFAULT now()::timestamptz,
            b timestamptz DEFAULT CURRENT_TIMESTAMP::timestamptz,
            c uuid DEFAULT gen_random_uuid()::uuid,
            d date DEFAULT CURRENT_DATE::date,
            e timestamptz DEFAULT now()::timestamptz(3),
            f timestamp DEFAULT now()::timestamp,
            g timestamptz DEFAULT clock_timestamp()::timestamp with time zone,
            h timestamptz DEFAULT pg_catalog.now()::pg_catalog.timestamptz
        );
    """
    dsn = make_db("s8", script)
    assert [str(d) for d in diff_models(live.introspect(dsn), interpret(script))] == []
    assert not sqlnorm.exprs_equal("now()::timestamptz(3)", "now()")
