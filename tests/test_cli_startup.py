"""What the command line imports before it answers (issue 12 item 5, issue 19's --version target).

``schema-audit --version`` must cost about as much as starting Python: it is answered
before typer or any library is imported. ``<command> --help`` loads that command's module
only, and no library the command needs only to run (pglast, psycopg, jinja2 …). These are
structural checks on ``sys.modules`` in a fresh interpreter, not timings: timings on a
shared machine would flake, an import that creeps back in does not.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema_audit.cli.commands import COMMANDS

HEAVY = ["typer", "click", "rich", "pglast", "psycopg", "jsonschema", "yaml", "jinja2"]
HEAVY += ["sqlglot", "sqlalchemy", "alembic"]

# main() ends the process itself after a command (cli/entry.py _end): what was imported is
# printed by an exit handler, which runs either way; the exit code is the process's.
PROBE = """
import atexit, json, sys
sys.argv = ["schema-audit", *json.loads(sys.argv[1])]
atexit.register(lambda: print(json.dumps({"modules": sorted(sys.modules)}), flush=True))
from schema_audit.cli import main
main()
"""


ROOT = Path(__file__).resolve().parent.parent


def _loaded(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    last = json.loads(proc.stdout.splitlines()[-1])
    return proc.returncode, set(last["modules"])


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


# The psycopg version modules' finder (cli/driverversion.py) is preset for every command line:
# without importlib.abc's base classes, which bring importlib.resources, tempfile and random
# (≈ 4 ms of a static inspect, which uses none of them).
NOT_FOR_A_STATIC_INSPECT = ["importlib.abc", "importlib.resources", "tempfile", "random"]


def test_static_inspect_imports_no_importlib_abc(tmp_path: Path) -> None:
    code, modules = _loaded(
        "inspect",
        "--sql",
        str(ROOT / "tests" / "fixtures" / "rich_schema.sql"),
        "-o",
        str(tmp_path / "model.json"),
        env={"SCHEMA_AUDIT_CACHE": "0"},
    )
    assert code in (0, 2)
    assert (tmp_path / "model.json").exists()
    assert sorted(modules & set(NOT_FOR_A_STATIC_INSPECT)) == []


# inspect --dsn reads a catalog and writes JSON: msgspec, not the SQL parser, the audit engine
# or the rule pack (schema_audit.api loads them all; a sixth of its start-up). Its read runs in
# this process's threads (cli/early_read._CHILD_COMMANDS says why), so psycopg is imported.
NOT_FOR_A_LIVE_INSPECT = ["pglast", "yaml", "jinja2", "jsonschema", "alembic", "sqlalchemy"]
# init --dsn and audit --dsn: the early read's queries run in a child process
# (sources/live_child.py), this one builds the model from the rows it hands over (psycopg's
# import was ≈ 0.1 CPU s of this process, asyncio and ssl come with it)
NOT_FOR_A_CHILD_READ = ["psycopg", "asyncio", "ssl"]


def test_live_inspect_imports_only_what_it_uses(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("startup", 'CREATE TABLE t (id int PRIMARY KEY, "select" text)')
    code, modules = _loaded("inspect", "--dsn", dsn, "-o", str(tmp_path / "model.json"))
    assert code == 0
    roots = _roots(modules)
    assert {"msgspec", "typer"} <= roots
    assert sorted(roots & set(NOT_FOR_A_LIVE_INSPECT)) == []
    assert (
        sorted(m for m in modules if m.startswith(("schema_audit.api", "schema_audit.audit"))) == []
    )
    assert (tmp_path / "model.json").read_bytes().startswith(b'{"model": {')


def test_live_init_and_audit_leave_the_driver_to_the_child(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("startup_child", "CREATE TABLE t (id int PRIMARY KEY)")
    spec = tmp_path / "spec.yaml"
    code, modules = _loaded("init", "--dsn", dsn, "-o", str(spec))
    assert code == 0
    assert sorted(_roots(modules) & set(NOT_FOR_A_CHILD_READ)) == []
    code, modules = _loaded("audit", "-s", str(spec), "--dsn", dsn, "-q")
    assert code == 0
    assert sorted(_roots(modules) & set(NOT_FOR_A_CHILD_READ)) == []


def test_no_configuration_file_no_toml_parser(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Every command looks for schema-audit.toml / pyproject.toml in the current directory;
    where there is none (the usual case) tomllib is not imported (~10 ms of a live inspect's
    start-up where `python -c pass` takes 20); where there is one, it is read as before."""
    dsn = make_db("startup_toml", "CREATE TABLE t (id int PRIMARY KEY)")
    code, modules = _loaded("inspect", "--dsn", dsn, "-o", str(tmp_path / "m.json"), cwd=tmp_path)
    assert code == 0
    assert "tomllib" not in _roots(modules)
    (tmp_path / "schema-audit.toml").write_text('search-path = "public"\n', encoding="utf-8")
    code, modules = _loaded("inspect", "--dsn", dsn, "-o", str(tmp_path / "m.json"), cwd=tmp_path)
    assert code == 0
    assert "tomllib" in _roots(modules)
    (tmp_path / "schema-audit.toml").write_text("search-path = [\n", encoding="utf-8")
    code, modules = _loaded("inspect", "--dsn", dsn, "-o", str(tmp_path / "m.json"), cwd=tmp_path)
    assert code == 2  # a file that is not TOML is still refused


