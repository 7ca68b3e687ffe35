"""``schema-audit init``: write a spec that requires exactly what a source has today.

Adoption starts from the schema a team already has, not from an empty file:
the generated spec lists every table (with its columns, keys, CHECKs, indexes,
RLS, policies, triggers and grants), view and function, each table introduced
by a comment saying where it was created, ready to be edited down to what
really matters. Auditing the same source against it gives no FAIL.
"""

from __future__ import annotations

from typing import Any

import yaml

from schema_audit.model import Index, SchemaModel, Table, View


def _name(schema: str, name: str) -> str:
    return name if schema == "public" else f"{schema}.{name}"


def _key(index: Index) -> list[str]:
    out = []
    for key in index.keys:
        text = key.expression
        if key.descending:
            text += " DESC"
        if key.nulls_first is not None:
            text += " NULLS FIRST" if key.nulls_first else " NULLS LAST"
        out.append(text)
    return out


def _index(index: Index) -> dict[str, Any]:
    item: dict[str, Any] = {"name": index.name, "columns": _key(index)}
    if index.unique:
        item["unique"] = True
    if index.where:
        item["where"] = index.where
    if index.include:
        item["include"] = list(index.include)
    if index.method != "btree":
        item["method"] = index.method
    return item


def _table(table: Table) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if "." in table.name:
        spec["schema"] = table.schema
    columns: dict[str, Any] = {}
    for column in table.columns.values():
        item: dict[str, Any] = {"type": column.type, "nullable": column.nullable}
        if column.default is not None:
            item["default"] = column.default
        if column.identity:
            item["identity"] = column.identity
        if column.generated:
            item["generated"] = column.generated
        columns[column.name] = item
    spec["columns"] = columns
    if table.primary_key:
        spec["primary_key"] = list(table.primary_key.columns)
    if table.uniques:
        spec["unique"] = [
            {"name": u.name, "columns": list(u.columns)} for u in table.uniques.values()
        ]
    if table.checks:
        spec["checks"] = [
            {"name": c.name, "expression": c.expression} for c in table.checks.values()
        ]
    if table.foreign_keys:
        spec["foreign_keys"] = [
            {
                "name": fk.name,
                "columns": list(fk.columns),
                "references": f"{_name(fk.ref_schema, fk.ref_table)}({', '.join(fk.ref_columns)})",
                "on_delete": fk.on_delete,
            }
            for fk in table.foreign_keys.values()
        ]
    indexes = [_index(ix) for ix in table.indexes.values() if not ix.constraint]
    if indexes:
        spec["indexes"] = indexes
    if table.rls_enabled or table.rls_forced:
        spec["rls"] = {"enabled": table.rls_enabled, "forced": table.rls_forced}
    if table.policies:
        spec["policies"] = [
            {
                "name": p.name,
                "command": p.command,
                "permissive": p.permissive,
                "roles": list(p.roles),
                **({"using": p.using} if p.using else {}),
                "with_check": p.with_check,
            }
            for p in table.policies.values()
        ]
    if table.triggers:
        spec["triggers"] = [
            {
                "name": t.name,
                "timing": t.timing,
                "events": list(t.events),
                "level": t.level,
                "function": t.function,
                "enabled": t.enabled != "DISABLED",
            }
            for t in table.triggers.values()
        ]
    grants: dict[str, list[str]] = {}
    for grant in table.grants:
        if grant.grantee != table.owner:
            grants.setdefault(grant.grantee, []).append(grant.privilege)
    if grants:
        spec["privileges"] = [
            {"roles": [role], "grant": sorted(privs)} for role, privs in sorted(grants.items())
        ]
    return spec


def _view(view: View) -> dict[str, Any]:
    spec: dict[str, Any] = {"columns": [c.name for c in view.columns]}
    if view.depends_on:
        spec["depends_on"] = [
            d.split(".", 1)[1] if d.startswith("public.") else d for d in view.depends_on
        ]
    if view.indexes:
        spec["indexes"] = [_index(ix) for ix in view.indexes.values()]
    return spec


def _where(provenance) -> str:  # type: ignore[no-untyped-def]
    first = provenance[0] if provenance else None
    if first is None or first.source == "catalog":
        return "read from the live catalog"
    return f"created at {first.file}:{first.line}" + (
        f" (revision {first.revision})" if first.revision else ""
    )


def _block(key: str, value: Any) -> str:
    return yaml.safe_dump(
        {key: value}, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None
    )


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def _accepted_rules(findings: list[Any]) -> list[str]:
    """A waiver per rule finding present at init, so the first audit is green and each one is named."""
    if not findings:
        return []
    out = [
        "",
        "# The built-in rule pack (docs/rules.md) found these when this spec was generated. They are",
        "# accepted so the first audit passes; review each: fix it, or replace the reason with a real one.",
        "waivers:",
    ]
    for finding in sorted(findings, key=lambda f: f.id):
        entry = {
            "requirement": finding.id,
            "reason": f"present at init: {finding.message}",
            "owner": "schema-audit init",
        }
        out.append(
            _indent(
                yaml.safe_dump([entry], allow_unicode=True, width=100, sort_keys=False), 2
            ).rstrip("\n")
        )
    return out


def spec_from_model(
    model: SchemaModel, *, name: str, source: str, rule_findings: list[Any] | None = None
) -> str:
    """The spec text: header, then tables, views and functions in name order, each with a comment."""
    out = [
        "# yaml-language-server: $schema=https://schema-audit.dev/spec.schema.json",
        f"# Generated by `schema-audit init` from {source}.",
        "# It requires exactly what the schema has today: delete what does not matter, add severities,",
        "# impacts, questions and exit gates, then run `schema-audit audit` in CI.",
        "spec_version: 1",
        yaml.safe_dump({"name": name}, allow_unicode=True).strip(),
        "defaults:",
        "  schema: public",
        "  severity: high",
        "",
        "tables:",
    ]
    for key in sorted(model.tables):
        table = model.tables[key]
        if table.name == "alembic_version" and table.schema == "public":
            continue
        out.append(
            f"  # {table.qualified_name}: {len(table.columns)} columns, {_where(table.provenance)}"
        )
        out.append(_indent(_block(_name(table.schema, table.name), _table(table)), 2).rstrip("\n"))
    for section, materialized in (("views", False), ("materialized_views", True)):
        views = [v for k, v in sorted(model.views.items()) if v.materialized == materialized]
        if views:
            out += ["", f"{section}:"]
            for view in views:
                out.append(f"  # {view.qualified_name}: {_where(view.provenance)}")
                out.append(
                    _indent(_block(_name(view.schema, view.name), _view(view)), 2).rstrip("\n")
                )
    if model.functions:
        out += ["", "functions:"]
        seen: set[str] = set()
        for function in sorted(model.functions.values(), key=lambda f: f.signature):
            key = _name(function.schema, function.name)
            if key in seen:
                continue  # overloads: one requirement by name
            seen.add(key)
            out.append(
                _indent(
                    _block(
                        key,
                        {
                            "language": function.language,
                            "security_definer": function.security_definer,
                        },
                    ),
                    2,
                ).rstrip("\n")
            )
    out += _accepted_rules(rule_findings or [])
    return "\n".join(out) + "\n"
