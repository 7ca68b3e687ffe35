"""What the command line imports before it answers (issue 12 item 5, issue 19's --version target).

``schema-audit --version`` must cost about as much as starting Python: it is answered
before typer or any library is imported. ``<command> --help`` loads that command's module
only, and no library the command needs only to run (pglast, psycopg, jinja2 …). These are
structural checks on ``sys.modules`` in a fresh interpreter, not timings: timings on a
shared machine would flake, an import that creeps back in does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema_audit.cli.commands import COMMANDS

HEAVY = ["typer", "click", "rich", "pglast", "psycopg", "jsonschema", "yaml", "jinja2"]
HEAVY += ["sqlglot", "sqlalchemy", "alembic"]

PROBE = """
import json, sys
sys.argv = ["schema-audit", *json.loads(sys.argv[1])]
from schema_audit.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


ROOT = Path(__file__).resolve().parent.parent


def _loaded(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )
    last = json.loads(proc.stdout.splitlines()[-1])
    return last["code"], set(last["modules"])


def _roots(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def _commands(modules: set[str]) -> set[str]:
    """The command modules (schema_audit/cli/<command>.py) among ``modules``."""
    return {m.rsplit(".", 1)[1] for m in modules if m.startswith("schema_audit.cli.")} & set(
        COMMANDS.values()
    )


def test_version_imports_no_library_not_even_typer() -> None:
    code, modules = _loaded("--version")
    assert code == 0
    assert sorted(_roots(modules) & set(HEAVY)) == []
    assert _commands(modules) == set()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_of_one_command_loads_that_command_only(name: str) -> None:
    code, modules = _loaded(name, "--help")
    assert code == 0
    assert sorted(_roots(modules) & set(HEAVY)) == ["typer"]
    assert _commands(modules) == {COMMANDS[name]}


# What a static audit of an Alembic history needs besides the tool: typer for the command
# line, yaml and pglast. Nothing else: B0.3's revisions only hand SQL text to op.execute(), which
# alembic_light's stand-ins answer exactly as Alembic would, so neither Alembic nor SQLAlchemy
# (half of the run's start-up) is imported; typer converts option values through pydantic
# (schema_audit.cli.coerce answers the plain ones), rich only pretty-prints typer's errors, the
# rest serve other reports or a live database.
NOT_FOR_A_STATIC_AUDIT = ["pydantic", "pydantic_core", "rich", "click", "jinja2", "jsonschema"]
NOT_FOR_A_STATIC_AUDIT += ["psycopg", "sqlglot", "msgspec", "fastjsonschema", "alembic"]
NOT_FOR_A_STATIC_AUDIT += ["sqlalchemy", "mako"]


def test_b03_static_audit_imports_only_what_it_uses() -> None:
    code, modules = _loaded(
        "audit",
        "-s",
        str(ROOT / "specs" / "backend_guide_b03.yaml"),
        "-m",
        str(ROOT / "tests" / "fixtures" / "b03_alembic"),
        "-q",
        env={"SCHEMA_AUDIT_CACHE": "0"},
    )
    assert code == 1  # B0.3's findings
    roots = _roots(modules)
    assert {"typer", "yaml", "pglast"} <= roots
    assert sorted(roots & set(NOT_FOR_A_STATIC_AUDIT)) == []
    assert _commands(modules) == {"audit"}


# inspect --dsn reads a catalog and writes JSON: psycopg and msgspec, not the SQL parser, the
# audit engine or the rule pack (schema_audit.api loads them all; a sixth of its start-up).
NOT_FOR_A_LIVE_INSPECT = ["pglast", "yaml", "jinja2", "jsonschema", "alembic", "sqlalchemy"]


def test_live_inspect_imports_only_what_it_uses(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("startup", 'CREATE TABLE t (id int PRIMARY KEY, "select" text)')
    code, modules = _loaded("inspect", "--dsn", dsn, "-o", str(tmp_path / "model.json"))
    assert code == 0
    roots = _roots(modules)
    assert {"psycopg", "msgspec", "typer"} <= roots
    assert sorted(roots & set(NOT_FOR_A_LIVE_INSPECT)) == []
    assert (
        sorted(m for m in modules if m.startswith(("schema_audit.api", "schema_audit.audit"))) == []
    )
    assert (tmp_path / "model.json").read_bytes().startswith(b'{"model": {')


# lint-migrations and diff print plain listings: not rich (the terminal report's library, which
# came with render.terminal for one helper), and B0.3's revisions need no Alembic or SQLAlchemy.
NOT_FOR_A_PLAIN_LISTING = ["rich", "alembic", "sqlalchemy", "psycopg", "jinja2"]


@pytest.mark.parametrize(
    "args",
    [
        ("lint-migrations", str(ROOT / "tests" / "fixtures" / "b03_alembic")),
        (
            "diff",
            str(ROOT / "tests" / "fixtures" / "b03_alembic"),
            str(ROOT / "tests" / "fixtures" / "sql_ledger_guarded"),
        ),
    ],
    ids=["lint-migrations", "diff"],
)
def test_plain_listings_import_no_terminal_library(args: tuple[str, ...]) -> None:
    code, modules = _loaded(*args, env={"SCHEMA_AUDIT_CACHE": "0"})
    assert code in (0, 1)
    assert sorted(_roots(modules) & set(NOT_FOR_A_PLAIN_LISTING)) == []
    assert "schema_audit.render.terminal" not in modules
