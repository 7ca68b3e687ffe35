"""Final recommendations, generated from the findings rather than typed by hand.

Grouped as the seed review groups them: Critical path (blocking), High, and
Medium (moderate and low). Related findings are merged into one action
("Add missing columns to attribution_events via a new migration: event_type,
channel, processing_status") so the list reads like a work plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema_audit.audit import indexsem
from schema_audit.audit.findings import Finding
from schema_audit.audit.indexes import parse_key
from schema_audit.audit.result import AuditResult
from schema_audit.model import Index, IndexKey, qualify

BUCKETS = (("blocking", "Critical path"), ("high", "High priority"), ("medium", "Medium priority"))


@dataclass(slots=True)
class Recommendation:
    bucket: str
    text: str
    findings: list[str] = field(default_factory=list)


def _bucket(severity: str) -> str:
    return {"blocking": "blocking", "high": "high"}.get(severity, "medium")


def _exists(f: Finding) -> bool:
    return not any(d.property == "exists" and d.actual is False for d in f.diffs)


def recommend(result: AuditResult) -> list[Recommendation]:
    out: list[Recommendation] = []
    missing_columns: dict[tuple[str, str], list[Finding]] = {}
    by_id = {r.id: r for r in result.spec.requirements}
    for f in result.findings:
        if f.status != "FAIL":
            continue
        bucket = _bucket(f.severity)
        req = by_id.get(f.id)
        props = req.props if req else {}
        table = f.table or ""
        if f.kind == "column" and not _exists(f):
            missing_columns.setdefault((bucket, table), []).append(f)
            continue
        text = _action(f, props, table)
        if f.kind == "index" and req is not None and not _exists(f):
            text = _redundant_advice(result, req, text)
        out.append(Recommendation(bucket, text, [f.id]))
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


def _redundant_advice(result: AuditResult, req, text: str) -> str:  # type: ignore[no-untyped-def]
    """Never advise an index PERF002 would call redundant: say which index already does the job.

    A ``columns: [a]`` requirement fails while ``(a, b)`` exists; creating ``(a)`` would be
    reported as redundant with it, so the advice is to require ``leading:``/``covers:``.
    """
    table = result.model.tables.get(qualify(req.schema, req.table or ""))
    columns = req.props.get("columns")
    if table is None or not columns:
        return text
    proposed = Index(
        name="",
        keys=[_index_key(c) for c in columns],
        unique=bool(req.props.get("unique")),
        method=str(req.props.get("method") or "btree").lower(),
        where=req.props.get("where"),
        include=list(req.props.get("include") or []),
    )
    big = indexsem.redundant_for(table, proposed)
    if big is None:
        return text
    return (
        f"Index {big.name} on {table.name} already serves what ({', '.join(columns)}) would; "
        f"a new one would be redundant (PERF002): require `leading: [{', '.join(columns)}]` "
        "or `covers:` instead of exact `columns:`"
    )


def _index_key(text: str) -> IndexKey:
    wanted = parse_key(text)
    return IndexKey(wanted.expression, wanted.is_column, wanted.descending, wanted.nulls_first)


def _after_adding(f: Finding) -> str:
    """' — after adding a, b' when required columns are missing too (the finding's diff says so)."""
    d = _diff(f, "missing_columns")
    return f" — after adding {', '.join(d.actual)}" if d and d.actual else ""


def _diff(f: Finding, prop: str):  # type: ignore[no-untyped-def]
    return next((d for d in f.diffs if d.property == prop), None)


def _action(f: Finding, props: dict[str, Any], table: str) -> str:
    exists = _exists(f)
    if f.kind == "table":
        return f"Create table {table} (or update the guide if the design deliberately dropped it)"
    if f.kind in ("view", "materialized_view"):
        kind = "materialized view" if f.kind == "materialized_view" else "view"
        if f.instead:
            return f"Create {kind} {f.name}, or document that {f.instead[0].name} replaces it"
        return f"Create {kind} {f.name}"
    if f.kind == "column":
        parts = []
        if (d := _diff(f, "nullable")) and d.expected is False:
            parts.append(f"backfill and SET NOT NULL on {table}.{f.name}")
        if d := _diff(f, "type"):
            parts.append(f"ALTER COLUMN {table}.{f.name} TYPE {d.expected} (now {d.actual})")
        if d := _diff(f, "default"):
            parts.append(f"SET DEFAULT {d.expected} on {table}.{f.name}")
        if _diff(f, "unique"):
            parts.append(f"add UNIQUE ({f.name}) on {table}")
        return "; ".join(parts).capitalize() if parts else f.message
    if f.kind == "foreign_key":
        if not exists:
            return f"Add foreign key {table}({', '.join(props.get('columns', []))}) REFERENCES {props.get('references')}"
        if d := _diff(f, "on_delete"):
            return f"Recreate {f.name} with ON DELETE {d.expected} (now {d.actual})"
        return f"Fix foreign key {f.name}: {f.message}"
    if f.kind == "index":
        if not exists:
            cols = ", ".join(
                props.get("columns") or props.get("leading") or props.get("covers") or []
            )
            text = f"Create index {props.get('name') or ''} ON {table} ({cols})".replace(
                "index  ON", "index ON"
            )
            if props.get("include"):
                text += f" INCLUDE ({', '.join(props['include'])})"
            if props.get("where"):
                text += f" WHERE {props['where']}"
            return text + _after_adding(f)
        return f"Recreate index {f.name}: {f.message}"
    if f.kind == "check":
        return f"Add CHECK ({props.get('expression')}) on {table}" + _after_adding(f)
    if f.kind == "unique":
        return f"Add UNIQUE ({', '.join(props.get('columns', []))}) on {table}"
    if f.kind == "rls":
        steps = [
            f"ALTER TABLE {table} {verb} ROW LEVEL SECURITY"
            for prop, verb in (("enabled", "ENABLE"), ("forced", "FORCE"))
            if (d := _diff(f, prop)) and d.expected
        ]
        return "; ".join(steps) or f.message
    if f.kind == "policy":
        return (
            f"Create policy {f.name} on {table}"
            if not exists
            else f"Fix policy {f.name} on {table}: {f.message}"
        )
    if f.kind == "trigger":
        if not exists:
            events = " OR ".join(props.get("events") or [])
            return f"Add a {props.get('timing', '')} {events} row trigger on {table} that raises".replace(
                "  ", " "
            )
        return f"Fix trigger {f.name} on {table}: {f.message}"
    if f.kind == "privilege":
        return f"Revoke or grant privileges on {table}: {f.message.split(': ', 1)[-1]}"
    if f.kind == "forbidden_column":
        return f"Drop or rename forbidden columns: {f.message.split(': ', 1)[-1]}"
    if f.kind == "migration":
        return f"Fix the migration history: {f.message}"
    if f.kind == "rule":  # "PERF001: what — fix: how"
        rule = f.id.split(".")[1]  # rules.<RULE>.<object>
        what = f.message.removeprefix(f"{rule} {f.name}: ")
        return f"{rule}: {what} — fix: {f.impact} (docs/rules.md)"
    return f.message
