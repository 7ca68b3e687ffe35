"""Per-rule configuration (spec ``rules:`` and ``--rule``) and ``primary_key: required``.

Any rule can gate a pipeline at any level: turned off, turned on alone, or re-graded.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cli_runner import run_cli

from schema_audit.api import audit
from schema_audit.spec.load import SpecError, load_spec

SCHEMA = """\
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent(id), note text);
CREATE INDEX child_note ON child (note);
CREATE INDEX child_note_id ON child (note, id);
CREATE TABLE loose (note text);
"""


def _run(tmp_path: Path, spec_text: str, **kwargs):  # type: ignore[no-untyped-def]
    sql = tmp_path / "schema.sql"
    sql.write_text(SCHEMA)
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text)
    return audit(load_spec(spec), sql=sql, **kwargs)


def _rules(result) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        f.id.split(".")[1]: f.severity
        for f in result.findings
        if f.id.startswith("rules.") and f.status == "FAIL"
    }


def test_rules_turned_off_on_alone_and_regraded(tmp_path: Path) -> None:
    plain = _rules(_run(tmp_path, "name: s\n"))
    assert plain == {"PERF001": "moderate", "PERF002": "low", "SCH001": "moderate"}
    configured = _run(
        tmp_path, "name: s\nrules:\n  SCH001: {severity: high}\n  PERF002: off\n", fail_on="high"
    )
    assert _rules(configured) == {"PERF001": "moderate", "SCH001": "high"}
    assert configured.verdict == "FAIL"  # SCH001 now gates a --fail-on high pipeline
    alone = _run(tmp_path, "name: s\nrules:\n  groups: [security]\n  SCH001: blocking\n")
    assert _rules(alone) == {"SCH001": "blocking"}


def test_an_unknown_rule_id_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\nrules:\n  SCH010: off\n")
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    assert "spec.yaml:3" in str(err.value) and "SCH010" in str(err.value)


def test_cli_rule_option_regrades_and_rejects_unknown_rules(tmp_path: Path) -> None:
    sql = tmp_path / "schema.sql"
    sql.write_text(SCHEMA)
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: s\n")

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return run_cli(
            *["audit", "-s", spec, "--sql", sql, "--fail-on", "blocking", "-q", *extra],
            env={"SCHEMA_AUDIT_CACHE": "0"},
        )

    assert run().returncode == 0
    assert run("--rule", "SCH001=blocking").returncode == 1
    assert run("--rule", "SCH001=blocking", "--rule", "SCH001=off").returncode == 0
    bad = run("--rule", "SCH999=high")
    assert bad.returncode == 2 and "SCH999" in bad.stderr and "Traceback" not in bad.stderr


def test_primary_key_required_without_columns(tmp_path: Path) -> None:
    spec = (
        "name: s\ntables:\n  child: {primary_key: required}\n  loose: {primary_key: required}\n"
        "match:\n  every_table:\n    select: {}\n    require: {primary_key: required}\n"
    )
    result = _run(tmp_path, spec, rules="none")
    status = {f.id: f.status for f in result.findings}
    assert status["tables.child.primary_key"] == "PASS"
    assert status["tables.loose.primary_key"] == "FAIL"
    assert status["match.every_table.public.parent.primary_key"] == "PASS"
    assert "match.every_table.public.loose.primary_key" not in status  # the table's own entry
