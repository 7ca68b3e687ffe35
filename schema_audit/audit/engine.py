"""Judge every requirement of a spec against a model: one finding per requirement.

A requirement whose parent table or view is missing is NOT_APPLICABLE (one FAIL
for the table, not a cascade of FAILs for every column). Roll-ups (questions,
exit gates, categories, verdict) are not made here: :class:`AuditResult`
derives them from the final findings.
"""

from __future__ import annotations

from collections.abc import Callable

from schema_audit.audit import enums, indexes, relations, security, tables
from schema_audit.audit.context import AuditContext
from schema_audit.audit.findings import Finding, finding_for
from schema_audit.audit.result import AuditResult, Rollup, aggregate
from schema_audit.audit.strict import check_strict, check_strict_tables
from schema_audit.enums import Status
from schema_audit.model import SchemaModel
from schema_audit.spec.model import Requirement, Spec

Check = Callable[[Requirement, AuditContext], Finding]

__all__ = ["CHECKS", "AuditResult", "Rollup", "aggregate", "evaluate"]

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
    "enum": enums.check_enum,
}


def _parent_missing(req: Requirement, by_id: dict[str, Finding]) -> Finding | None:
    if req.parent is None:
        return None
    parent = by_id.get(req.parent)
    if (
        parent is not None
        and parent.status in (Status.FAIL, Status.DEFERRED)
        and any(d.property == "exists" for d in parent.diffs)
    ):
        return parent
    return None


def _orphan(req: Requirement, parent: Finding) -> Finding:
    """A requirement whose table is missing: NOT_APPLICABLE, or DEFERRED with it when the
    table's absence is itself undecided (an unapplied statement may create it)."""
    what = f"{parent.kind.replace('_', ' ')} {req.table}"
    if parent.status == Status.DEFERRED:
        return finding_for(
            req,
            Status.DEFERRED,
            f"{what} is not in the static model and its existence is DEFERRED, so this is too",
            evidence=parent.evidence,
        )
    return finding_for(req, Status.NOT_APPLICABLE, f"{what} does not exist, so this cannot apply")


class _Judged:
    """The findings so far, indexed once as they are made: by id (a child reads its parent's)
    and by (kind, table) (strict mode reads what the other requirements of a table matched)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.by_id: dict[str, Finding] = {}
        self.by_kind_table: dict[tuple[str, str | None], list[Finding]] = {}

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
        self.by_id[finding.id] = finding
        self.by_kind_table.setdefault((finding.kind, finding.table), []).append(finding)


def evaluate(
    spec: Spec,
    model: SchemaModel,
    source_kind: str,
    *,
    probe_findings: dict[str, Finding] | None = None,
) -> list[Finding]:
    """One finding per requirement of ``spec``, in spec order (strict ones last).

    Only the spec's own requirements: the source's findings, the rule pack, waivers,
    suppressions and the baseline are added by the one audit pipeline,
    :func:`schema_audit.api.audit_model`, which is what callers use.

    One pass over the requirements; every lookup a check makes (tables by name, findings
    by id, by kind and table, requirements by id) is a dictionary built once, so the
    cost is linear in the spec and the schema.
    """
    ctx = AuditContext.build(spec, model, source_kind)
    judged = _Judged()
    strict: list[Requirement] = []
    for req in spec.requirements:
        if req.kind in ("strict", "strict_tables"):
            strict.append(req)  # judged after every other requirement (below)
            continue
        parent = _parent_missing(req, judged.by_id)
        if parent is not None:
            finding = _orphan(req, parent)
        elif req.kind == "probe" and probe_findings and req.id in probe_findings:
            finding = probe_findings[req.id]
        else:
            finding = ctx.deferral(CHECKS[req.kind](req, ctx), req)
        judged.add(finding)
    requirements: dict[str, Requirement] = {}
    for req in spec.requirements:
        requirements.setdefault(req.id, req)  # the first of an id, as Spec.requirement finds it
    for req in strict:
        if req.kind == "strict":
            parent = _parent_missing(req, judged.by_id)
            finding = (
                ctx.deferral(check_strict(req, model, judged.by_kind_table, requirements), req)
                if parent is None
                else _orphan(req, parent)
            )
        else:
            finding = ctx.deferral(check_strict_tables(req, model, spec), req)
        judged.add(finding)
    return judged.findings
