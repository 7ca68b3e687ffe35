"""Baselines: accept today's findings once, then report only what is new (and what got fixed).

A fingerprint names *what* is wrong, not where it was printed: the requirement
or rule id, the status and the properties that differ with their expected
values. Line numbers and messages stay out, so a migration file that grows, or
a reworded message, does not turn an old finding into a new one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from schema_audit.audit.engine import AuditResult
from schema_audit.audit.findings import Finding

REPORTED = ("FAIL", "PARTIAL", "DEFERRED", "NOT_APPLICABLE")


def fingerprint(finding: Finding) -> str:
    diffs = sorted(
        (d.property, json.dumps(d.expected, sort_keys=True, default=str)) for d in finding.diffs
    )
    material = json.dumps([finding.id, finding.status, diffs], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def write_baseline(result: AuditResult, path: Path) -> int:
    entries = {
        fingerprint(f): {"id": f.id, "status": f.status, "message": f.message}
        for f in result.findings
        if f.status in REPORTED
    }
    path.write_text(
        json.dumps(
            {"schema_audit_baseline": 1, "findings": dict(sorted(entries.items()))}, indent=2
        )
        + "\n"
    )
    return len(entries)


def apply_baseline(result: AuditResult, path: Path) -> list[dict]:
    """Drop findings the baseline already holds; return the baseline entries that are gone (fixed)."""
    try:
        recorded: dict[str, dict] = json.loads(path.read_text())["findings"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a schema-audit baseline ({exc})") from None
    current = {fingerprint(f): f for f in result.findings if f.status in REPORTED}
    result.findings = [
        f for f in result.findings if not (f.status in REPORTED and fingerprint(f) in recorded)
    ]
    return [entry for fp, entry in sorted(recorded.items()) if fp not in current]
