"""Spec loading: positions in errors, did-you-mean, flattening into requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_audit.spec.load import SpecError, load_spec

ROOT = Path(__file__).resolve().parent.parent
B03 = ROOT / "specs" / "backend_guide_b03.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return info.value.problems


def test_unknown_key_names_file_line_column_path_and_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: t\ntables:\n  tenants:\n    columns:\n      id: {type: uuid, nulable: false}\n",
    )
    [line] = problems(path)
    assert line == (
        f"{path}:5:24: tables.tenants.columns.id.nulable: unknown key 'nulable' (did you mean 'nullable'?)"
    )


def test_every_problem_is_reported_once_with_its_own_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: t\ntables:\n  t:\n    indexes:\n      - columns: [a]\n        uniqe: true\n"
        "  u:\n    severity: critical\n",
    )
    found = problems(path)
    assert found == [
        f"{path}:6:9: tables.t.indexes[0].uniqe: unknown key 'uniqe' (did you mean 'unique'?)",
        f"{path}:8:5: tables.u.severity: 'critical' is not one of 'blocking', 'high', 'moderate', 'low', 'info'",
    ]


def test_wrong_value_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\ntables:\n  t:\n    columns:\n      a: {nullable: 'no'}\n")
    [line] = problems(path)
    assert line.endswith("tables.t.columns.a.nullable: expected boolean, got string")
    assert line.startswith(f"{path}:5:")


def test_yaml_syntax_error_has_position(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\ntables: [a,\n")
    [line] = problems(path)
    assert line.startswith(f"{path}:3:1: YAML syntax error")


def test_missing_spec_file(tmp_path: Path) -> None:
    [line] = problems(tmp_path / "nope.yaml")
    assert line == f"{tmp_path / 'nope.yaml'}: spec file not found"


def test_missing_required_name(tmp_path: Path) -> None:
    [line] = problems(write(tmp_path, "tables: {}\n"))
    assert "missing required key 'name'" in line


def test_question_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: t\ntables:\n  tenants: {}\nquestions:\n  - id: Q1\n    requirements: [tables.tenant]\n",
    )
    [line] = problems(path)
    assert line == (
        f"{path}:6:20: questions[0] (Q1): 'tables.tenant' matches no requirement "
        "(did you mean 'tables.tenants'?)"
    )


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    [line] = problems(write(tmp_path, "name: t\nname: u\n"))
    assert line == f"{tmp_path / 'spec.yaml'}:2:1: duplicate key 'name'"


def test_flattening_ids_inheritance_and_shorthand_fk(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """name: t
defaults: {severity: moderate}
tables:
  events:
    severity: blocking
    category: A
    columns:
      tenant_id: {type: uuid, references: tenants(id), on_delete: CASCADE, category: C}
    indexes:
      - columns: [tenant_id, occurred_at DESC]
      - name: idx_x
        columns: [a]
        severity: low
  other: {}
""",
    )
    spec = load_spec(path)
    ids = [r.id for r in spec.requirements]
    assert ids == [
        "tables.events",
        "tables.events.columns.tenant_id",
        "tables.events.foreign_keys.tenant_id",
        "tables.events.indexes.tenant_id+occurred_at",
        "tables.events.indexes.idx_x",
        "tables.other",
    ]
    by_id = {r.id: r for r in spec.requirements}
    assert by_id["tables.events.columns.tenant_id"].severity == "blocking"  # from the table
    assert by_id["tables.events.columns.tenant_id"].category == "C"
    assert by_id["tables.events.foreign_keys.tenant_id"].props["on_delete"] == "CASCADE"
    assert by_id["tables.events.indexes.idx_x"].severity == "low"
    assert by_id["tables.other"].severity == "moderate"  # from defaults
    assert by_id["tables.events.indexes.idx_x"].location == f"{path}:11:9"


def test_b03_spec_loads_and_maps_every_question() -> None:
    spec = load_spec(B03)
    assert spec.name.startswith("Backend Guide B0.3")
    assert len(spec.questions) >= 40
    for question in spec.questions:
        assert question.requirement_ids, question.id
    policy = spec.requirement("tables.revenue_ledger.policies.tenant_isolation_policy")
    assert policy is not None
    assert policy.props["using"] == "tenant_id = current_setting('app.current_tenant_id')::uuid"
    assert policy.severity == "blocking"
    assert "Billy C-02" in policy.questions and "Alex C1" in policy.questions
    assert len(spec.exit_gates) == 9


def test_checked_in_json_schema_is_current_and_validates_every_shipped_spec() -> None:
    import json

    import yaml
    from jsonschema import Draft202012Validator

    from schema_audit.spec.schema import SPEC_SCHEMA

    checked_in = json.loads((ROOT / "specs" / "spec.schema.json").read_text())
    assert checked_in == SPEC_SCHEMA, (
        "specs/spec.schema.json is stale: schema-audit spec-schema > specs/spec.schema.json"
    )
    validator = Draft202012Validator(checked_in)
    shipped = sorted((ROOT / "specs").glob("*.yaml")) + sorted(
        (ROOT / "tests" / "fixtures").glob("*spec*.yaml")
    )
    assert shipped
    for path in shipped:
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path
    broken = yaml.safe_load((ROOT / "specs" / "backend_guide_b03.yaml").read_text())
    broken["tables"]["tenants"]["columns"]["id"]["nulable"] = False
    assert any("nulable" in e.message for e in validator.iter_errors(broken))


def test_a_valid_spec_is_cached_by_content_and_gives_the_same_spec(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Composing and validating a large spec is slow; an unchanged valid one comes from the cache
    (JSON), identical to a fresh load. Edits, ${VAR}s, extends: and invalid specs never do."""
    import dataclasses
    import json

    from schema_audit.spec import load as load_module

    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        (Path(__file__).resolve().parent.parent / "specs" / "backend_guide_b03.yaml").read_text()
    )
    fresh = load_module.load_spec(spec)
    calls: list[Path] = []
    real = load_module.compose_yaml
    monkeypatch.setattr(
        load_module, "compose_yaml", lambda text, file: calls.append(Path(file)) or real(text, file)
    )
    cached = load_module.load_spec(spec)
    assert calls == []  # neither parsed nor validated again
    as_json = lambda s: json.dumps(dataclasses.asdict(s), sort_keys=True, default=str)  # noqa: E731
    assert as_json(cached) == as_json(fresh)
    spec.write_text(spec.read_text().replace("name: ", "name: Edited ", 1))
    assert load_module.load_spec(spec).name.startswith("Edited") and calls == [spec]
    variables = tmp_path / "vars.yaml"
    variables.write_text("name: ${WHO}\n")
    load_module.load_spec(variables, {"WHO": "a"})
    assert load_module.load_spec(variables, {"WHO": "b"}).name == "b"
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\ntables:\n  t:\n    colums: {}\n")
    for _ in range(2):
        with pytest.raises(SpecError):
            load_module.load_spec(broken)
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    calls.clear()
    load_module.load_spec(spec)
    assert calls == [spec]


