"""Exactly these extensions: ``CREATE EXTENSION``, ``DROP EXTENSION``, ``ALTER EXTENSION
… UPDATE`` (another version) or ``… SET SCHEMA`` after ``init`` passed its spec (no kind
looked at extensions). The set is database-wide, stated under ``strict:``:

```yaml
strict:
  extensions:
    pgcrypto: {schema: public, version: '1.3'}
    citext: {schema: extensions}
```

Each extension the database has must be listed with its schema (and version, when the
entry states one), and each listed one must be there. ``plpgsql`` in ``pg_catalog`` is
PostgreSQL's own (every database has it; pg_dump leaves it out): counted only when listed.
"""

from __future__ import annotations

from typing import Any

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import Extension, SchemaModel
from schema_audit.spec.model import Requirement

# why a version stated cannot be decided from a history (a finding's message says it)
UNKNOWN_VERSION = (
    "their versions are not known from a migration history (CREATE EXTENSION installs the "
    "default version of the server it runs on)"
)


def built_in(extension: Extension) -> bool:
    """PostgreSQL's own plpgsql, which every new database has (pg_dump does not dump it)."""
    return extension.name == "plpgsql" and extension.schema == "pg_catalog"


def stated(model: SchemaModel) -> dict[str, dict[str, Any]]:
    """The ``strict.extensions`` map init writes: each extension's schema and version."""
    return {
        name: {"schema": e.schema, **({"version": e.version} if e.version else {})}
        for name, e in sorted(model.extensions.items())
        if not built_in(e)
    }


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model (a static reading DEFERs it when an
    unapplied statement may change one of these)."""
    return [Facet("extension")]


@requirement_kind(
    id="strict_extensions",
    name="Exactly these extensions",
    title="Extensions",
    group="strict",
    hint="create, drop, update or move the extension, or state it under strict.extensions",
    spec="strict.extensions",
    last=True,
    facets=facets,
)
def check_strict_extensions(req: Requirement, ctx: AuditContext) -> Finding:
    wanted: dict[str, Any] = req.props.get("extensions") or {}
    have = ctx.model.extensions
    problems: list[str] = []
    diffs: list[Diff] = []
    for name, extension in sorted(have.items()):
        if name not in wanted and not built_in(extension):
            problems.append(f"{name} is not listed")
            diffs.append(Diff(f"extension {name}", None, extension.version or "present"))
    for name, entry in sorted(wanted.items()):
        entry = entry if isinstance(entry, dict) else {}
        found = have.get(name)
        if found is None:
            problems.append(f"{name} is missing")
            diffs.append(Diff(f"extension {name}", "present", None))
            continue
        extension = found
        schema = entry.get("schema")
        if schema is not None and str(schema) != extension.schema:
            problems.append(f"{name} is in schema {extension.schema}, expected {schema}")
            diffs.append(Diff(f"extension {name} schema", schema, extension.schema))
        version = entry.get("version")
        known = version is not None and extension.version is not None
        if known and str(version) != extension.version:
            problems.append(f"{name} is version {extension.version}, expected {version}")
            diffs.append(Diff(f"extension {name} version", str(version), extension.version))
    if problems:
        return finding_for(
            req,
            Status.FAIL,
            f"extensions differ: {'; '.join(problems)}",
            diffs=diffs,
            name="extensions",
        )
    if any(
        isinstance(e, dict) and e.get("version") is not None and have[n].version is None
        for n, e in wanted.items()
        if n in have
    ):
        return finding_for(
            req,
            Status.DEFERRED,
            f"exactly the listed extensions; {UNKNOWN_VERSION}",
            name="extensions",
        )
    return finding_for(req, PASS, "exactly the listed extensions", name="extensions")
