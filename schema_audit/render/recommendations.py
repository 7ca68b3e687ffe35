"""Final recommendations, generated from the findings rather than typed by hand.

Grouped as the seed review groups them: Critical path (blocking), High, and
Medium (moderate and low). The action for a failing requirement comes from its kind
(``schema_audit/kinds/``, from the finding's structured diffs, never its message
text). Related findings are merged into one action
("Add missing columns to attribution_events via a new migration: event_type,
channel, processing_status") so the list reads like a work plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schema_audit.audit.findings import Finding
from schema_audit.audit.result import AuditResult
from schema_audit.kinds import kind
from schema_audit.kinds._common import exists
from schema_audit.spec.model import Requirement

BUCKETS = (("blocking", "Critical path"), ("high", "High priority"), ("medium", "Medium priority"))


@dataclass(slots=True)
class Recommendation:
    """One line of the report's recommendations, with the findings it is about."""

    bucket: str
    text: str
    findings: list[str] = field(default_factory=list)


def _bucket(severity: str) -> str:
    return {"blocking": "blocking", "high": "high"}.get(severity, "medium")


def recommend(result: AuditResult) -> list[Recommendation]:
    out: list[Recommendation] = []
    missing_columns: dict[tuple[str, str], list[Finding]] = {}
    by_id = {r.id: r for r in result.spec.requirements}
    for f in result.findings:
        if f.status != "FAIL":
            continue
        bucket = _bucket(f.severity)
        if f.kind == "column" and not exists(f):
            # missing columns of one table merge into one action
            missing_columns.setdefault((bucket, f.table or ""), []).append(f)
            continue
        out.append(Recommendation(bucket, _action(f, by_id.get(f.id), result), [f.id]))
    for (bucket, table), findings in missing_columns.items():
        names = ", ".join(f.name or "" for f in findings)
        out.append(
            Recommendation(
                bucket,
                f"Add missing columns to {table} via a new migration: {names}",
                [f.id for f in findings],
            )
        )
    deferred = [f for f in result.findings if f.status == "DEFERRED"]
    if deferred:
        out.append(
            Recommendation(
                "medium",
                f"Settle {len(deferred)} deferred item(s) with a replay into a scratch database "
                "(schema-audit audit --replay): "
                + ", ".join(f.id for f in deferred[:6])
                + (" …" if len(deferred) > 6 else ""),
                [f.id for f in deferred],
            )
        )
    order = {b: i for i, (b, _) in enumerate(BUCKETS)}
    first_seen = {f.id: i for i, f in enumerate(result.findings)}
    return sorted(
        out, key=lambda r: (order[r.bucket], min(first_seen.get(i, 0) for i in r.findings))
    )


def _action(f: Finding, req: Requirement | None, result: AuditResult) -> str:
    """The action for one failing finding: its requirement kind's, else the finding's own."""
    registered = kind(f.kind)
    if registered is not None and registered.recommend is not None:
        return registered.recommend(f, req, result.model)
    if f.kind == "migration":
        return f"Fix the migration history: {f.message}"
    if f.kind == "rule":  # "PERF001: what — fix: how"
        rule = f.id.split(".")[1]  # rules.<RULE>.<object>
        what = f.message.removeprefix(f"{rule} {f.name}: ")
        return f"{rule}: {what} — fix: {f.impact} (docs/rules.md)"
    return f.message
