"""Plain-text output helpers that need no terminal library.

Kept apart from :mod:`schema_audit.render.terminal` (which loads rich and the audit engine)
so the plain listings of ``lint-migrations``, ``diff`` and ``--format github`` do not pay
for them at start-up.
"""

from __future__ import annotations


def printable_lines(text: str) -> str:
    """Plain-text output (GitHub annotations, lint and diff listings): its own newlines kept,
    any other control character shown as U+FFFD."""
    return "".join(ch if ch.isprintable() or ch == "\n" else "\ufffd" for ch in text)
