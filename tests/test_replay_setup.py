"""--replay-setup runs what the platform or runner provides before the history (issue 17, item 9b)."""

from __future__ import annotations

from pathlib import Path

from cli_runner import run_cli

from schema_audit.api import audit
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent
SPEC = FIXTURES / "supabase_spec.yaml"
HISTORY = FIXTURES / "sql_supabase_style"
SETUP = FIXTURES / "supabase_setup.sql"


def test_the_setup_runs_before_the_history_and_a_project_alembic_version_is_kept(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(
        load_spec(SPEC),
        sql=HISTORY,
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
        replay_setup=SETUP,
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert result.finding("tables.notes.rls").status == "PASS"
    # a SQL history's own alembic_version is a project table, not a runner's bookkeeping
    assert "public.alembic_version" in result.model.tables
    assert result.finding("tables.alembic_version.columns.version_num").status == "PASS"
    assert [r.revision for r in result.model.revisions] == ["20240101000000_notes"]


def test_without_the_setup_the_replay_stops_at_the_platform_function(pg_server) -> None:  # type: ignore[no-untyped-def]
    result = audit(load_spec(SPEC), sql=HISTORY, scratch_dsn=pg_server.admin_dsn, replay=True)
    stop = next(f for f in result.findings if f.id.startswith("migrations.replay-failed"))
    assert "auth.uid() does not exist" in stop.message


def test_the_config_key_gives_the_setup(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "schema-audit.toml").write_text(
        f'replay-setup = "{SETUP}"\nscratch-dsn = "{pg_server.admin_dsn}"\n'
    )
    proc = run_cli(
        "audit",
        "-s",
        str(SPEC),
        "--sql",
        str(HISTORY),
        "--replay",
        "--rules",
        "none",
        "--format",
        "json",
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "replay-failed" not in proc.stdout
