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
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

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
    history = write_history(tmp_path, {"001_views.sql": FILES["001_views.sql"]})
    dsn = make_db("temp_views")
    errors = psql_f(dsn, history, "001_views.sql", stop=False)
    assert "ERROR" not in errors and errors.count("will be a temporary view") == 5, errors
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.views) == sorted(catalog.views) == ["public.kept", "public.v4"]
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    assert static.unapplied == []
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted = {
        "views.v": "FAIL",  # the reading said PASS
        "views.v3": "FAIL",  # the reading said PASS
        "views.v4": "PASS",  # public's, as first written
        "views.v5": "FAIL",  # the reading said PASS
        "views.v6": "FAIL",  # the reading said PASS
        "views.kept": "PASS",
    }
    assert {k: statuses[k] for k in wanted} == wanted


@PATHS
def test_a_view_over_a_temporary_table_is_refused_where_postgresql_refuses_it(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, {"002_refused.sql": FILES["002_refused.sql"]})
    dsn = make_db("temp_views_refused")
    errors = psql_f(dsn, history, "002_refused.sql", stop=False)
    assert "non-temporary schema" in errors and "must not use temporary" in errors, errors
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.views) == sorted(catalog.views) == []
    assert [(u.line, u.kind) for u in static.unapplied] == [(2, "error"), (3, "error")]
