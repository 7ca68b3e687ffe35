"""Runners that apply a file whole, or a run whole, and files PostgreSQL cannot even read.

Each compared with PostgreSQL 15 driven as the runner drives it (the runners' sources:
drizzle-orm ``PgDialect.migrate``, every pending migration inside one
``session.transaction``; sqitch's pg engine, ``psql --set ON_ERROR_STOP=1 --file`` per
change, the deploy stopping at the first change that fails). The static reading applied
these files as ``psql -f`` runs them and went on after the refusal: the refused file's
earlier statements and every later file PASSed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest
from history_paths import PATHS, audit_statuses, read_history

from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import find_bindir


def _tables(dsn: str) -> set[str]:
    return set(live.introspect(dsn).tables)


def _statuses(tmp_path: Path, history: Path, names: list[str]) -> dict[str, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n" + "".join(f"  {n}: {{}}\n" for n in names))
    statuses = audit_statuses(spec, history)
    return {k: v for k, v in statuses.items() if k.startswith("tables.")}


DRIZZLE = {
    "0000_a.sql": 'CREATE TABLE "a" ("id" integer);\n',
    "0001_z.sql": (
        'CREATE TABLE "z" ("id" integer);\n--> statement-breakpoint\n'
        'CREATE INDEX CONCURRENTLY "zi" ON "z" ("id");\n'
    ),
    "0002_c.sql": 'CREATE TABLE "c" ("id" integer);\n',
}


@PATHS
def test_drizzle_runs_every_migration_in_one_transaction(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """drizzle's one transaction: the refusal undoes the run (a from an empty database) and
    c is never run; a stays open (a database migrated past it earlier has it)."""
    folder = tmp_path / "drizzle"
    (folder / "meta").mkdir(parents=True)
    entries = [
        {"idx": i, "version": "7", "when": i + 1, "tag": name[:-4], "breakpoints": True}
        for i, name in enumerate(sorted(DRIZZLE))
    ]
    (folder / "meta" / "_journal.json").write_text(
        json.dumps({"version": "7", "dialect": "postgresql", "entries": entries})
    )
    for name, text in DRIZZLE.items():
        (folder / name).write_text(text)
    dsn = make_db("silence19_drizzle")
    statements = [
        part.strip()
        for name in sorted(DRIZZLE)
        for part in DRIZZLE[name].split("--> statement-breakpoint")
    ]
    # one transaction, each part sent alone
    with psycopg.connect(dsn) as conn, pytest.raises(psycopg.Error):
        for sql in statements:
            conn.execute(sql)
    assert _tables(dsn) == set()
    static = read_history(folder, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.a"]
    assert any(s.startswith("drizzle undoes the 1 earlier file") for s in static.blind_spots)
    statuses = _statuses(tmp_path, folder, ["a", "z", "c"])
    # a and c PASSed, z too (the CONCURRENTLY index read outside a transaction)
    assert statuses == {"tables.a": "DEFERRED", "tables.z": "FAIL", "tables.c": "DEFERRED"}


SQITCH = {
    "a": "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
    "b": "CREATE TABLE b (id int);\nINSERT INTO missing VALUES (1);\n",
    "c": "BEGIN;\nCREATE TABLE c (id int);\nCOMMIT;\n",
}


@PATHS
def test_sqitch_stops_at_a_failing_change(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """sqitch runs each change with psql ON_ERROR_STOP=1 and no transaction of its own: b's
    table stays, c is never deployed (it PASSed); and the run reverts a (--mode all)."""
    folder = tmp_path / "db"
    (folder / "deploy").mkdir(parents=True)
    (folder / "sqitch.plan").write_text(
        "%syntax-version=1.0.0\n%project=t\n\n"
        + "".join(f"{c} 2024-01-01T00:00:00Z x <x@y>\n" for c in SQITCH)
    )
    for change, text in SQITCH.items():
        (folder / "deploy" / f"{change}.sql").write_text(text)
    dsn = make_db("silence19_sqitch")
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    for change in SQITCH:
        run = subprocess.run(
            [psql, "-X", "-q", "--set", "ON_ERROR_STOP=1", "-d", dsn, "--file", f"{change}.sql"],
            cwd=folder / "deploy",
            capture_output=True,
        )
        if run.returncode:
            break
    assert _tables(dsn) == {"public.a", "public.b"}  # (before sqitch reverts a)
    static = read_history(folder, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.a", "public.b"]
    statuses = _statuses(tmp_path, folder, ["a", "b", "c"])
    assert statuses == {"tables.a": "DEFERRED", "tables.b": "PASS", "tables.c": "DEFERRED"}


@PATHS
@pytest.mark.parametrize(
    "raw", [b"CREATE TABLE \xff\xfe (id int);\n", b"CREATE TABLE n (id int);\x00\n"]
)
def test_an_unreadable_file_stops_a_runner_s_history(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool, raw: bytes
) -> None:
    """PostgreSQL refuses a file that is not UTF-8 ("invalid byte sequence for encoding
    UTF8"): goose stops there; the reading named the file but applied the later ones (c
    PASSed)."""
    folder = tmp_path / "history"
    folder.mkdir()
    (folder / "001_a.sql").write_text("-- +goose Up\nCREATE TABLE a (id int);\n")
    (folder / "002_x.sql").write_bytes(b"-- +goose Up\n" + raw)
    (folder / "003_c.sql").write_text("-- +goose Up\nCREATE TABLE c (id int);\n")
    if b"\xff" in raw:
        dsn = make_db("silence19_bytes")
        psql = shutil.which("psql") or str(find_bindir() / "psql")
        run = subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-1", "-f", "002_x.sql"],
            cwd=folder,
            capture_output=True,
            text=True,
        )
        assert run.returncode and "invalid byte sequence" in run.stderr
    static = read_history(folder, monkeypatch, ahead)
    assert any(s.startswith("goose stops at the migration") for s in static.blind_spots)
    statuses = _statuses(tmp_path, folder, ["a", "c"])
    assert statuses == {"tables.a": "PASS", "tables.c": "DEFERRED"}