OWN_KEYS_SPEC = """\
name: own keys
defaults: {severity: high, category: base}
tables:
  t:
    columns:
      a: {type: text, severity: low, category: c1, impact: big, description: d, questions: [q2]}
      b: {type: text, id: custom.b}
      c: {type: text}
    indexes:
    - {columns: [c], severity: moderate}
    - columns: [a]
questions:
- {id: q1, requirements: [tables.t.columns.c]}
- {id: q2, requirements: [tables.t.indexes.*]}
"""


def test_requirements_take_their_own_keys_or_the_defaults(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Building skips the per-key lookups for props that set none of id, severity, category,
    impact, description or questions (most of init's): both kinds come out as before, and a
    repeated id is still an error wherever it comes from."""
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(OWN_KEYS_SPEC)
    spec = load_spec(spec_file)
    by_id = {r.id: r for r in spec.requirements}
    a = by_id["tables.t.columns.a"]
    assert (a.severity, a.category, a.impact, a.description) == ("low", "c1", "big", "d")
    assert a.questions == ["q2"]
    assert "custom.b" in by_id and "tables.t.columns.b" not in by_id
    c = by_id["tables.t.columns.c"]
    assert (c.severity, c.category, c.impact, c.description, c.parent) == (
        "high",
        "base",
        None,
        None,
        "tables.t",
    )
    assert c.questions == ["q1"] and c.location == f"{spec_file}:8:7"
    indexes = [r for r in spec.requirements if r.kind == "index"]
    assert [r.severity for r in indexes] == ["moderate", "high"]
    assert [r.questions for r in indexes] == [["q2"], ["q2"]]
    q2 = next(q for q in spec.questions if q.id == "q2")
    assert q2.requirement_ids == [r.id for r in indexes] + ["tables.t.columns.a"]
    spec_file.write_text(OWN_KEYS_SPEC.replace("c: {type: text}", "c: {type: text, id: custom.b}"))
    with pytest.raises(SpecError) as caught:
        load_spec(spec_file)
    assert (
        f"{spec_file}:8:7: duplicate requirement id 'custom.b' (first at {spec_file}:7:7)"
        in str(caught.value)
    )


def test_a_block_spec_is_read_line_by_line_not_from_the_cache(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Block YAML as init writes it is read faster line by line (spec.blockread) than its
    cached document (a position per key) loads: with the cache on it is neither looked up
    nor written, and the spec is the one loaded with the cache off."""
    from schema_audit import cache
    from schema_audit.spec import load as load_module

    monkeypatch.setenv("SCHEMA_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: block\ntables:\n  t:\n    owner: app\n    columns:\n"
        "      id: {type: bigint, nullable: false}\n      note: {type: text, nullable: true}\n"
        "    indexes:\n    - name: t_note_idx\n      columns: [note]\n"
    )
    assert load_module.read_block(spec.read_text(), str(spec), 10**6, 100) is not None
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "0")
    own = load_module.load_spec(spec)
    monkeypatch.setenv("SCHEMA_AUDIT_CACHE", "1")
    used: list[str] = []
    for name in ("read", "write"):
        real = getattr(cache, name)
        monkeypatch.setattr(
            cache, name, lambda *args, real=real, name=name: used.append(name) or real(*args)
        )
    for _ in range(2):
        loaded = load_module.load_spec(spec)
        assert loaded == own and loaded.requirements == own.requirements
        assert [r.location for r in loaded.requirements] == [r.location for r in own.requirements]
    assert used == []
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.json"))
