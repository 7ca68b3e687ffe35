"""A missing column, constraint or index cites the rolled-back statement that made it.

silence19 made a missing table's FAIL cite the statement creating it that a refusal rolled
back (with its file:line); a part added to a table that exists (``ALTER TABLE a ADD COLUMN
x``, ``ADD CONSTRAINT``, ``CREATE INDEX … ON a``) in the refused file got only the table as
it exists. golang-migrate sends ``000002_x.up.sql`` as one query: the concurrent index is
refused in that implicit transaction, the file is undone and the runner stops (PostgreSQL
15, ``psql -c`` of the file's text).
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
    "000001_a.up.sql": "CREATE TABLE a (id int);\n",
    "000002_x.up.sql": (
        "ALTER TABLE a ADD COLUMN x int;\n"
        "ALTER TABLE a ADD CONSTRAINT a_id_positive CHECK (id > 0);\n"
        "CREATE INDEX ax ON a (x);\n"
        "CREATE INDEX CONCURRENTLY ai ON a (id);\n"
    ),
}
SPEC = """name: t
tables:
  a:
    columns:
      x: {}
    checks: [{name: a_id_positive, expression: "id > 0"}]
    indexes: [{name: ax, columns: [x]}]
"""


def test_a_missing_part_cites_the_rolled_back_statement_adding_it(
    make_db: Any, tmp_path: Path
) -> None:
    history = write_history(tmp_path, FILES)
    dsn = make_db("alembic22_parts")
    psql = shutil.which("psql") or str(find_bindir() / "psql")
    for text in FILES.values():
        subprocess.run([psql, "-X", "-q", "-d", dsn, "-c", text], capture_output=True)
    table = live.introspect(dsn).tables["public.a"]
    assert (list(table.columns), list(table.indexes), list(table.checks)) == (["id"], [], [])
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    result = CliRunner().invoke(
        app, ["audit", "-f", "json", "-s", str(spec), "--sql", str(history)]
    )
    findings = json.loads(result.stdout)["findings"]
    cited = {
        f["id"]: [
            (e.get("file"), e.get("line"))
            for e in f["evidence"]
            if "refuses the statement at history/000002_x.up.sql:4" in e.get("note", "")
        ]
        for f in findings
        if f["status"] == "FAIL" and f["id"].startswith("tables.a.")
    }
    made = "history/000002_x.up.sql"
    assert {k: v for k, v in cited.items() if v} == {
        "tables.a.columns.x": [(made, 1)],
        "tables.a.checks.a_id_positive": [(made, 2)],
        "tables.a.indexes.ax": [(made, 3)],
    }, cited
