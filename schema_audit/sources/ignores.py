"""Inline ``schema-audit: ignore RULE reason`` comments in migration files.

Read here, below the audit and the linter that both honour them: the rule pack
waives a finding whose object was made by a commented statement, and the linter
skips a commented destructive change.
"""

from __future__ import annotations

import ast as pyast
import functools
import re
from pathlib import Path

# `-- schema-audit: ignore SA009 reason` in SQL, `# schema-audit: ignore set-not-null reason` in Python
IGNORE_COMMENT = re.compile(r"(?:--|#)\s*schema-audit:\s*ignore\s+([A-Za-z0-9_,-]+)\s*(.*)$")
_MARK = "schema-audit:"  # in every line IGNORE_COMMENT matches (it has no flags)


@functools.lru_cache(maxsize=64)
def _python_spans(lines: tuple[str, ...]) -> list[tuple[int, int]] | None:
    """(first, last) line of every simple statement of a Python file; None when it is not Python."""
    try:
        tree = pyast.parse("\n".join(lines))
    except (SyntaxError, ValueError):
        return None
    return [
        (node.lineno, node.end_lineno or node.lineno)
        for node in pyast.walk(tree)
        if isinstance(node, pyast.stmt) and not hasattr(node, "body")
    ]


def python_statement_span(lines: tuple[str, ...], line: int) -> tuple[int, int] | None:
    """The innermost Python statement around ``line`` (an ``op.execute(...)`` call), if any."""
    spans = [s for s in _python_spans(lines) or [] if s[0] <= line <= s[1]]
    return min(spans, key=lambda s: s[1] - s[0]) if spans else None


def find_ignore(
    file: str | None,
    lines: tuple[str, ...] | None,
    first: int | None,
    last: int | None,
    rules: set[str],
) -> tuple[int, str] | None:
    """(line, reason) of an ignore comment naming one of ``rules`` for the statement on lines first..last.

    The comment may stand on any line of the statement or in the comment block right above it
    (at most three lines, stopping at the first line that is not a comment, so a comment for
    the previous statement never leaks onto this one).
    """
    if not lines or not first:
        return None
    span = python_statement_span(lines, first) if (file or "").endswith(".py") else None
    if span is not None:  # SQL inside an Alembic op call: the Python statement is the unit
        first, last = min(first, span[0]), max(last or first, span[1])
    above = []
    for number in range(first - 1, max(0, first - 4), -1):
        if not lines[number - 1].lstrip().startswith(("--", "#")):
            break
        above.append(number)
    for number in [*above, *range(first, min(last or first, len(lines)) + 1)]:
        match = IGNORE_COMMENT.search(lines[number - 1])
        if match and {r.strip() for r in match.group(1).split(",")} & rules:
            return number, match.group(2).strip() or "no reason given"
    return None


def source_lines(path: Path) -> dict[str, tuple[str, ...]]:
    """The lines of every migration file that may hold an ignore comment, under the name
    findings show (tuples: the parsed-statement cache for Alembic files is keyed by them).

    A file without ``schema-audit`` in its text has none (:data:`IGNORE_COMMENT` needs it)
    and is left out: :func:`find_ignore` answers None for it at once, where a static audit
    of the 1,000-table history searched every line of each rule finding's statement (3,366
    statements, ≈ 0.03 CPU s) and split 1.15 MB of files into lines nobody read."""
    from schema_audit.sources.sqlfile import _display

    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*") if p.suffix in (".py", ".sql"))
    )
    out: dict[str, tuple[str, ...]] = {}
    parent = path.resolve().parent  # once, not once a file (a 200-file history: 200 resolves)
    for file in files:
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if _MARK in text:
            out[_display(file, path, parent)] = tuple(text.splitlines())
    return out
