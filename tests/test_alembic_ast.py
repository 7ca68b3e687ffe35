"""Alembic revisions read from their syntax trees: the same model Alembic renders, nothing run.

The reference is Alembic itself: a revision's ``op.*`` calls read literally must give the
schema model that rendering the revision through Alembic's own API gives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_cli

from schema_audit.modeldiff import diff_models
from schema_audit.sources.alembic import model_from_history, render_history

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env={"SCHEMA_AUDIT_CACHE": "0"}, timeout=180)


def _provenance(model) -> dict[str, list[tuple[str | None, int | None]]]:  # type: ignore[no-untyped-def]
    out = {}
    for key, table in model.tables.items():
        out[key] = [(p.file, p.line) for p in table.provenance]
        for name, column in table.columns.items():
            out[f"{key}.{name}"] = [(p.file, p.line) for p in column.provenance]
        for name, index in table.indexes.items():
            out[f"{key}.{name}"] = [(p.file, p.line) for p in index.provenance]
    return out


@pytest.mark.parametrize("fixture", ["b03_alembic", "alembic_rich", "alembic_ops"])
def test_no_exec_reads_the_model_alembic_renders_with_zero_blind_spots(fixture: str) -> None:
    rendered_history = render_history(FIXTURES / fixture)
    read_history = render_history(FIXTURES / fixture, execute=False)
    assert [r.blind_spots for r in read_history.revisions] == [[]] * len(read_history.revisions)
    assert not any(r.partial for r in read_history.revisions)
    rendered, read = model_from_history(rendered_history), model_from_history(read_history)
    assert [str(d) for d in diff_models(rendered, read)] == []
    assert _provenance(read) == _provenance(rendered)  # each object at the same file:line
    assert read.blind_spots == []


def _project_with_a_side_effect(tmp: Path) -> tuple[Path, Path]:
    project = tmp / "proj"
    shutil.copytree(FIXTURES / "alembic_rich", project)
    marker = tmp / "ran.txt"
    revision = project / "versions" / "r001_accounts.py"
    text = revision.read_text()
    revision.write_text(
        text.replace(
            "revision = ",
            f"open({str(marker)!r}, 'w').write('imported')  # a side effect at import\nrevision = ",
            1,
        )
    )
    return project, marker


def test_no_exec_runs_no_revision_code(tmp_path: Path) -> None:
    project, marker = _project_with_a_side_effect(tmp_path)
    proc = _cli("inspect", "-m", str(project), "--no-exec")
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()  # the module-level open() was never executed
    assert '"public.customers"' in proc.stdout  # r001's accounts, renamed by r003b
    executed = _cli("inspect", "-m", str(project))
    assert executed.returncode == 0 and marker.exists()  # rendering does import it


def test_no_exec_names_each_blind_spot_by_line_and_exits_2(tmp_path: Path) -> None:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a1_dynamic.py").write_text(
        '"""Dynamic"""\n'
        "from alembic import op\n"
        "import sqlalchemy as sa\n"
        "\n"
        'revision = "a1"\n'
        "down_revision = None\n"
        "\n"
        "\n"
        "def upgrade():\n"
        '    op.create_table("kept", sa.Column("id", sa.Integer(), primary_key=True))\n'
        "    for name in compute_names():\n"
        '        op.create_table(name, sa.Column("id", sa.Integer()))\n'
        '    op.drop_table("old")\n'
        "\n"
        "\n"
        "def downgrade():\n"
        "    pass\n"
    )
    proc = _cli("inspect", "-m", str(versions), "--no-exec")
    assert proc.returncode == 2
    assert "line 11: compute_names() is not read without running it" in proc.stderr
    lint = _cli("lint-migrations", str(versions), "--no-exec", "--allow-unrendered")
    assert lint.returncode == 1  # the drop after the blind spot is still linted
    assert "a1_dynamic.py:13: SA001 drop-table: drops table old" in lint.stdout
    assert "revision a1 was not fully linted" in lint.stderr


def test_an_unimportable_revision_is_read_from_its_syntax_tree(tmp_path: Path) -> None:
    """FastAPI + SQLModel: `import sqlmodel.sql.sqltypes` fails here; the literal op calls are
    read instead, and give what Alembic renders once sqlmodel is importable."""
    proc = _cli("inspect", "-m", str(FIXTURES / "alembic_sqlmodel"))
    assert proc.returncode == 0, proc.stderr
    history = render_history(FIXTURES / "alembic_sqlmodel")
    assert [r.revision for r in history.revisions if r.error] == ["e2412789c190", "9c0a54914c78"]
    assert {i.code for i in history.findings} >= {"read-from-syntax-tree"}
    read = model_from_history(history)
    # the reference: Alembic rendering the same revisions with a stand-in sqlmodel whose
    # AutoString is what sqlmodel's is, a String
    stub = tmp_path / "stub" / "sqlmodel" / "sql"
    stub.mkdir(parents=True)
    (stub.parent / "__init__.py").write_text("")
    (stub / "__init__.py").write_text("")
    (stub / "sqltypes.py").write_text("from sqlalchemy import String as AutoString\n")
    sys.path.insert(0, str(tmp_path / "stub"))
    try:
        for name in [m for m in sys.modules if m.startswith("sqlmodel")]:
            del sys.modules[name]
        rendered_history = render_history(FIXTURES / "alembic_sqlmodel")
    finally:
        sys.path.remove(str(tmp_path / "stub"))
        for name in [m for m in sys.modules if m.startswith("sqlmodel")]:
            del sys.modules[name]
    assert not any(r.error for r in rendered_history.revisions)
    rendered = model_from_history(rendered_history)
    assert [str(d) for d in diff_models(rendered, read)] == []
    assert set(read.tables) == {'public."user"', "public.item"}


def test_a_revision_that_fails_to_render_still_has_its_drops_linted(tmp_path: Path) -> None:
    """Item 2: rendering fails on the connection read; the drop after it is still reported,
    and the revision is named as partially read (exit 2 unless accepted)."""
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "c3_cleanup.py").write_text(
        '"""cleanup"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n"
        "\n"
        'revision = "c3"\n'
        "down_revision = None\n"
        "\n"
        "\n"
        "def upgrade():\n"
        '    op.create_table("legacy", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    rows = op.get_bind().execute(sa.text("SELECT count(*) FROM legacy")).scalar_one()\n'
        '    op.drop_table("legacy")\n'
        "\n"
        "\n"
        "def downgrade():\n"
        "    pass\n"
    )
    lint = _cli("lint-migrations", str(versions))
    assert lint.returncode == 2, lint.stdout + lint.stderr
    assert "c3_cleanup.py:12: SA001 drop-table: drops table legacy" in lint.stdout
    assert "revision c3 was not fully linted" in lint.stderr and "line 11:" in lint.stderr
    accepted = _cli("lint-migrations", str(versions), "--allow-unrendered")
    assert accepted.returncode == 1
