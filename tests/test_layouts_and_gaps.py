"""Real migration layouts are recognised, and no command reports an empty or partial model with exit 0.

The fixtures under ``fixtures/layouts`` are written in the style of the tools that lay the
folders out (Prisma, golang-migrate, dbmate, Flyway, sqitch, Supabase, Rails); each static
reading is compared with the catalog PostgreSQL builds from the same files in the same order.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli

from schema_audit.modeldiff import diff_models
from schema_audit.sources import live
from schema_audit.sources.sqlfile import _up_section, discover, load_sql

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
LAYOUTS = FIXTURES / "layouts"

# folder -> (layout the tool must name, files applied in this order)
EXPECTED = {
    "prisma_app": (
        "prisma",
        [
            "20240101120000_init/migration.sql",
            "20240215093000_drop_legacy/migration.sql",
        ],
    ),
    "gomigrate_forward": (
        "golang-migrate",
        ["1_create_users.up.sql", "2_create_sessions.up.sql", "10_sessions_created.up.sql"],
    ),
    # authelia's own runner: V<version>.<Name>.up.sql / .down.sql; the down files were applied
    # alphabetically, each before its up file (the table dropped, columns lost)
    "authelia_versioned": (
        "golang-migrate",
        ["V0001.Initial_Schema.up.sql", "V0002.TOTPEnhance.up.sql", "V0010.WebAuthn.up.sql"],
    ),
    "dbmate_indented": (
        "dbmate",
        ["20240301101500_create_accounts.sql", "20240302090000_add_plan.sql"],
    ),
    "flyway_repeatable": (
        "flyway",
        ["V1__customers.sql", "V2__active_flag.sql", "R__active_customers.sql"],
    ),
    "sqitch_project": ("sqitch", ["deploy/appschema.sql", "deploy/users.sql", "deploy/flips.sql"]),
    # sqitch.conf's top_dir moves the plan and deploy/ (Tamarou/Registry: `top_dir = ./sql`, a
    # stale sqitch.plan left beside sqitch.conf): read as "no migration" before
    "sqitch_top_dir_project": (
        "sqitch",
        [
            "sql/deploy/users.sql",
            "sql/deploy/notification-types.sql",
            "sql/deploy/auth-notification-types.sql",
        ],
    ),
    "supabase_project": (
        "supabase",
        ["20240101000000_profiles.sql", "20240102000000_todos.sql"],
    ),
    "rails_db": ("rails structure.sql", ["db/structure.sql"]),
}


# Canonical-form defects these fixtures showed in the static reader (mixed-case enum type, serial
# default printed without its schema) are fixed by issue 14: none is left to list.
KNOWN_DIVERGENCES: dict[str, list[str]] = {}


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env={"SCHEMA_AUDIT_CACHE": "0"}, timeout=180)


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_each_layout_is_recognised_ordered_and_equals_the_catalog(folder: str, make_db) -> None:  # type: ignore[no-untyped-def]
    name, order = EXPECTED[folder]
    layout = discover(LAYOUTS / folder)
    assert layout.name == name
    assert [str(f).endswith(o) for f, o in zip(layout.files, order, strict=True)] == [True] * len(
        order
    ), [str(f) for f in layout.files]
    # PostgreSQL applies the same files (up sections only) in the same order: same schema
    dsn = make_db("layout")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for file in layout.files:
            conn.execute(_up_section(file.read_text()))
    live_model = live.introspect(dsn)
    static = load_sql(LAYOUTS / folder)
    differences = [str(d) for d in diff_models(live_model, static)]
    assert differences == KNOWN_DIVERGENCES.get(folder, [])
    assert static.tables  # not an empty reading


def test_down_and_undo_files_are_never_applied_and_forward_only_is_a_choice() -> None:
    forward = discover(LAYOUTS / "gomigrate_forward")
    assert [i.code for i in forward.issues] == []  # no .down.sql anywhere: forward-only project
    updown = discover(LAYOUTS / "gomigrate_updown")
    assert [(i.code, i.revision) for i in updown.issues] == [("no-downgrade", "10")]
    assert not any(".down." in f.name for f in updown.files)
    flyway = discover(LAYOUTS / "flyway_repeatable")
    assert "U2__active_flag.sql" not in [f.name for f in flyway.files]


def test_prisma_drop_table_fails_lint_and_every_command_names_the_layout() -> None:
    prisma = str(LAYOUTS / "prisma_app")
    lint = _cli("lint-migrations", prisma)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert (
        "prisma_app/prisma/migrations/20240215093000_drop_legacy/migration.sql:8: SA001 drop-table: drops table LegacyProfile"
        in lint.stdout
    )
    assert "(prisma layout, 2 files)" in lint.stdout
    inspect = _cli("inspect", "--sql", prisma)
    assert inspect.returncode == 0 and '"layout": "prisma layout, 2 files"' in inspect.stdout


def test_a_bare_versions_folder_is_alembic_in_every_command(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    shutil.copytree(FIXTURES / "alembic_rich" / "versions", versions)
    lint = _cli("lint-migrations", str(versions))
    assert "(alembic, 5 revisions)" in lint.stdout, lint.stdout + lint.stderr
    assert "SA002 drop-column" in lint.stdout
    diff = _cli("diff", str(versions), str(FIXTURES / "alembic_rich"))
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "0 difference(s) between alembic" in diff.stdout
    wrong_flag = _cli("inspect", "--sql", str(versions))
    assert wrong_flag.returncode == 2 and "read it with --migrations" in wrong_flag.stderr


def _empty_folder(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir()
    (folder / "README.md").write_text("migrations go here\n")
    return folder


def _empty_file(tmp: Path) -> Path:
    file = tmp / "schema.sql"
    file.write_text("-- nothing yet\n\n")
    return file


def _syntax_error(tmp: Path) -> Path:
    folder = tmp / "broken"
    folder.mkdir()
    (folder / "001_ok.sql").write_text("CREATE TABLE ok (id int);\n")
    (folder / "002_bad.sql").write_text(
        "CREATE TABLE good (id int);\n\nCREATE TABLE bad (id int;\n"
    )
    return folder


def _unrendered(tmp: Path) -> Path:
    """A settings-driven project's revision: its type comes from app code not importable here."""
    versions = tmp / "versions"
    versions.mkdir()
    (versions / "4f2a_users.py").write_text(
        '"""users\n\nRevision ID: 4f2a\n"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        "\n"
        "from app.db import types\n"
        "\n"
        'revision = "4f2a"\n'
        "down_revision = None\n"
        "\n"
        "\n"
        "def upgrade():\n"
        '    op.create_table("users", sa.Column("id", types.GUID(), primary_key=True))\n'
        "\n"
        "\n"
        "def downgrade():\n"
        '    op.drop_table("users")\n'
    )
    return versions


