"""The command line's start-up runs no cyclic collection (``cli/entry.py``, issue 19).

Importing typer, psycopg, the model and the command makes ~100,000 objects and no garbage;
every 700 allocations the collector walked the young ones again (≈ 70 collections before a
live command's work began). A structural check in a fresh interpreter, not a timing: the
collections between the entry point's start and the built Click command are counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import atexit, gc, json, sys
sys.argv = ["schema-audit", *json.loads(sys.argv[1])]
import typer.main
counted = {"on": False, "startup": 0}
def count(phase, info):
    if phase == "start" and counted["on"]:
        counted["startup"] += 1
gc.callbacks.append(count)
get_command = typer.main.get_command
def built(app):
    command = get_command(app)
    counted["on"] = False  # the entry point's start-up ends with the built command
    counted["enabled_then"] = gc.isenabled()
    return command
typer.main.get_command = built
atexit.register(
    lambda: print(json.dumps({**counted, "enabled_at_exit": gc.isenabled()}), file=sys.stderr)
)
from schema_audit.cli import entry
counted["on"] = True
entry.main()
"""


def _startup(args: list[str], cwd: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "SCHEMA_AUDIT_CACHE": "0", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    return json.loads(proc.stderr.splitlines()[-1])


def test_no_collection_while_the_command_line_starts(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("collector", "CREATE TABLE t (id int PRIMARY KEY)")
    for args in (
        ["inspect", "--dsn", dsn, "-o", str(tmp_path / "m.json")],
        ["lint-migrations", str(ROOT / "tests" / "fixtures" / "b03_alembic")],
    ):
        counted = _startup(args, tmp_path)
        assert counted["startup"] == 0, (args, counted)
        # paused for the start-up only: the command's own work has the collector back
        assert counted["enabled_at_exit"] is True, (args, counted)
