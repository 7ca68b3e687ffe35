"""Findings: what the audit says about each requirement, in the JSON-contract shape."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from schema_audit.enums import Severity, Status

# The enums' values, for code that iterates or ranks plain strings (schema_audit.enums defines them).
STATUSES = tuple(s.value for s in Status)
SEVERITIES = tuple(s.value for s in Severity)
SEVERITY_RANK = {s.value: s.rank for s in Severity}  # blocking=5 … info=1
STATUS_RANK = {s.value: s.rank for s in Status}  # worst first when sorting findings for people


def show(value: Any) -> str:
    """A diff value for people: SQL-ish words, never a Python repr (None, True, ['a'])."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "(" + ", ".join(show(v) for v in items) + ")"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {show(v)}" for k, v in value.items())
    return str(value)


@dataclass(slots=True)
class Diff:
    property: str
    expected: Any
    actual: Any


@dataclass(slots=True)
class Candidate:
    """Something that exists instead of what the spec asked for, and why we think so."""

    kind: str
    name: str
    why: str
    ddl: str | None = None


@dataclass(slots=True)
class Evidence:
    source: str  # catalog | migration | probe | spec
    file: str | None = None
    line: int | None = None
    revision: str | None = None
    sql: str | None = None
    note: str | None = None


@dataclass(slots=True)
class Finding:
    id: str
    kind: str
    table: str | None
    name: str | None
    status: str
    severity: str
    message: str
    diffs: list[Diff] = field(default_factory=list)
    instead: list[Candidate] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    category: str | None = None
    impact: str | None = None
    spec_location: str | None = None
    ddl: str | None = None  # CREATE statement of what exists (for the report)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["evidence"] = [{k: v for k, v in e.items() if v is not None} for e in out["evidence"]]
        out["instead"] = [{k: v for k, v in c.items() if v is not None} for c in out["instead"]]
        return out


def missing(prop: str = "exists") -> Diff:
    """The canonical diff of an object that should exist and does not."""
    return Diff(prop, True, False)


def sort_key(finding: Finding) -> tuple:
    return (STATUS_RANK[finding.status], -SEVERITY_RANK[finding.severity], finding.id)


def at_or_above(severity: str, threshold: str) -> bool:
    return Severity(severity).at_or_above(threshold)


def finding_for(
    req: Any,
    status: str,
    message: str,
    *,
    diffs: list[Diff] | None = None,
    evidence: list[Evidence] | None = None,
    instead: list[Candidate] | None = None,
    ddl: str | None = None,
    name: str | None = None,
) -> Finding:
    """A finding about a spec requirement, inheriting its id, severity, category and questions."""
    return Finding(
        id=req.id,
        kind=req.kind,
        table=req.table,
        name=name if name is not None else (req.name or req.table),
        status=status,
        severity=req.severity,
        message=message,
        diffs=diffs or [],
        instead=instead or [],
        evidence=evidence or [],
        questions=list(req.questions),
        category=req.category,
        impact=req.impact,
        spec_location=req.location,
        ddl=ddl,
    )
