"""schema-audit: audit a PostgreSQL schema against a written specification.

The library in one screen::

    from schema_audit import audit

    result = audit("specs/backend_guide_b03.yaml", migrations="alembic/")
    result.verdict, result.summary, result.exit_code("high")
    for finding in result.findings: ...

Everything it cannot do raises :class:`SchemaAuditError`. The names below are
imported on first use, so ``schema-audit --help`` does not pay for the audit
machinery. Linting is ``lint_migrations`` (the CLI's ``lint-migrations``): the name
``schema_audit.lint`` is the linter's module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schema_audit import lazynames

__version__ = "0.2.0"

#: PostgreSQL servers the catalog reader accepts (sources/live.py refuses older ones) and the
#: major version the test-suite runs against.
SUPPORTED_POSTGRESQL = "11 or newer; tested against 15"

if TYPE_CHECKING:
    from schema_audit.api import audit, audit_model, diff, inspect, lint_migrations, load_spec
    from schema_audit.audit.result import AuditResult
    from schema_audit.errors import SchemaAuditError

_HOMES = {
    "AuditResult": "schema_audit.audit.result",
    "SchemaAuditError": "schema_audit.errors",
    "audit": "schema_audit.api",
    "audit_model": "schema_audit.api",
    "diff": "schema_audit.api",
    "inspect": "schema_audit.api",
    "lint_migrations": "schema_audit.api",
    "load_spec": "schema_audit.api",
}

__all__ = [
    "AuditResult",
    "SchemaAuditError",
    "__version__",
    "audit",
    "audit_model",
    "diff",
    "inspect",
    "lint_migrations",
    "load_spec",
]


def __getattr__(name: str) -> Any:
    return lazynames.load(globals(), _HOMES, name)
