"""Spec composition: a company baseline extended by a phase spec; ${VAR} for schemas and roles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from b03 import FIXTURE
from cli_runner import run_cli

from schema_audit.spec.load import SpecError, load_spec

ROOT = Path(__file__).resolve().parent.parent
BASELINE = """name: Company baseline
categories:
  - {id: E, title: Privacy}
forbidden_columns:
  pii: {pattern: "(^|_)(email|phone)($|_)", category: E, severity: blocking}
tables:
  tenants:
    columns:
      id: {type: uuid, nullable: false}
questions:
  - {id: Privacy-1, category: E, title: No PII, requirements: [forbidden_columns.pii]}
"""
PHASE = """extends: baseline.yaml
vars:
  APP_SCHEMA: public
  APP_ROLE: null    # no default: given with --var APP_ROLE=… or SCHEMA_AUDIT_VAR_APP_ROLE
name: Phase B0.3 (production)
tables:
  tenants:
    columns:
      name: {type: varchar(255), nullable: false}
  ${APP_SCHEMA}.attribution_events:
    privileges:
      - {roles: ["${APP_ROLE}"], deny: [UPDATE, DELETE]}
questions:
  - {id: Imm-1, title: Immutable events, requirements: ["tables.*.privileges.*"]}
"""


def write(tmp_path: Path, baseline: str = BASELINE, phase: str = PHASE) -> Path:
    (tmp_path / "baseline.yaml").write_text(baseline)
    (tmp_path / "phase.yaml").write_text(phase)
    return tmp_path / "phase.yaml"


def test_extends_merges_and_concatenates_and_vars_substitute(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path), {"APP_ROLE": "app_rw"})
    ids = [r.id for r in spec.requirements]
    assert (
        "tables.tenants.columns.id" in ids and "tables.tenants.columns.name" in ids
    )  # merged mapping
    assert "forbidden_columns.pii" in ids
    assert [q.id for q in spec.questions] == ["Privacy-1", "Imm-1"]  # concatenated
    assert spec.name == "Phase B0.3 (production)"  # the phase wins
    privilege = spec.requirement("tables.attribution_events.privileges.deny_update_delete_0")
    assert privilege.props["roles"] == ["app_rw"]
    staging = load_spec(write(tmp_path), {"APP_ROLE": "app_rw", "APP_SCHEMA": "staging"})
    assert staging.requirement("tables.staging.attribution_events") is not None


def test_errors_point_into_the_file_they_are_in(tmp_path: Path) -> None:
    path = write(tmp_path, BASELINE.replace("nullable: false}", "nulable: false}"))
    with pytest.raises(SpecError) as info:
        load_spec(path, {"APP_ROLE": "x"})
    assert info.value.problems[0].startswith(f"{tmp_path / 'baseline.yaml'}:9:")
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path))  # APP_ROLE unset and no default
    assert info.value.problems == [
        f"{tmp_path / 'phase.yaml'}:12:18: variable ${{APP_ROLE}} has no value: give --var "
        "APP_ROLE=… or set SCHEMA_AUDIT_VAR_APP_ROLE (vars: declares it without a default)"
    ]
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\nname: x\n")
    with pytest.raises(SpecError, match="extends cycle: loop.yaml -> loop.yaml"):
        load_spec(tmp_path / "loop.yaml")
    (tmp_path / "orphan.yaml").write_text("extends: nowhere.yaml\nname: x\n")
    with pytest.raises(SpecError, match=r"orphan.yaml:1:10: extends 'nowhere.yaml': no such file"):
        load_spec(tmp_path / "orphan.yaml")


def test_var_on_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path)
    env = {k: v for k, v in os.environ.items() if "APP_ROLE" not in k}

    assert run_cli("validate-spec", str(path), base_env=env).returncode == 2
    env["APP_ROLE"] = "ambient"  # an ordinary environment variable is never read
    assert run_cli("validate-spec", str(path), base_env=env).returncode == 2
    env["SCHEMA_AUDIT_VAR_APP_ROLE"] = "app_rw"  # the prefixed one is
    assert run_cli("validate-spec", str(path), base_env=env).returncode == 0
    del env["SCHEMA_AUDIT_VAR_APP_ROLE"]
    assert (
        run_cli("validate-spec", str(path), "--var", "APP_ROLE=app_rw", base_env=env).returncode
        == 0
    )
    proc = run_cli(
        "audit",
        "-s",
        str(path),
        "--var",
        "APP_ROLE=app_rw",
        "-m",
        str(FIXTURE),
        "-f",
        "json",
        "--rules",
        "none",
        base_env=env,
    )
    assert proc.returncode == 0, proc.stdout[
        -500:
    ]  # the baseline and the phase hold for B0.3's migrations
    assert '"id": "forbidden_columns.pii"' in proc.stdout
    assert run_cli("validate-spec", str(path), "--var", "broken", base_env=env).returncode == 2
