"""What a ROLLBACK in a migration file undid is not in the static model (found by trial15).

``BEGIN; CREATE TABLE gone (…); ROLLBACK;`` leaves no ``gone`` in PostgreSQL; the static
reading kept it, so a spec requiring it PASSed without a database (a false PASS). Compared
with ``psql -f`` of the same files on a real database, in this process and through the
parsing child; a transaction the reading cannot delimit (ROLLBACK TO SAVEPOINT, open at the
file's end) is neither applied nor dropped: what it names is DEFERRED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from history_paths import PATHS, audit_statuses, psql_f, read_history, write_history
from test_resource_limits import _peak_bytes

from schema_audit.audit.undecided import compare_models
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

FILES = {
    "001_rollback.sql": (
        "CREATE TABLE kept (id int);\n"
        "BEGIN;\n"
        "CREATE TABLE gone (id int);\n"
        "ALTER TABLE kept ADD COLUMN note text;\n"
        "ROLLBACK;\n"
        "CREATE TABLE after_rb (id int);\n"
    ),
    "002_more.sql": (
        "START TRANSACTION;\n"
        "CREATE TABLE committed (id int);\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "CREATE INDEX gone_ix ON kept (id);\n"
        "ABORT;\n"
        "BEGIN;\n"
        "CREATE TABLE chain_gone (id int);\n"
        "ROLLBACK AND CHAIN;\n"
        "CREATE TABLE chained (id int);\n"
        "COMMIT;\n"
        "BEGIN;\n"
        "SAVEPOINT p;\n"
        "CREATE TABLE released (id int);\n"
        "RELEASE SAVEPOINT p;\n"
        "COMMIT;\n"
    ),
}

UNSURE = {
    "001_savepoint.sql": (
        "CREATE TABLE base (id int);\n"
        "BEGIN;\n"
        "CREATE TABLE s1 (id int);\n"
        "SAVEPOINT p;\n"
        "CREATE TABLE s2 (id int);\n"
        "ROLLBACK TO SAVEPOINT p;\n"
        "COMMIT;\n"
    ),
    "002_open.sql": "BEGIN;\nCREATE TABLE open_t (id int);\n",
    # refused in a transaction block: the transaction aborts, its COMMIT rolls back
    "003_prepared.sql": "BEGIN;\nCREATE TABLE cp (id int);\nCOMMIT PREPARED 'none';\nCOMMIT;\n",
}

SPEC = """
name: t
tables:
  s1: {}
  s2: {}
  open_t: {}
"""


@PATHS
def test_a_rolled_back_transaction_is_not_in_the_static_model(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("rollback")
    psql_f(dsn, history, *FILES)
    static = read_history(history, monkeypatch, ahead)
    compared = compare_models(live.introspect(dsn), static)
    assert [str(d) for d in compared.differences] == []
    assert sorted(static.tables) == [
        "public.after_rb",
        "public.chained",
        "public.committed",
        "public.kept",
        "public.released",
    ]
    rolled = [(u.file, u.line, u.kind, u.reason) for u in static.unapplied]
    assert rolled == [
        (
            "history/001_rollback.sql",
            3,
            "data",
            "rolled back by ROLLBACK at history/001_rollback.sql:5",
        ),
        (
            "history/001_rollback.sql",
            4,
            "data",
            "rolled back by ROLLBACK at history/001_rollback.sql:5",
        ),
        ("history/002_more.sql", 5, "data", "rolled back by ABORT at history/002_more.sql:6"),
        ("history/002_more.sql", 8, "data", "rolled back by ROLLBACK at history/002_more.sql:9"),
    ]
    # kept was made before the BEGIN: a runner applying the file in one transaction undoes it too
    assert [s.split(":")[:2] for s in static.blind_spots] == [["history/001_rollback.sql", "5"]]


@PATHS
def test_a_transaction_that_cannot_be_delimited_defers_what_it_names(
    make_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """ROLLBACK TO SAVEPOINT, and a transaction still open at the file's end (psql -f rolls
    it back, a runner with a transaction per file commits it): neither a PASS nor a FAIL."""
    history = write_history(tmp_path, UNSURE)
    dsn = make_db("unsure")
    assert "cannot run inside a transaction block" in psql_f(dsn, history, *UNSURE, stop=False)
    assert sorted(live.introspect(dsn).tables) == ["public.base", "public.s1"]
    static = read_history(history, monkeypatch, ahead)
    assert sorted(static.tables) == ["public.base"]
    unsure = [(u.file, u.line, u.kind) for u in static.unapplied]
    assert unsure == [
        ("history/001_savepoint.sql", 3, "unsupported"),
        ("history/001_savepoint.sql", 5, "unsupported"),
        ("history/002_open.sql", 2, "unsupported"),
        ("history/003_prepared.sql", 2, "unsupported"),
    ]
    assert "ROLLBACK TO SAVEPOINT at history/001_savepoint.sql:6" in static.unapplied[0].reason
    assert "still open at the file's end" in static.unapplied[2].reason
    assert "COMMIT PREPARED at history/003_prepared.sql:3" in static.unapplied[3].reason
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    statuses = audit_statuses(spec, history)
    assert {k: statuses[k] for k in ("tables.s1", "tables.s2", "tables.open_t")} == {
        "tables.s1": "DEFERRED",
        "tables.s2": "DEFERRED",
        "tables.open_t": "DEFERRED",
    }


def test_a_long_transaction_is_held_as_text_not_as_parses() -> None:
    """Statements are held until their transaction ends; a dump wrapped in BEGIN … COMMIT
    keeps memory per statement, not per file (test_resource_limits' bound), and is applied."""
    noise = "SELECT pg_catalog.set_config('search_path', '', false);\n"
    small, large = f"BEGIN;\n{noise * 1_500}COMMIT;\n", f"BEGIN;\n{noise * 12_000}COMMIT;\n"
    peak_small, peak_large = _peak_bytes(small), _peak_bytes(large)
    # held parsed: 17 MB for 12,000 (15 for 1,500 more); held as text: 4.4 (2.1 for 1,500)
    assert peak_large < 2 * peak_small + 2_000_000, (peak_small, peak_large)
    model = interpret(f"BEGIN;\n{noise * 1_500}CREATE TABLE t (id int);\nCOMMIT;\n")
    assert list(model.tables) == ["public.t"] and model.unapplied == []  # parsed again, applied
