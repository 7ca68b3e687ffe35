"""GitHub Actions: a few annotations for the worst problems, and the grouped summary for the job page.

GitHub shows about ten annotations per step, so ``--format github`` emits at
most ``limit`` of them (``--top``, default 10), worst first, at the migration
file and line when the finding cites one (the spec line otherwise), and says
how many more there are. When ``$GITHUB_STEP_SUMMARY`` is set, the grouped
summary is appended to it as Markdown, where a 1,000-table audit stays short.
Values are escaped the way the runner expects, so a message with a newline or a
comma cannot forge another command.
"""

from __future__ import annotations

import os
from pathlib import Path

from schema_audit.audit.engine import AuditResult
from schema_audit.render import digest
from schema_audit.render.markdown_text import md_cell, md_code, md_text

LEVEL = {"FAIL": "error", "PARTIAL": "warning", "DEFERRED": "notice", "NOT_APPLICABLE": "error"}


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


def _location(f) -> tuple[str | None, int | None]:  # type: ignore[no-untyped-def]
    where = next((e for e in f.evidence if e.file and e.source != "spec"), None)
    if where is not None:
        return where.file, where.line
    if f.spec_location:
        file, _, rest = f.spec_location.partition(":")
        line = rest.split(":")[0]
        return file, int(line) if line.isdigit() else None
    return None, None


def render(result: AuditResult, *, limit: int = 10, trend=None) -> str:  # type: ignore[no-untyped-def]
    dig = digest.build(result, trend)
    lines = []
    for p in dig.problems[:limit]:
        f = p.finding
        file, line = _location(f)
        state = trend.state(f.id) if trend is not None else None
        message = f"{f.status} ({f.severity}){f' [{state}]' if state else ''}: {f.message}"
        if p.folded:
            message += " (also " + ", ".join(r.id.split(".")[1] for r in p.folded) + ")"
        if p.fix:
            message += f"\nfix: {p.fix}"
        lines.append(annotation(LEVEL.get(f.status, "notice"), message, f.id, file, line))
    if dig.problem_count > limit:
        lines.append(
            annotation(
                "notice",
                f"{dig.problem_count - limit} more problem(s) not annotated; "
                "the job summary and the reports list them",
                "schema-audit",
                None,
                None,
            )
        )
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        from schema_audit.redact import mask_secrets  # the job summary is an output too

        with Path(summary_path).open("a", encoding="utf-8") as handle:
            handle.write(mask_secrets(step_summary(result, dig, limit)))
    lines.append(
        f"schema-audit verdict: {result.verdict} ({len(result.failing)} failing at or above {result.fail_on})"
    )
    return "\n".join(lines) + "\n"


def step_summary(result: AuditResult, dig: digest.Digest, top: int = 10) -> str:
    """The grouped summary as GitHub-flavoured Markdown (short at any schema size)."""
    out = [
        f"## schema-audit: {md_text(result.spec.name)}",
        "",
        f"**{md_text(digest.verdict_line(result, dig))}**",
        "",
    ]
    if dig.trend is not None:
        out += [md_text(dig.trend.line), ""]
    if dig.groups:
        out += ["| Problems | Count | Tables | Common fix |", "|---|---|---|---|"]
        out += [
            f"| {md_cell(g.title)} | {g.count} | {len(g.tables)} | {md_cell(g.fix)} |"
            for g in dig.groups
        ]
        out += ["", f"Worst {min(top, dig.problem_count)} of {dig.problem_count}:", ""]
        out += [
            f"- **{p.finding.status}** ({p.finding.severity}) {md_code(p.id)}: {md_text(p.finding.message)}"
            for p in dig.problems[:top]
        ]
        out.append("")
    for w in dig.waived:
        owner = f" (owner {md_text(w.owner)})" if w.owner else ""
        out.append(f"- waived: {md_text(w.what)}: {w.count} finding(s){owner}")
    if dig.passes:
        out.append(
            "- passing: " + ", ".join(f"{md_text(title)} {n}" for title, n in dig.passes.items())
        )
    return "\n".join(out) + "\n\n"
