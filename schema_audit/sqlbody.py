"""SQL-standard function bodies (``BEGIN ATOMIC … END``, ``RETURN …``) compared.

PostgreSQL 14+ keeps such a body parsed (``prosqlbody``), not as text: ``prosrc`` is empty
and ``pg_get_function_sqlbody`` prints it back in the catalog's own form (``SELECT
count(*) AS count FROM users;`` inside ``BEGIN ATOMIC … END``, parameters qualified by
the function's name). Two bodies both printed by the catalog are compared as text: the
same printer made both, so a difference is a different body. A body written another way
(a migration's text, init's static reading) is compared through the canonical forms; where
those still differ the printer's decorations may be the only difference, so the answer is
"not decided" rather than a difference.
"""

from __future__ import annotations

import re

from schema_audit import sqlnorm
from schema_audit.sqlspace import one_line

_STANDARD = re.compile(r"(?is)^\s*(BEGIN\s+ATOMIC\b|RETURN\b)")
_ATOMIC = re.compile(r"(?is)^\s*BEGIN\s+ATOMIC\b(.*)\bEND\s*;?\s*$")
_RETURN = re.compile(r"(?is)^\s*RETURN\b(.*)$")


def is_standard(body: str) -> bool:
    """Whether ``body`` is a SQL-standard body as the catalog prints it (neither form can
    be a ``prosrc`` text: PostgreSQL refuses both as SQL statements)."""
    return bool(_STANDARD.match(body))


def _statements(body: str) -> str | None:
    """The body's statements in canonical form (``RETURN x`` as ``SELECT x``)."""
    if (atomic := _ATOMIC.match(body)) is not None:
        return sqlnorm.canonical_statements(atomic.group(1))
    if (returned := _RETURN.match(body)) is not None:
        return sqlnorm.canonical_statements(f"SELECT {returned.group(1)}")
    return sqlnorm.canonical_statements(body)


def catalog_layout(body: str) -> bool:
    """Whether ``body`` is laid out as ``pg_get_function_sqlbody`` prints a ``BEGIN
    ATOMIC`` body (``BEGIN ATOMIC`` and a newline, each statement indented one space and
    ended by ``;``, ``END`` on its own line): what init wrote from a catalog."""
    text = body.replace("\r\n", "\n")
    return text.startswith("BEGIN ATOMIC\n ") and text.endswith(";\nEND")


def same_body(expected: str, actual: str, *, printed: bool) -> bool | None:
    """Whether ``expected`` is the SQL-standard body ``actual`` (``printed``: by the
    catalog): True, False, or None when that cannot be decided (see the module docstring)."""
    if one_line(expected) == one_line(actual):  # (a literal's spaces are its value)
        return True
    left, right = _statements(expected), _statements(actual)
    if left is not None and left == right:
        return True
    if printed and catalog_layout(expected) and catalog_layout(actual):
        return False  # both printed by the catalog: a different body
    return None
