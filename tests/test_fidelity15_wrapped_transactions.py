"""A file its runner applies in one transaction, with BEGIN / ROLLBACK of its own inside.

goose (and Flyway, dbmate, sqlx, sql-migrate …) runs each file in a transaction: a BEGIN
in it is only a warning, a ROLLBACK undoes the file from its start, and a transaction the
file leaves open is committed by the runner. ``psql -1 -f`` behaves so on PostgreSQL 15
(the stand-in for the runner here). The static reading followed ``psql -f``: what the file
made before its BEGIN stayed with only a blind spot saying so (a spec requiring it PASSed),
and a transaction open at the file's end was DEFERRED (rollback16's leftover). Now a
ROLLBACK names what ran before it, DEFERRED (applied, it cannot be undone), and an open
transaction commits. In this process and through the parsing child.
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

FILES = {
    "001_a.sql": (
        "-- +goose Up\n"
        "CREATE TABLE pre (id int);\n"
        "BEGIN;\n"
        "CREATE TABLE mid (id int);\n"
        "ROLLBACK;\n"
        "CREATE TABLE post (id int);\n"
    ),
    "002_b.sql": "-- +goose Up\nBEGIN;\nCREATE TABLE open_t (id int);\n",
}

SPEC = "name: t\ntables:\n  pre: {}\n  mid: {}\n  post: {}\n  open_t: {}\n"


def _psql_single_transaction(dsn: str, history: Path, names: list[str]) -> None:
    psql = shutil.which("psql")
    if psql is None:
        from conftest import find_bindir

        psql = str(find_bindir() / "psql")
    for name in names:
        subprocess.run(
            [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", name],
            check=True,
            cwd=history,
            capture_output=True,
        )


@PATHS
def test_a_wrapping_runner_s_file_is_one_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("wrapped")
    _psql_single_transaction(dsn, history, sorted(FILES))
    catalog = live.introspect(dsn)
    assert sorted(catalog.tables) == ["public.open_t", "public.post"]
    static = read_history(history, monkeypatch, ahead)
    assert [str(d) for d in compare_models(catalog, static).differences] == []
    kinds = [(u.file, u.line, u.kind) for u in static.statements_unapplied()]
    assert kinds == [("history/001_a.sql", 2, "unsupported"), ("history/001_a.sql", 4, "data")]
    assert "the runner applies the file in one transaction" in static.unapplied[0].reason
    assert not [s for s in static.blind_spots if "ROLLBACK" in s]
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    wanted = {
        "tables.pre": "DEFERRED",  # PASSed: kept with a blind spot
        "tables.mid": "FAIL",
        "tables.post": "PASS",
        "tables.open_t": "PASS",  # DEFERRED: the runner commits it
    }
    assert {k: statuses[k] for k in wanted} == wanted
