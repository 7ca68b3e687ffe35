"""REINDEX inside BEGIN … COMMIT is judged where it runs in the transaction.

PostgreSQL 15 refuses REINDEX TABLE of a partitioned table inside a transaction block, and
the transaction rolls back. The static reading judged it against the model as it was before
the transaction: a partitioned table made in the same transaction was not seen (its REINDEX
passed, the transaction's tables PASSed: a false PASS), and one dropped and made again plain
in it was still partitioned (the transaction was refused: its tables FAILed). Compared with
``psql -f`` on PostgreSQL 15.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live

FILES = {
    "001_q.sql": "CREATE TABLE qt (id int, k int) PARTITION BY LIST (k);\n",
    "002_reindex.sql": (
        "BEGIN;\n"
        "CREATE TABLE x1 (id int);\n"
        "CREATE TABLE pt (id int, k int) PARTITION BY LIST (k);\n"
        "REINDEX TABLE pt;\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "DROP TABLE qt;\n"
        "CREATE TABLE qt (id int);\n"
        "CREATE TABLE x2 (id int);\n"
        "REINDEX TABLE qt;\n"
        "COMMIT;\n"
    ),
}


@PATHS
def test_reindex_judged_where_it_runs_in_the_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("reindex17")
    errors = psql_f(dsn, history, *sorted(FILES), stop=False)
    assert "REINDEX TABLE cannot run inside a transaction block" in errors
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == ["public.qt", "public.x2"]
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.qt", "public.x2"]
    assert static.tables["public.qt"].kind == "table"
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  x1: {}\n  pt: {}\n  x2: {}\n  qt: {}\n")
    statuses = audit_statuses(spec, history)
    wanted = {
        "tables.x1": "FAIL",  # PASSed
        "tables.pt": "FAIL",  # PASSed
        "tables.x2": "PASS",  # FAILed
        "tables.qt": "PASS",
    }
    assert {k: statuses[k] for k in wanted} == wanted


# review19 r1 / r2: a SET search_path between the CREATE TABLE and the REINDEX
MOVED = {
    "001_other.sql": "CREATE SCHEMA other;\nCREATE TABLE other.parts (id int)%s;\n",
    "002_tx.sql": (
        "BEGIN;\n"
        "CREATE TABLE parts (id int)%s;\n"
        "CREATE TABLE keep_me (x int);\n"
        "SET search_path = other, public;\n"
        "REINDEX TABLE parts;\n"
        "COMMIT;\n"
    ),
}


@PATHS
@pytest.mark.parametrize("other_partitioned", [False, True], ids=["r2", "r1"])
def test_a_search_path_change_before_the_reindex_leaves_it_open(
    make_db: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ahead: bool,
    other_partitioned: bool,
) -> None:
    by = " PARTITION BY RANGE (id)"
    files = {
        "001_other.sql": MOVED["001_other.sql"] % (by if other_partitioned else ""),
        "002_tx.sql": MOVED["002_tx.sql"] % ("" if other_partitioned else by),
    }
    history = write_history(tmp_path, files)
    dsn = make_db("reindexpath")
    psql_f(dsn, history, *sorted(files), stop=False)
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, ahead)
    # r2: PG commits (other.parts is plain), r1: PG refuses (other.parts is partitioned):
    # the reading leaves the transaction open, never the wrong way round
    assert ("public.keep_me" in catalog.tables) is not other_partitioned
    assert [str(d) for d in compare_models(catalog, static).differences] == []
