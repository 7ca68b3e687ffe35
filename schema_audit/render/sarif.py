"""SARIF 2.1.0: one result per finding that is not a PASS, for code-scanning UIs.

Every built-in audit rule is listed with its id, name and help text (from the rule
registry), whether it fired or not, and a rule finding's ruleId is the rule's id
(``PERF001``). A spec finding's ruleId is its requirement kind
(``schema-audit/column``, …) so findings group by what was checked. The location
is the migration file and line when the finding cites one, else the spec line that
asked for the requirement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from schema_audit import __version__
from schema_audit.audit.findings import Finding
from schema_audit.audit.result import AuditResult
from schema_audit.kinds import kind
from schema_audit.render import digest, jsonenc
from schema_audit.rules import Rule, registry

LEVEL = {
    "FAIL": "error",
    "PARTIAL": "warning",
    "DEFERRED": "note",
    "NOT_APPLICABLE": "note",
    "WAIVED": "none",
}
# Findings of no requirement kind (the history's own); requirement kinds name themselves.
OTHER_KINDS = {"migration": "Migration history"}


def _location(finding, spec_path: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    where = next((e for e in finding.evidence if e.file), None)
    if where is not None:
        region = {"startLine": where.line} if where.line else None
        physical: dict[str, Any] = {"artifactLocation": {"uri": where.file}}
    else:
        file, _, rest = (finding.spec_location or spec_path).partition(":")
        line = rest.split(":")[0]
        physical = {"artifactLocation": {"uri": file}}
        region = {"startLine": int(line)} if line.isdigit() else None
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def _rule_descriptor(r: Rule) -> dict[str, Any]:
    summary = r.doc.split("\n\n", 1)[0].replace("\n", " ")
    return {
        "id": r.id,
        "name": r.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": r.doc},
        "help": {"text": f"Fix: {r.hint}.", "markdown": f"**Fix:** {r.hint}.\n\n{r.doc}"},
        "helpUri": f"https://schema-audit.dev/docs/rules.md#{r.id.lower()}-{r.name}",
        "defaultConfiguration": {"level": "error"},
        "properties": {"group": r.group, "severity": r.severity},
    }


def _kind_text(kind_id: str) -> str:
    registered = kind(kind_id)
    return registered.name if registered is not None else OTHER_KINDS.get(kind_id, kind_id)


def _rule_id(finding: Finding) -> str:
    """The SARIF ruleId: the audit rule's id for a rule finding, else the requirement kind."""
    if finding.kind == "rule":
        return finding.id.split(".")[1]  # rules.<RULE>.<object>
    return f"schema-audit/{finding.kind}"


def to_document(result: AuditResult, trend: Any = None) -> dict[str, Any]:
    kinds = sorted({f.kind for f in result.findings if f.kind != "rule"})
    rules = [
        {
            "id": f"schema-audit/{kind}",
            "name": kind,
            "shortDescription": {"text": _kind_text(kind)},
            "helpUri": "https://schema-audit.dev/specs/README.md",
        }
        for kind in kinds
    ] + [_rule_descriptor(r) for r in registry().values()]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    dig = digest.build(result)
    problems = {p.id: p for p in dig.problems}
    folded = {r.id for p in dig.problems for r in p.folded}
    results = []
    for f in result.findings:
        if f.status == "PASS" or f.id in folded:
            continue  # a rule finding restating a spec finding is cited by it, not repeated
        problem = problems.get(f.id)
        also = "".join(
            f" (also reported by rule {r.id}: {r.message})"
            for r in (problem.folded if problem else [])
        )
        rule_id = _rule_id(f)
        results.append(
            {
                "ruleId": rule_id,
                "ruleIndex": index[rule_id],
                "level": LEVEL[f.status],
                "message": {"text": f"{f.status} ({f.severity}) {f.id}: {f.message}{also}"},
                "locations": [_location(f, result.spec.path)],
                "partialFingerprints": {"requirementId": f.id},
                **(
                    {"baselineState": "new" if trend.state(f.id) == "new" else "unchanged"}
                    if trend is not None and trend.state(f.id)
                    else {}
                ),
                "properties": {
                    "status": f.status,
                    "severity": f.severity,
                    "requirement": f.id,
                    "questions": f.questions,
                },
            }
        )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "schema-audit",
                        "version": __version__,
                        "informationUri": "https://schema-audit.dev",
                        "rules": rules,
                    }
                },
                "results": results,
                "properties": {
                    "spec": result.spec.name,
                    "source": result.source_kind,
                    "verdict": result.verdict,
                },
            }
        ],
    }


def render(result: AuditResult, *, trend: Any = None) -> str:
    return b"".join(chunks(result, trend=trend)).decode("utf-8")


def chunks(result: AuditResult, *, trend: Any = None) -> Iterator[bytes]:
    """:func:`render`'s UTF-8 bytes in pieces, for writing without holding the whole text."""
    yield from jsonenc.chunks(to_document(result, trend), indent=2)
    yield b"\n"
