"""--replay never migrates a database the user never named, whatever the project's env.py does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from cli_runner import run_cli

from schema_audit.api import audit
from schema_audit.sources.scratch_cluster import find_bindir
from schema_audit.spec.load import load_spec

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent
SETTINGS_ENV = FIXTURES / "alembic_settings_env"

SPEC = """\
name: settings-driven project
tables:
  accounts:
    columns:
      id: {type: bigint, nullable: false}
      email: {type: text, nullable: false}
"""


def _dump(dsn: str) -> str:
    proc = subprocess.run(
        [str(find_bindir() / "pg_dump"), "--restrict-key=fixed", "-d", dsn],
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout


def _with_password(dsn: str, password: str) -> str:
    """The same database as a SQLAlchemy URL carrying a password (the cluster trusts loopback)."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return (
        f"postgresql://{params.get('user', 'postgres')}:{password}@{params['host']}:"
        f"{params['port']}/{params['dbname']}"
    )


@pytest.fixture
def other_database(make_db) -> str:  # type: ignore[no-untyped-def]
    """A real database on the test cluster that the application's settings point at."""
    return make_db(
        "victim",
        "CREATE TABLE notes (id int PRIMARY KEY, body text);"
        "INSERT INTO notes VALUES (1, 'keep me');",
    )


def _spec(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    return load_spec(path)


def test_env_py_aimed_at_another_database_is_refused_and_it_stays_unchanged(
    pg_server, other_database, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    before = _dump(other_database)
    monkeypatch.setenv("APP_DATABASE_DSN", _with_password(other_database, "s3cr3t-pw"))
    result = audit(
        _spec(tmp_path), migrations=SETTINGS_ENV, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    assert _dump(other_database) == before  # byte for byte: no alembic_version, notes kept
    failed = [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert len(failed) == 1 and failed[0].status == "FAIL"
    message = failed[0].message
    dbname = psycopg.conninfo.conninfo_to_dict(other_database)["dbname"]
    assert "env.py:" in message and "tried to connect to" in message
    assert f"/{dbname}" in message and "not the scratch database" in message
    assert "s3cr3t-pw" not in message and "***" in message
    # the empty scratch database is not audited as if the history had run
    assert result.finding("tables.accounts").status != "PASS"


def test_the_cli_fails_with_one_line_naming_the_url(pg_server, other_database) -> None:  # type: ignore[no-untyped-def]
    before = _dump(other_database)
    spec = FIXTURES.parent / "data" / "settings_env_spec.yaml"
    proc = run_cli(
        "audit",
        "-s",
        str(spec),
        "-m",
        str(SETTINGS_ENV),
        "--replay",
        "--scratch-dsn",
        pg_server.admin_dsn,
        "--format",
        "json",
        env={
            "SCHEMA_AUDIT_CACHE": "0",
            "APP_DATABASE_DSN": _with_password(other_database, "s3cr3t-pw"),
        },
        timeout=300,
    )
    assert _dump(other_database) == before
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "tried to connect to" in proc.stdout and "s3cr3t-pw" not in proc.stdout + proc.stderr
    line = next(x for x in proc.stderr.splitlines() if "tried to connect to" in x)
    assert line.startswith("schema-audit: replay stopped at") and "***" in line


def test_env_py_on_the_tools_url_replays_and_imports_the_project(
    pg_server, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The same env.py replays when its settings name the scratch database (the project folder is
    on sys.path, so ``from app.settings import settings`` resolves)."""
    user = psycopg.conninfo.conninfo_to_dict(pg_server.admin_dsn).get("user", "postgres")
    # host, port and database left to libpq's defaults: replay pins them to the scratch database
    monkeypatch.setenv("APP_DATABASE_DSN", f"postgresql://{user}@")
    result = audit(
        _spec(tmp_path), migrations=SETTINGS_ENV, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    assert not [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert result.finding("tables.accounts").status == "PASS"


def test_an_error_importing_env_py_is_attributed_to_env_py(
    pg_server, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("APP_DATABASE_DSN", raising=False)
    result = audit(
        _spec(tmp_path), migrations=SETTINGS_ENV, scratch_dsn=pg_server.admin_dsn, replay=True
    )
    failed = [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert len(failed) == 1
    assert failed[0].name == "env.py"
    assert failed[0].evidence[0].file == "alembic_settings_env/migrations/env.py"
    assert "env.py:6: KeyError: 'APP_DATABASE_DSN'" in failed[0].message
    assert "s001" not in failed[0].message


def test_a_run_that_ends_below_the_head_is_a_failed_replay(pg_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """env.py logs the failing revision and returns: every command 'succeeds', the head check does not."""
    result = audit(
        _spec(tmp_path),
        migrations=FIXTURES / "alembic_swallowing_env",
        scratch_dsn=pg_server.admin_dsn,
        replay=True,
    )
    failed = [f for f in result.findings if f.id.startswith("migrations.replay-failed")]
    assert len(failed) == 1, [f.message for f in result.findings if f.kind == "migration"]
    assert "did not reach the head" in failed[0].message
    assert "w001" in failed[0].message and "w002" in failed[0].message
