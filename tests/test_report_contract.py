"""The JSON report is a contract: versioned, described by a checked-in JSON Schema (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from b03 import FIXTURE, SPEC
from jsonschema import Draft202012Validator

from schema_audit import audit
from schema_audit.audit.baseline import write_baseline
from schema_audit.render import json_report

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = Draft202012Validator(json.loads(json_report.SCHEMA_PATH.read_text()))

HISTORY = """CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE notes (id int, tenant_id uuid REFERENCES tenants (id), body text);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
DO $$ BEGIN EXECUTE format('CREATE INDEX %I ON notes (body)', current_setting('app.ix')); END $$;
SELECT broken syntax here (;
"""
SPEC_TEXT = """name: contract
date: "2026-01-01"
categories:
  - {id: A, title: Tables}
questions:
  - {id: Q1, category: A, title: Notes, question: Are notes there?, requirements: ["tables.notes*"]}
exit_gates:
  - {criterion: Notes exist, requirements: [tables.notes]}
waivers:
  - {requirement: "tables.tenants.columns.slug", reason: later, expires: "2027-01-01"}
tables:
  tenants:
    columns:
      slug: {type: text}
  notes:
    primary_key: [id]
    indexes:
      - {columns: [body]}
"""


def _errors(document: dict) -> list[str]:  # type: ignore[type-arg]
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(document)
    ]


def test_the_schema_is_itself_valid() -> None:
    Draft202012Validator.check_schema(json.loads(json_report.SCHEMA_PATH.read_text()))


def test_b03_and_the_checked_in_report_follow_the_schema() -> None:
    document = json_report.to_document(audit(SPEC, migrations=FIXTURE))
    assert _errors(document) == []
    assert document["format_version"] == json_report.FORMAT_VERSION
    assert [c["id"] for c in document["categories"]][:3] == ["A", "B", "C"]
    checked_in = json.loads((ROOT / "reports" / "b03_forensic_report.json").read_text())
    assert _errors(checked_in) == []


@pytest.mark.parametrize("with_baseline", [False, True])
def test_waivers_deferrals_syntax_errors_and_baselines_follow_the_schema(
    tmp_path: Path, with_baseline: bool
) -> None:
    history = tmp_path / "sql"
    history.mkdir()
    (history / "001_init.sql").write_text(HISTORY)
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC_TEXT)
    baseline = None
    if with_baseline:
        baseline = tmp_path / "baseline.json"
        write_baseline(audit(spec, sql=history).findings, baseline)
    result = audit(spec, sql=history, baseline=baseline)
    document = json.loads(json_report.render(result))
    assert _errors(document) == []
    statuses = {f["status"] for f in document["findings"]}
    if with_baseline:
        assert statuses <= {"PASS", "WAIVED"}
    else:
        assert {"FAIL", "WAIVED", "DEFERRED"} <= statuses
        assert document["unapplied_statements"]
    # every category the report names adds up what the result says
    assert [c["id"] for c in document["categories"]] == [c.id for c in result.categories]


def test_a_report_that_breaks_the_contract_is_caught() -> None:
    document = json_report.to_document(audit(SPEC, migrations=FIXTURE))
    document["findings"][0]["status"] = "OK"
    del document["format_version"]
    errors = _errors(document)
    assert any("findings/0/status" in e for e in errors)
    assert any("format_version" in e for e in errors)
