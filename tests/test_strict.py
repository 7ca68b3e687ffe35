"""Strict mode: anything the spec does not account for is a finding, with an allowlist."""

from __future__ import annotations

from pathlib import Path

from schema_audit.api import audit_model
from schema_audit.sources.ddl import interpret
from schema_audit.spec.load import load_spec

SCHEMA = """
CREATE ROLE app; CREATE ROLE reporting;
CREATE TABLE t (id int PRIMARY KEY, tenant_id uuid NOT NULL, note text);
CREATE INDEX t_tenant ON t (tenant_id);
CREATE INDEX t_note ON t (note);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant ON t USING (tenant_id = current_setting('app.t')::uuid);
CREATE POLICY everyone ON t FOR SELECT USING (true);
GRANT SELECT, INSERT ON t TO app;
GRANT SELECT ON t TO reporting;
CREATE TABLE stray (id int);
"""
SPEC = """name: strict
strict: {tables: true}
tables:
  t:
    exactly: [policies, privileges, indexes, columns]
    columns: {id: {}, tenant_id: {}, note: {}}
    indexes:
      - {columns: [tenant_id]}
    policies:
      - {name: tenant}
    privileges:
      - {roles: [app], grant: [SELECT, INSERT]}
"""


def audit(tmp_path: Path, spec_text: str) -> dict[str, tuple[str, str]]:
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text)
    result = audit_model(load_spec(path), interpret(SCHEMA), "sql", rules="none")
    return {f.id: (f.status, f.message) for f in result.findings}


def test_extras_are_findings(tmp_path: Path) -> None:
    got = audit(tmp_path, SPEC)
    assert got["tables.t.exactly.policies"] == (
        "FAIL",
        "t has policies the spec does not require: everyone",
    )
    assert got["tables.t.exactly.privileges"] == (
        "FAIL",
        "t has privileges the spec does not require: reporting SELECT",
    )
    assert got["tables.t.exactly.indexes"] == (
        "FAIL",
        "t has indexes the spec does not require: t_note",
    )
    assert got["tables.t.exactly.columns"][0] == "PASS"
    assert got["strict.tables"] == ("FAIL", "tables the spec does not require: public.stray")


def test_allowlists_accept_known_extras(tmp_path: Path) -> None:
    allowed = SPEC.replace(
        "strict: {tables: true}", "strict: {tables: true, allow: [stray]}"
    ).replace(
        "    exactly: [policies, privileges, indexes, columns]",
        "    exactly: [policies, privileges, indexes, columns]\n    allow: [everyone, reporting, t_note]",
    )
    got = audit(tmp_path, allowed)
    assert {k: v[0] for k, v in got.items() if "exactly" in k or k.startswith("strict")} == {
        "tables.t.exactly.policies": "PASS",
        "tables.t.exactly.privileges": "PASS",
        "tables.t.exactly.indexes": "PASS",
        "tables.t.exactly.columns": "PASS",
        "strict.tables": "PASS",
    }


def test_strict_on_a_missing_table_is_not_applicable(tmp_path: Path) -> None:
    got = audit(tmp_path, "name: s\ntables:\n  ghost:\n    exactly: [policies]\n")
    assert (
        got["tables.ghost"][0] == "FAIL"
        and got["tables.ghost.exactly.policies"][0] == "NOT_APPLICABLE"
    )


def test_strict_on_a_missing_table_is_reported_once(tmp_path: Path) -> None:
    # it was judged twice (as an orphan in spec order and again in the strict pass): the
    # same id twice in every report and in the counts
    path = tmp_path / "spec.yaml"
    path.write_text("name: s\ntables:\n  ghost:\n    exactly: [columns]\n  t: {}\n")
    result = audit_model(load_spec(path), interpret(SCHEMA), "sql", rules="none")
    ids = [f.id for f in result.findings]
    assert ids.count("tables.ghost.exactly.columns") == 1
    assert ids[-1] == "tables.ghost.exactly.columns"  # strict requirements are judged last
    assert result.summary["NOT_APPLICABLE"] == 1
