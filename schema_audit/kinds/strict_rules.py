"""Strict mode for rules: every table and view of the covered schemas has exactly the rules (CREATE
RULE … DO INSTEAD …) its entry's ``rules:`` states, with the same definition and state. A
rule added, dropped, re-created with another action or condition, or disabled after
``init`` FAILs; before, rules were only named as a blind spot. Written by ``init --dsn``
only (the static reader does not model rules); against a migration history DEFERRED.

```yaml
tables:
  audit_log:
    rules:
      no_delete: "CREATE RULE no_delete AS\n    ON DELETE TO audit_log DO INSTEAD NOTHING;"
views:
  ids:                       # a view's rules likewise (an updatable view's INSTEAD rules)
    rules:
      ids_insert: "CREATE RULE ids_insert AS\n    ON INSERT TO ids DO INSTEAD …"
strict:
  rules: true
```
"""

from __future__ import annotations

from typing import Any

from schema_audit.audit.context import AuditContext
from schema_audit.audit.deferral import Facet, in_schemas
from schema_audit.audit.findings import Diff, Finding, finding_for
from schema_audit.enums import PASS, Status
from schema_audit.kinds import requirement_kind
from schema_audit.model import Table, View, qualify
from schema_audit.spec.model import Requirement

_KINDS = ("table", "view")  # the entries whose ``rules:`` it reads
UNKNOWN_RULES = "the static reader does not model rules (compare with --dsn)"


def facets(req: Requirement) -> list[Facet]:
    """What its finding reads from the model."""
    return [Facet("rule", schemas=in_schemas(req))]


def _stated(value: Any) -> tuple[str, str]:
    """(definition, state) of a ``rules:`` value: a text, or {definition, enabled}."""
    if isinstance(value, dict):
        return str(value.get("definition") or ""), str(value.get("enabled") or "origin")
    return str(value or ""), "origin"


@requirement_kind(
    id="strict_rules",
    name="Exactly these rules",
    title="Unexpected rules",
    group="strict",
    hint="DROP RULE / CREATE OR REPLACE RULE / ALTER TABLE … ENABLE RULE to match the spec",
    spec="strict.rules",
    last=True,
    facets=facets,
)
def check_strict_rules(req: Requirement, ctx: AuditContext) -> Finding:
    if ctx.is_static() and (
        any(r.props.get("rules") for kind in _KINDS for r in ctx.of_kind(kind))
        or any(": rule " in s or s.startswith("rule ") for s in ctx.model.blind_spots)
    ):
        # the static reader names each rule a history makes (a blind spot) but reads none:
        # with none named and none stated there is nothing to defer
        return finding_for(req, Status.DEFERRED, UNKNOWN_RULES, name="rules")
    schemas = set(req.props["schemas"])
    stated: dict[str, dict[str, tuple[str, str]]] = {
        qualify(r.schema, r.table or ""): {
            name: _stated(value) for name, value in (r.props.get("rules") or {}).items()
        }
        for kind in _KINDS
        for r in ctx.of_kind(kind)
        if not r.id.startswith("match.")
    }
    differing: list[str] = []
    relations: dict[str, Table | View] = {**ctx.model.tables, **ctx.model.views}
    for key, table in sorted(relations.items()):
        if table.schema not in schemas or not (table.rules or key in stated):
            continue
        wanted = stated.get(key, {})
        for name in sorted(set(wanted) | set(table.rules)):
            have, want = table.rules.get(name), wanted.get(name)
            if have is None:
                differing.append(f"{key}: rule {name} is missing")
            elif want is None:
                differing.append(f"{key}: rule {name} is not stated")
            elif have[0].split() != want[0].split():
                differing.append(f"{key}: rule {name} differs")
            elif have[1] != want[1]:
                differing.append(f"{key}: rule {name} is {have[1]}, expected {want[1]}")
    if differing:
        return finding_for(
            req,
            Status.FAIL,
            "; ".join(differing),
            diffs=[Diff("rules", "exactly the stated ones", differing)],
            name="rules",
        )
    return finding_for(
        req, PASS, f"exactly the stated rules in {', '.join(sorted(schemas))}", name="rules"
    )
