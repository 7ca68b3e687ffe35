"""The command line as a user meets it: exit codes, one-line errors, no traceback, no password."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from b03 import SPEC, upgrade_b03
from cli_runner import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def b03_dsn(pg_server):  # type: ignore[no-untyped-def]
    name, dsn = pg_server.create_database("b03cli")
    upgrade_b03(dsn)
    yield dsn
    pg_server.drop_database(name)


def test_spec_typo_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    spec = tmp_path / "typo.yaml"
    spec.write_text("name: t\ntables:\n  tenants:\n    colums: {}\n")
    proc = run_cli("audit", "--spec", str(spec), "--dsn", "postgresql://nobody@127.0.0.1:1/x")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (
        f"schema-audit: {spec}:4:5: tables.tenants.colums: unknown key 'colums' (did you mean 'columns'?)\n"
    )


def test_unreachable_dsn_exits_2_in_one_line_without_the_password(tmp_path: Path) -> None:
    proc = run_cli(
        "audit", "--spec", str(SPEC), "--dsn", "postgresql://app:s3cretpw@127.0.0.1:1/prod"
    )
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "schema-audit: cannot connect to postgresql://app:***@127.0.0.1:1/prod: "
    )
    assert "s3cretpw" not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_missing_database_and_pgpassword_are_redacted(pg_server) -> None:  # type: ignore[no-untyped-def]
    dsn = pg_server.dsn("no_such_db_here") + " password=hunter2pw"
    proc = run_cli("audit", "--spec", str(SPEC), "--dsn", dsn, env={"PGPASSWORD": "envsecret99"})
    assert proc.returncode == 2
    assert 'database "no_such_db_here" does not exist' in proc.stderr
    assert "hunter2pw" not in proc.stderr and "envsecret99" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_missing_spec_file_exits_2() -> None:
    proc = run_cli("audit", "--spec", "nope.yaml", "--dsn", "postgresql://x@127.0.0.1:1/x")
    assert proc.returncode == 2
    assert proc.stderr == "schema-audit: nope.yaml: spec file not found\n"


def test_no_source_or_two_sources_exit_2() -> None:
    proc = run_cli("audit", "--spec", str(SPEC))
    assert proc.returncode == 2
    assert proc.stderr == ("schema-audit: name exactly one source: --dsn, --migrations or --sql\n")
    two = run_cli(
        "audit", "--spec", str(SPEC), "--dsn", "postgresql://x@127.0.0.1:1/x", "--sql", "."
    )
    assert two.returncode == 2
    assert two.stderr == (
        "schema-audit: name exactly one source: --dsn, --migrations or --sql (got --dsn, --sql)\n"
    )


def test_b03_live_audit_exits_1_and_writes_json(b03_dsn: str, tmp_path: Path) -> None:
    out = tmp_path / "audit.json"
    proc = run_cli(
        "audit", "--spec", str(SPEC), "--dsn", b03_dsn, "--format", "json", "-o", str(out)
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["verdict"] == "FAIL"
    assert doc["summary"]["FAIL"] > 0


def test_fail_on_threshold_decides_the_exit_code(b03_dsn: str, tmp_path: Path) -> None:
    spec = tmp_path / "moderate.yaml"
    spec.write_text(
        "name: only moderate\ntables:\n  attribution_allocations:\n    columns:\n"
        "      event_id: {references: attribution_events(id), on_delete: SET NULL, severity: moderate}\n"
    )
    assert (
        run_cli(
            "audit", "--spec", str(spec), "--dsn", b03_dsn, "--fail-on", "moderate", "-q"
        ).returncode
        == 1
    )
    assert (
        run_cli(
            "audit", "--spec", str(spec), "--dsn", b03_dsn, "--fail-on", "high", "-q"
        ).returncode
        == 0
    )


def test_spec_naming_a_table_that_does_not_exist_is_a_fail_finding(
    b03_dsn: str, tmp_path: Path
) -> None:
    spec = tmp_path / "ghost.yaml"
    spec.write_text("name: ghost\ntables:\n  ghost_table:\n    columns:\n      id: {type: uuid}\n")
    proc = run_cli("audit", "--spec", str(spec), "--dsn", b03_dsn, "--format", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    status = {f["id"]: f["status"] for f in doc["findings"] if f["kind"] != "rule"}
    assert status == {
        "tables.ghost_table": "FAIL",
        "tables.ghost_table.columns.id": "NOT_APPLICABLE",
    }


def test_terminal_output_is_plain_when_not_a_tty(b03_dsn: str) -> None:
    proc = run_cli("audit", "--spec", str(SPEC), "--dsn", b03_dsn, "--top", "100")
    assert proc.returncode == 1
    assert "\x1b[" not in proc.stdout
    assert "verdict: FAIL" in proc.stdout
    assert "tables.tenants.columns.api_key_hash" in proc.stdout  # one problem per line


def test_validate_spec_and_version() -> None:
    proc = run_cli("validate-spec", str(SPEC))
    assert proc.returncode == 0 and "OK (" in proc.stdout
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("schema-audit ")


def test_spec_schema_is_valid_json_schema() -> None:
    from jsonschema import Draft202012Validator

    proc = run_cli("spec-schema")
    schema = json.loads(proc.stdout)
    Draft202012Validator.check_schema(schema)


def test_wrong_password_is_one_line_exit_2_and_never_echoed() -> None:
    """A cluster with real password authentication, and a DSN with the wrong password."""
    from schema_audit.sources.scratch_cluster import PgCluster

    with PgCluster(password="right-Secret-1") as cluster:
        good = run_cli("audit", "--spec", str(SPEC), "--dsn", cluster.dsn(), "-q")
        assert good.returncode == 1, (
            good.stderr
        )  # connects and audits (an empty database fails the spec)
        bad_dsn = cluster.dsn(password="wr0ng-Secret-2")
        proc = run_cli("audit", "--spec", str(SPEC), "--dsn", bad_dsn)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert 'password authentication failed for user "postgres"' in proc.stderr
    assert "wr0ng-Secret-2" not in proc.stderr + proc.stdout and ":***@127.0.0.1" in proc.stderr


def test_github_annotations_point_at_migration_lines_and_cannot_be_forged() -> None:
    from schema_audit.render.github import annotation

    proc = run_cli(
        "audit",
        "--spec",
        str(SPEC),
        "--migrations",
        "tests/fixtures/b03_alembic",
        "--format",
        "github",
        "--top",
        "100",
    )
    assert proc.returncode == 1
    tenants = [
        line
        for line in proc.stdout.splitlines()
        if "title=tables.tenants.columns.api_key_hash" in line
    ]
    assert tenants[0].startswith(
        "::error file=b03_alembic/versions/202511131115_add_core_tables.py,line=55,title="
    )
    assert proc.stdout.rstrip().endswith("schema-audit verdict: FAIL (41 failing at or above low)")
    forged = annotation("error", "a\n::error::forged", "t,i:tle", "f,ile", 3)
    assert (
        "\n" not in forged
        and forged == "::error file=f%2Cile,line=3,title=t%2Ci%3Atle::a%0A::error::forged"
    )


def test_pre_commit_hooks_and_ci_recipes_name_real_commands() -> None:
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {
        "schema-audit-lint-migrations",
        "schema-audit-validate-spec",
    }
    for hook in hooks:
        command = hook["entry"].split()[1]
        assert run_cli(command, "--help").returncode == 0
    for recipe in ("github-actions.yml", "gitlab-ci.yml"):
        text = (ROOT / "docs" / "ci" / recipe).read_text()
        yaml.safe_load(text)
        for line in text.splitlines():
            if "schema-audit audit" in line or "schema-audit lint-migrations" in line:
                args = line.split("schema-audit", 1)[1].split()
                assert run_cli(args[0], "--help").returncode == 0
                for option in (a for a in args if a.startswith("--")):
                    assert option in run_cli(args[0], "--help").stdout, option


def test_output_to_a_pipe_or_device_writes_into_it_never_replaces_it(tmp_path: Path) -> None:
    """`-o /dev/null` once replaced the device with a file (atomic rename, as root). A FIFO stands
    in for the device here: the audit must write through it and leave it a FIFO."""
    import stat
    import threading

    from b03 import FIXTURE

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    proc = run_cli("audit", "-s", str(SPEC), "-m", str(FIXTURE), "-f", "json", "-o", str(fifo))
    reader.join(timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and json.loads(received[0])["verdict"] == "FAIL"


def test_an_internal_error_is_one_line_exit_2_without_traceback_or_secret(tmp_path: Path) -> None:
    """The last line of defence in main(): a bug anywhere becomes one scrubbed line, exit 2."""
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\n")
    script = (
        "import sys\n"
        "import schema_audit.spec.load as load\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('bug while reading postgresql://app:hunter2@db/x')\n"
        "load.load_spec = boom\n"
        "from schema_audit.cli import main\n"
        f"sys.argv = ['schema-audit', 'audit', '-s', {str(spec)!r}, '--sql', {str(spec)!r}]\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SCHEMA_AUDIT_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert (
        "internal error: RuntimeError: bug while reading postgresql://app:***@db/x" in proc.stderr
    )
    assert "hunter2" not in proc.stderr + proc.stdout


def test_inspect_writes_the_whole_model_as_json(tmp_path: Path) -> None:
    """`inspect` is the model, every field of every object (the same document dataclasses.asdict gives)."""
    import dataclasses

    from b03 import FIXTURE

    from schema_audit.sources.alembic import load_alembic

    out = tmp_path / "model.json"
    proc = run_cli("inspect", "-m", str(FIXTURE), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["source"] == {
        "kind": "alembic",
        "target": str(FIXTURE),
        "layout": "alembic, 15 revisions",
    }
    expected = json.loads(json.dumps(dataclasses.asdict(load_alembic(FIXTURE))))
    assert doc["model"] == expected
    assert doc["model"]["tables"]["public.tenants"]["columns"]["id"]["type"] == "uuid"
    pretty = run_cli("inspect", "-m", str(FIXTURE), "--indent", "2")
    assert pretty.stdout.startswith('{\n  "model"') and json.loads(pretty.stdout) == doc
