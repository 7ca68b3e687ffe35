"""psql's ``\\i`` / ``\\ir`` / ``\\include`` / ``\\include_relative`` are read as psql reads them.

Before, each was reported as not applied (what it could change DEFERRED): the tables an
included file makes were missing from the static model. Now the included file's statements
are applied in place with their own file:line; ``\\ir`` starts from the including file's
folder, ``\\i`` from the history's folder (where ``psql -f`` runs here; the report says
so). A path leaving the history's folder, a cycle and a missing file are one-line errors
with the including file:line (exit 2). Compared with ``psql -f`` on a real database (the
static model is the catalog's), in this process and through the parsing child.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_paths import PATHS, psql_f, read_history, write_history
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.sqlfile import read_sql

FILES = {
    "001_init.sql": (
        "CREATE TABLE a (id int PRIMARY KEY);\n"
        "\\i sub/tables.sql\n"
        "CREATE TABLE z (id int REFERENCES b, c int REFERENCES c);\n"
    ),
    "002_more.sql": "\\include_relative sub/views.sql\nALTER TABLE b ADD note text;\n",
    "sub/tables.sql": (
        "CREATE TABLE b (id int PRIMARY KEY);\n  \\ir deeper/c.sql\nCREATE INDEX b_c ON c (v);\n"
    ),
    "sub/deeper/c.sql": "CREATE TABLE c (id int PRIMARY KEY, v int);\n\\include sub/grants.sql\n",
    "sub/grants.sql": "COMMENT ON TABLE c IS 'from an \\\\i inside an \\\\ir';\n",
    "sub/views.sql": "CREATE VIEW bv AS SELECT id FROM b;\n",
}


@PATHS
def test_included_files_are_read_as_psql_runs_them(
    make_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:  # type: ignore[no-untyped-def]
    history = write_history(tmp_path, FILES)
    dsn = make_db("include")
    psql_f(dsn, history, "001_init.sql", "002_more.sql")
    model = read_history(history, monkeypatch, ahead)
    assert model.unapplied == []
    assert [str(d) for d in diff_models(live.introspect(dsn), model)] == []
    where = {name: (t.provenance[0].file, t.provenance[0].line) for name, t in model.tables.items()}
    assert where["public.b"] == ("history/sub/tables.sql", 1)
    assert where["public.c"] == ("history/sub/deeper/c.sql", 1)
    assert where["public.z"] == ("history/001_init.sql", 3)
    assert model.views["public.bv"].provenance[0].file == "history/sub/views.sql"
    assert model.tables["public.c"].indexes["b_c"].provenance[0].file == "history/sub/tables.sql"
    assert any("read from the history's folder" in s for s in model.blind_spots)


def test_a_refused_statement_of_an_included_file_is_reported_at_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = dict(FILES)
    files["sub/tables.sql"] += "CREATE TABLE b (id int);\n"
    model = read_history(write_history(tmp_path, files), monkeypatch, False)
    assert [(u.file, u.line, u.reason) for u in model.unapplied] == [
        ("history/sub/tables.sql", 4, "table public.b already exists")
    ]


def _statuses(*args: str) -> tuple[dict[str, str], dict]:
    result = CliRunner().invoke(app, ["audit", "-f", "json", *args])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    return {f["id"]: f["status"] for f in doc["findings"]}, doc


def test_init_of_a_history_with_includes_passes_the_database_psql_built(
    make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Before, init --sql's spec lacked b and c (strict.tables FAILed the database) and the
    static audit DEFERRED what the includes could change; now both agree with the catalog."""
    history = write_history(tmp_path, FILES)
    dsn = make_db("include")
    psql_f(dsn, history, "001_init.sql", "002_more.sql")
    spec = tmp_path / "spec.yaml"
    init = CliRunner().invoke(app, ["init", "--sql", str(history), "-o", str(spec)])
    assert init.exit_code == 0, init.output
    assert "could not be applied" not in init.stderr
    catalog, _ = _statuses("-s", str(spec), "--dsn", dsn)
    static, doc = _statuses("-s", str(spec), "--sql", str(history))
    assert static == catalog
    assert set(static.values()) <= {"PASS", "WAIVED"}
    assert "tables.c.indexes.b_c" in static
    assert any("read from the history's folder" in s for s in doc["blind_spots"])


@pytest.mark.parametrize(
    ("include", "message"),
    [
        ("\\i ../outside.sql", "outside the history's folder"),
        ("\\ir ../../x.sql", "outside the history's folder"),
        ("\\ir tables.sql", "the file includes itself (history/001_init.sql -> "),
        ("\\i sub/none.sql", "history/sub/none.sql: No such file or directory; not read"),
    ],
)
def test_an_include_that_cannot_be_followed_is_an_error_with_its_line(
    tmp_path: Path, include: str, message: str
) -> None:
    files = dict(FILES)
    files["sub/tables.sql"] = f"CREATE TABLE b (id int);\n{include}\n"
    (tmp_path / "outside.sql").write_text("CREATE TABLE o (id int);\n")
    history = write_history(tmp_path, files)
    result = CliRunner().invoke(app, ["inspect", "--sql", str(history)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("schema-audit: history/sub/tables.sql:2: "), result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_changed_included_file_is_read_again(tmp_path: Path) -> None:
    """The model cache keys hash the history's files only: a history with includes is not
    cached (an included file changed would have given the old model)."""
    history = write_history(tmp_path, FILES)
    assert "note" not in read_sql(history)[0].tables["public.c"].columns
    (history / "sub/deeper/c.sql").write_text(
        "CREATE TABLE c (id int PRIMARY KEY, v int, note text);\n"
    )
    assert "note" in read_sql(history)[0].tables["public.c"].columns