BAD = {
    "empty folder": (_empty_folder, "no migration this tool can read"),
    "empty file": (_empty_file, "no SQL statement"),
    "syntax error": (_syntax_error, "broken/002_bad.sql:3: syntax error"),
    "unrendered revision": (_unrendered, "line 15: type GUID is not one this reader knows"),
}


def _command(command: str, source: Path, tmp: Path) -> list[str]:
    flag = "-m" if source.name == "versions" else "--sql"
    return {
        "inspect": ["inspect", flag, str(source)],
        "init": ["init", flag, str(source), "-o", str(tmp / "spec.yaml")],
        "lint-migrations": ["lint-migrations", str(source)],
        "diff": ["diff", str(source), str(LAYOUTS / "gomigrate_forward")],
        "audit": ["audit", "-s", str(ROOT / "specs" / "backend_guide_b03.yaml"), flag, str(source)],
    }[command]


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("command", ["inspect", "init", "lint-migrations", "diff", "audit"])
def test_no_command_reports_an_empty_or_partial_model_with_exit_0(
    command: str, bad: str, tmp_path: Path
) -> None:
    make, expected = BAD[bad]
    source = make(tmp_path)
    proc = _cli(*_command(command, source, tmp_path))
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr)
    assert expected in proc.stderr and "Traceback" not in proc.stderr
    if command == "init":
        assert not (tmp_path / "spec.yaml").exists()  # no spec from a partial model


def test_allow_unrendered_accepts_a_partial_model_but_still_names_each_revision(
    tmp_path: Path,
) -> None:
    source = str(_unrendered(tmp_path))
    proc = _cli("inspect", "-m", source, "--allow-unrendered")
    assert proc.returncode == 0, proc.stderr
    assert "accepted: revision 4f2a is not fully in the model" in proc.stderr
    lint = _cli("lint-migrations", source, "--allow-unrendered")
    assert lint.returncode == 0
    assert "revision 4f2a was not fully linted" in lint.stderr
    spec = tmp_path / "partial.yaml"
    init = _cli("init", "-m", source, "-o", str(spec), "--allow-unrendered")
    assert init.returncode == 0 and spec.exists(), init.stderr


def test_init_on_a_source_without_tables_writes_a_spec_the_audit_accepts(tmp_path: Path) -> None:
    source = tmp_path / "extensions.sql"
    source.write_text("CREATE SCHEMA app;\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\n")
    spec = tmp_path / "spec.yaml"
    init = _cli("init", "--sql", str(source), "-o", str(spec))
    assert init.returncode == 0, init.stderr
    audit = _cli("audit", "-s", str(spec), "--sql", str(source))
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_up_sections_are_found_in_any_case_and_text_without_markers_is_kept_whole() -> None:
    """The markers match case-insensitively (goose and dbmate accept ``-- +GOOSE UP``, an
    indented ``--   migrate:UP``); a text without either is returned as it is."""
    goose = "-- +GOOSE UP\nCREATE TABLE a (id int);\n-- +Goose Down\nDROP TABLE a;\n"
    assert _up_section(goose) == "\nCREATE TABLE a (id int);\n\n\n"
    dbmate = "  --   migrate:UP\nCREATE TABLE b (id int);\n-- MIGRATE:down\nDROP TABLE b;\n"
    assert _up_section(dbmate) == "\nCREATE TABLE b (id int);\n\n\n"
    plain = "CREATE TABLE c (id int); -- a goose comment, migrate later\n"
    assert _up_section(plain) is plain
    # non-ASCII text: the patterns decide, as before (the long s is an s to IGNORECASE)
    odd = "-- +gooſe up\nCREATE TABLE d (id int);\n-- +goose down\nDROP TABLE d;\n"
    assert _up_section(odd) == "\nCREATE TABLE d (id int);\n\n\n"
