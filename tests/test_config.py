"""Configuration files: defaults from schema-audit.toml or pyproject.toml; the command line wins."""

from __future__ import annotations

import subprocess
from pathlib import Path

from b03 import FIXTURE
from cli_runner import run_cli


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd)


def test_precedence_command_line_over_config_over_builtin(tmp_path: Path) -> None:
    spec = tmp_path / "moderate.yaml"
    spec.write_text(
        "name: only moderate\ntables:\n  attribution_allocations:\n    columns:\n"
        "      event_id: {references: attribution_events(id), on_delete: SET NULL, severity: moderate}\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-audit]\nspec = "{spec}"\nmigrations = "{FIXTURE}"\nfail-on = "high"\n'
    )
    assert (
        run(tmp_path, "audit", "-q").returncode == 0
    )  # spec, source and threshold from pyproject.toml
    assert (
        run(tmp_path, "audit", "-q", "--fail-on", "moderate").returncode == 1
    )  # the command line wins
    (tmp_path / "schema-audit.toml").write_text(
        f'spec = "{spec}"\nmigrations = "{FIXTURE}"\nfail-on = "low"\n'
    )
    assert (
        run(tmp_path, "audit", "-q").returncode == 1
    )  # schema-audit.toml is preferred over pyproject.toml
    shown = run(tmp_path, "config").stdout
    assert f"fail-on = low  ({tmp_path / 'schema-audit.toml'})" in shown
    assert "date: not set (no default" in shown
    assert "lock-timeout = 5000  (built-in default)" in shown  # the value, not only its origin
    assert "replay = false  (built-in default)" in shown


def test_a_typo_in_the_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "schema-audit.toml").write_text('fail_on = "high"\n')
    proc = run(tmp_path, "audit", "-q")
    assert proc.returncode == 2
    assert proc.stderr.startswith(
        f"schema-audit: {tmp_path / 'schema-audit.toml'}: unknown key 'fail_on' "
        "(did you mean 'fail-on'?)"
    )
    (tmp_path / "schema-audit.toml").write_text("spec = \n")
    proc = run(tmp_path, "config")
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr


def test_an_empty_value_in_the_config_is_refused_like_an_empty_option(tmp_path: Path) -> None:
    """``sql = ""`` read the current directory as a SQL history and ``output-dir = ""`` wrote
    the reports there; the same values on the command line are refused (exit 2)."""
    (tmp_path / "schema-audit.toml").write_text('fail-on = "high"\nsql = ""\n')
    proc = run(tmp_path, "audit", "-q")
    assert proc.returncode == 2
    assert proc.stderr == (
        f"schema-audit: {tmp_path / 'schema-audit.toml'}:2: sql: empty value; "
        "give one or leave the key out\n"
    )
    (tmp_path / "schema-audit.toml").unlink()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.schema-audit]\nschema = ["app", " "]\n'
    )
    proc = run(tmp_path, "config")
    assert proc.returncode == 2
    assert f"{tmp_path / 'pyproject.toml'}:5: schema: empty value" in proc.stderr
