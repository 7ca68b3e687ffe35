"""Where a runner stops, the findings name the refused file and line.

golang-migrate sends ``000001_a.up.sql`` as one query: ``CREATE INDEX CONCURRENTLY`` beside
``CREATE TABLE a`` is refused in that implicit transaction, a is undone and the runner stops
(PostgreSQL 15, ``psql -c`` of the file's text). The FAIL of ``tables.a`` said only "not
created anywhere in the 2 migration(s)", pointing at the last file, though the history makes
a in the file PostgreSQL refuses: it now cites that statement, rolled back, with the refusal's
file:line. The DEFERRED of the later file's table names where the runner stopped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from history_paths import write_history
from typer.testing import CliRunner

from schema_audit.cli import app
from schema_audit.sources import live
from schema_audit.sources.scratch_cluster import find_bindir

FILES = {
    "000001_a.up.sql": "CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY ai ON a (id);\n",
    "000002_b.up.sql": "CREATE TABLE b (id int);\n",
}


def test_the_findings_name_the_refused_file_and_line(make_db: Any, tmp_path: Path) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("silence19_stop")
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    run = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", FILES["000001_a.up.sql"]],
        capture_output=True,
        text=True,
    )
    assert run.returncode and "cannot run inside a transaction block" in run.stderr
    assert "public.a" not in live.introspect(dsn).tables
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\ntables:\n  a: {}\n  b: {}\n")
    result = CliRunner().invoke(
        app, ["audit", "-f", "json", "-s", str(spec), "--sql", str(history)]
    )
    findings = {f["id"]: f for f in json.loads(result.stdout)["findings"]}
    a, b = findings["tables.a"], findings["tables.b"]
    assert (a["status"], b["status"]) == ("FAIL", "DEFERRED")
    cited = [(e.get("file"), e.get("line"), e.get("note", "")) for e in a["evidence"]]
    assert any(
        (f, line) == ("history/000001_a.up.sql", 1)
        and "refuses the statement at history/000001_a.up.sql:2" in note
        for f, line, note in cited
    ), cited
    notes = " ".join(e.get("note", "") for e in b["evidence"])
    assert "stops at the migration PostgreSQL refuses at history/000001_a.up.sql:2" in notes
