"""Revisions rendered by alembic_light's stand-ins: exactly what real Alembic renders, or nothing.

The reference is Alembic itself, run in this process on the same files: every Alembic
fixture in tests/fixtures must give the same statements (text, file, line, revision),
errors, findings and model with the light path on as with every revision sent to real
Alembic, and every revision the light path accepts must render identically on its own.
Crafted revisions probe the edges: what the stand-ins accept must equal Alembic's output,
what they cannot answer exactly must be declined (and then rendered by Alembic).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from schema_audit.sources import alembic as alembic_source
from schema_audit.sources.alembic import _locate, _read_revision, _render, _render_light

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECTS = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if p.is_dir() and any("down_revision" in f.read_text() for f in p.rglob("*.py"))
)


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")


# Each history is read in a fresh interpreter: a revision that failed once makes the reader run
# env.py's imports, which stay in sys.modules and would let a second read in the same process
# render it at once.
READ = """
import json, sys
from schema_audit.model import to_data
from schema_audit.sources import alembic
alembic.LIGHT = sys.argv[2] == "light"
history = alembic.render_history(sys.argv[1])
revisions = [
    [r.revision, r.error, r.blind_spots, [[s.sql, s.file, s.line, s.revision] for s in r.statements]]
    for r in history.revisions
]
findings = [[f.code, f.message, f.revision, f.file, f.line, f.severity] for f in history.findings]
model = to_data(alembic.model_from_history(history))
print(json.dumps([revisions, findings, model, sorted(m for m in sys.modules if m == "sqlalchemy")]))
"""


def _history(path: Path, mode: str) -> list[Any]:
    proc = subprocess.run(
        [sys.executable, "-c", READ, str(path), mode],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SCHEMA_AUDIT_CACHE": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_fixtures_cover_every_alembic_project() -> None:
    assert "b03_alembic" in PROJECTS and "alembic_rich" in PROJECTS and len(PROJECTS) >= 10


@pytest.mark.parametrize("project", PROJECTS)
def test_light_history_equals_alembic_on_every_fixture(project: str) -> None:
    real = _history(FIXTURES / project, "real")
    light = _history(FIXTURES / project, "light")
    assert light[0] == real[0]  # statements, errors, blind spots, revision by revision
    assert light[1] == real[1]  # findings
    assert light[2] == real[2]  # the model
    if project == "b03_alembic":  # every revision only hands SQL text to op.execute()
        assert (light[3], real[3]) == ([], ["sqlalchemy"])


def _revisions(project: Path):  # type: ignore[no-untyped-def]
    located = _locate(project)
    for directory in located.dirs:
        for file in sorted(directory.rglob("*.py")):
            info, _ = _read_revision(file, file.name)
            if info is not None:
                yield located, info


def _both(located, info):  # type: ignore[no-untyped-def]
    before = set(sys.modules)
    try:
        with alembic_source._project_path(located):
            light = _render_light(info, info.path.name, located.here)
            real, error = _render(info, info.path.name, located.here)
    finally:
        # a fixture project's own packages (mypkg) imported by a revision must not outlive the
        # test: a later reader would find a package without the submodules env.py imports
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", None) or "").startswith(str(FIXTURES)):
                del sys.modules[name]
    return (
        None if light is None else [(s.sql, s.line) for s in light],
        [(s.sql, s.line) for s in real],
        error,
    )


def test_every_revision_the_light_path_takes_renders_as_alembic_does() -> None:
    taken = []
    for project in PROJECTS:
        for located, info in _revisions(FIXTURES / project):
            light, real, error = _both(located, info)
            if light is not None:
                assert error is None, info.path
                assert light == real, info.path
                taken.append(f"{project}/{info.path.name}")
    # B0.3's 15 revisions only hand SQL text to op.execute(): all of them need no Alembic
    assert sum(t.startswith("b03_alembic/") for t in taken) == 15


HEAD = '''"""crafted

