"""What judging imports late, imported while ``audit --dsn`` waits for its live read.

Judging compares spellings: a spec's ``timestamptz`` with the catalog's ``timestamp with
time zone``, a CHECK or a policy's expression with PostgreSQL's text. Those comparisons
parse with pglast, imported by the first of them (its enums and printers: 0.07–0.1 CPU s),
which came after the live read was taken, on the audit's critical path. A selector spec
loads faster than the catalog reads (1,000 tables in a few lines), so the main thread
waits for the read, and the import costs no wall time there (issue 19: the 1,000-table
selector audit's CPU after the read 0.29–0.34 → 0.23–0.29 s, the same in all).

Only a spec whose selectors state such spellings asks for it: init's spec writes every
spelling as the catalog does (equal texts are compared without the parser), and a live
audit of it keeps not importing pglast at all (``tests/test_cli_startup.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from schema_audit.spec.model import Spec

# template props whose comparison with the catalog may parse (types, defaults, expressions)
_PARSED = frozenset(
    {"type", "default", "expression", "using", "with_check", "where", "generated", "when"}
)


def for_spec(spec: Spec) -> Callable[[], None] | None:
    """What to do while waiting for the read before judging ``spec`` (None: nothing)."""
    for selector in spec.selectors:
        for template in selector.templates:
            if not _PARSED.isdisjoint(template.props):
                return _import_parser
    return None


def _import_parser() -> None:
    """Import what judging may import later (nothing else: no model, no spec is read)."""
    try:
        import schema_audit.pgparse  # noqa: F401
        import schema_audit.pgvisit  # noqa: F401
    except ImportError:  # judging imports it where it did, and fails there as it did
        pass
