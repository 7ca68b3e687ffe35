"""Inline ``schema-audit: ignore RULE reason`` comments, as a step of the audit pipeline.

A rule finding whose object was created or changed by a statement carrying the
comment becomes WAIVED, with the file, line and reason as evidence. The static
reader knows each object's statement; a replayed catalog does not, so for a
replay the suppressions found by reading the same history statically are carried
over to the replay's findings of the same id (same rule, same object).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from schema_audit.audit.findings import Evidence, Finding
from schema_audit.enums import Status

IGNORE_NOTE = "ignore: "


def suppress(finding: Finding, file: str, line: int, reason: str) -> Finding:
    """``finding`` waived by the inline comment at ``file:line``."""
    return dataclasses.replace(
        finding,
        status=Status.WAIVED,
        message=f"{finding.message} — suppressed inline at {file}:{line}: {reason} "
        f"(was {finding.status})",
        evidence=[
            *finding.evidence,
            Evidence(source="migration", file=file, line=line, note=f"{IGNORE_NOTE}{reason}"),
        ],
    )


def inline_suppression(finding: Finding) -> Evidence | None:
    """The evidence of the inline comment that waived ``finding``, if one did."""
    if finding.status != Status.WAIVED:
        return None
    for ev in finding.evidence:
        if ev.note and ev.note.startswith(IGNORE_NOTE) and ev.file and ev.line:
            return ev
    return None


def carry_suppressions(findings: Iterable[Finding], static: Iterable[Finding]) -> list[Finding]:
    """``findings`` with the inline suppressions of ``static`` (same ids) applied."""
    comments = {f.id: ev for f in static if (ev := inline_suppression(f)) is not None}
    out = []
    for f in findings:
        ev = comments.get(f.id)
        if ev is not None and f.status == Status.FAIL:
            f = suppress(f, ev.file or "", ev.line or 0, (ev.note or "")[len(IGNORE_NOTE) :])
        out.append(f)
    return out
