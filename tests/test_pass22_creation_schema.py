"""The creation schema is the first schema of the search_path that exists (PostgreSQL 15).

``SET search_path = nosuch, public; CREATE TABLE t`` makes ``public.t`` where no schema
nosuch exists (recomputeNamespacePath leaves out the schemas that do not), and
``nosuch.t`` where one does: one the history never creates may have been made outside it
(by the platform, a runner's schemas setting), so the reading cannot know which. It made
``nosuch.t`` (a false PASS of ``nosuch.t``, a false FAIL of ``t``); such a creation is
DEFERRED now, naming both schemas. A schema the history created is the creation schema
as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, run_and_read

FILES = {
    "001_path.sql": (
        "SET search_path = nosuch, public;\n"
        "CREATE TABLE t (id int);\n"
        "CREATE TYPE en AS ENUM ('a');\n"
        "CREATE FUNCTION fn() RETURNS int LANGUAGE sql AS 'select 1';\n"
        "CREATE SEQUENCE sq;\n"
        "CREATE VIEW vw AS SELECT 1 AS a;\n"
        "CREATE DOMAIN dd AS int;\n"
        "CREATE TEMP TABLE tmp (id int);\n"  # pg_temp whatever the path says
        "CREATE TABLE public.q (id int);\n"  # qualified: as written
        "CREATE SCHEMA known;\n"
        "SET search_path = known, public;\n"
        "CREATE TABLE k (id int);\n"
    ),
}

SPEC = """
name: t
tables:
  t: {}
  nosuch.t: {}
  q: {}
  known.k: {}
views:
  vw: {}
  nosuch.vw: {}
sequences:
  sq: {}
"""


@PATHS
def test_a_path_schema_the_history_never_creates_defers_the_creation(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    run = run_and_read(make_db, tmp_path, monkeypatch, ahead, FILES, "creation_schema")
    assert "ERROR" not in run.errors, run.errors
    catalog, static = run.catalog, run.static
    assert sorted(catalog.tables) == ["known.k", "public.q", "public.t"]
    assert sorted(catalog.views) == ["public.vw"]
    assert "public.en" in catalog.enums
    assert not [k for k in static.tables if k.startswith("nosuch.")]
    assert sorted(static.tables) == ["known.k", "public.q"]
    assert not static.views and not static.sequences and not static.enums and not static.domains
    assert [(u.line, u.kind) for u in static.unapplied] == [(n, "unsupported") for n in range(2, 8)]
    assert "nosuch" in static.unapplied[0].reason and "public" in static.unapplied[0].reason
    wanted = {
        "tables.t": "DEFERRED",  # the reading said FAIL
        "tables.nosuch.t": "DEFERRED",  # the reading said PASS
        "tables.q": "PASS",
        "tables.known.k": "PASS",
        "views.vw": "DEFERRED",
        "views.nosuch.vw": "DEFERRED",
        "sequences.sq": "DEFERRED",
    }
    assert run.statuses(SPEC, wanted) == wanted
