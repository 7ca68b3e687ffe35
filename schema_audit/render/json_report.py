"""The JSON document: the contract CI consumers and tests parse (docs/design.md).

``format_version`` names the contract: the minor number grows when keys are added,
the major number when a key changes meaning or goes away. ``report.schema.json``
beside this module is its JSON Schema, checked by the tests against real audits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schema_audit import __version__
from schema_audit.audit.findings import Finding
from schema_audit.audit.result import AuditResult
from schema_audit.render import jsonenc

FORMAT_VERSION = "1.1"
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


def to_document(result: AuditResult, detail: str = "passes", trend: Any = None) -> dict[str, Any]:
    """``detail="failures"`` leaves PASS findings out of ``findings`` (the summary still counts
    them), so a CI artefact of a 1,000-table audit stays small; the default is complete."""
    document = _document(result, detail, trend)
    document["findings"] = list(document["findings"])
    return document


def _document(result: AuditResult, detail: str, trend: Any) -> dict[str, Any]:
    """:func:`to_document` with ``findings`` converted only while written (jsonenc.Mapped): at
    5,000 tables the 165,000 finding dicts were held beside the findings, ~1 GB."""
    spec = result.spec
    document = {
        "format_version": FORMAT_VERSION,
        "schema_audit_version": __version__,
        "spec": {"name": spec.name, "path": spec.path, "sha256": spec.sha256},
        "source": {"kind": result.source_kind, "target": result.source_target},
        "fail_on": result.fail_on,
        "summary": result.summary,
        "verdict": result.verdict,
        "findings": jsonenc.Mapped(
            [f for f in result.findings if detail != "failures" or f.status != "PASS"],
            Finding.to_json,
        ),
        "questions": [
            {
                "id": q.id,
                "title": q.title,
                "category": q.category,
                "status": q.status,
                "findings": list(q.findings),
            }
            for q in result.questions
        ],
        "exit_gates": [
            {
                "criterion": g.title,
                "status": g.status,
                "findings": list(g.findings),
                "migrations": list(g.migrations),
            }
            for g in result.exit_gates
        ],
        "categories": [
            {
                "id": c.id,
                "title": c.title,
                "status": c.status,
                "questions": list(c.questions),
                "findings": list(c.findings),
                "counts": c.counts,
            }
            for c in result.categories
        ],
        "blind_spots": list(result.model.blind_spots),
        "unapplied_statements": [
            {
                "file": s.file,
                "line": s.line,
                "revision": s.revision,
                "kind": s.kind,
                "reason": s.reason,
                "sql": s.sql[:500],
            }
            for s in result.model.unapplied
        ],
    }
    if trend is not None:
        document["compare"] = {
            "previous": trend.previous,
            "new": list(trend.new),
            "fixed": [{"id": fid, "message": message} for fid, message in trend.fixed],
            "still_failing": list(trend.still),
        }
    if detail == "failures":
        document["findings_detail"] = "failures: PASS findings left out (summary counts them)"
    return document


def render(result: AuditResult, *, detail: str = "passes", trend: Any = None) -> str:
    """Deterministic JSON text: key order fixed, no timestamps, UTF-8 kept readable."""
    return b"".join(chunks(result, detail=detail, trend=trend)).decode("utf-8")


def chunks(result: AuditResult, *, detail: str = "passes", trend: Any = None) -> Iterator[bytes]:
    """:func:`render`'s UTF-8 bytes in pieces, for writing without holding the whole text."""
    yield from jsonenc.chunks(_document(result, detail, trend), indent=2)
    yield b"\n"
