"""`init` then `audit` on every fixture history: 0 FAIL, whatever the history's own findings.

A team adopts the tool with `init`; if the very next audit of the same source fails
(a rule finding, a missing downgrade, multiple heads …), the first contact is a false
FAIL. Each finding present at init becomes a visible waiver with a reason and expiry;
a history that cannot be read whole makes `init` refuse (exit 2) instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.sources.sqlfile import looks_like_alembic

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _histories() -> list[Path]:
    top = [p for p in sorted(FIXTURES.iterdir()) if p.is_dir() and p.name != "layouts"]
    return top + sorted((FIXTURES / "layouts").iterdir()) + [FIXTURES / "rich_schema.sql"]


# Histories PostgreSQL cannot run as written (a statement that does not parse): init refuses.
UNREADABLE = {"alembic_broken"}


@pytest.mark.parametrize("history", _histories(), ids=lambda p: p.name)
def test_init_then_audit_is_green_on_every_fixture_history(
    history: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no schema-audit.toml / pyproject config applies
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    flag = "-m" if looks_like_alembic(history) else "--sql"
    runner = CliRunner()
    spec = tmp_path / "spec.yaml"
    init = runner.invoke(app, ["init", flag, str(history), "-o", str(spec)])
    if history.name in UNREADABLE:
        assert init.exit_code == 2 and not spec.exists()
        return
    assert init.exit_code == 0, init.output
    audit = runner.invoke(app, ["audit", "-s", str(spec), flag, str(history), "-f", "json"])
    assert audit.exit_code == 0, audit.output[-2000:]
    assert '"FAIL": 0' in audit.output


def test_waivers_written_by_init_match_ids_with_brackets_literally(tmp_path: Path) -> None:
    """A SECURITY DEFINER function taking arrays: its rule finding id contains `[`."""
    source = tmp_path / "fn.sql"
    source.write_text(
        "CREATE TABLE t (id int PRIMARY KEY);\n"
        "CREATE FUNCTION f(a text[], b text[]) RETURNS int LANGUAGE sql SECURITY DEFINER\n"
        "AS 'select 1';\n"
    )
    runner = CliRunner()
    spec = tmp_path / "spec.yaml"
    assert runner.invoke(app, ["init", "--sql", str(source), "-o", str(spec)]).exit_code == 0
    text = spec.read_text()
    assert "text[], b text[])" in text and "expires:" in text
    audit = runner.invoke(app, ["audit", "-s", str(spec), "--sql", str(source), "-f", "json"])
    assert audit.exit_code == 0, audit.output[-2000:]
    assert '"status": "WAIVED"' in audit.output and "stale" not in audit.output
