"""GitLab Code Quality JSON, so merge requests show the audit's problems.

One entry per problem (PASS and WAIVED are left out, and a rule finding folded
into the spec finding it restates is not repeated), with GitLab's severities and
a stable fingerprint: the baseline's, which names what is wrong, not where, so
GitLab can tell new problems from old ones across pipelines.
"""

from __future__ import annotations

from typing import Any

from schema_audit.audit.baseline import fingerprint
from schema_audit.audit.engine import AuditResult
from schema_audit.render import digest, jsonenc
from schema_audit.render.github import _location

SEVERITY = {
    "blocking": "blocker",
    "high": "critical",
    "moderate": "major",
    "low": "minor",
    "info": "info",
}


def to_document(result: AuditResult) -> list[dict[str, Any]]:
    out = []
    for p in digest.build(result).problems:
        f = p.finding
        file, line = _location(f)
        description = f"{f.status}: {f.message}"
        if p.folded:
            description += " (also " + ", ".join(r.id.split(".")[1] for r in p.folded) + ")"
        out.append(
            {
                "description": description,
                "check_name": p.group,
                "fingerprint": fingerprint(f),
                "severity": SEVERITY.get(f.severity, "info"),
                "location": {"path": file or result.spec.path, "lines": {"begin": line or 1}},
            }
        )
    return out


def render(result: AuditResult) -> str:
    return jsonenc.dumps(to_document(result), indent=2) + "\n"
