"""A finding never changes once made: later stages (waivers, deferral, baseline) make new ones.

The roll-ups of an :class:`AuditResult` and every earlier stage of the pipeline hold
findings; one changed in place under them could make a question disagree with the
finding it cites (issue 12).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from schema_audit.api import audit_model
from schema_audit.audit.findings import Diff, Evidence, Finding
from schema_audit.audit.waivers import apply_waivers
from schema_audit.sources.ddl import interpret
from schema_audit.spec.load import load_spec


def _finding() -> Finding:
    return Finding(
        id="tables.t.columns.c",
        kind="column",
        table="t",
        name="c",
        status="FAIL",
        severity="high",
        message="column t.c does not exist",
        diffs=[Diff("exists", True, False)],
        evidence=[Evidence(source="migration", file="001.sql", line=1)],
    )


def test_a_finding_and_its_parts_cannot_be_changed() -> None:
    finding = _finding()
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.status = "PASS"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.evidence[0].note = "changed"  # type: ignore[misc]
    with pytest.raises(AttributeError):  # stored as a tuple: no append
        finding.diffs.append(Diff("type", "int", "text"))  # type: ignore[attr-defined]
    # the JSON shape is unchanged: lists, and evidence without its unset fields
    assert finding.to_json()["diffs"] == [{"property": "exists", "expected": True, "actual": False}]
    assert finding.to_json()["evidence"] == [{"source": "migration", "file": "001.sql", "line": 1}]


def test_a_waiver_makes_a_new_finding_and_leaves_the_judged_one_alone(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: w\ntables:\n  t:\n    columns: {c: {}}\n"
        "waivers:\n  - {requirement: tables.t.columns.c, reason: later}\n"
    )
    spec = load_spec(path)
    judged = _finding()
    waived = apply_waivers(spec, [judged], "2026-01-01")
    assert [f.status for f in waived] == ["WAIVED"]
    assert waived[0].evidence[-1].note == "waiver: later"
    assert judged.status == "FAIL" and len(judged.evidence) == 1  # untouched


def test_the_audit_result_holds_the_waived_findings(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "name: w\ntables:\n  t:\n    columns: {c: {}}\n"
        "waivers:\n  - {requirement: tables.t.columns.c, reason: later}\n"
    )
    result = audit_model(
        load_spec(path), interpret("CREATE TABLE t (id int);"), "sql", rules="none"
    )
    assert result.finding("tables.t.columns.c").status == "WAIVED"  # type: ignore[union-attr]
    assert result.summary["WAIVED"] == 1 and result.summary["FAIL"] == 0


def test_findings_built_for_requirements_are_the_frozen_findings_the_class_makes() -> None:
    """finding_for builds through an unfrozen twin (a frozen __init__ is 6-10× slower): the
    result must be a Finding like any other — equal, same hash, tuples, and frozen."""
    from schema_audit.audit.findings import finding_for, new_evidence
    from schema_audit.spec.model import Requirement

    req = Requirement(
        id="tables.t.columns.c",
        kind="column",
        schema="public",
        table="t",
        name="c",
        severity="high",
        category="A",
        props={},
        at="spec.yaml:3:5",
        impact="why",
        questions=["q1"],
    )
    evidence = [new_evidence("migration", "001.sql", 1, None, None, None)]
    made = finding_for(
        req,
        "FAIL",
        "column t.c does not exist",
        diffs=[Diff("exists", True, False)],
        evidence=evidence,
    )
    expected = dataclasses.replace(_finding(), questions=["q1"], category="A", impact="why")
    expected = dataclasses.replace(expected, spec_location="spec.yaml:3:5")
    assert type(made) is Finding and type(made.evidence[0]) is Evidence
    assert made == expected and hash(made) == hash(expected)
    assert made.evidence[0] == Evidence(source="migration", file="001.sql", line=1)
    assert all(
        type(getattr(made, n)) is tuple for n in ("diffs", "instead", "evidence", "questions")
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = "PASS"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.evidence[0].note = "changed"  # type: ignore[misc]
