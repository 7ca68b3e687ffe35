"""A DO block's variable holds its value converted to its declared type.

PostgreSQL 15: ``DECLARE n int := 8.5`` is 9 (numeric to integer rounds half away from zero),
so ``EXECUTE format('CREATE TABLE t_%s (id int)', n)`` makes ``t_9``; an assignment
``m := 2.5`` to a bigint is 3. The reading kept 8.5 and ran ``CREATE TABLE t_8.5``, a syntax
error: the block was refused and t_9 missing (false FAIL; s17's "Known, not done"). And
``-j`` (j int := -2.5, so -3) is 3: the reading took the prefix minus's missing left
operand for a NULL and made ``w_`` (found here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_typed.sql": (
        "DO $$ DECLARE n int := 8.5; m bigint; k smallint := 7.0; j int := -2.5; BEGIN\n"
        "  m := 2.5;\n"
        "  EXECUTE format('CREATE TABLE t_%s (id int)', n);\n"
        "  EXECUTE format('CREATE TABLE u_%s (id int)', m);\n"
        "  EXECUTE format('CREATE TABLE v_%s (id int)', k);\n"
        "  EXECUTE format('CREATE TABLE w_%s (id int)', -j);\n"
        "END $$;\n"
    ),
}


@PATHS
def test_a_variable_holds_its_value_as_its_declared_type(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("do_variable_types")
    assert psql_f(dsn, history, *FILES) == ""
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == ["public.t_9", "public.u_3", "public.v_7", "public.w_3"]
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == sorted(catalog.tables)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
