"""``--replay`` runs a SQL history's psql meta-commands as ``psql -f`` does, or stops.

Before, the replay dropped every meta-command without a word: an included file's tables and
a ``\\gexec`` query's statements were missing from the scratch database (the audit FAILed
what psql builds, a false FAIL, reported as a complete replay), and a ``\\gset`` or
``\\connect`` was skipped silently. Now ``\\i`` / ``\\ir`` files run in place and
``\\gexec`` runs its values (the replayed catalog is the one ``psql -f`` builds); any
other meta-command but display ones stops the replay at its file:line (every schema finding
DEFERRED, exit 2), as a failed statement does.
"""

from __future__ import annotations

from pathlib import Path

from history_paths import psql_f, write_history

from schema_audit.api import audit
from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.spec.load import load_spec

FILES = {
    "001_init.sql": (
        "\\set tbl items\n"
        "\\echo building\n"
        "CREATE TABLE :tbl (id int PRIMARY KEY);\n"
        "\\i sub/tables.sql\n"
        "SELECT format('CREATE TABLE %I (id int)', 'made_' || n) FROM generate_series(1, 2) n\n"
        "\\gexec\n"
        "CREATE TABLE z (id int REFERENCES b);\n"
    ),
    "002_more.sql": "\\ir sub/views.sql\nALTER TABLE b ADD note text;\n",
    "sub/tables.sql": "CREATE TABLE b (id int PRIMARY KEY);\n\\ir deeper/c.sql\n",
    "sub/deeper/c.sql": "CREATE TABLE c (id int PRIMARY KEY, v int);\n",
    "sub/views.sql": "CREATE VIEW bv AS SELECT id FROM b;\n",
}

SPEC = """\
spec_version: 1
name: replayed psql
tables:
  items:
    columns:
      id: {type: integer}
"""


def _history(root: Path, files: dict[str, str]) -> Path:
    (root / "spec.yaml").write_text(SPEC)
    return write_history(root, files)