Revision ID: c001
"""
{imports}

revision = "c001"
down_revision = None


def upgrade() -> None:
{body}
'''

# (imports, upgrade() body, whether the stand-ins must answer it)
CASES: dict[str, tuple[str, str, bool]] = {
    "plain": ("from alembic import op", 'op.execute("CREATE TABLE t (id int)")', True),
    "multi-line literal, casts, times, percent, plpgsql assignment": (
        "from alembic import op",
        'op.execute("""\n    CREATE TABLE t (a text DEFAULT \'12:30\'::text, b text '
        'DEFAULT \'x%sy%%z\');\n    DO $$ BEGIN PERFORM 1; x := 2; END $$\n""")',
        True,
    ),
    "tabs become four spaces": (
        "from alembic import op",
        'op.execute("CREATE TABLE t (\\n\\tid int\\n)")',
        True,
    ),
    "loop, f-string, helper, stdlib": (
        "import textwrap\nfrom typing import Sequence\n\nimport sqlalchemy as sa\nfrom alembic import op\n"
        "\nTABLES: Sequence[str] = ('a', 'b')\n\n\ndef _make(name):\n"
        '    op.execute(textwrap.dedent(f"""\n        CREATE TABLE {name} (id int)\n    """))',
        "for name in TABLES:\n    _make(name)",
        True,
    ),
    "sa.text and keyword sqltext": (
        "import sqlalchemy as sa\nfrom sqlalchemy import text\nfrom alembic import op",
        'op.execute(sa.text("CREATE TABLE t (id int)"))\n'
        'op.execute(sqltext=text("CREATE INDEX i ON t (id)"))',
        True,
    ),
    "empty text and a trailing semicolon": (
        "from alembic import op",
        'op.execute("")\nop.execute("CREATE TABLE t (id int);")',
        True,
    ),
    "import alembic.op as op": ("import alembic.op as op", 'op.execute("SELECT 1")', True),
    "bind parameter": ("from alembic import op", 'op.execute("SELECT :name")', False),
    "escaped colon": ("from alembic import op", "op.execute(\"SELECT 'a\\\\:b'\")", False),
    "another operation": (
        "import sqlalchemy as sa\nfrom alembic import op",
        'op.create_table("t", sa.Column("id", sa.Integer, primary_key=True))',
        False,
    ),
    "an operation swallowed by except Exception": (
        "import sqlalchemy as sa\nfrom alembic import op",
        'try:\n    op.create_index("i", "t", ["id"])\nexcept Exception:\n    pass\n'
        'op.execute("CREATE TABLE u (id int)")',
        False,
    ),
    "an operation swallowed by a bare except": (
        "from alembic import op",
        'try:\n    op.drop_table("t")\nexcept:  # noqa: E722\n    pass\nop.execute("SELECT 1")',
        False,
    ),
    "op.execute at import time": (
        'from alembic import op\n\nop.execute("SELECT 1")',
        'op.execute("SELECT 2")',
        False,
    ),
    "text with bind parameters": (
        "import sqlalchemy as sa\nfrom alembic import op",
        'op.execute(sa.text("SELECT :x").bindparams(x=1))',
        False,
    ),
    "text printed": (
        "import sqlalchemy as sa\nfrom alembic import op",
        "op.execute(f\"{sa.text('SELECT 1')}\")",
        False,
    ),
    "execution options": (
        "from alembic import op",
        'op.execute("SELECT 1", execution_options={"x": 1})',
        False,
    ),
    "another alembic name": (
        "from alembic import context, op",
        'op.execute("SELECT 1")',
        False,
    ),
    "a sqlalchemy submodule": (
        "from sqlalchemy.dialects import postgresql\nfrom alembic import op",
        'op.execute("SELECT 1")',
        False,
    ),
    "a str subclass": (
        "from alembic import op\n\n\nclass S(str):\n    pass",
        'op.execute(S("SELECT 1"))',
        False,
    ),
    "raises after a statement": (
        "from alembic import op",
        'op.execute("CREATE TABLE t (id int)")\nraise ValueError("no")',
        False,
    ),
    "the connection": ("from alembic import op", 'op.get_bind().execute("SELECT 1")', False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_crafted_revision_light_equals_alembic_or_declines(case: str, tmp_path: Path) -> None:
    imports, body, answered = CASES[case]
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "c001_crafted.py").write_text(
        HEAD.format(imports=imports, body=textwrap.indent(body, "    "))
    )
    [(located, info)] = list(_revisions(tmp_path))
    light, real, error = _both(located, info)
    if answered:
        assert error is None
        assert light == real
    else:
        assert light is None, (light, real, error)


def test_ctrl_c_inside_a_revision_is_not_declined(tmp_path: Path) -> None:
    """Ctrl-C reaches a running revision as the CLI's ``Interrupted`` (a BaseException, not
    KeyboardInterrupt). Declined, it sent the revision to real Alembic and the run carried
    on to the end (exit 1 instead of 130: test_first_contact's Ctrl-C test, when the signal
    landed while the light path ran a revision). It must go up, as from ``_render``."""
    import signal

    from schema_audit.cli.entry import Interrupted, _raise_interrupted

    versions = tmp_path / "versions"
    versions.mkdir()
    body = 'import os, signal\nop.execute("SELECT 1")\nos.kill(os.getpid(), signal.SIGINT)\nsum(range(10))'
    (versions / "c001_crafted.py").write_text(
        HEAD.format(imports="from alembic import op", body=textwrap.indent(body, "    "))
    )
    [(_, info)] = list(_revisions(tmp_path))
    previous = signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        with pytest.raises(Interrupted):
            _render_light(info, "c001_crafted.py", tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)
