"""A view over a temporary relation, read as PostgreSQL 15's DefineView makes it.

``CREATE VIEW v AS SELECT * FROM tmp_t`` where ``tmp_t`` is TEMPORARY makes a temporary view
("NOTICE: view "v" will be a temporary view", isQueryUsingTempRelation: a subquery, a WITH
query or another temporary view count too), gone when the session ends; written in a named
schema (``public.v2``) it is refused ("cannot create temporary relation in non-temporary
schema"), and a materialized view over one is refused. ``CREATE OR REPLACE VIEW v4`` of a
public ``v4`` over a temporary table makes a new temporary ``v4`` and leaves public's. The
static reading kept persistent public views for all of them (a false PASS of ``views.v``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, run_and_read

FILES = {
    "001_views.sql": (
        "CREATE TEMP TABLE tmp_t (id int);\n"
        "CREATE TABLE pt (id int);\n"
        "CREATE VIEW v AS SELECT * FROM tmp_t;\n"
        "CREATE VIEW v3 AS SELECT * FROM pt WHERE id IN (SELECT id FROM tmp_t);\n"
        "CREATE VIEW v4 AS SELECT * FROM pt;\n"
        "CREATE OR REPLACE VIEW v4 AS SELECT pt.id FROM pt JOIN tmp_t USING (id);\n"
        "CREATE VIEW v5 AS WITH w AS (SELECT id FROM tmp_t) SELECT * FROM w;\n"
        "CREATE VIEW v6 AS SELECT * FROM v;\n"
        "CREATE VIEW kept AS SELECT * FROM pt;\n"
    ),
    "002_refused.sql": (
        "CREATE TEMP TABLE tmp_t (id int);\n"
        "CREATE VIEW public.v2 AS SELECT * FROM tmp_t;\n"
        "CREATE MATERIALIZED VIEW mv AS SELECT * FROM tmp_t;\n"
    ),
}

SPEC = """
name: t
views:
  v: {}
  v3: {}
  v4: {}
  v5: {}
  v6: {}
  kept: {}
"""


@PATHS
def test_a_view_over_a_temporary_table_is_temporary_as_in_postgresql(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    files = {"001_views.sql": FILES["001_views.sql"]}
    run = run_and_read(make_db, tmp_path, monkeypatch, ahead, files, "temp_views")
    errors = run.errors
    assert "ERROR" not in errors and errors.count("will be a temporary view") == 5, errors
    assert sorted(run.static.views) == sorted(run.catalog.views) == ["public.kept", "public.v4"]
    assert run.differences() == []
    assert run.static.unapplied == []
    wanted = {
        "views.v": "FAIL",  # the reading said PASS
        "views.v3": "FAIL",  # the reading said PASS
        "views.v4": "PASS",  # public's, as first written
        "views.v5": "FAIL",  # the reading said PASS
        "views.v6": "FAIL",  # the reading said PASS
        "views.kept": "PASS",
    }
    assert run.statuses(SPEC, wanted) == wanted


@PATHS
def test_a_view_over_a_temporary_table_is_refused_where_postgresql_refuses_it(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    files = {"002_refused.sql": FILES["002_refused.sql"]}
    run = run_and_read(make_db, tmp_path, monkeypatch, ahead, files, "temp_views_refused")
    errors = run.errors
    assert "non-temporary schema" in errors and "must not use temporary" in errors, errors
    assert sorted(run.static.views) == sorted(run.catalog.views) == []
    assert [(u.line, u.kind) for u in run.static.unapplied] == [(2, "error"), (3, "error")]
