"""REINDEX of a partitioned table or index inside BEGIN … COMMIT aborts the transaction.

PostgreSQL 15 (``psql -f``): ``REINDEX TABLE p`` of a partitioned table, and ``REINDEX
INDEX`` of a partitioned index, are refused in a transaction block ("REINDEX TABLE cannot
run inside a transaction block", while reindexing partitioned table "public.p"), so what the
transaction made before it is rolled back; the static reading kept it (false PASS of
``tables.x1``; s17's "Known, not done"). A partition's own REINDEX runs there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.sources import live

FILES = {
    "001_partitioned.sql": (
        "CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);\n"
        "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);\n"
        "CREATE INDEX p_id ON p (id);\n"
        "CREATE INDEX p1_k ON p1 (k);\n"
    ),
    "002_reindex.sql": (
        "BEGIN;\n"
        "CREATE TABLE x1 (id int);\n"
        "REINDEX TABLE p;\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "CREATE TABLE x2 (id int);\n"
        "REINDEX INDEX public.p_id;\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "CREATE TABLE x3 (id int);\n"
        "REINDEX TABLE p1;\n"
        "REINDEX INDEX p1_k;\n"
        "COMMIT;\n"
    ),
}


@PATHS
def test_reindex_of_a_partitioned_relation_aborts_its_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("reindex_partitioned")
    errors = psql_f(dsn, history, *FILES, stop=False)
    assert "REINDEX TABLE cannot run inside a transaction block" in errors, errors
    assert "REINDEX INDEX cannot run inside a transaction block" in errors, errors
    assert sorted(live.introspect(dsn).tables) == ["public.p", "public.p1", "public.x3"]
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.p", "public.p1", "public.x3"]
    kinds = [(u.file, u.line, u.kind) for u in static.unapplied]
    assert kinds == [
        ("history/002_reindex.sql", 2, "data"),
        ("history/002_reindex.sql", 3, "error"),
        ("history/002_reindex.sql", 6, "data"),
        ("history/002_reindex.sql", 7, "error"),
    ], kinds
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  x1: {}\n  x2: {}\n  x3: {}\n")
    statuses = audit_statuses(spec, history)
    wanted = {"tables.x1": "FAIL", "tables.x2": "FAIL", "tables.x3": "PASS"}
    assert {k: statuses[k] for k in wanted} == wanted
