"""A statement PostgreSQL never runs inside a function, reached from a DO block.

``DO $$ BEGIN EXECUTE 'CREATE INDEX CONCURRENTLY …'; END $$`` (or ``VACUUM``, written or
EXECUTEd) is refused by PostgreSQL 15 whatever the transaction: "CREATE INDEX CONCURRENTLY
cannot be executed from a function" (PreventInTransactionBlock, not at the top level). The DO
block's body ran the statement as at the top level, so the index was made; in a Flyway
migration (one transaction: Flyway's parser does not look inside the DO block) the refusal
undoes the file's table too, and Flyway stops there. Compared with PostgreSQL 15 driven as
Flyway drives it (``psql -1 -f`` per file, stopping at the first that fails).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, read_history, write_history

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import find_bindir


def _flyway(dsn: str, history: Path, names: list[str]) -> list[str]:
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    done = []
    for name in names:
        run = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-1", "-f", name],
            cwd=history,
            capture_output=True,
        )
        if run.returncode:
            break
        done.append(name)
    return done


def _files(body: str) -> dict[str, str]:
    return {
        "V1__a.sql": "CREATE TABLE a (id int);\n",
        "V2__b.sql": f"CREATE TABLE b (id int);\nDO $$ BEGIN {body} END $$;\n",
        "V3__c.sql": "CREATE TABLE c (id int);\n",
    }


@PATHS
@pytest.mark.parametrize(
    "body",
    [
        "EXECUTE 'CREATE INDEX CONCURRENTLY bi ON b (id)';",
        "EXECUTE 'VACUUM b';",
        "VACUUM;",
    ],
    ids=["execute-index", "execute-vacuum", "vacuum"],
)
def test_a_do_block_cannot_run_what_postgresql_runs_only_at_the_top(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, body: str
) -> None:
    files = _files(body)
    history = write_history(tmp_path, files)
    dsn = make_db("silence19_do")
    assert _flyway(dsn, history, sorted(files)) == ["V1__a.sql"]
    static = read_history(history, monkeypatch, ahead)
    assert [str(d) for d in compare_models(live.introspect(dsn), static).differences] == []
    assert list(static.tables["public.b"].indexes) == []
    refused = [u.reason for u in static.unapplied if u.kind == "error"]
    assert len(refused) == 1 and "cannot be executed from a function" in refused[0]
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  a: {}\n  b: {}\n  c: {}\n")
    statuses = audit_statuses(spec, history)
    wanted = {"tables.a": "PASS", "tables.b": "DEFERRED", "tables.c": "DEFERRED"}
    assert {k: statuses[k] for k in wanted} == wanted  # b and c PASSed


def test_a_handler_catches_the_refusal(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caught by the block's handler (active_sql_transaction), nothing fails: no index."""
    files = _files(
        "EXECUTE 'CREATE INDEX CONCURRENTLY bi ON b (id)'; "
        "EXCEPTION WHEN active_sql_transaction THEN NULL;"
    )
    history = write_history(tmp_path, files)
    dsn = make_db("silence19_do_caught")
    assert _flyway(dsn, history, sorted(files)) == sorted(files)
    catalog = live.introspect(dsn)
    static = read_history(history, monkeypatch, False)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    assert sorted(static.tables) == ["public.a", "public.b", "public.c"]
    assert list(static.tables["public.b"].indexes) == []
    assert static.unapplied == [] or all(u.kind == "runner" for u in static.unapplied)
