"""`init --dsn` then `audit --dsn` on the database each fixture history builds: 0 FAIL, and
`init` from the history audited against that database: 0 FAIL too. The exact keys init
writes (function bodies and attributes, owners, grants on columns, schemas, functions,
sequences and views) must read the same from the catalog and from the files, or adopting
the tool would start with false FAILs. Real PostgreSQL: each history is replayed as
``audit --replay`` does (roles it references but never creates are made for the run, and
what the platform provides comes from the history's ``--replay-setup`` file).

A history PostgreSQL refuses part of (a typo, a table nobody creates) builds no database to
compare with: there `init` from the files must say where PostgreSQL stops, never write its
spec without a word.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.sources.assumed import collect
from schema_audit.sources.replay import replay_setup, replay_sql, scratch_database, sql_statements
from schema_audit.sources.sqlfile import looks_like_alembic

FIXTURES = Path(__file__).resolve().parent / "fixtures"
HISTORIES = [
    p
    for p in sorted(FIXTURES.iterdir())
    if p.is_dir() and p.name.startswith(("sql_", "supabase_")) or p.name == "rich_schema.sql"
] + [p for p in sorted((FIXTURES / "layouts").iterdir()) if not looks_like_alembic(p)]
# what the platform provides before the history runs (audit --replay-setup)
SETUP = {"sql_supabase_style": FIXTURES / "supabase_setup.sql"}


def _fails(args: list[str]) -> list[str]:
    result = CliRunner().invoke(app, [*args, "-f", "json"])
    assert result.exit_code in (0, 1), result.output[-2000:]
    report = json.loads(result.output)
    return [f"{f['id']}: {f['message']}" for f in report["findings"] if f["status"] == "FAIL"]


@pytest.mark.parametrize("history", HISTORIES, ids=lambda p: p.name)
def test_init_then_audit_of_the_replayed_database_has_no_fail(
    history: Path, pg_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    with scratch_database(pg_server.admin_dsn) as scratch:
        scratch.assume(collect(sql_statements(history)))
        if history.name in SETUP:
            replay_setup(SETUP[history.name], scratch)
        replay_sql(history, scratch)
        live_spec, static_spec = tmp_path / "live.yaml", tmp_path / "static.yaml"
        runner = CliRunner()
        if scratch.failed:  # no database to compare with: init must say where PostgreSQL stops
            init = runner.invoke(app, ["init", "--sql", str(history), "-o", str(static_spec)])
            assert init.exit_code in (0, 2), init.output
            assert scratch.failed.where in init.stderr, (scratch.failed, init.stderr)
            return
        init = runner.invoke(app, ["init", "--dsn", scratch.dsn, "-o", str(live_spec)])
        assert init.exit_code == 0, init.output
        assert _fails(["audit", "-s", str(live_spec), "--dsn", scratch.dsn]) == []
        init = runner.invoke(app, ["init", "--sql", str(history), "-o", str(static_spec)])
        if init.exit_code == 2:  # init refuses a history it cannot read whole (said why)
            return
        assert init.exit_code == 0, init.output
        # rule findings that hang on the owner (SEC003, SEC009: the files do not name it, the
        # catalog does) differ between the two readings by design; every requirement agrees
        fails = _fails(["audit", "-s", str(static_spec), "--dsn", scratch.dsn])
        assert [f for f in fails if not f.startswith("rules.")] == []
