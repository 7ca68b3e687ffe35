"""Run every requirement of a spec against a model and roll findings up.

Roll-ups: the summary counts, the verdict at a ``--fail-on`` threshold, each
reviewer question's answer and each exit gate's status. A requirement whose
parent table or view is missing is NOT_APPLICABLE (one FAIL for the table, not
a cascade of FAILs for every column).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from schema_audit.audit import indexes, relations, security, tables
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import STATUSES, Finding, at_or_above, finding_for
from schema_audit.audit.strict import check_strict, check_strict_tables
from schema_audit.audit.waivers import apply_waivers
from schema_audit.model import SchemaModel, qualify
from schema_audit.spec.model import Requirement, Spec

Check = Callable[[Requirement, AuditContext], Finding]

CHECKS: dict[str, Check] = {
    "table": tables.check_table,
    "absent_table": tables.check_absent_table,
    "column": tables.check_column,
    "primary_key": tables.check_primary_key,
    "unique": tables.check_unique,
    "check": tables.check_check,
    "foreign_key": tables.check_foreign_key,
    "index": indexes.check_index,
    "rls": security.check_rls,
    "policy": security.check_policy,
    "trigger": security.check_trigger,
    "privilege": security.check_privilege,
    "view": relations.check_view,
    "materialized_view": relations.check_view,
    "function": relations.check_function,
    "forbidden_column": relations.check_forbidden_column,
    "probe": relations.check_probe,
}


@dataclass(slots=True)
class Rollup:
    """A question's or exit gate's answer, derived from its findings."""

    id: str
    title: str
    status: str
    findings: list[str]
    category: str | None = None
    question: str | None = None
    note: str | None = None
    migrations: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AuditResult:
    spec: Spec
    model: SchemaModel
    source_kind: str
    source_target: str
    findings: list[Finding]
    questions: list[Rollup]
    exit_gates: list[Rollup]
    fail_on: str = "low"

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for f in self.findings:
            counts[f.status] += 1
        return counts

    @property
    def failing(self) -> list[Finding]:
        return [
            f for f in self.findings if f.status == "FAIL" and at_or_above(f.severity, self.fail_on)
        ]

    @property
    def verdict(self) -> str:
        return "FAIL" if self.failing else "PASS"

    def finding(self, fid: str) -> Finding | None:
        for f in self.findings:
            if f.id == fid:
                return f
        return None


def aggregate(statuses: list[str]) -> str:
    """One answer for many findings; a requirement that cannot apply counts as unmet."""
    if not statuses:
        return "NOT_APPLICABLE"
    if any(s in ("FAIL", "NOT_APPLICABLE") for s in statuses):
        return "FAIL"
    for status in ("PARTIAL", "DEFERRED"):
        if status in statuses:
            return status
    return "PASS"


def _parent_missing(req: Requirement, by_id: dict[str, Finding]) -> Finding | None:
    if req.parent is None:
        return None
    parent = by_id.get(req.parent)
    if (
        parent is not None
        and parent.status == "FAIL"
        and any(d.property == "exists" for d in parent.diffs)
    ):
        return parent
    return None


def run(
    spec: Spec,
    model: SchemaModel,
    source_kind: str,
    source_target: str = "",
    *,
    fail_on: str = "low",
    extra_findings: list[Finding] | None = None,
    probe_findings: dict[str, Finding] | None = None,
    as_of: str | None = None,
) -> AuditResult:
    """Audit ``model`` against ``spec``; ``as_of`` (YYYY-MM-DD) decides which waivers have expired."""
    ctx = AuditContext.build(spec, model, source_kind)
    findings: list[Finding] = []
    by_id: dict[str, Finding] = {}
    for req in spec.requirements:
        parent = _parent_missing(req, by_id)
        if parent is not None:
            finding = finding_for(
                req,
                "NOT_APPLICABLE",
                f"{parent.kind.replace('_', ' ')} {req.table} does not exist, so this cannot apply",
            )
        elif req.kind in ("strict", "strict_tables"):
            continue  # judged after every other requirement (below)
        elif req.kind == "probe" and probe_findings and req.id in probe_findings:
            finding = probe_findings[req.id]
        else:
            finding = CHECKS[req.kind](req, ctx)
            if req.table and req.kind != "absent_table":
                finding = ctx.deferral(finding, qualify(req.schema, req.table))
        findings.append(finding)
        by_id[finding.id] = finding
    for req in spec.requirements:
        if req.kind == "strict":
            parent = _parent_missing(req, by_id)
            finding = (
                check_strict(req, model, findings, spec)
                if parent is None
                else finding_for(
                    req, "NOT_APPLICABLE", f"table {req.table} does not exist, so this cannot apply"
                )
            )
        elif req.kind == "strict_tables":
            finding = check_strict_tables(req, model, spec)
        else:
            continue
        findings.append(finding)
        by_id[finding.id] = finding
    findings.extend(extra_findings or [])
    by_id.update({f.id: f for f in extra_findings or []})
    if spec.waivers:
        waiver_findings = apply_waivers(
            spec, findings, as_of or spec.date or datetime.date.today().isoformat()
        )
        findings.extend(waiver_findings)

    questions = [
        Rollup(
            id=q.id,
            title=q.title,
            status=aggregate([by_id[r].status for r in q.requirement_ids if r in by_id]),
            findings=list(q.requirement_ids),
            category=q.category,
            question=q.question,
            note=q.note,
        )
        for q in spec.questions
    ]
    gates = []
    for gate in spec.exit_gates:
        gate_findings = [by_id[r] for r in gate.requirement_ids if r in by_id]
        files: list[str] = []
        for f in gate_findings:
            if f.status not in ("PASS", "PARTIAL", "WAIVED"):
                continue  # a gap has no implementing migration to name
            for ev in f.evidence:
                # For tables and columns, the migration that created them implements the criterion.
                if f.kind in ("table", "column") and ev.note not in (None, "created"):
                    continue
                if ev.source == "migration" and ev.file and ev.file not in files:
                    files.append(ev.file)
        gates.append(
            Rollup(
                id=gate.criterion,
                title=gate.criterion,
                status=aggregate([f.status for f in gate_findings]),
                findings=list(gate.requirement_ids),
                migrations=files,
            )
        )
    return AuditResult(spec, model, source_kind, source_target, findings, questions, gates, fail_on)
