"""``extends:`` merges requirement lists by identity, ``replace: true`` replaces, YAML merge
keys override as YAML defines, and ``validate-spec --explain`` says where each requirement
came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from b03 import FIXTURE
from cli_runner import run_cli

from schema_audit.sources.alembic import load_alembic
from schema_audit.spec.bootstrap import spec_from_model
from schema_audit.spec.load import SpecError, load_spec


@pytest.fixture(scope="module")
def init_text() -> str:
    return spec_from_model(load_alembic(FIXTURE), name="init", source="alembic b03")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_one_extra_index_over_an_init_spec_is_one_more_requirement(
    tmp_path: Path, init_text: str
) -> None:
    base = load_spec(_write(tmp_path, "base.yaml", init_text))
    child_path = _write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: child\ntables:\n  attribution_events:\n    indexes:\n"
        "      - columns: [session_id, occurred_at]\n",
    )
    child = load_spec(child_path)
    assert len(child.requirements) == len(base.requirements) + 1
    base_ids = [r.id for r in base.requirements]
    child_ids = [r.id for r in child.requirements]
    assert set(base_ids) < set(child_ids)
    added = child.requirement("tables.attribution_events.indexes.session_id+occurred_at")
    assert added is not None and added.location == f"{child_path}:6:9"
    kept = child.requirement("tables.attribution_events.indexes.idx_attribution_events_session_id")
    assert kept is not None and kept.location.startswith(str(tmp_path / "base.yaml"))


def test_same_name_refines_and_replace_true_replaces(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "base.yaml",
        "name: base\ntables:\n  t:\n    indexes:\n      - {name: a, columns: [x]}\n"
        "      - {columns: [y]}\n    policies:\n      - {name: p, using: 'x = 1'}\n"
        "  u:\n    indexes:\n      - {name: b, columns: [z]}\n",
    )
    child = load_spec(
        _write(
            tmp_path,
            "child.yaml",
            "extends: base.yaml\nname: c\ntables:\n  t:\n    indexes:\n"
            "      - {name: a, unique: true}\n      - {columns: [y]}\n      - {columns: [v]}\n"
            "  u:\n    replace: true\n    indexes:\n      - {name: c, columns: [w]}\n",
        )
    )
    by_id = {r.id: r for r in child.requirements}
    assert by_id["tables.t.indexes.a"].props == {"name": "a", "columns": ["x"], "unique": True}
    assert "tables.t.indexes.y" in by_id and "tables.t.policies.p" in by_id
    assert by_id["tables.t.indexes.y"].props == {"columns": ["y"]}  # same shape: one
    assert by_id["tables.t.indexes.v"].props == {"columns": ["v"]}  # new shape: added
    assert len([r for r in child.requirements if r.kind == "index"]) == 4
    assert "tables.u.indexes.b" not in by_id and "tables.u.indexes.c" in by_id


MERGE_KEYS = """\
name: merge keys
x-policy: &policy
  name: tenant_isolation_policy
  command: ALL
  using: tenant_id = 1
tables:
  attribution_events:
    policies:
      - <<: *policy
        using: tenant_id = current_setting('app.current_tenant_id')::uuid
"""


def test_yaml_merge_keys_with_overrides(tmp_path: Path) -> None:
    spec = load_spec(_write(tmp_path, "m.yaml", MERGE_KEYS))
    policy = spec.requirement("tables.attribution_events.policies.tenant_isolation_policy")
    assert policy is not None
    assert policy.props == {
        "name": "tenant_isolation_policy",
        "command": "ALL",
        "using": "tenant_id = current_setting('app.current_tenant_id')::uuid",
    }
    twice = MERGE_KEYS + "        using: tenant_id = 2\n"
    with pytest.raises(SpecError) as err:
        load_spec(_write(tmp_path, "twice.yaml", twice))
    assert "duplicate key" in str(err.value) and "twice.yaml:11" in str(err.value)


def test_validate_spec_explain_names_each_requirements_origin(
    tmp_path: Path, init_text: str
) -> None:
    _write(tmp_path, "base.yaml", init_text)
    child = _write(
        tmp_path,
        "child.yaml",
        "extends: base.yaml\nname: child\ntables:\n  attribution_events:\n    indexes:\n"
        "      - leading: [session_id]\n",
    )
    proc = run_cli("validate-spec", "--explain", str(child), env={"SCHEMA_AUDIT_CACHE": "0"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    added = [line for line in lines if "indexes.leading_session_id" in line]
    assert len(added) == 1 and f"{child}:6:9" in added[0]
    base_line = next(line for line in lines if line.startswith("tables.tenants "))
    assert str(tmp_path / "base.yaml") in base_line
