"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per finding.

GitHub shows them on the pull request, at the migration file and line when the
finding cites one (the spec line otherwise). Values are escaped the way the
runner expects, so a message with a newline or a comma cannot forge another
command.
"""

from __future__ import annotations

from schema_audit.audit.engine import AuditResult

LEVEL = {"FAIL": "error", "PARTIAL": "warning", "DEFERRED": "notice", "NOT_APPLICABLE": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, title: str, file: str | None, line: int | None) -> str:
    props = [f"title={_property(title)}"]
    if file:
        props.insert(0, f"file={_property(file)}")
        if line:
            props.insert(1, f"line={line}")
    return f"::{level} {','.join(props)}::{_data(message)}"


def render(result: AuditResult) -> str:
    lines = []
    for f in result.findings:
        level = LEVEL.get(f.status)
        if level is None:
            continue
        where = next((e for e in f.evidence if e.file), None)
        file, line = (where.file, where.line) if where else (None, None)
        if file is None and f.spec_location:
            file, _, rest = f.spec_location.partition(":")
            line = int(rest.split(":")[0]) if rest.split(":")[0].isdigit() else None
        lines.append(annotation(level, f"{f.status} ({f.severity}): {f.message}", f.id, file, line))
    lines.append(
        f"schema-audit verdict: {result.verdict} ({len(result.failing)} failing at or above {result.fail_on})"
    )
    return "\n".join(lines) + "\n"