def test_no_secret_to_mask_no_html_entities(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The masking of secrets spells each character of a password as an HTML entity too;
    html (and its entity table) is imported only once there is a password to mask, not by
    every command (~2 ms of start-up); with one, the masking is as before."""
    dsn = make_db("startup_html", "CREATE TABLE t (id int PRIMARY KEY)")
    env = {
        "PGPASSWORD": "",
        "PGPASSFILE": str(tmp_path / "none"),
        "PGSERVICEFILE": str(tmp_path / "none"),
    }
    code, modules = _loaded("inspect", "--dsn", dsn, "-o", str(tmp_path / "m.json"), env=env)
    assert code == 0
    assert "html" not in _roots(modules)
    from schema_audit.redact import mask_secrets

    assert mask_secrets("a s&cret b s&amp;cret", ["s&cret"]) == "a *** b ***"


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


# init --dsn and an audit of the same database with init's spec: every text the spec holds is
# the catalog's own, compared as written, so neither run needs the SQL parser (pglast and its
# first parse: ~0.06 CPU s of a 1,000-table audit's start-up). A changed text still loads it.
LIVE_SCHEMA = """
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE FUNCTION tenant() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT current_setting('app.tenant')::uuid $$;
CREATE TABLE t (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id uuid NOT NULL DEFAULT tenant(),
    state varchar(20) NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'done')),
    feeling mood DEFAULT 'ok',
    made timestamptz NOT NULL DEFAULT now(),
    price numeric(10, 2) DEFAULT 0 CHECK (price BETWEEN 0 AND 1000),
    twice numeric GENERATED ALWAYS AS (price * 2) STORED
);
CREATE INDEX t_open ON t (tenant_id, made DESC) WHERE state <> 'done';
CREATE INDEX t_lower ON t (lower(state::text));
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_tenant ON t USING (tenant_id = tenant()) WITH CHECK (tenant_id = tenant());
CREATE POLICY t_read ON t FOR SELECT USING (state = ANY (ARRAY['new', 'done']));
"""


def test_live_audit_with_inits_spec_does_not_load_the_parser(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("noparse", LIVE_SCHEMA)
    spec = tmp_path / "spec.yaml"
    code, modules = _loaded("init", "--dsn", dsn, "-o", str(spec))
    assert code == 0
    assert "pglast" not in _roots(modules)
    report = tmp_path / "report.json"
    code, modules = _loaded("audit", "--dsn", dsn, "-s", str(spec), "-f", "json", "-o", str(report))
    assert code == 0, report.read_text()
    assert "pglast" not in _roots(modules)
    statuses = {f["status"] for f in json.loads(report.read_text())["findings"]}
    assert statuses == {"PASS", "WAIVED"}  # WAIVED: the rule hits present at init

    # a CHECK PostgreSQL stores differently must still be compared through the parser
    changed = make_db("noparse_changed", LIVE_SCHEMA.replace("1000", "999"))
    code, modules = _loaded(
        "audit", "--dsn", changed, "-s", str(spec), "-f", "json", "-o", str(report)
    )
    assert code == 1
    assert "pglast" in _roots(modules)
    failed = [f for f in json.loads(report.read_text())["findings"] if f["status"] == "FAIL"]
    assert [f["kind"] for f in failed] == ["check"]


# psycopg's and psycopg_binary's version modules each call importlib.metadata.version(), and
# importing importlib.metadata is ~0.04 CPU s; the command line answers both from the
# dist-info folder names instead. The versions must be the ones importlib.metadata reads.
VERSIONS_PROBE = """
import atexit, json, sys
sys.argv = ["schema-audit", *json.loads(sys.argv[1])]

