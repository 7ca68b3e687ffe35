"""lint-migrations flags each destructive pattern; diff reports drift between any two sources."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from b03 import FIXTURE, upgrade_b03
from cli_runner import run_cli

from schema_audit.lint import lint

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent


def test_each_destructive_pattern_is_flagged_with_file_line_and_rule() -> None:
    result = lint(FIXTURES / "lint_destructive")
    got = [(v.rule, v.line) for v in result.violations]
    assert got == [
        ("SA001", 1),
        ("SA002", 2),
        ("SA003", 3),
        ("SA004", 4),
        ("SA005", 5),
        ("SA006", 6),
        ("SA007", 7),
        ("SA007", 8),
        ("SA008", 9),
        ("SA009", 10),
        ("SA009", 11),
        ("SA010", 12),
    ]
    assert {v.file for v in result.violations} == {"lint_destructive/V2__destructive.sql"}
    # V3 widens types, adds NOT NULL with a default, backfills before SET NOT NULL: nothing to flag.
    assert result.files == 3


def test_b03_upgrade_path_passes_even_though_downgrades_drop_everything() -> None:
    result = lint(FIXTURE)
    assert result.violations == [] and result.files == 15 and result.statements > 90


def test_allow_and_exit_codes_and_json() -> None:
    proc = run_cli(
        "lint-migrations",
        str(FIXTURES / "lint_destructive"),
        "--allow",
        "drop-table,SA002",
        "-f",
        "json",
    )
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert [v["rule"] for v in doc["allowed"]] == ["SA001", "SA002"]
    assert len(doc["violations"]) == 10
    everything = ",".join(f"SA{n:03d}" for n in range(1, 11))
    assert (
        run_cli(
            "lint-migrations", str(FIXTURES / "lint_destructive"), "--allow", everything
        ).returncode
        == 0
    )
    assert run_cli("lint-migrations", str(FIXTURE)).returncode == 0
    bad = run_cli("lint-migrations", str(FIXTURE), "--allow", "nope")
    assert bad.returncode == 2 and "unknown rule 'nope'" in bad.stderr


def test_diff_migrations_against_live_database_shows_drift(pg_server) -> None:  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("diff")
    try:
        upgrade_b03(dsn)
        same = run_cli("diff", str(FIXTURE), dsn)
        assert same.returncode == 0, same.stdout
        # the materialized view's query: only casts PostgreSQL added differ (undecided)
        assert same.stdout.startswith(
            "undecided: materialized view public.mv_realtime_revenue: query: "
        ), same.stdout
        assert "\n0 difference(s) between alembic" in same.stdout
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE attribution_events ALTER COLUMN session_id SET NOT NULL")
            conn.execute("DROP INDEX idx_dead_events_source")
        drift = run_cli("diff", str(FIXTURE), dsn, "-f", "json")
    finally:
        pg_server.drop_database(name)
    assert drift.returncode == 1
    differences = {
        (d["object"], d["property"], d["left"], d["right"])
        for d in json.loads(drift.stdout)["differences"]
    }
    assert differences == {  # each side in SQL; null: not on that side
        ("column public.attribution_events.session_id", "nullability", "NULL", "NOT NULL"),
        ("index public.idx_dead_events_source on public.dead_events", "exists", "present", None),
    }


def test_inline_ignore_comments_suppress_with_their_reason(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "V1__a.sql").write_text(
        "CREATE TABLE a (id int, n int);\nINSERT INTO a VALUES (1, 1);\n"
    )
    (folder / "V2__b.sql").write_text(
        "-- schema-audit: ignore SA009 backfilled by the deploy job\n"
        "ALTER TABLE a ALTER COLUMN n SET NOT NULL;\n"
        "ALTER TABLE a DROP COLUMN id; -- schema-audit: ignore drop-column unused since 2024\n"
        "TRUNCATE a;\n"
    )
    result = lint(folder)
    assert [(v.rule, v.line) for v in result.violations] == [("SA006", 4)]
    assert [(v.rule, v.suppressed) for v in result.allowed] == [
        ("SA009", "backfilled by the deploy job"),
        ("SA002", "unused since 2024"),
    ]
    project = tmp_path / "alembic_rich"
    shutil.copytree(
        FIXTURES / "alembic_rich", project, ignore=shutil.ignore_patterns("__pycache__")
    )
    revision = project / "versions" / "r002_alter_orders.py"
    revision.write_text(
        revision.read_text().replace(
            '    op.drop_column("orders", "total_cents")',
            "    # schema-audit: ignore drop-column replaced by total_minor, read by nothing\n"
            '    op.drop_column("orders", "total_cents")',
        )
    )
    rich = lint(project)
    assert "SA002" not in {v.rule for v in rich.violations} and {
        v.rule for v in rich.violations
    } == {"SA008", "SA003"}
    assert [(v.rule, v.suppressed) for v in rich.allowed] == [
        ("SA002", "replaced by total_minor, read by nothing")
    ]
    proc = run_cli("lint-migrations", str(folder))
    assert "V2__b.sql:2: SA009 set-not-null ignored: backfilled by the deploy job" in proc.stdout