def test_includes_and_gexec_are_replayed_as_psql_runs_them(
    pg_server, make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    history = _history(tmp_path, FILES)
    dsn = make_db("replaypsql")
    psql_f(dsn, history, "001_init.sql", "002_more.sql")
    result = audit(
        load_spec(tmp_path / "spec.yaml"),
        sql=history,
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert [str(d) for d in diff_models(live.introspect(dsn), result.model)] == []
    assert {"public.made_1", "public.made_2", "public.c"} <= set(result.model.tables)


def _stopped(tmp_path: Path, pg_server, files: dict[str, str]):  # type: ignore[no-untyped-def]
    history = _history(tmp_path, files)
    result = audit(
        load_spec(tmp_path / "spec.yaml"),
        sql=history,
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    stops = [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert len(stops) == 1
    assert result.finding("tables.items").status == "DEFERRED"  # never judged complete
    return stops[0]


def test_a_meta_command_the_replay_does_not_run_stops_it_at_its_line(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """No include here: before, this history replayed "completely" without its \\getenv."""
    files = {
        "001_init.sql": "CREATE TABLE items (id int PRIMARY KEY);\n",
        "002_more.sql": "\\getenv home HOME\nCREATE TABLE later (id int);\n",
    }
    stop = _stopped(tmp_path, pg_server, files)
    assert stop.message.startswith(
        "replay stopped at history/002_more.sql:1: psql meta-command \\getenv is not run by the "
        "replay"
    ), stop.message
    assert stop.evidence[0].line == 1


def test_a_meta_command_in_an_included_file_is_named_at_its_own_line(
    pg_server, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    files = dict(FILES)
    files["sub/deeper/c.sql"] = (
        "CREATE TABLE c (id int);\n\\connect other\nCREATE TABLE d (id int);\n"
    )
    stop = _stopped(tmp_path, pg_server, files)
    assert (
        "replay stopped at history/001_init.sql: history/sub/deeper/c.sql:2: psql meta-command "
        "\\connect is not run by the replay"
    ) in stop.message, stop.message


def test_a_role_only_an_included_file_grants_to_is_assumed(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The replay creates the roles a history names but never creates; those an included
    file names were not looked for (the replay stopped: role does not exist)."""
    files = dict(FILES)
    files["sub/views.sql"] += "GRANT SELECT ON bv TO static9_reporting;\n"
    history = _history(tmp_path, files)
    result = audit(
        load_spec(tmp_path / "spec.yaml"), sql=history, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert "static9_reporting" in result.finding("migrations.replay-assumed").message


def test_a_stopped_replay_names_the_meta_commands_after_the_stop(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The replay stops at the first meta-command it does not run; the ones after it (in the
    same file, in an including file, in files not reached) were not named, so a history with
    a \\getenv and, later, a \\connect and an \\if looked like it had one gap. They are listed."""
    files = {
        "001_init.sql": "CREATE TABLE items (id int PRIMARY KEY);\n",
        "002_more.sql": "\\getenv h HOME\nCREATE TABLE later (id int);\n\\connect other\n",
        "003_last.sql": "\\if :one\nCREATE TABLE maybe (id int);\n\\endif\n",
    }
    stop = _stopped(tmp_path, pg_server, files)
    assert stop.message.startswith(
        "replay stopped at history/002_more.sql:1: psql meta-command \\getenv"
    )
    assert (
        "later meta-commands the replay would not run either: history/002_more.sql:3 \\connect, "
        "history/003_last.sql:1 \\if, history/003_last.sql:3 \\endif"
    ) in stop.message, stop.message
    inner = dict(FILES)
    inner["sub/deeper/c.sql"] = "CREATE TABLE c (id int);\n\\connect other\n\\copy c from x\n"
    inner["002_more.sql"] = "\\getenv home HOME\n" + inner["002_more.sql"]
    (tmp_path / "inner").mkdir()
    stop = _stopped(tmp_path / "inner", pg_server, inner)
    assert (
        "either: history/sub/deeper/c.sql:3 \\copy, history/002_more.sql:1 \\getenv"
    ) in stop.message, stop.message


# psql variables live in the session: an included file uses the ones set before its \i
SET_THEN_INCLUDE = {
    "001_init.sql": (
        "\\set schema_name app\n"
        "\\set owner_note 'made by ops'\n"
        "CREATE SCHEMA :schema_name;\n"
        "\\ir sub/tables.sql\n"
        "\\set schema_name other\n"
        "CREATE TABLE items (id int PRIMARY KEY);\n"
    ),
    "sub/tables.sql": (
        "CREATE TABLE :schema_name.accounts (id int PRIMARY KEY, note text DEFAULT :'owner_note');\n"
        "\\ir deeper/more.sql\n"
    ),
    "sub/deeper/more.sql": "COMMENT ON TABLE :\"schema_name\".accounts IS :'owner_note';\n",
}


def test_set_variables_reach_included_files(pg_server, make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`\\set schema_name app` then `\\ir sub/tables.sql` using `:schema_name`: psql runs the
    included file in the same session, with the variable set. The static reading and the
    replay interpolated each text alone, so the included statements were syntax errors
    (static: `app.accounts` missing, taken as refused; replay: stopped). Both hand the
    variables set before the include on to it, nested includes too."""
    from schema_audit.sources.sqlfile import load_sql

    history = _history(tmp_path, SET_THEN_INCLUDE)
    dsn = make_db("replaysetinclude")
    psql_f(dsn, history, "001_init.sql")
    catalog = live.introspect(dsn)
    assert "app.accounts" in catalog.tables
    static = load_sql(history)
    assert [str(d) for d in diff_models(catalog, static)] == []
    result = audit(
        load_spec(tmp_path / "spec.yaml"), sql=history, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert [str(d) for d in diff_models(catalog, result.model)] == []


def test_gset_stores_the_row_later_statements_use(pg_server, make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`SELECT … AS name \\gset` stores the query's one row in psql variables the statements
    after it use (`CREATE TABLE :"name"`, `COMMENT … IS :'x'`; a prefix; a NULL unsets); the
    replay stopped at every \\gset, so the rest of such a history was never replayed (every
    finding DEFERRED). It runs it now; a query of no row or several stops it, as psql errs."""
    files = {
        "001_init.sql": (
            "CREATE TABLE items (id int PRIMARY KEY);\n"
            "SELECT 'made_' || 'here' AS tname, 7 AS n \\gset\n"
            "SELECT 'p' AS note \\gset my_\n"
            'CREATE TABLE :"tname" (id int DEFAULT :n);\n'
            "COMMENT ON TABLE :\"tname\" IS :'my_note';\n"
            "\\ir sub/more.sql\n"
        ),
        "sub/more.sql": "CREATE TABLE :tname_more (id int);\n",
    }
    files["001_init.sql"] = files["001_init.sql"].replace(
        "\\ir sub/more.sql", "SELECT 'made_here_more' AS tname_more \\gset\n\\ir sub/more.sql"
    )
    history = _history(tmp_path, files)
    dsn = make_db("replaygset")
    psql_f(dsn, history, "001_init.sql")
    result = audit(
        load_spec(tmp_path / "spec.yaml"), sql=history, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert {"public.made_here", "public.made_here_more"} <= set(result.model.tables)
    assert [str(d) for d in diff_models(live.introspect(dsn), result.model)] == []
    (tmp_path / "two").mkdir()
    stop = _stopped(
        tmp_path / "two",
        pg_server,
        {
            "001_init.sql": "SELECT x FROM generate_series(1, 2) x \\gset\nCREATE TABLE a (id int);\n"
        },
    )
    assert "returned 2 rows, psql needs exactly one" in stop.message, stop.message


def test_lint_follows_includes(tmp_path: Path) -> None:
    """`lint-migrations` named a `\\ir` line as not followed (a partial lint, exit 2) and never
    looked at the included file, so a `DROP TABLE` there was not flagged. It lints the file in
    place now, at its own file:line, with the variables set before the include; an include
    out of the history's folder is a one-line error, as for the static reading."""
    from schema_audit.lint import lint

    history = write_history(
        tmp_path,
        {
            "001_init.sql": "\\set victim items\nCREATE TABLE items (id int);\n\\ir sub/drop.sql\n",
            "sub/drop.sql": "DROP TABLE :victim;\n",
        },
    )
    result = lint(history)
    assert result.unrendered == []
    assert [(v.name, v.file, v.line) for v in result.violations] == [
        ("drop-table", "history/sub/drop.sql", 1)
    ]
    (tmp_path / "o").mkdir()
    outside = write_history(tmp_path / "o", {"001_init.sql": "\\i ../../elsewhere.sql\n"})
    from schema_audit.sources.psqlinclude import IncludeError

    try:
        lint(outside)
    except IncludeError as exc:
        assert "is outside the history's folder" in str(exc)
    else:
        raise AssertionError("an include out of the history was followed")
