"""Numbers written with an exponent, compared as PostgreSQL 15 stores them.

A constant ``1e3`` is a numeric (numeric_in: ``1000``, with ``max(0, decimals - exponent)``
decimals, so ``1.50e1`` is ``15.0``): ``f > 1e3`` over a double precision column is stored
``(f > ('1000'::numeric)::double precision)``, ``n > 1.5e2`` over a numeric one
``(n > '150'::numeric)``, ``i > 1e3`` over an integer ``((i)::numeric > '1000'::numeric)``.
The canonical forms kept ``1e3`` as written, so CHECKs, index predicates, policies and views
read from a migration differed from the catalog's (a false FAIL of each against a spec
written from the database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live
from schema_audit.sqlnorm import canonical_expr

FILES = {
    "001_exponents.sql": (
        "CREATE TABLE m (\n"
        "  f double precision CHECK (f > 1e3),\n"
        "  n numeric CHECK (n > 1.5e2 AND n < 1.50e4),\n"
        "  i int CHECK (i > 1e3),\n"
        "  s numeric CHECK (s <> 2.5E-2)\n"
        ");\n"
        "CREATE INDEX mi ON m (f) WHERE f > 1e3;\n"
        "CREATE VIEW mv AS SELECT f, n FROM m WHERE f > 1e3 AND n > 1.5e2;\n"
        "ALTER TABLE m ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY p ON m USING (f > 1e3 AND n <> 1.50e1);\n"
    ),
}


@PATHS
def test_exponent_literals_read_as_postgresql_stores_them(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("exponent_literals")
    assert psql_f(dsn, history, *FILES) == ""
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert [str(d) for d in compare_models(catalog, static).differences] == []


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("f > 1e3", "(f > ('1000'::numeric)::double precision)"),
        ("n > 1.50e1", "(n > 15.0)"),
        ("n > 1.5e-2", "(n > 0.015)"),
        ("n > 2.5E+1", "(n > '25'::numeric)"),
        ("n > '1e3'::numeric", "(n > '1000'::numeric)"),
    ],
)
def test_an_exponent_is_the_numeric_postgresql_stores(written: str, stored: str) -> None:
    assert canonical_expr(written) == canonical_expr(stored)