def versions():
    loaded = "importlib.metadata" in sys.modules
    import importlib.metadata, psycopg, psycopg_binary
    print(json.dumps({
        "metadata_loaded": loaded,
        "ours": [psycopg.__version__, psycopg_binary.__version__, psycopg.version.__version__],
        "metadata": [
            importlib.metadata.version("psycopg"), importlib.metadata.version("psycopg-binary")
        ],
    }), flush=True)

atexit.register(versions)
from schema_audit.cli import main
main()
"""


def test_live_inspect_reads_psycopgs_version_without_importlib_metadata(
    make_db, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    dsn = make_db("versions", "CREATE TABLE t (id int PRIMARY KEY)")
    args = ["inspect", "--dsn", dsn, "-o", str(tmp_path / "model.json")]
    proc = subprocess.run(
        [sys.executable, "-c", VERSIONS_PROBE, json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    last = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 0
    assert last["metadata_loaded"] is False
    psycopg_version, binary_version = last["metadata"]
    assert last["ours"] == [psycopg_version, binary_version, psycopg_version]


@pytest.mark.parametrize(
    ("version_module", "answered"),
    [
        # psycopg 3.1–3.3's shape: answered from the folder name
        (
            'from importlib import metadata\n\ntry:\n    __version__ = metadata.version("p")\n'
            'except metadata.PackageNotFoundError:\n    __version__ = "0.0.0.0"\n',
            "3.9.1",
        ),
        # a release whose version module offers more: imported as written, not replaced
        ('__version__ = "3.9.1"\n__version_info__ = (3, 9, 1)\n', None),
        ("def version():\n    return '3.9.1'\n__version__ = version()\n", None),
    ],
)
def test_a_version_module_is_answered_only_when_it_sets_nothing_but_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version_module: str, answered: str | None
) -> None:
    from schema_audit.cli import driverversion

    package = tmp_path / "fakedriver"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "version.py").write_text(version_module)
    (tmp_path / "fakedriver-3.9.1.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert driverversion.installed_version("fakedriver", "fakedriver-") == answered


def _dataclass_decorated(node: ast.ClassDef) -> bool:
    return any(
        ast.unparse(d).startswith(("dataclass", "dataclasses.dataclass"))
        for d in node.decorator_list
    )


def _makes_a_dataclass(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and ast.unparse(node.func).endswith("make_dataclass")


def test_every_dataclass_has_a_docstring_of_its_own() -> None:
    """A class ``dataclass`` processes without a docstring gets one worked out from its
    signature (``inspect.signature``: ≈ 0.15–0.2 ms a class at import); a static inspect made
    24 such classes, B0.3's audit 45, each command line again. Every dataclass of the
    package states its own, and every ``make_dataclass`` passes one in its namespace."""
    missing: list[str] = []
    for path in sorted((ROOT / "schema_audit").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ClassDef) and _dataclass_decorated(node):
                if not ast.get_docstring(node):
                    missing.append(f"{where} {node.name}")
            elif _makes_a_dataclass(node) and not any(k.arg == "namespace" for k in node.keywords):
                missing.append(f"{where} make_dataclass without a namespace")
    assert missing == []
