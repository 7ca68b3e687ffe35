"""``init --sql`` says when the history has schema statements it could not apply: the spec
states only what the static reader applied, so the migrated database differs where they
reach and FAILs it. Before, init wrote that spec without a word (hatchet's DO block
recreating a table behind ``IF txid_current() …``)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from cli_runner import run_cli

HISTORY = """CREATE TABLE events (id bigint PRIMARY KEY, created_at timestamptz);

DO $$
BEGIN
  IF txid_current() > 0 THEN
    ALTER TABLE events ADD COLUMN tenant_id uuid;
  END IF;
END $$;
INSERT INTO events VALUES (1, now());
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"})


def test_init_sql_names_the_statements_it_could_not_apply(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text(HISTORY)
    spec = tmp_path / "spec.yaml"
    proc = _cli("init", "--sql", str(history), "-o", str(spec))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "applied statically" in line]
    assert len(warnings) == 1, proc.stderr
    assert "1 statement could not be applied statically" in warnings[0]
    assert "001_init.sql:3" in warnings[0]  # the DO block, not the INSERT (data)
    assert "public.events" in warnings[0] and "may not hold" in warnings[0]
    # and why it matters: the migrated database FAILs that spec where the block reached
    dsn = make_db("initunapplied", HISTORY)
    audit = _cli("audit", "-s", str(spec), "--dsn", dsn, "-f", "json")
    failing = [f["id"] for f in json.loads(audit.stdout)["findings"] if f["status"] == "FAIL"]
    assert failing == ["tables.events.exactly.columns"]


def test_init_sql_is_quiet_when_every_schema_statement_applied(tmp_path: Path) -> None:
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text(
        "CREATE TABLE events (id bigint PRIMARY KEY);\nINSERT INTO events VALUES (1);\n"
    )
    proc = _cli("init", "--sql", str(history), "-o", str(tmp_path / "spec.yaml"))
    assert proc.returncode == 0, proc.stderr
    assert "applied statically" not in proc.stderr
