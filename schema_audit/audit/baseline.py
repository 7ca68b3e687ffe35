"""Baselines: accept today's findings once, then report only what is new (and what got fixed).

A fingerprint names *what* is wrong, not where it was printed: the requirement
or rule id, the status and the properties that differ with their expected
values. Line numbers and messages stay out, so a migration file that grows, or
a reworded message, does not turn an old finding into a new one.

Applying a baseline is a step of the audit pipeline (``schema_audit.api``), run
before the result is built, so every roll-up is computed from what is left.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from schema_audit.audit.findings import Finding
from schema_audit.enums import Status
from schema_audit.errors import BaselineError

REPORTED = (Status.FAIL, Status.PARTIAL, Status.DEFERRED, Status.NOT_APPLICABLE)


def fingerprint(finding: Finding) -> str:
    diffs = sorted(
        (d.property, json.dumps(d.expected, sort_keys=True, default=str)) for d in finding.diffs
    )
    material = json.dumps([finding.id, finding.status, diffs], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def write_baseline(findings: Iterable[Finding], path: Path) -> int:
    """Record every reported finding of an audit (``result.findings``); return how many."""
    entries = {
        fingerprint(f): {"id": f.id, "status": f.status, "message": f.message}
        for f in findings
        if f.status in REPORTED
    }
    path.write_text(
        json.dumps(
            {"schema_audit_baseline": 1, "findings": dict(sorted(entries.items()))}, indent=2
        )
        + "\n"
    )
    return len(entries)


def read_baseline(path: Path) -> dict[str, dict[str, Any]]:
    """fingerprint -> recorded entry; a file that is not a baseline is a BaselineError."""
    try:
        recorded = json.loads(path.read_text())["findings"]
        if not isinstance(recorded, dict):
            raise TypeError("findings is not a mapping")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BaselineError(f"{path}: not a schema-audit baseline ({exc})") from None
    return recorded


def apply_baseline(
    findings: list[Finding], recorded: dict[str, dict[str, Any]]
) -> tuple[list[Finding], list[str], list[dict[str, Any]]]:
    """(findings kept, ids the baseline accepted, baseline entries no longer found = fixed)."""
    current = {fingerprint(f): f for f in findings if f.status in REPORTED}
    kept: list[Finding] = []
    accepted: list[str] = []
    for f in findings:
        if f.status in REPORTED and fingerprint(f) in recorded:
            accepted.append(f.id)
        else:
            kept.append(f)
    fixed = [entry for fp, entry in sorted(recorded.items()) if fp not in current]
    return kept, accepted, fixed
