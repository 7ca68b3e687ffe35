"""An untyped literal compared with a real, interval or integer column, as PostgreSQL 15
stores it.

PostgreSQL's operator resolution gives an unknown literal the other operand's type and
stores the cast: ``r > '2'`` over a real column is ``(r > '2'::real)``, ``d < '1 hour'``
over an interval ``(d < '01:00:00'::interval)``, ``i > '5'`` over an integer ``(i > 5)``.
The static reading kept the bare literal, so such CHECKs, index predicates and policies
differed from the catalog's (a false FAIL against a spec written from the database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_literals.sql": (
        "CREATE TABLE m (\n"
        "  r real CHECK (r > '2'),\n"
        "  d interval CHECK (d < '1 hour'),\n"
        "  i int CHECK (i > '5' AND '100' >= i),\n"
        "  f double precision CHECK ('0.5' <= f),\n"
        "  n numeric CHECK (n <> '2.50')\n"
        ");\n"
        "CREATE INDEX mi ON m (r) WHERE d < '2 days' AND r > '1';\n"
        "ALTER TABLE m ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY p ON m USING (d < '1 hour' AND r > '2');\n"
    ),
}


@PATHS
def test_untyped_literals_read_as_postgresql_stores_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("untyped_literals")
    assert psql_f(dsn, history, *FILES) == ""
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
