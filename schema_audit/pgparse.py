"""pglast's ``parse_sql`` made safe for text from a pull request: never a crash of the interpreter.

pglast builds its Python syntax tree by C recursion with no depth check, so an expression
nested about 20,000 deep (``1 + 1 + …``, two characters a level) kills the process with
SIGSEGV, wherever the text is parsed: a migration statement, a DO block's IF condition, a
spec's CHECK expression. ``parse_sql_json`` goes through PostgreSQL's stack-depth check
and raises a ParseError instead; text shorter than ``DEPTH_CHECKED_CHARS`` cannot nest
deep enough to need it, so only long text pays for the second parse.
"""

from __future__ import annotations

import pglast
import pglast.parser

DEPTH_CHECKED_CHARS = 16 * 1024


def parse_sql(text: str) -> tuple[pglast.ast.RawStmt, ...]:
    """``pglast.parse_sql``, raising ParseError ("stack depth limit exceeded") where it would crash."""
    if len(text) > DEPTH_CHECKED_CHARS:
        pglast.parser.parse_sql_json(text)
    return pglast.parse_sql(text)
