"""The interpreter's package imports its families only when an interpreter is wanted.

``sources.ddl`` loads its names on first use (PEP 562) and ``interpreter`` imports every
family: the parsing child of a long history, forked as the command line is read, needs
only the plain-data readers (``ddl.fast``), and the modules it does not need were imported
before its fork (``parse_early``), delaying it. Each check runs in a fresh interpreter:
this one has imported everything long ago.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.strip()


def test_the_parsing_childs_imports_leave_the_families_out() -> None:
    """What ``parse_early`` imports before it forks: no interpreter, no family of statements
    the plain-data readers do not take (views, triggers, drops, renames, DO blocks)."""
    out = _run(
        "import sys\n"
        "from schema_audit.sources import sqlfile\n"
        "from schema_audit.sources.parse_ahead import serve_history\n"
        "names = ['interpreter', 'families', 'views', 'triggers', 'drops', 'renames', 'session']\n"
        "print(sorted(n for n in names if 'schema_audit.sources.ddl.' + n in sys.modules))\n"
    )
    assert out == "[]"


def test_the_parsing_childs_imports_leave_the_reads_own_modules_out() -> None:
    """``sqlfile``'s imports before the fork: the child runs ``discover`` and ``prepared``
    only; the Alembic reader (where the migration issues were defined), TOML, the model
    cache, psql's includes and the runners' tables are the read's, imported after the fork."""
    out = _run(
        "import sys\n"
        "from schema_audit.sources import sqlfile\n"
        "from schema_audit.sources.parse_ahead import serve_history\n"
        "names = ['schema_audit.sources.alembic', 'tomllib', 'schema_audit.sources.model_cache',"
        " 'schema_audit.sources.psqlinclude', 'schema_audit.sources.runner_tables',"
        " 'configparser']\n"
        "print(sorted(n for n in names if n in sys.modules))\n"
    )
    assert out == "[]"


def test_a_static_read_never_imports_the_alembic_reader(tmp_path: Path) -> None:
    """After the read, a static source's issues and gaps (``select.syntax_issues``,
    ``select.gaps``) are made without the Alembic reader (≈ 0.01–0.03 CPU s of imports
    that came after the read, on the way of inspect's JSON)."""
    sql = tmp_path / "V1__broken.sql"
    sql.write_text("CREATE TABLE t (id int);\nCREATE TABLE broken (id int,;\n")
    out = _run(
        "import sys\n"
        "from pathlib import Path\n"
        "from schema_audit.sources.select import gaps, load_source\n"
        f"source = load_source(sql=Path({str(sql)!r}))\n"
        "print([i.code for i in source.issues], len(gaps(source.model)[0]),"
        " 'schema_audit.sources.alembic' in sys.modules)\n"
    )
    assert out == "['syntax-error'] 1 False"


def test_an_interpreter_imported_directly_has_every_family() -> None:
    """``ddl.interpreter`` imported alone (as ``ddl.resume`` does) registers every family:
    the same handlers as through the package."""
    direct = _run(
        "from schema_audit.sources.ddl.interpreter import DdlInterpreter\n"
        "from schema_audit.sources.ddl.registry import HANDLERS\n"
        "print(sorted(t.__name__ for t in HANDLERS))\n"
    )
    through_package = _run(
        "from schema_audit.sources.ddl import interpret\n"
        "from schema_audit.sources.ddl.registry import HANDLERS\n"
        "print(sorted(t.__name__ for t in HANDLERS))\n"
    )
    assert direct == through_package
    for statement in (
        "CreateStmt",
        "ViewStmt",
        "CreateTrigStmt",
        "DropStmt",
        "RenameStmt",
        "DoStmt",
    ):
        assert f"'{statement}'" in direct


def test_the_packages_names_load_on_first_use() -> None:
    """Every name of ``sources.ddl.__all__`` resolves to its module's object; another name
    is an AttributeError, and a submodule is still imported as one."""
    out = _run(
        "import schema_audit.sources.ddl as ddl\n"
        "from schema_audit.sources.ddl import interpreter, errors, renames, tables\n"
        "from schema_audit.sources import statements\n"
        "homes = {'MAX_SQL_EVIDENCE': interpreter, 'DdlInterpreter': interpreter,\n"
        "    'interpret': interpreter, 'ApplyError': errors, 'rename_column_in_expr': renames,\n"
        "    'make_seq_name': tables, 'Statement': statements, 'split_statements': statements}\n"
        "assert sorted(homes) == sorted(ddl.__all__)\n"
        "print(all(getattr(ddl, n) is getattr(m, n) for n, m in homes.items()))\n"
        "try:\n"
        "    ddl.no_such_name\n"
        "except AttributeError:\n"
        "    print('missing')\n"
        "from schema_audit.sources.ddl import fast\n"
        "print(fast.__name__)\n"
    )
    assert out.splitlines() == ["True", "missing", "schema_audit.sources.ddl.fast"]
