"""A hint for a syntax error caused by a runner's placeholder written as a comment.

stack-auth's migrations name their schema ``ON /* SCHEMA_NAME_SENTINEL */."Tenancy"``: its
runner replaces the comment with the schema before it sends the text. Read as written (by
PostgreSQL, psql, and this tool), the comment is nothing and the ``.`` after it has no name
before it: ``syntax error at or near "."`` (PostgreSQL 15), exit 2, with no word of why. The
error stays (the text is not what PostgreSQL runs); its line says what stands there, only
when the error is at a ``.`` right after a comment holding one word: a comment in the
place of a qualifier's name is a placeholder by construction, whatever the word.
"""

from __future__ import annotations

import re

# "syntax error at or near ".", at index 71" (pglast's message for libpg_query's error)
_AT_DOT = re.compile(r'at or near "\.", at index (\d+)')
# a one-word block comment, then only blanks before the index
_COMMENT_BEFORE = re.compile(r"/\*[ \t]*([A-Za-z_][\w$]*)[ \t]*\*/[ \t\r\n]*\Z")


def placeholder_hint(sql: str, error: str) -> str:
    """``; <comment> stands where a name goes …`` for a syntax error at a ``.`` right after a
    one-word comment in ``sql`` (module docstring), else ""."""
    found = _AT_DOT.search(error)
    if found is None:
        return ""
    index = int(found[1])
    # libpg_query counts bytes; the text is str: either reading of the index, where it is a "."
    for at in {index, len(sql.encode()[:index].decode(errors="ignore"))}:
        if sql[at : at + 1] != ".":
            continue
        comment = _COMMENT_BEFORE.search(sql, max(0, at - 200), at)
        if comment is not None:
            return (
                f"; /* {comment[1]} */ stands where a name goes: a placeholder the project's "
                "runner replaces before it applies the file (read as written, the name is "
                "missing): give the tool the text with it replaced"
            )
    return ""
