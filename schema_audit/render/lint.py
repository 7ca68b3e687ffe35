"""The migration linter's result as text: terminal lines, JSON, or GitHub annotations.

Every format names each violation with its file:line and rule; the terminal form ends with
one summary line, the JSON form also lists the rules, the allowed violations and what could
not be read (``unread``), so a partial lint is never silent in any of them.
"""

from __future__ import annotations

import json
from typing import Any

from schema_audit.lint import RULES, LintResult
from schema_audit.model import to_data
from schema_audit.render.plaintext import printable_lines


def github(result: LintResult) -> str:
    """One ``::error`` workflow command per violation."""
    from schema_audit.render.github import annotation

    return printable_lines(
        "".join(
            annotation(
                "error", f"{v.rule} {v.name}: {v.message}", f"{v.rule} {v.name}", v.file, v.line
            )
            + "\n"
            for v in result.violations
        )
    )


def json_text(result: LintResult, path: str) -> str:
    """The whole result as an indented JSON document (``path``: the history as given)."""
    document: dict[str, Any] = {
        "path": path,
        "rules": {
            rule: {"name": name, "description": text} for rule, (name, text) in RULES.items()
        },
        "statements": result.statements,
        "migrations": result.files,
        "layout": result.layout,
        "unread": result.unread + result.unrendered,
        "violations": [to_data(v) for v in result.violations],
        "allowed": [to_data(v) for v in result.allowed],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def terminal(result: LintResult) -> str:
    """``file:line: RULE name: message`` per violation (and per ignored one), then a count."""
    lines = [
        f"{v.file}:{v.line}: {v.rule} {v.name}: {v.message}"
        + (f" (revision {v.revision})" if v.revision else "")
        for v in result.violations
    ]
    lines += [
        f"{v.file}:{v.line}: {v.rule} {v.name} ignored: {v.suppressed}"
        for v in result.allowed
        if v.suppressed
    ]
    lines.append(
        f"{len(result.violations)} destructive change(s) in {result.files} migration(s), "
        f"{result.statements} statement(s) checked"
        + (f"; {len(result.allowed)} allowed" if result.allowed else "")
        + (f" ({result.layout})" if result.layout else "")
    )
    return printable_lines("\n".join(lines) + "\n")
