"""JUnit XML: one testcase per requirement, one suite per category.

CI systems render JUnit natively, so a failing requirement shows up next to
the unit tests: FAIL is a failure, DEFERRED and NOT_APPLICABLE are skipped
with their reason, PARTIAL and WAIVED pass with the message kept as output.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from schema_audit.audit.engine import AuditResult
from schema_audit.audit.findings import Finding
from schema_audit.render import digest


def render(result: AuditResult, *, trend=None) -> str:  # type: ignore[no-untyped-def]
    spec = result.spec
    dig = digest.build(result, trend)
    problems = {p.id: p for p in dig.problems}
    folded = {r.id for p in dig.problems for r in p.folded}
    root = ET.Element("testsuites", name=f"schema-audit: {spec.name}")
    suites: dict[str | None, list[Finding]] = {}
    for f in result.findings:
        if f.id not in folded:  # one testcase per problem: the spec finding cites the rule
            suites.setdefault(f.category, []).append(f)
    order = [c.id for c in spec.categories] + sorted(
        (c for c in suites if c not in {x.id for x in spec.categories}), key=lambda c: c or ""
    )
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for cid in order:
        findings = suites.get(cid)
        if not findings:
            continue
        title = spec.category_title(cid)
        failures = sum(1 for f in findings if f.status == "FAIL")
        skipped = sum(1 for f in findings if f.status in ("DEFERRED", "NOT_APPLICABLE"))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{cid} {title}" if cid else title,
            tests=str(len(findings)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
        )
        for f in findings:
            case = ET.SubElement(suite, "testcase", name=f.id, classname=f"schema_audit.{f.kind}")
            where = next((e for e in f.evidence if e.file), None)
            if where is not None:
                case.set("file", where.file or "")
                if where.line:
                    case.set("line", str(where.line))
            if f.status == "FAIL":
                state = trend.state(f.id) if trend is not None else None
                failure = ET.SubElement(
                    case,
                    "failure",
                    message=f"[{state}] {f.message}" if state else f.message,
                    type=f.severity,
                )
                details = [f.message] + [digest.diff_text(d) for d in f.diffs]
                details += [f"instead: {c.name} ({c.why})" for c in f.instead]
                problem = problems.get(f.id)
                if problem is not None:
                    details += [
                        f"also reported by rule {r.id}: {r.message}" for r in problem.folded
                    ]
                    if problem.where:
                        details.append(f"where: {problem.where}")
                    if problem.fix:
                        details.append(f"fix: {problem.fix}")
                failure.text = "\n".join(details)
            elif f.status in ("DEFERRED", "NOT_APPLICABLE"):
                ET.SubElement(case, "skipped", message=f"{f.status}: {f.message}")
            elif f.status in ("PARTIAL", "WAIVED"):
                ET.SubElement(case, "system-out").text = f"{f.status}: {f.message}"
        totals["tests"] += len(findings)
        totals["failures"] += failures
        totals["skipped"] += skipped
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
