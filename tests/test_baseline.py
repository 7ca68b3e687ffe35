"""Baselines: a second run reports nothing; one regression is reported alone; fixes are named."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from b03 import FIXTURE, SPEC
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent
EXTRA = '''"""{message}

Revision ID: {rev}
Revises: {down}
"""

from alembic import op

revision = "{rev}"
down_revision = "{down}"


def upgrade() -> None:
    op.execute("{sql}")


def downgrade() -> None:
    op.execute("{undo}")
'''


def audit(history: Path, baseline: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "audit",
        "-s",
        str(SPEC),
        "-m",
        str(history),
        "--baseline",
        str(baseline),
        "-f",
        "json",
        timeout=120,
    )


def test_baseline_then_nothing_then_exactly_the_regression(tmp_path: Path) -> None:
    history = tmp_path / "b03_alembic"
    shutil.copytree(FIXTURE, history, ignore=shutil.ignore_patterns("__pycache__"))
    baseline = tmp_path / "baseline.json"
    first = audit(history, baseline)
    assert first.returncode == 0 and "baseline written" in first.stdout
    recorded = json.loads(baseline.read_text())["findings"]
    assert len(recorded) == 61  # 60 spec findings + the rule pack's PERF001 (on by default)
    assert any(v["id"].startswith("rules.PERF001.") for v in recorded.values())

    second = audit(history, baseline)
    doc = json.loads(second.stdout)
    assert second.returncode == 0 and doc["verdict"] == "PASS"
    assert [f for f in doc["findings"] if f["status"] != "PASS"] == []
    _rollups_agree(doc)
    assert all(q["status"] != "FAIL" for q in doc["questions"] + doc["exit_gates"])

    (history / "versions" / "202601010000_regression.py").write_text(
        EXTRA.format(
            message="Regression: dead_events no longer forced",
            rev="202601010000",
            down="202511141311",
            sql="ALTER TABLE dead_events NO FORCE ROW LEVEL SECURITY",
            undo="ALTER TABLE dead_events FORCE ROW LEVEL SECURITY",
        )
    )
    (history / "versions" / "202601010001_fix.py").write_text(
        EXTRA.format(
            message="Fix: add api_key_hash",
            rev="202601010001",
            down="202601010000",
            sql="ALTER TABLE tenants ADD COLUMN api_key_hash varchar(255) NOT NULL UNIQUE",
            undo="ALTER TABLE tenants DROP COLUMN api_key_hash",
        )
    )
    third = audit(history, baseline)
    doc = json.loads(third.stdout)
    reported = [(f["id"], f["status"]) for f in doc["findings"] if f["status"] != "PASS"]
    # the one regression, seen by the spec and by the rule pack (owner bypasses unforced RLS)
    assert reported == [
        ("tables.dead_events.rls", "FAIL"),
        ("rules.SEC003.public.dead_events", "FAIL"),
    ]
    assert third.returncode == 1
    _rollups_agree(doc)
    cited = [q for q in doc["questions"] if "tables.dead_events.rls" in q["findings"]]
    assert cited and all(q["status"] == "FAIL" for q in cited)
    assert "fixed since the baseline: tables.tenants.columns.api_key_hash (FAIL)" in third.stderr
    assert "fixed since the baseline: tables.tenants.unique.api_key_hash (FAIL)" in third.stderr


def _rollups_agree(doc: dict) -> None:  # type: ignore[type-arg]
    """Questions and gates cite only findings the report holds, and agree with the verdict."""
    held = {f["id"] for f in doc["findings"]}
    for rollup in doc["questions"] + doc["exit_gates"]:
        assert set(rollup["findings"]) <= held, rollup
    failing = any(q["status"] == "FAIL" for q in doc["questions"])
    assert failing == (doc["verdict"] == "FAIL")
