"""Alembic histories and SQL folders: order, provenance lines, history problems, garbage input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_runner import run_cli

from schema_audit.sources.alembic import MigrationSourceError, model_from_history, render_history
from schema_audit.sources.sqlfile import load_sql, order_sql_files

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROOT = FIXTURES.parent.parent


def issues(history) -> dict[str, list]:  # type: ignore[no-untyped-def]
    out: dict[str, list] = {}
    for issue in history.findings:
        out.setdefault(issue.code, []).append(issue)
    return out


def test_b03_history_order_lines_and_loop_rendering() -> None:
    history = render_history(FIXTURES / "b03_alembic")
    assert [r.revision for r in history.revisions][0] == "202511121302"
    assert [r.revision for r in history.revisions][-1] == "202511141311"
    assert (
        len(history.revisions) == 15
        and history.heads == ["202511141311"]
        and history.findings == []
    )
    rls = next(r for r in history.revisions if r.revision == "202511131120")
    policies = [s for s in rls.statements if s.sql.startswith("CREATE POLICY")]
    assert len(policies) == 5
    assert {s.line for s in policies} == {32}  # the line inside the loop that writes the policy
    assert rls.message == "Add RLS policies for tenant isolation"


def test_sqlalchemy_operations_render_and_map_to_their_call_lines() -> None:
    history = render_history(FIXTURES / "alembic_rich")
    assert [r.revision for r in history.revisions] == ["r001", "r002", "r003a", "r003b", "r004"]
    codes = issues(history)
    assert codes["branch-point"][0].revision == "r002"
    assert codes["merge"][0].revision == "r004"
    first = history.revisions[0].statements
    assert first[0].sql.startswith("CREATE TABLE accounts") and first[0].line == 19
    assert "WHERE status = 'open'" in first[2].sql and "INCLUDE (total_cents)" in first[2].sql
    assert first[2].line == 38
    model = model_from_history(history)
    orders = model.tables["public.orders"]
    assert list(orders.columns) == [
        "id",
        "account_id",
        "status",
        "note",
        "ordered_at",
        "total_minor",
    ]
    assert (
        orders.columns["note"].type == "character varying(500)"
        and not orders.columns["note"].nullable
    )
    assert orders.foreign_keys["orders_account_id_fkey"].on_delete == "SET NULL"
    assert (
        orders.foreign_keys["orders_account_id_fkey"].ref_table == "customers"
    )  # followed the rename
    # Dropping total_cents (an INCLUDE column) dropped ix_orders_open, as PostgreSQL does.
    assert "ix_orders_open" not in orders.indexes and "ix_orders_status" in orders.indexes
    assert (
        model.tables["public.audit_log"].foreign_keys["fk_audit_log_order"].on_delete == "RESTRICT"
    )


def test_broken_history_reports_each_problem_and_audits_the_rest() -> None:
    history = render_history(FIXTURES / "alembic_broken")
    codes = issues(history)
    assert codes["missing-down-revision"][0].revision == "b004"
    assert "4 heads" in codes["multiple-heads"][0].message
    # b002 cannot be imported, but its op calls are literal: read from its syntax tree instead
    recovered = codes["read-from-syntax-tree"][0]
    assert recovered.revision == "b002" and recovered.severity == "info"
    assert "b002_raises.py:12: ModuleNotFoundError" in recovered.message
    assert "render-error" not in codes
    bind = codes["needs-connection"][0]
    assert (bind.revision, bind.line) == ("b003", 14) and "--replay" in bind.message
    assert codes["no-downgrade"][0].revision == "b001"
    model = model_from_history(history)
    # b005's syntax error aborts the revision's transaction: PostgreSQL never makes `whole`
    # (Alembic runs a revision in a transaction: sources/alembic_transactions)
    assert set(model.tables) == {"public.things", "public.orphans"}
    truncated = [u for u in model.unapplied if u.kind == "error"]
    assert [(u.file, u.line) for u in truncated] == [
        ("alembic_broken/versions/b005_truncated.py", 14)
    ]
    dynamic = {u.revision for u in model.unapplied if u.kind == "dynamic"}
    assert dynamic == {"b003"}
    assert "created_at" in model.tables["public.things"].columns  # b002's ALTER, read literally


def test_not_an_alembic_project(tmp_path: Path) -> None:
    with pytest.raises(MigrationSourceError, match="no alembic.ini, env.py or versions/"):
        render_history(tmp_path)


def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(
            f"-- {name}\nCREATE TABLE t_{abs(hash(name)) % 10**6} (id int);\n"
        )


def test_sql_folder_conventions(tmp_path: Path) -> None:
    _touch(
        tmp_path / "flyway",
        "V1__init.sql",
        "V10__later.sql",
        "V2__next.sql",
        "V1.1__patch.sql",
        "R__views.sql",
    )
    files, found = order_sql_files(tmp_path / "flyway")
    assert [f.name for f in files] == [
        "V1__init.sql",
        "V1.1__patch.sql",
        "V2__next.sql",
        "V10__later.sql",
        "R__views.sql",
    ]
    assert found == []
    _touch(tmp_path / "gm", "0002_b.up.sql", "0001_a.up.sql", "0001_a.down.sql")
    files, found = order_sql_files(tmp_path / "gm")
    assert [f.name for f in files] == ["0001_a.up.sql", "0002_b.up.sql"]
    assert [(i.code, i.revision) for i in found] == [("no-downgrade", "0002")]
    _touch(tmp_path / "ts", "20240102090000_b.sql", "20231231235959_a.sql")
    assert [f.name for f in order_sql_files(tmp_path / "ts")[0]] == [
        "20231231235959_a.sql",
        "20240102090000_b.sql",
    ]


def test_dbmate_sections_apply_only_up_with_real_line_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "20240101_init.sql").write_text(
        "-- migrate:up\nCREATE TABLE a (id int);\n\nCREATE INDEX a_id ON a (id);\n-- migrate:down\nDROP TABLE a;\n"
    )
    model = load_sql(folder)
    table = model.tables["public.a"]
    assert table.provenance[0].line == 2 and table.indexes["a_id"].provenance[0].line == 4
    assert table.provenance[0].file == "db/20240101_init.sql"


def test_binary_and_non_utf8_files_are_reported_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "001_ok.sql").write_text("CREATE TABLE ok (id int);\n")
    (folder / "002_bin.sql").write_bytes(b"\x00\x01\x02binary")
    (folder / "003_latin1.sql").write_bytes("CREATE TABLE caf\xe9 (id int);".encode("latin-1"))
    model = load_sql(folder)
    assert "public.ok" in model.tables
    assert [(u.file, u.reason.split(" ")[0]) for u in model.unapplied] == [
        ("m/002_bin.sql", "binary"),
        ("m/003_latin1.sql", "not"),
    ]


def test_garbage_inputs_give_findings_or_one_line_errors_never_a_traceback(tmp_path: Path) -> None:
    spec = ROOT / "specs" / "backend_guide_b03.yaml"
    broken = run_cli("audit", "-s", str(spec), "-m", str(FIXTURES / "alembic_broken"), "-f", "json")
    # an unparseable migration is bad input (exit 2), named by file:line, after the full audit
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    # ... and so is each revision that could not be rendered, named with its reason
    assert broken.stderr.splitlines() == [
        "schema-audit: alembic_broken/versions/b005_truncated.py:14: syntax error: "
        "syntax error at end of input",
        "schema-audit: revision b003 is not fully in the model: alembic_broken/versions/"
        "b003_needs_bind.py:15: AttributeError: 'MockConnection' object has no attribute "
        "'exec_driver_sql'; read from its syntax tree: 0 statement(s), not read: line 14: "
        "op.get_bind() is not read without running it; line 15: bind.exec_driver_sql('SELECT "
        "count(*) FROM things').scalar() is not read without running it; line 16: count == 0 "
        "is not a literal (--allow-unrendered accepts a partial model)",
    ]
    assert '"kind": "migration"' in broken.stdout
    assert '"id": "migrations.syntax-error.b005"' in broken.stdout
    garbage = tmp_path / "garbage.sql"
    garbage.write_bytes(b"\x89PNG\x00\x00garbage")
    proc = run_cli("audit", "-s", str(spec), "--sql", str(garbage), "-f", "json")
    assert "Traceback" not in proc.stderr and proc.returncode == 2
    assert proc.stderr == "schema-audit: garbage.sql: binary file, not SQL\n"
    assert "binary file" in proc.stdout
    proc = run_cli("audit", "-s", str(spec), "-m", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    copy = tmp_path / "copy"
    shutil.copytree(FIXTURES / "alembic_broken", copy)
    assert (copy / "env.py").read_text().startswith("raise")  # an env.py that raises is never run
    proc = run_cli("audit", "-s", str(spec), "-m", str(copy), "-f", "json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_rendered_revisions_are_cached_only_while_nothing_they_depend_on_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unchanged, self-contained revision is not rendered (nor Alembic imported) twice; an edited
    one is; one that imports project code never comes from the cache."""
    from schema_audit.sources import alembic as alembic_source

    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    history = tmp_path / "b03_alembic"
    shutil.copytree(FIXTURES / "b03_alembic", history, ignore=shutil.ignore_patterns("__pycache__"))
    rendered: list[str] = []
    real = alembic_source._render

    def counting(info, display, project):  # type: ignore[no-untyped-def]
        rendered.append(info.revision)
        return real(info, display, project)

    monkeypatch.setattr(alembic_source, "_render", counting)
    # B0.3's revisions would all be answered by alembic_light's stand-ins (no rendering, no cache);
    # the cache serves the revisions they decline, so here every revision goes to Alembic.
    monkeypatch.setattr(alembic_source, "LIGHT", False)
    first = alembic_source.render_history(history)
    assert len(rendered) == 15
    rendered.clear()
    second = alembic_source.render_history(history)
    assert rendered == []
    assert [(s.sql, s.file, s.line) for r in second.revisions for s in r.statements] == [
        (s.sql, s.file, s.line) for r in first.revisions for s in r.statements
    ]
    edited = history / "versions" / "202511131250_enhance_revenue_ledger.py"
    edited.write_text(edited.read_text().replace("ON DELETE CASCADE", "ON DELETE RESTRICT"))
    third = alembic_source.render_history(history)
    assert rendered == ["202511131250"]
    assert any("ON DELETE RESTRICT" in s.sql for r in third.revisions for s in r.statements)
    rendered.clear()
    (history / "helpers.py").write_text("TABLE = 'from_the_project'\n")
    importing = history / "versions" / "202511141311_allocations_channel_fk_to_taxonomy.py"
    importing.write_text(
        importing.read_text().replace(
            "from alembic import op", "from alembic import op\nimport helpers  # noqa: F401"
        )
    )
    alembic_source.render_history(history)
    alembic_source.render_history(history)
    assert rendered == ["202511141311", "202511141311"]  # project import: rendered every time
    rendered.clear()
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    alembic_source.render_history(history)
    assert len(rendered) == 15
