"""The problems of a migration history itself, as findings.

Sources report what they saw (multiple heads, a missing downgrade, a statement
PostgreSQL cannot parse, a replay that stopped) as plain issues; this is where
the audit turns each into a finding with a stable id, a status and a severity,
filed under the tool's own category for the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from schema_audit.audit.findings import Evidence, Finding
from schema_audit.enums import Severity, Status

CATEGORY = "Migrations"  # spec.model.BUILTIN_CATEGORIES gives it its title

_FAILING = ("blocking", "high", "moderate", "low")
_ISSUE_STATUS = {
    "error": (Status.FAIL, Severity.HIGH),
    "warning": (Status.FAIL, Severity.MODERATE),
    "info": (Status.PASS, Severity.INFO),
}


def history_findings(issues: Iterable[Any]) -> list[Finding]:
    """One finding per issue (``code``, ``message``, ``revision``, ``file``, ``line``, ``severity``)."""
    out: list[Finding] = []
    seen: set[str] = set()
    for issue in issues:
        severity = getattr(issue, "severity", "warning")
        status, sev = _ISSUE_STATUS.get(
            severity,
            (
                Status.FAIL,
                Severity(severity) if severity in _FAILING else Severity.MODERATE,
            ),
        )
        base = f"migrations.{issue.code}.{issue.revision or Path(issue.file or 'history').stem}"
        fid, n = base, 2
        while fid in seen:
            fid, n = f"{base}.{n}", n + 1
        seen.add(fid)
        out.append(
            Finding(
                id=fid,
                kind="migration",
                table=None,
                name=issue.revision,
                status=status,
                severity=sev,
                message=issue.message,
                evidence=[
                    Evidence(
                        source="migration",
                        file=issue.file,
                        line=issue.line,
                        revision=issue.revision,
                    )
                ],
                category=CATEGORY,
            )
        )
    return out
