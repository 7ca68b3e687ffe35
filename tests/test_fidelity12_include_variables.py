"""`--replay`: psql variables an included file sets reach its including file after the `\\i`.

psql's variables belong to the session: `\\ir sub/vars.sql` holding `\\set tname accounts`,
then `CREATE TABLE :tname …` in the including file, creates `accounts` (psql 15, below). The
replay cut the including file once, with the variables it had before the include, so the
statement was a syntax error and the replay stopped there (every finding DEFERRED; left by
trial12). The replay now reads on after an include with the variables the included file left
(nested includes and `\\gset` in it too). The static reading still cuts each file once: such a
statement stays a syntax error there (said, exit 2), not a wrong model. Real PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from history_paths import psql_f, write_history

from schema_audit.api import audit
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.spec.load import load_spec

FILES = {
    "001_init.sql": (
        "\\set suffix _a\n"
        "\\ir sub/vars.sql\n"
        "CREATE TABLE :tname (id int PRIMARY KEY);\n"
        "CREATE TABLE :other:suffix (id int);\n"
    ),
    "sub/vars.sql": "\\set tname accounts\n\\ir deeper/more.sql\n",
    "sub/deeper/more.sql": "SELECT 'ledger' AS other \\gset\n\\set suffix _b\n",
}

SPEC = """\
spec_version: 1
name: include variables
tables:
  accounts:
    columns:
      id: {type: integer}
"""


def test_variables_an_included_file_sets_reach_the_rest(pg_server, make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, FILES)
    (tmp_path / "spec.yaml").write_text(SPEC)
    dsn = make_db("fid12incvars")
    psql_f(dsn, history, "001_init.sql")
    catalog = live.introspect(dsn)
    assert {"public.accounts", "public.ledger_b"} <= set(catalog.tables)
    result = audit(
        load_spec(tmp_path / "spec.yaml"), sql=history, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    failed = [f.message for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert failed == []
    assert [str(d) for d in diff_models(catalog, result.model)] == []
