"""Waivers: a deviation the stakeholders accepted, with a reason, an owner and an expiry.

The seed's "Decision Required" is exactly this: a design fork someone signs
off. A waived FAIL or PARTIAL becomes WAIVED (not failing) with the reason in
every output; an expired waiver no longer applies and says so; a waiver that
matches nothing, or only passing findings, is itself reported, because stale
waivers hide the next regression.
"""

from __future__ import annotations

from schema_audit.audit.findings import Evidence, Finding
from schema_audit.enums import Status
from schema_audit.spec.model import Spec, match_ids


def apply_waivers(spec: Spec, findings: list[Finding], as_of: str) -> list[Finding]:
    """Mark waived findings in place; return findings about the waivers themselves."""
    ids = [f.id for f in findings]
    by_id = {f.id: f for f in findings}
    out: list[Finding] = []
    for index, waiver in enumerate(spec.waivers):
        matched = [by_id[i] for i in match_ids(waiver.pattern, ids)]
        who = f" (owner {waiver.owner})" if waiver.owner else ""
        until = f" until {waiver.expires}" if waiver.expires else ""
        evidence = [
            Evidence(
                source="spec",
                file=waiver.location.split(":")[0],
                line=int(waiver.location.split(":")[1]),
                note=waiver.reason,
            )
        ]
        deviating = [f for f in matched if f.status in (Status.FAIL, Status.PARTIAL)]
        expired = bool(waiver.expires and waiver.expires < as_of)
        problem = None
        if not matched:
            problem = f"waiver for {waiver.pattern!r} matches no requirement (stale: remove it)"
        elif expired:
            problem = f"waiver for {waiver.pattern!r} expired on {waiver.expires}{who}: the deviation counts again"
            for finding in deviating:
                finding.message += f" (waiver expired on {waiver.expires}: {waiver.reason})"
        elif not deviating:
            problem = f"waiver for {waiver.pattern!r} matches only passing findings (stale: the deviation is gone)"
        else:
            for finding in deviating:
                finding.message += f" — WAIVED{who}{until}: {waiver.reason} (was {finding.status})"
                finding.status = Status.WAIVED
                finding.evidence.append(
                    Evidence(
                        source="spec",
                        file=evidence[0].file,
                        line=evidence[0].line,
                        note=f"waiver: {waiver.reason}",
                    )
                )
        if problem:
            out.append(
                Finding(
                    id=f"waivers.{index}",
                    kind="waiver",
                    table=None,
                    name=waiver.pattern,
                    status=Status.FAIL,
                    severity="low",
                    message=problem,
                    evidence=evidence,
                )
            )
    return out
